/**
 * Incremental re-parsing (grammar/incremental.ts): after any edit, the result equals parsing the
 * new text whole — every node, span, attached comment and diagnostic — and where the edit stays
 * inside items, the items it did not touch keep their node objects.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseText, type ParseResult } from "../../grammar/index.js";
import { isSuperseded, reparseText } from "../../grammar/incremental.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLES = [
  "test/fixtures/reference-project/lib/security.symbi",
  "test/fixtures/reference-project/types/data.symbi",
  "examples/seed-policies/agents/policies.symbi",
  "test/fixtures/reference-project/lib/workflow.symbi",
].map((f) => readFileSync(join(ROOT, f), "utf8"));
/** Several example files in one: many items, comments between them, every kind of item. */
const TEXT = EXAMPLES.join("\n");

/** A tree as plain data, keys sorted, undefined left out: equal trees print equal. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = plain(x);
    }
    return out;
  }
  return v;
}

function assertSameParse(got: ParseResult, want: ParseResult, context: string): void {
  assert.equal(got.text, want.text, context);
  assert.equal(
    JSON.stringify(plain(got.diagnostics)),
    JSON.stringify(plain(want.diagnostics)),
    `diagnostics ${context}`,
  );
  const a = JSON.stringify(plain(got.program));
  const b = JSON.stringify(plain(want.program));
  if (a !== b) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    assert.unreachable(
      `trees differ (${context}) at …${a.slice(Math.max(0, i - 200), i + 200)}\nvs …${b.slice(Math.max(0, i - 200), i + 200)}`,
    );
  }
}

/** Snippets people type: keywords, brackets, quotes, comments, statements, whole lines. */
const SNIPPETS = [
  "x",
  " ",
  "\n",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  '"',
  ";",
  "let ",
  "let y = 1;\n",
  "// note\n",
  "# note\n",
  "agent z {\n}\n",
  "function f() -> int { 1 }\n",
  "if x {",
  "\r\n",
  "print(count);",
  "type T = { a: int }\n",
  "policy p {\n  allow: read(x)\n}\n",
];

const edit = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  remove: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })),
  insert: fc.oneof(
    fc.constantFrom(...SNIPPETS),
    fc.constant(""),
    fc.string({ maxLength: 4 }),
    // a piece of the text itself, as when moving code around
    fc
      .tuple(fc.nat(), fc.integer({ min: 1, max: 60 }))
      .map(([s, n]) => TEXT.slice(s % TEXT.length, (s % TEXT.length) + n)),
  ),
});

test("after random edits, the re-parse equals parsing the new text whole", () => {
  // Edits that cannot change how the rest of the file reads: the previous parse had no error,
  // and neither the removed nor the inserted text holds a bracket or a quote.
  let neutral = 0;
  let neutralIncremental = 0;
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
      let text = TEXT;
      let prev = parseText(text, "f.symbi");
      for (const e of edits) {
        const at = Math.floor(e.at * text.length);
        const removed = text.slice(at, at + e.remove);
        text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
        const r = reparseText(prev, text, "f.symbi");
        if (prev.diagnostics.length === 0 && !/[(){}[\]"]/.test(removed + e.insert)) {
          neutral++;
          if (r.incremental) neutralIncremental++;
        }
        assertSameParse(
          r.parse,
          parseText(text, "f.symbi"),
          `edit at ${at}: -${e.remove} +${JSON.stringify(e.insert)}`,
        );
        prev = r.parse;
      }
    }),
    { numRuns: 300, seed: 17 },
  );
  // The test means something only if such edits really were re-parsed in part. Not all are:
  // random text often breaks an item in a way chevrotain recovers from by scanning ahead to the
  // end of the region (parsed whole by design); typing (the next test) is re-parsed in part.
  assert.ok(neutralIncremental > neutral * 0.2, `${neutralIncremental} of ${neutral} edits re-parsed in part`);
});

test("typing a file character by character re-parses in part and equals the whole parse at every step", () => {
  const target = EXAMPLES[2]!;
  const cut = target.indexOf("\n", Math.floor(target.length / 2));
  const prefix = target.slice(0, cut + 1);
  const typed = '    let total = count + len(items);\n    if total > 3 {\n        print("many");\n    }\n';
  let text = prefix + target.slice(cut + 1);
  let prev = parseText(text, "f.symbi");
  let incremental = 0;
  // type into the body of the item around the middle of the file
  const insertAt = text.lastIndexOf("{", cut) + 1;
  for (let i = 1; i <= typed.length; i++) {
    const next = text.slice(0, insertAt) + typed.slice(0, i) + text.slice(insertAt);
    const r = reparseText(prev, next, "f.symbi");
    if (r.incremental) incremental++;
    assertSameParse(r.parse, parseText(next, "f.symbi"), `after ${i} characters`);
    prev = r.parse;
  }
  assert.ok(incremental > typed.length * 0.8, `${incremental} of ${typed.length} keystrokes re-parsed in part`);
  void text;
  text = "";
});

test("a body edit keeps the other items' nodes and moves the later ones", () => {
  const prev = parseText(TEXT, "f.symbi");
  const items = prev.program.items;
  const mid = Math.floor(items.length / 2);
  const target = items[mid]!;
  const at = target.span.start + Math.floor((target.span.end - target.span.start) / 2);
  const lineBreak = TEXT.indexOf("\n", at);
  const next = TEXT.slice(0, lineBreak) + "\n// added\n" + TEXT.slice(lineBreak);
  const laterStart = items[mid + 1]!.span.start;
  const laterLine = items[mid + 1]!.span.line;
  const r = reparseText(prev, next, "f.symbi");
  assert.ok(r.incremental);
  assert.ok(r.shift);
  assert.is(r.parse.program.items[0], items[0], "items before the edit are the same objects");
  assert.is(r.parse.program.items[mid + 1], items[mid + 1], "items after the edit are the same objects");
  assert.is.not(r.parse.program.items[mid], target, "the edited item is parsed again");
  assert.is(items[mid + 1]!.span.start, laterStart + "\n// added\n".length);
  assert.is(items[mid + 1]!.span.line, laterLine + 2);
  assert.ok(isSuperseded(prev), "the previous parse is marked as consumed");
  assertSameParse(r.parse, parseText(next, "f.symbi"), "body edit");
});

test("an edit that can change how the rest of the file reads is parsed whole", () => {
  const prev = parseText(TEXT, "f.symbi");
  const items = prev.program.items;
  const target = items[1]!;
  const at = target.span.start + 10;
  // An unpaired quote may pair with one in a later item.
  const quoted = TEXT.slice(0, at) + '"' + TEXT.slice(at);
  const r = reparseText(prev, quoted, "f.symbi");
  assert.not.ok(r.incremental);
  assert.not.ok(isSuperseded(prev), "a whole parse leaves the previous one intact");
  assertSameParse(r.parse, parseText(quoted, "f.symbi"), "quote");
});

test.run();
