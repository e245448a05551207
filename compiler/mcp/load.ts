/**
 * A project's MCP tools, for the checker: the servers `symbi.toml` declares (`[mcp.servers.*]`,
 * read by config/mcp.ts's readMcpServer) and the definitions `mcp.lock.json` pins for them,
 * turned into contracts (contract.ts). Nothing is started: a project is checked, edited and
 * built from its pins; `symbi tools pin` is what lists servers, and `symbi exec` compares the
 * pins with what each server lists when the run starts.
 *
 * Every problem is a located diagnostic: a server table at its key in `symbi.toml` (E0800), a
 * server without pins (E0801), a damaged lock file (E0802), an unusable tool (E0803), two tools
 * with one name (E0804), pins of a server no longer declared (W0800).
 */
import { readMcpServer, type McpServerSettings } from "../../config/mcp.js";
import type { Span } from "../../grammar/span.js";
import { diagnostic, sortDiagnostics, type Diagnostic } from "../diagnostics/model.js";
import type { ToolContract } from "../contracts/model.js";
import { parseTomlSource } from "../contracts/toml-source.js";
import { TomlLocator } from "../../formats/toml-locator.js";
import { mcpToolContract } from "./contract.js";
import { McpLockError, parseMcpLock, type McpLock } from "./lock.js";

export interface TextFile {
  file: string;
  text: string;
}

export interface LoadMcpResult {
  /** Tool name in Symbiont code → contract (with `mcp` set). */
  contracts: Map<string, ToolContract>;
  /** The declared servers that could be read, by name. */
  servers: Map<string, McpServerSettings>;
  diagnostics: Diagnostic[];
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const START: Span = { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };

/**
 * The MCP tools of a project from the texts of its `symbi.toml` and `mcp.lock.json` (either may
 * be absent). A `symbi.toml` that is not TOML is left to the configuration's own error.
 */
export function loadMcpTools(config: TextFile | undefined, lockFile: TextFile | undefined): LoadMcpResult {
  const out: LoadMcpResult = { contracts: new Map(), servers: new Map(), diagnostics: [] };
  let servers: Record<string, unknown> = {};
  let locator = new TomlLocator("");
  if (config) {
    const src = parseTomlSource(config.text, config.file);
    if (src.ok) {
      locator = src.locator;
      const mcp = src.value["mcp"];
      if (isTable(mcp) && mcp["servers"] !== undefined) {
        if (isTable(mcp["servers"])) servers = mcp["servers"];
        else
          out.diagnostics.push(
            diagnostic({
              code: "E0800",
              message: "[mcp] servers is a table of servers: [mcp.servers.NAME]",
              file: config.file,
              span: locator.key(["mcp", "servers"]),
            }),
          );
      }
    }
  }
  let lock: McpLock = { servers: {} };
  if (lockFile) {
    try {
      lock = parseMcpLock(lockFile.text, lockFile.file);
    } catch (e) {
      if (!(e instanceof McpLockError)) throw e;
      out.diagnostics.push(diagnostic({ code: "E0802", message: e.message, file: lockFile.file, span: START }));
    }
  }
  const names = Object.keys(servers).sort();
  if (names.length === 0 && Object.keys(lock.servers).length === 0) return out;
  const file = config?.file ?? "symbi.toml";
  const firstSeen = new Map<string, { server: string; span: Span }>();
  for (const name of names) {
    const headerSpan = locator.key(["mcp", "servers", name]);
    const read = readMcpServer(name, servers[name]);
    for (const p of read.problems)
      out.diagnostics.push(
        diagnostic({
          code: "E0800",
          message: `server \`${name}\`: ${p.message}`,
          file,
          span: p.path.length > 0 ? locator.key(["mcp", "servers", name, ...p.path]) : headerSpan,
        }),
      );
    const server = read.server;
    if (!server) continue;
    out.servers.set(name, server);
    const pinned = lock.servers[name]?.tools ?? {};
    const wanted = server.tools ?? Object.keys(pinned);
    const missing = server.tools
      ? server.tools.filter((t) => !Object.hasOwn(pinned, t))
      : Object.keys(pinned).length === 0
        ? ["(all)"]
        : [];
    if (missing.length > 0) {
      out.diagnostics.push(
        diagnostic({
          code: "E0801",
          message:
            missing[0] === "(all)"
              ? `the tools of server \`${name}\` are not pinned`
              : `tool${missing.length === 1 ? "" : "s"} ${missing.map((t) => JSON.stringify(t)).join(", ")} of server \`${name}\` ${missing.length === 1 ? "is" : "are"} not pinned`,
          file,
          span: headerSpan,
          help: `review them with \`symbi tools list\`, then run \`symbi tools pin ${name}\``,
        }),
      );
    }
    for (const toolName of [...wanted].sort()) {
      const locked = pinned[toolName];
      if (!locked) continue;
      const r = mcpToolContract({ server, locked, file, span: headerSpan });
      for (const message of r.problems)
        out.diagnostics.push(diagnostic({ code: "E0803", message, file, span: headerSpan }));
      const c = r.contract;
      if (!c) continue;
      const first = firstSeen.get(c.name);
      if (first) {
        out.diagnostics.push(
          diagnostic({
            code: "E0804",
            message: `tool \`${c.name}\` of server \`${name}\` has the name of a tool of server \`${first.server}\``,
            file,
            span: headerSpan,
            help: "give one of the servers a `prefix`, or leave one tool out with `tools = [...]`",
            related: [{ file, span: first.span, message: "first declared here" }],
          }),
        );
        continue;
      }
      firstSeen.set(c.name, { server: name, span: headerSpan });
      out.contracts.set(c.name, c);
    }
  }
  for (const s of Object.keys(lock.servers).sort()) {
    if (Object.hasOwn(servers, s)) continue;
    out.diagnostics.push(
      diagnostic({
        code: "W0800",
        message: `${lockFile!.file} pins tools of server \`${s}\`, which symbi.toml does not declare`,
        file: lockFile!.file,
        span: START,
        help: `remove them with \`symbi tools unpin --server ${s}\``,
      }),
    );
  }
  out.diagnostics = sortDiagnostics(out.diagnostics);
  return out;
}
