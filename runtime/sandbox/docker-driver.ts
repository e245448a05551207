/**
 * Container tiers through the Docker Engine API (dockerode): tier1 runs under runc, tier2 under
 * gVisor's runsc. Containers are created with exactly the manifest's settings:
 *
 *   User, WorkingDir, Env (PATH/HOME/TMPDIR + manifest env; nothing from the host; loader
 *   variables refused), HostConfig.ReadonlyRootfs, Tmpfs (rw,nosuid,nodev,noexec,size,mode),
 *   Mounts (read-only binds, private propagation), CapDrop ALL, SecurityOpt no-new-privileges and
 *   seccomp=<Docker's default profile, passed explicitly: seccomp.ts>, Memory = MemorySwap (no
 *   swap), NanoCpus, PidsLimit, Runtime runc|runsc, NetworkMode none + NetworkDisabled,
 *   LogConfig none (output is streamed, never stored), and labels with the container's deadline.
 *
 * Two ways to run a call:
 * - warm (the runtime's default, given a WarmContainers set): one container per `with` block and
 *   container settings, started at the first call; each call goes to the container's launcher
 *   (warm-launcher.ts), or is a `docker exec` with its own user, working directory and environment
 *   when the launcher cannot take it (warm-containers.ts says when it is removed);
 * - fresh (`fresh = true`, or no set given): one container per call, removed afterwards.
 * Either way the call runs under `timeout -s KILL <its timeout + 1 s>` inside the container, and
 * a container's own process ends by its deadline label, so no sandbox outlives its deadline even
 * when the runtime is killed outright. The image must provide `timeout` (and `sleep` for warm
 * containers): busybox and coreutils both do; a missing one is a clear SandboxUnavailableError.
 *
 * Tier2 is proved, not trusted: before its first call, a container of the manifest's image under
 * the `runsc` runtime must report a kernel other than the host's in /proc/version (gVisor's own;
 * a runtime that is really runc shows the host's). gVisor's own threads count against the host pids limit, so
 * tier2 gets the manifest's `pids` as RLIMIT_NPROC inside gVisor (which counts only the tool's
 * tasks) and a host pids limit with room for gVisor's threads (gvisorHostPidsLimit).
 *
 * A network allowlist cannot be enforced with NetworkMode none, and opening a bridge network
 * would allow everything, so a manifest with an allowlist is refused (SandboxUnsupportedError):
 * fail closed; the refusal names what works (the Kubernetes Job). Images are never pulled — no registry is reachable, and pulling would run
 * something other than what was built and reviewed.
 */
import { performance } from "node:perf_hooks";
import { PassThrough, Writable } from "node:stream";
import Docker from "dockerode";
import { DEFAULT_SANDBOX_IMAGE, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import { CappedOutput } from "./capped-output.js";
import {
  DEADLINE_LABEL,
  MODE_LABEL,
  RUN_LABEL,
  SANDBOX_LABEL,
  callWithSignal,
  decodeStatus,
  delay,
  dockerEndpoint,
  engineReasonOf,
  reapExpiredOnce,
  removeContainer,
  removeWithCli,
  sanitizeRunId,
  sink,
  statusOf,
  unexecutableProgram,
} from "./docker-engine.js";
import {
  SandboxAbortedError,
  SandboxEngineError,
  SandboxImageMissingError,
  SandboxUnavailableError,
  SandboxUnsupportedError,
  reasonOf,
} from "./errors.js";
import { inspectImageIdentity } from "./image-identity.js";
import { trackLiveSandbox } from "./live-sandboxes.js";
import {
  INNER_DEADLINE_GRACE_MS,
  checkedIdentity,
  effectiveTimeoutMs,
  innerTimeoutSeconds,
  toolEnvironment,
  validateArgv,
} from "./request.js";
import { gvisorSeccompProfile, loadSeccompProfile } from "./seccomp.js";
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  type ImageIdentity,
  type SandboxDriver,
  type SandboxExit,
  type SandboxProcess,
  type SandboxRunRequest,
  type SandboxRunResult,
  type SandboxSpawnRequest,
  whileToolRuns,
} from "./types.js";
import { WarmContainers, warmContainersFor, type WarmContainer, type WarmReady } from "./warm-containers.js";
import { LAUNCHER_SCRIPT, LauncherChannel, launcherCanRun, type LauncherCall } from "./warm-launcher.js";

/** The image cannot run the launcher (no `sh` or `env`): its warm container uses `docker exec`. */
class LauncherUnavailable extends Error {}

/**
 * A call's deadline and its caller's abort as one promise: `reached` resolves on whichever
 * comes first (`timedOut` / `aborted` say which); `dispose` stops the timer and the listener.
 * The deadline counts from construction.
 */
class CallDeadline {
  timedOut = false;
  aborted = false;
  readonly reached: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private onAbort: (() => void) | undefined;

  constructor(
    timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.reached = new Promise<void>((resolve) => {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        resolve();
      }, timeoutMs);
      this.onAbort = () => {
        this.aborted = true;
        resolve();
      };
      signal?.addEventListener("abort", this.onAbort, { once: true });
      if (signal?.aborted) this.onAbort();
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    if (this.onAbort) this.signal?.removeEventListener("abort", this.onAbort);
  }
}

/** The result fields of a call killed at its deadline (or abort) before it exited. */
const KILLED_AT_DEADLINE = { exitCode: null, signal: "SIGKILL", timedOut: true, oomKilled: false } as const;

export interface DockerSandboxOptions {
  /** A dockerode client to use; default: one for DOCKER_HOST or /var/run/docker.sock. */
  docker?: Docker;
  /** Groups this program's containers in their names and labels (default: random per process). */
  runId?: string;
  /** Bound on each availability check and each engine call that should be quick (default 10 s). */
  engineTimeoutMs?: number;
  /**
   * The run's warm containers: calls reuse one container per `with` block and container
   * settings (`docker exec`). Without it — or with `fresh` — every call gets its own container.
   */
  warm?: WarmContainers;
  /** One container per call even when `warm` is given (`fresh = true` on the tool; the block's is in the manifest). */
  fresh?: boolean;
}

export { SANDBOX_LABEL, dockerEndpoint, pruneSandboxContainers } from "./docker-engine.js";

/** PATH inside the container unless the manifest sets one. */
const CONTAINER_PATH = "/usr/local/bin:/usr/bin:/bin";
/**
 * The host pids limit of a gVisor container: gVisor's own threads count there, not only the
 * tool's tasks. Measured with Debian's runsc (ptrace platform): about 45 host threads idle and
 * about 8 more per task inside; the tool's own tasks are bounded inside gVisor (RLIMIT_NPROC).
 */
export function gvisorHostPidsLimit(pids: number): number {
  return 128 + 10 * pids;
}

let containerCounter = 0;
/** Endpoints and images whose `runsc` runtime was proved to be gVisor in this process. */
const provedGvisor = new Map<string, Promise<void>>();

export class DockerSandbox implements SandboxDriver {
  readonly tier: "tier1" | "tier2";
  readonly docker: Docker;
  readonly runId: string;
  private readonly engineTimeoutMs: number;
  private readonly warm: WarmContainers | undefined;
  private checked: Promise<void> | null = null;
  private image: ImageIdentity | null = null;

  constructor(
    readonly manifest: SandboxManifest,
    options: DockerSandboxOptions = {},
  ) {
    if (manifest.tier === "process" || manifest.image === null || manifest.runtime === null) {
      throw new TypeError(`DockerSandbox needs a tier1 or tier2 manifest, got tier ${manifest.tier}`);
    }
    this.tier = manifest.tier;
    this.docker = options.docker ?? new Docker();
    this.runId = sanitizeRunId(options.runId);
    this.engineTimeoutMs = options.engineTimeoutMs ?? 10_000;
    this.warm = warmContainersFor(manifest, options);
  }

  /** The image id and digest found by `check()`, for the audit log. */
  imageIdentity(): ImageIdentity | null {
    return this.image;
  }

  /** True when calls reuse a warm container. */
  get reusesContainers(): boolean {
    return this.warm !== undefined;
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
        `agent ${m.agent}: the Docker sandbox cannot enforce a network allowlist (${m.network.allow.map((d) => `${d.host}:${d.port}`).join(", ")}) and will not open the network; run the agent as the Kubernetes Job that symbic build writes (k8s/<n>.yaml: a NetworkPolicy, and an audited egress gateway for host names; docs/kubernetes.md), or remove the allowance`,
      );
    }
    checkedIdentity(m.user);
    toolEnvironment(m, CONTAINER_PATH, "/tmp");
    const where = dockerEndpoint(this.docker);
    try {
      await callWithSignal(this.docker, this.docker.ping, AbortSignal.timeout(this.engineTimeoutMs));
    } catch (e) {
      throw new SandboxUnavailableError(
        `Docker daemon not reachable at ${where} (${this.engineReason(e)}); start dockerd (see .ci/run) or pick the process tier explicitly for development`,
        { cause: e },
      );
    }
    let info: { Runtimes?: Record<string, unknown>; SecurityOptions?: string[]; KernelVersion?: string };
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
    loadSeccompProfile();
    try {
      this.image = await inspectImageIdentity(
        this.docker,
        m.image as string,
        AbortSignal.timeout(this.engineTimeoutMs),
      );
    } catch (e) {
      if (statusOf(e) === 404)
        throw new SandboxImageMissingError(m.image as string, imageHint(m.image as string), { cause: e });
      throw new SandboxUnavailableError(`cannot inspect sandbox image ${m.image} (${this.engineReason(e)})`, {
        cause: e,
      });
    }
    // Containers a killed runtime left behind: removed once their deadline has passed.
    await reapExpiredOnce(this.docker);
    if (this.tier === "tier2") await this.proveGvisor(info.KernelVersion ?? "", info.Runtimes?.[runtime]);
  }

  /**
   * Tier2 only, once per process, endpoint and image: a container under this runtime must run on
   * a kernel other than the host's, with the seccomp profile in force inside. gVisor answers
   * /proc/version from its own kernel (4.4.0 in Debian's release); a `runsc` that is really runc
   * shows the host's kernel, which the daemon reports as KernelVersion. gVisor applies the
   * container's seccomp profile only when registered with `--oci-seccomp` (see .ci/run).
   */
  private proveGvisor(hostKernel: string, registration: unknown): Promise<void> {
    // The runtime's registration is part of the key: re-registered, it is proved again.
    const key = JSON.stringify([dockerEndpoint(this.docker), this.manifest.image, this.manifest.runtime, registration]);
    let proof = provedGvisor.get(key);
    if (!proof) {
      const argv = ["cat", "/proc/version", "/proc/self/status"];
      proof = this.runFresh({ argv, timeoutMs: Math.min(this.manifest.timeoutMs, 20_000) }).then((r) => {
        const version = /^Linux version (\S+)/.exec(r.stdout)?.[1];
        const where = dockerEndpoint(this.docker);
        const fix = "register gVisor's runsc (apt-get install runsc; see .ci/run) — a tier is never downgraded";
        if (r.exitCode !== 0 || version === undefined || hostKernel === "" || version === hostKernel) {
          const seen = (
            r.stdout.split("\n")[0] ||
            r.stderr.trim().split("\n")[0] ||
            `exit ${r.exitCode ?? r.signal}`
          ).slice(0, 120);
          throw new SandboxUnavailableError(
            `the runtime registered as \`runsc\` at ${where} is not gVisor: inside a tier2 container the kernel is ${version !== undefined && version === hostKernel ? `the host's own (${hostKernel})` : `not gVisor's (${JSON.stringify(seen)})`}; ${fix}`,
          );
        }
        if (!/^Seccomp:\s+2$/m.test(r.stdout))
          throw new SandboxUnavailableError(
            `gVisor at ${where} does not apply the container's seccomp profile (register runsc with --oci-seccomp; see .ci/run); a tier is never weakened`,
          );
      });
      provedGvisor.set(key, proof);
      proof.catch(() => provedGvisor.delete(key));
    }
    return proof;
  }

  /** Settings every container of this manifest shares (fresh or warm). */
  private hostConfig(): Docker.HostConfig {
    const m = this.manifest;
    const memory = m.limits.memoryMb * 1024 * 1024;
    const tmpfs: Record<string, string> = {};
    for (const t of m.tmpfs) tmpfs[t.path] = `rw,nosuid,nodev,noexec,size=${t.sizeMb}m,mode=${t.mode}`;
    const gvisor = this.tier === "tier2";
    const seccomp = gvisor ? gvisorSeccompProfile(loadSeccompProfile()) : loadSeccompProfile();
    const security = [`seccomp=${seccomp.json}`];
    if (m.noNewPrivileges) security.push("no-new-privileges:true");
    const host: Docker.HostConfig = {
      NetworkMode: "none",
      ReadonlyRootfs: m.readOnlyRoot,
      Tmpfs: tmpfs,
      CapDrop: [...m.capDrop],
      SecurityOpt: security,
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(m.limits.cpus * 1e9),
      PidsLimit: gvisor ? gvisorHostPidsLimit(m.limits.pids) : m.limits.pids,
      Runtime: m.runtime as string,
      Privileged: false,
      // The engine's init (tini) is PID 1: it reaps what a tool leaves behind, and the `timeout`
      // wrapper is not PID 1 — the kernel ignores a SIGKILL that PID 1's own namespace sends it.
      Init: true,
      LogConfig: { Type: "none", Config: {} },
      AutoRemove: false,
    };
    // Inside gVisor, RLIMIT_NPROC counts the tool's tasks only (gVisor has its own kernel); under
    // runc it would count every process of that uid on the host, so runc relies on the pids cgroup.
    if (gvisor) host.Ulimits = [{ Name: "nproc", Soft: m.limits.pids, Hard: m.limits.pids }];
    if (m.mounts && m.mounts.length > 0)
      host.Mounts = m.mounts.map((b) => ({
        Type: "bind" as const,
        Source: b.source,
        Target: b.target,
        ReadOnly: true,
        BindOptions: { Propagation: "rprivate" as const },
      }));
    return host;
  }

  private labels(mode: "warm" | "call", deadline: number): Record<string, string> {
    const m = this.manifest;
    return {
      [SANDBOX_LABEL]: "1",
      [RUN_LABEL]: this.runId,
      "dev.symbi.agent": m.agent,
      "dev.symbi.tier": m.tier,
      [MODE_LABEL]: mode,
      [DEADLINE_LABEL]: String(deadline),
    };
  }

  /**
   * The container settings for one fresh call: everything comes from the manifest. The entry
   * point is `timeout -s KILL <timeout + 1 s>` then argv, so the call ends inside the container
   * even if the runtime cannot end it.
   */
  containerSpec(
    name: string,
    argv: string[],
    withStdin: boolean,
    timeoutMs = this.manifest.timeoutMs,
  ): Docker.ContainerCreateOptions {
    const m = this.manifest;
    const { uid, gid } = checkedIdentity(m.user);
    return {
      name,
      Image: m.image as string,
      // Entrypoint + Cmd are exactly the wrapper and argv, whatever entrypoint the image declares.
      Entrypoint: ["timeout", "-s", "KILL", innerTimeoutSeconds(timeoutMs), argv[0]!],
      Cmd: argv.slice(1),
      User: `${uid}:${gid}`,
      WorkingDir: m.workdir,
      Env: toolEnvironment(m, CONTAINER_PATH, "/tmp"),
      Labels: this.labels("call", this.deadlineAfter(timeoutMs)),
      Tty: false,
      AttachStdin: withStdin,
      OpenStdin: withStdin,
      StdinOnce: withStdin,
      AttachStdout: true,
      AttachStderr: true,
      NetworkDisabled: true,
      HostConfig: this.hostConfig(),
    };
  }

  /**
   * The settings of a warm container: the same sandbox, with the launcher (warm-launcher.ts) as
   * its process under `timeout -s KILL <block timeout + 1 s>`, so it ends by itself if nobody
   * removes it; its standard input is the runtime's attached connection, and closes when the
   * runtime goes (StdinOnce), which ends the launcher too.
   */
  warmContainerSpec(name: string): Docker.ContainerCreateOptions {
    const m = this.manifest;
    return {
      ...this.sleepContainerSpec(name),
      Entrypoint: [
        "timeout",
        "-s",
        "KILL",
        innerTimeoutSeconds(m.timeoutMs),
        "sh",
        "-c",
        LAUNCHER_SCRIPT,
        "symbi-launcher",
      ],
      AttachStdin: true,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdout: true,
      AttachStderr: true,
    };
  }

  /**
   * The warm container of an image without the launcher's `sh` or `env`: `sleep` for the block's
   * timeout as its only process, calls as `docker exec`.
   */
  sleepContainerSpec(name: string): Docker.ContainerCreateOptions {
    const m = this.manifest;
    const { uid, gid } = checkedIdentity(m.user);
    return {
      name,
      Image: m.image as string,
      Entrypoint: ["sleep", innerTimeoutSeconds(m.timeoutMs)],
      Cmd: [],
      User: `${uid}:${gid}`,
      WorkingDir: m.workdir,
      Env: toolEnvironment(m, CONTAINER_PATH, "/tmp"),
      Labels: this.labels("warm", this.deadlineAfter(m.timeoutMs)),
      Tty: false,
      AttachStdin: false,
      OpenStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      NetworkDisabled: true,
      HostConfig: this.hostConfig(),
    };
  }

  /** The deadline label of a container whose limit inside is `timeoutMs` (+ grace), with room for its start. */
  private deadlineAfter(timeoutMs: number): number {
    return Date.now() + timeoutMs + INNER_DEADLINE_GRACE_MS + 2 * this.engineTimeoutMs;
  }

  /**
   * Which calls may share a warm container: the same container settings. The per-call user,
   * working directory and environment are not part of it (`docker exec` sets them).
   */
  warmKey(): string {
    const { user: _u, workdir: _w, env: _e, source: _s, ...rest } = this.manifest;
    return JSON.stringify(rest);
  }

  async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
    validateArgv(req.argv);
    effectiveTimeoutMs(this.manifest, req);
    await this.check();
    if (req.signal?.aborted) throw new SandboxAbortedError();
    return this.warm ? this.runWarm(req, this.warm) : this.runFresh(req);
  }

  /** One call in its own container, removed afterwards. */
  private async runFresh(req: SandboxRunRequest): Promise<SandboxRunResult> {
    const timeoutMs = effectiveTimeoutMs(this.manifest, req);
    const started = performance.now();
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = `symbi-${this.runId}-${++containerCounter}`;
    const withStdin = req.stdin !== undefined;
    const maxOut = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedOutput(maxOut);
    const stderr = new CappedOutput(maxOut);
    const quick = () => ({ abortSignal: AbortSignal.timeout(this.engineTimeoutMs) });

    const { create, destroy, untrack } = this.trackedContainer(name);

    let deadline: CallDeadline | undefined;
    try {
      const container = await create(this.containerSpec(name, req.argv, withStdin, timeoutMs));
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
      const ended = endOf(stream);
      this.docker.modem.demuxStream(stream, sink(stdout), sink(stderr));

      // Timer and abort start with the container: setup time is not the tool's time (an abort
      // while the container was being set up is reached at once).
      deadline = new CallDeadline(timeoutMs, req.signal);
      try {
        await container.start(quick());
      } catch (e) {
        throw this.startError(e, name);
      }
      // Wait only after start: condition "not-running" then also answers for a tool that has
      // already exited (waiting before start would need "next-exit", which can miss it).
      const waited = container.wait();
      if (withStdin) stream.end(Buffer.from(req.stdin!));
      whileToolRuns(req);

      const first = await Promise.race([
        waited.then((r: { StatusCode: number }) => r),
        deadline.reached.then(() => null),
      ]);
      if (first === null) {
        // Timeout or abort: kill now; the container is removed in `finally`.
        await container.kill(quick()).catch(() => undefined);
        await destroy();
        if (deadline.aborted) throw new SandboxAbortedError();
        await Promise.race([ended, delay(500)]);
        return this.result(name, started, stdout, stderr, KILLED_AT_DEADLINE);
      }
      // The container has exited: its output stream ends right after; do not wait forever.
      await Promise.race([ended, delay(2000)]);
      const state = (await container.inspect(quick())).State;
      const { exitCode, signal } = decodeStatus(first.StatusCode);
      this.refuseMissingWrapper(exitCode, stderr.text(), "timeout");
      // The engine sets OOMKilled only when it saw the kill itself; a gVisor sandbox killed whole
      // shows up as an `oom` event.
      const oomKilled =
        state.OOMKilled === true || (signal === "SIGKILL" && (await this.oomEventSince(container.id, since)));
      return this.result(name, started, stdout, stderr, { exitCode, signal, timedOut: deadline.timedOut, oomKilled });
    } catch (e) {
      throw this.runError(e, name, deadline?.aborted ?? false);
    } finally {
      deadline?.dispose();
      await destroy();
      untrack();
    }
  }

  /** The run's warm container for this driver's settings, started if needed. */
  private async warmContainer(set: WarmContainers, timeoutMs: number): Promise<WarmContainer> {
    const key = this.warmKey();
    let c = set.get(key);
    // Too little of its own life left for this call (its `sleep` would end it mid-call): replace it.
    if (c && c.lifeEndsAt - Date.now() < timeoutMs) {
      await set.retire(c);
      c = undefined;
    }
    if (!c) {
      c = this.startWarm(key);
      set.add(c);
    }
    try {
      await c.ready;
    } catch (e) {
      await set.retire(c);
      throw e;
    }
    return c;
  }

  private startWarm(key: string): WarmContainer {
    const name = `symbi-${this.runId}-w${++containerCounter}`;
    const lifeEndsAt = Date.now() + this.manifest.timeoutMs + INNER_DEADLINE_GRACE_MS;
    let starting: Promise<unknown> | null = null;
    let launcher: LauncherChannel | null = null;
    let removed: Promise<void> | null = null;
    let untrack = (): void => {};
    const destroy = (): Promise<void> => {
      // Let a start under way settle first, or the removal would find nothing and the
      // container would appear after it.
      removed ??= Promise.resolve(starting?.catch(() => undefined))
        .then(() => {
          launcher?.destroy();
          return removeContainer(this.docker, name, AbortSignal.timeout(this.engineTimeoutMs));
        })
        .finally(() => untrack());
      return removed.catch(() => undefined);
    };
    untrack = trackLiveSandbox({ id: name, destroy, destroySync: () => removeWithCli(this.docker, name) });
    const { uid, gid } = checkedIdentity(this.manifest.user);
    const ready = (async (): Promise<WarmReady> => {
      try {
        const started = await this.startLauncherContainer(name);
        launcher = started.launcher;
        return { ...started, user: `${uid}:${gid}` };
      } catch (e) {
        if (!(e instanceof LauncherUnavailable)) throw e;
      }
      // No launcher in this image (no `sh` or `env`): a container whose only process is `sleep`,
      // each call a `docker exec`.
      await removeContainer(this.docker, name, AbortSignal.timeout(this.engineTimeoutMs));
      return { container: await this.startSleepContainer(name), launcher: null, user: `${uid}:${gid}` };
    })();
    starting = ready;
    ready.catch(() => undefined); // observed by warmContainer()
    return { key, name, ready, lifeEndsAt, destroy };
  }

  /** Creates and starts a container of `spec`; a missing wrapper or an engine failure is a clear error. */
  private async createAndStart(
    name: string,
    spec: Docker.ContainerCreateOptions,
    beforeStart?: (c: Docker.Container) => Promise<void>,
  ): Promise<Docker.Container> {
    const quick = () => ({ abortSignal: AbortSignal.timeout(this.engineTimeoutMs) });
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({ ...spec, ...quick() } as Docker.ContainerCreateOptions);
    } catch (e) {
      throw this.creationError(e, name);
    }
    if (beforeStart) await beforeStart(container);
    try {
      await container.start(quick());
    } catch (e) {
      const failed = this.startError(e, name);
      throw failed instanceof SandboxUnavailableError || failed instanceof SandboxEngineError
        ? failed
        : new SandboxEngineError(`cannot start warm container ${name}: ${this.engineReason(e)}`, { cause: e });
    }
    return container;
  }

  /** A warm container whose process is the launcher (warm-launcher.ts), ready for calls. */
  private async startLauncherContainer(
    name: string,
  ): Promise<{ container: Docker.Container; launcher: LauncherChannel }> {
    let launcher: LauncherChannel | null = null;
    const container = await this.createAndStart(name, this.warmContainerSpec(name), async (c) => {
      // Attached before the start, so the ready line cannot be missed; the attach lives as long
      // as the container: bound only the wait for it to open.
      const attachAbort = new AbortController();
      const attachTimer = setTimeout(() => attachAbort.abort(), this.engineTimeoutMs);
      let stream: NodeJS.ReadWriteStream;
      try {
        stream = (await c
          .attach({
            stream: true,
            stdin: true,
            stdout: true,
            stderr: true,
            hijack: true,
            abortSignal: attachAbort.signal,
          })
          .finally(() => clearTimeout(attachTimer))) as NodeJS.ReadWriteStream;
      } catch (e) {
        throw new SandboxEngineError(`cannot attach to warm container ${name}: ${this.engineReason(e)}`, { cause: e });
      }
      // The connection must not keep the program alive by itself (a call's timer does, while it runs).
      (stream as NodeJS.ReadWriteStream & { unref?: () => void }).unref?.();
      // Half the pids limit for the wrappers of recent calls (LauncherChannel.pace), half for the tool.
      launcher = new LauncherChannel(
        stream,
        (st, out, err) => this.docker.modem.demuxStream(st, out, err),
        Math.floor(this.manifest.limits.pids / 2),
      );
    });
    const channel = launcher as LauncherChannel | null;
    if (!channel) throw new SandboxEngineError(`warm container ${name} has no launcher connection`);
    const timer = setTimeout(() => channel.destroy(), this.engineTimeoutMs);
    try {
      await channel.ready;
    } catch (e) {
      const why = reasonOf(e);
      if (/symbi-launcher: missing timeout/.test(why)) throw this.missingWrapper("timeout");
      if (channel.ended && /symbi-launcher: missing env|can't execute 'sh'|failed to run command .sh.:/.test(why))
        throw new LauncherUnavailable(why);
      channel.destroy();
      throw new SandboxEngineError(`the launcher of warm container ${name} did not start: ${why}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    return { container, launcher: channel };
  }

  /** A warm container whose only process is `sleep` for the block's timeout (calls: `docker exec`). */
  private startSleepContainer(name: string): Promise<Docker.Container> {
    return this.createAndStart(name, this.sleepContainerSpec(name));
  }

  /** One call as a `docker exec` in the run's warm container. */
  private async runWarm(req: SandboxRunRequest, set: WarmContainers): Promise<SandboxRunResult> {
    const m = this.manifest;
    const timeoutMs = effectiveTimeoutMs(m, req);
    const started = performance.now();
    const since = Math.floor(Date.now() / 1000) - 1;
    const warm = await this.warmContainer(set, timeoutMs);
    if (req.signal?.aborted) throw new SandboxAbortedError();
    const { container, launcher, user } = await warm.ready;
    const { uid, gid } = checkedIdentity(m.user);
    const withStdin = req.stdin !== undefined;
    const maxOut = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedOutput(maxOut);
    const stderr = new CappedOutput(maxOut);
    const quick = () => ({ abortSignal: AbortSignal.timeout(this.engineTimeoutMs) });
    const call: LauncherCall = {
      argv: ["timeout", "-s", "KILL", innerTimeoutSeconds(timeoutMs), ...req.argv],
      env: toolEnvironment(m, CONTAINER_PATH, "/tmp"),
      workdir: m.workdir,
    };
    // The launcher runs calls of the container's own user, without standard input, one at a time;
    // anything else is a `docker exec` (warm-launcher.ts).
    if (launcher && !launcher.busy && !launcher.ended && !withStdin && user === `${uid}:${gid}` && launcherCanRun(call))
      return this.runLaunched(req, set, warm, container, launcher, call, { started, since, timeoutMs, stdout, stderr });

    let deadline: CallDeadline | undefined;
    try {
      let exec: Docker.Exec;
      try {
        exec = await container.exec({
          Cmd: ["timeout", "-s", "KILL", innerTimeoutSeconds(timeoutMs), ...req.argv],
          User: `${uid}:${gid}`,
          WorkingDir: m.workdir,
          Env: toolEnvironment(m, CONTAINER_PATH, "/tmp"),
          AttachStdin: withStdin,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          ...quick(),
        } as Docker.ExecCreateOptions);
      } catch (e) {
        await set.retire(warm); // most likely gone (its deadline, an OOM of the whole sandbox)
        throw new SandboxEngineError(`cannot run a call in warm container ${warm.name}: ${this.engineReason(e)}`, {
          cause: e,
        });
      }
      const startAbort = new AbortController();
      const startTimer = setTimeout(() => startAbort.abort(), this.engineTimeoutMs);
      const stream = (await exec
        .start({ hijack: true, stdin: withStdin, abortSignal: startAbort.signal } as Docker.ExecStartOptions)
        .finally(() => clearTimeout(startTimer))) as NodeJS.ReadWriteStream;
      const ended = endOf(stream);
      this.docker.modem.demuxStream(stream, sink(stdout), sink(stderr));
      if (withStdin) stream.end(Buffer.from(req.stdin!));

      deadline = new CallDeadline(timeoutMs, req.signal);
      const finished = await Promise.race([ended.then(() => true), deadline.reached.then(() => false)]);
      if (!finished) {
        // A running exec cannot be killed on its own: the container goes, and the next call
        // starts a new one.
        await set.retire(warm);
        if (deadline.aborted) throw new SandboxAbortedError();
        await Promise.race([ended, delay(500)]);
        return this.result(warm.name, started, stdout, stderr, KILLED_AT_DEADLINE);
      }
      const status = await this.execStatus(exec);
      if (status === null) {
        // The exec's stream ended without a status: the container itself died under it.
        return await this.diedDuringCall(set, warm, container, started, stdout, stderr);
      }
      const { exitCode, signal } = decodeStatus(status);
      this.refuseMissingWrapper(exitCode, stdout.text() + stderr.text(), "timeout");
      let oomKilled = false;
      if (signal === "SIGKILL") oomKilled = await this.oomSince(container, since, warm, set);
      return this.result(warm.name, started, stdout, stderr, { exitCode, signal, timedOut: false, oomKilled });
    } catch (e) {
      throw this.runError(e, warm.name, deadline?.aborted ?? false);
    } finally {
      deadline?.dispose();
    }
  }

  /**
   * A warm container died under a call (by `docker exec` or the launcher): it is retired, and the
   * call was OOM-killed when the engine says so; otherwise the container's end is an engine error.
   */
  private async diedDuringCall(
    set: WarmContainers,
    warm: WarmContainer,
    container: Docker.Container,
    started: number,
    stdout: CappedOutput,
    stderr: CappedOutput,
  ): Promise<SandboxRunResult> {
    const state = await container.inspect({ abortSignal: AbortSignal.timeout(this.engineTimeoutMs) }).then(
      (i) => i.State,
      () => null,
    );
    await set.retire(warm);
    if (state?.OOMKilled)
      return this.result(warm.name, started, stdout, stderr, {
        exitCode: null,
        signal: "SIGKILL",
        timedOut: false,
        oomKilled: true,
      });
    throw new SandboxEngineError(
      `warm container ${warm.name} ended during the call (${state ? `status ${state.Status}` : "gone"})`,
    );
  }

  /** One call through the warm container's launcher (warm-launcher.ts). */
  private async runLaunched(
    req: SandboxRunRequest,
    set: WarmContainers,
    warm: WarmContainer,
    container: Docker.Container,
    launcher: LauncherChannel,
    call: LauncherCall,
    o: { started: number; since: number; timeoutMs: number; stdout: CappedOutput; stderr: CappedOutput },
  ): Promise<SandboxRunResult> {
    const { started, since, timeoutMs, stdout, stderr } = o;
    let deadline: CallDeadline | undefined;
    launcher.busy = true;
    try {
      // Before the call's timer starts: waiting for earlier wrappers is not the tool's time.
      await launcher.pace();
      deadline = new CallDeadline(timeoutMs, req.signal);
      const outcome = launcher.run(call, stdout, stderr);
      const first = await Promise.race([outcome, deadline.reached.then(() => null)]);
      if (first === null) {
        // A running call cannot be killed alone (it may have children of its own): the container
        // goes, and the next call starts a new one — as with `docker exec`.
        await set.retire(warm);
        if (deadline.aborted) throw new SandboxAbortedError();
        return this.result(warm.name, started, stdout, stderr, KILLED_AT_DEADLINE);
      }
      if (!first.ended) {
        // The launcher's stream ended under the call: the container died (its memory limit, its
        // deadline) or was removed.
        return await this.diedDuringCall(set, warm, container, started, stdout, stderr);
      }
      const { exitCode, signal } = decodeStatus(first.status);
      let oomKilled = false;
      if (signal === "SIGKILL") oomKilled = await this.oomSince(container, since, warm, set);
      return this.result(warm.name, started, stdout, stderr, { exitCode, signal, timedOut: false, oomKilled });
    } catch (e) {
      throw this.runError(e, warm.name, deadline?.aborted ?? false);
    } finally {
      launcher.busy = false;
      deadline?.dispose();
    }
  }

  /** The exec's exit status once it has ended (null when the engine cannot say). */
  private async execStatus(exec: Docker.Exec): Promise<number | null> {
    for (let i = 0; i < 20; i++) {
      const info = (await callWithSignal(exec, exec.inspect, AbortSignal.timeout(this.engineTimeoutMs)).catch(
        () => null,
      )) as Docker.ExecInspectInfo | null;
      if (info === null) return null;
      if (!info.Running && typeof info.ExitCode === "number") return info.ExitCode;
      await delay(25);
    }
    return null;
  }

  /**
   * Whether the kernel's OOM killer struck the container since `since` (Unix seconds): the engine's
   * `oom` events, or a container that died of it (then it is retired).
   */
  private async oomSince(
    container: Docker.Container,
    since: number,
    warm: WarmContainer,
    set: WarmContainers,
  ): Promise<boolean> {
    const state = await container.inspect({ abortSignal: AbortSignal.timeout(this.engineTimeoutMs) }).then(
      (i) => i.State,
      () => null,
    );
    if (!state?.Running) {
      await set.retire(warm);
      if (state?.OOMKilled) return true;
    }
    return this.oomEventSince(container.id, since);
  }

  /** Whether the engine reported an `oom` event for the container since `since` (Unix seconds). */
  private async oomEventSince(id: string, since: number): Promise<boolean> {
    try {
      const events = (await (this.docker.getEvents as (o: object) => Promise<unknown>).call(this.docker, {
        since,
        until: Math.ceil(Date.now() / 1000),
        filters: JSON.stringify({ container: [id], event: ["oom"] }),
        abortSignal: AbortSignal.timeout(this.engineTimeoutMs),
      })) as NodeJS.ReadableStream;
      let text = "";
      events.on("data", (d: Buffer) => (text += d.toString()));
      await endOf(events);
      return /"oom"/.test(text);
    } catch {
      return false;
    }
  }

  /** A container tier needs `timeout` (and `sleep`) in the image; their absence is not the tool's failure. */
  private refuseMissingWrapper(exitCode: number | null, output: string, wrapper: string): void {
    if (exitCode !== 126 && exitCode !== 127) return;
    const missing = unexecutableProgram(output);
    if (missing?.program === wrapper) throw this.missingWrapper(wrapper);
  }

  private missingWrapper(program: string): SandboxUnavailableError {
    return new SandboxUnavailableError(
      `image ${this.manifest.image} has no \`${program}\`, which the container tiers use to bound ${program === "sleep" ? "a warm container's life" : "each call"} inside the sandbox (busybox or coreutils provide it)`,
    );
  }

  /**
   * A container of one call or one spawned process, tracked until it is removed: `create`
   * creates it, `destroy` removes it, `untrack` forgets it. An interrupt may arrive while the
   * container is being created: the removal waits for the creation to settle, or it would find
   * nothing and the container would appear after.
   */
  private trackedContainer(name: string): {
    create: (spec: Docker.ContainerCreateOptions) => Promise<Docker.Container>;
    destroy: () => Promise<void>;
    untrack: () => void;
  } {
    let creation: Promise<unknown> | null = null;
    let removed: Promise<void> | null = null;
    const destroy = (): Promise<void> => {
      removed ??= Promise.resolve(creation?.catch(() => undefined)).then(() =>
        removeContainer(this.docker, name, AbortSignal.timeout(this.engineTimeoutMs)),
      );
      return removed.catch(() => undefined);
    };
    const untrack = trackLiveSandbox({ id: name, destroy, destroySync: () => removeWithCli(this.docker, name) });
    const create = async (spec: Docker.ContainerCreateOptions): Promise<Docker.Container> => {
      try {
        creation = this.docker.createContainer({
          ...spec,
          abortSignal: AbortSignal.timeout(this.engineTimeoutMs),
        } as Docker.ContainerCreateOptions);
        return (await creation) as Docker.Container;
      } catch (e) {
        throw this.creationError(e, name);
      }
    };
    return { create, destroy, untrack };
  }

  private creationError(e: unknown, name: string): Error {
    if (
      e instanceof SandboxUnavailableError ||
      e instanceof SandboxEngineError ||
      e instanceof SandboxImageMissingError
    )
      return e;
    if (statusOf(e) === 404)
      return new SandboxImageMissingError(this.manifest.image as string, imageHint(this.manifest.image as string), {
        cause: e,
      });
    return new SandboxEngineError(`cannot create sandbox container ${name}: ${this.engineReason(e)}`, { cause: e });
  }

  /** The container's first program (the `timeout` or `sleep` wrapper) could not start. */
  private startError(e: unknown, name: string): Error {
    const missing = unexecutableProgram(reasonOf(e));
    if (missing) return this.missingWrapper(missing.program);
    return new SandboxEngineError(`cannot start sandbox container ${name}: ${this.engineReason(e)}`, { cause: e });
  }

  private runError(e: unknown, name: string, aborted: boolean): Error {
    if (
      e instanceof SandboxAbortedError ||
      e instanceof SandboxImageMissingError ||
      e instanceof SandboxEngineError ||
      e instanceof SandboxUnavailableError ||
      e instanceof SandboxUnsupportedError
    )
      return e;
    if (aborted) return new SandboxAbortedError();
    return new SandboxEngineError(`sandbox container ${name} failed: ${this.engineReason(e)}`, { cause: e });
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
    return engineReasonOf(e, this.engineTimeoutMs);
  }

  /**
   * A long-running program (an MCP server) in its own container with the manifest's settings, its
   * standard input attached: the same wrapper (`timeout -s KILL`) bounds its life inside the
   * container, the deadline label lets a later start or `symbi sandbox prune` remove it if the
   * runtime is killed, and stopping it removes the container.
   */
  async spawn(req: SandboxSpawnRequest): Promise<SandboxProcess> {
    validateArgv(req.argv);
    await this.check();
    if (req.signal?.aborted) throw new SandboxAbortedError();
    const timeoutMs = effectiveTimeoutMs(this.manifest, { argv: req.argv, timeoutMs: req.timeoutMs });
    const name = `symbi-${this.runId}-s${++containerCounter}`;
    const since = Math.floor(Date.now() / 1000) - 1;
    const quick = () => ({ abortSignal: AbortSignal.timeout(this.engineTimeoutMs) });
    const { create, destroy, untrack } = this.trackedContainer(name);
    let container: Docker.Container;
    let stream: NodeJS.ReadWriteStream;
    try {
      container = await create({ ...this.containerSpec(name, req.argv, true, timeoutMs), StdinOnce: false });
      const attachAbort = new AbortController();
      const attachTimer = setTimeout(() => attachAbort.abort(), this.engineTimeoutMs);
      stream = (await container
        .attach({
          stream: true,
          stdout: true,
          stderr: true,
          stdin: true,
          hijack: true,
          abortSignal: attachAbort.signal,
        })
        .finally(() => clearTimeout(attachTimer))) as NodeJS.ReadWriteStream;
      try {
        await container.start(quick());
      } catch (e) {
        throw this.startError(e, name);
      }
    } catch (e) {
      await destroy();
      untrack();
      throw this.runError(e, name, false);
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.docker.modem.demuxStream(stream, stdout, stderr);
    const closeOutputs = () => {
      stdout.end();
      stderr.end();
    };
    stream.once("end", closeOutputs);
    stream.once("close", closeOutputs);
    stream.on("error", closeOutputs);
    const stdin = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        stream.write(chunk, (e?: Error | null) => done(e ?? undefined));
      },
      final: (done) => {
        stream.end();
        done();
      },
    });
    stdin.on("error", () => {});
    let timedOut = false;
    const kill = () => void container.kill(quick()).catch(() => undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = () => kill();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    const exited: Promise<SandboxExit> = (container.wait() as Promise<{ StatusCode: number }>)
      .then(async (r) => {
        const { exitCode, signal } = decodeStatus(r.StatusCode);
        const state = await container
          .inspect(quick())
          .then((i) => i.State)
          .catch(() => undefined);
        const oomKilled =
          state?.OOMKilled === true || (signal === "SIGKILL" && (await this.oomEventSince(container.id, since)));
        return { exitCode: timedOut ? null : exitCode, signal: timedOut ? "SIGKILL" : signal, timedOut, oomKilled };
      })
      .catch((e: unknown) => ({
        exitCode: null,
        signal: null,
        timedOut,
        oomKilled: false,
        error: `the engine stopped answering for it (${this.engineReason(e)})`,
      }))
      .then(async (r) => {
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onAbort);
        closeOutputs();
        await destroy();
        untrack();
        return r;
      });
    return {
      id: name,
      tier: this.tier,
      stdin,
      stdout,
      stderr,
      exited,
      stop: async () => {
        kill();
        await Promise.race([exited, delay(this.engineTimeoutMs)]);
        await destroy();
      },
    };
  }
}

function endOf(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  });
}

function imageHint(image: string): string {
  return image === DEFAULT_SANDBOX_IMAGE
    ? "build it with `npm run sandbox:image`"
    : "build or `docker load` it locally (images are never pulled)";
}
