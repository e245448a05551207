/**
 * Retention (`symbi audit archive LOG --before DATE`): moves the log's old records into a
 * sealed archive file, so the live log stays small while nothing is ever lost unnoticed.
 *
 *   1. The log is brought to rest (a dead writer recovered, recorded) and verified in full.
 *   2. The cut is the last signed checkpoint older than DATE: every record up to it is older.
 *      (Records before DATE that no checkpoint covers yet stay in the live log.)
 *   3. The archive `<archive dir>/<log name>.<first seq>-<last seq>.jsonl` gets the records up to
 *      and including that checkpoint, byte for byte — it ends with a signature covering all of
 *      them — written in full, fsynced and made read-only.
 *   4. An `archived` record (file, SHA-256, seq range, last hash) and a final checkpoint are
 *      appended to the live log.
 *   5. The live log is replaced (temporary + rename) by its records from the cut checkpoint on:
 *      its first line is a copy of the archive's last record, so the record after it commits to
 *      the archive's last hash, and `verifyLogs([archive, log])` proves nothing was dropped in
 *      between. The head file's offsets are rewritten to match.
 *
 * The lock is held throughout. A crash before step 5 leaves the live log whole (a second run
 * archives again); during step 5 the rename is atomic, and the head is rewritten right after
 * (a crash between the two leaves a head whose offsets no longer match: verify reports
 * head_invalid, repair rebuilds it, recorded).
 */
import type { KeyObject } from "node:crypto";
import { createHash, createPublicKey } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { AuditError, describeFsError } from "./errors.js";
import { fsyncDirectory } from "../../formats/fsync-directory.js";
import { headPathFor, readHead, writeHead } from "./head.js";
import { LineReader } from "./lines.js";
import { acquireLock, type LogLock } from "./lock.js";
import { parseRecordLine } from "./record.js";
import { verifyLog } from "./verify.js";
import { ARCHIVE_FOLDER } from "./storage.js";
import { AuditLog } from "./writer.js";

export interface ArchiveOptions {
  /** The log's current private key (it signs the `archived` record). */
  privateKey: KeyObject;
  /** Records older than this move to the archive. */
  before: Date;
  /** Where archives go (default: `archive/` beside the log). */
  archiveDir?: string;
  now?: () => Date;
}

export interface ArchiveReport {
  /** False when nothing was old enough (nothing changed). */
  archived: boolean;
  message: string;
  file?: string;
  /** Seq range moved to the archive (the last one stays in the live log as its first line). */
  first?: number;
  last?: number;
  sha256?: string;
}

interface Cut {
  first: number;
  seq: number;
  hash: string;
  offset: number;
  end: number;
}

export function archivePathFor(logPath: string, archiveDir: string, first: number, last: number): string {
  return join(archiveDir, `${basename(logPath)}.${first}-${last}.jsonl`);
}

export function archiveLog(path: string, options: ArchiveOptions): ArchiveReport {
  const before = options.before;
  if (Number.isNaN(before.getTime())) throw new AuditError("IO", "the archive date is not a valid date");
  // 1. At rest: a writer that died is recovered (and recorded) by an ordinary open/close.
  AuditLog.open(path, { privateKey: options.privateKey, ...(options.now ? { now: options.now } : {}) }).close();
  const lock = acquireLock(path);
  try {
    return archiveLocked(path, lock, options);
  } finally {
    lock.release();
  }
}

function archiveLocked(path: string, lock: LogLock, options: ArchiveOptions): ArchiveReport {
  const publicKey = createPublicKey(options.privateKey);
  const v = verifyLog(path, { publicKey, writerPresent: true });
  if (!v.ok) {
    const b = v.firstBad!;
    throw new AuditError(
      "VERIFY_FAILED",
      `archive refused: audit log ${path} fails verification at line ${b.index} (${b.reason}: ${b.detail})`,
    );
  }
  const cut = findCut(path, options.before);
  if (!cut)
    return {
      archived: false,
      message: `nothing to archive: no signed checkpoint of ${path} is older than ${options.before.toISOString()}`,
    };

  // 3. The archive: the records up to the cut checkpoint, byte for byte.
  const archiveDir = options.archiveDir ?? join(dirname(path), ARCHIVE_FOLDER);
  const file = archivePathFor(path, archiveDir, cut.first, cut.seq);
  const bytes = readRange(path, 0, cut.end);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  writeSealed(file, bytes);

  // 4. Recorded in the live log (signed by its final checkpoint), while the lock is still ours.
  const held: LogLock = { path: lock.path, owner: lock.owner, release() {} };
  AuditLog.openLocked(
    path,
    held,
    { privateKey: options.privateKey, ...(options.now ? { now: options.now } : {}) },
    {
      type: "archived",
      details: {
        file: basename(file),
        sha256,
        first: cut.first,
        last: cut.seq,
        lastHash: cut.hash,
        before: options.before.toISOString(),
      },
    },
  ).close();

  // 5. The live log from the cut checkpoint on, and its head with shifted offsets.
  const size = statSync(path).size;
  const rest = readRange(path, cut.offset, size);
  const tmp = `${path}.archive-tmp`;
  writeDurable(tmp, rest, 0o640);
  const headPath = headPathFor(path);
  const head = readHead(headPath);
  if (head.status !== "ok") throw new AuditError("HEAD", `head file ${headPath} is unreadable after archiving`);
  try {
    renameSync(tmp, path);
  } catch (err) {
    throw new AuditError("IO", `cannot replace audit log ${path}: ${describeFsError(err)}`);
  }
  fsyncDirectory(dirname(path));
  writeHead(headPath, {
    checkpoint: head.head.checkpoint,
    offset: head.head.offset - cut.offset,
    end: head.head.end - cut.offset,
  });
  return {
    archived: true,
    message: `archived records seq ${cut.first}–${cut.seq} of ${path} to ${file} (SHA-256 ${sha256.slice(0, 16)}…); the live log now starts at seq ${cut.seq}`,
    file,
    first: cut.first,
    last: cut.seq,
    sha256,
  };
}

/** The last checkpoint older than `before` that can start a log file (it names its key), and the log's first seq. */
function findCut(path: string, before: Date): Cut | null {
  const fd = openSync(path, "r");
  try {
    const reader = new LineReader(fd);
    let first = 0;
    let cut: Cut | null = null;
    let lineNo = 0;
    for (let line = reader.next(); line; line = reader.next()) {
      lineNo++;
      const p = parseRecordLine(line.text);
      if (!p.ok) break;
      const r = p.record;
      if (lineNo === 1) first = r.seq;
      if (Date.parse(r.ts) >= before.getTime()) break;
      if (r.type === "checkpoint" && lineNo > 1 && typeof r.details.publicKey === "string")
        cut = { first, seq: r.seq, hash: r.hash, offset: line.start, end: line.end };
    }
    return cut;
  } finally {
    closeSync(fd);
  }
}

function readRange(path: string, start: number, end: number): Buffer {
  const out = Buffer.alloc(end - start);
  const fd = openSync(path, "r");
  try {
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, start + off);
      if (n === 0) throw new AuditError("IO", `audit log ${path} changed while it was being archived`);
      off += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function writeDurable(path: string, bytes: Buffer, mode: number): void {
  try {
    const fd = openSync(path, "w", mode);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new AuditError("IO", `cannot write ${path}: ${describeFsError(err)}`);
  }
}

/** Writes the archive in full (temporary + rename), read-only; an identical archive already there is kept. */
function writeSealed(file: string, bytes: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new AuditError("IO", `cannot create the archive folder ${dirname(file)}: ${describeFsError(err)}`);
  }
  let existing: Buffer | null = null;
  try {
    existing = readFileSync(file);
  } catch {
    existing = null;
  }
  if (existing) {
    if (existing.equals(bytes)) return;
    throw new AuditError("IO", `archive ${file} already exists with other content; move it away first`);
  }
  const tmp = `${file}.tmp-${process.pid}`;
  writeDurable(tmp, bytes, 0o440);
  try {
    chmodSync(tmp, 0o440);
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
    throw new AuditError("IO", `cannot write archive ${file}: ${describeFsError(err)}`);
  }
  fsyncDirectory(dirname(file));
}
