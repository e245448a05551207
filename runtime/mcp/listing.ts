/**
 * Listing a project's MCP servers outside a run, and comparing what they list with pins — the
 * one implementation behind `symbi tools list|pin|verify`, `symbi doctor` and `symbic build`
 * (runtime/mcp/README.md, "Listing outside a run"):
 *
 * - **the server's own sandbox**: a stdio server is started in a sandbox of the tier its table
 *   names (`sandbox`, the weakest a run may give it), with the default manifest of that tier
 *   (no network, its `max_memory_mb`), its `env` and `pass_env` only — never with more rights
 *   than a run would give it; `symbi doctor` passes the sandbox of the run instead;
 * - **bounded**: starting, the handshake and each page of `tools/list` have a timeout, and the
 *   server is stopped afterwards however the listing ended;
 * - **compared field by field**: each listed tool against its pin — pinned (same hash), new (not
 *   pinned), changed (which fields, formats/mcp.ts definitionChanges), no longer listed, or
 *   unusable (a definition that breaks formats/mcp.ts's rules).
 */
import { findProjectRoot } from "../../compiler/project/root.js";
import { join } from "node:path";
import { loadMcpTools, readMcpText, type LockedTool } from "../../compiler/mcp/index.js";
import type { McpServerSettings } from "../../config/mcp.js";
import { UserError, ExitCode } from "../../formats/exit-codes.js";
import {
  DefinitionError,
  definitionChanges,
  definitionHash,
  toolDefinition,
  type McpToolDefinition,
} from "../../formats/mcp.js";
import { defaultSandboxManifest, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import type { CreateSandboxOptions } from "../sandbox/create.js";
import { McpConnection } from "./connection.js";
import { DEFAULT_MCP_MAX_MESSAGE_BYTES, MCP_CONNECT_TIMEOUT_MS, spawnServer } from "./servers.js";

export interface ListServerOptions {
  /** The project folder: a process-tier server's working directory. */
  root: string;
  /** The operator's environment (`pass_env`, `bearer_token_env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** The sandbox a stdio server runs in (default: its own tier's, serverSandbox). */
  sandbox?: SandboxManifest;
  sandboxOptions?: CreateSandboxOptions;
  /** Bound on starting + handshake, and on each page of the listing (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The sandbox a stdio server is listed in outside a run: the default manifest of its own tier. */
export function serverSandbox(s: McpServerSettings, timeoutMs = MCP_CONNECT_TIMEOUT_MS): SandboxManifest {
  const decl = s.decl;
  if (decl.transport !== "stdio") throw new Error(`MCP server \`${s.name}\` is not a stdio server`);
  return defaultSandboxManifest({
    agent: `mcp_${s.name}`,
    tier: decl.sandbox,
    ...(decl.image !== undefined ? { image: decl.image } : {}),
    ...(decl.maxMemoryMb !== undefined ? { memoryMb: decl.maxMemoryMb } : {}),
    timeoutMs: 2 * timeoutMs,
  });
}

/**
 * Starts (or reaches) one server, lists every tool it offers and stops it. Throws McpServerError
 * naming the server and why (could not be started, exited, timed out, malformed JSON-RPC, ...).
 */
export async function listServerTools(s: McpServerSettings, o: ListServerOptions): Promise<Record<string, unknown>[]> {
  const decl = s.decl;
  const timeoutMs = o.timeoutMs ?? MCP_CONNECT_TIMEOUT_MS;
  const conn = await McpConnection.open({
    name: s.name,
    decl,
    ...(decl.transport === "stdio"
      ? {
          spawn: (argv: string[]) =>
            spawnServer(s.name, decl, argv, {
              sandbox: o.sandbox ?? serverSandbox(s, timeoutMs),
              ...(o.sandboxOptions ? { sandboxOptions: o.sandboxOptions } : {}),
              baseDir: o.root,
              env: o.env,
              ...(o.signal ? { signal: o.signal } : {}),
            }),
        }
      : {}),
    env: o.env,
    maxMessageBytes: DEFAULT_MCP_MAX_MESSAGE_BYTES,
    connectTimeoutMs: timeoutMs,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  try {
    return await conn.listTools(timeoutMs, o.signal);
  } finally {
    await conn.close();
  }
}

/** One tool of a server as listed now, against its pin. */
export interface ToolComparison {
  /** The tool's name on its server. */
  name: string;
  /**
   * pinned: listed with the pinned definition; new: listed, not pinned; changed: listed with
   * another definition; missing: pinned (or named in `tools = [...]`) and not listed; unusable:
   * listed with a definition that breaks the rules of formats/mcp.ts.
   */
  status: "pinned" | "new" | "changed" | "missing" | "unusable";
  /** The definition as listed now (absent for missing and unusable tools). */
  definition?: McpToolDefinition;
  /** The listed tool as sent (for its signature). */
  listed?: Record<string, unknown>;
  pin?: LockedTool;
  /** What changed, one entry per field (changed), or why it cannot be used (unusable, missing). */
  changes: string[];
}

/**
 * Each tool a server lists now (those `tools = [...]` names, when set) against `pins` (the
 * server's tools in mcp.lock.json or in a bundle), and each pin no longer listed. Sorted by name.
 */
export function compareWithPins(
  s: McpServerSettings,
  listed: Record<string, unknown>[],
  pins: Readonly<Record<string, LockedTool>>,
): ToolComparison[] {
  const out: ToolComparison[] = [];
  const seen = new Set<string>();
  for (const t of listed) {
    const name = typeof t["name"] === "string" ? t["name"] : "(no name)";
    if (s.tools && !s.tools.includes(name)) continue;
    seen.add(name);
    const pin = pins[name];
    let d: McpToolDefinition;
    try {
      d = toolDefinition(t);
    } catch (e) {
      if (!(e instanceof DefinitionError)) throw e;
      out.push({ name, status: "unusable", listed: t, ...(pin ? { pin } : {}), changes: [e.message] });
      continue;
    }
    if (!pin) out.push({ name, status: "new", definition: d, listed: t, changes: [] });
    else if (pin.hash === definitionHash(d))
      out.push({ name, status: "pinned", definition: d, listed: t, pin, changes: [] });
    else
      out.push({
        name,
        status: "changed",
        definition: d,
        listed: t,
        pin,
        changes: definitionChanges(pin.definition, d),
      });
  }
  const expected = new Set([...Object.keys(pins), ...(s.tools ?? [])]);
  for (const name of expected) {
    if (seen.has(name) || (s.tools && !s.tools.includes(name))) continue;
    out.push({
      name,
      status: "missing",
      ...(pins[name] ? { pin: pins[name] } : {}),
      changes: ["the server does not list it"],
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A comparison as one line of text: `pinned`, `new`, `changed — description: "…" → "…"`, ... */
export function describeComparison(c: ToolComparison): string {
  switch (c.status) {
    case "pinned":
    case "new":
      return c.status;
    case "changed":
      return `changed — ${c.changes.join("; ")}`;
    case "missing":
      return c.pin ? "pinned but no longer listed" : "named in `tools` but not listed";
    case "unusable":
      return `unusable — ${c.changes.join("; ")}`;
  }
}

export interface ProjectMcpServers {
  root: string;
  /** `symbi.toml` of the project. */
  file: string;
  servers: Map<string, McpServerSettings>;
}

/**
 * The servers a project's `symbi.toml` declares (all, or those named). A server table with
 * problems refuses (exit 3, located); so does a name the file does not declare (exit 1).
 */
export function projectMcpServers(dir: string | undefined, names: readonly string[] = []): ProjectMcpServers {
  const root = findProjectRoot(dir ?? process.cwd());
  const file = join(root, "symbi.toml");
  let text: string;
  try {
    text = readMcpText(file);
  } catch {
    throw new UserError(`${file}: cannot be read; MCP servers are declared there ([mcp.servers.NAME])`);
  }
  const loaded = loadMcpTools({ file, text }, undefined);
  const bad = loaded.diagnostics.find((d) => d.code === "E0800");
  if (bad) throw new UserError(`${bad.file}:${bad.span.line}:${bad.span.col}: ${bad.message}`, ExitCode.CheckFailed);
  for (const n of names) if (!loaded.servers.has(n)) throw new UserError(`${file} declares no MCP server \`${n}\``);
  const servers = new Map([...loaded.servers].filter(([n]) => names.length === 0 || names.includes(n)));
  return { root, file, servers };
}
