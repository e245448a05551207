/**
 * Errors the audit log raises for conditions a user can act on (missing key, locked log, torn
 * tail, wrong key…). Each carries a stable `code` and the process exit code the CLI should use,
 * so `runtime/cli/errors.ts` can print it as one line without knowing this module.
 */
import { ExitCode } from "../../formats/exit-codes.js";

export type AuditErrorCode =
  /** A key file is missing, unreadable, of the wrong type or too widely readable. */
  | "KEY"
  /** Reading or writing the log, its head or its lock failed. */
  | "IO"
  /** Another writer holds the log's lock file. */
  | "LOCKED"
  /** The lock file was left by a process that no longer runs (it crashed). */
  | "STALE_LOCK"
  /** The log ends with an incomplete line (a crash mid-append). */
  | "TORN_TAIL"
  /** The log is shorter than its last signed checkpoint says. */
  | "TRUNCATED"
  /** The log was signed by another key than the one given. */
  | "WRONG_KEY"
  /** The head file is missing or does not verify. */
  | "HEAD"
  /** The records after the last signed checkpoint do not verify. */
  | "TAIL_INVALID"
  /** The log does not end with a final checkpoint and no (dead) writer's lock explains it. */
  | "NOT_AT_REST"
  /** `repair` found damage it must not paper over (anything but a torn tail, missing head or stale lock). */
  | "VERIFY_FAILED"
  /** The caller passed an invalid event (programming error in the runtime). */
  | "INVALID_EVENT"
  /** The writer was used after close() or after an unrecoverable write failure. */
  | "CLOSED";

/** Codes that mean "the log itself fails verification" (exit 3) rather than usage or I/O (exit 1). */
const VERIFICATION_CODES: ReadonlySet<AuditErrorCode> = new Set([
  "TORN_TAIL",
  "TRUNCATED",
  "WRONG_KEY",
  "HEAD",
  "TAIL_INVALID",
  "NOT_AT_REST",
  "VERIFY_FAILED",
]);

export class AuditError extends Error {
  override readonly name = "AuditError";
  /** Exit code for the CLI (formats/exit-codes.ts): 3 for a log that fails verification, else 1. */
  readonly exitCode: number;

  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = VERIFICATION_CODES.has(code) ? ExitCode.CheckFailed : ExitCode.Error;
  }
}

export { describeFsError } from "../../formats/fs-errors.js";
