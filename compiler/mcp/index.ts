/** MCP tools of a project (compiler/mcp/README.md): declarations, pins, and their contracts. */
export { loadMcpTools, type LoadMcpResult, type TextFile } from "./load.js";
export {
  mcpToolContract,
  dslToolName,
  jsonTypeOf,
  MCP_CONTENT_RESULT_SCHEMA,
  type McpContractInput,
  type McpToolSettings,
} from "./contract.js";
export {
  MCP_LOCK_FILE,
  MCP_LOCK_FORMAT,
  McpLockError,
  lockPath,
  readMcpText,
  MAX_MCP_FILE_BYTES,
  parseMcpLock,
  readMcpLock,
  serializeMcpLock,
  updateMcpLock,
  type LockedTool,
  type McpLock,
} from "./lock.js";
export { mcpSchemaValidator, schemaErrorLines } from "./schema.js";
