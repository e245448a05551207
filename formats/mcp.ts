/**
 * MCP tools as the compiler pins them and the runtime checks them (docs/bundle.md, "MCP tools"):
 *
 * - a tool's **definition** — what a server lists for it and what a person approves: its name,
 *   title, description, input and output schemas and annotations (its `_meta`, icons and other
 *   display fields are not part of it);
 * - the definition's **hash**: `sha256:` + the hex SHA-256 of its canonical JSON (RFC 8785), so
 *   key order and whitespace never matter and any change of a value does;
 * - **what changed** between a pinned definition and the one a server lists now, field by field,
 *   for the messages that refuse a changed tool;
 * - the **server declarations** (`[mcp.servers.NAME]` of `symbi.toml`: how to start or reach a
 *   server) and `mcp.json`, the file of a bundle that carries the servers and pinned tools of one
 *   agent.
 *
 * The compiler writes these (compiler/mcp, compiler/emit), the configuration reads declarations
 * (config/mcp.ts), the runtime reads and checks them (runtime/mcp, runtime/exec).
 */
import { canonicalJson, isPlainObject } from "./json.js";
import { sha256Hex } from "./digest.js";
import type { SandboxTier } from "./sandbox-manifest.js";

export const MCP_BUNDLE_FILE = "mcp.json";
export const MCP_BUNDLE_FORMAT = "symbi-mcp/v1";

/** The fields of a tool that make up its definition, in the order messages list changes. */
export const DEFINITION_FIELDS = [
  "name",
  "title",
  "description",
  "inputSchema",
  "outputSchema",
  "annotations",
] as const;
export type DefinitionField = (typeof DEFINITION_FIELDS)[number];

export interface McpToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** Limits on what a definition may hold (a server is not trusted to be small). */
export const MAX_TOOL_NAME_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 64 * 1024;
export const MAX_DEFINITION_BYTES = 1024 * 1024;

/** Why a listed tool cannot be used as a definition. */
export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

/**
 * The definition of a tool as a server lists it (`tools/list`): the definition fields, checked;
 * everything else (`_meta`, `icons`, `execution`, …) left out. Throws DefinitionError.
 */
export function toolDefinition(listed: unknown): McpToolDefinition {
  if (!isPlainObject(listed)) throw new DefinitionError("a listed tool must be a JSON object");
  const name = listed["name"];
  if (typeof name !== "string" || name === "" || name.length > MAX_TOOL_NAME_LENGTH)
    throw new DefinitionError(`a listed tool needs a "name" of 1 to ${MAX_TOOL_NAME_LENGTH} characters`);
  const out: McpToolDefinition = { name, inputSchema: {} };
  for (const f of ["title", "description"] as const) {
    const v = listed[f];
    if (v === undefined) continue;
    if (typeof v !== "string" || v.length > MAX_DESCRIPTION_LENGTH)
      throw new DefinitionError(
        `tool ${JSON.stringify(name)}: "${f}" must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`,
      );
    out[f] = v;
  }
  const input = listed["inputSchema"];
  if (!isPlainObject(input) || input["type"] !== "object")
    throw new DefinitionError(`tool ${JSON.stringify(name)}: "inputSchema" must be a JSON Schema of type "object"`);
  out.inputSchema = input;
  const output = listed["outputSchema"];
  if (output !== undefined) {
    if (!isPlainObject(output) || output["type"] !== "object")
      throw new DefinitionError(`tool ${JSON.stringify(name)}: "outputSchema" must be a JSON Schema of type "object"`);
    out.outputSchema = output;
  }
  const annotations = listed["annotations"];
  if (annotations !== undefined) {
    if (!isPlainObject(annotations))
      throw new DefinitionError(`tool ${JSON.stringify(name)}: "annotations" must be a JSON object`);
    out.annotations = annotations;
  }
  let text: string;
  try {
    text = canonicalJson(out);
  } catch (e) {
    throw new DefinitionError(
      `tool ${JSON.stringify(name)}: its definition is not plain JSON (${(e as Error).message})`,
    );
  }
  if (Buffer.byteLength(text) > MAX_DEFINITION_BYTES)
    throw new DefinitionError(
      `tool ${JSON.stringify(name)}: its definition is larger than ${MAX_DEFINITION_BYTES} bytes`,
    );
  return out;
}

/** `sha256:<hex>` of the definition's canonical JSON. */
export function definitionHash(d: McpToolDefinition): string {
  return `sha256:${sha256Hex(canonicalJson(d))}`;
}

const HASH = /^sha256:[0-9a-f]{64}$/;

export function isDefinitionHash(v: unknown): v is string {
  return typeof v === "string" && HASH.test(v);
}

/** How a changed value reads in a message: short strings quoted, long ones cut. */
function shown(v: unknown): string {
  if (v === undefined) return "(none)";
  const text = typeof v === "string" ? JSON.stringify(v) : canonicalJson(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Two texts as a change a person can read: the part that differs, with a little context, so an
 * instruction appended to a long description is what the message shows.
 */
function textChange(a: string, b: string): string {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const from = Math.max(0, start - 20);
  const cut = (t: string) => {
    const mid = t.slice(from, t.length - end);
    const body = mid.length > 120 ? `${mid.slice(0, 117)}...` : mid;
    return `${from > 0 ? "..." : ""}${JSON.stringify(body).slice(1, -1)}${end > 0 ? "..." : ""}`;
  };
  return `"${cut(a)}" → "${cut(b)}"`;
}

/** Paths (`/properties/path/type`) where two JSON values differ, at most `limit`. */
function differences(a: unknown, b: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const p = `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (!Object.hasOwn(a, k)) out.push(`${p} added (${shown(b[k])})`);
      else if (!Object.hasOwn(b, k)) out.push(`${p} removed (was ${shown(a[k])})`);
      else differences(a[k], b[k], p, out, limit);
      if (out.length >= limit) return;
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length && out.length < limit; i++) differences(a[i], b[i], `${path}/${i}`, out, limit);
    return;
  }
  if (canonicalJson(a ?? null) !== canonicalJson(b ?? null) || (a === undefined) !== (b === undefined))
    out.push(`${path || "/"} ${shown(a)} → ${shown(b)}`);
}

/**
 * What changed from `pinned` to `live`, one entry per definition field that differs (empty when
 * the two are the same definition): `description: "Reads a file" → "Reads a file; also …"`,
 * `inputSchema: /properties/mode added ({"type":"string"})`.
 */
export function definitionChanges(pinned: McpToolDefinition, live: McpToolDefinition): string[] {
  const out: string[] = [];
  for (const f of DEFINITION_FIELDS) {
    const a = pinned[f];
    const b = live[f];
    if (a === undefined && b === undefined) continue;
    if (a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b)) continue;
    if (typeof a === "string" && typeof b === "string") {
      out.push(`${f}: ${textChange(a, b)}`);
      continue;
    }
    if (typeof a === "string" || typeof b === "string" || a === undefined || b === undefined) {
      out.push(`${f}: ${shown(a)} → ${shown(b)}`);
      continue;
    }
    const paths: string[] = [];
    differences(a, b, "", paths, 4);
    out.push(`${f}: ${paths.join("; ")}`);
  }
  return out;
}

const TIERS: readonly SandboxTier[] = ["process", "tier1", "tier2"];

/** How to start (stdio) or reach (Streamable HTTP) one server. */
export type McpServerDecl =
  | {
      transport: "stdio";
      command: string;
      args: string[];
      /** Variables given to the server (nothing else of the host's environment reaches it). */
      env: Record<string, string>;
      /** Names of the operator's variables passed through at run time (their values are never in a bundle). */
      passEnv: string[];
      /** The weakest tier the server may run in; a run uses its `with` block's sandbox, which must be at least as strong. */
      sandbox: SandboxTier;
      /** The image of a container tier (the server's program must be in it). */
      image?: string;
      /** The memory limit when the server is listed outside a run (`symbi tools list|pin|verify`). */
      maxMemoryMb?: number;
      timeoutSeconds: number;
    }
  | {
      transport: "http";
      url: string;
      /** The operator's variable holding a bearer token for the server (its value is never in a bundle). */
      bearerTokenEnv?: string;
      timeoutSeconds: number;
    };

/** A pinned tool of an agent's bundle. */
export interface McpBundleTool {
  server: string;
  /** The definition as pinned (its `name` is the server's name for the tool). */
  definition: McpToolDefinition;
  hash: string;
  /** The SchemaPin signer when the tool was pinned with a verified signature. */
  signature?: { domain: string; fingerprint: string };
  riskTier: "low" | "medium" | "high";
  humanApproval: boolean;
  groups: string[];
}

/** `mcp.json`: the servers and pinned tools of one agent, by the tools' names in Symbiont code. */
export interface McpBundle {
  format: typeof MCP_BUNDLE_FORMAT;
  servers: Record<string, McpServerDecl>;
  tools: Record<string, McpBundleTool>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;

function problem(origin: string, what: string): never {
  throw new DefinitionError(`${origin}: ${what}`);
}

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** Checks a server declaration as a bundle carries it. Throws DefinitionError. */
export function checkServerDecl(v: unknown, where: string): McpServerDecl {
  if (!isPlainObject(v)) problem(where, "must be an object");
  const timeout = v["timeoutSeconds"];
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > 86400)
    problem(where, "timeoutSeconds must be an integer from 1 to 86400");
  if (v["transport"] === "stdio") {
    const { command, args, env, passEnv, sandbox, image, maxMemoryMb } = v;
    if (typeof command !== "string" || command === "" || command.includes("\0")) problem(where, "needs a command");
    if (!stringArray(args)) problem(where, "args must be a list of strings");
    if (!isPlainObject(env) || !Object.values(env).every((x) => typeof x === "string"))
      problem(where, "env must map names to strings");
    if (!stringArray(passEnv)) problem(where, "passEnv must be a list of names");
    if (!(TIERS as readonly unknown[]).includes(sandbox)) problem(where, "sandbox must be a tier");
    if (image !== undefined && (typeof image !== "string" || image === "")) problem(where, "image must be a string");
    if (maxMemoryMb !== undefined && (typeof maxMemoryMb !== "number" || !Number.isInteger(maxMemoryMb)))
      problem(where, "maxMemoryMb must be an integer");
    return v as unknown as McpServerDecl;
  }
  if (v["transport"] === "http") {
    if (typeof v["url"] !== "string" || !/^https?:\/\//.test(v["url"])) problem(where, "needs an http(s) url");
    if (v["bearerTokenEnv"] !== undefined && typeof v["bearerTokenEnv"] !== "string")
      problem(where, "bearerTokenEnv must be a variable name");
    return v as unknown as McpServerDecl;
  }
  return problem(where, 'transport must be "stdio" or "http"');
}

/** Parses and checks `mcp.json`. Throws DefinitionError naming what is wrong. */
export function parseMcpBundle(text: string, origin: string): McpBundle {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    problem(origin, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(v) || v["format"] !== MCP_BUNDLE_FORMAT)
    problem(origin, `not a ${MCP_BUNDLE_FORMAT} file (rebuild with symbic build)`);
  const servers = v["servers"];
  const tools = v["tools"];
  if (!isPlainObject(servers) || !isPlainObject(tools)) problem(origin, `"servers" and "tools" must be objects`);
  for (const [name, decl] of Object.entries(servers)) {
    if (!IDENT.test(name)) problem(origin, `server name ${JSON.stringify(name)} is not an identifier`);
    checkServerDecl(decl, `${origin}: server ${name}`);
  }
  for (const [name, t] of Object.entries(tools)) {
    const where = `${origin}: tool ${name}`;
    if (!IDENT.test(name)) problem(origin, `tool name ${JSON.stringify(name)} is not an identifier`);
    if (!isPlainObject(t)) problem(where, "must be an object");
    if (typeof t["server"] !== "string" || !Object.hasOwn(servers, t["server"]))
      problem(where, "names a server the file does not declare");
    let d: McpToolDefinition;
    try {
      d = toolDefinition(t["definition"]);
    } catch (e) {
      problem(where, (e as Error).message);
    }
    if (canonicalJson(d) !== canonicalJson(t["definition"]))
      problem(where, "its definition holds fields that are not part of a definition");
    if (!isDefinitionHash(t["hash"]) || t["hash"] !== definitionHash(d))
      problem(where, "its hash does not match its definition");
    const sig = t["signature"];
    if (
      sig !== undefined &&
      (!isPlainObject(sig) ||
        typeof sig["domain"] !== "string" ||
        typeof sig["fingerprint"] !== "string" ||
        !FINGERPRINT.test(sig["fingerprint"]))
    )
      problem(where, "signature must name a domain and a key fingerprint");
    if (!["low", "medium", "high"].includes(t["riskTier"] as string))
      problem(where, "riskTier must be low, medium or high");
    if (typeof t["humanApproval"] !== "boolean") problem(where, "humanApproval must be a boolean");
    if (!stringArray(t["groups"]) || !t["groups"].every((g) => IDENT.test(g)))
      problem(where, "groups must be a list of identifiers");
  }
  return v as unknown as McpBundle;
}
