/**
 * The formatter on real inputs: the reference formatter's fixtures (its expected output where it
 * has one), every corpus agent and valid sample, the seed document's policies, and every
 * `.symbi`/`.dsl` file under examples/ (found at run time, so new examples are covered): each
 * keeps its tree and its comments, and formatting is idempotent. The reference's invalid samples
 * are refused with the parser's diagnostics.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import {
  corpusAgents,
  corpusMissing,
  corpusSamples,
  corpusFmtFixtures,
  exampleSources,
  seedPolicies,
} from "../helpers/corpus.js";
import { parseText } from "../../grammar/index.js";
import { assertGuarantees, fmt, outcome } from "./helpers.js";

const fixtures = corpusFmtFixtures();

if (corpusMissing) console.log(`  corpus format tests skipped: ${corpusMissing}`);
(corpusMissing ? test.skip : test)("the reference's formatter fixtures are present", () => {
  assert.ok(fixtures.length >= 4, "fixtures/fmt inputs found");
});

for (const f of fixtures.filter((x) => x.name.endsWith("/input.symbi"))) {
  const expectedPath = join(dirname(f.path), "expected.symbi");
  if (existsSync(expectedPath)) {
    test(`reference fixture ${f.name}: matches the reference's expected output`, async () => {
      assert.fixture(await fmt(f.text, f.name), readFileSync(expectedPath, "utf8"));
    });
  } else {
    // 05_idempotent: an already formatted file stays as it is.
    test(`reference fixture ${f.name}: already formatted, unchanged`, async () => {
      assert.fixture(await fmt(f.text, f.name), f.text);
    });
  }
}

const inputs = [
  ...corpusAgents(),
  ...corpusSamples().filter((s) => s.name.startsWith("valid_")),
  ...fixtures,
  ...Object.entries(seedPolicies()).map(([name, text]) => ({ name: `seed:${name}`, path: name, text })),
];

(corpusMissing ? test.skip : test)("the corpus is present", () => {
  assert.ok(corpusAgents().length >= 15, "15 corpus agents");
});

for (const f of inputs) {
  test(`guarantees: ${f.name}`, async () => {
    const out = await assertGuarantees(f.text, f.name);
    assert.ok(out.endsWith("\n"), "ends with a newline");
    for (const line of out.split("\n"))
      assert.not.match(line, /[ \t]$/, `no trailing whitespace: ${JSON.stringify(line)}`);
  });
}

for (const f of exampleSources()) {
  test(`guarantees (examples): ${f.name}`, async () => {
    // Examples may hold deliberate errors (negative cases); those must be refused, not formatted.
    if (parseText(f.text, f.name).diagnostics.some((d) => d.severity === "error")) {
      const r = await outcome(f.text, f.name);
      assert.is(r.ok, false);
      return;
    }
    await assertGuarantees(f.text, f.name);
  });
}

for (const f of corpusSamples().filter((s) => s.name.startsWith("invalid_"))) {
  test(`refused with the parser's diagnostics: ${f.name}`, async () => {
    const r = await outcome(f.text, f.name);
    assert.is(r.ok, false);
    if (r.ok) return;
    assert.is(r.reason, "syntax");
    assert.equal(r.diagnostics, parseText(f.text, f.name).diagnostics);
  });
}

test("corpus agents keep their hand layout where it fits the style", async () => {
  // Spot checks of the house style on the corpus: guards written on their own line stay there,
  // expanded `with` headers stay expanded, juxtaposed memory/webhook values stay aligned.
  const byName = new Map(corpusAgents().map((a) => [a.name, a.text]));
  const nlp = await fmt(byName.get("nlp_processor.symbi")!);
  assert.match(nlp, /allow: "use_llm"\n {12}if tasks\.contains\("sentiment"\)/);
  const hitl = await fmt(byName.get("hitl_devops.symbi")!);
  assert.match(
    hitl,
    /\n {4}with\n {8}sandbox = "Tier1",\n {8}memory = "persistent",\n {8}timeout = 300000, \/\/ 5 minutes \(includes human approval wait\)\n {8}max_memory_mb = 512\n {4}\{\n/,
  );
  const incidents = await fmt(byName.get("incident_tracker.symbi")!);
  assert.match(
    incidents,
    /memory incident_history \{\n {4}store {5}markdown\n {4}path {6}"data\/incidents"\n {4}retention 730d\n {4}search \{\n {8}vector_weight {2}0\.5\n {8}keyword_weight 0\.5\n {4}\}\n\}/,
  );
});

test.run();
