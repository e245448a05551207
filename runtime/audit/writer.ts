/**
 * The audit log writer the runtime calls. Synchronous and cheap per append: one canonical
 * serialization, one SHA-256 and one write(2) of a whole line — no fsync, no signature — so a
 * record reaches the OS page cache before `append` returns and survives a crash of the process.
 * Every `checkpointEvery` records, and on close, a signed checkpoint record is appended, the
 * file is fsynced and the head file (LOG.head) is replaced atomically: that is the durability and
 * authenticity point. The checkpoint written by close() is marked `final`: a log at rest ends
 * with one, so a log that ends otherwise was cut, or its writer is still running or died.
 *
 * A writer that died (crash, SIGKILL) leaves its lock behind; the next open recovers it
 * automatically — the dead owner, a torn last line it left (cut, its length and SHA-256 kept)
 * and its records after the last checkpoint (adopted) are stated in a `recovered` record, signed
 * by the checkpoint that follows. See README.md for the format and the trade-offs.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { AuditError, describeFsError } from "./errors.js";
import { canonicalJson, assertJsonObject, type JsonObject } from "../../formats/json.js";
import {
  GENESIS_PREV,
  LOG_FORMAT,
  SYSTEM_EVENT_TYPES,
  canonicalBody,
  hashOfBody,
  parseRecordLine,
  serializeRecord,
  type AuditRecord,
} from "./record.js";
import { keyIdOf, rawPublicKey, signHash } from "./keys.js";
import { createHash } from "node:crypto";
import { detailsProblem, type AuditEvent } from "./events.js";
import { fsyncDirectory } from "../../formats/fsync-directory.js";
import { headPathFor, readHead, writeHead, type Head } from "./head.js";
import { dirname } from "node:path";
import { acquireLockRecovering, type LockOwner, type LogLock } from "./lock.js";
import { LineReader } from "./lines.js";
import {
  anchorProblem,
  declaredKey,
  genesisProblem,
  shortKeyId,
  signatureProblem,
  type SigningMode,
} from "./checks.js";

export interface AuditLogOptions {
  /** Ed25519 private key (see loadPrivateKey). */
  privateKey: KeyObject;
  /** Records between signed checkpoints (default 1000). Also checkpointed on close. */
  checkpointEvery?: number;
  /** Sign every record instead of only checkpoints. Only used when the log is created (its genesis fixes the mode); ~5× slower appends. */
  signEveryRecord?: boolean;
  /** Head file path (default LOG.head). */
  headPath?: string;
  /** Clock for timestamps (tests). */
  now?: () => Date;
}

/** A record the log writes about itself when it is opened (used by repair and archive). */
export interface OpeningRecord {
  type: "repair" | "archived";
  details: JsonObject;
}

const TYPE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const DEFAULT_CHECKPOINT_EVERY = 1000;

export class AuditLog {
  private fd: number;
  private size: number;
  private seq = 0;
  private hash = GENESIS_PREV;
  /** The last record is a checkpoint written by close() (a session that ended cleanly). */
  private lastFinal = false;
  private lastCheckpoint: Head | null = null;
  private sinceCheckpoint = 0;
  private closed = false;
  /** Set when a failed write could not be rolled back: the writer refuses further appends. */
  private broken: string | null = null;
  private opening: AuditRecord | null = null;
  private readonly exitHandler = () => this.closeOnExit();

  readonly path: string;
  readonly headPath: string;
  readonly checkpointEvery: number;
  private signingMode: SigningMode;
  /** The signing key; replaced by rotate(). */
  private privateKey: KeyObject;
  private publicKey: KeyObject;
  private currentKeyId: string;
  private readonly now: () => Date;

  private constructor(
    path: string,
    fd: number,
    size: number,
    private readonly lock: LogLock,
    options: AuditLogOptions,
  ) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.headPath = options.headPath ?? headPathFor(path);
    this.privateKey = options.privateKey;
    this.publicKey = createPublicKey(options.privateKey);
    this.currentKeyId = keyIdOf(this.publicKey);
    this.checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    this.signingMode = options.signEveryRecord ? "record" : "checkpoint";
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Opens (or creates) the log for appending and takes its lock. A new log starts with a signed
   * genesis record naming the key. An existing one must end with a complete line, be signed by
   * this key (its current key, after rotations), and verify from its last signed checkpoint (as
   * named by LOG.head) to the end; the chain then continues from its last record. A lock left by
   * a writer that died is recovered (recorded). Throws AuditError (one-line messages) otherwise.
   */
  static open(path: string, options: AuditLogOptions): AuditLog {
    checkOptions(options);
    const { lock, staleOwner } = acquireLockRecovering(path);
    try {
      return AuditLog.openLocked(path, lock, options, undefined, staleOwner);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * open() for a caller that already holds the lock (repair, archive). `opening` is appended and
   * checkpointed right away. `staleOwner` is the dead writer whose lock was broken to get this one.
   */
  static openLocked(
    path: string,
    lock: LogLock,
    options: AuditLogOptions,
    opening?: OpeningRecord,
    staleOwner: LockOwner | null = null,
  ): AuditLog {
    checkOptions(options);
    const headPath = options.headPath ?? headPathFor(path);
    let existed = true;
    try {
      statSync(path);
    } catch {
      existed = false;
    }
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o640);
    } catch (err) {
      throw new AuditError("IO", `cannot open audit log ${path} for writing: ${describeFsError(err)}`);
    }
    let log: AuditLog | undefined;
    let wasEmpty = false;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new AuditError("IO", `audit log ${path} is not a regular file`);
      const size = st.size;
      wasEmpty = size === 0;
      log = new AuditLog(path, fd, size, lock, options);
      let tornTail: JsonObject | null = null;
      if (size === 0) log.create(headPath);
      else tornTail = log.resume(staleOwner !== null, opening !== undefined);
      if (opening) {
        // Signed at once; the log is at rest again right after it (repair and archive close next).
        log.opening = log.writeRecord(null, null, opening.type, opening.details);
        log.writeCheckpoint(true);
      } else if (!log.lastFinal || staleOwner !== null) {
        // The previous writer died: say so (who, what it left) before adopting its records.
        const lastCheckpointSeq = log.lastCheckpoint?.checkpoint.seq ?? 0;
        const details: JsonObject = {
          reason: staleOwner
            ? "the previous writer died holding the lock; the lock was recovered"
            : "the previous writer stopped without a final checkpoint",
          lastCheckpointSeq,
          unsignedRecords: log.seq - lastCheckpointSeq,
        };
        if (staleOwner) details.staleLock = { pid: staleOwner.pid, host: staleOwner.host, since: staleOwner.since };
        if (tornTail) details.tornTail = tornTail;
        log.writeRecord(null, null, "recovered", details);
        log.checkpoint();
      }
    } catch (err) {
      if (wasEmpty || (log === undefined && !existed)) {
        // Nothing of ours may stay behind: a log we created is removed, an empty one stays empty.
        try {
          ftruncateSync(fd, 0);
          if (!existed) unlinkSync(path);
        } catch {
          /* best effort */
        }
      }
      closeSync(fd);
      throw err;
    }
    process.on("exit", log.exitHandler);
    return log;
  }

  /** Key id of the key that signs now (changed by rotate()). */
  get keyId(): string {
    return this.currentKeyId;
  }
  /** Sequence number and hash of the last record written. */
  get lastSeq(): number {
    return this.seq;
  }
  get lastHash(): string {
    return this.hash;
  }
  /** The record openLocked() was asked to write first (repair), if any. */
  get openingRecord(): AuditRecord | null {
    return this.opening;
  }
  /** "checkpoint" (only genesis/checkpoints signed) or "record" (every record signed). */
  get signing(): SigningMode {
    return this.signingMode;
  }

  /**
   * Appends one event and returns the record as written. Throws AuditError INVALID_EVENT for an
   * event the log cannot store faithfully (nothing is written then), IO if the write fails (the
   * file is rolled back to its previous length), CLOSED after close().
   */
  append<T extends string>(event: AuditEvent<T>): AuditRecord {
    this.ensureWritable();
    const problem = eventProblem(event);
    if (problem) throw new AuditError("INVALID_EVENT", `invalid audit event: ${problem}`);
    const rec = this.writeRecord(event.run, event.agent, event.type, event.details as JsonObject);
    if (++this.sinceCheckpoint >= this.checkpointEvery) this.checkpoint();
    return rec;
  }

  /**
   * Appends a signed checkpoint covering every record so far, fsyncs the log and replaces the
   * head file. Returns the checkpoint, or the last one if nothing was appended since.
   */
  checkpoint(): AuditRecord {
    this.ensureWritable();
    if (this.sinceCheckpoint === 0 && this.lastCheckpoint && this.lastCheckpoint.checkpoint.seq === this.seq) {
      return this.lastCheckpoint.checkpoint;
    }
    return this.writeCheckpoint(false);
  }

  /**
   * A signed checkpoint. It names its key (id and public key) and the log's signing mode, so it
   * can start a log file on its own (the live log after archiving); `final` marks the end of a
   * writer session (close()).
   */
  private writeCheckpoint(final: boolean, durableHead = false): AuditRecord {
    const from = (this.lastCheckpoint?.checkpoint.seq ?? 0) + 1;
    const offset = this.size;
    const details: JsonObject = {
      keyId: this.currentKeyId,
      publicKey: rawPublicKey(this.publicKey).toString("base64"),
      signing: this.signingMode,
      from,
      count: this.seq + 1 - from,
    };
    if (final) details.final = true;
    const rec = this.writeRecord(null, null, "checkpoint", details, true);
    this.sync();
    this.lastCheckpoint = { checkpoint: rec, offset, end: this.size };
    this.sinceCheckpoint = 0;
    this.lastFinal = final;
    writeHead(this.headPath, this.lastCheckpoint, durableHead);
    return rec;
  }

  /**
   * Key rotation (`symbi keygen --rotate`): appends a `rotation` record naming the new key,
   * signed by the current key, then a checkpoint signed by the new key — so the handover is
   * signed by both. From then on the log is signed with `newPrivateKey`. The head is written
   * durably: a writer reopening the log must find the new key's checkpoint.
   */
  rotate(newPrivateKey: KeyObject): AuditRecord {
    this.ensureWritable();
    checkOptions({ privateKey: newPrivateKey });
    const newPublicKey = createPublicKey(newPrivateKey);
    const newKeyId = keyIdOf(newPublicKey);
    if (newKeyId === this.currentKeyId) throw new AuditError("KEY", "the new key is the key the log is signed with");
    const rec = this.writeRecord(
      null,
      null,
      "rotation",
      { keyId: this.currentKeyId, newKeyId, newPublicKey: rawPublicKey(newPublicKey).toString("base64") },
      true,
    );
    this.privateKey = newPrivateKey;
    this.publicKey = newPublicKey;
    this.currentKeyId = newKeyId;
    this.writeCheckpoint(false, true);
    return rec;
  }

  /** Final checkpoint, fsync, close, unlock. Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      if (!this.broken) {
        if (this.lastFinal) this.sync();
        else this.writeCheckpoint(true);
      }
    } finally {
      this.closed = true;
      process.removeListener("exit", this.exitHandler);
      try {
        closeSync(this.fd);
      } finally {
        this.lock.release();
      }
    }
  }

  /** A process that exits without close() still gets its records signed and its lock released. */
  private closeOnExit(): void {
    try {
      this.close();
    } catch {
      /* exiting anyway; the next open reports the unsigned tail */
    }
  }

  private ensureWritable(): void {
    if (this.closed) throw new AuditError("CLOSED", `audit log ${this.path} is closed`);
    if (this.broken)
      throw new AuditError("CLOSED", `audit log ${this.path} is unusable after a failed write (${this.broken})`);
  }

  /** Builds, hashes, optionally signs and writes one record. */
  private writeRecord(
    run: string | null,
    agent: string | null,
    type: string,
    details: JsonObject,
    sign = false,
  ): AuditRecord {
    const detailsText = canonicalJson(details);
    const rec: AuditRecord = {
      seq: this.seq + 1,
      ts: this.now().toISOString(),
      run,
      agent,
      type,
      details,
      prev: this.hash,
      hash: "",
    };
    rec.hash = hashOfBody(rec.prev, canonicalBody(rec, detailsText));
    if (sign || this.signingMode === "record") rec.sig = signHash(this.privateKey, rec.hash);
    this.writeLine(serializeRecord(rec, detailsText) + "\n");
    this.seq = rec.seq;
    this.hash = rec.hash;
    this.lastFinal = false;
    return rec;
  }

  /** Writes a whole line; on failure cuts the file back to its previous length so no partial line stays. */
  private writeLine(line: string): void {
    const buf = Buffer.from(line, "utf8");
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      if (off > 0) {
        try {
          ftruncateSync(this.fd, this.size);
        } catch (e) {
          this.broken = `could not remove a partial line: ${describeFsError(e)}`;
        }
      }
      throw new AuditError("IO", `cannot append to audit log ${this.path}: ${describeFsError(err)}`);
    }
    this.size += buf.length;
  }

  /** fdatasync: the data and the file length reach the disk; timestamps need not (cheaper than fsync). */
  private sync(): void {
    try {
      fdatasyncSync(this.fd);
    } catch (err) {
      // After a failed fsync the kernel may have dropped the dirty pages: nothing more can be trusted.
      this.broken = `fsync failed: ${describeFsError(err)}`;
      throw new AuditError("IO", `cannot sync audit log ${this.path}: ${describeFsError(err)}`);
    }
  }

  /** New log: genesis record (signed, names the key), fsync, head. */
  private create(headPath: string): void {
    const head = readHead(headPath);
    if (head.status !== "missing") {
      const what = head.status === "ok" ? `records checkpoint seq ${head.head.checkpoint.seq}` : "exists";
      throw new AuditError(
        "TRUNCATED",
        `audit log ${this.path} is empty or missing but its head file ${headPath} ${what}: the log was emptied or replaced; restore it, or move the head away to start a new log`,
      );
    }
    const rec = this.writeRecord(
      null,
      null,
      "genesis",
      {
        format: LOG_FORMAT,
        alg: "Ed25519",
        keyId: this.currentKeyId,
        publicKey: rawPublicKey(this.publicKey).toString("base64"),
        signing: this.signingMode,
      },
      true,
    );
    this.sync();
    fsyncDirectory(dirname(this.path)); // the new file's directory entry
    this.lastCheckpoint = { checkpoint: rec, offset: 0, end: this.size };
    // A log holding only its genesis record is at rest: closing it adds nothing.
    this.lastFinal = true;
    writeHead(headPath, this.lastCheckpoint);
  }

  /**
   * Existing log: refuse a torn last line (cut it instead when the previous writer is known to
   * have died: `crashed`), a log whose current key is not ours, a missing or foreign head and a
   * log shorter than its head; then verify from the head's checkpoint to the end (bounded by the
   * checkpoint interval, not the log size) and continue the chain from the last record. A log
   * that does not end at rest (a final checkpoint) is adopted only from a writer known to have
   * died, or by an explicit repair (`explicit`): otherwise its end was cut, or records were
   * added by someone without the key. Returns what was cut from a torn tail, if anything.
   */
  private resume(crashed: boolean, explicit: boolean): JsonObject | null {
    const path = this.path;
    const verifyHint = `check it with: symbi audit verify ${path} --pubkey KEYFILE.pub`;
    let tornTail: JsonObject | null = null;
    const last = Buffer.alloc(1);
    readSync(this.fd, last, 0, 1, this.size - 1);
    if (last[0] !== 10) {
      if (!crashed)
        throw new AuditError(
          "TORN_TAIL",
          `audit log ${path} ends with an incomplete line (a writer crashed mid-append); ${verifyHint}, then cut the torn line with: symbi audit repair ${path} --key KEYFILE`,
        );
      tornTail = this.cutTornTail();
    }
    const reader = new LineReader(this.fd, 0, 1, 64 * 1024);
    const first = reader.next();
    const parsedFirst = first ? parseRecordLine(first.text) : null;
    if (!parsedFirst?.ok || parsedFirst.computedHash !== parsedFirst.record.hash) {
      throw new AuditError(
        "TAIL_INVALID",
        `audit log ${path} does not start with a valid genesis record; ${verifyHint}`,
      );
    }
    // A log starts with its genesis record, or (after archiving) with the archive's last checkpoint.
    const start = parsedFirst.record;
    const sp =
      start.seq === 1
        ? (genesisProblem(start) ??
          signatureProblem(start, this.publicKeyOf(start), String(start.details.keyId), "checkpoint"))
        : anchorProblem(start);
    if (sp) throw new AuditError("TAIL_INVALID", `audit log ${path}: ${sp.detail}`);
    this.signingMode = start.details.signing as SigningMode;

    const head = readHead(this.headPath);
    const repairHint = `symbi audit repair ${path} --key KEYFILE`;
    if (head.status === "missing") {
      throw new AuditError(
        "HEAD",
        `head file ${this.headPath} of audit log ${path} is missing, so removal of records from the end cannot be detected; ${verifyHint} --no-head, then recreate it (recorded in the log) with: ${repairHint}`,
      );
    }
    if (head.status === "invalid") throw new AuditError("HEAD", `${head.detail}; ${verifyHint}`);
    const h = head.head;
    // The head holds the latest checkpoint, signed by the log's current key: it must be ours.
    const hp = signatureProblem(h.checkpoint, this.publicKey, this.currentKeyId, "checkpoint");
    if (hp) {
      if (hp.reason === "wrong_key")
        throw new AuditError(
          "WRONG_KEY",
          `audit log ${path} is signed by key ${shortKeyId(h.checkpoint.details.keyId)}…, but the given key is ${shortKeyId(this.currentKeyId)}…`,
        );
      throw new AuditError("HEAD", `head file ${this.headPath}: ${hp.detail}; ${verifyHint}`);
    }
    if (h.end > this.size) {
      throw new AuditError(
        "TRUNCATED",
        `audit log ${path} is shorter than its last signed checkpoint (seq ${h.checkpoint.seq}): records were removed from its end; ${verifyHint}`,
      );
    }

    // Walk from the head's checkpoint to the end of the file.
    const tail = new LineReader(this.fd, h.offset, h.checkpoint.seq);
    const anchor = tail.next();
    const parsedAnchor = anchor ? parseRecordLine(anchor.text) : null;
    if (
      !anchor ||
      anchor.end !== h.end ||
      !parsedAnchor?.ok ||
      parsedAnchor.record.hash !== h.checkpoint.hash ||
      parsedAnchor.computedHash !== h.checkpoint.hash
    ) {
      throw new AuditError(
        "HEAD",
        `head file ${this.headPath} does not match audit log ${path} (no checkpoint seq ${h.checkpoint.seq} at byte ${h.offset}); ${verifyHint}`,
      );
    }
    this.seq = h.checkpoint.seq;
    this.hash = h.checkpoint.hash;
    this.lastFinal = h.checkpoint.type === "checkpoint" && h.checkpoint.details.final === true;
    this.lastCheckpoint = h;
    let newerCheckpoint = false;
    for (let line = tail.next(); line; line = tail.next()) {
      const fail = (detail: string) =>
        new AuditError(
          "TAIL_INVALID",
          `audit log ${path} fails verification at line ${line!.number} (after its last signed checkpoint): ${detail}; ${verifyHint}`,
        );
      const parsed = parseRecordLine(line.text);
      if (!parsed.ok) throw fail(parsed.detail);
      const rec = parsed.record;
      if (parsed.computedHash !== rec.hash) throw fail("content does not match its hash");
      if (rec.seq !== this.seq + 1 || rec.prev !== this.hash)
        throw fail(`record seq ${rec.seq} does not follow seq ${this.seq}`);
      const sp = signatureProblem(rec, this.publicKey, this.currentKeyId, this.signingMode);
      if (sp) throw fail(sp.detail);
      if (rec.type === "genesis") throw fail("a second genesis record");
      if (rec.type === "rotation") throw fail("a key rotation after the head's checkpoint (the head is out of date)");
      this.seq = rec.seq;
      this.hash = rec.hash;
      this.lastFinal = rec.type === "checkpoint" && rec.details.final === true;
      if (rec.type === "checkpoint") {
        this.lastCheckpoint = { checkpoint: rec, offset: line.start, end: line.end };
        newerCheckpoint = true;
      }
    }
    this.sinceCheckpoint = this.seq - this.lastCheckpoint.checkpoint.seq;
    if (!this.lastFinal && !crashed && !explicit) {
      const what =
        this.sinceCheckpoint > 0
          ? `${this.sinceCheckpoint} record${this.sinceCheckpoint === 1 ? "" : "s"} after its last signed checkpoint`
          : `its last checkpoint (seq ${this.seq}) is not the final one of a writer session`;
      throw new AuditError(
        "NOT_AT_REST",
        `audit log ${path} does not end at rest (${what}) and no writer holds it: its end was cut, or records were added without the key; ${verifyHint}; if a crashed writer's lock was removed by hand, adopt its records (recorded) with: ${repairHint}`,
      );
    }
    // A crash between a checkpoint's fsync and its head update leaves the head one behind; catch up.
    if (newerCheckpoint) writeHead(this.headPath, this.lastCheckpoint);
    return tornTail;
  }

  /** The key a genesis record names (its own signature is checked with it), or ours when it names none. */
  private publicKeyOf(genesis: AuditRecord): KeyObject {
    return declaredKey(genesis)?.publicKey ?? this.publicKey;
  }

  /**
   * The previous writer died mid-append: cuts its incomplete last line (never acknowledged: the
   * append that wrote it had not returned) and returns its length and SHA-256 for the record.
   */
  private cutTornTail(): JsonObject {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let end = this.size;
    let cut = -1;
    while (end > 0 && cut < 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(this.fd, chunk, 0, end - start, start);
      const i = chunk.subarray(0, n).lastIndexOf(10);
      if (i >= 0) cut = start + i + 1;
      end = start;
    }
    if (cut < 0) cut = 0;
    const torn = Buffer.alloc(this.size - cut);
    readSync(this.fd, torn, 0, torn.length, cut);
    try {
      ftruncateSync(this.fd, cut);
      fdatasyncSync(this.fd);
    } catch (err) {
      throw new AuditError("IO", `cannot cut the torn last line of audit log ${this.path}: ${describeFsError(err)}`);
    }
    this.size = cut;
    if (cut === 0)
      throw new AuditError("TAIL_INVALID", `audit log ${this.path} holds no complete record (only a torn line)`);
    return { bytes: torn.length, sha256: createHash("sha256").update(torn).digest("hex") };
  }
}

function checkOptions(options: AuditLogOptions): void {
  const k = options?.privateKey as KeyObject | undefined;
  if (!k || typeof k !== "object" || k.type !== "private" || k.asymmetricKeyType !== "ed25519") {
    throw new AuditError("KEY", "the audit log needs an Ed25519 private key (load one with loadPrivateKey)");
  }
  const n = options.checkpointEvery;
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 1))
    throw new AuditError("INVALID_EVENT", `checkpointEvery must be a positive integer, not ${n}`);
}

function eventProblem(event: AuditEvent): string | null {
  if (event === null || typeof event !== "object") return "the event must be an object";
  const { run, agent, type, details } = event;
  if (typeof run !== "string" || run.length === 0) return "run must be a non-empty string";
  if (agent !== null && typeof agent !== "string") return "agent must be a string or null";
  if (typeof type !== "string" || !TYPE_NAME.test(type))
    return `type must be a snake_case name, not ${JSON.stringify(type)}`;
  if (SYSTEM_EVENT_TYPES.has(type)) return `type "${type}" is written by the log itself`;
  try {
    assertJsonObject(details);
  } catch (err) {
    return (err as Error).message;
  }
  return detailsProblem(type, details as Record<string, unknown>);
}
