import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
/** The scripted MCP server of the tests, its tools read from `toolsFile` on every request. */
export declare function scriptedServer(toolsFile: string): Server;
