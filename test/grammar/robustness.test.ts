/**
 * Bad input never throws, never hangs: random bytes, mutated corpus files, pathological nesting,
 * unterminated strings, invalid UTF-8, huge files. Property-based with fast-check (thousands of
 * cases in the normal run; the seed is fixed so failures reproduce).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { parseBytes, parseText, MAX_SOURCE_BYTES } from "../../grammar/index.js";
import { corpusAgents } from "../helpers/corpus.js";

const SEED = 20261124;
const agents = corpusAgents();

/** Every diagnostic must point inside the text, and the result must be well formed. */
function assertSane(text: string, r: ReturnType<typeof parseText>): void {
  assert.is(r.program.kind, "Program");
  for (const d of r.diagnostics) {
    assert.ok(
      d.span.start >= 0 && d.span.start <= text.length && d.span.end <= text.length + 1,
      `span in range: ${JSON.stringify(d.span)} / ${text.length}`,
    );
    assert.ok(d.span.line >= 1 && d.span.col >= 1, "1-based positions");
    assert.ok(typeof d.message === "string" && d.message.length > 0);
    assert.match(d.code, /^[EW]0\d{3}$/);
  }
}

const TOKENS = [
  "agent",
  "policy",
  "with",
  "let",
  "if",
  "else",
  "for",
  "in",
  "match",
  "try",
  "catch",
  "return",
  "not",
  "true",
  "type",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ";",
  ",",
  ":",
  ".",
  "=",
  "==",
  "=>",
  "->",
  "|",
  "||",
  "&&",
  "!",
  "+",
  "-",
  "*",
  "/",
  "x",
  "_",
  '"s"',
  '"',
  "1",
  "1.5",
  "30s",
  "100ms",
  "vault://a/b",
  "// c\n",
  "# c\n",
  "\n",
  " ",
  "allow:",
  "deny:",
  "require:",
];

test("random text never throws and gives sane diagnostics", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
      assertSane(text, parseText(text, "r.symbi"));
    }),
    { numRuns: 1500, seed: SEED },
  );
});

test("random token soup never throws", () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }), (toks) => {
      const text = toks.join(" ");
      assertSane(text, parseText(text, "r.symbi"));
    }),
    { numRuns: 1500, seed: SEED },
  );
});

test("random bytes (including invalid UTF-8) never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const r = parseBytes(bytes, "r.symbi");
      assertSane(r.text, r);
    }),
    { numRuns: 1000, seed: SEED },
  );
});

test("mutated corpus files never throw", () => {
  const mutation = fc.record({
    file: fc.nat({ max: agents.length - 1 }),
    at: fc.nat(),
    len: fc.nat({ max: 40 }),
    insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })),
    kind: fc.constantFrom("delete", "insert", "replace", "duplicate", "truncate"),
  });
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
      let text = agents[muts[0]!.file]!.text;
      for (const m of muts) {
        const at = m.at % (text.length + 1);
        if (m.kind === "delete") text = text.slice(0, at) + text.slice(at + m.len);
        else if (m.kind === "insert") text = text.slice(0, at) + m.insert + text.slice(at);
        else if (m.kind === "replace") text = text.slice(0, at) + m.insert + text.slice(at + m.len);
        else if (m.kind === "duplicate") text = text.slice(0, at) + text.slice(at, at + m.len * 4) + text.slice(at);
        else text = text.slice(0, at);
      }
      assertSane(text, parseText(text, "m.symbi"));
    }),
    { numRuns: 1000, seed: SEED },
  );
});

const deep = (open: string, middle: string, close: string, n: number) =>
  `agent a { with { let x = ${open.repeat(n)}${middle}${close.repeat(n)}; } }`;

test("10,000 nested parentheses: E0005, no crash", () => {
  const r = parseText(deep("(", "1", ")", 10_000), "deep.symbi");
  assert.ok(
    r.diagnostics.some((d) => d.code === "E0005"),
    r.diagnostics.map((d) => d.code).join(),
  );
});

test("10,000 nested arrays, records and blocks: E0005, no crash", () => {
  for (const [o, m, c] of [
    ["[", "1", "]"],
    ["{a:", "1", "}"],
    ["if a {", "1", "} else {2}"],
  ] as const) {
    const r = parseText(deep(o, m, c, 10_000), "deep.symbi");
    assert.ok(
      r.diagnostics.some((d) => d.code === "E0005"),
      `${o}: ${r.diagnostics.map((d) => d.code).join()}`,
    );
  }
});

test("10,000-term chains build no tree deeper than the limit", () => {
  for (const src of [
    "a" + " + a".repeat(10_000),
    "!".repeat(10_000) + "a",
    "a" + ".b".repeat(10_000),
    "f" + "()".repeat(10_000),
  ]) {
    const r = parseText(`agent a { with { let x = ${src}; } }`, "chain.symbi");
    assert.ok(
      r.diagnostics.some((d) => d.code === "E0005"),
      r.diagnostics.map((d) => d.code).join(),
    );
    // The capped tree serialises: nothing recursive over it can overflow.
    assert.ok(JSON.stringify(r.program).length > 0);
  }
});

test("moderately long chains are fine", () => {
  const r = parseText(`agent a { with { let x = a${" + a".repeat(300)}; } }`, "chain.symbi");
  assert.equal(r.diagnostics, []);
});

test("unterminated string at end of file: E0003 at the quote", () => {
  const text = 'agent a { with { let s = "abc';
  const r = parseText(text, "s.symbi");
  const d = r.diagnostics.find((x) => x.code === "E0003");
  assert.ok(d, r.diagnostics.map((x) => x.code).join());
  assert.is(d!.span.start, text.indexOf('"'));
});

test("invalid UTF-8: E0002 at the first bad byte", () => {
  const bytes = Buffer.concat([Buffer.from("agent a {\n  // caf"), Buffer.from([0xc3, 0x28]), Buffer.from("\n}\n")]);
  const r = parseBytes(bytes, "u.symbi");
  assert.is(r.diagnostics.length, 1);
  assert.is(r.diagnostics[0]!.code, "E0002");
  assert.equal([r.diagnostics[0]!.span.line, r.diagnostics[0]!.span.col], [2, 9]);
});

test("a BOM is accepted and remembered", () => {
  const r = parseBytes(Buffer.from("\ufeffagent a {}\n"), "b.symbi");
  assert.equal(r.diagnostics, []);
  assert.ok(r.hadBom);
  assert.is(r.program.items.length, 1);
});

test("CRLF line endings and tabs: positions stay right", () => {
  const r = parseText("agent a {\r\n\twith {\r\n\t\tlet x = 1\r\n\t\tlog(x);\r\n\t}\r\n}\r\n", "c.symbi");
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.span.line, d.span.col]),
    [["E0011", 3, 12]],
  );
});

test("a 50 MB file is refused quickly with E0004", () => {
  const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
  const t0 = Date.now();
  const r = parseBytes(big, "big.symbi");
  assert.is(r.diagnostics[0]?.code, "E0004");
  assert.ok(Date.now() - t0 < 2000, "no scan of the whole file");
  assert.ok(MAX_SOURCE_BYTES < big.length);
});

test("a 4 MB file of corpus agents parses cleanly", () => {
  let text = "";
  while (text.length < 4_000_000) for (const a of agents) text += a.text + "\n";
  const r = parseText(text, "large.symbi");
  assert.equal(r.diagnostics, []);
});

test.run();
