/**
 * The error of an MCP server or a call to it, in a module of its own: the tool-call path tests for
 * it on every run, and importing it must not load the MCP SDK (connection.ts), which only a run
 * that reaches an MCP server needs.
 */
/** A server (or a call to it) failed; the message names the server. */
export class McpServerError extends Error {
  override readonly name = "McpServerError";
  constructor(
    readonly server: string,
    message: string,
    /** What kind of failure, for the audit log and the agent's `e.details`. */
    readonly reason: "start" | "exited" | "protocol" | "timeout" | "too_large" | "error" | "aborted",
  ) {
    super(message);
  }
}
