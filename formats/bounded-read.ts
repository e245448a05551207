/**
 * The one way both CLIs read a file the user names (sources, tool contracts, bundles,
 * configuration, `--input @FILE`, `--context @-`, model recordings): at most `limit` bytes,
 * whatever the file is. `readFileSync` on `/dev/zero`
 * or `/dev/urandom` never returns (and grows until the heap dies); here such a file ends
 * after `limit + 1` bytes with `InputTooLarge`. Regular files, pipes, FIFOs, character devices
 * and standard input all go through the same loop; a folder is refused up front.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { describeFsError } from "./fs-errors.js";

/** Why a bounded read failed: the file's errno, or its size. `message` is one user-facing line. */
export class BoundedReadError extends Error {
  override readonly name = "BoundedReadError";
  constructor(
    message: string,
    /** The file system's reason ("no such file or directory"), or the size limit passed. */
    readonly reason: string,
    /** The errno code (`ENOENT`, `EISDIR`, `EACCES`…), or `TOO_LARGE`. */
    readonly code: string,
  ) {
    super(message);
  }
}

const CHUNK = 64 * 1024;

/** `16 MiB`, `64 KiB`, `100 bytes`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1048576 && bytes % 1048576 === 0) return `${bytes / 1048576} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Sleeps `ms` without returning to the event loop (standard input opened non-blocking). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Reads `path` (or standard input for `"-"`) whole, refusing more than `limit` bytes.
 * `shown` names the file in messages (default: the path, `standard input` for `-`).
 */
export function readBounded(path: string, limit: number, shown = path === "-" ? "standard input" : path): Buffer {
  let fd: number;
  const ownFd = path !== "-";
  try {
    // Non-blocking: opening a FIFO nobody writes to must not wait forever (reads then end at
    // once, or wait for data below); for regular files it changes nothing.
    fd = ownFd ? openSync(path, constants.O_RDONLY | constants.O_NONBLOCK) : 0;
  } catch (e) {
    throw ioError(shown, e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory())
      throw new BoundedReadError(`${shown}: cannot read (is a directory)`, "is a directory", "EISDIR");
    if (st.isFile() && st.size > limit) throw tooLarge(shown, limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte past the limit tells "exactly the limit" from "more than it".
      const want = Math.min(CHUNK, limit + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(fd, buf, 0, want, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
          pause(10);
          continue;
        }
        throw e;
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw tooLarge(shown, limit);
      chunks.push(n === want ? buf : buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof BoundedReadError) throw e;
    throw ioError(shown, e);
  } finally {
    if (ownFd) closeSync(fd);
  }
}

function tooLarge(shown: string, limit: number): BoundedReadError {
  const reason = `larger than ${formatSize(limit)}`;
  return new BoundedReadError(`${shown}: ${reason}, the limit for this input`, reason, "TOO_LARGE");
}

function ioError(shown: string, e: unknown): BoundedReadError {
  const code = (e as NodeJS.ErrnoException).code ?? "EIO";
  const reason = describeFsError(e);
  return new BoundedReadError(`${shown}: cannot read (${reason})`, reason, code);
}
