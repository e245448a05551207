/**
 * `symbi audit verify`: recomputes every hash, link and signature of a log, streaming it in
 * constant memory, and names the first bad record and why. How the kinds of damage are told apart
 * (README.md has the same table):
 *
 *  - malformed      the line is not a record (bad JSON, missing or mistyped field, bad genesis).
 *  - edited         a record's content does not match its own hash; or it is self-consistent but
 *                   its seq was changed (it still links to the previous record); or it was changed
 *                   and re-hashed, which shows as the next record (or a signature) still pointing
 *                   at its original hash; or it is not the record the operator expected at that seq.
 *  - inserted       a record that does not belong in the chain while the line after it continues
 *                   the chain correctly; or a second record with a seq already seen (a replayed
 *                   copy), or two records claiming the same place (the one the chain does not
 *                   continue from is the inserted one).
 *  - deleted        the seq jumps forward and the missing records are nowhere later in the file.
 *  - reordered      the seq jumps forward, the missing record appears later in the file, and the
 *                   out-of-place record fits the chain at its own seq.
 *  - bad_signature  a genesis/checkpoint/rotation record without a valid signature by the key of
 *                   its segment (or any record, in a log that signs every record); a rotation not
 *                   followed by a checkpoint of the new key.
 *  - wrong_key      the given key signs no segment of the log (a log re-signed with another key).
 *  - truncated      the log ends before the signed checkpoint recorded in its head file, or before
 *                   the head the operator expected (`expectHead`), or — no writer holding it — at a
 *                   checkpoint that is not the final one of its writer session.
 *  - not_at_rest    records follow the last signed checkpoint and no writer holds the log's lock:
 *                   anyone could have appended them (or a crashed writer's lock was removed).
 *  - torn_tail      the file ends with an incomplete line (a writer crashed mid-append) and the
 *                   head's checkpoint is within the intact prefix — a crash, not a cut.
 *  - head_missing / head_invalid   the head file is absent, unreadable, not signed by a key of
 *                   the log, or names a checkpoint the log does not contain.
 *
 * Keys: the genesis record names the first key; a `rotation` record (signed by the current key)
 * names the next one, and the checkpoint right after it must be signed by the new key. The key
 * the caller gives must sign some segment: since every signature covers the whole chain before
 * it, that anchors the entire log on the given key, whichever segment it signs.
 *
 * Several files (archives, then the live log) verify as one chain: each file after the first
 * starts with a copy of the previous file's last record — a signed checkpoint. A file that starts
 * that way on its own (the live log after archiving) verifies from that checkpoint, and the
 * result says which records it continues from.
 *
 * Indexes are 1-based line numbers in their file; in an intact log without archives a record's
 * seq equals its line number.
 */
import type { KeyObject } from "node:crypto";
import { closeSync, existsSync, openSync } from "node:fs";
import { AuditError, describeFsError } from "./errors.js";
import { GENESIS_PREV, parseRecordLine, type AuditRecord } from "./record.js";
import { keyIdOf, publicKeyFromRaw } from "./keys.js";
import { headPathFor, readHead, type Head } from "./head.js";
import { lockPathFor } from "./lock.js";
import { LineReader, type Line } from "./lines.js";
import {
  anchorProblem,
  declaredKey,
  genesisProblem,
  shortKeyId,
  signatureProblem,
  type SigningMode,
} from "./checks.js";
import { sha256Hex } from "../../formats/digest.js";

export type FailureReason =
  | "edited"
  | "inserted"
  | "deleted"
  | "reordered"
  | "bad_signature"
  | "wrong_key"
  | "truncated"
  | "not_at_rest"
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
  /** The file it is in, when several files were verified. */
  file?: string;
}

export interface VerifyOptions {
  /** A public key the log must be signed with (loadPublicKey): the key of any of its segments. */
  publicKey: KeyObject;
  /** Head file to check the end of the log against; default LOG.head; null skips that check. */
  headPath?: string | null;
  /**
   * The head the operator recorded earlier (e.g. printed at the end of a run): the log must
   * still hold that record, so a cut back to any earlier point is detected without a copy.
   */
  expectHead?: { seq: number; hash: string };
  /**
   * Whether a writer holds the log (its lock file exists): then records after the last
   * checkpoint are expected. Default: look for LOG.lock.
   */
  writerPresent?: boolean;
}

/** A run of records signed by one key. */
export interface KeySegment {
  keyId: string;
  /** Seq of the segment's first record (the genesis, or the checkpoint after a rotation). */
  fromSeq: number;
  /** Time of that record. */
  since: string;
  /** Seq of the segment's last record in the verified part. */
  toSeq: number;
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
  /** Seq of the last signed record (genesis, checkpoint, rotation) in the intact prefix. */
  lastSignedSeq: number;
  /** Records after the last signed one: chained but not yet covered by a signature. */
  unsigned: number;
  /** The log ends with the final checkpoint of a writer session (or holds only its genesis). */
  atRest: boolean;
  /** False when the end of the log was not checked against a head file. */
  headChecked: boolean;
  /** Byte length of the intact prefix (of the last file). */
  intactBytes: number;
  /** Where the last signed record of the intact prefix sits (repair rebuilds a missing head from it). */
  lastSigned: { record: AuditRecord; offset: number; end: number } | null;
  /** The keys that signed the log, in order (more than one after rotations). */
  segments: KeySegment[];
  /** When the (first) file starts after archived records: the checkpoint it continues from. */
  continues: { seq: number; hash: string } | null;
  firstBad?: FirstBad;
}

interface Last {
  seq: number;
  hash: string;
  prev: string | null;
  line: number;
  signed: boolean;
  record: AuditRecord | null;
}

interface Key {
  keyId: string;
  publicKey: KeyObject;
}

/** Verifies the log at `path`. Throws AuditError IO only when the log cannot be read at all. */
export function verifyLog(path: string, options: VerifyOptions): VerifyResult {
  return verifyLogs([path], options);
}

/**
 * Verifies archives and the live log as one chain, in order (oldest archive first, the live log
 * last). The head, lock and expected head apply to the last file.
 */
export function verifyLogs(paths: readonly string[], options: VerifyOptions): VerifyResult {
  if (paths.length === 0) throw new AuditError("IO", "no audit log to verify");
  return new Verifier(paths, options).run();
}

class Verifier {
  private readonly givenKeyId: string;
  private signing: SigningMode | null = null;
  private last: Last = { seq: 0, hash: GENESIS_PREV, prev: null, line: 0, signed: false, record: null };
  private records = 0;
  private checkpoints = 0;
  private runs = 0;
  private lastSignedSeq = 0;
  private intactBytes = 0;
  private lastSigned: VerifyResult["lastSigned"] = null;
  private atRest = false;
  private current: Key | null = null;
  /** Set by a rotation record: the record after it must be a checkpoint signed by this key. */
  private rotatingTo: Key | null = null;
  private readonly keys = new Map<string, KeyObject>();
  private readonly segments: KeySegment[] = [];
  private continues: { seq: number; hash: string } | null = null;
  /** The hash of the record at the expected head's seq, once reached. */
  private expectedSeen: string | undefined;
  private fd = -1;

  constructor(
    private readonly paths: readonly string[],
    private readonly options: VerifyOptions,
  ) {
    this.givenKeyId = keyIdOf(options.publicKey);
  }

  run(): VerifyResult {
    const livePath = this.paths[this.paths.length - 1]!;
    const headPath = this.options.headPath === undefined ? headPathFor(livePath) : this.options.headPath;
    const headState = headPath === null ? null : this.loadHead(headPath);
    if (headState && "head" in headState) this.headSeq = headState.head.checkpoint.seq;

    let firstBad: FirstBad | undefined;
    let torn: Line | undefined;
    for (let i = 0; i < this.paths.length && !firstBad; i++) {
      const path = this.paths[i]!;
      const lastFile = i === this.paths.length - 1;
      try {
        this.fd = openSync(path, "r");
      } catch (err) {
        throw new AuditError("IO", `cannot read audit log ${path}: ${describeFsError(err)}`);
      }
      try {
        const r = this.verifyFile(i > 0, lastFile);
        firstBad = r.firstBad;
        torn = r.torn;
      } catch (err) {
        if (err instanceof AuditError) throw err;
        throw new AuditError("IO", `cannot read audit log ${path}: ${describeFsError(err)}`);
      } finally {
        closeSync(this.fd);
      }
      if (firstBad && this.paths.length > 1) firstBad.file = path;
    }

    if (!firstBad) firstBad = this.endProblem(headState, torn, livePath);
    const result: VerifyResult = {
      ok: firstBad === undefined,
      path: livePath,
      keyId: this.givenKeyId,
      signing: this.signing,
      records: this.records,
      checkpoints: this.checkpoints,
      runs: this.runs,
      lastSeq: this.last.seq,
      lastHash: this.last.hash,
      lastSignedSeq: this.lastSignedSeq,
      unsigned: this.last.seq - this.lastSignedSeq,
      atRest: this.atRest,
      headChecked: headState !== null,
      intactBytes: this.intactBytes,
      lastSigned: this.lastSigned,
      segments: this.segments,
      continues: this.continues,
    };
    if (firstBad) result.firstBad = firstBad;
    return result;
  }

  /** One file of the chain. A file after the first starts with a copy of the previous file's last record. */
  private verifyFile(continued: boolean, lastFile: boolean): { firstBad?: FirstBad; torn?: Line } {
    const reader = new LineReader(this.fd);
    this.intactBytes = 0;
    this.lastSigned = null;
    if (continued) {
      const first = reader.next();
      const parsed = first?.complete ? parseRecordLine(first.text) : null;
      const prev = this.last;
      if (!parsed?.ok || parsed.computedHash !== parsed.record.hash || parsed.record.hash !== prev.hash) {
        return {
          firstBad: {
            index: 1,
            seq: parsed?.ok ? parsed.record.seq : null,
            reason: "deleted",
            detail: `this file does not start where the previous one ends (its last record, seq ${prev.seq}): records between them are missing`,
          },
        };
      }
      this.intactBytes = first!.end;
      this.last = { ...prev, line: 1 };
      if (prev.record && prev.signed) this.lastSigned = { record: prev.record, offset: 0, end: first!.end };
    }
    for (let line = reader.next(); line; line = reader.next()) {
      if (!line.complete) {
        if (!lastFile)
          return {
            firstBad: {
              index: line.number,
              seq: null,
              reason: "malformed",
              detail: "an archive ends with an incomplete line",
            },
          };
        return { torn: line };
      }
      const verdict = this.check(line, reader);
      if (verdict) return { firstBad: verdict };
      if (this.options.expectHead && this.last.seq === this.options.expectHead.seq) this.expectedSeen = this.last.hash;
    }
    if (!lastFile && !(this.last.signed && this.last.record?.type === "checkpoint"))
      return {
        firstBad: {
          index: this.last.line,
          seq: this.last.seq,
          reason: "truncated",
          detail: "an archive ends with a signed checkpoint; this one does not: records were removed from its end",
        },
      };
    return {};
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
    return { head: h.head };
  }

  /** Problems at the end of the log: the given key, truncation against the heads, the head itself, the tail, an empty log. */
  private endProblem(
    headState: { head: Head } | { problem: FirstBad } | null,
    torn: Line | undefined,
    livePath: string,
  ): FirstBad | undefined {
    const next = this.last.line + 1;
    if (this.records > 0 && !this.keys.has(this.givenKeyId)) {
      const signers = [...this.keys.keys()].map((k) => `${shortKeyId(k)}…`).join(", ");
      return {
        index: 1,
        seq: null,
        reason: "wrong_key",
        detail: `log is signed by key ${signers}, but the given key is ${shortKeyId(this.givenKeyId)}…`,
      };
    }
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
      const key = this.keys.get(String(cp.details.keyId));
      const sp = key ? signatureProblem(cp, key, String(cp.details.keyId), "checkpoint") : null;
      if (!key || sp)
        return {
          index: 0,
          seq: cp.seq,
          reason: "head_invalid",
          detail: `head file: ${key ? sp!.detail : `its checkpoint is signed by key ${shortKeyId(cp.details.keyId)}…, which signs no part of this log`}`,
        };
      if (this.headHash !== undefined && this.headHash !== cp.hash) {
        return {
          index: cp.seq,
          seq: cp.seq,
          reason: "head_invalid",
          detail: `the head's checkpoint seq ${cp.seq} is not the log's record seq ${cp.seq} (a different hash)`,
        };
      }
    }
    const expected = this.options.expectHead;
    if (expected) {
      if (expected.seq > this.last.seq)
        return {
          index: next,
          seq: this.last.seq + 1,
          reason: "truncated",
          detail: `the log ends after seq ${this.last.seq}, but the expected head is seq ${expected.seq}: records were removed from the end`,
        };
      if (this.expectedSeen !== undefined && this.expectedSeen !== expected.hash)
        return {
          index: 0,
          seq: expected.seq,
          reason: "edited",
          detail: `record seq ${expected.seq} is not the expected head (hash ${expected.hash.slice(0, 16)}…): the log was rewritten from there`,
        };
      if (this.expectedSeen === undefined && expected.seq > 0)
        return {
          index: 0,
          seq: expected.seq,
          reason: "truncated",
          detail: `record seq ${expected.seq} (the expected head) is not in the verified files (it was archived: include the archives)`,
        };
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
    const writer = this.options.writerPresent ?? existsSync(lockPathFor(livePath));
    if (!this.atRest && !writer) {
      const unsigned = this.last.seq - this.lastSignedSeq;
      if (unsigned > 0)
        return {
          index: this.last.line - unsigned + 1,
          seq: this.lastSignedSeq + 1,
          reason: "not_at_rest",
          detail: `${unsigned} record${unsigned === 1 ? "" : "s"} follow the last signed checkpoint and no writer holds the log: they may have been appended by anyone (a writer that crashed keeps its lock until the next run recovers it; if that lock was removed by hand, adopt them with symbi audit repair)`,
        };
      return {
        index: next,
        seq: this.last.seq + 1,
        reason: "truncated",
        detail: `the log ends at checkpoint seq ${this.last.seq}, which is not the final checkpoint of its writer session, and no writer holds the log: records were removed from its end`,
      };
    }
    return undefined;
  }

  /** The head's checkpoint seq, and the hash of the log's record at that seq once the walk reached it. */
  private headSeq = -1;
  private headHash: string | undefined;

  /** The key that must sign `r` (the new key for the checkpoint after a rotation). */
  private keyFor(): Key | null {
    return this.rotatingTo ?? this.current;
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

    // The first record: the genesis, or a checkpoint that continues archived records (when the
    // next line continues from it). Anything else is judged against an empty chain with the given key.
    if (this.current === null) {
      if (r.seq === 1 && r.prev === GENESIS_PREV) {
        const gp = genesisProblem(r);
        if (gp) return ownProblem(r.seq, gp.reason, gp.detail);
        this.current = declaredKey(r);
        if (!this.current) return ownProblem(r.seq, "malformed", "the genesis record does not name a usable key");
      } else if (r.type === "checkpoint" && r.seq > 1 && anchorProblem(r) === null && this.startsChain(r, reader)) {
        this.current = declaredKey(r)!;
        this.continues = { seq: r.seq, hash: r.hash };
        this.signing = r.details.signing as SigningMode;
        this.accept(r, line, true);
        return null;
      } else {
        this.current = (r.type === "genesis" ? declaredKey(r) : null) ?? {
          keyId: this.givenKeyId,
          publicKey: this.options.publicKey,
        };
      }
    }
    const key = this.keyFor();
    if (!key) return ownProblem(r.seq, "malformed", "the log does not start with a genesis record");
    const sp = signatureProblem(r, key.publicKey, key.keyId, this.signing ?? "checkpoint");
    if (sp) return ownProblem(r.seq, sp.reason, sp.detail);
    if (this.rotatingTo && r.type !== "checkpoint")
      return ownProblem(
        r.seq,
        "bad_signature",
        "a key rotation must be followed by a checkpoint signed by the new key",
      );

    if (!linksToLast(r)) return this.linkProblem(line, r, peekNext);
    if (r.type === "genesis" && r.seq !== 1) return bad(line.number, r.seq, "malformed", "a second genesis record");
    if (r.type === "rotation") {
      const d = r.details;
      const next = typeof d.newPublicKey === "string" ? publicKeyFromRaw(d.newPublicKey) : null;
      if (
        !next ||
        typeof d.newKeyId !== "string" ||
        sha256Hex(Buffer.from(d.newPublicKey as string, "base64")) !== d.newKeyId
      )
        return bad(line.number, r.seq, "malformed", "a rotation record must name the new key (newKeyId, newPublicKey)");
      if (d.newKeyId === key.keyId) return bad(line.number, r.seq, "malformed", "a rotation to the same key");
      this.rotatingTo = { keyId: d.newKeyId, publicKey: next };
    } else if (this.rotatingTo) {
      this.current = this.rotatingTo;
      this.rotatingTo = null;
      this.segments.push({ keyId: this.current.keyId, fromSeq: r.seq, since: r.ts, toSeq: r.seq });
      this.keys.set(this.current.keyId, this.current.publicKey);
    }
    if (r.seq === 1) this.signing = r.details.signing as SigningMode;
    this.accept(r, line, false);
    return null;
  }

  /** Whether a checkpoint on the first line starts the chain: the next line continues from it (or there is none). */
  private startsChain(r: AuditRecord, reader: LineReader): boolean {
    const n = reader.peek();
    if (!n || !n.complete) return true;
    const q = parseRecordLine(n.text);
    return q.ok && q.record.seq === r.seq + 1 && q.record.prev === r.hash;
  }

  /** Takes `r` (verified) as the end of the chain. */
  private accept(r: AuditRecord, line: Line, anchor: boolean): void {
    if (this.segments.length === 0) {
      this.segments.push({ keyId: this.current!.keyId, fromSeq: r.seq, since: r.ts, toSeq: r.seq });
      this.keys.set(this.current!.keyId, this.current!.publicKey);
    }
    this.segments[this.segments.length - 1]!.toSeq = r.seq;
    this.last = { seq: r.seq, hash: r.hash, prev: r.prev, line: line.number, signed: r.sig !== undefined, record: r };
    this.records++;
    if (r.type === "checkpoint" && !anchor) this.checkpoints++;
    else if (r.type === "run_start") this.runs++;
    if (r.type === "checkpoint" || r.type === "genesis" || r.type === "rotation") {
      this.lastSignedSeq = r.seq;
      this.lastSigned = { record: r, offset: line.start, end: line.end };
    }
    this.atRest = r.type === "genesis" || (r.type === "checkpoint" && r.details.final === true);
    this.intactBytes = line.end;
    if (r.seq === this.headSeq) this.headHash = r.hash;
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
  const file = b.file ?? result.path;
  const where = b.index === 0 ? `${file} (head file)` : `${file}:${b.index}`;
  const seq = b.seq !== null && b.seq !== b.index ? ` (seq ${b.seq})` : "";
  return `FAILED ${where}${seq}: ${b.reason}: ${b.detail}`;
}
