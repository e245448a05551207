/**
 * `mcp.lock.json`, beside `symbi.toml`: the definitions of the MCP tools the project has pinned
 * (`symbi tools pin`), each with its hash and, when it was signed, its SchemaPin signer. The
 * checker types calls from these definitions (no server is started to check or edit a project),
 * `symbic build` copies them into the bundles, and `symbi exec` refuses a tool whose live
 * definition is no longer the pinned one. The file belongs in version control: a changed
 * description or schema shows up in review as a diff of this file.
 *
 * Writes are atomic and serialised (schemapin/atomic-file.ts: a lock file, a temporary file,
 * fsync, rename): a crash leaves the old pins or the new ones, never a torn file, and two
 * processes pinning at once keep both sets of pins. A lock file that cannot be parsed is an
 * error, never "no pins".
 */
import { join } from "node:path";
import { BoundedReadError, readBounded } from "../../formats/bounded-read.js";
import { isPlainObject } from "../../formats/json.js";
import { DefinitionError, definitionHash, toolDefinition, type McpToolDefinition } from "../../formats/mcp.js";
import { ExitCode } from "../../formats/exit-codes.js";
import { withFileLock, writeFileAtomic } from "../../schemapin/atomic-file.js";
import { fsErrorText } from "../../schemapin/errors.js";

export const MCP_LOCK_FILE = "mcp.lock.json";
export const MCP_LOCK_FORMAT = "symbi-mcp-lock/1";

export interface LockedTool {
  definition: McpToolDefinition;
  hash: string;
  pinnedAt: string;
  signature?: { domain: string; fingerprint: string };
}

export interface McpLock {
  /** Server name → the server's tool names → the pinned tool. */
  servers: Record<string, { tools: Record<string, LockedTool> }>;
}

/** The lock file cannot be read, parsed or written: exit 1 (I/O) or 3 (damaged). */
export class McpLockError extends Error {
  override readonly name = "McpLockError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.CheckFailed,
  ) {
    super(message);
  }
}

/**
 * The largest `mcp.lock.json` (or `symbi.toml`) read: many definitions of up to 1 MiB each fit,
 * a file without end (a device, a FIFO) does not.
 */
export const MAX_MCP_FILE_BYTES = 64 * 1024 * 1024;

/** The text of the lock file or of `symbi.toml`, read with the bound above. Throws BoundedReadError. */
export function readMcpText(file: string): string {
  return readBounded(file, MAX_MCP_FILE_BYTES).toString("utf8");
}

export function lockPath(projectDir: string): string {
  return join(projectDir, MCP_LOCK_FILE);
}

const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;

/** Parses the lock file's text. Throws McpLockError naming the first problem. */
export function parseMcpLock(text: string, file: string): McpLock {
  const bad = (why: string): never => {
    throw new McpLockError(`${file} is damaged (${why}); restore it from version control or pin again`);
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    bad(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(v) || v["format"] !== MCP_LOCK_FORMAT) return bad(`not a ${MCP_LOCK_FORMAT} file`);
  const servers = v["servers"];
  if (!isPlainObject(servers)) return bad(`"servers" must be an object`);
  const out: McpLock = { servers: {} };
  for (const [server, entry] of Object.entries(servers)) {
    if (!isPlainObject(entry) || !isPlainObject(entry["tools"])) return bad(`server ${server} needs "tools"`);
    const tools: Record<string, LockedTool> = {};
    for (const [name, t] of Object.entries(entry["tools"])) {
      const where = `${server}.${name}`;
      if (!isPlainObject(t)) return bad(`${where} is not an object`);
      let definition: McpToolDefinition;
      try {
        definition = toolDefinition(t["definition"]);
      } catch (e) {
        return bad(`${where}: ${(e as DefinitionError).message}`);
      }
      if (definition.name !== name) return bad(`${where} holds the definition of ${JSON.stringify(definition.name)}`);
      if (t["hash"] !== definitionHash(definition)) return bad(`${where}: its hash does not match its definition`);
      if (typeof t["pinnedAt"] !== "string") return bad(`${where} needs "pinnedAt"`);
      const locked: LockedTool = { definition, hash: t["hash"] as string, pinnedAt: t["pinnedAt"] };
      const sig = t["signature"];
      if (sig !== undefined) {
        if (
          !isPlainObject(sig) ||
          typeof sig["domain"] !== "string" ||
          typeof sig["fingerprint"] !== "string" ||
          !FINGERPRINT.test(sig["fingerprint"])
        )
          return bad(`${where}: "signature" needs a domain and a key fingerprint`);
        locked.signature = { domain: sig["domain"], fingerprint: sig["fingerprint"] };
      }
      tools[name] = locked;
    }
    out.servers[server] = { tools };
  }
  return out;
}

/** The text of a lock: servers and tools sorted, each definition as the server listed it. */
export function serializeMcpLock(lock: McpLock): string {
  const servers: Record<string, unknown> = {};
  for (const s of Object.keys(lock.servers).sort()) {
    const tools: Record<string, unknown> = {};
    const entry = lock.servers[s]!;
    for (const t of Object.keys(entry.tools).sort()) {
      const l = entry.tools[t]!;
      tools[t] = {
        hash: l.hash,
        pinnedAt: l.pinnedAt,
        ...(l.signature ? { signature: l.signature } : {}),
        definition: l.definition,
      };
    }
    servers[s] = { tools };
  }
  return JSON.stringify({ format: MCP_LOCK_FORMAT, servers }, null, 2) + "\n";
}

/** The project's pins; no pins when the file does not exist. Throws McpLockError. */
export function readMcpLock(projectDir: string): McpLock {
  const file = lockPath(projectDir);
  let text: string;
  try {
    text = readMcpText(file);
  } catch (e) {
    if (e instanceof BoundedReadError) {
      if (e.code === "ENOENT") return { servers: {} };
      throw new McpLockError(e.message, ExitCode.Error);
    }
    throw new McpLockError(`cannot read ${file}: ${fsErrorText(e)}`, ExitCode.Error);
  }
  return parseMcpLock(text, file);
}

/**
 * Changes the project's pins: under the lock file's lock, re-reads it, applies `change` and
 * replaces it atomically (when `change` returns true). Returns the pins as written.
 */
export function updateMcpLock(projectDir: string, change: (lock: McpLock) => boolean): McpLock {
  const file = lockPath(projectDir);
  try {
    return withFileLock(file, () => {
      const lock = readMcpLock(projectDir);
      if (change(lock)) writeFileAtomic(file, serializeMcpLock(lock), 0o644);
      return lock;
    });
  } catch (e) {
    if (e instanceof McpLockError) throw e;
    throw new McpLockError((e as Error).message, ExitCode.Error);
  }
}
