/**
 * Typed sandbox errors. Each has a stable `code` and a one-line message that the CLI prints as
 * is (no stack trace): what is wrong and what to do about it. A sandbox that cannot give exactly
 * what the manifest says raises one of these — it never runs the tool with less.
 */
export type SandboxErrorCode =
  "SANDBOX_UNAVAILABLE" | "SANDBOX_IMAGE_MISSING" | "SANDBOX_UNSUPPORTED" | "SANDBOX_ABORTED" | "SANDBOX_ENGINE_FAILED";

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(oneLine(message), options);
    this.name = "SandboxError";
    this.code = code;
  }
}

/** The tier cannot run here: Docker unreachable, `runsc` not registered, a required tool missing. */
export class SandboxUnavailableError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("SANDBOX_UNAVAILABLE", message, options);
    this.name = "SandboxUnavailableError";
  }
}

/** The manifest's image is not in the local engine (nothing is ever pulled). */
export class SandboxImageMissingError extends SandboxError {
  readonly image: string;
  constructor(image: string, hint: string, options?: { cause?: unknown }) {
    super(
      "SANDBOX_IMAGE_MISSING",
      `sandbox image ${image} is not present in the local Docker engine; ${hint}`,
      options,
    );
    this.name = "SandboxImageMissingError";
    this.image = image;
  }
}

/** The driver cannot enforce a manifest setting faithfully (e.g. a network allowlist), so it refuses. */
export class SandboxUnsupportedError extends SandboxError {
  constructor(message: string) {
    super("SANDBOX_UNSUPPORTED", message);
    this.name = "SandboxUnsupportedError";
  }
}

/** The caller aborted the run (AbortSignal, Ctrl-C); the sandbox was killed and removed. */
export class SandboxAbortedError extends SandboxError {
  constructor(message = "sandbox run aborted; the sandbox was killed and removed") {
    super("SANDBOX_ABORTED", message);
    this.name = "SandboxAbortedError";
  }
}

/** The engine failed mid-run (API error, daemon stopped answering); the sandbox was cleaned up if possible. */
export class SandboxEngineError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("SANDBOX_ENGINE_FAILED", message, options);
    this.name = "SandboxEngineError";
  }
}

export function isSandboxError(e: unknown): e is SandboxError {
  return e instanceof SandboxError;
}

/** Messages are printed on one line; engine errors sometimes carry newlines. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/** A short reason from an unknown thrown value (errno code and message, no stack). */
export function reasonOf(e: unknown): string {
  // dockerode errors carry the daemon's own message in `json.message`; prefer it to the wrapper.
  const daemonMessage = (e as { json?: { message?: unknown } } | null)?.json?.message;
  if (typeof daemonMessage === "string" && daemonMessage.trim() !== "") return daemonMessage.trim();
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = e.message.replace(/^\(HTTP code \d+\)\s*/, "");
    return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
  }
  return String(e);
}
