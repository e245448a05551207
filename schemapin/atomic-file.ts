/**
 * Crash-safe file replacement and a small cross-process lock, for the trust store and the files
 * the signing commands write. A replacement goes to a temporary file in the same folder, is
 * fsynced, renamed over the target and the folder fsynced: a crash at any point leaves either the
 * old file or the new one, never a torn one, and an existing file is never truncated first.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { TrustStoreError, fsErrorText } from "./errors.js";
import { fsyncDirectory } from "../formats/fsync-directory.js";

export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new TrustStoreError(`cannot write ${path}: ${fsErrorText(err)}`);
  }
  fsyncDirectory(dir);
}

export function ensureDirectory(dir: string, mode = 0o700): void {
  try {
    mkdirSync(dir, { recursive: true, mode });
  } catch (err) {
    throw new TrustStoreError(`cannot create folder ${dir}: ${fsErrorText(err)}`);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `body` while holding `PATH.lock` (created with O_EXCL). Waits up to `waitMs` for another
 * process to finish; a lock older than `staleMs` (its holder crashed) is removed — the protected
 * file itself is always whole, so breaking a stale lock cannot lose data.
 */
export function withFileLock<T>(path: string, body: () => T, waitMs = 5000, staleMs = 30_000): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx", 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new TrustStoreError(`cannot lock ${path}: ${fsErrorText(err)}`);
      }
      try {
        if (Date.now() - statSync(lock).mtimeMs > staleMs) {
          unlinkSync(lock);
          continue;
        }
      } catch {
        continue;
      }
      if (Date.now() > deadline) throw new TrustStoreError(`${path} is locked by another process (${lock})`);
      Atomics.wait(sleeper, 0, 0, 10);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { force: true });
  }
}
