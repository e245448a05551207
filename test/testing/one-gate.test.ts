/**
 * `symbic test` decides with the gate `symbi exec` uses, never a second evaluator: inside
 * testing/, only the explanation (explain.ts) talks to Cedar, and only to explain a decision the
 * gate made; policy cases go through runtime/exec decideToolCall (the sequence ToolCaller runs)
 * and runtime/gate PolicyGate.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/corpus.js";

const DIR = join(REPO, "testing");
const sources = readdirSync(DIR)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => ({ name: f, text: readFileSync(join(DIR, f), "utf8") }));

test("only explain.ts imports Cedar; no policy engine or DSL evaluator is imported anywhere else in testing/", () => {
  const cedar = sources
    .filter((s) => s.text.includes("@cedar-policy/") || s.text.includes("formats/cedar-wasm"))
    .map((s) => s.name);
  assert.equal(cedar, ["explain.ts"]);
  const evaluators = sources.filter((s) =>
    /from "\.\.\/runtime\/interpreter\/|policy-oracle|from "\.\.\/compiler\/policy\/eval/.test(s.text),
  );
  assert.equal(
    evaluators.map((s) => s.name),
    [],
  );
});

test("a policy case is decided by decideToolCall and PolicyGate.decide (the runtime's own code)", () => {
  const decide = sources.find((s) => s.name === "decide.ts")!.text;
  assert.match(decide, /import \{ decideToolCall \} from "\.\.\/runtime\/exec\/tool-call\.js"/);
  assert.match(decide, /gate\.decide\(/);
  assert.match(decide, /decideToolCall\(/);
  const toolCall = readFileSync(join(REPO, "runtime/exec/tool-call.ts"), "utf8");
  assert.match(toolCall, /const decided = decideToolCall\(/, "symbi exec's ToolCaller runs the same sequence");
});

test.run();
