/** Runtime side of tool contracts: argument validation, argv building, output parsing. */
export {
  validateToolArgs,
  standaloneArgNames,
  type ValidatedArgs,
  type ValidatedValue,
  type ToolArgError,
  type ToolArgsValidation,
  type ValidateOptions,
} from "./validate.js";
export { buildArgv, buildCommand, ToolArgvError, type ArgvOptions, type BuiltCommand } from "./argv.js";
export {
  parseToolOutput,
  prepareOutputSchema,
  schemaWarnings,
  outputHash,
  MAX_OUTPUT_CHARS,
  type ToolRunInfo,
  type ToolEnvelope,
  type ToolOutputResult,
} from "./output.js";
