/**
 * The 40 default rules: each one's positive lines (with evasion variants: extra spaces, shell
 * quoting, `$(…)`, backticks, `bash -c`, a base64 wrapper, a Unicode look-alike, an invisible
 * character) are flagged and its negative lines are not; and conformance with the shared rule
 * list (shared/data/skill-scanner-rules.json): the same 40 ids and severities, its classic lines
 * flagged by both, and every line its pattern flags that ours does not is a declared narrowing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RE2JS } from "re2js";
import { DEFAULT_RULES } from "../../skills/rules.js";
import { DEFAULT_SKILLS_CONFIG, scanOptionsFor } from "../../skills/config.js";
import { scanText } from "../../skills/scanner.js";
import { SHARED } from "../helpers/corpus.js";
import { RULE_LINES, type VariantName } from "./rule-lines.js";

const opts = scanOptionsFor(DEFAULT_SKILLS_CONFIG);
const idsOn = (line: string, file = "scripts/x.sh") => scanText(line, file, opts).map((f) => f.ruleId);

test("40 default rules in 8 categories, unique ids, each with test lines", () => {
  assert.is(DEFAULT_RULES.length, 40);
  assert.is(new Set(DEFAULT_RULES.map((r) => r.id)).size, 40);
  assert.is(new Set(DEFAULT_RULES.map((r) => r.category)).size, 8);
  assert.equal(Object.keys(RULE_LINES).sort(), DEFAULT_RULES.map((r) => r.id).sort());
  for (const r of DEFAULT_RULES) {
    const l = RULE_LINES[r.id]!;
    assert.ok(l.pos.length >= 3 && l.neg.length >= 3, `${r.id}: at least 3 positive and 3 negative lines`);
  }
});

const LOOKALIKE: Record<string, string> = {
  a: "а",
  c: "с",
  e: "е",
  o: "о",
  p: "р",
  x: "х",
  y: "у",
  s: "ѕ",
  i: "і",
  h: "һ",
  d: "ԁ",
  A: "А",
  E: "Е",
  O: "О",
  P: "Р",
  T: "Т",
  H: "Н",
  K: "К",
  M: "М",
};

/** Index of the rule's keyword in the line (where its prefilter matches, past a leading `\b`/`/`), or 0. */
function keywordAt(id: string, line: string): number {
  const rule = DEFAULT_RULES.find((r) => r.id === id)!;
  const m = rule.prefilter?.exec(line);
  if (!m) return 0;
  return m.index + (/^[/.]/.test(m[0]) ? 1 : 0);
}

function variant(name: VariantName, id: string, line: string): string {
  const k = keywordAt(id, line);
  switch (name) {
    case "spaces":
      return line.replace(/ /g, "   ");
    case "quoting":
      return line.slice(0, k + 1) + "''" + line.slice(k + 1);
    case "dollar-paren":
      return `out=$(${line})`;
    case "backticks":
      return "out=`" + line + "`";
    case "bash-c":
      return `bash -c "${line.replace(/(["\\$`])/g, "\\$1")}"`;
    case "base64":
      return `echo ${Buffer.from(line).toString("base64")} | base64 -d | sh`;
    case "homoglyph": {
      for (let i = k; i < line.length; i++) {
        const sub = LOOKALIKE[line[i]!];
        if (sub && /[A-Za-z]/.test(line[i - 1] ?? "") !== /[A-Za-z]/.test(line[i + 1] ?? "x"))
          return line.slice(0, i) + sub + line.slice(i + 1);
        if (sub && /[A-Za-z]/.test(line[i + 1] ?? "")) return line.slice(0, i) + sub + line.slice(i + 1);
      }
      return line;
    }
    case "invisible":
      return line.slice(0, k + 1) + "\u200b" + line.slice(k + 1);
  }
}

const VARIANTS: VariantName[] = [
  "spaces",
  "quoting",
  "dollar-paren",
  "backticks",
  "bash-c",
  "base64",
  "homoglyph",
  "invisible",
];

for (const rule of DEFAULT_RULES) {
  const lines = RULE_LINES[rule.id]!;
  test(`rule ${rule.id}: positive lines are flagged`, () => {
    for (const line of lines.pos) assert.ok(idsOn(line).includes(rule.id), `not flagged: ${line}`);
  });
  test(`rule ${rule.id}: negative lines are not flagged`, () => {
    for (const line of lines.neg) assert.not.ok(idsOn(line).includes(rule.id), `flagged: ${line}`);
  });
  test(`rule ${rule.id}: evasion variants of its first line are flagged`, () => {
    for (const name of VARIANTS) {
      if (lines.noVariants?.[name]) continue;
      const text = variant(name, rule.id, lines.pos[0]!);
      const ids = idsOn(text);
      assert.ok(ids.includes(rule.id), `${name} variant not flagged: ${JSON.stringify(text)}`);
      if (name === "homoglyph" && text !== lines.pos[0])
        assert.ok(ids.includes("homoglyph"), `look-alike not reported: ${text}`);
      if (name === "invisible")
        assert.ok(ids.includes("invisible-character"), `invisible character not reported: ${text}`);
    }
  });
}

const sharedFile = join(SHARED, "data", "skill-scanner-rules.json");
const haveShared = existsSync(sharedFile);
const stest = haveShared ? test : test.skip;
if (!haveShared) console.log(`skills: ${sharedFile} not found; conformance tests skipped`);

interface SharedRule {
  name: string;
  severity: string;
  regex: string;
  message: string;
}
const shared: SharedRule[] = haveShared ? (JSON.parse(readFileSync(sharedFile, "utf8")) as SharedRule[]) : [];

stest("conformance: the shared list's 40 rule ids and severities are ours", () => {
  assert.is(shared.length, 40);
  const ours = new Map(DEFAULT_RULES.map((r) => [r.id, r.severity]));
  for (const s of shared) assert.is(ours.get(s.name), s.severity.toLowerCase(), s.name);
});

stest("conformance: each rule's classic line is flagged by the shared pattern and by ours", () => {
  for (const s of shared) {
    const line = RULE_LINES[s.name]!.pos[0]!;
    assert.ok(RE2JS.compile(s.regex).matcher(line).find(), `shared ${s.name} does not flag its classic line: ${line}`);
    assert.ok(idsOn(line).includes(s.name));
  }
});

stest(
  "conformance: every negative line the shared pattern flags is a declared narrowing, and every declared narrowing is one",
  () => {
    for (const s of shared) {
      const l = RULE_LINES[s.name]!;
      const re = RE2JS.compile(s.regex);
      for (const line of l.neg) {
        const flagged = re.matcher(line).find();
        assert.is(
          flagged,
          (l.narrowed ?? []).includes(line),
          `${s.name}: ${JSON.stringify(line)} (shared flags it: ${flagged})`,
        );
      }
    }
  },
);

test.run();
