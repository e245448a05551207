/**
 * The MCP pins `symbic build` builds with (compiler/mcp/README.md, "Pins at build time"):
 *
 * - by default each server the project declares is listed live — started in its own tier's
 *   sandbox by the runtime's listing (runtime/mcp/live-pins.ts), as `symbi tools list` starts
 *   it — and compared with `mcp.lock.json`: a pinned tool that differs refuses the build (exit 3),
 *   a server that cannot be listed refuses it (exit 1), a tool the lock does not pin is pinned
 *   from the listing and reported as not reviewed;
 * - with `--offline` no server is started: the bundles pin exactly `mcp.lock.json`.
 *
 * This is the one place the compiler's CLI reaches into the runtime (README "Layout",
 * test/architecture/layers.test.ts): the runtime module, and with it the MCP SDK and the sandbox
 * drivers, is loaded only for a project that declares servers.
 */
import { join } from "node:path";
import { loadMcpTools, readMcpLock, readMcpText, McpLockError, MCP_LOCK_FILE, type McpLock } from "../mcp/index.js";
import { ExitCode, UserError } from "../../formats/exit-codes.js";

/** The names of the servers the project's `symbi.toml` declares (none when it cannot be read: the checker says why). */
function declaredServers(projectDir: string): string[] {
  const file = join(projectDir, "symbi.toml");
  let text: string;
  try {
    text = readMcpText(file);
  } catch {
    return [];
  }
  return [...loadMcpTools({ file, text }, undefined).servers.keys()].sort();
}

const short = (hash: string) => `${hash.slice(0, 19)}…`;

/**
 * The pins to build `projectDir` with: undefined to build from `mcp.lock.json` as it is (no
 * servers, or `--offline`). `say` receives the lines that list each server and its tools.
 * Throws UserError for drift (exit 3) and servers that cannot be listed (exit 1).
 */
export async function mcpPinsForBuild(
  projectDir: string,
  offline: boolean,
  say: (line: string) => void,
): Promise<McpLock | undefined> {
  const names = declaredServers(projectDir);
  if (names.length === 0) return undefined;
  if (offline) {
    let lock: McpLock;
    try {
      lock = readMcpLock(projectDir);
    } catch (e) {
      if (e instanceof McpLockError) return undefined; // the checker reports the damaged file (E0802)
      throw e;
    }
    for (const n of names) {
      const tools = Object.entries(lock.servers[n]?.tools ?? {});
      say(
        `MCP server \`${n}\`: not started (--offline); ${tools.length} tool${tools.length === 1 ? "" : "s"} from ${MCP_LOCK_FILE}`,
      );
      for (const [t, l] of tools)
        say(`  ${t} ${short(l.hash)}${l.signature ? ` signed by ${l.signature.domain}` : ""}`);
    }
    return undefined;
  }
  const { livePins } = await import("../../runtime/mcp/live-pins.js");
  let r;
  try {
    r = await livePins(projectDir, { env: process.env });
  } catch (e) {
    if (e instanceof McpLockError) throw new UserError(`error: ${e.message}`, e.exitCode);
    throw e;
  }
  if (!r) return undefined;
  for (const s of r.servers) {
    say(`MCP server \`${s.server}\` (${s.where}): listed ${s.tools.length} tool${s.tools.length === 1 ? "" : "s"}`);
    for (const t of s.tools)
      say(
        `  ${t.name} ${short(t.hash)}${t.signedBy ? ` signed by ${t.signedBy}` : ""} — ${
          t.from === "lock"
            ? `as pinned in ${MCP_LOCK_FILE}`
            : `pinned from the listing, not reviewed in ${MCP_LOCK_FILE} (review and keep it: symbi tools pin ${s.server})`
        }`,
      );
  }
  const lines = (l: string[]) => l.map((x) => `error: ${x}`).join("\nsymbic: ");
  if (r.drift.length > 0)
    throw new UserError(
      `${lines(r.drift)}\nsymbic: error: nothing was built: review the change with \`symbi tools list\`; if it is wanted, pin it with \`symbi tools pin\``,
      ExitCode.CheckFailed,
    );
  if (r.failures.length > 0) throw new UserError(lines(r.failures), ExitCode.Error);
  return r.lock;
}
