/**
 * The sandbox driver contract the interpreter uses for tool calls. A driver is bound to one
 * validated manifest; each `run` is one tool call in a fresh sandbox (a fresh child process or a
 * fresh container), which is gone when `run` settles — whether it exited, timed out, failed or
 * was aborted.
 */
import type { Readable, Writable } from "node:stream";
import type { SandboxManifest, SandboxTier } from "../../formats/sandbox-manifest.js";

/** Default cap on captured stdout and on stderr (each), in bytes. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

export interface SandboxRunRequest {
  /** Program and arguments, passed as is (never through a shell). argv[0] is resolved in the sandbox's PATH. */
  argv: string[];
  /** Bytes fed to the tool's standard input, which is then closed. Without it stdin is empty. */
  stdin?: string | Uint8Array;
  /** Aborting kills and removes the sandbox; `run` then rejects with SandboxAbortedError. */
  signal?: AbortSignal;
  /** Cap on captured stdout and on stderr, each (default 1 MiB). Output beyond it is drained and dropped. */
  maxOutputBytes?: number;
  /** A shorter timeout for this call; the manifest's `timeoutMs` is always the upper bound. */
  timeoutMs?: number;
  /**
   * Work the caller can do while the tool runs (the runtime prepares the tool's output validator,
   * which it needs when the tool has ended). Drivers call it once the tool has started, where
   * they can; nothing may depend on it being called. An exception it throws is dropped: it must
   * not throw.
   */
  whileRunning?: () => void;
}

/** Calls `req.whileRunning`, if any; see SandboxRunRequest. */
export function whileToolRuns(req: SandboxRunRequest): void {
  try {
    req.whileRunning?.();
  } catch {
    // A preparation that failed is done again, and reported, where its result is needed.
  }
}

export interface SandboxRunResult {
  /** Exit status, or null when the tool was ended by a signal (see `signal`). */
  exitCode: number | null;
  /** Name of the signal that ended the tool (e.g. "SIGKILL"), or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Wall-clock time of the call, sandbox setup and teardown included. */
  durationMs: number;
  /** The timeout expired and the sandbox was killed. */
  timedOut: boolean;
  /** The kernel's OOM killer ended the tool (containers only; the process tier reports false). */
  oomKilled: boolean;
  /** Which sandbox ran the call: the tier and the container name or child pid. */
  sandbox: { tier: SandboxTier; id: string };
}

/** The image a container tier runs its calls in, as far as the driver can know it. */
export interface ImageIdentity {
  /** The reference the manifest or pod spec gives (a tag, or name@sha256:…). */
  reference: string;
  /** The engine's image id (the digest of the image's configuration), when the driver can ask the engine. */
  id: string | null;
  /** The `sha256:…` digest the reference is pinned to (or a registry digest of the image), if any. */
  digest: string | null;
}

/**
 * A long-running program in a sandbox whose standard streams stay open (an MCP server over
 * stdio): the same confinement as a tool call, for a whole run instead of one call.
 */
export interface SandboxSpawnRequest {
  /** Program and arguments, passed as is (never through a shell). */
  argv: string[];
  /** How long it may live; it is killed after this, inside the sandbox too (the manifest's timeout is the upper bound). */
  timeoutMs: number;
  /** Aborting kills it and removes its sandbox. */
  signal?: AbortSignal;
  /** The process tier's working directory (default: its private folder). Container tiers use the manifest's. */
  cwd?: string;
}

export interface SandboxExit {
  exitCode: number | null;
  signal: string | null;
  /** It outlived its timeout and was killed. */
  timedOut: boolean;
  oomKilled: boolean;
  /** Why it could not be started or waited for, when that is what ended it. */
  error?: string;
}

export interface SandboxProcess {
  /** The sandbox's id (the container's name, or `pid N`), for the audit log. */
  readonly id: string;
  readonly tier: SandboxTier;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles when the program has exited and its sandbox is gone (never rejects). */
  readonly exited: Promise<SandboxExit>;
  /** Kills the program and removes its sandbox; resolves once it is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface SandboxDriver {
  readonly tier: SandboxTier;
  readonly manifest: SandboxManifest;
  /**
   * Checks that this tier can run the manifest here (engine reachable, runtime registered, image
   * present, settings enforceable); throws a SandboxError otherwise. Cached after success;
   * `run` calls it too.
   */
  check(): Promise<void>;
  run(request: SandboxRunRequest): Promise<SandboxRunResult>;
  /** The image behind this driver's calls (container tiers, after `check()`); the audit log records it. */
  imageIdentity?(): ImageIdentity | null;
  /** Starts a long-running program with open streams (drivers that can: the process tier and Docker). */
  spawn?(request: SandboxSpawnRequest): Promise<SandboxProcess>;
}
