/** AuditLog writer: creation, appends, checkpoints, chaining across runs, locking, refusals, bad input. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { AuditLog } from "../../runtime/audit/writer.js";
import { rawPublicKey } from "../../runtime/audit/keys.js";
import { AuditError } from "../../runtime/audit/errors.js";
import { readHead } from "../../runtime/audit/head.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { repairLog } from "../../runtime/audit/repair.js";
import { fakeClock, makeKeys, parse, readLines, tempDir, appendRun, writeLines } from "./helpers.js";

const { dir, cleanup } = tempDir();
const keys = makeKeys(dir);
let n = 0;
const freshPath = () => join(dir, `log-${++n}.log`);
const open = (path: string, extra: object = {}) =>
  AuditLog.open(path, { privateKey: keys.privateKey, now: fakeClock(), ...extra });

function throwsAudit(fn: () => unknown, code: string, pattern: RegExp, exitCode?: number): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, AuditError, String(err));
    assert.is((err as AuditError).code, code, (err as Error).message);
    assert.match((err as Error).message, pattern);
    assert.not.match((err as Error).message, /\n/, "one line");
    if (exitCode !== undefined) assert.is((err as AuditError).exitCode, exitCode);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** A log left as a crashed writer leaves it: records after the last checkpoint, no final checkpoint (the lock is not copied). */
/** A log as a writer that died left it: records after the last checkpoint, and its lock (`withLock`). */
function crashedCopy(records: number, withLock = true): string {
  const live = freshPath();
  const w = open(live, { checkpointEvery: 100 });
  for (let i = 0; i < records; i++) w.append({ run: "r", agent: "a", type: "run_start", details: { i } });
  const copy = freshPath();
  copyFileSync(live, copy);
  copyFileSync(`${live}.head`, `${copy}.head`);
  w.close();
  if (withLock)
    writeFileSync(
      `${copy}.lock`,
      JSON.stringify({ pid: deadPid, host: hostname(), since: "2025-01-01T00:00:00.000Z" }),
    );
  return copy;
}
const deadPid = spawnSync(process.execPath, ["-e", ""]).pid!;

test("a new log starts with a signed genesis record naming the key, and a head pointing at it", () => {
  const path = freshPath();
  const log = open(path);
  assert.is(log.lastSeq, 1);
  assert.is(log.keyId, keys.keyId);
  log.close();
  const [g] = readLines(path).map(parse);
  assert.equal(
    [g!.type, g!.seq, g!.prev, g!.details.keyId, g!.details.signing, g!.details.format],
    ["genesis", 1, "0".repeat(64), keys.keyId, "checkpoint", "symbi-audit/1"],
  );
  assert.ok(typeof g!.sig === "string");
  const head = readHead(`${path}.head`);
  assert.ok(head.status === "ok" && head.head.checkpoint.hash === g!.hash);
  assert.is(statSync(path).mode & 0o777, 0o640);
  assert.is(existsSync(`${path}.lock`), false, "close releases the lock");
});

test("append returns the record as written, chained to the previous one; checkpoints every N and on close", () => {
  const path = freshPath();
  const log = open(path, { checkpointEvery: 3 });
  const a = log.append({
    run: "r1",
    agent: "ag",
    type: "decision",
    details: { action: "read", decision: "allow", rules: ["p#1"] },
  });
  const b = log.append({ run: "r1", agent: "ag", type: "tool_start", details: { tool: "read" } });
  assert.equal([a.seq, b.seq, b.prev], [2, 3, a.hash]);
  log.append({
    run: "r1",
    agent: "ag",
    type: "tool_end",
    details: { tool: "read", exitCode: 0, durationMs: 3, outputSha256: "0".repeat(64) },
  });
  const lines = readLines(path).map(parse);
  assert.equal(
    lines.map((r) => r.type),
    ["genesis", "decision", "tool_start", "tool_end", "checkpoint"],
  );
  // A checkpoint names its key (id and public key) and the signing mode, so it can start a log
  // file on its own (the live log after archiving).
  assert.equal(lines[4]!.details, {
    keyId: keys.keyId,
    publicKey: rawPublicKey(keys.publicKey).toString("base64"),
    signing: "checkpoint",
    from: 2,
    count: 3,
  });
  const head = readHead(`${path}.head`);
  assert.ok(head.status === "ok" && head.head.checkpoint.seq === 5);
  log.append({ run: "r1", agent: "ag", type: "run_end", details: { status: "ok" } });
  log.close();
  const after = readLines(path).map(parse);
  assert.equal(
    after.slice(-2).map((r) => [r.type, r.details.final]),
    [
      ["run_end", undefined],
      ["checkpoint", true],
    ],
    "close() ends the session with a final checkpoint",
  );
  assert.ok(verifyLog(path, { publicKey: keys.publicKey }).ok);
  log.close(); // idempotent
  throwsAudit(() => log.append({ run: "r", agent: null, type: "run_start", details: {} }), "CLOSED", /is closed/);
});

test("the chain continues across runs (writer sessions)", () => {
  const path = freshPath();
  for (let run = 1; run <= 3; run++) {
    const log = open(path, { checkpointEvery: 5 });
    appendRun(log, `run-${run}`);
    log.close();
  }
  const lines = readLines(path).map(parse);
  lines.forEach((r, i) => {
    assert.is(r.seq, i + 1);
    if (i > 0) assert.is(r.prev, lines[i - 1]!.hash);
  });
  const v = verifyLog(path, { publicKey: keys.publicKey });
  assert.equal([v.ok, v.runs, v.records], [true, 3, lines.length]);
  assert.is(lines.filter((r) => r.type === "genesis").length, 1);
});

test("reopening after a crash records a 'recovered' event and signs the orphaned records", () => {
  const path = crashedCopy(3);
  const before = verifyLog(path, { publicKey: keys.publicKey });
  assert.equal([before.ok, before.unsigned], [true, 3]);
  const log = open(path);
  log.close();
  const lines = readLines(path).map(parse);
  const rec = lines.find((r) => r.type === "recovered")!;
  assert.equal(rec.details, {
    reason: "the previous writer died holding the lock; the lock was recovered",
    lastCheckpointSeq: 1,
    unsignedRecords: 3,
    staleLock: { pid: deadPid, host: hostname(), since: "2025-01-01T00:00:00.000Z" },
  });
  assert.is(lines.at(-1)!.type, "checkpoint");
  const after = verifyLog(path, { publicKey: keys.publicKey });
  assert.equal([after.ok, after.unsigned], [true, 0]);
});

test("records after the last checkpoint with no writer's lock are refused (not adopted silently); repair adopts them, recorded", () => {
  const path = crashedCopy(2, false);
  const v = verifyLog(path, { publicKey: keys.publicKey });
  assert.equal([v.ok, v.firstBad?.reason], [false, "not_at_rest"]);
  const before = readFileSync(path);
  throwsAudit(
    () => open(path),
    "NOT_AT_REST",
    /does not end at rest \(2 records after its last signed checkpoint\).*symbi audit repair/,
    3,
  );
  assert.ok(readFileSync(path).equals(before), "untouched");
  const report = repairLog(path, { privateKey: keys.privateKey });
  assert.match(report.actions.join("; "), /signed the 2 records written after the last checkpoint/);
  assert.ok(verifyLog(path, { publicKey: keys.publicKey }).ok);
});

test("a torn last line left by a writer that died is cut by the next writer, and recorded", () => {
  const path = crashedCopy(2);
  appendFileSync(path, '{"agent":"a","details":{"tool":"x"');
  const log = open(path);
  log.close();
  const rec = readLines(path)
    .map(parse)
    .find((r) => r.type === "recovered")!;
  assert.equal(rec.details.tornTail, {
    bytes: 34,
    sha256: createHash("sha256").update('{"agent":"a","details":{"tool":"x"').digest("hex"),
  });
  assert.ok(verifyLog(path, { publicKey: keys.publicKey }).ok);
});

test("a head one checkpoint behind (crash before the head update) is accepted and brought up to date", () => {
  const path = freshPath();
  const log = open(path, { checkpointEvery: 2 });
  log.append({ run: "r", agent: null, type: "run_start", details: {} });
  log.append({ run: "r", agent: null, type: "run_start", details: {} });
  const oldHead = readFileSync(`${path}.head`);
  log.append({ run: "r", agent: null, type: "run_start", details: {} });
  log.append({ run: "r", agent: null, type: "run_start", details: {} });
  log.close();
  writeFileSync(`${path}.head`, oldHead);
  const again = open(path);
  const h = readHead(`${path}.head`);
  assert.ok(h.status === "ok" && h.head.checkpoint.seq === again.lastSeq);
  again.close();
  assert.ok(verifyLog(path, { publicKey: keys.publicKey }).ok);
});

test("one writer per log: a second open fails; a dead writer's lock is recovered automatically, and recorded", () => {
  const path = freshPath();
  const log = open(path);
  throwsAudit(() => open(path), "LOCKED", /already open in this process/, 1);
  log.close();

  const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
  const owner = { pid: dead, host: hostname(), since: "2025-01-01T00:00:00.000Z" };
  writeFileSync(`${path}.lock`, JSON.stringify(owner));
  const recovered = open(path);
  recovered.close();
  const rec = readLines(path)
    .map(parse)
    .find((r) => r.type === "recovered")!;
  assert.equal(rec.details.staleLock, owner);
  assert.match(String(rec.details.reason), /died holding the lock/);
  assert.ok(verifyLog(path, { publicKey: keys.publicKey }).ok);
  assert.not.ok(existsSync(`${path}.lock`));

  // A recovery of the same stale lock interrupted by a dead breaker: repair clears it.
  writeFileSync(`${path}.lock`, JSON.stringify(owner));
  const breakerId = createHash("sha256")
    .update(JSON.stringify([owner.pid, owner.host, owner.since]))
    .digest("hex")
    .slice(0, 16);
  writeFileSync(`${path}.lock.break-${breakerId}`, JSON.stringify({ ...owner, since: "2025-01-02T00:00:00.000Z" }));
  throwsAudit(() => open(path), "STALE_LOCK", /recovery of the stale lock .* was interrupted.*symbi audit repair/, 1);
  rmSync(`${path}.lock.break-${breakerId}`);
  rmSync(`${path}.lock`);

  writeFileSync(`${path}.lock`, JSON.stringify({ pid: 1, host: "elsewhere", since: "2025-01-01T00:00:00.000Z" }));
  throwsAudit(() => open(path), "LOCKED", /in use by another writer \(pid 1 on elsewhere/);
  assert.ok(existsSync(`${path}.lock`), "someone else's lock is never removed");
  rmSync(`${path}.lock`);
});

test("refuses to append to a torn, truncated, emptied, foreign-key, head-less or tampered log — without touching it", () => {
  const make = () => {
    const p = freshPath();
    const w = open(p, { checkpointEvery: 3 });
    appendRun(w, "r");
    w.close();
    return p;
  };
  const unchanged = (p: string, fn: () => void) => {
    const before = readFileSync(p);
    fn();
    assert.ok(readFileSync(p).equals(before), "log bytes unchanged");
    assert.is(existsSync(`${p}.lock`), false, "lock released");
  };

  const torn = make();
  appendFileSync(torn, '{"agent":"a","det');
  unchanged(torn, () =>
    throwsAudit(() => open(torn), "TORN_TAIL", /ends with an incomplete line.*symbi audit repair/, 3),
  );

  const cut = make();
  writeLines(cut, readLines(cut).slice(0, -2));
  unchanged(cut, () => throwsAudit(() => open(cut), "TRUNCATED", /shorter than its last signed checkpoint/, 3));

  const emptied = make();
  truncateSync(emptied, 0);
  unchanged(emptied, () => throwsAudit(() => open(emptied), "TRUNCATED", /empty or missing but its head file/, 3));
  const deleted = make();
  rmSync(deleted);
  throwsAudit(() => open(deleted), "TRUNCATED", /empty or missing/);
  assert.is(existsSync(deleted), false, "a deleted log is not silently recreated");

  const foreign = make();
  const other = makeKeys(dir, "other");
  unchanged(foreign, () =>
    throwsAudit(
      () => AuditLog.open(foreign, { privateKey: other.privateKey }),
      "WRONG_KEY",
      /signed by key .*but the given key is/,
      3,
    ),
  );

  const headless = make();
  rmSync(`${headless}.head`);
  unchanged(headless, () =>
    throwsAudit(() => open(headless), "HEAD", /head file .* is missing.*symbi audit repair/, 3),
  );

  const tampered = crashedCopy(3);
  const lines = readLines(tampered);
  lines[lines.length - 2] = lines[lines.length - 2]!.replace('"i":1', '"i":9');
  writeLines(tampered, lines);
  unchanged(tampered, () =>
    throwsAudit(
      () => open(tampered),
      "TAIL_INVALID",
      /fails verification at line 3 .*content does not match its hash/,
      3,
    ),
  );
});

test("invalid events are refused before anything is written", () => {
  const path = freshPath();
  const log = open(path);
  const size = statSync(path).size;
  const bad: [object, RegExp][] = [
    [{ run: "", agent: null, type: "run_start", details: {} }, /run must be a non-empty string/],
    [{ run: "r", agent: 5, type: "run_start", details: {} }, /agent must be a string or null/],
    [{ run: "r", agent: null, type: "Run Start", details: {} }, /type must be a snake_case name/],
    [{ run: "r", agent: null, type: "checkpoint", details: {} }, /written by the log itself/],
    [{ run: "r", agent: null, type: "genesis", details: {} }, /written by the log itself/],
    [{ run: "r", agent: null, type: "note", details: { f: () => 1 } }, /details\.f is a function/],
    [{ run: "r", agent: null, type: "note", details: { n: 10n } }, /details\.n is a bigint/],
    [{ run: "r", agent: null, type: "note", details: { x: NaN } }, /details\.x is NaN/],
    [{ run: "r", agent: null, type: "note", details: [] }, /details must be a plain JSON object/],
    [
      { run: "r", agent: null, type: "decision", details: { action: "x", decision: "allow" } },
      /decision details\.rules must be an array of rule ids/,
    ],
    [
      { run: "r", agent: null, type: "decision", details: { action: "x", decision: "maybe", rules: [] } },
      /decision details\.decision/,
    ],
    [
      { run: "r", agent: null, type: "tool_end", details: { tool: "t", exitCode: 0, durationMs: 1 } },
      /tool_end details\.outputSha256 must be 64 lowercase hex digits/,
    ],
    [
      {
        run: "r",
        agent: null,
        type: "tool_end",
        details: { tool: "t", exitCode: 0.5, durationMs: 1, outputSha256: "0".repeat(64) },
      },
      /exitCode must be an integer or null/,
    ],
    [
      { run: "r", agent: null, type: "approval", details: { action: "x" } },
      /approval details\.approved must be a boolean/,
    ],
    [{ run: "r", agent: null, type: "error", details: {} }, /error details\.message must be a string/],
    [{ run: "r", agent: null, type: "run_end", details: {} }, /run_end details\.status must be a string/],
    [{ run: "r", agent: null, type: "constructor", details: {} }, /^$/], // a custom type: accepted
  ];
  for (const [event, pattern] of bad) {
    if (pattern.source === "^$") {
      log.append(event as never);
      continue;
    }
    throwsAudit(() => log.append(event as never), "INVALID_EVENT", pattern, 1);
    assert.is(statSync(path).size, size, "nothing written");
    assert.is(log.lastSeq, 1);
  }
  log.close();
  assert.ok(verifyLog(path, { publicKey: keys.publicKey }).ok);
});

test("an unwritable log path is one clear error and leaves nothing behind", () => {
  const missingDir = join(dir, "no-such-dir", "a.log");
  throwsAudit(
    () => open(missingDir),
    "IO",
    /cannot write audit log .*no-such-dir\/a\.log: cannot create .*a\.log\.lock: no such file or directory/,
    1,
  );
  assert.is(existsSync(join(dir, "no-such-dir")), false);

  const isDir = join(dir, "a-directory.log");
  mkdirSync(isDir);
  throwsAudit(() => open(isDir), "IO", /cannot open audit log .*a-directory\.log for writing: is a directory/, 1);
  assert.is(existsSync(`${isDir}.lock`), false, "lock released");
  assert.equal(readdirSync(isDir), []);

  throwsAudit(() => AuditLog.open(freshPath(), { privateKey: keys.publicKey }), "KEY", /needs an Ed25519 private key/);
  throwsAudit(
    () => open(freshPath(), { checkpointEvery: 0 }),
    "INVALID_EVENT",
    /checkpointEvery must be a positive integer/,
  );
});

const asRoot = process.getuid?.() === 0;
(asRoot ? test.skip : test)(
  "a read-only directory or log file is refused without writing (needs a non-root user)",
  () => {
    const roDir = join(dir, "ro");
    mkdirSync(roDir);
    chmodSync(roDir, 0o555);
    throwsAudit(() => open(join(roDir, "a.log")), "IO", /permission denied/, 1);
    chmodSync(roDir, 0o755);
    const path = freshPath();
    open(path).close();
    const before = readFileSync(path);
    chmodSync(path, 0o444);
    throwsAudit(() => open(path), "IO", /cannot open audit log .* for writing: permission denied/, 1);
    assert.ok(readFileSync(path).equals(before));
    assert.is(existsSync(`${path}.lock`), false);
  },
);

test("signing every record: every line signed; the mode is fixed by the genesis record", () => {
  const path = freshPath();
  const log = open(path, { signEveryRecord: true });
  appendRun(log, "r");
  log.close();
  assert.ok(
    readLines(path)
      .map(parse)
      .every((r) => typeof r.sig === "string"),
  );
  const again = open(path, { signEveryRecord: false });
  assert.is(again.signing, "record");
  again.append({ run: "r2", agent: null, type: "run_start", details: {} });
  again.close();
  assert.ok(
    readLines(path)
      .map(parse)
      .every((r) => typeof r.sig === "string"),
  );
  assert.ok(verifyLog(path, { publicKey: keys.publicKey }).ok);
});

test.after(cleanup);
test.run();
