/**
 * Container tiers through the Docker Engine API (dockerode): tier1 runs under runc, tier2 under
 * gVisor's runsc. Every tool call gets a fresh, named container (`symbi-<run>-<n>`) created with
 * exactly the manifest's settings:
 *
 *   User, WorkingDir, Env (PATH/HOME/TMPDIR + manifest env; nothing from the host)
 *   HostConfig.ReadonlyRootfs, Tmpfs (rw,nosuid,nodev,noexec,size,mode), CapDrop ALL,
 *   SecurityOpt no-new-privileges (seccomp: the daemon's default profile, required to exist),
 *   Memory = MemorySwap (no swap), NanoCpus, PidsLimit, Runtime runc|runsc,
 *   NetworkMode none + NetworkDisabled, LogConfig none (output is streamed, never stored).
 *
 * The output is attached before start (nothing is lost), demultiplexed and capped. The
 * container is killed on timeout or abort and removed in every case (`finally`); an interrupt
 * of the whole program removes live containers too (live-sandboxes.ts).
 *
 * A network allowlist cannot be enforced with NetworkMode none, and opening a bridge network
 * would allow everything, so a manifest with an allowlist is refused (SandboxUnsupportedError):
 * fail closed. Images are never pulled — no registry is reachable, and pulling would run
 * something other than what was built and reviewed.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants as osConstants } from "node:os";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import Docker from "dockerode";
import { DEFAULT_SANDBOX_IMAGE, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import { CappedOutput } from "./capped-output.js";
import {
  SandboxAbortedError,
  SandboxEngineError,
  SandboxImageMissingError,
  SandboxUnavailableError,
  SandboxUnsupportedError,
  reasonOf,
} from "./errors.js";
import { trackLiveSandbox } from "./live-sandboxes.js";
import { checkedIdentity, effectiveTimeoutMs, validateArgv } from "./request.js";
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  type SandboxDriver,
  type SandboxRunRequest,
  type SandboxRunResult,
} from "./types.js";

export interface DockerSandboxOptions {
  /** A dockerode client to use; default: one for DOCKER_HOST or /var/run/docker.sock. */
  docker?: Docker;
  /** Groups this program's containers in their names and labels (default: random per process). */
  runId?: string;
  /** Bound on each availability check and each engine call that should be quick (default 10 s). */
  engineTimeoutMs?: number;
}

/** Label put on every sandbox container, so leftovers can be found (`pruneSandboxContainers`). */
export const SANDBOX_LABEL = "dev.symbi.sandbox";
const PROCESS_RUN_ID = randomBytes(4).toString("hex");
let containerCounter = 0;

/** Where a client connects, for error messages. */
export function dockerEndpoint(docker?: Docker): string {
  const modem = docker?.modem as
    { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown } | undefined;
  if (typeof modem?.socketPath === "string") return `unix://${modem.socketPath}`;
  if (typeof modem?.host === "string")
    return `${String(modem.protocol ?? "http")}://${modem.host}${modem.port ? `:${String(modem.port)}` : ""}`;
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

export class DockerSandbox implements SandboxDriver {
  readonly tier: "tier1" | "tier2";
  readonly docker: Docker;
  readonly runId: string;
  private readonly engineTimeoutMs: number;
  private checked: Promise<void> | null = null;

  constructor(
    readonly manifest: SandboxManifest,
    options: DockerSandboxOptions = {},
  ) {
    if (manifest.tier === "process" || manifest.image === null || manifest.runtime === null) {
      throw new TypeError(`DockerSandbox needs a tier1 or tier2 manifest, got tier ${manifest.tier}`);
    }
    this.tier = manifest.tier;
    this.docker = options.docker ?? new Docker();
    this.runId = sanitizeRunId(options.runId ?? PROCESS_RUN_ID);
    this.engineTimeoutMs = options.engineTimeoutMs ?? 10_000;
  }

  check(): Promise<void> {
    if (!this.checked) {
      this.checked = this.probe();
      this.checked.catch(() => (this.checked = null)); // not cached on failure: the user may fix it
    }
    return this.checked;
  }

  private async probe(): Promise<void> {
    const m = this.manifest;
    if (m.network.mode !== "none") {
      throw new SandboxUnsupportedError(
        `agent ${m.agent}: the Docker sandbox cannot enforce a network allowlist (${m.network.allow.map((d) => `${d.host}:${d.port}`).join(", ")}) and will not open the network; run it on Kubernetes with the generated NetworkPolicy, or remove the allowance`,
      );
    }
    const where = dockerEndpoint(this.docker);
    try {
      await callWithSignal(this.docker, this.docker.ping, AbortSignal.timeout(this.engineTimeoutMs));
    } catch (e) {
      throw new SandboxUnavailableError(
        `Docker daemon not reachable at ${where} (${this.engineReason(e)}); start dockerd (see .ci/run) or pick the process tier explicitly for development`,
        { cause: e },
      );
    }
    let info: { Runtimes?: Record<string, unknown>; SecurityOptions?: string[] };
    try {
      info = (await callWithSignal(
        this.docker,
        this.docker.info,
        AbortSignal.timeout(this.engineTimeoutMs),
      )) as typeof info;
    } catch (e) {
      throw new SandboxUnavailableError(`Docker daemon at ${where} did not describe itself (${this.engineReason(e)})`, {
        cause: e,
      });
    }
    const runtimes = Object.keys(info.Runtimes ?? {});
    const runtime = m.runtime as string;
    if (!runtimes.includes(runtime)) {
      const need =
        runtime === "runsc"
          ? "tier2 needs gVisor's `runsc` registered as a Docker runtime"
          : `${m.tier} needs the \`${runtime}\` runtime`;
      throw new SandboxUnavailableError(
        `${need}, but the daemon offers only: ${runtimes.sort().join(", ") || "none"}; a tier is never downgraded`,
      );
    }
    if (!(info.SecurityOptions ?? []).some((o) => o.includes("name=seccomp"))) {
      throw new SandboxUnavailableError(
        "the Docker daemon has no seccomp support, which the manifest requires (seccomp: default)",
      );
    }
    try {
      const image = this.docker.getImage(m.image as string);
      await callWithSignal(image, image.inspect, AbortSignal.timeout(this.engineTimeoutMs));
    } catch (e) {
      if (statusOf(e) === 404)
        throw new SandboxImageMissingError(m.image as string, imageHint(m.image as string), { cause: e });
      throw new SandboxUnavailableError(`cannot inspect sandbox image ${m.image} (${this.engineReason(e)})`, {
        cause: e,
      });
    }
  }

  /** The container settings for one call: everything comes from the manifest. */
  containerSpec(name: string, argv: string[], withStdin: boolean): Docker.ContainerCreateOptions {
    const m = this.manifest;
    const { uid, gid } = checkedIdentity(m.user);
    const memory = m.limits.memoryMb * 1024 * 1024;
    const tmpfs: Record<string, string> = {};
    for (const t of m.tmpfs) tmpfs[t.path] = `rw,nosuid,nodev,noexec,size=${t.sizeMb}m,mode=${t.mode}`;
    return {
      name,
      Image: m.image as string,
      // Entrypoint + Cmd together are exactly argv, whatever entrypoint the image declares.
      Entrypoint: [argv[0]!],
      Cmd: argv.slice(1),
      User: `${uid}:${gid}`,
      WorkingDir: m.workdir,
      Env: [
        `PATH=${m.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"}`,
        "HOME=/tmp",
        "TMPDIR=/tmp",
        ...Object.entries(m.env)
          .filter(([k]) => k !== "PATH")
          .map(([k, v]) => `${k}=${v}`),
      ],
      Labels: {
        [SANDBOX_LABEL]: "1",
        "dev.symbi.run": this.runId,
        "dev.symbi.agent": m.agent,
        "dev.symbi.tier": m.tier,
      },
      Tty: false,
      AttachStdin: withStdin,
      OpenStdin: withStdin,
      StdinOnce: withStdin,
      AttachStdout: true,
      AttachStderr: true,
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: "none",
        ReadonlyRootfs: m.readOnlyRoot,
        Tmpfs: tmpfs,
        CapDrop: [...m.capDrop],
        SecurityOpt: m.noNewPrivileges ? ["no-new-privileges:true"] : [],
        Memory: memory,
        MemorySwap: memory,
        NanoCpus: Math.round(m.limits.cpus * 1e9),
        PidsLimit: m.limits.pids,
        Runtime: m.runtime as string,
        Privileged: false,
        LogConfig: { Type: "none", Config: {} },
        AutoRemove: false,
      },
    };
  }

  async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
    validateArgv(req.argv);
    const timeoutMs = effectiveTimeoutMs(this.manifest, req);
    await this.check();
    if (req.signal?.aborted) throw new SandboxAbortedError();
    const started = performance.now();
    const name = `symbi-${this.runId}-${++containerCounter}`;
    const withStdin = req.stdin !== undefined;
    const maxOut = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedOutput(maxOut);
    const stderr = new CappedOutput(maxOut);
    const quick = () => ({ abortSignal: AbortSignal.timeout(this.engineTimeoutMs) });

    let creation: Promise<unknown> | null = null;
    let removed: Promise<void> | null = null;
    const destroy = (): Promise<void> => {
      // An interrupt may arrive while the container is being created: let the creation
      // finish first, or the removal would find nothing and the container would appear after.
      removed ??= Promise.resolve(creation?.catch(() => undefined)).then(() =>
        this.docker
          .getContainer(name)
          .remove({ force: true, ...quick() })
          .then(
            () => undefined,
            (e) => {
              if (statusOf(e) !== 404) throw e;
            },
          ),
      );
      return removed.catch(() => undefined);
    };
    const untrack = trackLiveSandbox({ id: name, destroy, destroySync: () => this.removeWithCli(name) });

    let timedOut = false;
    let aborted = false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      let container: Docker.Container;
      try {
        creation = this.docker.createContainer({
          ...this.containerSpec(name, req.argv, withStdin),
          ...quick(),
        } as Docker.ContainerCreateOptions);
        container = (await creation) as Docker.Container;
      } catch (e) {
        if (statusOf(e) === 404)
          throw new SandboxImageMissingError(this.manifest.image as string, imageHint(this.manifest.image as string), {
            cause: e,
          });
        throw new SandboxEngineError(`cannot create sandbox container ${name}: ${this.engineReason(e)}`, { cause: e });
      }
      // The attach request lives as long as the tool runs: bound only the wait for it to open
      // (an abort signal that fired later would cut the output stream).
      const attachAbort = new AbortController();
      const attachTimer = setTimeout(() => attachAbort.abort(), this.engineTimeoutMs);
      const stream = await container
        .attach({
          stream: true,
          stdout: true,
          stderr: true,
          stdin: withStdin,
          hijack: withStdin,
          abortSignal: attachAbort.signal,
        })
        .finally(() => clearTimeout(attachTimer));
      const ended = new Promise<void>((resolve) => {
        stream.once("end", resolve);
        stream.once("close", resolve);
        stream.once("error", () => resolve());
      });
      this.docker.modem.demuxStream(stream, sink(stdout), sink(stderr));

      // Timer and abort start with the container: setup time is not the tool's time.
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, timeoutMs);
        onAbort = () => {
          aborted = true;
          resolve();
        };
        req.signal?.addEventListener("abort", onAbort, { once: true });
        if (req.signal?.aborted) onAbort(); // aborted while the container was being set up
      });
      try {
        await container.start(quick());
      } catch (e) {
        // The program could not be executed: a tool failure (126/127, as a shell or `docker
        // run` reports it), not an engine failure.
        const exitCode = execFailureStatus(reasonOf(e));
        if (exitCode === null) throw e;
        stderr.push(
          `sandbox: cannot execute ${req.argv[0]}: ${exitCode === 127 ? "not found in the image" : "permission denied"}\n`,
        );
        return this.result(name, started, stdout, stderr, {
          exitCode,
          signal: null,
          timedOut: false,
          oomKilled: false,
        });
      }
      // Wait only after start: condition "not-running" then also answers for a tool that has
      // already exited (waiting before start would need "next-exit", which can miss it).
      const waited = container.wait();
      if (withStdin) stream.end(Buffer.from(req.stdin!));

      const first = await Promise.race([waited.then((r: { StatusCode: number }) => r), killed.then(() => null)]);
      if (first === null) {
        // Timeout or abort: kill now; the container is removed in `finally`.
        await container.kill(quick()).catch(() => undefined);
        await destroy();
        if (aborted) throw new SandboxAbortedError();
        await Promise.race([ended, delay(500)]);
        return this.result(name, started, stdout, stderr, {
          exitCode: null,
          signal: "SIGKILL",
          timedOut: true,
          oomKilled: false,
        });
      }
      // The container has exited: its output stream ends right after; do not wait forever.
      await Promise.race([ended, delay(2000)]);
      const state = (await container.inspect(quick())).State;
      const { exitCode, signal } = decodeStatus(first.StatusCode);
      return this.result(name, started, stdout, stderr, {
        exitCode,
        signal,
        timedOut,
        oomKilled: state.OOMKilled === true,
      });
    } catch (e) {
      if (e instanceof SandboxAbortedError || e instanceof SandboxImageMissingError || e instanceof SandboxEngineError)
        throw e;
      if (aborted) throw new SandboxAbortedError();
      throw new SandboxEngineError(`sandbox container ${name} failed: ${this.engineReason(e)}`, { cause: e });
    } finally {
      clearTimeout(timer);
      if (onAbort) req.signal?.removeEventListener("abort", onAbort);
      await destroy();
      untrack();
    }
  }

  /**
   * Last resort when the program exits while a container is live (`process.exit` from a CLI's
   * own signal handler): nothing asynchronous can run then, so ask the docker CLI, if installed,
   * to remove the container. A CLI should prefer `await destroyAllSandboxes()` before exiting.
   */
  private removeWithCli(name: string): void {
    const socketPath = (this.docker.modem as { socketPath?: unknown }).socketPath;
    const host = typeof socketPath === "string" ? ["-H", `unix://${socketPath}`] : [];
    spawnSync("docker", [...host, "rm", "-f", name], { stdio: "ignore", timeout: 10_000 });
  }

  private result(
    name: string,
    started: number,
    stdout: CappedOutput,
    stderr: CappedOutput,
    r: { exitCode: number | null; signal: string | null; timedOut: boolean; oomKilled: boolean },
  ): SandboxRunResult {
    return {
      ...r,
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      durationMs: performance.now() - started,
      sandbox: { tier: this.tier, id: name },
    };
  }

  private engineReason(e: unknown): string {
    if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError"))
      return `no answer within ${this.engineTimeoutMs} ms`;
    return reasonOf(e);
  }
}

/**
 * Removes sandbox containers left behind by a program that was killed outright (SIGKILL gives no
 * chance to clean up): all of them, or those of one run id. Returns the names removed.
 */
export async function pruneSandboxContainers(docker: Docker = new Docker(), runId?: string): Promise<string[]> {
  const filters: Record<string, string[]> = {
    label: [runId ? `dev.symbi.run=${sanitizeRunId(runId)}` : `${SANDBOX_LABEL}=1`],
  };
  const list = await docker.listContainers({ all: true, filters: JSON.stringify(filters) });
  const names: string[] = [];
  for (const c of list) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch((e) => {
        if (statusOf(e) !== 404) throw e;
      });
    names.push((c.Names[0] ?? c.Id).replace(/^\//, ""));
  }
  return names;
}

/** dockerode accepts `abortSignal` on these calls; its type definitions do not say so yet. */
function callWithSignal(self: object, method: unknown, abortSignal: AbortSignal): Promise<unknown> {
  return (method as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(self, { abortSignal });
}

function sink(out: CappedOutput): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk);
      done();
    },
  });
}

/** 127 when the runtime could not find the program, 126 when it could not execute it, else null. */
function execFailureStatus(message: string): number | null {
  // runc's wording: `exec: "prog": executable file not found in $PATH`, or for a path
  // `exec: "/x/prog": stat /x/prog: no such file or directory`, or `...: permission denied`.
  if (/exec: "[^"]*": (executable file not found|stat [^:]*: no such file or directory)/.test(message)) return 127;
  if (/exec: "[^"]*": (permission denied|exec format error)/.test(message)) return 126;
  return null;
}

/** Docker reports a signal death of the container's process as 128 + signal number. */
function decodeStatus(status: number): { exitCode: number | null; signal: string | null } {
  if (status > 128 && status < 128 + 65) {
    const sig = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0];
    if (sig) return { exitCode: null, signal: sig };
  }
  return { exitCode: status, signal: null };
}

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number } | null)?.statusCode;
}

function imageHint(image: string): string {
  return image === DEFAULT_SANDBOX_IMAGE
    ? "build it with `npm run sandbox:image`"
    : "build or `docker load` it locally (images are never pulled)";
}

function sanitizeRunId(id: string): string {
  const s = id
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 24);
  return s || PROCESS_RUN_ID;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
