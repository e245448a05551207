/**
 * Small pieces the Docker driver shares with `symbi sandbox prune`: container labels, the
 * deadline every sandbox container carries, removal of containers past it, and helpers for
 * dockerode calls.
 *
 * Every sandbox container is labelled with the moment by which it must be gone
 * (`dev.symbi.deadline`, Unix milliseconds): its own limit inside (the `timeout` wrapper of a
 * call, the `sleep` of a warm container) ends its processes by then even when the runtime was
 * killed outright, and the next start of a container tier — or `symbi sandbox prune` — removes
 * whatever is left past it. Containers without the label (an older runtime's) are never removed
 * automatically, only by `prune --all`.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants as osConstants } from "node:os";
import { Writable } from "node:stream";
import Docker from "dockerode";
import type { CappedOutput } from "./capped-output.js";
import { reasonOf } from "./errors.js";

/** Label put on every sandbox container, so leftovers can be found. */
export const SANDBOX_LABEL = "dev.symbi.sandbox";
/** The run (process) that made the container. */
export const RUN_LABEL = "dev.symbi.run";
/** Unix milliseconds by which the container must be gone. */
export const DEADLINE_LABEL = "dev.symbi.deadline";
/** `warm` (one per `with` block and image, `docker exec` per call) or `call` (one per call). */
export const MODE_LABEL = "dev.symbi.mode";

/** Where a client connects, for error messages. */
export function dockerEndpoint(docker?: Docker): string {
  const modem = docker?.modem as
    { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown } | undefined;
  if (typeof modem?.socketPath === "string") return `unix://${modem.socketPath}`;
  if (typeof modem?.host === "string")
    return `${String(modem.protocol ?? "http")}://${modem.host}${modem.port ? `:${String(modem.port)}` : ""}`;
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

/** Bound on each engine call of a prune. */
const ENGINE_TIMEOUT_MS = 10_000;

export interface PruneOptions {
  /** Only the containers of this run id (all of them, whatever their deadline). */
  runId?: string;
  /** Every sandbox container, running or not, whatever its deadline (`symbi sandbox prune --all`). */
  all?: boolean;
  /** The current time (tests). */
  now?: number;
}

/**
 * Removes sandbox containers: by default those whose deadline has passed (left behind by a
 * runtime that was killed outright); with `runId`, all of that run's; with `all`, every one.
 * Returns the names removed.
 */
export async function pruneSandboxContainers(
  docker: Docker = new Docker(),
  which: string | PruneOptions = {},
): Promise<string[]> {
  const o: PruneOptions = typeof which === "string" ? { runId: which } : which;
  const now = o.now ?? Date.now();
  const filters = { label: [o.runId ? `${RUN_LABEL}=${sanitizeRunId(o.runId)}` : `${SANDBOX_LABEL}=1`] };
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify(filters),
    abortSignal: AbortSignal.timeout(ENGINE_TIMEOUT_MS),
  } as Docker.ContainerListOptions);
  const names: string[] = [];
  for (const c of list) {
    if (!o.all && !o.runId) {
      const deadline = Number(c.Labels?.[DEADLINE_LABEL]);
      if (!Number.isFinite(deadline) || deadline > now) continue;
    }
    await docker
      .getContainer(c.Id)
      .remove({ force: true, abortSignal: AbortSignal.timeout(ENGINE_TIMEOUT_MS) })
      .catch((e) => {
        if (statusOf(e) !== 404) throw e;
      });
    names.push((c.Names[0] ?? c.Id).replace(/^\//, ""));
  }
  return names;
}

const reaped = new Set<string>();

/** At the first start of a container tier in this process: removes containers past their deadline. */
export async function reapExpiredOnce(docker: Docker): Promise<void> {
  const where = dockerEndpoint(docker);
  if (reaped.has(where)) return;
  reaped.add(where);
  await pruneSandboxContainers(docker).catch(() => undefined); // best effort: a run never fails on it
}

/**
 * Last resort when the program exits while a container is live (`process.exit` from a CLI's own
 * signal handler): nothing asynchronous can run then, so ask the docker CLI, if installed, to
 * remove the container. The container's own deadline bounds it when even that is impossible.
 */
export function removeWithCli(docker: Docker, name: string): void {
  const socketPath = (docker.modem as { socketPath?: unknown }).socketPath;
  const host = typeof socketPath === "string" ? ["-H", `unix://${socketPath}`] : [];
  spawnSync("docker", [...host, "rm", "-f", name], { stdio: "ignore", timeout: 10_000 });
}

/** Removes a container by name; a missing one is fine. */
export async function removeContainer(docker: Docker, name: string, signal: AbortSignal): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, abortSignal: signal })
    .catch((e) => {
      if (statusOf(e) !== 404) throw e;
    });
}

/** dockerode accepts `abortSignal` on these calls; its type definitions do not say so yet. */
export function callWithSignal(self: object, method: unknown, abortSignal: AbortSignal): Promise<unknown> {
  return (method as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(self, { abortSignal });
}

export function sink(out: CappedOutput): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk);
      done();
    },
  });
}

/** Docker (and a shell) report a signal death of a process as 128 + signal number. */
export function decodeStatus(status: number): { exitCode: number | null; signal: string | null } {
  if (status > 128 && status < 128 + 65) {
    const sig = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0];
    if (sig) return { exitCode: null, signal: sig };
  }
  return { exitCode: status, signal: null };
}

export function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number } | null)?.statusCode;
}

/** The daemon's words for "the program of this exec/start could not be executed", with its name. */
export function unexecutableProgram(message: string): { program: string; status: 126 | 127 } | null {
  // runc's wording: `exec: "prog": executable file not found in $PATH`, or for a path
  // `exec: "/x/prog": stat /x/prog: no such file or directory`, or `...: permission denied`.
  const m =
    /exec: "([^"]*)": (executable file not found|stat [^:]*: no such file or directory|permission denied|exec format error)/.exec(
      message,
    );
  if (!m) return null;
  return { program: m[1]!, status: m[2]!.startsWith("permission") || m[2]!.startsWith("exec format") ? 126 : 127 };
}

export function engineReasonOf(e: unknown, engineTimeoutMs: number): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError"))
    return `no answer within ${engineTimeoutMs} ms`;
  return reasonOf(e);
}

const PROCESS_RUN_ID = randomBytes(4).toString("hex");

/** Run ids become container names and label values: lowercase letters, digits and dashes. */
export function sanitizeRunId(id: string | undefined): string {
  const s = (id ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 24);
  return s || PROCESS_RUN_ID;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
