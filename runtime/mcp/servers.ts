/**
 * The MCP servers of one run (runtime/mcp/README.md):
 *
 * - **one process per server per run**: each server of the bundle's `mcp.json` is started (stdio,
 *   inside the run's `with` block sandbox) or reached (Streamable HTTP) once, when the run is
 *   prepared, and stopped when the run ends, however it ends;
 * - **drift refused at start**: each server's tools are listed and every pinned tool's live
 *   definition is compared with the pinned one (its hash); a tool whose definition changed, or
 *   that the server no longer lists, refuses the run before anything runs (exit 3), naming the
 *   tool and what changed;
 * - **signatures at start**: a tool pinned with a SchemaPin signature must still carry one that
 *   verifies (discovery, revocation, the TOFU pin of the key); a signed tool that verifies is
 *   `tool.schema_verified` for policies; `[tools] require_signed_tools` refuses unsigned ones;
 * - a server that cannot be started or reached does not stop the run by itself: calls of its tools
 *   fail with a ToolError naming the server (agent code can handle it) — no call is ever made to a
 *   server whose tools were not checked.
 */
import { isAbsolute, resolve } from "node:path";
import {
  DefinitionError,
  definitionChanges,
  definitionHash,
  toolDefinition,
  type McpBundle,
  type McpServerDecl,
} from "../../formats/mcp.js";
import { ExitCode } from "../../formats/exit-codes.js";
import {
  assertSandboxManifest,
  InvalidSandboxManifestError,
  type SandboxManifest,
  type SandboxTier,
} from "../../formats/sandbox-manifest.js";
import { SchemaPinError } from "../../schemapin/errors.js";
import type { SchemaPinVerifier } from "../../schemapin/verify.js";
import type { FirstUseDecision } from "../../config/tofu.js";
// Not sandbox/index.js: that would load the Docker client for a run in the process tier.
import { createSandbox, type CreateSandboxOptions } from "../sandbox/create.js";
import { isSandboxError } from "../sandbox/errors.js";
import type { SandboxProcess } from "../sandbox/types.js";
import { McpConnection } from "./connection.js";
import { McpServerError } from "./server-error.js";
import { checkPinnedSignature, type ListedSignature } from "./signature.js";

/** The pinned tools no longer match what their servers list, or their signatures fail: exit 3. */
export class McpToolsChangedError extends Error {
  override readonly name = "McpToolsChangedError";
  readonly exitCode = ExitCode.CheckFailed;
}

/** A server's table cannot run in this run's sandbox (a weaker tier, a bad manifest): exit 1. */
export class McpSetupError extends Error {
  override readonly name = "McpSetupError";
  readonly exitCode = ExitCode.Error;
}

/** The largest message a server may send (one `tools/list` page, one result). */
export const DEFAULT_MCP_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Starting a server and the MCP handshake, and listing its tools, at most this long each. */
export const MCP_CONNECT_TIMEOUT_MS = 30_000;

const RANK: Record<SandboxTier, number> = { process: 0, tier1: 1, tier2: 2 };

export interface McpServersOptions {
  bundle: McpBundle;
  /** The run's `with` block sandbox: stdio servers run in it. */
  sandbox: SandboxManifest;
  sandboxOptions?: CreateSandboxOptions;
  /** The folder relative `command`/`args` of process-tier servers are resolved in (the server's working directory). */
  baseDir: string;
  /** The operator's environment (`pass_env`, `bearer_token_env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Verifies signed tools (called once, when the first signed tool is checked). */
  verifier: () => Promise<SchemaPinVerifier>;
  /**
   * Whether a provider key that is not pinned for a tool may be pinned now, on first use
   * (`[tofu]`, config/tofu.ts); absent: it may. Keys are only ever published ones (discovery).
   */
  firstUse?: (domain: string, tool: string, fingerprint: string) => Promise<FirstUseDecision>;
  requireSigned: boolean;
  maxMessageBytes?: number;
  signal?: AbortSignal;
}

interface ServerState {
  connection?: McpConnection;
  /** Why the server cannot be used (it could not be started, or its tools changed during the run). */
  failure?: McpServerError;
  /** The server said its tools changed (`notifications/tools/list_changed`): list and compare again before the next call. */
  stale?: boolean;
  /** The re-check under way, shared by calls that wait for it. */
  recheck?: Promise<void>;
}

export class McpServers {
  private readonly servers = new Map<string, ServerState>();
  private readonly verified = new Set<string>();
  private closed = false;
  private verifierOnce: Promise<SchemaPinVerifier> | undefined;

  private constructor(private readonly o: McpServersOptions) {}

  /**
   * Starts every server, lists its tools, checks each pinned definition and signature. Throws
   * McpToolsChangedError (drift, signatures) or McpSetupError; on a throw nothing is left running.
   */
  static async start(o: McpServersOptions): Promise<McpServers> {
    const s = new McpServers(o);
    try {
      await s.startAll();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  /** Whether the tool (by its name in Symbiont code) carried a signature that verified at start. */
  schemaVerified(tool: string): boolean {
    return this.verified.has(tool);
  }

  /**
   * The connection of a server, for a call; throws its failure as an McpServerError. When the
   * server said during the run that its tools changed, they are listed and compared with the
   * pins again first: a changed tool makes every later call of the server's tools fail.
   */
  async connection(server: string): Promise<McpConnection> {
    const st = this.servers.get(server);
    if (st?.stale && st.connection && !st.failure) {
      st.recheck ??= this.recheck(server, st, st.connection).finally(() => delete st.recheck);
      await st.recheck;
    }
    if (st?.connection && !st.failure) return st.connection;
    throw st?.failure ?? new McpServerError(server, `MCP server \`${server}\` is not part of this run`, "start");
  }

  private async recheck(server: string, st: ServerState, connection: McpConnection): Promise<void> {
    st.stale = false;
    let problems: string[];
    try {
      problems = await this.check(server, await connection.listTools(MCP_CONNECT_TIMEOUT_MS, this.o.signal));
    } catch (e) {
      if (!(e instanceof McpServerError)) throw e;
      problems = [e.message];
    }
    if (problems.length > 0)
      st.failure = new McpServerError(
        server,
        `MCP server \`${server}\` changed its tools during the run, so its tools are no longer called: ${problems.join("; ")}`,
        "protocol",
      );
  }

  /** Stops every server (idempotent; never throws). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.servers.values()].map((st) => st.connection?.close().catch(() => undefined)));
  }

  private async startAll(): Promise<void> {
    const { bundle } = this.o;
    for (const [name, decl] of Object.entries(bundle.servers)) {
      if (decl.transport === "stdio" && RANK[this.o.sandbox.tier] < RANK[decl.sandbox])
        throw new McpSetupError(
          `MCP server \`${name}\` runs in the ${decl.sandbox} tier or stronger, but this run's sandbox is ${this.o.sandbox.tier}: name a stronger tier in the agent's \`with\` block`,
        );
    }
    const names = Object.keys(bundle.servers).sort();
    const listed = await Promise.all(names.map((n) => this.open(n, bundle.servers[n]!)));
    const problems: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const tools = listed[i];
      if (tools) problems.push(...(await this.check(names[i]!, tools)));
    }
    if (problems.length > 0)
      throw new McpToolsChangedError(
        `${problems.length === 1 ? "an MCP tool" : "MCP tools"} changed since the bundle was built, so the run is refused:\n  ${problems.join("\n  ")}\n(review the change; if it is wanted, pin it again with \`symbi tools pin\` and rebuild with \`symbic build\`)`,
      );
  }

  /** Starts one server and lists its tools; a failure is kept for the calls of its tools. */
  private async open(name: string, decl: McpServerDecl): Promise<Record<string, unknown>[] | undefined> {
    const st: ServerState = {};
    this.servers.set(name, st);
    try {
      const connection = await McpConnection.open({
        name,
        decl,
        ...(decl.transport === "stdio" ? { spawn: (argv: string[]) => spawnServer(name, decl, argv, this.o) } : {}),
        env: this.o.env,
        maxMessageBytes: this.o.maxMessageBytes ?? DEFAULT_MCP_MAX_MESSAGE_BYTES,
        connectTimeoutMs: MCP_CONNECT_TIMEOUT_MS,
        ...(this.o.signal ? { signal: this.o.signal } : {}),
      });
      st.connection = connection;
      connection.onToolsChanged(() => (st.stale = true));
      return await connection.listTools(MCP_CONNECT_TIMEOUT_MS, this.o.signal);
    } catch (e) {
      if (e instanceof McpSetupError) throw e;
      if (!(e instanceof McpServerError)) throw e;
      st.failure = e;
      await st.connection?.close();
      delete st.connection;
      return undefined;
    }
  }

  /** The problems of one server's pinned tools against what it lists now. */
  private async check(server: string, listed: Record<string, unknown>[]): Promise<string[]> {
    const problems: string[] = [];
    const byName = new Map<string, Record<string, unknown>>();
    for (const t of listed) if (typeof t["name"] === "string") byName.set(t["name"], t);
    const pinned = Object.entries(this.o.bundle.tools).filter(([, t]) => t.server === server);
    for (const [dslName, tool] of pinned) {
      const live = byName.get(tool.definition.name);
      const what = `\`${dslName}\` (tool ${JSON.stringify(tool.definition.name)} of MCP server \`${server}\`)`;
      if (!live) {
        problems.push(`${what}: the server no longer lists it`);
        continue;
      }
      let def;
      try {
        def = toolDefinition(live);
      } catch (e) {
        if (!(e instanceof DefinitionError)) throw e;
        problems.push(`${what}: ${e.message}`);
        continue;
      }
      if (definitionHash(def) !== tool.hash) {
        problems.push(`${what}: ${definitionChanges(tool.definition, def).join("; ")}`);
        continue;
      }
      try {
        const firstUse = this.o.firstUse;
        const r = await checkPinnedSignature({
          definition: def,
          listed: live,
          ...(tool.signature ? { pinned: tool.signature } : {}),
          requireSigned: this.o.requireSigned,
          verifier: () => (this.verifierOnce ??= this.o.verifier()),
          ...(firstUse
            ? {
                beforeVerify: async (verifier: SchemaPinVerifier, sig: ListedSignature) => {
                  const provider = await verifier.providerKey(sig.domain);
                  const d = await firstUse(provider.domain, def.name, provider.fingerprint);
                  if (d.action !== "pin")
                    throw new SchemaPinError(
                      "KEY_PIN_MISMATCH",
                      `the key ${provider.fingerprint} of ${provider.domain} is not pinned for "${def.name}" and is not trusted on first use here: ${d.reason}; pin it with \`symbi tools pin\``,
                    );
                },
              }
            : {}),
        });
        if (!r) continue;
        this.verified.add(dslName);
      } catch (e) {
        if (!(e instanceof SchemaPinError)) throw e;
        problems.push(`${what}: ${e.message}`);
      }
    }
    return problems;
  }
}

/**
 * A stdio server's program in a sandbox built from `sandbox` (the run's `with` block, or for
 * `symbi tools list|pin` the server's own tier), with the server's environment: its `env`, and
 * the operator's variables it names in `pass_env` (nothing else of the host's).
 */
export async function spawnServer(
  name: string,
  decl: Extract<McpServerDecl, { transport: "stdio" }>,
  argv: string[],
  o: Pick<McpServersOptions, "sandbox" | "sandboxOptions" | "baseDir" | "env" | "signal">,
): Promise<SandboxProcess> {
  const env: Record<string, string> = { ...o.sandbox.env, ...decl.env };
  for (const v of decl.passEnv) {
    const value = o.env[v];
    if (value !== undefined) env[v] = value;
  }
  let manifest: SandboxManifest;
  try {
    const m: SandboxManifest = structuredClone(o.sandbox);
    m.env = env;
    if (decl.image !== undefined && m.tier !== "process") m.image = decl.image;
    manifest = assertSandboxManifest(m);
  } catch (e) {
    if (e instanceof InvalidSandboxManifestError)
      throw new McpSetupError(`MCP server \`${name}\`: its settings give ${e.message}`);
    throw e;
  }
  const driver = createSandbox(manifest, o.sandboxOptions ?? {});
  if (!driver.spawn) throw new Error(`the ${manifest.tier} sandbox here cannot run a long-lived MCP server`);
  const program = argv[0]!;
  // A process-tier server's relative program runs from the project folder (its working directory).
  const resolved =
    manifest.tier === "process" && (program.startsWith("./") || program.startsWith("../"))
      ? resolve(o.baseDir, program)
      : program;
  try {
    return await driver.spawn({
      argv: [resolved, ...argv.slice(1)],
      timeoutMs: manifest.timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(manifest.tier === "process" && isAbsolute(o.baseDir) ? { cwd: o.baseDir } : {}),
    });
  } catch (e) {
    if (isSandboxError(e)) throw new Error(e.message);
    throw e;
  }
}
