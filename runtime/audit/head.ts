/**
 * The head file (LOG.head) holds a copy of the log's latest signed checkpoint and where its line
 * sits in the log. It is what makes truncation detectable: cutting records (checkpoints
 * included) off the end of the log leaves the head pointing past the end, and the head cannot be
 * rolled back to an earlier checkpoint without also having that exact earlier log.
 *
 * The head is replaced atomically (write temp, rename) after the checkpoint line itself is
 * durable, so after a crash it names either the newest checkpoint or an earlier one — all present
 * in the log. Its byte offsets are only hints for the writer:
 * every reader re-checks the line at that offset against the signed checkpoint record.
 */
import { fsyncDirectory } from "../../formats/fsync-directory.js";
import { closeSync, fdatasyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { AuditError, describeFsError } from "./errors.js";
import { computeHash, type AuditRecord } from "./record.js";
import { isPlainObject } from "../../formats/json.js";
import { parseRecordLine, serializeRecord } from "./record.js";

export const HEAD_FORMAT = "symbi-audit-head/1";

export interface Head {
  /** The latest signed checkpoint record, exactly as in the log. */
  checkpoint: AuditRecord;
  /** Byte offset of the checkpoint's line in the log, and just after its "\n". */
  offset: number;
  end: number;
}

export function headPathFor(logPath: string): string {
  return `${logPath}.head`;
}

/**
 * Replaces the head atomically (temp file + rename). With `durable` (a new log, a repair) the
 * temp file is fdatasynced and the directory fsynced. Per-checkpoint updates skip both: the log
 * line they point at is already durable, a process crash keeps the new head (page cache), and
 * after a power failure the head is either an older, still valid bound or — on a file system that
 * does not order a rename after the file's data — unreadable, which verify reports and repair
 * rebuilds (recorded). That halves the fsyncs per checkpoint; see README "Durability".
 */
export function writeHead(path: string, head: Head, durable = true): void {
  const text = `{"checkpoint":${serializeRecord(head.checkpoint)},"end":${head.end},"format":"${HEAD_FORMAT}","offset":${head.offset}}\n`;
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, "w", 0o640);
    try {
      writeSync(fd, text);
      if (durable) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    if (durable) fsyncDirectory(dirname(path));
  } catch (err) {
    throw new AuditError("IO", `cannot write head file ${path}: ${describeFsError(err)}`);
  }
}

export type ReadHead = { status: "missing" } | { status: "invalid"; detail: string } | { status: "ok"; head: Head };

/** Reads and checks the head's structure and the checkpoint's own hash (its signature is the caller's job: it needs the key). */
export function readHead(path: string): ReadHead {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { status: "missing" };
    return { status: "invalid", detail: `cannot read ${path}: ${describeFsError(err)}` };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { status: "invalid", detail: `${path} is not valid JSON` };
  }
  if (!isPlainObject(v) || v.format !== HEAD_FORMAT)
    return { status: "invalid", detail: `${path} is not a ${HEAD_FORMAT} head file` };
  if (
    !Number.isSafeInteger(v.offset) ||
    !Number.isSafeInteger(v.end) ||
    (v.offset as number) < 0 ||
    (v.end as number) <= (v.offset as number)
  ) {
    return { status: "invalid", detail: `${path} has invalid offsets` };
  }
  const parsed = parseRecordLine(JSON.stringify(v.checkpoint));
  if (!parsed.ok) return { status: "invalid", detail: `${path}: checkpoint ${parsed.detail}` };
  const cp = parsed.record;
  if (cp.type !== "checkpoint" && cp.type !== "genesis")
    return { status: "invalid", detail: `${path} does not hold a checkpoint record` };
  if (parsed.computedHash !== cp.hash || computeHash(cp) !== cp.hash)
    return { status: "invalid", detail: `${path}: checkpoint content does not match its hash` };
  if (typeof cp.sig !== "string") return { status: "invalid", detail: `${path}: checkpoint is not signed` };
  return { status: "ok", head: { checkpoint: cp, offset: v.offset as number, end: v.end as number } };
}
