/** How a failed file operation reads in a one-line message (both CLIs, the audit log, key files, configuration). */

/** A Node fs error as a one-line, user-facing reason ("permission denied", "no such directory"). */
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
