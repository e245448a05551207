/** The scanner follows the reference's longest-match token rules (LANGUAGE.md §1.3). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { scan } from "../../grammar/scanner.js";
import { bracketsBalanced, bracketsBalancedFrom } from "../../grammar/parser.js";
import * as T from "../../grammar/tokens.js";

const kinds = (text: string) => scan(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

const cases: Array<[string, string[]]> = [
  ["100ms", ["DurationLiteral:100ms"]],
  ["2min", ["DurationLiteral:2m", "Kw_in:in"]],
  ["1.5h", ["DurationLiteral:1.5h"]],
  ["1_000s", ["NumberLiteral:1_000", "Identifier:s"]],
  ["10days", ["DurationLiteral:10d", "Identifier:ays"]],
  ["6months 30.seconds", ["DurationLiteral:6months", "DurationLiteral:30.seconds"]],
  ["500.milliseconds", ["NumberLiteral:500", "Dot:.", "Identifier:milliseconds"]],
  ["1.x", ["NumberLiteral:1", "Dot:.", "Identifier:x"]],
  ["1e5", ["NumberLiteral:1", "Identifier:e5"]],
  ["007 1_000.5", ["NumberLiteral:007", "NumberLiteral:1_000.5"]],
  ["vault://a/b.len()", ["VaultRef:vault://a/b.len", "LParen:(", "RParen:)"]],
  ["vault x", ["Identifier:vault", "Identifier:x"]],
  [
    "a=>b->c==d!=e<=f>=g&&h||i",
    [
      "Identifier:a",
      "FatArrow:=>",
      "Identifier:b",
      "ThinArrow:->",
      "Identifier:c",
      "EqEq:==",
      "Identifier:d",
      "NotEq:!=",
      "Identifier:e",
      "LtEq:<=",
      "Identifier:f",
      "GtEq:>=",
      "Identifier:g",
      "AndAnd:&&",
      "Identifier:h",
      "OrOr:||",
      "Identifier:i",
    ],
  ],
  ["x+=1 y%=2", ["Identifier:x", "PlusEq:+=", "NumberLiteral:1", "Identifier:y", "PercentEq:%=", "NumberLiteral:2"]],
  ["agent type _ notx", ["Kw_agent:agent", "Kw_type:type", "Kw__:_", "Identifier:notx"]],
  ['"a\\"b" "#no comment"', ['StringLiteral:"a\\"b"', 'StringLiteral:"#no comment"']],
  ["a # c\nb // d\nc", ["Identifier:a", "Identifier:b", "Identifier:c"]],
];

for (const [text, expected] of cases) {
  test(`scans ${JSON.stringify(text)}`, () => assert.equal(kinds(text), expected));
}

test("comments are collected with their positions", () => {
  const r = scan("a # one\n  // two\n");
  assert.equal(
    r.comments.map((c) => [c.image, c.startLine, c.startColumn]),
    [
      ["# one", 1, 3],
      ["// two", 2, 3],
    ],
  );
});

test("lines and columns: LF, CRLF and lone CR", () => {
  const r = scan("a\nb\r\nc\rd");
  assert.equal(
    r.tokens.map((t) => [t.image, t.startLine, t.startColumn]),
    [
      ["a", 1, 1],
      ["b", 2, 1],
      ["c", 3, 1],
      ["d", 4, 1],
    ],
  );
  const s = scan('"x\ny" z');
  assert.equal([s.tokens[0]!.endLine, s.tokens[1]!.startLine, s.tokens[1]!.startColumn], [2, 2, 4]);
});

test("unexpected characters are grouped into one error per run", () => {
  const r = scan("a @@@ b ¤ 'c'");
  assert.equal(
    r.errors.map((e) => [e.offset, e.length]),
    [
      [2, 3],
      [8, 1],
      [10, 1],
      [12, 1],
    ],
  );
});

test("unterminated string runs to the end of the text", () => {
  const r = scan('x "abc\\');
  assert.equal(
    r.tokens.map((t) => t.tokenType.name),
    ["Identifier", "UnterminatedString"],
  );
});

test("property: tokens and comments tile the non-space text, in order, without overlap", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 200 }), (text) => {
      const r = scan(text);
      const pieces = [...r.tokens, ...r.comments].sort((a, b) => a.startOffset - b.startOffset);
      let pos = 0;
      for (const t of pieces) {
        assert.ok(t.startOffset >= pos, "no overlap");
        assert.is(text.slice(t.startOffset, t.endOffset! + 1), t.image);
        pos = t.endOffset! + 1;
      }
      const covered = new Set<number>();
      for (const t of pieces) for (let i = t.startOffset; i <= t.endOffset!; i++) covered.add(i);
      for (const e of r.errors) for (let i = e.offset; i < e.offset + e.length; i++) covered.add(i);
      for (let i = 0; i < text.length; i++)
        if (!covered.has(i)) assert.match(text[i]!, /\s/, `uncovered non-space at ${i}`);
    }),
    { numRuns: 1000, seed: 7 },
  );
});

test("shared word strings keep no source text alive", () => {
  // The scanner shares one copy of each word across files (scanner.ts, WORDS); a word cut from
  // a big text must not hold that whole text in memory after the parse.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const filler = "x".repeat(2_000_000);
  for (let i = 0; i < 25; i++) scan(`agent a_long_identifier_kept_by_the_table_${i} { } // ${filler}`, { reuse: true });
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 20_000_000, `heap grew by ${(grown / 1e6).toFixed(1)} MB after 25 texts of 2 MB`);
});

test("words past the bound of the shared word table still scan to their own text and type", () => {
  // More distinct words than the table keeps (scanner.ts, MAX_WORDS), then keywords and the
  // first words again: every image is the text, every keyword still a keyword.
  const words = Array.from({ length: 25_000 }, (_, i) => `w${i.toString(36)}_${i % 7}`);
  const text = [...words, "agent", "if", words[0], "w_new_after_the_bound"].join(" ");
  const r = scan(text);
  assert.equal(
    r.tokens.map((t) => t.image),
    text.split(" "),
  );
  const types = r.tokens.slice(-4).map((t) => t.tokenType.name);
  assert.equal(types, ["Kw_agent", "Kw_if", "Identifier", "Identifier"]);
});

test("words crafted to share one hash still scan to their own text and type", () => {
  // "Aa" and "BB" hash alike in the scanner's word table (h * 31 + c), and so does every
  // sequence of them: 4,096 colliding words, keywords among and after them.
  const words: string[] = [];
  for (let i = 0; i < 1 << 12; i++) {
    let w = "x";
    for (let b = 0; b < 12; b++) w += (i >> b) & 1 ? "Aa" : "BB";
    words.push(w);
  }
  const text = [...words, "agent", ...words.slice(0, 100), "type"].join(" ");
  const r = scan(text);
  assert.equal(
    r.tokens.map((t) => t.image),
    text.split(" "),
  );
  assert.equal(
    r.tokens.filter((t) => t.tokenType.name !== "Identifier").map((t) => t.tokenType.name),
    ["Kw_agent", "Kw_type"],
  );
});

test("the parser's path recycles its token array: a shorter text after a longer one keeps no stale tail", () => {
  const view = (ts: ReturnType<typeof scan>["tokens"]) =>
    ts.map((t) => [t.tokenType.name, t.image, t.startOffset, t.endOffset, t.startLine, t.startColumn, t.endColumn]);
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "grapheme-ascii", maxLength: 60 }), { minLength: 1, maxLength: 6 }),
      (texts) => {
        for (const text of texts) {
          const fresh = view(scan(text).tokens);
          const reused = scan(text, { reuse: true }).tokens;
          assert.is(reused.length, fresh.length);
          assert.equal(view(reused), fresh);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("the scanner's bracket counts answer as bracketsBalanced does over the tokens, a following token included", () => {
  const next = [undefined, T.LParen, T.RParen, T.LBracket, T.RBracket, T.LBrace, T.RBrace, T.Comma];
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom("(", ")", "[", "]", "{", "}", "a", " ", '"', "\n", "//", "x(", "'"), { maxLength: 30 }),
      fc.constantFrom(...next),
      (parts, after) => {
        const r = scan(parts.join(""));
        const tokens = [...r.tokens];
        if (after) tokens.push({ ...r.tokens[0]!, tokenType: after, tokenTypeIdx: after.tokenTypeIdx! });
        assert.is(bracketsBalancedFrom(r.brackets, after), bracketsBalanced(tokens));
      },
    ),
    { numRuns: 2000 },
  );
});

test.run();
