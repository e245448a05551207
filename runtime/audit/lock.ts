/**
 * One writer per log: LOG.lock names who holds it (`{pid, host, since}`) and is removed on close.
 *
 * Taking it: the owner record is written in full to a private temporary file, which is then
 * hard-linked to LOG.lock — `link(2)` fails if LOG.lock exists, atomically (local file systems;
 * not old NFS), so a lock file is never seen empty or half-written, even if its creator is
 * killed at any instant (a kill between writing and linking leaves only `LOG.lock.<pid>.tmp`).
 *
 * A lock whose owner is a process of this host that no longer runs (it crashed or was killed)
 * is *stale*. `AuditLog.open` recovers it automatically and records that in the log (a
 * `recovered` record naming the dead owner); `symbi audit repair` does the same explicitly.
 *
 * Breaking a stale lock must not remove a lock that a live process took in the meantime, even
 * when several processes find the same stale lock at once. A breaker first creates
 * `LOG.lock.break-<id of the stale owner>` exclusively; only the one that gets it may remove
 * LOG.lock, and only if LOG.lock still names that same dead owner (nobody else can replace a
 * present LOG.lock, and no other breaker can act on it). Then it takes the lock the normal way,
 * racing fairly with everyone else. The break file is removed at once; if its creator dies in
 * that instant, the next writer finds a break file of a dead process and asks for
 * `symbi audit repair` (which removes it).
 */
import { createHash } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { AuditError, describeFsError } from "./errors.js";
import { fsyncDirectory } from "../../formats/fsync-directory.js";

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

function tempPathFor(lockPath: string, pid: number): string {
  return `${lockPath}.${pid}.tmp`;
}

/** Takes the lock or throws LOCKED / STALE_LOCK / IO with a message that says what to do. */
export function acquireLock(logPath: string): LogLock {
  const path = lockPathFor(logPath);
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const tmp = tempPathFor(path, process.pid);
  try {
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, JSON.stringify(owner) + "\n");
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new AuditError("IO", `cannot write audit log ${logPath}: cannot create ${path}: ${describeFsError(err)}`);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    tryUnlink(tmp);
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw lockedError(logPath, path);
    throw new AuditError("IO", `cannot write audit log ${logPath}: cannot create ${path}: ${describeFsError(err)}`);
  }
  tryUnlink(tmp);
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
      if (current && sameOwner(current, owner)) tryUnlink(path);
    },
  };
}

/**
 * Takes the lock, first recovering a stale one (its owner is dead). Returns the lock and the
 * dead owner whose lock was broken (null when there was none), for the log to record.
 */
export function acquireLockRecovering(logPath: string): { lock: LogLock; staleOwner: LockOwner | null } {
  try {
    return { lock: acquireLock(logPath), staleOwner: null };
  } catch (err) {
    if (!(err instanceof AuditError) || err.code !== "STALE_LOCK") throw err;
  }
  const staleOwner = breakStaleLock(logPath);
  return { lock: acquireLock(logPath), staleOwner };
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

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.host === b.host && a.since === b.since;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** True when `owner` is a process on this host that no longer runs. Unknown or remote owners are never stale. */
export function isStale(owner: LockOwner | null): boolean {
  if (!owner || owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  return !isAlive(owner.pid);
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

function breakPathFor(lockPath: string, owner: LockOwner): string {
  const id = createHash("sha256")
    .update(JSON.stringify([owner.pid, owner.host, owner.since]))
    .digest("hex");
  return `${lockPath}.break-${id.slice(0, 16)}`;
}

/**
 * Removes a stale lock (see isStale and the file comment) and returns its owner, for the log to
 * record; null when there is no lock file (or another process broke it first). Throws LOCKED
 * if the lock is held by a live or unknown process, or while another process is breaking it.
 * With `clearDeadBreaker` (repair), a break file left by a breaker that died is removed first.
 */
export function breakStaleLock(logPath: string, options: { clearDeadBreaker?: boolean } = {}): LockOwner | null {
  const path = lockPathFor(logPath);
  let present = true;
  try {
    readFileSync(path);
  } catch {
    present = false;
  }
  if (!present) return null;
  const owner = readLockOwner(path);
  if (!owner || !isStale(owner)) throw lockedError(logPath, path);
  const breaker = breakPathFor(path, owner);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let fd: number;
  try {
    fd = openSync(breaker, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST")
      throw new AuditError("IO", `cannot recover the stale lock ${path}: ${describeFsError(err)}`);
    const other = readLockOwner(breaker);
    if (other && !isStale(other) && other.host === hostname())
      throw new AuditError(
        "LOCKED",
        `audit log ${logPath}: the stale lock of pid ${owner.pid} is being recovered by pid ${other.pid}; try again`,
      );
    if (!options.clearDeadBreaker)
      throw new AuditError(
        "STALE_LOCK",
        `audit log ${logPath}: a recovery of the stale lock of pid ${owner.pid} was interrupted (${breaker} remains); check and unlock it with: symbi audit repair ${logPath} --key KEYFILE`,
      );
    tryUnlink(breaker);
    return breakStaleLock(logPath, { clearDeadBreaker: false });
  }
  try {
    writeSync(fd, JSON.stringify(me) + "\n");
    closeSync(fd);
    const current = readLockOwner(path);
    if (!current || !sameOwner(current, owner)) return null; // someone else recovered it first
    try {
      unlinkSync(path);
    } catch (err) {
      throw new AuditError("IO", `cannot remove stale lock ${path}: ${describeFsError(err)}`);
    }
    return owner;
  } finally {
    tryUnlink(breaker);
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
