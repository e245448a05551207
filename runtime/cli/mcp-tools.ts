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
import { findProjectRoot } from "../../compiler/project/root.js";
import {
  lockPath,
  readMcpLock,
  updateMcpLock,
  McpLockError,
  MCP_LOCK_FILE,
  type LockedTool,
} from "../../compiler/mcp/index.js";
import type { McpServerSettings } from "../../config/mcp.js";
import { toolVerification, type Config } from "../../config/index.js";
import { ExitCode, UserError } from "../../formats/exit-codes.js";
import { definitionChanges, definitionHash } from "../../formats/mcp.js";
import { SchemaPinError } from "../../schemapin/errors.js";
import { McpServerError } from "../mcp/server-error.js";
import {
  compareWithPins,
  describeComparison,
  listServerTools,
  projectMcpServers,
  type ProjectMcpServers,
} from "../mcp/listing.js";
import { checkPinnedSignature, listedSignature, verifyToolSignature } from "../mcp/signature.js";
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

/** The servers `symbi.toml` declares; a project without any is a usage error. */
function projectServers(dir: string | undefined, names: string[]): ProjectMcpServers {
  const p = projectMcpServers(dir, names);
  if (p.servers.size === 0) throw new UserError(`${p.file} declares no MCP servers ([mcp.servers.NAME])`);
  return p;
}

/** Starts one server (in its own tier's sandbox) and lists its tools. */
function listServer(root: string, s: McpServerSettings): Promise<Record<string, unknown>[]> {
  return listServerTools(s, { root, env: process.env });
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
        for (const t of compareWithPins(s, listed, pins)) {
          let sig = "";
          try {
            const ls = t.listed ? listedSignature(t.listed) : undefined;
            sig = ls ? `signed by ${ls.domain}` : t.listed ? "unsigned" : "";
          } catch (e) {
            sig = (e as Error).message;
          }
          const st = describeComparison(t);
          report.push({
            server: name,
            tool: t.name,
            status: st,
            ...(sig ? { signature: sig } : {}),
            description: t.definition?.description,
          });
          if (opts.format === "pretty")
            process.stdout.write(
              `${name}.${t.name}: ${st}${sig ? ` (${sig})` : ""}${t.definition?.description ? `\n    ${JSON.stringify(t.definition.description)}` : ""}\n`,
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
      // Compared with no pins: every listed tool is taken as it is; one `tools` names and the
      // server does not list is a problem (a pin no longer listed is dropped, reported below).
      for (const t of compareWithPins(s, listed, {})) {
        if (!t.definition || !t.listed) {
          problems.push(`${name}.${t.name}: ${t.changes.join("; ")}`);
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
        const st = before[t]
          ? before[t].hash === l.hash
            ? "pinned"
            : `changed — ${definitionChanges(before[t].definition, l.definition).join("; ")}`
          : "new";
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

/** One tool's line in `symbi tools verify --mcp`. */
export interface McpToolVerification {
  server: string;
  tool: string;
  /** ok: listed exactly as pinned (and its signature, if any, verifies); drift: it differs from its pin; invalid: its signature fails. */
  status: "ok" | "drift" | "invalid";
  /** What differs, one entry per field (drift), or the SchemaPin failure (invalid). */
  problems: string[];
  errorCode?: string;
  hash?: string;
  signature?: { domain: string; fingerprint: string; pin: string };
}

/**
 * `symbi tools verify --mcp [--server NAME]...`: lists each server live (in its own tier's
 * sandbox, as `symbi tools list` does) and compares every tool with its pin in mcp.lock.json,
 * field by field; a signed tool's SchemaPin signature is verified against the trust store (the
 * key pinned on first use unless --no-tofu) and must be by the pinned signer. Returns the
 * results and the servers that could not be listed (each named with why).
 */
export async function verifyMcpServers(
  project: string | undefined,
  names: string[],
  flags: VerificationFlags,
): Promise<{ results: McpToolVerification[]; unreachable: Array<{ server: string; error: string }> }> {
  const { root, servers } = projectServers(project, names);
  const config = commandConfig(root);
  const requireSigned = config.values(toolVerification).require_signed_tools === true;
  let lock;
  try {
    lock = readMcpLock(root);
  } catch (e) {
    if (e instanceof McpLockError) throw new UserError(e.message, e.exitCode);
    throw e;
  }
  let verifier: Promise<Awaited<ReturnType<typeof verifierFromFlags>>["verifier"]> | undefined;
  const results: McpToolVerification[] = [];
  const unreachable: Array<{ server: string; error: string }> = [];
  for (const [name, s] of servers) {
    const pins = lock.servers[name]?.tools ?? {};
    if (Object.keys(pins).length === 0) {
      results.push({
        server: name,
        tool: "*",
        status: "drift",
        problems: [
          `nothing of server \`${name}\` is pinned in ${MCP_LOCK_FILE}: review with \`symbi tools list ${name}\`, then \`symbi tools pin ${name}\``,
        ],
      });
      continue;
    }
    let listed;
    try {
      listed = await listServer(root, s);
    } catch (e) {
      if (!(e instanceof McpServerError)) throw e;
      unreachable.push({ server: name, error: e.message });
      continue;
    }
    for (const c of compareWithPins(s, listed, pins)) {
      const base = { server: name, tool: c.name, ...(c.pin ? { hash: c.pin.hash } : {}) };
      if (c.status !== "pinned") {
        const problems =
          c.status === "new"
            ? [`listed but not pinned (it is not a tool of the project until \`symbi tools pin ${name}\`)`]
            : c.status === "missing"
              ? [
                  c.pin
                    ? "pinned but the server no longer lists it"
                    : "named in `tools` but the server does not list it",
                ]
              : c.changes;
        results.push({ ...base, status: "drift", problems });
        continue;
      }
      try {
        const r = await checkPinnedSignature({
          definition: c.definition!,
          listed: c.listed!,
          ...(c.pin!.signature ? { pinned: c.pin!.signature } : {}),
          requireSigned,
          verifier: () => (verifier ??= verifierFromFlags(verificationFlags(config, flags)).then((v) => v.verifier)),
        });
        results.push({
          ...base,
          status: "ok",
          problems: [],
          ...(r ? { signature: { domain: r.domain, fingerprint: r.fingerprint, pin: r.pin } } : {}),
        });
      } catch (e) {
        if (!(e instanceof SchemaPinError)) throw e;
        results.push({ ...base, status: "invalid", problems: [e.message], errorCode: e.code });
      }
    }
  }
  return { results, unreachable };
}
