import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0800–E0899 (and W0800–W0899): MCP servers (`[mcp.servers.*]` of `symbi.toml`) and their pinned tools (`mcp.lock.json`). */
export const mcpCodes: CodeTable = {
  E0800: {
    severity: "error",
    title: "invalid MCP server",
    explanation:
      "A `[mcp.servers.NAME]` table of `symbi.toml` cannot be used: it needs `command` (a server started over stdio, with the `sandbox` tier it runs in) or `url` (Streamable HTTP), and only the keys compiler/mcp/README.md lists, each of its type.",
  },
  E0801: {
    severity: "error",
    title: "MCP tools not pinned",
    explanation:
      "The project's code is checked against the definitions of a server's tools as they were pinned in `mcp.lock.json` (no server is started to check a project). Run `symbi tools pin SERVER` to list the server's tools and pin them, after reviewing what `symbi tools list` shows.",
  },
  E0802: {
    severity: "error",
    title: "damaged MCP lock file",
    explanation:
      "`mcp.lock.json` is not a lock file this toolchain wrote, or was edited so that a definition no longer matches its hash. Restore it from version control, or pin the servers again.",
  },
  E0803: {
    severity: "error",
    title: "unusable MCP tool",
    explanation:
      "A pinned tool cannot be a tool of the project: its name (with the server's `prefix`) or an argument's name is not an identifier, or its schema cannot be compiled. Leave it out with the server's `tools = [...]`, or give the server a `prefix`.",
  },
  E0804: {
    severity: "error",
    title: "duplicate tool name",
    explanation:
      "Two MCP tools, or an MCP tool and a tool contract, have one name in Symbiont code; calls would be ambiguous. Give one of the servers a `prefix`, or leave one tool out with `tools = [...]`.",
  },
  W0800: {
    severity: "warning",
    title: "pins of an undeclared server",
    explanation:
      "`mcp.lock.json` holds pins of a server that `symbi.toml` no longer declares; they have no effect. Remove them with `symbi tools unpin --server NAME`.",
  },
};
