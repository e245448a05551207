/** Checks shared by every driver on a run request, before any sandbox is created. */
import { isLoaderVariable, sandboxIdentity, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import { SandboxUnsupportedError } from "./errors.js";
import type { SandboxRunRequest } from "./types.js";

/** argv is passed to the kernel as is: it must be a non-empty list of strings without NUL bytes. */
export function validateArgv(argv: unknown): asserts argv is string[] {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== "string")) {
    throw new TypeError("sandbox run: argv must be a non-empty array of strings");
  }
  if (argv.some((a: string) => a.includes("\0"))) throw new TypeError("sandbox run: argv must not contain NUL bytes");
  if (argv[0] === "") throw new TypeError("sandbox run: argv[0] (the program) must not be empty");
}

/** The call's timeout: the request may shorten the manifest's, never lengthen it. */
export function effectiveTimeoutMs(m: SandboxManifest, req: SandboxRunRequest): number {
  const t = req.timeoutMs;
  if (t === undefined) return m.timeoutMs;
  if (!Number.isFinite(t) || t <= 0) throw new TypeError("sandbox run: timeoutMs must be a positive number");
  return Math.min(m.timeoutMs, Math.ceil(t));
}

/**
 * The manifest's uid and gid, checked again right before a driver uses them (SANDBOX_ID_RANGE):
 * a manifest that skipped validation still cannot make a tool run as root, as an id that wraps
 * to root, or with a privileged group.
 */
export function checkedIdentity(user: string): { uid: number; gid: number } {
  try {
    return sandboxIdentity(user);
  } catch (e) {
    throw new SandboxUnsupportedError(`refusing to run the tool: ${(e as Error).message}`);
  }
}

/**
 * The tool's environment as `NAME=value` entries: PATH (the manifest's or `defaultPath`), the
 * manifest's variables, then HOME and TMPDIR. Loader and C library variables (LD_PRELOAD, ...)
 * are refused here again, whatever the manifest's validation said.
 */
export function toolEnvironment(m: SandboxManifest, defaultPath: string, home: string): string[] {
  const bad = Object.keys(m.env).filter(isLoaderVariable);
  if (bad.length > 0)
    throw new SandboxUnsupportedError(
      `refusing to run the tool: its environment sets ${bad.join(", ")}, which steer${bad.length === 1 ? "s" : ""} the loader or the C library`,
    );
  return [
    `PATH=${m.env.PATH ?? defaultPath}`,
    ...Object.entries(m.env)
      .filter(([k]) => k !== "PATH" && k !== "HOME" && k !== "TMPDIR")
      .map(([k, v]) => `${k}=${v}`),
    `HOME=${home}`,
    `TMPDIR=${home}`,
  ];
}

/**
 * How much longer than the call's own timeout the limit inside the sandbox waits before it kills
 * (the `timeout` wrapper of the process tier and of containers). The runtime's timer normally
 * ends the call first; the inner limit is what still holds when the runtime itself is gone.
 */
export const INNER_DEADLINE_GRACE_MS = 1000;

/**
 * The `timeout` wrapper's duration for a call of `timeoutMs`, in whole seconds (busybox's
 * `timeout` reads whole seconds only; coreutils' reads both), rounded up.
 */
export function innerTimeoutSeconds(timeoutMs: number): string {
  return String(Math.ceil((timeoutMs + INNER_DEADLINE_GRACE_MS) / 1000));
}
