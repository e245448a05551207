/**
 * `symbi audit verify`: recomputes every hash, link and signature of a log, streaming it in
 * constant memory, and names the first bad record and why. How the kinds of damage are told apart
 * (README.md has the same table):
 *
 *  - malformed      the line is not a record (bad JSON, missing or mistyped field, bad genesis).
 *  - edited         a record's content does not match its own hash; or it is self-consistent but
 *                   its seq was changed (it still links to the previous record); or it was changed
 *                   and re-hashed, which shows as the next record (or a signature) still pointing
 *                   at its original hash.
 *  - inserted       a record that does not belong in the chain while the line after it continues
 *                   the chain correctly; or a second record with a seq already seen (a replayed
 *                   copy), or two records claiming the same place (the one the chain does not
 *                   continue from is the inserted one).
 *  - deleted        the seq jumps forward and the missing records are nowhere later in the file.
 *  - reordered      the seq jumps forward, the missing record appears later in the file, and the
 *                   out-of-place record fits the chain at its own seq.
 *  - bad_signature  a genesis/checkpoint record without a valid signature (or any record, in a log
 *                   that signs every record).
 *  - wrong_key      the log (genesis or a checkpoint) names another key than the one given.
 *  - truncated      the log ends before the signed checkpoint recorded in its head file.
 *  - torn_tail      the file ends with an incomplete line (a writer crashed mid-append) and the
 *                   head's checkpoint is within the intact prefix — a crash, not a cut.
 *  - head_missing / head_invalid   the head file is absent, unreadable, not signed by the key, or
 *                   names a checkpoint the log does not contain.
 *
 * Indexes are 1-based line numbers; in an intact log a record's seq equals its line number.
 */
import type { KeyObject } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { AuditError, describeFsError } from "./errors.js";
import { GENESIS_PREV, parseRecordLine, type AuditRecord } from "./record.js";
import { keyIdOf } from "./keys.js";
import { headPathFor, readHead, type Head } from "./head.js";
import { LineReader, type Line } from "./lines.js";
import { genesisProblem, shortKeyId, signatureProblem, type SigningMode } from "./checks.js";

export type FailureReason =
  | "edited"
  | "inserted"
  | "deleted"
  | "reordered"
  | "bad_signature"
  | "wrong_key"
  | "truncated"
  | "torn_tail"
  | "malformed"
  | "head_missing"
  | "head_invalid";

export interface FirstBad {
  /** 1-based line number of the first bad record (0 when the problem is in the head file only). */
  index: number;
  /** The record's seq when it has one. */
  seq: number | null;
  reason: FailureReason;
  detail: string;
}

export interface VerifyOptions {
  /** The public key the log must be signed with (loadPublicKey). */
  publicKey: KeyObject;
  /** Head file to check the end of the log against; default LOG.head; null skips that check. */
  headPath?: string | null;
}

export interface VerifyResult {
  ok: boolean;
  path: string;
  keyId: string;
  signing: SigningMode | null;
  /** Records verified intact (all of them when ok; those before firstBad otherwise). */
  records: number;
  /** Signed checkpoint records among them (the genesis record not counted). */
  checkpoints: number;
  /** run_start records among them. */
  runs: number;
  lastSeq: number;
  lastHash: string;
  /** Seq of the last signed record (genesis or checkpoint) in the intact prefix. */
  lastSignedSeq: number;
  /** Records after the last signed one: chained but not yet covered by a signature. */
  unsigned: number;
  /** False when the end of the log was not checked against a head file. */
  headChecked: boolean;
  /** Byte length of the intact prefix. */
  intactBytes: number;
  /** Where the last signed record of the intact prefix sits (repair rebuilds a missing head from it). */
  lastSigned: { record: AuditRecord; offset: number; end: number } | null;
  firstBad?: FirstBad;
}

interface Last {
  seq: number;
  hash: string;
  prev: string | null;
  line: number;
  signed: boolean;
}

/** Verifies the log at `path`. Throws AuditError IO only when the log cannot be read at all. */
export function verifyLog(path: string, options: VerifyOptions): VerifyResult {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new AuditError("IO", `cannot read audit log ${path}: ${describeFsError(err)}`);
  }
  try {
    return new Verifier(path, fd, options).run();
  } catch (err) {
    if (err instanceof AuditError) throw err;
    throw new AuditError("IO", `cannot read audit log ${path}: ${describeFsError(err)}`);
  } finally {
    closeSync(fd);
  }
}

class Verifier {
  private readonly keyId: string;
  private readonly publicKey: KeyObject;
  private signing: SigningMode | null = null;
  private last: Last = { seq: 0, hash: GENESIS_PREV, prev: null, line: 0, signed: false };
  private records = 0;
  private checkpoints = 0;
  private runs = 0;
  private lastSignedSeq = 0;
  private intactBytes = 0;
  private lastSigned: VerifyResult["lastSigned"] = null;
  /** Whether the record at the head's seq matched the head (undefined: not reached). */
  private headMatched: boolean | undefined;

  constructor(
    private readonly path: string,
    private readonly fd: number,
    private readonly options: VerifyOptions,
  ) {
    this.publicKey = options.publicKey;
    this.keyId = keyIdOf(options.publicKey);
  }

  run(): VerifyResult {
    const headPath = this.options.headPath === undefined ? headPathFor(this.path) : this.options.headPath;
    const headState = headPath === null ? null : this.loadHead(headPath);
    const head = headState && "head" in headState ? headState.head : null;

    const reader = new LineReader(this.fd);
    let firstBad: FirstBad | undefined;
    let torn: Line | undefined;
    for (let line = reader.next(); line; line = reader.next()) {
      if (!line.complete) {
        torn = line;
        break;
      }
      const verdict = this.check(line, reader);
      if (verdict) {
        firstBad = verdict;
        break;
      }
      if (head && this.last.seq === head.checkpoint.seq) this.headMatched = this.last.hash === head.checkpoint.hash;
    }

    if (!firstBad) firstBad = this.endProblem(headState, torn);
    const result: VerifyResult = {
      ok: firstBad === undefined,
      path: this.path,
      keyId: this.keyId,
      signing: this.signing,
      records: this.records,
      checkpoints: this.checkpoints,
      runs: this.runs,
      lastSeq: this.last.seq,
      lastHash: this.last.hash,
      lastSignedSeq: this.lastSignedSeq,
      unsigned: this.last.seq - this.lastSignedSeq,
      headChecked: headState !== null,
      intactBytes: this.intactBytes,
      lastSigned: this.lastSigned,
    };
    if (firstBad) result.firstBad = firstBad;
    return result;
  }

  private loadHead(headPath: string): { head: Head } | { problem: FirstBad } {
    const h = readHead(headPath);
    if (h.status === "missing") {
      return {
        problem: {
          index: 0,
          seq: null,
          reason: "head_missing",
          detail: `head file ${headPath} is missing, so removal of records from the end cannot be detected (--no-head skips this check)`,
        },
      };
    }
    if (h.status === "invalid") return { problem: { index: 0, seq: null, reason: "head_invalid", detail: h.detail } };
    const sp = signatureProblem(h.head.checkpoint, this.publicKey, this.keyId, "checkpoint");
    if (sp)
      return {
        problem: {
          index: 0,
          seq: h.head.checkpoint.seq,
          reason: "head_invalid",
          detail: `head file ${headPath}: ${sp.detail}`,
        },
      };
    return { head: h.head };
  }

  /** Problems at the end of the log: truncation against the head, the head itself, a torn last line, an empty log. */
  private endProblem(
    headState: { head: Head } | { problem: FirstBad } | null,
    torn: Line | undefined,
  ): FirstBad | undefined {
    const next = this.last.line + 1;
    if (headState && "head" in headState) {
      const cp = headState.head.checkpoint;
      if (cp.seq > this.last.seq) {
        return {
          index: next,
          seq: this.last.seq + 1,
          reason: "truncated",
          detail: `the log ends ${torn ? "with an incomplete line " : ""}after seq ${this.last.seq}, but its head records signed checkpoint seq ${cp.seq}: records were removed from the end`,
        };
      }
      if (this.headMatched === false) {
        return {
          index: cp.seq,
          seq: cp.seq,
          reason: "head_invalid",
          detail: `the head's checkpoint seq ${cp.seq} is not the log's record seq ${cp.seq} (a different hash)`,
        };
      }
    }
    if (torn) {
      return {
        index: torn.number,
        seq: null,
        reason: "torn_tail",
        detail: `the last line is incomplete (${torn.end - torn.start} bytes without a newline): a writer was interrupted mid-append; the ${this.records} records before it verify`,
      };
    }
    if (headState && "problem" in headState) return headState.problem;
    if (this.records === 0)
      return { index: 1, seq: null, reason: "malformed", detail: "the log is empty (no genesis record)" };
    return undefined;
  }

  /** Checks one complete line against the chain so far; accepts it or returns the first bad record. */
  private check(line: Line, reader: LineReader): FirstBad | null {
    const last = this.last;
    const bad = (index: number, seq: number | null, reason: FailureReason, detail: string): FirstBad => ({
      index,
      seq,
      reason,
      detail,
    });
    const linksToLast = (r: AuditRecord) => r.seq === last.seq + 1 && r.prev === last.hash;
    const peekNext = (): AuditRecord | null => {
      const n = reader.peek();
      if (!n || !n.complete) return null;
      const q = parseRecordLine(n.text);
      return q.ok && q.computedHash === q.record.hash ? q.record : null;
    };

    // A line that fails on its own (not a record, content not matching its hash, a bad signature,
    // a bad genesis) is an insertion when the next line continues the chain from the last good record.
    const ownProblem = (seq: number | null, reason: FailureReason, detail: string): FirstBad => {
      const n = peekNext();
      if (n && linksToLast(n))
        return bad(
          line.number,
          seq,
          "inserted",
          `${detail}, and the next line continues the chain: this line was added`,
        );
      return bad(line.number, seq, reason, detail);
    };
    const parsed = parseRecordLine(line.text);
    if (!parsed.ok) return ownProblem(null, "malformed", `line is not a record: ${parsed.detail}`);
    const r = parsed.record;
    if (parsed.computedHash !== r.hash) return ownProblem(r.seq, "edited", "record content does not match its hash");
    if (r.seq === 1 && last.seq === 0 && r.prev === GENESIS_PREV) {
      const gp = genesisProblem(r, this.keyId);
      if (gp) return ownProblem(r.seq, gp.reason, gp.detail);
    }
    const sp = signatureProblem(r, this.publicKey, this.keyId, this.signing ?? "checkpoint");
    if (sp) return ownProblem(r.seq, sp.reason, sp.detail);

    if (!linksToLast(r)) return this.linkProblem(line, r, peekNext);
    if (r.type === "genesis" && r.seq !== 1) return bad(line.number, r.seq, "malformed", "a second genesis record");

    if (r.seq === 1) this.signing = r.details.signing as SigningMode;
    this.last = { seq: r.seq, hash: r.hash, prev: r.prev, line: line.number, signed: r.sig !== undefined };
    this.records++;
    if (r.type === "checkpoint") this.checkpoints++;
    else if (r.type === "run_start") this.runs++;
    if (r.type === "checkpoint" || r.type === "genesis") {
      this.lastSignedSeq = r.seq;
      this.lastSigned = { record: r, offset: line.start, end: line.end };
    }
    this.intactBytes = line.end;
    return null;
  }

  /** A self-consistent, correctly signed record that does not continue the chain: say which record is to blame and how. */
  private linkProblem(line: Line, r: AuditRecord, peekNext: () => AuditRecord | null): FirstBad {
    const last = this.last;
    const expected = last.seq + 1;
    const here = (reason: FailureReason, detail: string): FirstBad => ({
      index: line.number,
      seq: r.seq,
      reason,
      detail,
    });
    const before = (reason: FailureReason, detail: string): FirstBad => ({
      index: last.line,
      seq: last.seq,
      reason,
      detail,
    });

    if (r.prev === last.hash)
      return here(
        "edited",
        `seq ${r.seq} where seq ${expected} belongs (the record links to the previous one, so its seq was changed)`,
      );

    if (r.seq === expected) {
      const n = peekNext();
      if (n && n.seq === expected && n.prev === last.hash)
        return here("inserted", `record does not link to seq ${last.seq}, and the next line does: it was added`);
      if (last.signed) return here("edited", `record does not link to the signed record seq ${last.seq} before it`);
      if (last.seq > 0 && r.sig !== undefined)
        return before(
          "edited",
          `record changed and re-hashed: the signed record seq ${r.seq} after it still links to its original hash`,
        );
      if (last.seq > 0 && n && n.seq === r.seq + 1 && n.prev === r.hash)
        return before(
          "edited",
          `record changed and re-hashed: record seq ${r.seq} after it still links to its original hash`,
        );
      return here("edited", `prev does not match the hash of record seq ${last.seq}`);
    }

    if (r.seq > expected) return this.gapProblem(line, r);

    if (r.seq === last.seq && r.prev === last.prev) {
      // Two records claim the same place; the chain continues from the authentic one.
      if (r.hash === last.hash) return here("inserted", `duplicate of line ${last.line}`);
      if (last.signed)
        return here("inserted", `a second record seq ${r.seq} after the signed one at line ${last.line}`);
      const n = peekNext();
      if (r.sig !== undefined || (n && n.seq === r.seq + 1 && n.prev === r.hash)) {
        return before(
          "inserted",
          `record claims seq ${last.seq}, but the chain continues from the record seq ${r.seq} at line ${line.number}: it was added`,
        );
      }
      return here("inserted", `a second record seq ${r.seq}`);
    }
    return here("inserted", `seq ${r.seq} repeats an earlier record (seq ${expected} belongs here)`);
  }

  /** The seq jumps forward: records were deleted, moved later, or this record does not belong here. Scans the rest of the file to tell. */
  private gapProblem(line: Line, r: AuditRecord): FirstBad {
    const last = this.last;
    const expected = last.seq + 1;
    let missingAt = 0;
    let dupAt = 0;
    let fitsElsewhere = false;
    const scan = new LineReader(this.fd, line.end, line.number + 1);
    for (let q = scan.next(); q; q = scan.next()) {
      if (!q.complete) break;
      const p = parseRecordLine(q.text);
      if (!p.ok || p.computedHash !== p.record.hash) continue;
      const s = p.record;
      if (!missingAt && s.seq === expected && s.prev === last.hash) missingAt = q.number;
      if (!dupAt && s.seq === r.seq) dupAt = q.number;
      if (s.seq === r.seq - 1 && s.hash === r.prev) fitsElsewhere = true;
    }
    const here = (reason: FailureReason, detail: string): FirstBad => ({
      index: line.number,
      seq: r.seq,
      reason,
      detail,
    });
    if (dupAt) return here("inserted", `seq ${r.seq} appears again at line ${dupAt}; seq ${expected} belongs here`);
    if (missingAt && fitsElsewhere)
      return here(
        "reordered",
        `seq ${r.seq} is out of order: seq ${expected} belongs here and is at line ${missingAt}`,
      );
    if (missingAt)
      return here(
        "inserted",
        `record seq ${r.seq} does not belong here; seq ${expected}, which does, follows at line ${missingAt}`,
      );
    const missing = r.seq - expected === 1 ? `record seq ${expected} is` : `records seq ${expected}–${r.seq - 1} are`;
    return here("deleted", `${missing} missing before this line`);
  }
}

/** One line for people: "OK …" or "FAILED …" (the CLI adds warnings). */
export function describeResult(result: VerifyResult): string {
  if (result.ok) {
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    return `OK ${result.path}: ${count(result.records, "record")}, ${count(result.runs, "run")}, ${count(result.checkpoints, "checkpoint")}; last seq ${result.lastSeq}; key ${shortKeyId(result.keyId)}…`;
  }
  const b = result.firstBad!;
  const where = b.index === 0 ? `${result.path} (head file)` : `${result.path}:${b.index}`;
  const seq = b.seq !== null && b.seq !== b.index ? ` (seq ${b.seq})` : "";
  return `FAILED ${where}${seq}: ${b.reason}: ${b.detail}`;
}
