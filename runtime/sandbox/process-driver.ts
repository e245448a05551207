/**
 * The `process` tier (development only, named explicitly in the manifest): each tool call is a
 * child process, built from util-linux tools so that every limit is set by the kernel before the
 * tool's first instruction:
 *
 *   prlimit --as --nproc --cpu --fsize --core=0 -- unshare --net -- setpriv ... --
 *     timeout -s KILL <deadline> env -i PATH=... HOME=... TMPDIR=... <manifest env> <argv>
 *
 * - environment: the helpers (which run as root) get an empty environment; the tool's — PATH,
 *   HOME and TMPDIR (both the private temporary directory) plus the manifest's `env` — is set by
 *   `env -i` at the tool's own exec, after the identity switch. Nothing is inherited from the
 *   host, and loader variables (LD_PRELOAD, ...) are refused (request.ts);
 * - a deadline inside the sandbox: `timeout -s KILL` ends the tool's process group shortly after
 *   its timeout even when the runtime was killed outright (SIGKILL) and cannot do it;
 * - a private temporary directory (mkdtemp, mode 0700, owned by the tool's user) as the working
 *   directory, deleted afterwards;
 * - rlimits: memoryMb → RLIMIT_AS; cpus × timeout → RLIMIT_CPU (a CPU-time budget, not a rate);
 *   pids → RLIMIT_NPROC on top of the processes the user already runs (RLIMIT_NPROC counts
 *   per user, so concurrent runs under one uid share the budget); the /tmp tmpfs size →
 *   RLIMIT_FSIZE (a per-file cap: there is no tmpfs here);
 * - network `none`: a fresh network namespace (only a down loopback), with `unshare --net` as
 *   root or `unshare --user --map-current-user --net` otherwise. If that is impossible the tier
 *   is unavailable unless the caller explicitly accepts the host's network (`allowHostNetwork`);
 * - privileges: `setpriv --no-new-privs`; as root the tool also switches to the manifest's
 *   uid:gid with no supplementary groups and an empty capability bounding set. As a normal user
 *   the tool runs as that user (already non-root);
 * - timeout / abort: the child leads its own process group; SIGKILL goes to the whole group, and
 *   the group is killed again after the tool exits so no straggler survives. A descendant that
 *   calls setsid() leaves the group — the container tiers do not have that gap.
 * The manifest's image, read-only root and seccomp settings have no process-tier equivalent:
 * this tier is for development, which is why it must be named explicitly.
 */
import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants, readdirSync, readFileSync, rmSync } from "node:fs";
import { chmod, chown, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { SandboxManifest } from "../../formats/sandbox-manifest.js";
import { CappedOutput } from "./capped-output.js";
import { SandboxAbortedError, SandboxUnavailableError, SandboxUnsupportedError, reasonOf } from "./errors.js";
import { trackLiveSandbox } from "./live-sandboxes.js";
import {
  INNER_DEADLINE_GRACE_MS,
  checkedIdentity,
  effectiveTimeoutMs,
  innerTimeoutSeconds,
  toolEnvironment,
  validateArgv,
} from "./request.js";
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  type SandboxDriver,
  type SandboxExit,
  type SandboxProcess,
  type SandboxRunRequest,
  type SandboxRunResult,
  type SandboxSpawnRequest,
  whileToolRuns,
} from "./types.js";

export interface ProcessSandboxOptions {
  /**
   * Run with the host's network when a network namespace cannot be created (or when the
   * manifest has an allowlist, which this tier cannot enforce). Off by default: without it,
   * those cases are errors. Only for development, and only when a person asked for it.
   */
  allowHostNetwork?: boolean;
}

/** Where the util-linux helpers are looked for (an explicit list: the host PATH is not trusted). */
const SYSTEM_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];
/** PATH inside the sandbox unless the manifest sets one. */
const SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";

interface Helpers {
  prlimit: string;
  unshare: string;
  setpriv: string;
  timeout: string;
  env: string;
}

export class ProcessSandbox implements SandboxDriver {
  readonly tier = "process" as const;
  private checked: Promise<{ helpers: Helpers; isolateNetwork: boolean }> | null = null;

  constructor(
    readonly manifest: SandboxManifest,
    private readonly options: ProcessSandboxOptions = {},
  ) {}

  check(): Promise<void> {
    return this.ready().then(() => undefined);
  }

  private ready(): Promise<{ helpers: Helpers; isolateNetwork: boolean }> {
    if (!this.checked) {
      // Called now, not in a later task: the probe's process starts at once and runs while the
      // caller goes on (`symbi exec` loads the policies meanwhile).
      this.checked = this.probe();
      // A failed check is not cached: the user may fix the environment and retry.
      this.checked.catch(() => (this.checked = null));
    }
    return this.checked;
  }

  private async probe(): Promise<{ helpers: Helpers; isolateNetwork: boolean }> {
    if (process.platform !== "linux") {
      throw new SandboxUnavailableError(
        `the process sandbox needs Linux (util-linux prlimit, unshare, setpriv); this is ${process.platform}`,
      );
    }
    const helpers: Helpers = {
      prlimit: findSystemTool("prlimit"),
      unshare: findSystemTool("unshare"),
      setpriv: findSystemTool("setpriv"),
      timeout: findSystemTool("timeout", "coreutils"),
      env: findSystemTool("env", "coreutils"),
    };
    // Leftovers of a runtime that was killed outright: reaped at the next start, beside the run
    // (reading a large temporary directory took milliseconds of the start-up).
    if (!scratchReaped) {
      scratchReaped = true;
      void pruneProcessScratchDirs();
    }
    const m = this.manifest;
    if (m.mounts && m.mounts.length > 0) {
      throw new SandboxUnsupportedError(
        `the process sandbox cannot give a tool read-only mounts (${m.mounts.map((b) => `${b.source}:${b.target}`).join(", ")}); use a container tier`,
      );
    }
    if (m.network.mode === "allowlist") {
      if (!this.options.allowHostNetwork) {
        throw new SandboxUnsupportedError(
          `the process sandbox cannot enforce a network allowlist (agent ${m.agent}); run the agent as the Kubernetes Job that symbic build writes (docs/kubernetes.md), or accept the host network explicitly for development`,
        );
      }
      return { helpers, isolateNetwork: false };
    }
    if (networkNamespaceWorks) return { helpers, isolateNetwork: true };
    const probe = await runProbe(helpers.unshare, [...unshareArgs(), "--", "/bin/true"]);
    if (probe.status === 0) {
      networkNamespaceWorks = true;
      return { helpers, isolateNetwork: true };
    }
    if (this.options.allowHostNetwork) return { helpers, isolateNetwork: false };
    const why = probe.stderr.trim().split("\n").pop() || reasonOf(probe.error ?? `exit ${probe.status}`);
    throw new SandboxUnavailableError(
      `the process sandbox cannot create a network namespace here (${why}); enable unprivileged user namespaces, run as root, or accept the host network explicitly for development`,
    );
  }

  async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
    validateArgv(req.argv);
    const { helpers, isolateNetwork } = await this.ready();
    if (req.signal?.aborted) throw new SandboxAbortedError();
    const m = this.manifest;
    const started = performance.now();
    const asRoot = process.getuid?.() === 0;
    const { uid, gid } = checkedIdentity(m.user);
    const timeoutMs = effectiveTimeoutMs(m, req);
    const maxOut = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;

    if (req.argv[0]!.includes("=")) throw new TypeError("sandbox run: argv[0] (the program) must not contain `=`");
    const dir = await mkdtemp(join(tmpdir(), `${SCRATCH_PREFIX}${scratchDeadline(timeoutMs)}-`));
    let untrack: (() => void) | null = null;
    try {
      await chmod(dir, 0o700);
      if (asRoot) await chown(dir, uid, gid);
      const child = spawn(helpers.prlimit, this.commandLine(helpers, isolateNetwork, timeoutMs, dir, req.argv), {
        cwd: dir,
        env: {},
        detached: true, // own process group, so the whole group can be killed
        stdio: ["pipe", "pipe", "pipe"],
      });
      const pid = child.pid;
      const { killGroup, untrack: stopTracking } = trackGroup(pid, dir);
      untrack = stopTracking;

      const stdout = new CappedOutput(maxOut);
      const stderr = new CappedOutput(maxOut);
      child.stdout.on("data", (c: Buffer) => stdout.push(c));
      child.stderr.on("data", (c: Buffer) => stderr.push(c));
      child.stdin.on("error", () => {}); // EPIPE when the tool does not read its input
      child.stdin.end(req.stdin === undefined ? undefined : Buffer.from(req.stdin));

      let timedOut = false;
      let aborted = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
      const onAbort = () => {
        aborted = true;
        killGroup();
      };
      req.signal?.addEventListener("abort", onAbort, { once: true });
      if (req.signal?.aborted) onAbort(); // aborted while the directory was being prepared
      whileToolRuns(req);

      const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve, reject) => {
          child.once("error", (e) =>
            reject(new SandboxUnavailableError(`cannot start the process sandbox: ${reasonOf(e)}`, { cause: e })),
          );
          // The tool has exited: kill what is left of its group, which also closes the pipes
          // a background descendant might hold open, then wait for the pipes to drain.
          child.once("exit", killGroup);
          child.once("close", (c, s) => resolve({ code: c, signal: s }));
        },
      ).finally(() => {
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onAbort);
      });
      if (aborted) throw new SandboxAbortedError();
      return {
        exitCode: timedOut ? null : code,
        signal: timedOut ? "SIGKILL" : signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        durationMs: performance.now() - started,
        timedOut,
        oomKilled: false,
        sandbox: { tier: "process", id: `pid ${pid ?? "?"}` },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
      untrack?.();
    }
  }

  /**
   * The arguments of `prlimit` for one program: the rlimits, the network namespace, the identity
   * switch, the deadline inside the sandbox and the program's own environment (the helpers
   * before it get none).
   */
  private commandLine(
    helpers: Helpers,
    isolateNetwork: boolean,
    timeoutMs: number,
    dir: string,
    argv: string[],
  ): string[] {
    const m = this.manifest;
    const asRoot = process.getuid?.() === 0;
    const { uid, gid } = checkedIdentity(m.user);
    const tmpSizeMb = m.tmpfs.find((t) => t.path === "/tmp")?.sizeMb ?? 64;
    const toolUid = asRoot ? uid : (process.getuid?.() ?? uid);
    const limits = [
      `--as=${m.limits.memoryMb * 1024 * 1024}`,
      `--cpu=${Math.max(1, Math.ceil((timeoutMs / 1000) * m.limits.cpus))}`,
      // The `timeout` wrapper is one more process of the tool's user (and as a normal user
      // the unshare step is one more while it execs).
      `--nproc=${countTasksOfUser(toolUid) + m.limits.pids + 1 + (asRoot ? 0 : 1)}`,
      `--fsize=${tmpSizeMb * 1024 * 1024}`,
      "--core=0",
    ];
    const net = isolateNetwork ? [helpers.unshare, ...unshareArgs(), "--"] : [];
    const priv = asRoot
      ? [
          helpers.setpriv,
          `--reuid=${uid}`,
          `--regid=${gid}`,
          "--clear-groups",
          "--inh-caps=-all",
          "--bounding-set=-all",
          "--no-new-privs",
          "--",
        ]
      : [helpers.setpriv, "--no-new-privs", "--"];
    const toolEnv = [helpers.env, "-i", ...toolEnvironment(m, SANDBOX_PATH, dir)];
    const inner = [helpers.timeout, "-s", "KILL", innerTimeoutSeconds(timeoutMs)];
    return [...limits, "--", ...net, ...priv, ...inner, ...toolEnv, ...argv];
  }

  /**
   * A long-running program (an MCP server) under the same confinement as a call, its standard
   * streams open: its private folder is its HOME and TMPDIR (and its working directory unless
   * `cwd` names another); `timeout -s KILL` ends it at its deadline even if the runtime is gone;
   * stopping it kills its whole process group and deletes the folder.
   */
  async spawn(req: SandboxSpawnRequest): Promise<SandboxProcess> {
    validateArgv(req.argv);
    const { helpers, isolateNetwork } = await this.ready();
    if (req.signal?.aborted) throw new SandboxAbortedError();
    const m = this.manifest;
    const asRoot = process.getuid?.() === 0;
    const { uid, gid } = checkedIdentity(m.user);
    const timeoutMs = effectiveTimeoutMs(m, { argv: req.argv, timeoutMs: req.timeoutMs });
    if (req.argv[0]!.includes("=")) throw new TypeError("sandbox spawn: argv[0] (the program) must not contain `=`");
    const dir = await mkdtemp(join(tmpdir(), `${SCRATCH_PREFIX}${scratchDeadline(timeoutMs)}-`));
    await chmod(dir, 0o700);
    if (asRoot) await chown(dir, uid, gid);
    let child;
    try {
      child = spawn(helpers.prlimit, this.commandLine(helpers, isolateNetwork, timeoutMs, dir, req.argv), {
        cwd: req.cwd ?? dir,
        env: {},
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw new SandboxUnavailableError(`cannot start the process sandbox: ${reasonOf(e)}`, { cause: e });
    }
    const pid = child.pid;
    const { killGroup, untrack } = trackGroup(pid, dir);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = () => killGroup();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdin.on("error", () => {}); // EPIPE once the program is gone
    const exited = new Promise<SandboxExit>((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null, error?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onAbort);
        killGroup();
        void rm(dir, { recursive: true, force: true })
          .catch(() => undefined)
          .finally(() => {
            untrack();
            resolve({
              exitCode: timedOut ? null : code,
              signal: timedOut ? "SIGKILL" : signal,
              timedOut,
              oomKilled: false,
              ...(error !== undefined ? { error } : {}),
            });
          });
      };
      child.once("error", (e) => finish(null, null, `cannot start it: ${reasonOf(e)}`));
      child.once("exit", (code, signal) => {
        // What is left of its group goes now, which also closes pipes a descendant held open.
        killGroup();
        finish(code, signal);
      });
    });
    return {
      id: `pid ${pid ?? "?"}`,
      tier: "process",
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      stop: async () => {
        killGroup();
        await exited;
      },
    };
  }
}

/** How long the network namespace probe may take before it is killed and counts as failed. */
const PROBE_TIMEOUT_MS = 5000;
/** Of the probe's stderr, the start is kept (its last line is the reason shown). */
const PROBE_STDERR_BYTES = 4096;

/** Runs a probe program with no environment; its exit status (null if killed) and the start of its stderr. */
function runProbe(program: string, args: string[]): Promise<{ status: number | null; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env: {}, stdio: ["ignore", "ignore", "pipe"], timeout: PROBE_TIMEOUT_MS });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => {
      if (stderr.length < PROBE_STDERR_BYTES) stderr += c.slice(0, PROBE_STDERR_BYTES - stderr.length);
    });
    child.once("error", (error) => resolve({ status: null, stderr, error }));
    child.once("close", (status, signal) =>
      resolve(
        signal === null
          ? { status, stderr }
          : {
              status,
              stderr,
              error: new Error(`it was ended by ${signal} (the limit is ${PROBE_TIMEOUT_MS / 1000} s)`),
            },
      ),
    );
  });
}

/** Private directories are named `symbi-sbx-<deadline>-XXXXXX`, the deadline in Unix seconds. */
const SCRATCH_PREFIX = "symbi-sbx-";
/** How long after its deadline a directory is certainly abandoned (its tool was killed by then). */
const SCRATCH_REAP_AFTER_MS = 2000;
let scratchReaped = false;

/**
 * A network namespace could be created in this process (probed by starting `/bin/true` under
 * `unshare --net`): a run checks one sandbox per tool, and each probe was a fork and exec on the
 * start-up path. Only a success is kept — a failure is probed again, since the user may fix the
 * environment and retry. Kept, it cannot weaken a run: every tool still starts under `unshare
 * --net`, which fails the call if namespaces stopped working since.
 */
let networkNamespaceWorks = false;

function scratchDeadline(timeoutMs: number): number {
  return Math.ceil((Date.now() + timeoutMs + INNER_DEADLINE_GRACE_MS) / 1000);
}

/**
 * Deletes the private directories of process-tier calls whose deadline has passed: a runtime
 * killed outright (SIGKILL) could not delete them, and their tools were ended by the `timeout`
 * inside the sandbox at the deadline. Directories of calls still within their deadline are kept
 * (so no call of a running process can own one that is removed). Resolves to the paths removed;
 * never rejects: what cannot be read or removed (another user's, gone meanwhile) is left. Runs,
 * not awaited, when a process sandbox is first checked, and in `symbi sandbox prune`.
 */
export async function pruneProcessScratchDirs(dir: string = tmpdir(), now: number = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed = await Promise.all(
    names
      .filter((n) => scratchDirAbandoned(n, now))
      .map((n) => join(dir, n))
      .map((p) =>
        rm(p, { recursive: true, force: true }).then(
          () => p,
          () => undefined,
        ),
      ),
  );
  return removed.filter((p) => p !== undefined);
}

/** Whether `name` is a process-tier private directory whose deadline passed long enough ago. */
function scratchDirAbandoned(name: string, now: number): boolean {
  const m = /^symbi-sbx-(\d{9,12})-[A-Za-z0-9]{6}$/.exec(name);
  return m !== null && Number(m[1]) * 1000 + SCRATCH_REAP_AFTER_MS <= now;
}

function unshareArgs(): string[] {
  return process.getuid?.() === 0 ? ["--net"] : ["--user", "--map-current-user", "--net"];
}

function findSystemTool(name: string, pkg = "util-linux"): string {
  for (const d of SYSTEM_DIRS) {
    const p = join(d, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // try the next directory
    }
  }
  throw new SandboxUnavailableError(
    `the process sandbox needs \`${name}\` from ${pkg}, which is not installed (apt-get install ${pkg})`,
  );
}

/** Tasks (processes and threads) whose real uid is `uid`: what RLIMIT_NPROC counts. */
export function countTasksOfUser(uid: number): number {
  let n = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    const realUid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (realUid !== undefined && Number(realUid) === uid) n += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
  }
  return n;
}

/**
 * A started tool's process group and scratch folder, tracked as a live sandbox (so an exit of the
 * runtime kills the group and removes the folder); `killGroup` kills the whole group now.
 */
function trackGroup(pid: number | undefined, dir: string): { killGroup: () => void; untrack: () => void } {
  const killGroup = () => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const untrack = trackLiveSandbox({
    id: `pid ${pid ?? "?"}`,
    destroy: async () => {
      killGroup();
      await rm(dir, { recursive: true, force: true });
    },
    destroySync: () => {
      killGroup();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  return { killGroup, untrack };
}
