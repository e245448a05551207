/**
 * Exit codes shared by `symbic` and `symbi` (DESIGN §10). Stable and documented in the README:
 * scripts and CI depend on them.
 */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** Usage error, I/O error or internal error. */
  Error: 1,
  /** A policy denied an action and the agent did not catch the denial (`symbi exec`). */
  Denied: 2,
  /** A test failed (`symbic test`): the same code as a denial, by design (DESIGN §10). */
  TestFailed: 2,
  /** Check, validation or verification failure (bad source, bad bundle, tampered log). */
  CheckFailed: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type for user errors in both CLIs: its message is the whole story (printed as one
 * line, no stack trace) and `exitCode` the documented code. Library errors that users can fix
 * (AuditError, BundleError, ...) follow the same shape: an Error with a numeric `exitCode`.
 */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Error,
  ) {
    super(message);
  }
}
