/**
 * `symbi audit repair`: the only way to continue a log after a crash left it damaged, and never a
 * silent one. It verifies the whole log with the key first and refuses anything that looks like
 * tampering; it may only
 *   - cut a torn last line (an append interrupted by a crash),
 *   - recreate a missing or unreadable head file from the last signed record in the log (an
 *     unreadable one is kept aside), never one that is readable but does not verify,
 *   - release a lock left by a writer that no longer runs,
 * and then appends a signed `repair` record saying exactly what it did (with the torn bytes'
 * length and SHA-256, and how many unsigned records it adopted under the new checkpoint).
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { closeSync, fsyncSync, openSync, readSync, ftruncateSync, renameSync } from "node:fs";
import { AuditError, describeFsError } from "./errors.js";
import { headPathFor, readHead, writeHead } from "./head.js";
import { acquireLock, breakStaleLock, type LogLock, type LockOwner } from "./lock.js";
import { AuditLog } from "./writer.js";
import { verifyLog, type VerifyResult } from "./verify.js";
import type { JsonObject } from "../../formats/json.js";
import type { AuditRecord } from "./record.js";

export interface RepairOptions {
  privateKey: KeyObject;
  headPath?: string;
  now?: () => Date;
}

export interface RepairReport {
  path: string;
  /** False when the log needed nothing (no record was written). */
  repaired: boolean;
  /** What was done, one sentence each. */
  actions: string[];
  /** The `repair` record appended to the log. */
  record?: AuditRecord;
}

export function repairLog(path: string, options: RepairOptions): RepairReport {
  const headPath = options.headPath ?? headPathFor(path);
  if (options.privateKey?.type !== "private" || options.privateKey.asymmetricKeyType !== "ed25519") {
    throw new AuditError("KEY", "repair needs the log's Ed25519 private key");
  }
  const publicKey = createPublicKey(options.privateKey);
  let staleLock: LockOwner | null = null;
  let lock: LogLock;
  try {
    lock = acquireLock(path);
  } catch (err) {
    if (!(err instanceof AuditError) || err.code !== "STALE_LOCK") throw err;
    staleLock = breakStaleLock(path, { clearDeadBreaker: true });
    lock = acquireLock(path);
  }

  try {
    const actions: string[] = [];
    const details: JsonObject = {};
    if (staleLock) {
      actions.push(`released the lock left by pid ${staleLock.pid} (no longer running)`);
      details.staleLock = { pid: staleLock.pid, host: staleLock.host, since: staleLock.since };
    }

    // Repair holds the lock: records after the last checkpoint are the crashed writer's to adopt.
    const verify = () => verifyLog(path, { publicKey, headPath, writerPresent: true });
    let result = verify();
    if (result.firstBad?.reason === "torn_tail") {
      details.tornTail = cutTornTail(path, result);
      actions.push(
        `cut the torn last line (line ${result.firstBad.index}, ${(details.tornTail as { bytes: number }).bytes} bytes)`,
      );
      result = verify();
    }
    if (result.firstBad?.reason === "head_invalid" && readHead(headPath).status === "invalid") {
      // Unreadable (e.g. emptied by a power failure): keep it for inspection and rebuild it like a missing one.
      const aside = `${headPath}.unreadable-${Date.now()}`;
      try {
        renameSync(headPath, aside);
      } catch (err) {
        throw new AuditError("IO", `cannot move the unreadable head file ${headPath} aside: ${describeFsError(err)}`);
      }
      details.unreadableHead = { movedTo: aside, detail: result.firstBad.detail };
      actions.push(`moved the unreadable head file aside to ${aside}`);
      result = verify();
    }
    if (result.firstBad?.reason === "head_missing" && result.records === 0 && result.intactBytes === 0) {
      // A writer died while creating the log: nothing was ever signed, so start it afresh (genesis first).
      actions.push(
        "the log held no complete record (its creation was interrupted); started it with a new genesis record",
      );
      details.restarted = true;
      result = { ...result, firstBad: undefined } as VerifyResult;
    } else if (result.firstBad?.reason === "head_missing") {
      const last = result.lastSigned;
      if (!last) throw refuse(path, result);
      writeHead(headPath, { checkpoint: last.record, offset: last.offset, end: last.end });
      details.headRecreated = { seq: last.record.seq };
      actions.push(
        `recreated the missing head file ${headPath} from the signed record seq ${last.record.seq}; records removed from the end before now could not be detected`,
      );
      result = verify();
    }
    if (result.firstBad) throw refuse(path, result);

    if (result.unsigned > 0) {
      actions.push(
        `signed the ${result.unsigned} records written after the last checkpoint (seq ${result.lastSignedSeq}) by the crashed writer`,
      );
    } else if (!result.atRest && !details.restarted) {
      actions.push(
        `closed the writer session that ended at checkpoint seq ${result.lastSeq} without its final checkpoint (a crashed writer, or records cut from the end: this cannot tell which)`,
      );
      details.sessionClosed = { lastSeq: result.lastSeq };
    }
    details.lastSignedSeq = result.lastSignedSeq;
    details.unsignedRecordsAdopted = result.unsigned;
    if (actions.length === 0)
      return { path, repaired: false, actions: ["nothing to repair: the log verifies and is not locked"] };

    details.actions = actions;
    const log = AuditLog.openLocked(
      path,
      lock,
      { privateKey: options.privateKey, headPath, ...(options.now ? { now: options.now } : {}) },
      { type: "repair", details },
    );
    const record = log.openingRecord ?? undefined;
    log.close();
    return { path, repaired: true, actions, record };
  } finally {
    lock.release();
  }
}

function refuse(path: string, result: VerifyResult): AuditError {
  const b = result.firstBad!;
  const where = b.index === 0 ? "its head file" : `line ${b.index}`;
  return new AuditError(
    "VERIFY_FAILED",
    `repair refused: audit log ${path} fails verification at ${where} (${b.reason}: ${b.detail}); repair only cuts a torn last line, recreates a missing head and releases a stale lock — it never hides other damage`,
  );
}

function cutTornTail(path: string, result: VerifyResult): JsonObject {
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch (err) {
    throw new AuditError("IO", `cannot repair audit log ${path}: ${describeFsError(err)}`);
  }
  try {
    const start = result.intactBytes;
    const hash = createHash("sha256");
    const chunk = Buffer.allocUnsafe(1 << 20);
    let bytes = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, start + bytes);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      bytes += n;
    }
    const sha256 = hash.digest("hex");
    ftruncateSync(fd, start);
    fsyncSync(fd);
    return { line: result.firstBad!.index, bytes, sha256 };
  } catch (err) {
    throw new AuditError("IO", `cannot repair audit log ${path}: ${describeFsError(err)}`);
  } finally {
    closeSync(fd);
  }
}
