/**
 * recentRecords: the newest records of a log, read backwards in chunks — what rate limits count
 * across runs with. Lines longer than a chunk, chunk boundaries, a torn tail, an edited record
 * and the stop at the first older record.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../runtime/audit/writer.js";
import { generateKeyFiles, loadPrivateKey } from "../../runtime/audit/keys.js";
import { recentRecords } from "../../runtime/audit/recent.js";

const dir = mkdtempSync(join(tmpdir(), "symbi-recent-"));
const keyFile = join(dir, "k");
generateKeyFiles(keyFile);
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A log of `n` tool_start records one second apart, every 7th with a 100 KB detail (longer than a chunk). */
function makeLog(name: string, n: number): string {
  const path = join(dir, name);
  let t = T0;
  const log = AuditLog.open(path, { privateKey: loadPrivateKey(keyFile), now: () => new Date(t) });
  for (let i = 0; i < n; i++) {
    t = T0 + i * 1000;
    log.append({
      run: "r",
      agent: "a",
      type: "tool_start",
      details: { tool: "t", i, ...(i % 7 === 0 ? { pad: "x".repeat(100_000) } : {}) },
    });
  }
  log.close();
  return path;
}

const indexes = (path: string, since: number) =>
  recentRecords(path, since, (r) => r.type === "tool_start").map((r) => (r.details as { i: number }).i);

test("returns exactly the records at or after `since`, oldest first, across chunk boundaries", () => {
  const path = makeLog("a.log", 60);
  assert.equal(
    indexes(path, T0 + 40_000),
    Array.from({ length: 20 }, (_, k) => 40 + k),
  );
  assert.equal(indexes(path, T0).length, 60);
  assert.equal(indexes(path, T0 + 10_000_000), []);
});

test("a torn last line and a record edited by hand are not counted", () => {
  const path = makeLog("b.log", 20);
  const lines = readFileSync(path, "utf8").split("\n");
  const k = lines.findIndex((l) => l.includes('"i":15'));
  lines[k] = lines[k]!.replace('"tool":"t"', '"tool":"u"');
  writeFileSync(path, lines.join("\n"));
  appendFileSync(path, '{"seq":99,"ts":"2026-01-01T00:00:30.000Z","type":"tool_st');
  const got = indexes(path, T0 + 10_000);
  assert.equal(got, [10, 11, 12, 13, 14, 16, 17, 18, 19]);
});

test.run();
