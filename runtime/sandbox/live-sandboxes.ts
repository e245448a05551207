/**
 * The process-wide registry of sandboxes that are running right now, so that an interrupt
 * (Ctrl-C, SIGTERM, SIGHUP) leaves nothing behind: every live container is killed and removed,
 * every live process group is killed and its temporary directory deleted, and then the signal
 * takes its normal course.
 *
 * The signal handlers are installed only while at least one sandbox is live, so an idle program
 * keeps Node's default signal behaviour.
 */

export interface LiveSandbox {
  /** Human-readable id (container name, or "pid N"). */
  id: string;
  /** Kills and removes the sandbox. Must be idempotent and must not throw. */
  destroy(): Promise<void>;
  /** Best-effort synchronous kill for `process.on("exit")`, where nothing async can run. */
  destroySync?(): void;
}

const live = new Map<number, LiveSandbox>();
let nextKey = 1;
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** How long an interrupt waits for cleanup before letting the signal through anyway. */
const CLEANUP_GRACE_MS = 5000;
let installed = false;
let cleaningUp: Promise<void> | null = null;

/** Registers a live sandbox; call the returned function once it has been destroyed. */
export function trackLiveSandbox(s: LiveSandbox): () => void {
  const key = nextKey++;
  live.set(key, s);
  if (!installed) install();
  return () => {
    live.delete(key);
    if (live.size === 0 && !cleaningUp) uninstall();
  };
}

/** Ids of the sandboxes alive now (for diagnostics and tests). */
export function liveSandboxIds(): string[] {
  return [...live.values()].map((s) => s.id);
}

/** Destroys every live sandbox (used by the signal handlers; also callable by a CLI on shutdown). */
export function destroyAllSandboxes(): Promise<void> {
  if (cleaningUp) return cleaningUp;
  const all = [...live.values()];
  cleaningUp = Promise.allSettled(all.map((s) => s.destroy())).then(() => {
    cleaningUp = null;
  });
  return cleaningUp;
}

function onSignal(signal: NodeJS.Signals): void {
  const grace = new Promise<void>((resolve) => setTimeout(resolve, CLEANUP_GRACE_MS).unref());
  void Promise.race([destroyAllSandboxes(), grace]).then(() => {
    uninstall();
    // If nobody else handles the signal, re-raise it so the process ends as the user asked
    // (exit status 128+n); if the CLI has its own handler, the exit is its decision.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function onExit(): void {
  for (const s of live.values()) {
    try {
      s.destroySync?.();
    } catch {
      // Exiting anyway; nothing more can be done synchronously.
    }
  }
}

function install(): void {
  installed = true;
  for (const sig of SIGNALS) process.on(sig, onSignal);
  process.on("exit", onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const sig of SIGNALS) process.off(sig, onSignal);
  process.off("exit", onExit);
}
