/**
 * grammar/recording.ts: the parser records its grammar with chevrotain's own recording methods,
 * set on a prototype for the recording instead of on the parser, and ends with the class's
 * methods; the grammar it records is the one chevrotain's own way records.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SymbiontParser } from "../../grammar/parser.js";
import { parseText } from "../../grammar/index.js";

type Methods = Record<string, unknown>;

/**
 * A grammar's productions as plain data: each node's class and fields, token types and rules
 * by name (chevrotain's serializeGrammar would need its ES-module copy's classes; the parser
 * uses the single-file build's).
 */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = { class: o.constructor?.name };
  for (const [k, x] of Object.entries(o)) {
    if (k === "referencedRule") out[k] = (x as { name?: string } | undefined)?.name;
    else if (k === "terminalType") out[k] = (x as { name: string }).name;
    else if (typeof x !== "function") out[k] = plain(x);
  }
  return out;
}

/** The names chevrotain's enableRecording sets on a parser (its recording methods and flag). */
function recordingNames(): string[] {
  // The original method sits on chevrotain's parser class, above the one recording.ts set.
  const chevrotainProto = Object.getPrototypeOf(SymbiontParser.prototype) as { enableRecording(): void };
  const scratch = Object.create(SymbiontParser.prototype) as Methods;
  chevrotainProto.enableRecording.call(scratch);
  return Object.keys(scratch);
}

/** A parser built the way chevrotain builds it (its own enableRecording and disableRecording). */
function chevrotainWayParser(): SymbiontParser {
  const proto = SymbiontParser.prototype as unknown as Methods;
  const own = { enable: proto["enableRecording"], disable: proto["disableRecording"] };
  delete proto["enableRecording"];
  delete proto["disableRecording"];
  try {
    return new SymbiontParser();
  } finally {
    proto["enableRecording"] = own.enable;
    proto["disableRecording"] = own.disable;
  }
}

test("chevrotain's recording methods are many, and none is left on the parser", () => {
  const names = recordingNames();
  assert.ok(names.length > 80, `chevrotain set ${names.length} names`);
  assert.ok(names.includes("CONSUME") && names.includes("OR9") && names.includes("LA"));
  const p = new SymbiontParser();
  assert.is(Object.getPrototypeOf(p), SymbiontParser.prototype);
  for (const n of names.filter((n) => n !== "RECORDING_PHASE")) {
    assert.not.ok(Object.prototype.hasOwnProperty.call(p, n), `${n} left on the parser`);
    assert.is((p as unknown as Methods)[n], (SymbiontParser.prototype as unknown as Methods)[n], n);
  }
  assert.is((p as unknown as { RECORDING_PHASE: boolean }).RECORDING_PHASE, false);
});

test("the grammar recorded is the one chevrotain's own recording makes", () => {
  const ours = new SymbiontParser();
  const theirs = chevrotainWayParser();
  assert.ok(Object.keys(theirs.getGAstProductions()).length > 40);
  const recorded = plain(ours.getGAstProductions());
  assert.ok(JSON.stringify(recorded).length > 20_000, "the whole grammar, down to its terminals");
  assert.equal(recorded, plain(theirs.getGAstProductions()));
  // Chevrotain's way leaves the parser without own recording methods too: both end alike.
  for (const n of recordingNames().filter((n) => n !== "RECORDING_PHASE"))
    assert.not.ok(Object.prototype.hasOwnProperty.call(theirs, n), n);
});

test("parsers made one after another each record and parse", () => {
  for (let i = 0; i < 3; i++) {
    const p = new SymbiontParser();
    assert.is(Object.getPrototypeOf(p), SymbiontParser.prototype);
  }
  const r = parseText('agent a(x: String) -> String { with sandbox = "process" { x } }', "a.symbi");
  assert.equal(r.diagnostics, []);
});

test.run();
