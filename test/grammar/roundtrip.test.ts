/** Round trip: printing the AST back and re-parsing gives the same AST (positions aside). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseText } from "../../grammar/index.js";
import { printProgram } from "../../grammar/print.js";
import { corpusAgents, corpusSamples, corpusFmtFixtures, exampleSources, seedPolicies } from "../helpers/corpus.js";
import { firstDifference } from "../helpers/ast.js";

const inputs = [
  ...corpusAgents(),
  ...corpusSamples().filter((s) => s.name.startsWith("valid_")),
  ...corpusFmtFixtures(),
  ...Object.entries(seedPolicies()).map(([name, text]) => ({ name, path: name, text })),
  ...exampleSources(),
];

for (const f of inputs) {
  test(`round trip: ${f.name}`, () => {
    const first = parseText(f.text, f.name);
    if (first.diagnostics.some((d) => d.severity === "error")) return; // examples may hold deliberate errors
    const printed = printProgram(first.program);
    const second = parseText(printed, f.name);
    assert.equal(second.diagnostics, [], `printed source re-parses cleanly:\n${printed}`);
    const diff = firstDifference(second.program, first.program);
    assert.ok(diff === undefined, `trees differ at ${diff}`);
  });
}

test.run();
