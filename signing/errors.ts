/**
 * Errors of the key tooling: a key file that is missing, unreadable, of the wrong kind or too
 * widely readable. Like every user-facing error of both CLIs it carries the exit code to use
 * (compiler/cli/exit-codes.ts: 1, a usage or I/O problem) and a one-line message.
 */

export class KeyError extends Error {
  override readonly name = "KeyError";
  /** Stable code, as AuditError's: "KEY". */
  readonly code = "KEY";
  readonly exitCode = 1;
}

/** Turns a Node fs error into a one-line, user-facing reason ("permission denied", "no such directory"). */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent path is not a directory";
    case "ENOSPC":
      return "no space left on device";
    case "EDQUOT":
      return "disk quota exceeded";
    case "EEXIST":
      return "already exists";
    default:
      return e?.message ? String(e.message) : String(err);
  }
}
