/**
 * Audit tamper suite: for a generated log (two runs, checkpoints every 4 records), every
 * single-record edit, insertion, deletion, reordering, truncation and signature swap is detected
 * with the right line index and reason.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { verifyLog, type FailureReason, type VerifyResult } from "../../runtime/audit/verify.js";
import { computeHash, serializeRecord } from "../../runtime/audit/record.js";
import { writeHead } from "../../runtime/audit/head.js";
import { generateLog, makeKeys, parse, readLines, rehash, tempDir, writeLines, type TestKeys } from "./helpers.js";

const { dir, cleanup } = tempDir();
const keys = makeKeys(dir);
const original = join(dir, "audit.log");
generateLog(original, keys);
const lines = readLines(original);
const N = lines.length;
const signed = lines.map((l, i) => (parse(l).sig !== undefined ? i + 1 : 0)).filter((i) => i > 0);
const target = join(dir, "tampered.log");
copyFileSync(`${original}.head`, `${target}.head`);

function verifyVariant(variant: string[], tail = "", key: TestKeys = keys): VerifyResult {
  writeLines(target, variant, tail);
  return verifyLog(target, { publicKey: key.publicKey, headPath: `${target}.head` });
}

function expectBad(r: VerifyResult, index: number, reason: FailureReason, what: string): void {
  assert.is(r.ok, false, `${what}: should fail`);
  assert.equal(
    { index: r.firstBad!.index, reason: r.firstBad!.reason },
    { index, reason },
    `${what}: ${r.firstBad!.detail}`,
  );
}

const isSigned = (k: number) => signed.includes(k);

test("the generated log verifies and has the expected shape", () => {
  const r = verifyVariant(lines);
  assert.ok(r.ok, r.firstBad?.detail);
  assert.is(r.records, N);
  assert.is(r.runs, 2);
  assert.is(r.unsigned, 0);
  assert.ok(N >= 24, `log has ${N} lines`);
  assert.ok(signed.length >= 6, "genesis plus several checkpoints");
  lines.forEach((l, i) => assert.is(parse(l).seq, i + 1, "seq equals the line number"));
});

test("edit without re-hashing: every record, every field kind", () => {
  for (let k = 1; k <= N; k++) {
    const edits: [string, (s: string) => string][] = [
      ["details", (s) => s.replace(/"details":\{/, '"details":{"x":1,')],
      ["ts", (s) => s.replace(/"ts":"2025/, '"ts":"2024')],
      ["type", (s) => s.replace(/"type":"(\w+)"/, '"type":"$1x"')],
      ["seq", (s) => s.replace(/"seq":(\d+)/, (_m, d) => `"seq":${Number(d) + 1000}`)],
    ];
    for (const [what, edit] of edits) {
      const v = [...lines];
      v[k - 1] = edit(v[k - 1]!);
      assert.is.not(v[k - 1], lines[k - 1]);
      expectBad(verifyVariant(v), k, "edited", `edit ${what} of line ${k}`);
    }
  }
});

test("edit with a recomputed hash: edited, or bad_signature on signed records", () => {
  for (let k = 1; k <= N; k++) {
    const variants: [string, string][] = [
      ["details", rehash(lines[k - 1]!, (r) => (r.details.tampered = true))],
      ["agent", rehash(lines[k - 1]!, (r) => (r.agent = "mallory"))],
      ["prev", rehash(lines[k - 1]!, (r) => (r.prev = "1".repeat(64)))],
      ["seq", rehash(lines[k - 1]!, (r) => (r.seq += 7))],
    ];
    for (const [what, line] of variants) {
      const v = [...lines];
      v[k - 1] = line;
      expectBad(verifyVariant(v), k, isSigned(k) ? "bad_signature" : "edited", `re-hashed ${what} edit of line ${k}`);
    }
  }
});

test("deletion of any one record (deleting the last is a truncation)", () => {
  for (let k = 1; k <= N; k++) {
    const v = lines.filter((_, i) => i !== k - 1);
    expectBad(verifyVariant(v), k, k === N ? "truncated" : "deleted", `delete line ${k}`);
  }
});

test("insertion of a copy of another record, anywhere", () => {
  for (let k = 1; k <= N + 1; k++) {
    for (const m of [1, 3, Math.floor(N / 2), N - 1, N]) {
      if (m === k - 1 || m === k) continue; // adjacent identical copies: next test
      const v = [...lines];
      v.splice(k - 1, 0, lines[m - 1]!);
      expectBad(verifyVariant(v), k, "inserted", `copy of line ${m} inserted at ${k}`);
    }
  }
});

test("insertion of an identical copy next to its original names the later one", () => {
  for (let k = 1; k <= N; k++) {
    const v = [...lines];
    v.splice(k, 0, lines[k - 1]!);
    expectBad(verifyVariant(v), k + 1, "inserted", `duplicate of line ${k}`);
  }
});

test("insertion of forged records: re-hashed into the chain, broken hash, garbage, forged checkpoint", () => {
  for (let k = 2; k <= N; k++) {
    const prevHash = parse(lines[k - 2]!).hash;
    const forged = {
      seq: k,
      ts: "2025-01-01T00:00:00.000Z",
      run: "run-x",
      agent: "mallory",
      type: "decision",
      details: { action: "rm", decision: "allow", rules: [] },
      prev: prevHash,
      hash: "",
    };
    forged.hash = computeHash(forged);
    const fakeCheckpoint = {
      ...forged,
      run: null,
      agent: null,
      type: "checkpoint",
      details: { keyId: keys.keyId, from: 1, count: 1 },
      sig: randomBytes(64).toString("base64"),
    };
    fakeCheckpoint.hash = computeHash(fakeCheckpoint);
    const variants: [string, string][] = [
      ["chained forgery", serializeRecord(forged)],
      ["broken hash", serializeRecord({ ...forged, hash: "2".repeat(64) })],
      ["garbage", "hello, auditor"],
      ["empty line", ""],
      ["forged checkpoint", serializeRecord(fakeCheckpoint)],
    ];
    for (const [what, line] of variants) {
      const v = [...lines];
      v.splice(k - 1, 0, line);
      expectBad(verifyVariant(v), k, "inserted", `${what} inserted at line ${k}`);
    }
  }
  const v = ["junk", ...lines];
  expectBad(verifyVariant(v), 1, "inserted", "junk before the genesis record");
});

test("a forged record appended after the final checkpoint: not_at_rest with no writer; an unsigned tail while one holds the lock (documented limit)", () => {
  const last = parse(lines[N - 1]!);
  const forged = {
    seq: N + 1,
    ts: "2025-01-01T00:00:00.000Z",
    run: "run-x",
    agent: "mallory",
    type: "run_start",
    details: {},
    prev: last.hash,
    hash: "",
  };
  forged.hash = computeHash(forged);
  const bad = verifyVariant([...lines, serializeRecord(forged)]);
  expectBad(bad, N + 1, "not_at_rest", "a record after the final checkpoint, no writer");
  const r = verifyLog(target, { publicKey: keys.publicKey, headPath: `${target}.head`, writerPresent: true });
  assert.ok(r.ok);
  assert.is(r.unsigned, 1);
  assert.is(r.lastSignedSeq, N);
});

test("a log cut back to a checkpoint that is not its session's final one is truncated, even with the head rebuilt", () => {
  // The attack of issue 11 item 15: cut the log at an earlier signed checkpoint and rebuild the
  // head from it (it is in the log). Only a session's final checkpoint is a place a log rests.
  const k = signed.filter((i) => i > 1 && parse(lines[i - 1]!).details.final !== true).at(-1)!;
  const cut = lines.slice(0, k);
  writeLines(target, cut);
  const offset = cut.slice(0, k - 1).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const head = join(dir, "rebuilt.head");
  writeHead(head, { checkpoint: parse(lines[k - 1]!), offset, end: offset + Buffer.byteLength(lines[k - 1]!) + 1 });
  const r = verifyLog(target, { publicKey: keys.publicKey, headPath: head });
  expectBad(r, k + 1, "truncated", "cut at a non-final checkpoint");
  assert.match(r.firstBad!.detail, /not the final checkpoint of its writer session/);
  // Cut at a final checkpoint (whole sessions removed) and rebuilt: only an expected head tells.
  const f = signed.filter((i) => parse(lines[i - 1]!).details.final === true)[0]!;
  assert.ok(f < N, "the generated log has a final checkpoint before its end");
  writeLines(target, lines.slice(0, f));
  const fOffset = lines.slice(0, f - 1).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  writeHead(head, {
    checkpoint: parse(lines[f - 1]!),
    offset: fOffset,
    end: fOffset + Buffer.byteLength(lines[f - 1]!) + 1,
  });
  assert.ok(verifyLog(target, { publicKey: keys.publicKey, headPath: head }).ok, "undetectable from the files alone");
  const last = parse(lines[N - 1]!);
  const expect = { seq: last.seq, hash: last.hash };
  const caught = verifyLog(target, { publicKey: keys.publicKey, headPath: head, expectHead: expect });
  expectBad(caught, f + 1, "truncated", "with the expected head");
  // The intact log passes with its expected head; a rewritten one does not.
  writeLines(target, lines);
  assert.ok(verifyLog(target, { publicKey: keys.publicKey, expectHead: expect, headPath: `${original}.head` }).ok);
  const wrong = verifyLog(target, {
    publicKey: keys.publicKey,
    headPath: `${original}.head`,
    expectHead: { seq: last.seq, hash: "0".repeat(64) },
  });
  assert.equal([wrong.firstBad?.reason, wrong.firstBad?.seq], ["edited", last.seq]);
});

test("reordering: adjacent swaps and moves forward and backward", () => {
  for (let k = 1; k < N; k++) {
    const v = [...lines];
    [v[k - 1], v[k]] = [v[k]!, v[k - 1]!];
    expectBad(verifyVariant(v), k, "reordered", `swap lines ${k} and ${k + 1}`);
  }
  for (let k = 1; k <= N - 3; k++) {
    const v = [...lines];
    const [moved] = v.splice(k - 1, 1);
    v.splice(k + 2, 0, moved!);
    expectBad(verifyVariant(v), k, "reordered", `move line ${k} three places later`);
  }
  for (let k = 4; k <= N; k++) {
    const v = [...lines];
    const [moved] = v.splice(k - 1, 1);
    v.splice(k - 4, 0, moved!);
    expectBad(verifyVariant(v), k - 3, "reordered", `move line ${k} three places earlier`);
  }
});

test("truncation at every line boundary and inside every line", () => {
  for (let k = 0; k < N; k++) {
    expectBad(verifyVariant(lines.slice(0, k)), k + 1, "truncated", `keep ${k} lines`);
    const partial = lines[k]!.slice(0, Math.max(1, Math.floor(lines[k]!.length / 2)));
    expectBad(verifyVariant(lines.slice(0, k), partial), k + 1, "truncated", `keep ${k} lines and half of the next`);
  }
});

test("signature swaps, removals and forgeries on every signed record", () => {
  for (const i of signed) {
    for (const j of signed) {
      if (j <= i) continue;
      const v = [...lines];
      const a = parse(v[i - 1]!);
      const b = parse(v[j - 1]!);
      [a.sig, b.sig] = [b.sig, a.sig];
      v[i - 1] = serializeRecord(a);
      v[j - 1] = serializeRecord(b);
      expectBad(verifyVariant(v), i, "bad_signature", `swap signatures of lines ${i} and ${j}`);
    }
    const removed = parse(lines[i - 1]!);
    delete removed.sig;
    const v1 = [...lines];
    v1[i - 1] = serializeRecord(removed);
    expectBad(verifyVariant(v1), i, "bad_signature", `remove signature of line ${i}`);
    const forged = parse(lines[i - 1]!);
    forged.sig = randomBytes(64).toString("base64");
    const v2 = [...lines];
    v2[i - 1] = serializeRecord(forged);
    expectBad(verifyVariant(v2), i, "bad_signature", `random signature on line ${i}`);
  }
  // A signature added to an unsigned record must verify too.
  const k = lines.findIndex((l) => parse(l).sig === undefined) + 1;
  const withSig = parse(lines[k - 1]!);
  withSig.sig = parse(lines[0]!).sig;
  const v = [...lines];
  v[k - 1] = serializeRecord(withSig);
  expectBad(verifyVariant(v), k, "bad_signature", "foreign signature on an unsigned record");
});

test("a log checked against another key is wrong_key at line 1", () => {
  const other = makeKeys(dir, "other");
  const r = verifyVariant(lines, "", other);
  expectBad(r, 1, "wrong_key", "other key");
  assert.match(r.firstBad!.detail, other.keyId.slice(0, 16));
});

test("a log re-signed end to end with another key is wrong_key", () => {
  const other = makeKeys(dir, "mallory");
  const d2 = join(dir, "mallory.log");
  generateLog(d2, other);
  const r = verifyLog(d2, { publicKey: keys.publicKey });
  expectBad(r, 1, "wrong_key", "whole log signed by another key");
});

test("head: missing, not signed by the key, from another log, older checkpoint, skipped", () => {
  writeLines(target, lines);
  const headPath = `${target}.head`;
  const missing = verifyLog(target, { publicKey: keys.publicKey, headPath: join(dir, "nope.head") });
  assert.equal([missing.ok, missing.firstBad?.reason, missing.records], [false, "head_missing", N]);

  const skipped = verifyLog(target, { publicKey: keys.publicKey, headPath: null });
  assert.equal([skipped.ok, skipped.headChecked], [true, false]);

  // A head re-pointed at a checkpoint the log does not contain.
  const other = join(dir, "other.log");
  generateLog(other, keys, { checkpointEvery: 3 });
  const foreign = verifyLog(target, { publicKey: keys.publicKey, headPath: `${other}.head` });
  assert.is(foreign.ok, false);
  assert.ok(["head_invalid", "truncated"].includes(foreign.firstBad!.reason), foreign.firstBad!.detail);

  // A head whose checkpoint was re-signed by another key.
  const otherKeys = makeKeys(dir, "k3");
  const otherLog = join(dir, "k3.log");
  generateLog(otherLog, otherKeys);
  const wrong = verifyLog(target, { publicKey: keys.publicKey, headPath: `${otherLog}.head` });
  assert.equal([wrong.firstBad?.reason, wrong.firstBad?.index], ["head_invalid", 0]);

  rmSync(`${other}.head`);
  copyFileSync(`${original}.head`, headPath);
});

test("a torn last line after the last checkpoint is torn_tail, not tampering", () => {
  const r = verifyVariant(lines, '{"agent":"a","details":{"tool":"x"');
  expectBad(r, N + 1, "torn_tail", "torn tail");
  assert.is(r.records, N);
});

test("a log that signs every record flags any re-hashed edit as a bad signature", () => {
  const path = join(dir, "every.log");
  generateLog(path, keys, { signEveryRecord: true });
  const all = readLines(path);
  assert.ok(all.every((l) => parse(l).sig !== undefined));
  for (let k = 1; k <= all.length; k++) {
    const v = [...all];
    v[k - 1] = rehash(v[k - 1]!, (r) => (r.details.tampered = true));
    writeLines(target, v);
    const r = verifyLog(target, { publicKey: keys.publicKey, headPath: `${path}.head` });
    expectBad(r, k, "bad_signature", `re-hashed edit of line ${k} in a signed-every-record log`);
  }
});

test.after(cleanup);
test.run();
