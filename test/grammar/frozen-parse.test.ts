/**
 * The front end's output is frozen: for every corpus file and example, the AST (with attached
 * comments) and the diagnostics of the file itself, of broken variants of it (cut short, a
 * character deleted, a stray `{`, `"` or `(` inserted: error recovery and its messages) and of
 * an incremental re-parse after an edit (the language server's path) hash to the values recorded
 * in test/fixtures/frozen-parse.json. Speed work on the lexer, parser and AST builder must not
 * change a single node, span, message or location; this test says so for ~2,000 parses.
 *
 * When a change of output is intended (a new node field, a better message), regenerate the
 * record with `SYMBI_FREEZE_PARSE=1 npm test -- frozen-parse` and review the diff of the other
 * tests; the record holds hashes only, so the explanation belongs in the commit message.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseText, type ParseResult } from "../../grammar/index.js";
import { reparseText } from "../../grammar/incremental.js";
import {
  REPO,
  corpusAgents,
  corpusFmtFixtures,
  corpusMissing,
  corpusSamples,
  exampleSources,
  type SourceFile,
} from "../helpers/corpus.js";

const RECORD = join(REPO, "test/fixtures/frozen-parse.json");
const freeze = process.env["SYMBI_FREEZE_PARSE"] === "1";

/** JSON with object keys sorted, so the hash does not depend on the order fields were set in. */
function canonical(value: unknown): string {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "undefined";
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return (
    "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical((value as Record<string, unknown>)[k])).join(",") + "}"
  );
}

function describe(r: ParseResult): string {
  return canonical({ program: r.program, diagnostics: r.diagnostics });
}

/** The broken variants of a text: deterministic positions spread over the file. */
function variants(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  for (let k = 1; k < 8; k++) {
    const at = Math.floor((n * k) / 8);
    out.push(text.slice(0, at));
    out.push(text.slice(0, at) + text.slice(at + 1));
    out.push(text.slice(0, at) + ["{", '"', "("][k % 3] + text.slice(at));
  }
  return out;
}

/** Every input of one source file, parsed, as one hash. */
function fingerprint(f: SourceFile): string {
  const h = createHash("sha256");
  const whole = parseText(f.text, f.name);
  h.update(describe(whole));
  for (const v of variants(f.text)) h.update("\u0000" + describe(parseText(v, f.name)));
  // The language server's path: the file, then an edit in its middle, re-parsed incrementally.
  const mid = Math.floor(f.text.length / 2);
  const edited = f.text.slice(0, mid) + " x " + f.text.slice(mid);
  h.update("\u0001" + describe(reparseText(parseText(f.text, f.name), edited, f.name).parse));
  return h.digest("hex");
}

const sources: SourceFile[] = [
  ...corpusAgents().map((f) => ({ ...f, name: `corpus/agents/${f.name}` })),
  ...corpusSamples().map((f) => ({ ...f, name: `corpus/samples/${f.name}` })),
  ...corpusFmtFixtures().map((f) => ({ ...f, name: `corpus/fixtures/fmt/${f.name}` })),
  ...exampleSources(),
];

let recorded = JSON.parse(readFileSync(RECORD, "utf8")) as Record<string, string>;

if (corpusMissing) console.log(`  frozen parse tests of corpus files skipped: ${corpusMissing}`);
for (const name of Object.keys(recorded).filter((n) => n.startsWith("corpus/")))
  if (corpusMissing) test.skip(`frozen parse output: ${name}`, () => {});

if (freeze) {
  const record: Record<string, string> = {};
  for (const f of sources) record[f.name] = fingerprint(f);
  writeFileSync(RECORD, JSON.stringify(record, null, 2) + "\n");
  console.log(`  wrote ${RECORD} (${sources.length} files)`);
  recorded = record;
}

// A file added since the record was made is reported and skipped (its output has nothing to be
// the same as yet); one recorded but gone is reported. Regenerating the record takes both in.
const unrecorded = sources.filter((f) => !recorded[f.name]).map((f) => f.name);
const present = new Set(sources.map((s) => s.name));
const gone = Object.keys(recorded).filter((n) => !present.has(n) && !(corpusMissing && n.startsWith("corpus/")));
if (unrecorded.length > 0)
  console.log(`  frozen parse: not recorded yet (see the header of this test): ${unrecorded.join(", ")}`);
if (gone.length > 0) console.log(`  frozen parse: recorded files that are gone: ${gone.join(", ")}`);

for (const f of sources) {
  (recorded[f.name] ? test : test.skip)(`frozen parse output: ${f.name}`, () => {
    assert.is(fingerprint(f), recorded[f.name], `the parse of ${f.name} or of its variants changed`);
  });
}

test.run();
