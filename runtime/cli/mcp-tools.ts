/**
 * `symbi tools list|pin` for MCP servers, and `symbi tools unpin --server`:
 *   list  — start (or reach) each server `symbi.toml` declares, list its tools and show each
 *           against `mcp.lock.json`: new, pinned, or changed (and what changed); signed or not
 *   pin   — the same listing, each signed tool's SchemaPin signature verified (its key pinned on
 *           first use in the trust store), then the definitions written to `mcp.lock.json`
 *           (atomically); a signature that fails refuses the server's pins (exit 3)
 *   unpin --server NAME [TOOL] — remove pins from `mcp.lock.json`
 * The compiler checks and builds from the lock file (compiler/mcp); `symbi exec` compares it,
 * through the bundle, with what each server lists when a run starts.
 */
import type { Command } from "commander";
import { join } from "node:path";
import { findProjectRoot } from "../../compiler/project/root.js";
import {
  loadMcpTools,
  lockPath,
  readMcpLock,
  readMcpText,
  updateMcpLock,
  McpLockError,
  MCP_LOCK_FILE,
  type LockedTool,
} from "../../compiler/mcp/index.js";
import type { McpServerSettings } from "../../config/mcp.js";
import { toolVerification, type Config } from "../../config/index.js";
import { ExitCode, UserError } from "../../formats/exit-codes.js";
import {
  DefinitionError,
  definitionChanges,
  definitionHash,
  toolDefinition,
  type McpToolDefinition,
} from "../../formats/mcp.js";
import { defaultSandboxManifest } from "../../formats/sandbox-manifest.js";
import { SchemaPinError } from "../../schemapin/errors.js";
import { McpConnection, McpServerError } from "../mcp/connection.js";
import { DEFAULT_MCP_MAX_MESSAGE_BYTES, MCP_CONNECT_TIMEOUT_MS, spawnServer } from "../mcp/servers.js";
import { listedSignature, verifyToolSignature } from "../mcp/signature.js";
import { ExitStatus } from "./errors.js";
import { addVerificationOptions, verifierFromFlags, type VerificationFlags } from "./schemapin-options.js";
import { commandConfig } from "./settings.js";

/** The SchemaPin settings of `[tools]`, under the command's own flags. */
export function verificationFlags(config: Config, flags: VerificationFlags = {}): VerificationFlags {
  const t = config.values(toolVerification);
  const out: VerificationFlags = { ...flags };
  if (out.trustStore === undefined && t.trust_store !== undefined) out.trustStore = t.trust_store;
  if (out.discoveryDir === undefined && t.discovery_dir !== undefined) out.discoveryDir = t.discovery_dir;
  if ((out.trustBundle ?? []).length === 0 && t.trust_bundles !== undefined) out.trustBundle = [...t.trust_bundles];
  if ((out.revocations ?? []).length === 0 && t.revocations !== undefined) out.revocations = [...t.revocations];
  if (out.ca === undefined && t.ca !== undefined) out.ca = t.ca;
  if (out.offline === undefined && t.offline === true) out.offline = true;
  return out;
}

interface ProjectServers {
  root: string;
  servers: Map<string, McpServerSettings>;
}

/** The servers `symbi.toml` declares; a server table with problems refuses the command (exit 3). */
function projectServers(dir: string | undefined, names: string[]): ProjectServers {
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
  if (loaded.servers.size === 0) throw new UserError(`${file} declares no MCP servers ([mcp.servers.NAME])`);
  for (const n of names) if (!loaded.servers.has(n)) throw new UserError(`${file} declares no MCP server \`${n}\``);
  const servers = new Map([...loaded.servers].filter(([n]) => names.length === 0 || names.includes(n)));
  return { root, servers };
}

/** Starts one server (in its own tier's sandbox) and lists its tools. */
async function listServer(root: string, s: McpServerSettings): Promise<Record<string, unknown>[]> {
  const decl = s.decl;
  const conn = await McpConnection.open({
    name: s.name,
    decl,
    ...(decl.transport === "stdio"
      ? {
          spawn: (argv: string[]) =>
            spawnServer(s.name, decl, argv, {
              sandbox: defaultSandboxManifest({
                agent: `mcp_${s.name}`,
                tier: decl.sandbox,
                ...(decl.image !== undefined ? { image: decl.image } : {}),
                ...(decl.maxMemoryMb !== undefined ? { memoryMb: decl.maxMemoryMb } : {}),
                timeoutMs: 2 * MCP_CONNECT_TIMEOUT_MS,
              }),
              baseDir: root,
              env: process.env,
            }),
        }
      : {}),
    env: process.env,
    maxMessageBytes: DEFAULT_MCP_MAX_MESSAGE_BYTES,
    connectTimeoutMs: MCP_CONNECT_TIMEOUT_MS,
  });
  try {
    return await conn.listTools(MCP_CONNECT_TIMEOUT_MS);
  } finally {
    await conn.close();
  }
}

interface ListedTool {
  name: string;
  definition?: McpToolDefinition;
  problem?: string;
  listed: Record<string, unknown>;
}

function readListed(s: McpServerSettings, listed: Record<string, unknown>[]): ListedTool[] {
  const out: ListedTool[] = [];
  for (const t of listed) {
    const name = typeof t["name"] === "string" ? t["name"] : "(no name)";
    if (s.tools && !s.tools.includes(name)) continue;
    try {
      out.push({ name, definition: toolDefinition(t), listed: t });
    } catch (e) {
      if (!(e instanceof DefinitionError)) throw e;
      out.push({ name, problem: e.message, listed: t });
    }
  }
  for (const wanted of s.tools ?? [])
    if (!out.some((t) => t.name === wanted))
      out.push({ name: wanted, problem: "the server does not list it", listed: {} });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function status(pinned: LockedTool | undefined, d: McpToolDefinition): string {
  if (!pinned) return "new";
  if (pinned.hash === definitionHash(d)) return "pinned";
  return `changed — ${definitionChanges(pinned.definition, d).join("; ")}`;
}

export function registerMcpTools(tools: Command): void {
  tools
    .command("list")
    .description("list the tools of the project's MCP servers and compare them with mcp.lock.json")
    .argument("[servers...]", "servers to list (default: every server symbi.toml declares)")
    .option("--project <dir>", "the project folder (default: found from the current directory)")
    .option("--format <format>", "pretty or json", "pretty")
    .action(async (names: string[], opts: { project?: string; format: string }) => {
      if (opts.format !== "pretty" && opts.format !== "json")
        throw new UserError(`unknown --format '${opts.format}' (expected pretty or json)`);
      const { root, servers } = projectServers(opts.project, names);
      const lock = readMcpLock(root);
      const report: Record<string, unknown>[] = [];
      let failed = false;
      for (const [name, s] of servers) {
        let listed;
        try {
          listed = await listServer(root, s);
        } catch (e) {
          if (!(e instanceof McpServerError)) throw e;
          failed = true;
          process.stderr.write(`symbi: error: ${e.message}\n`);
          report.push({ server: name, error: e.message });
          continue;
        }
        const pins = lock.servers[name]?.tools ?? {};
        for (const t of readListed(s, listed)) {
          let sig: string;
          try {
            const ls = listedSignature(t.listed);
            sig = ls ? `signed by ${ls.domain}` : "unsigned";
          } catch (e) {
            sig = (e as Error).message;
          }
          const st = t.definition ? status(pins[t.name], t.definition) : `unusable — ${t.problem}`;
          report.push({
            server: name,
            tool: t.name,
            status: st,
            signature: sig,
            description: t.definition?.description,
          });
          if (opts.format === "pretty")
            process.stdout.write(
              `${name}.${t.name}: ${st} (${sig})${t.definition?.description ? `\n    ${JSON.stringify(t.definition.description)}` : ""}\n`,
            );
        }
      }
      if (opts.format === "json") process.stdout.write(JSON.stringify({ tools: report }, null, 2) + "\n");
      if (failed) throw new ExitStatus(ExitCode.Error);
    });

  addVerificationOptions(
    tools
      .command("pin")
      .description(`list the project's MCP servers and pin their tools' definitions in ${MCP_LOCK_FILE}`)
      .argument("[servers...]", "servers to pin (default: every server symbi.toml declares)")
      .option("--project <dir>", "the project folder (default: found from the current directory)"),
  ).action(async (names: string[], opts: VerificationFlags & { project?: string }) => {
    const { root, servers } = projectServers(opts.project, names);
    const config = commandConfig(root);
    const requireSigned = config.values(toolVerification).require_signed_tools === true;
    let verifier: Awaited<ReturnType<typeof verifierFromFlags>>["verifier"] | undefined;
    const now = new Date().toISOString();
    let failed = 0;
    for (const [name, s] of servers) {
      let listed;
      try {
        listed = await listServer(root, s);
      } catch (e) {
        if (!(e instanceof McpServerError)) throw e;
        throw new UserError(e.message);
      }
      const pins: Record<string, LockedTool> = {};
      const problems: string[] = [];
      for (const t of readListed(s, listed)) {
        if (!t.definition) {
          problems.push(`${name}.${t.name}: ${t.problem}`);
          continue;
        }
        const locked: LockedTool = { definition: t.definition, hash: definitionHash(t.definition), pinnedAt: now };
        try {
          const sig = listedSignature(t.listed);
          if (sig) {
            verifier ??= (await verifierFromFlags(verificationFlags(config, opts))).verifier;
            const r = await verifyToolSignature(verifier, t.definition, sig);
            locked.signature = { domain: r.domain, fingerprint: r.fingerprint };
          } else if (requireSigned) {
            throw new SchemaPinError("SIGNATURE_INVALID", "it is not signed and [tools] require_signed_tools is true");
          }
        } catch (e) {
          if (!(e instanceof SchemaPinError)) throw e;
          problems.push(`${name}.${t.name}: ${e.message}`);
          continue;
        }
        pins[t.name] = locked;
      }
      if (problems.length > 0) {
        failed++;
        for (const p of problems) process.stderr.write(`symbi: error: ${p}\n`);
        process.stderr.write(`symbi: error: nothing of server \`${name}\` was pinned\n`);
        continue;
      }
      let before: Record<string, LockedTool> = {};
      try {
        updateMcpLock(root, (lock) => {
          before = lock.servers[name]?.tools ?? {};
          // A tool whose definition did not change keeps the time it was first pinned.
          for (const [t, l] of Object.entries(pins))
            if (before[t]?.hash === l.hash && before[t]?.signature?.fingerprint === l.signature?.fingerprint)
              l.pinnedAt = before[t]!.pinnedAt;
          lock.servers[name] = { tools: pins };
          return true;
        });
      } catch (e) {
        if (e instanceof McpLockError) throw new UserError(e.message, e.exitCode);
        throw e;
      }
      for (const [t, l] of Object.entries(pins)) {
        const st = status(before[t], l.definition);
        const signed = l.signature ? `, signed by ${l.signature.domain} (${l.signature.fingerprint})` : "";
        process.stdout.write(
          `${name}.${t}: ${st === "pinned" ? "unchanged" : st === "new" ? "pinned" : `re-pinned, ${st}`} (${l.hash}${signed})\n`,
        );
      }
      for (const t of Object.keys(before))
        if (!pins[t]) process.stdout.write(`${name}.${t}: unpinned (no longer listed)\n`);
    }
    process.stdout.write(`wrote ${lockPath(root)}\n`);
    if (failed > 0) throw new ExitStatus(ExitCode.CheckFailed);
  });
}

/** `symbi tools unpin --server NAME [TOOL]`: removes pins from mcp.lock.json. */
export function unpinServer(server: string, tool: string | undefined, project: string | undefined): void {
  const root = findProjectRoot(project ?? process.cwd());
  let found = false;
  try {
    updateMcpLock(root, (lock) => {
      const entry = lock.servers[server];
      if (!entry) return false;
      if (tool === undefined) {
        delete lock.servers[server];
        found = true;
      } else if (entry.tools[tool]) {
        delete entry.tools[tool];
        found = true;
      }
      return found;
    });
  } catch (e) {
    if (e instanceof McpLockError) throw new UserError(e.message, e.exitCode);
    throw e;
  }
  if (!found)
    throw new UserError(
      `${lockPath(root)} pins no ${tool === undefined ? "tools" : `tool ${JSON.stringify(tool)}`} of server \`${server}\``,
    );
  process.stdout.write(
    `unpinned ${tool === undefined ? "the tools" : tool} of server \`${server}\` in ${lockPath(root)}\n`,
  );
}
