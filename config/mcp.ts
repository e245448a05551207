/**
 * `[mcp]`: the MCP servers of a project, whose tools become tools of the project
 * (compiler/mcp/README.md). Declared by the project only (`projectOnly`): its code is compiled
 * against their tools, and a bundle carries how to start or reach each one.
 *
 * ```toml
 * [mcp.servers.files]            # a server started over stdio, inside a sandbox
 * command = "node"
 * args = ["servers/files.mjs"]
 * sandbox = "process"            # the weakest tier it runs in (required for stdio servers)
 * timeout_seconds = 30           # per call (default 60)
 *
 * [mcp.servers.search]           # a server reached over Streamable HTTP
 * url = "https://mcp.example.com/mcp"
 * bearer_token_env = "SEARCH_TOKEN"
 * ```
 *
 * `readMcpServer` is the one reading of a server table: the configuration loader checks with it
 * (one message per problem) and the compiler reads with it (each problem at its place in
 * `symbi.toml`).
 */
import { isPlainObject } from "../formats/json.js";
import type { McpServerDecl } from "../formats/mcp.js";
import { isLoaderVariable, type SandboxTier } from "../formats/sandbox-manifest.js";
import { closestName } from "../grammar/suggest.js";
import { sandboxTierFromDsl } from "../stdlib/with-attributes.js";
import { bool, pathList, path, section, type KeySpec, type SectionValues } from "./schema.js";

export type McpRiskTier = "low" | "medium" | "high";

/** One `[mcp.servers.NAME]` table, read. */
export interface McpServerSettings {
  name: string;
  decl: McpServerDecl;
  /** `tools = [...]`: the server's tools the project takes (all when absent). */
  tools?: string[];
  /** `prefix`: put before each tool's name to make its name in Symbiont code. */
  prefix: string;
  riskTier: McpRiskTier;
  humanApproval: boolean;
  /** Action groups every tool of the server joins (as `[tool.policy] groups` does for a contract). */
  groups: string[];
}

export interface ServerProblem {
  /** The key path inside the server's table (`["args", 0]`); empty for the table itself. */
  path: Array<string | number>;
  message: string;
}

export const DEFAULT_MCP_TIMEOUT_SECONDS = 60;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const SERVER_KEYS = [
  "command",
  "args",
  "env",
  "pass_env",
  "sandbox",
  "image",
  "max_memory_mb",
  "url",
  "bearer_token_env",
  "timeout_seconds",
  "tools",
  "prefix",
  "risk_tier",
  "human_approval",
  "groups",
] as const;
const STDIO_ONLY = ["command", "args", "env", "pass_env", "sandbox", "image", "max_memory_mb"];
const HTTP_ONLY = ["url", "bearer_token_env"];

/** Whether `host` names this machine's loopback interface (plain HTTP is allowed only there). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Reads `[mcp.servers.NAME]`: the server, or the problems that make it unusable (each at its key). */
export function readMcpServer(name: string, raw: unknown): { server?: McpServerSettings; problems: ServerProblem[] } {
  const problems: ServerProblem[] = [];
  const bad = (path: Array<string | number>, message: string) => problems.push({ path, message });
  if (!IDENT.test(name)) bad([], `server name ${JSON.stringify(name)} is not an identifier (letters, digits, _)`);
  if (!isPlainObject(raw)) {
    bad([], "a server is a table: [mcp.servers.NAME] with `command` (stdio) or `url` (Streamable HTTP)");
    return { problems };
  }
  for (const k of Object.keys(raw)) {
    if ((SERVER_KEYS as readonly string[]).includes(k)) continue;
    const s = closestName(k, SERVER_KEYS);
    bad([k], `unknown key ${k}${s ? ` (did you mean ${s}?)` : ""}`);
  }
  const str = (k: string): string | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "" || v.includes("\0")) {
      bad([k], `${k} must be a non-empty string`);
      return undefined;
    }
    return v;
  };
  const strings = (k: string, check?: (s: string, i: number) => void): string[] | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x.includes("\0"))) {
      bad([k], `${k} must be a list of strings`);
      return undefined;
    }
    (v as string[]).forEach((s, i) => check?.(s, i));
    return v as string[];
  };
  const integer = (k: string, min: number, max: number): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      bad([k], `${k} must be an integer from ${min} to ${max}`);
      return undefined;
    }
    return v;
  };
  const variable = (k: string) => (s: string, i: number) => {
    if (!VARIABLE.test(s)) bad([k, i], `${JSON.stringify(s)} is not an environment variable name`);
    else if (isLoaderVariable(s)) bad([k, i], `${s} steers the loader or the C library and is never given to a server`);
  };

  const command = str("command");
  const url = str("url");
  if (raw["command"] === undefined && raw["url"] === undefined)
    bad([], "a server needs `command` (started over stdio) or `url` (Streamable HTTP)");
  else if (raw["command"] !== undefined && raw["url"] !== undefined)
    bad(["url"], "a server has either `command` (stdio) or `url` (Streamable HTTP), not both");
  const http = raw["url"] !== undefined && raw["command"] === undefined;
  for (const k of http ? STDIO_ONLY : HTTP_ONLY)
    if (raw[k] !== undefined)
      bad([k], `${k} is for servers ${http ? "started over stdio (`command`)" : "reached over HTTP (`url`)"}`);

  const timeoutSeconds = integer("timeout_seconds", 1, 86400) ?? DEFAULT_MCP_TIMEOUT_SECONDS;
  const tools = strings("tools", (s, i) => {
    if (s === "") bad(["tools", i], "a tool name is not empty");
  });
  const prefix = raw["prefix"] === undefined ? "" : (str("prefix") ?? "");
  if (prefix !== "" && !IDENT.test(prefix))
    bad(["prefix"], "prefix must start like an identifier (letters, digits, _)");
  let riskTier: McpRiskTier = "low";
  if (raw["risk_tier"] !== undefined) {
    const r = raw["risk_tier"];
    if (r === "low" || r === "medium" || r === "high") riskTier = r;
    else bad(["risk_tier"], 'risk_tier must be "low", "medium" or "high"');
  }
  let humanApproval = false;
  if (raw["human_approval"] !== undefined) {
    if (typeof raw["human_approval"] === "boolean") humanApproval = raw["human_approval"];
    else bad(["human_approval"], "human_approval must be true or false");
  }
  const groups = strings("groups", (s, i) => {
    if (!IDENT.test(s)) bad(["groups", i], `action group name ${JSON.stringify(s)} is not an identifier`);
  });

  let decl: McpServerDecl | undefined;
  if (http && url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      bad(["url"], `url ${JSON.stringify(url)} is not a URL`);
    }
    if (parsed) {
      if (parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname))
        bad(["url"], "a server beyond this machine is reached over https:// (plain http:// only on loopback)");
      else if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
        bad(["url"], `url must be https:// (or http:// on loopback), not ${parsed.protocol}`);
      else if (parsed.username !== "" || parsed.password !== "")
        bad(["url"], "url must not hold credentials: name a variable in bearer_token_env instead");
    }
    const token = str("bearer_token_env");
    if (token !== undefined && !VARIABLE.test(token))
      bad(["bearer_token_env"], `${JSON.stringify(token)} is not an environment variable name`);
    decl = {
      transport: "http",
      url,
      timeoutSeconds,
      ...(token !== undefined ? { bearerTokenEnv: token } : {}),
    };
  } else if (command !== undefined) {
    const args = strings("args") ?? [];
    const env: Record<string, string> = {};
    const rawEnv = raw["env"];
    if (rawEnv !== undefined) {
      if (!isPlainObject(rawEnv)) bad(["env"], 'env is a table of variables: env = { NAME = "value" }');
      else
        for (const [k, v] of Object.entries(rawEnv)) {
          if (!VARIABLE.test(k)) bad(["env", k], `${JSON.stringify(k)} is not an environment variable name`);
          else if (isLoaderVariable(k))
            bad(["env", k], `${k} steers the loader or the C library and is never given to a server`);
          else if (k === "HOME" || k === "TMPDIR") bad(["env", k], `${k} is the sandbox's own (its private folder)`);
          else if (typeof v !== "string" || v.includes("\0")) bad(["env", k], `env.${k} must be a string`);
          else env[k] = v;
        }
    }
    const passEnv = strings("pass_env", variable("pass_env")) ?? [];
    let sandbox: SandboxTier = "process";
    const tier = raw["sandbox"];
    if (tier === undefined)
      bad(
        [],
        'a stdio server names the sandbox tier it runs in: sandbox = "process" (development), "Tier1" (Docker) or "Tier2" (gVisor)',
      );
    else if (typeof tier !== "string") bad(["sandbox"], "sandbox must be a tier name");
    else {
      const t = sandboxTierFromDsl(tier);
      if (t.ok) sandbox = t.tier;
      else bad(["sandbox"], t.message);
    }
    const image = str("image");
    if (image !== undefined && sandbox === "process" && tier !== undefined)
      bad(
        ["image"],
        "image is for the container tiers (Tier1, Tier2); the process tier runs the command on this machine",
      );
    const maxMemoryMb = integer("max_memory_mb", 4, 1048576);
    decl = {
      transport: "stdio",
      command,
      args,
      env,
      passEnv,
      sandbox,
      timeoutSeconds,
      ...(image !== undefined ? { image } : {}),
      ...(maxMemoryMb !== undefined ? { maxMemoryMb } : {}),
    };
  }
  if (problems.length > 0 || !decl) return { problems };
  return {
    server: {
      name,
      decl,
      ...(tools !== undefined ? { tools } : {}),
      prefix,
      riskTier,
      humanApproval,
      groups: [...new Set(groups ?? [])],
    },
    problems,
  };
}

/** `[mcp.servers]`: a table of server tables, each checked by readMcpServer. */
function serverTable(): KeySpec<Record<string, unknown>> {
  return {
    doc: "The project's MCP servers, one table each: `[mcp.servers.NAME]` with `command` (stdio) or `url` (Streamable HTTP).",
    schema: { type: "object" },
    projectOnly: true,
    check: (v) => {
      const lines: string[] = [];
      for (const [name, raw] of Object.entries(v)) {
        for (const p of readMcpServer(name, raw).problems) lines.push(`${[name, ...p.path].join(".")}: ${p.message}`);
      }
      return lines.length === 0 ? null : `has problems: ${lines.join("; ")}`;
    },
    parseEnv: () => ({ ok: false, problem: "cannot be set from the environment" }),
  };
}

export const mcp = section("mcp", "MCP servers whose tools are tools of the project (declared by the project).", {
  servers: serverTable(),
});
export type McpSettings = SectionValues<typeof mcp>;

/**
 * `[tools]`: how the runtime verifies tool signatures (SchemaPin) — of MCP tools and of the
 * project's own contracts — and whether every tool must be signed.
 */
export const toolVerification = section(
  "tools",
  "Signed tools: SchemaPin verification of MCP tools and tool contracts.",
  {
    require_signed_tools: bool({
      doc: "Every tool an agent calls must carry a SchemaPin signature that verifies (MCP tools and `.clad.toml` contracts alike); an unsigned one is refused.",
      env: "SYMBIONT_REQUIRE_SIGNED_TOOLS",
      default: false,
    }),
    trust_store: path({
      doc: "The trust store of pinned provider keys (default: $SYMBI_TRUST_STORE, else ~/.symbi/trust-store.json).",
      env: "SYMBIONT_TRUST_STORE",
    }),
    discovery_dir: path({
      doc: "A folder of discovery documents (`<domain>.json`, `<domain>.revocations.json`) read before any HTTPS discovery.",
    }),
    trust_bundles: pathList({
      doc: "SchemaPin trust bundles holding discovery and revocation documents (for machines without internet).",
    }),
    revocations: pathList({
      doc: "Revocation documents checked for every key; one that cannot be read refuses the tools it would cover.",
    }),
    ca: path({ doc: "A CA certificate (PEM) trusted for HTTPS discovery." }),
    offline: bool({ doc: "Never fetch discovery documents over HTTPS: only the local sources above.", default: false }),
  },
);
export type ToolsSettings = SectionValues<typeof toolVerification>;
