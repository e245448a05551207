/**
 * The tool host (`symbi tool-host`): the process in a pod's tools container that runs the
 * agent's tool calls for the runtime next door (compiler/emit/kubernetes.ts).
 *
 * It listens on the pod's loopback, accepts exactly one connection — the runtime's, made before
 * any tool runs — and stops listening, so a tool cannot connect to it later. It first sends its
 * confinement report (confinement.ts), then runs each request as a child process with the
 * process tier's per-call limits (runtime/sandbox/process-driver.ts: rlimits from the call's
 * manifest — address space, processes, CPU time, file size —, a scrubbed environment, a
 * private temporary directory, no_new_privs, a process-group kill on timeout). The container is
 * the isolation boundary the process tier lacks on its own: its user, capabilities, read-only
 * root, seccomp, cgroup limits and the pod's NetworkPolicy are the manifest's, which the runtime
 * checked from the report. A call therefore uses the pod's network (a NetworkPolicy, not a
 * per-process namespace, is what confines it), unless the kernel lets the tool host give the
 * call a namespace of its own.
 *
 * When the connection ends (the runtime finished, died or broke the protocol) every running
 * call is killed and the tool host exits; if no runtime connects within `acceptTimeoutMs` it
 * exits with an error, so a pod whose runtime failed early still ends.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import {
  assertSandboxManifest,
  InvalidSandboxManifestError,
  type SandboxManifest,
} from "../../../formats/sandbox-manifest.js";
import { isSandboxError, reasonOf } from "../errors.js";
import { ProcessSandbox } from "../process-driver.js";
import { probeConfinement, type ConfinementReport } from "./confinement.js";
import {
  encode,
  LineSplitter,
  MAX_REQUEST_LINE_BYTES,
  parseToToolHost,
  ProtocolError,
  TOOL_HOST_PROTOCOL,
  type RunMessage,
  type ToRuntime,
} from "./protocol.js";

export interface ToolHostServerOptions {
  host: string;
  port: number;
  /** Give up when no runtime has connected by then (default 120 s). */
  acceptTimeoutMs?: number;
  /** Diagnostics (default: none). */
  log?: (line: string) => void;
  /** Ends the tool host (SIGTERM): running calls are killed. */
  signal?: AbortSignal;
  /** The report to send (default: measured with probeConfinement). */
  report?: () => Promise<ConfinementReport>;
  /** Called once listening, with the port (useful with port 0). */
  onListening?: (port: number) => void;
}

export type ToolHostOutcome = { ok: true; calls: number } | { ok: false; calls: number; reason: string };

/** Listens, serves one runtime, and settles when it is gone. Rejects only if it cannot listen. */
export async function serveToolHost(o: ToolHostServerOptions): Promise<ToolHostOutcome> {
  const log = o.log ?? (() => {});
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: o.host, port: o.port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log(`listening on ${o.host}:${port}`);
  o.onListening?.(port);
  return new Promise<ToolHostOutcome>((resolve) => {
    const timer = setTimeout(() => {
      server.close();
      resolve({ ok: false, calls: 0, reason: `no runtime connected within ${o.acceptTimeoutMs ?? 120_000} ms` });
    }, o.acceptTimeoutMs ?? 120_000);
    const onAbort = () => {
      clearTimeout(timer);
      server.close();
      resolve({ ok: false, calls: 0, reason: "stopped before a runtime connected" });
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    let taken = false;
    server.on("connection", (socket: Socket) => {
      if (taken) {
        socket.destroy(); // only the first connection is ever served
        return;
      }
      taken = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      server.close();
      log(`runtime connected from ${socket.remoteAddress}:${socket.remotePort}`);
      void serveConnection(socket, server, o).then(resolve);
    });
  });
}

async function serveConnection(socket: Socket, server: Server, o: ToolHostServerOptions): Promise<ToolHostOutcome> {
  const log = o.log ?? (() => {});
  const running = new Map<number, { controller: AbortController; done: Promise<void> }>();
  const drivers = new Map<string, ProcessSandbox>();
  let calls = 0;
  let failure: string | null = null;
  const send = (m: ToRuntime) => {
    if (!socket.destroyed) socket.write(encode(m));
  };

  const report = await (o.report ?? probeConfinement)();
  send({ type: "hello", protocol: TOOL_HOST_PROTOCOL, report });
  socket.resume();

  const run = async (req: RunMessage, signal: AbortSignal): Promise<void> => {
    let manifest: SandboxManifest;
    try {
      manifest = callManifest(req.manifest);
    } catch (e) {
      send({ type: "error", id: req.id, code: "BAD_REQUEST", message: reasonOf(e) });
      return;
    }
    // One driver per distinct manifest: its availability check (helpers, namespaces) runs once.
    const key = JSON.stringify(manifest);
    let driver = drivers.get(key);
    if (!driver) {
      driver = new ProcessSandbox(manifest, { allowHostNetwork: true });
      drivers.set(key, driver);
    }
    try {
      const r = await driver.run({
        argv: req.argv,
        timeoutMs: req.timeoutMs,
        maxOutputBytes: req.maxOutputBytes,
        signal,
        ...(req.stdin !== undefined ? { stdin: Buffer.from(req.stdin, "base64") } : {}),
      });
      send({
        type: "result",
        id: req.id,
        result: {
          exitCode: r.exitCode,
          signal: r.signal,
          stdout: r.stdout,
          stderr: r.stderr,
          stdoutTruncated: r.stdoutTruncated,
          stderrTruncated: r.stderrTruncated,
          durationMs: r.durationMs,
          timedOut: r.timedOut,
          oomKilled: r.oomKilled,
          id: r.sandbox.id,
        },
      });
    } catch (e) {
      if (isSandboxError(e)) send({ type: "error", id: req.id, code: e.code, message: e.message });
      else if (e instanceof TypeError) send({ type: "error", id: req.id, code: "BAD_REQUEST", message: e.message });
      else send({ type: "error", id: req.id, code: "SANDBOX_ENGINE_FAILED", message: reasonOf(e) });
    }
  };

  const splitter = new LineSplitter(MAX_REQUEST_LINE_BYTES);
  await new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
        for (const line of lines) {
          const m = parseToToolHost(line);
          if (m.type === "abort") {
            running.get(m.id)?.controller.abort();
            continue;
          }
          if (running.has(m.id)) throw new ProtocolError(`call ${m.id} is already running`);
          calls++;
          const controller = new AbortController();
          const done = run(m, controller.signal).finally(() => running.delete(m.id));
          running.set(m.id, { controller, done });
        }
      } catch (e) {
        failure = e instanceof ProtocolError ? e.message : reasonOf(e);
        log(`protocol error: ${failure}`);
        socket.destroy();
      }
    });
    socket.once("close", () => resolve());
    socket.on("error", (e) => {
      failure ??= reasonOf(e);
    });
    o.signal?.addEventListener("abort", () => socket.destroy(), { once: true });
  });
  // The runtime is gone: nothing may outlive it.
  for (const c of running.values()) c.controller.abort();
  await Promise.allSettled([...running.values()].map((c) => c.done));
  server.close();
  log(`runtime disconnected after ${calls} call(s)`);
  return failure === null ? { ok: true, calls } : { ok: false, calls, reason: failure };
}

/**
 * The manifest a call runs under here: the tool's manifest with the process tier's form (the
 * container it runs in is the tier the runtime asked for, proven by the report).
 */
function callManifest(value: unknown): SandboxManifest {
  let m: SandboxManifest;
  try {
    m = assertSandboxManifest(value);
  } catch (e) {
    if (e instanceof InvalidSandboxManifestError) throw new TypeError(e.message);
    throw e;
  }
  if (m.tier === "process")
    throw new TypeError("the tool host runs the calls of a container tier, not the process tier");
  return assertSandboxManifest({ ...m, tier: "process", runtime: null, image: null });
}
