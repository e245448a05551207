/**
 * The newest records of a log, read backwards from its end: what the runtime needs to count
 * calls across runs (rate limits, runtime/exec/requirements.ts) without reading a whole log.
 *
 * Records are appended in time order, so the read stops at the first record older than `sinceMs`
 * (one record written under a clock that went back can end it early; the next run's read starts
 * again from the end). Lines that are not records (a torn tail) are skipped. Each record's own
 * hash is checked, so a line edited by hand is not counted as evidence; the chain itself is
 * `symbi audit verify`'s business.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parseRecordLine, type AuditRecord } from "./record.js";

const CHUNK = 64 * 1024;

/** Records newer than `sinceMs` (ms since the epoch) that `keep` accepts, oldest first. */
export function recentRecords(path: string, sinceMs: number, keep: (r: AuditRecord) => boolean): AuditRecord[] {
  const fd = openSync(path, "r");
  const out: AuditRecord[] = [];
  try {
    let end = fstatSync(fd).size;
    // Bytes of a line that began before the chunk read last (it is completed by earlier chunks).
    let carry: Buffer = Buffer.alloc(0);
    while (end > 0) {
      const start = Math.max(0, end - CHUNK);
      const chunk = Buffer.alloc(end - start);
      readSync(fd, chunk, 0, chunk.length, start);
      const buf = Buffer.concat([chunk, carry]);
      let lineEnd = buf.length;
      for (let i = buf.length - 1; i >= -1; i--) {
        if (i >= 0 && buf[i] !== 0x0a) continue;
        if (i < 0 && start > 0) break; // the first line here may begin in an earlier chunk
        const line = buf.subarray(i + 1, lineEnd).toString("utf8");
        lineEnd = i;
        if (line.length === 0) continue;
        const parsed = parseRecordLine(line);
        if (!parsed.ok || parsed.computedHash !== parsed.record.hash) continue;
        const at = Date.parse(parsed.record.ts);
        if (Number.isFinite(at) && at < sinceMs) return out.reverse();
        if (keep(parsed.record)) out.push(parsed.record);
      }
      carry = Buffer.from(buf.subarray(0, lineEnd < 0 ? 0 : lineEnd));
      end = start;
    }
    return out.reverse();
  } finally {
    closeSync(fd);
  }
}
