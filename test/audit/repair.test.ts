/** repair: cuts a torn tail, recreates a missing head, releases a stale lock — recorded, never silent, never over tampering. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../runtime/audit/writer.js";
import { AuditError } from "../../runtime/audit/errors.js";
import { repairLog } from "../../runtime/audit/repair.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { appendRun, fakeClock, makeKeys, parse, readLines, tempDir, writeLines } from "./helpers.js";

const { dir, cleanup } = tempDir();
const keys = makeKeys(dir);
let n = 0;
function makeLog(): string {
  const p = join(dir, `r-${++n}.log`);
  const w = AuditLog.open(p, { privateKey: keys.privateKey, checkpointEvery: 4, now: fakeClock() });
  appendRun(w, "run-1");
  w.close();
  return p;
}
const repair = (p: string) => repairLog(p, { privateKey: keys.privateKey, now: fakeClock() });
const verify = (p: string) => verifyLog(p, { publicKey: keys.publicKey });

test("a torn last line is cut, and the cut is recorded with its size and SHA-256", () => {
  const path = makeLog();
  const intact = readLines(path);
  const torn = '{"agent":"a","details":{"output":"par';
  appendFileSync(path, torn);
  assert.is(verify(path).firstBad?.reason, "torn_tail");
  const report = repair(path);
  assert.ok(report.repaired);
  assert.match(
    report.actions.join("\n"),
    new RegExp(`cut the torn last line \\(line ${intact.length + 1}, 37 bytes\\)`),
  );
  const lines = readLines(path);
  assert.equal(lines.slice(0, intact.length), intact, "the intact prefix is untouched");
  const rec = parse(lines[intact.length]!);
  assert.is(rec.type, "repair");
  assert.equal(rec.details.tornTail, {
    line: intact.length + 1,
    bytes: torn.length,
    sha256: createHash("sha256").update(torn).digest("hex"),
  });
  assert.is(report.record?.hash, rec.hash);
  assert.is(parse(lines.at(-1)!).type, "checkpoint");
  assert.ok(verify(path).ok);
  const w = AuditLog.open(path, { privateKey: keys.privateKey });
  w.append({ run: "run-2", agent: null, type: "run_start", details: {} });
  w.close();
  assert.ok(verify(path).ok);
});

test("a lock left by a dead writer is released and recorded; the unsigned records it wrote are adopted", () => {
  const path = makeLog();
  const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
  const lines = readLines(path);
  // The dead writer got two records out after its last checkpoint.
  const w = AuditLog.open(path, { privateKey: keys.privateKey, checkpointEvery: 100 });
  w.append({ run: "run-2", agent: null, type: "run_start", details: {} });
  w.append({ run: "run-2", agent: null, type: "tool_start", details: { tool: "t" } });
  const crashState = readFileSync(path);
  const crashHead = readFileSync(`${path}.head`);
  w.close();
  writeFileSync(path, crashState);
  writeFileSync(`${path}.head`, crashHead);
  writeFileSync(`${path}.lock`, JSON.stringify({ pid: dead, host: hostname(), since: "2025-01-01T00:00:00.000Z" }));

  const report = repair(path);
  assert.match(report.actions[0]!, new RegExp(`released the lock left by pid ${dead}`));
  assert.match(
    report.actions[1]!,
    new RegExp(`signed the 2 records written after the last checkpoint \\(seq ${lines.length}\\)`),
  );
  const rec = parse(readLines(path)[lines.length + 2]!);
  assert.is(rec.type, "repair");
  assert.equal(rec.details.staleLock, { pid: dead, host: hostname(), since: "2025-01-01T00:00:00.000Z" });
  assert.equal([rec.details.lastSignedSeq, rec.details.unsignedRecordsAdopted], [lines.length, 2]);
  assert.is(existsSync(`${path}.lock`), false);
  const v = verify(path);
  assert.equal([v.ok, v.unsigned], [true, 0]);
});

test("a missing head is recreated from the last signed record, and that is recorded", () => {
  const path = makeLog();
  const last = readLines(path).length;
  rmSync(`${path}.head`);
  assert.is(verify(path).firstBad?.reason, "head_missing");
  const report = repair(path);
  assert.match(
    report.actions.join(" "),
    new RegExp(
      `recreated the missing head file .* from the signed record seq ${last}; records removed from the end before now could not be detected`,
    ),
  );
  assert.equal(report.record?.details.headRecreated, { seq: last });
  assert.ok(verify(path).ok);
});

test("an unreadable head (e.g. emptied by a power failure) is kept aside and rebuilt; a head that does not verify is refused", () => {
  const path = makeLog();
  writeFileSync(`${path}.head`, "");
  assert.is(verify(path).firstBad?.reason, "head_invalid");
  const report = repair(path);
  assert.match(report.actions[0]!, /moved the unreadable head file aside to .*\.head\.unreadable-\d+/);
  assert.match(report.actions[1]!, /recreated the missing head file/);
  assert.ok(existsSync((report.record!.details.unreadableHead as { movedTo: string }).movedTo));
  assert.ok(verify(path).ok);

  const forged = makeLog();
  const other = join(dir, `r-${++n}.log`);
  const w = AuditLog.open(other, { privateKey: keys.privateKey, checkpointEvery: 2 });
  w.append({ run: "x", agent: null, type: "run_start", details: {} });
  w.append({ run: "x", agent: null, type: "run_start", details: {} });
  w.close();
  writeFileSync(`${forged}.head`, readFileSync(`${other}.head`)); // readable and signed, but another log's checkpoint
  assert.is(verify(forged).firstBad?.reason, "head_invalid");
  const before = readFileSync(forged);
  assert.throws(() => repair(forged), /repair refused: .*head_invalid/);
  assert.ok(readFileSync(forged).equals(before));
});

test("a torn tail and a missing head together are both repaired", () => {
  const path = makeLog();
  rmSync(`${path}.head`);
  appendFileSync(path, "{");
  const report = repair(path);
  assert.is(report.actions.length, 2);
  assert.ok(verify(path).ok);
});

test("a crash while creating the log (torn genesis, no head) restarts it, recorded", () => {
  const path = join(dir, `r-${++n}.log`);
  writeFileSync(path, '{"agent":null,"details":{"alg":"Ed');
  const report = repair(path);
  assert.equal(report.actions.length, 2, report.actions.join("; "));
  const lines = readLines(path).map(parse);
  assert.equal(
    lines.map((r) => r.type),
    ["genesis", "repair", "checkpoint"],
  );
  assert.equal([lines[1]!.details.restarted, (lines[1]!.details.tornTail as { line: number }).line], [true, 1]);
  assert.ok(verify(path).ok);
});

test("nothing to repair: nothing written", () => {
  const path = makeLog();
  const before = readFileSync(path);
  const report = repair(path);
  assert.is(report.repaired, false);
  assert.match(report.actions[0]!, /nothing to repair/);
  assert.ok(readFileSync(path).equals(before));
  assert.is(existsSync(`${path}.lock`), false);
});

test("repair refuses tampering, truncation, a foreign key and a live lock — and changes nothing", () => {
  const refuses = (path: string, code: string, pattern: RegExp, privateKey = keys.privateKey) => {
    const before = readFileSync(path);
    try {
      repairLog(path, { privateKey });
      assert.unreachable("repair should refuse");
    } catch (err) {
      assert.instance(err, AuditError);
      assert.is((err as AuditError).code, code, (err as Error).message);
      assert.match((err as Error).message, pattern);
    }
    assert.ok(readFileSync(path).equals(before), "log unchanged");
  };
  const edited = makeLog();
  const lines = readLines(edited);
  lines[3] = lines[3]!.replace('"read_file"', '"write_file"');
  writeLines(edited, lines, '{"torn');
  refuses(
    edited,
    "VERIFY_FAILED",
    /repair refused: .* fails verification at line 4 \(edited: .*it never hides other damage/,
  );

  const cut = makeLog();
  const kept = readLines(cut).slice(0, -3);
  writeLines(cut, kept, '{"torn');
  refuses(cut, "VERIFY_FAILED", new RegExp(`line ${kept.length + 1} \\(truncated: `));

  const foreign = makeLog();
  refuses(foreign, "VERIFY_FAILED", /wrong_key/, makeKeys(dir, "other").privateKey);

  const locked = makeLog();
  const w = AuditLog.open(locked, { privateKey: keys.privateKey });
  refuses(locked, "LOCKED", /already open in this process/);
  w.close();
});

test.after(cleanup);
test.run();
