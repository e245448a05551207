/** Record format: canonical JSON (RFC 8785), the hash formula, parsing, plain-JSON details. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import canonicalizeImport from "canonicalize";
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex } from "@noble/hashes/utils";
import {
  canonicalBody,
  computeHash,
  GENESIS_PREV,
  parseRecordLine,
  serializeRecord,
  type AuditRecord,
} from "../../runtime/audit/record.js";
import { assertJsonObject, type JsonObject } from "../../formats/json.js";

const canonicalize = canonicalizeImport as unknown as (v: unknown) => string;

const jsonDetails = fc.dictionary(
  fc.string(),
  fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown), // -0 → 0 as JSON would
) as fc.Arbitrary<JsonObject>;

const recordArb = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  ts: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  run: fc.option(fc.string(), { nil: null }),
  agent: fc.option(fc.string(), { nil: null }),
  type: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
  details: jsonDetails,
  prev: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
});

test("the hashed body is RFC 8785 canonical JSON of the record without hash/sig", () => {
  fc.assert(
    fc.property(recordArb, (r) => {
      assert.is(canonicalBody(r), canonicalize(r));
    }),
    { numRuns: 300 },
  );
});

test("hash = SHA-256(prev || canonical body), checked with an independent SHA-256 (@noble/hashes)", () => {
  fc.assert(
    fc.property(recordArb, (r) => {
      const expected = bytesToHex(sha256(new TextEncoder().encode(r.prev + canonicalize(r))));
      assert.is(computeHash(r), expected);
    }),
    { numRuns: 200 },
  );
});

test("each line is itself canonical JSON of the full record and parses back to it", () => {
  fc.assert(
    fc.property(recordArb, fc.boolean(), (r, signed) => {
      const rec: AuditRecord = {
        ...r,
        hash: computeHash(r),
        ...(signed ? { sig: Buffer.alloc(64, 7).toString("base64") } : {}),
      };
      const line = serializeRecord(rec);
      assert.is(line, canonicalize(rec));
      const p = parseRecordLine(line);
      assert.ok(p.ok);
      if (p.ok) {
        assert.is(canonicalize(p.record), canonicalize(rec)); // (fast-check makes null-prototype objects; compare as JSON)
        assert.is(p.computedHash, rec.hash);
      }
    }),
    { numRuns: 200 },
  );
});

const sample = (): AuditRecord => {
  const r = {
    seq: 2,
    ts: "2025-01-01T00:00:00.000Z",
    run: "r",
    agent: "a",
    type: "decision",
    details: { action: "x", decision: "allow", rules: ["p"] },
    prev: GENESIS_PREV,
  };
  return { ...r, hash: computeHash(r) };
};

test("a re-serialized line (reordered keys, whitespace) still verifies: the hash is over canonical JSON, not bytes", () => {
  const rec = sample();
  const pretty = JSON.stringify(
    {
      type: rec.type,
      hash: rec.hash,
      details: rec.details,
      seq: rec.seq,
      agent: rec.agent,
      run: rec.run,
      prev: rec.prev,
      ts: rec.ts,
    },
    null,
    1,
  ).replace(/\n/g, " ");
  const p = parseRecordLine(pretty);
  assert.ok(p.ok && p.computedHash === rec.hash);
});

test("details that mimic the hash/sig members cannot fool the line parser: every one-character change is caught", () => {
  const base = {
    seq: 7,
    ts: "2025-01-01T00:00:00.000Z",
    run: "r",
    agent: "a",
    type: "note",
    prev: "e".repeat(64),
    details: {} as JsonObject,
  };
  const hash = computeHash({ ...base, details: {} });
  const sig = Buffer.alloc(64, 9).toString("base64");
  // details carrying the very member texts the parser looks for, as keys and inside strings
  base.details = {
    hash,
    prev: base.prev,
    run: "r",
    sig,
    ts: base.ts,
    text: `"hash":"${hash}","prev":"${base.prev}","run":"r","sig":"${sig}","ts":`,
  };
  const rec: AuditRecord = { ...base, hash: computeHash(base), sig };
  const line = serializeRecord(rec);
  const p = parseRecordLine(line);
  assert.ok(p.ok && p.computedHash === rec.hash);
  const sigStart = line.indexOf(`"sig":"${sig}","ts"`, line.indexOf('"seq":'));
  for (let i = 0; i < line.length; i++) {
    const mutated = line.slice(0, i) + (line[i] === "a" ? "b" : "a") + line.slice(i + 1);
    const q = parseRecordLine(mutated);
    if (!q.ok || q.computedHash !== q.record.hash) continue; // caught
    assert.ok(
      i > sigStart && i < sigStart + 8 + sig.length,
      `change at ${i} went unnoticed outside the signature (which the verifier checks)`,
    );
    assert.is(canonicalize({ ...q.record, sig: undefined }), canonicalize({ ...rec, sig: undefined }));
  }
});

test("an added field changes the computed hash; missing or mistyped fields are not records", () => {
  const rec = sample();
  const extra = parseRecordLine(JSON.stringify({ ...rec, note: "hi" }));
  assert.ok(extra.ok && extra.computedHash !== rec.hash);
  const cases: [string, unknown][] = [
    ["seq", undefined],
    ["seq", 0],
    ["seq", 1.5],
    ["ts", 5],
    ["run", undefined],
    ["agent", 3],
    ["type", ""],
    ["details", []],
    ["details", null],
    ["prev", "abc"],
    ["hash", rec.hash.toUpperCase()],
    ["sig", "not base64!"],
  ];
  for (const [field, value] of cases) {
    const p = parseRecordLine(JSON.stringify({ ...rec, [field]: value }));
    assert.is(p.ok, false, `${field} = ${JSON.stringify(value)}`);
    if (!p.ok) assert.match(p.detail, field);
  }
  for (const text of ["", "{", "[]", "42", "null"]) assert.is(parseRecordLine(text).ok, false, text);
});

test("details must be plain JSON: functions, bigints, NaN, class instances, cycles are refused with their path", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad: [unknown, string][] = [
    [{ f: () => 1 }, "details.f"],
    [{ n: 1n }, "details.n"],
    [{ a: { b: NaN } }, "details.a.b"],
    [{ x: Infinity }, "details.x"],
    [{ d: new Date(0) }, "details.d"],
    [{ m: new Map() }, "details.m"],
    [{ s: Symbol("s") }, "details.s"],
    [{ list: [1, undefined] }, "details.list[1]"],
    [cyclic, "details.self"],
    [[1, 2], "details"],
    [null, "details"],
    ["text", "details"],
  ];
  for (const [value, path] of bad) {
    assert.throws(
      () => assertJsonObject(value),
      (e: Error) => e instanceof TypeError && e.message.includes(path),
      path,
    );
  }
  assertJsonObject({ a: [1, "x", null, true, { b: [] }], skipped: undefined, shared: [1], again: [1] });
  const shared = { k: 1 };
  assertJsonObject({ one: shared, two: shared }); // repeated, not cyclic
});

test.run();
