/**
 * Property-based: thousands of generated well-formed programs (test/format/arbitrary.ts: every
 * statement and expression kind, precedence and parentheses, contextual keywords as identifiers,
 * strings with escapes, durations, vault references, policies, `with` blocks, declarative
 * blocks) with random layouts: whitespace, tabs, comments sprinkled between any two tokens,
 * CRLF line ends, a BOM, no final newline. For each, formatting keeps the tree and the comments
 * (count, order and text) and is idempotent. The seed is fixed so failures reproduce; fast-check
 * shrinks a failure to a small program.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { program, programTokens, layout, render } from "./arbitrary.js";
import { parseText } from "../../grammar/index.js";
import { assertGuarantees } from "./helpers.js";

const SEED = 20261125;

test("the generator produces programs the parser accepts (and exercises the language)", () => {
  const samples = fc.sample(program, { numRuns: 400, seed: SEED });
  const kinds = new Set<string>();
  for (const s of samples) {
    const r = parseText(s.startsWith("\uFEFF") ? s.slice(1) : s, "gen.symbi");
    assert.equal(
      r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.span.line}:${d.span.col} ${d.message}`),
      [],
      `generated program parses:\n${s}`,
    );
    JSON.stringify(r.program, (k, v) => {
      if (k === "kind" && typeof v === "string") kinds.add(v);
      return v;
    });
  }
  // Every node kind but the parser's error placeholder is generated.
  for (const kind of [
    "Metadata",
    "Agent",
    "Policy",
    "PolicyRule",
    "Function",
    "With",
    "TypeDef",
    "StructType",
    "Schedule",
    "Channel",
    "DataClassification",
    "Memory",
    "Webhook",
    "SubBlock",
    "Capabilities",
    "Let",
    "Assign",
    "Return",
    "If",
    "LetCondition",
    "ConstructorPattern",
    "WildcardPattern",
    "For",
    "Match",
    "MatchArm",
    "Try",
    "Catch",
    "ExprStmt",
    "Binary",
    "Unary",
    "Member",
    "Call",
    "NamedArg",
    "Index",
    "TypeLiteral",
    "Record",
    "Array",
    "Lambda",
    "IfExpr",
    "Paren",
    "String",
    "Number",
    "Duration",
    "Bool",
    "Vault",
    "Setting",
    "Comment",
  ]) {
    assert.ok(kinds.has(kind), `the generator produces ${kind} nodes`);
  }
});

test("formatting keeps the tree and the comments and is idempotent (comments anywhere)", async () => {
  await fc.assert(
    fc.asyncProperty(program, async (text) => {
      await assertGuarantees(text, "generated.symbi");
    }),
    { numRuns: 2500, seed: SEED },
  );
});

test("same, for layouts without comments (long lines, deep nesting)", async () => {
  const noComments = fc.tuple(programTokens, layout).map(([t, l]) => render(t, { ...l, commentRate: 0 }));
  await fc.assert(
    fc.asyncProperty(noComments, async (text) => {
      await assertGuarantees(text, "generated.symbi");
    }),
    { numRuns: 1000, seed: SEED + 1 },
  );
});

test.run();
