/**
 * Key rotation and retention (issue 15): a rotation is recorded in the log signed by the old key
 * and the new one, and verify follows the chain across it, naming each segment's key; archiving
 * moves old records to a sealed archive whose last record the live log starts from, and verify
 * over archive + log proves nothing was dropped in between. Tampering with each part is detected.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "../../runtime/audit/writer.js";
import { verifyLog, verifyLogs } from "../../runtime/audit/verify.js";
import { archiveLog } from "../../runtime/audit/archive.js";
import { appendRun, fakeClock, makeKeys, parse, readLines, rehash, tempDir, writeLines } from "./helpers.js";

const { dir, cleanup } = tempDir();
const k1 = makeKeys(dir, "k1");
const k2 = makeKeys(dir, "k2");
const k3 = makeKeys(dir, "k3");
let n = 0;
const fresh = () => join(dir, `log-${++n}.log`);
const DAY = 86_400_000;

/** Two runs with k1, a rotation to k2, two runs with k2. */
function rotatedLog(): string {
  const path = fresh();
  const now = fakeClock();
  const a = AuditLog.open(path, { privateKey: k1.privateKey, checkpointEvery: 4, now });
  appendRun(a, "run-1");
  a.close();
  const b = AuditLog.open(path, { privateKey: k1.privateKey, checkpointEvery: 4, now });
  appendRun(b, "run-2");
  b.rotate(k2.privateKey);
  b.close();
  const c = AuditLog.open(path, { privateKey: k2.privateKey, checkpointEvery: 4, now });
  appendRun(c, "run-3");
  c.close();
  return path;
}

test("rotation: recorded signed by the old key, followed by a checkpoint of the new key; verify names each segment", () => {
  const path = rotatedLog();
  const lines = readLines(path).map(parse);
  const i = lines.findIndex((r) => r.type === "rotation");
  const rot = lines[i]!;
  assert.equal([rot.details.keyId, rot.details.newKeyId], [k1.keyId, k2.keyId]);
  assert.ok(typeof rot.sig === "string", "signed (by the old key)");
  const after = lines[i + 1]!;
  assert.equal([after.type, after.details.keyId], ["checkpoint", k2.keyId]);
  for (const key of [k1, k2]) {
    const v = verifyLog(path, { publicKey: key.publicKey });
    assert.ok(v.ok, `${v.firstBad?.reason}: ${v.firstBad?.detail}`);
    assert.equal(
      v.segments.map((s) => [s.keyId, s.fromSeq]),
      [
        [k1.keyId, 1],
        [k2.keyId, after.seq],
      ],
    );
  }
  const foreign = verifyLog(path, { publicKey: k3.publicKey });
  assert.equal([foreign.firstBad?.reason, foreign.firstBad?.index], ["wrong_key", 1]);
  // The old key can no longer append: the log's current key is the new one.
  assert.throws(
    () => AuditLog.open(path, { privateKey: k1.privateKey }),
    (e: Error) => /signed by key .*but the given key is/.test(e.message),
  );
});

test("rotation: tampering with the rotation or its hand-over is detected", () => {
  const path = rotatedLog();
  const lines = readLines(path);
  const i = lines.findIndex((l) => parse(l).type === "rotation");
  const variants: Array<[string, string[], string]> = [
    // Point the rotation at another key (re-hashed): the old key's signature no longer verifies.
    [
      "rotation re-pointed",
      lines.map((l, j) =>
        j === i ? rehash(l, (r) => ((r.details.newKeyId = k3.keyId), (r.details.newPublicKey = "x"))) : l,
      ),
      "bad_signature",
    ],
    // Remove the rotation: the next checkpoint is signed by a key the chain never introduced.
    ["rotation removed", lines.filter((_, j) => j !== i), "wrong_key"],
    // Remove the new key's hand-over checkpoint.
    ["hand-over removed", lines.filter((_, j) => j !== i + 1), "deleted"],
  ];
  for (const [what, v, reason] of variants) {
    const p = fresh();
    writeLines(p, v);
    const r = verifyLog(p, { publicKey: k2.publicKey, headPath: null });
    assert.is(r.ok, false, what);
    assert.is(r.firstBad!.reason, reason, `${what}: ${r.firstBad!.detail}`);
  }
});

test("a forger holding only the old key cannot fork the log past the rotation unnoticed by the new key", () => {
  const path = rotatedLog();
  const lines = readLines(path);
  const i = lines.findIndex((l) => parse(l).type === "rotation");
  // Cut before the rotation and continue with the old key (what a thief of k1 could write).
  const forked = fresh();
  writeLines(forked, lines.slice(0, i));
  writeFileSync(`${forked}.head`, readFileSync(`${path}.head`));
  const r = verifyLog(forked, { publicKey: k2.publicKey, headPath: null, writerPresent: true });
  assert.equal(r.firstBad?.reason, "wrong_key", "k2 signs nothing in the fork");
});

/** A log with runs on three days (clock far apart), rotated once in the middle. */
function oldLog(): { path: string; t0: number } {
  const path = fresh();
  const t0 = Date.UTC(2025, 0, 1);
  let t = t0;
  const now = () => new Date(t++);
  const open = (key = k1) => AuditLog.open(path, { privateKey: key.privateKey, checkpointEvery: 4, now });
  let w = open();
  appendRun(w, "day-1");
  w.close();
  t = t0 + DAY;
  w = open();
  appendRun(w, "day-2");
  w.rotate(k2.privateKey);
  w.close();
  t = t0 + 2 * DAY;
  w = open(k2);
  appendRun(w, "day-3");
  w.close();
  return { path, t0 };
}

test("archive: old records move to a sealed archive; the live log starts at its last record; verify over both", () => {
  const { path, t0 } = oldLog();
  const before = readLines(path);
  const report = archiveLog(path, {
    privateKey: k2.privateKey,
    before: new Date(t0 + 2 * DAY),
    now: fakeClock(t0 + 3 * DAY),
  });
  assert.ok(report.archived, report.message);
  const archive = report.file!;
  assert.is(statSync(archive).mode & 0o777, 0o440, "sealed: read-only");
  const archived = readLines(archive);
  const live = readLines(path);
  assert.equal(archived, before.slice(0, archived.length), "the archive holds the old records byte for byte");
  assert.is(live[0], archived.at(-1), "the live log starts with the archive's last record");
  assert.is(parse(live[1]!).prev, parse(archived.at(-1)!).hash, "its next record commits to the archive's last hash");
  const rec = live.map(parse).find((r) => r.type === "archived")!;
  assert.equal(
    [rec.details.first, rec.details.last, rec.details.lastHash],
    [1, report.last, parse(archived.at(-1)!).hash],
  );
  assert.is(rec.details.sha256, report.sha256);
  assert.ok(live.length < before.length);

  // The live log alone verifies (it says what it continues from); archive + live verify as one chain.
  const alone = verifyLog(path, { publicKey: k2.publicKey });
  assert.ok(alone.ok, `${alone.firstBad?.reason}: ${alone.firstBad?.detail}`);
  assert.equal(alone.continues, { seq: report.last, hash: parse(archived.at(-1)!).hash });
  const both = verifyLogs([archive, path], { publicKey: k2.publicKey });
  assert.ok(both.ok, `${both.firstBad?.reason}: ${both.firstBad?.detail}`);
  assert.is(both.continues, null);
  assert.equal(
    both.segments.map((s) => s.keyId),
    [k1.keyId, k2.keyId],
  );
  // The chain goes on: the next run appends to the shortened live log.
  const w = AuditLog.open(path, { privateKey: k2.privateKey });
  appendRun(w, "day-4");
  w.close();
  assert.ok(verifyLogs([archive, path], { publicKey: k2.publicKey }).ok);
  // Nothing old enough: no change.
  const again = archiveLog(path, { privateKey: k2.privateKey, before: new Date(t0) });
  assert.is(again.archived, false);
});

test("archive: tampering with the archive, the live log, or the seam between them is detected", () => {
  const { path, t0 } = oldLog();
  const report = archiveLog(path, { privateKey: k2.privateKey, before: new Date(t0 + 2 * DAY) });
  const archive = report.file!;
  const archived = readLines(archive);
  const live = readLines(path);
  const check = (what: string, a: string[], l: string[], reason: string, file?: string) => {
    const pa = fresh();
    const pl = fresh();
    writeLines(pa, a);
    writeLines(pl, l);
    writeFileSync(`${pl}.head`, readFileSync(`${path}.head`));
    const r = verifyLogs([pa, pl], { publicKey: k2.publicKey });
    assert.is(r.ok, false, what);
    assert.is(r.firstBad!.reason, reason, `${what}: ${r.firstBad!.detail}`);
    if (file) assert.is(r.firstBad!.file, file === "archive" ? pa : pl, what);
  };
  check(
    "a record edited in the archive",
    archived.map((l, j) => (j === 3 ? l.replace('"ts":"2025', '"ts":"2024') : l)),
    live,
    "edited",
    "archive",
  );
  check("the archive's end cut off", archived.slice(0, -2), live, "truncated", "archive");
  let earlierCheckpoint = archived.length - 2;
  while (parse(archived[earlierCheckpoint]!).type !== "checkpoint") earlierCheckpoint--;
  check(
    "the archive cut back to an earlier checkpoint",
    archived.slice(0, earlierCheckpoint + 1),
    live,
    "deleted",
    "live",
  );
  check(
    "an archived record deleted",
    archived.filter((_, j) => j !== 5),
    live,
    "deleted",
    "archive",
  );
  check(
    "the live log's first line replaced",
    archived,
    [archived[archived.length - 3]!, ...live.slice(1)],
    "deleted",
    "live",
  );
  check(
    "a live record edited",
    archived,
    live.map((l, j) => (j === 2 ? l.replace('"ts":"2025', '"ts":"2024') : l)),
    "edited",
    "live",
  );
  check("the live log's end cut", archived, live.slice(0, -3), "truncated");
  // A live log whose first checkpoint is forged (re-hashed) does not verify alone either.
  const pl = fresh();
  writeLines(pl, [rehash(live[0]!, (r) => (r.details.count = 1)), ...live.slice(1)]);
  const alone = verifyLog(pl, { publicKey: k2.publicKey, headPath: null });
  assert.is(alone.ok, false);
  assert.ok(existsSync(archive));
});

test.after(cleanup);
test.run();
