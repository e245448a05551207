/**
 * One writer per log: LOG.lock is created with O_CREAT|O_EXCL (atomic on local file systems)
 * and removed on close. It records who holds it, so a lock left by a crashed process is reported
 * as such. A stale lock is never broken silently — `symbi audit repair` breaks it explicitly after
 * checking the log, and records that it did.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { AuditError, describeFsError } from "./errors.js";
import { fsyncDirectory } from "./head.js";

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface LogLock {
  readonly path: string;
  readonly owner: LockOwner;
  release(): void;
}

export function lockPathFor(logPath: string): string {
  return `${logPath}.lock`;
}

/** Takes the lock or throws LOCKED / STALE_LOCK / IO with a message that says what to do. */
export function acquireLock(logPath: string): LogLock {
  const path = lockPathFor(logPath);
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw lockedError(logPath, path);
    throw new AuditError("IO", `cannot write audit log ${logPath}: cannot create ${path}: ${describeFsError(err)}`);
  }
  try {
    writeSync(fd, JSON.stringify(owner) + "\n");
  } finally {
    closeSync(fd);
  }
  fsyncDirectory(dirname(path));
  let released = false;
  return {
    path,
    owner,
    release() {
      if (released) return;
      released = true;
      // Remove only our own lock: never one another process took after ours was broken.
      const current = readLockOwner(path);
      if (current && current.pid === owner.pid && current.since === owner.since) {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      }
    },
  };
}

export function readLockOwner(path: string): LockOwner | null {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.since === "string") return v as LockOwner;
  } catch {
    /* missing or unreadable: treated as unknown owner */
  }
  return null;
}

/** True when `owner` is a process on this host that no longer runs. Unknown or remote owners are never stale. */
export function isStale(owner: LockOwner | null): boolean {
  if (!owner || owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function lockedError(logPath: string, path: string): AuditError {
  const owner = readLockOwner(path);
  if (!owner) {
    return new AuditError(
      "LOCKED",
      `audit log ${logPath} is locked (${path} exists but names no owner); if no writer is running, remove ${path} by hand`,
    );
  }
  const who = `pid ${owner.pid} on ${owner.host} since ${owner.since}`;
  if (isStale(owner)) {
    return new AuditError(
      "STALE_LOCK",
      `audit log ${logPath} is locked by ${who}, which is no longer running (it crashed or was killed); check and unlock it with: symbi audit repair ${logPath} --key KEYFILE`,
    );
  }
  if (owner.pid === process.pid && owner.host === hostname())
    return new AuditError("LOCKED", `audit log ${logPath} is already open in this process`);
  return new AuditError(
    "LOCKED",
    `audit log ${logPath} is in use by another writer (${who}); only one run may append to a log at a time`,
  );
}

/**
 * Removes a stale lock (see isStale) and returns its owner, for `repair` to record. Throws if the
 * lock is held by a live or unknown process.
 */
export function breakStaleLock(logPath: string): LockOwner | null {
  const path = lockPathFor(logPath);
  let exists = true;
  try {
    readFileSync(path);
  } catch {
    exists = false;
  }
  if (!exists) return null;
  const owner = readLockOwner(path);
  if (!isStale(owner)) throw lockedError(logPath, path);
  try {
    unlinkSync(path);
  } catch (err) {
    throw new AuditError("IO", `cannot remove stale lock ${path}: ${describeFsError(err)}`);
  }
  return owner;
}
