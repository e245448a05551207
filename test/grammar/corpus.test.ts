/** Conformance: the reference corpus, samples and seed policies parse (or are rejected) as the reference does. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseText } from "../../grammar/index.js";
import { corpusAgents, corpusMissing, corpusSamples, corpusFmtFixtures, seedPolicies } from "../helpers/corpus.js";

const agents = corpusAgents();

if (corpusMissing) console.log(`  corpus parse tests skipped: ${corpusMissing}`);
(corpusMissing ? test.skip : test)("the corpus is present", () => {
  assert.is(agents.length, 15, "15 reference agents");
  assert.ok(corpusSamples().length >= 10);
});

for (const f of agents) {
  test(`agent ${f.name} parses with no diagnostics`, () => {
    const r = parseText(f.text, f.name);
    assert.equal(
      r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`),
      [],
    );
    assert.ok(
      r.program.items.some((i) => i.kind === "Agent"),
      "declares an agent",
    );
  });
}

for (const f of corpusSamples().filter((s) => s.name.startsWith("valid_"))) {
  test(`sample ${f.name} parses with no diagnostics`, () => {
    assert.equal(parseText(f.text, f.name).diagnostics, []);
  });
}

for (const f of corpusFmtFixtures()) {
  test(`fmt fixture ${f.name} parses with no diagnostics`, () => {
    assert.equal(parseText(f.text, f.name).diagnostics, []);
  });
}

/** Where the reference reports each invalid sample's first error. */
const INVALID_LINES: Record<string, number> = {
  "invalid_malformed_metadata.dsl": 3, // `author:` is taken as `version`'s value, then `:` is unexpected
  "invalid_missing_brace.dsl": 3, // end of file inside `metadata {`
  "invalid_unknown_keywords.dsl": 1, // `unknown_block` is no top-level item
};

for (const f of corpusSamples().filter((s) => s.name.startsWith("invalid_"))) {
  test(`sample ${f.name} is rejected on the right line`, () => {
    const errors = parseText(f.text, f.name).diagnostics.filter((d) => d.severity === "error");
    assert.ok(errors.length > 0, "has errors");
    assert.is(errors[0]!.span.line, INVALID_LINES[f.name], `first error line (${errors[0]!.message})`);
  });
}

test("invalid_unknown_keywords reports every bad construct (error recovery)", () => {
  const f = corpusSamples().find((s) => s.name === "invalid_unknown_keywords.dsl")!;
  const errors = parseText(f.text, f.name).diagnostics;
  assert.ok(errors.length >= 2, `several errors, got ${errors.length}`);
  assert.ok(
    errors.some((d) => d.span.line === 6),
    "the bad agent member is reported too",
  );
});

for (const [name, text] of Object.entries(seedPolicies())) {
  test(`seed policy ${name} parses (with the DESIGN §3 additions)`, () => {
    const r = parseText(text, `${name}.symbi`);
    assert.equal(
      r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`),
      [],
    );
    const policy = r.program.items[0];
    assert.is(policy?.kind, "Policy");
  });
}

test.run();
