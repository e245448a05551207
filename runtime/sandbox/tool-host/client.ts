/**
 * The runtime's side of the tool host (server.ts): `ToolHostClient` holds the one connection of
 * a run, `PodSandbox` is the SandboxDriver of a container tier inside a Kubernetes pod — each
 * tool call goes to the tool host in the pod's tools container instead of a Docker container.
 *
 * `check()` connects (retrying while the tools container starts), reads the tool host's report
 * and compares it with the manifest (confinement.ts): any difference refuses the run with the
 * list of what is wrong — a tier is never weaker than the manifest says. A tool whose contract
 * names its own image is refused too: in a pod every tool runs in the tools container's image
 * (the runtime image, built on the tool image).
 *
 * Each call is bounded here as well as in the tool host: if no result comes within the call's
 * timeout plus RESULT_GRACE_MS, the connection is dropped (the tool host then kills everything)
 * and the call fails as an engine failure. An abort is sent to the tool host, which kills the
 * call's process group.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { imageDigestOf } from "../../../formats/images.js";
import { TOOL_HOST_MEMORY_MB } from "../../../formats/pod.js";
import {
  DEFAULT_SANDBOX_IMAGE,
  type NetworkDestination,
  type SandboxManifest,
} from "../../../formats/sandbox-manifest.js";
import { isHostNameEntry } from "../../egress/allowlist.js";
import { proxyEnvironment, type EgressRelays } from "../../egress/relay.js";
import {
  SandboxAbortedError,
  SandboxEngineError,
  SandboxError,
  SandboxUnavailableError,
  SandboxUnsupportedError,
  reasonOf,
  type SandboxErrorCode,
} from "../errors.js";
import { effectiveTimeoutMs, validateArgv } from "../request.js";
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  type ImageIdentity,
  type SandboxDriver,
  type SandboxRunRequest,
  type SandboxRunResult,
} from "../types.js";
import { checkConfinement, type ConfinementReport } from "./confinement.js";
import {
  encode,
  LineSplitter,
  MAX_RESULT_LINE_BYTES,
  parseToRuntime,
  ProtocolError,
  TOOL_HOST_PROTOCOL,
  type ErrorMessage,
  type ToToolHost,
  type WireResult,
} from "./protocol.js";

/** Extra time a result may take beyond the call's timeout (the kill, the output, the wire). */
const RESULT_GRACE_MS = 15_000;
const ABORT_REPLY_MS = 5_000;

export interface ToolHostAddress {
  host: string;
  port: number;
}

export interface ToolHostClientOptions {
  /** How long to keep trying to connect while the tools container starts (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * The comparison of report and manifest (default checkConfinement with the tool host's memory
   * allowance). Tests of the protocol outside a container pass their own.
   */
  verify?: (report: ConfinementReport, manifest: SandboxManifest) => string[];
  /**
   * The egress gateway's relays (`--egress-gateway`): needed by an allowlist that names hosts;
   * calls with an allowlist then get HTTP(S)_PROXY pointing at the relay (runtime/egress).
   */
  egress?: EgressRelays;
  /** Extra time a result may take beyond the call's timeout (default RESULT_GRACE_MS). */
  resultGraceMs?: number;
}

interface Pending {
  maxOutputBytes: number;
  resolve(r: WireResult): void;
  reject(e: Error): void;
}

export class ToolHostClient {
  private socket: Socket | null = null;
  private ready: Promise<ConfinementReport> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private broken: Error | null = null;
  private report: ConfinementReport | null = null;

  constructor(
    readonly address: ToolHostAddress,
    private readonly options: ToolHostClientOptions = {},
  ) {}

  get egress(): EgressRelays | undefined {
    return this.options.egress;
  }

  get where(): string {
    return `${this.address.host.includes(":") ? `[${this.address.host}]` : this.address.host}:${this.address.port}`;
  }

  verify(report: ConfinementReport, manifest: SandboxManifest): string[] {
    return (this.options.verify ?? ((r, m) => checkConfinement(r, m, { memoryAllowanceMb: TOOL_HOST_MEMORY_MB })))(
      report,
      manifest,
    );
  }

  /** What the audit log's run_start records: where the tool host is and what it reported (after `connect`). */
  auditSummary(): { address: string; report: ConfinementReport } | undefined {
    return this.report ? { address: this.where, report: this.report } : undefined;
  }

  /** Connects once (later calls share the connection) and returns the tool host's report. */
  connect(): Promise<ConfinementReport> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<ConfinementReport> {
    const deadline = performance.now() + (this.options.connectTimeoutMs ?? 30_000);
    let socket: Socket;
    for (;;) {
      try {
        socket = await dial(this.address);
        break;
      } catch (e) {
        if (performance.now() >= deadline)
          throw new SandboxUnavailableError(
            `no tool host answers at ${this.where} (${reasonOf(e)}); in a Kubernetes Job it is the pod's \`tools\` container`,
            { cause: e },
          );
        await delay(100);
      }
    }
    this.socket = socket;
    const splitter = new LineSplitter(MAX_RESULT_LINE_BYTES);
    return new Promise<ConfinementReport>((resolve, reject) => {
      let hello = false;
      const fail = (e: Error) => {
        this.broken ??= e;
        socket.destroy();
        if (!hello) reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      };
      const helloTimer = setTimeout(
        () => fail(new SandboxUnavailableError(`the tool host at ${this.where} did not introduce itself`)),
        10_000,
      );
      socket.on("data", (chunk: Buffer) => {
        try {
          for (const line of splitter.push(chunk)) {
            const m = parseToRuntime(line, (id) => this.pending.get(id)?.maxOutputBytes);
            if (m.type === "hello") {
              if (hello) throw new ProtocolError("a second hello");
              if (m.protocol !== TOOL_HOST_PROTOCOL)
                throw new ProtocolError(`protocol ${m.protocol}, expected ${TOOL_HOST_PROTOCOL}`);
              hello = true;
              clearTimeout(helloTimer);
              this.report = m.report;
              resolve(m.report);
              continue;
            }
            if (!hello) throw new ProtocolError("a message before the hello");
            const p = this.pending.get(m.id);
            if (!p) continue; // a call given up on (timeout): its late answer is dropped
            this.pending.delete(m.id);
            if (m.type === "result") p.resolve(m.result);
            else p.reject(wireError(m));
          }
        } catch (e) {
          fail(
            new SandboxEngineError(
              `the tool host at ${this.where} broke the protocol (${e instanceof ProtocolError ? e.message : reasonOf(e)}); the run cannot go on`,
            ),
          );
        }
      });
      socket.on("error", (e) => fail(new SandboxEngineError(`lost the tool host at ${this.where}: ${reasonOf(e)}`)));
      socket.on("close", () => {
        clearTimeout(helloTimer);
        fail(new SandboxEngineError(`the tool host at ${this.where} closed the connection`));
      });
    });
  }

  /** One call; resolves with the tool host's result or rejects with a SandboxError. */
  async call(manifest: SandboxManifest, req: SandboxRunRequest, timeoutMs: number): Promise<WireResult> {
    await this.connect();
    if (this.broken) throw this.broken;
    const id = this.nextId++;
    const maxOutputBytes = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const message: ToToolHost = {
      type: "run",
      id,
      manifest,
      argv: req.argv,
      timeoutMs: Math.ceil(timeoutMs),
      maxOutputBytes,
      ...(req.stdin !== undefined ? { stdin: Buffer.from(req.stdin).toString("base64") } : {}),
    };
    let onAbort: (() => void) | undefined;
    let guard: NodeJS.Timeout | undefined;
    const grace = this.options.resultGraceMs ?? RESULT_GRACE_MS;
    const result = new Promise<WireResult>((resolve, reject) => {
      this.pending.set(id, { maxOutputBytes, resolve, reject });
      guard = setTimeout(() => {
        this.pending.delete(id);
        const e = new SandboxEngineError(
          `the tool host at ${this.where} gave no result within ${Math.ceil(timeoutMs) + grace} ms; the run cannot go on`,
        );
        this.broken ??= e;
        this.socket?.destroy(); // the tool host kills every call when the runtime goes
        reject(e);
      }, timeoutMs + grace);
    });
    void result.catch(() => undefined); // an abort may settle the call first; this rejection is then expected
    this.socket!.write(encode(message));
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.socket?.write(encode({ type: "abort", id }));
        // The tool host answers once the call's processes are gone; do not wait for it forever.
        void Promise.race([result.catch(() => undefined), delay(ABORT_REPLY_MS)]).then(() =>
          reject(new SandboxAbortedError("sandbox run aborted; the tool host killed the call")),
        );
      };
      req.signal?.addEventListener("abort", onAbort, { once: true });
      if (req.signal?.aborted) onAbort();
    });
    try {
      return await Promise.race([result, aborted]);
    } finally {
      clearTimeout(guard);
      if (onAbort) req.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Ends the connection (the tool host kills what still runs and exits) and the egress relays. */
  async close(): Promise<void> {
    this.socket?.end();
    await this.options.egress?.close();
  }
}

/** A container tier inside a Kubernetes pod: tool calls run in the pod's tools container. */
export class PodSandbox implements SandboxDriver {
  readonly tier: "tier1" | "tier2";
  private checked: Promise<void> | null = null;
  private report: ConfinementReport | null = null;
  /** The egress relay the calls' HTTP(S) traffic goes through (allowlists only). */
  private proxyUrl: string | null = null;

  constructor(
    readonly manifest: SandboxManifest,
    private readonly client: ToolHostClient,
    /** The tool's contract says `fresh = true` (the block's is in the manifest). */
    private readonly freshTool = false,
  ) {
    if (manifest.tier === "process") throw new TypeError("PodSandbox needs a tier1 or tier2 manifest");
    this.tier = manifest.tier;
  }

  check(): Promise<void> {
    if (!this.checked) {
      this.checked = this.probe();
      this.checked.catch(() => (this.checked = null));
    }
    return this.checked;
  }

  private async probe(): Promise<void> {
    const m = this.manifest;
    // What a pod cannot give is refused before anything else.
    if (m.fresh === true || this.freshTool)
      throw new SandboxUnsupportedError(
        `agent ${m.agent}: \`fresh = true\` asks for one container per call, which a Kubernetes Job's pod does not give (its calls share the tools container); run it with Docker, or drop \`fresh\``,
      );
    if ((m.mounts ?? []).length > 0)
      throw new SandboxUnsupportedError(
        `agent ${m.agent}: host mounts (${m.mounts!.map((b) => b.source).join(", ")}) have no place in a Kubernetes Job's pod; run it with Docker, or drop the mounts`,
      );
    const report = await this.client.connect();
    const image = m.image as string;
    if (image !== DEFAULT_SANDBOX_IMAGE && image !== report.toolsImage && image !== report.image) {
      throw new SandboxUnsupportedError(
        `image ${image} cannot be used in a Kubernetes Job: every tool runs in the pod's tools container (${report.image ?? "the runtime image"}, built on ${report.toolsImage ?? "the tool image"}); build the runtime image on ${image}, or remove the contract's [tool.sandbox] image`,
      );
    }
    const wrong = this.client.verify(report, m);
    if (wrong.length > 0) {
      throw new SandboxUnavailableError(
        `the pod's tools container does not hold agent ${m.agent}'s sandbox manifest (${m.tier}): it ${wrong.join("; it ")}`,
      );
    }
    if (m.network.mode === "allowlist") this.proxyUrl = await this.egressProxy(m.network.allow);
    this.report = report;
  }

  /** The relay for an allowlist, or null when the NetworkPolicy alone carries it (IP addresses only, no gateway). */
  private async egressProxy(allow: readonly NetworkDestination[]): Promise<string | null> {
    const names = allow.filter(isHostNameEntry);
    const udp = names.filter((d) => d.protocol === "udp");
    if (udp.length > 0)
      throw new SandboxUnsupportedError(
        `agent ${this.manifest.agent} may reach ${udp.map((d) => `${d.host}:${d.port}/udp`).join(", ")} by name over UDP, which no proxy can carry and no NetworkPolicy can name; give IP addresses`,
      );
    const egress = this.client.egress;
    if (!egress) {
      if (names.length === 0) return null;
      throw new SandboxUnavailableError(
        `agent ${this.manifest.agent} may reach ${names.map((d) => `${d.host}:${d.port}`).join(", ")} by name, which only the egress gateway can enforce; run with --egress-gateway (the Job symbic writes does)`,
      );
    }
    return (await egress.relayFor(allow)).url;
  }

  imageIdentity(): ImageIdentity | null {
    const ref = this.report?.image ?? null;
    return ref === null ? null : { reference: ref, id: null, digest: imageDigestOf(ref) };
  }

  async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
    validateArgv(req.argv);
    const timeoutMs = effectiveTimeoutMs(this.manifest, req);
    await this.check();
    if (req.signal?.aborted) throw new SandboxAbortedError();
    const started = performance.now();
    const m = this.proxyUrl
      ? { ...this.manifest, env: { ...this.manifest.env, ...proxyEnvironment(this.proxyUrl) } }
      : this.manifest;
    const r = await this.client.call(m, req, timeoutMs);
    return {
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: r.stdout,
      stderr: r.stderr,
      stdoutTruncated: r.stdoutTruncated,
      stderrTruncated: r.stderrTruncated,
      durationMs: performance.now() - started,
      timedOut: r.timedOut,
      oomKilled: r.oomKilled,
      sandbox: { tier: this.tier, id: `tool-host ${r.id}` },
    };
  }
}

function wireError(m: ErrorMessage): SandboxError {
  const code: SandboxErrorCode = m.code === "BAD_REQUEST" ? "SANDBOX_ENGINE_FAILED" : m.code;
  const message = `tool host: ${m.message}`;
  switch (code) {
    case "SANDBOX_ABORTED":
      return new SandboxAbortedError(message);
    case "SANDBOX_UNAVAILABLE":
      return new SandboxUnavailableError(message);
    case "SANDBOX_UNSUPPORTED":
      return new SandboxUnsupportedError(message);
    default:
      return new SandboxEngineError(message);
  }
}

function dial(a: ToolHostAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: a.host, port: a.port });
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

/** A wait the run is waiting on (so not unref'd: the process must not exit meanwhile). */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
