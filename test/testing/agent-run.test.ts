/**
 * Agent tests (`[[run]]`): the agent runs with `symbi exec`'s own code, tools answered by
 * doubles the test declares, model answers replayed from a recording; the test checks the
 * status, the result and the sequence of decisions. Doubles exist only in tests: no CLI path of
 * `symbi` can set one, and a built bundle carries nothing of a test.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { runTests } from "../../testing/run.js";
import { loadProject } from "../../testing/project.js";
import { REPO } from "../helpers/corpus.js";
import { shopCopy } from "./helpers.js";

const RUN = (expect: string, doubles = DOUBLES) => `agent = "shop"

[[run]]
name = "r"
input = { order = "A-7" }
context.user = { role = "clerk", region = "eu" }
${doubles}
[run.expect]
${expect}
`;

const DOUBLES = `
[[run.tool]]
tool = "lookup"
args = { order = "A-7" }
json = { status = "shipped" }

[[run.tool]]
tool = "refund"
output = "refunded by the double\\n"
`;

async function runOne(text: string) {
  const dir = shopCopy({ "run.test.toml": text });
  const r = await runTests([join(dir, "run.test.toml")]);
  assert.equal(
    r.diagnostics.map((d) => d.message),
    [],
  );
  assert.is(r.results.length, 1);
  return r.results[0]!;
}

test("the agent runs with its tools doubled: the result is built from the doubles' answers, each call decided by the gate", async () => {
  const r = await runOne(
    RUN(`status = "ok"
result = "shipped: refunded by the double"
decisions = [
  { tool = "lookup", decision = "allow", rule = "shop.lookups.0" },
  { tool = "refund", decision = "allow", rule = "shop.refunds.0" },
]`),
  );
  assert.ok(r.passed, `${r.actual}\n${r.details.join("\n")}`);
  assert.is(r.kind, "run");
});

test("a wrong expectation fails with the decision that differs and the whole sequence", async () => {
  const r = await runOne(
    RUN(`status = "ok"
decisions = [
  { tool = "lookup", decision = "allow" },
  { tool = "refund", decision = "deny" },
]`),
  );
  assert.not.ok(r.passed);
  assert.is(r.actual, "decision 2: expected deny refund, got allow refund by shop.refunds.0");
  assert.equal(r.details.slice(0, 3), [
    "decisions made:",
    "  1. allow lookup by shop.lookups.0",
    "  2. allow refund by shop.refunds.0",
  ]);
});

test("a call no double answers ends the run (the tool never runs for real)", async () => {
  const r = await runOne(
    RUN(
      `status = "error"
error = "the test declares no double for \`refund\`"`,
      DOUBLES.slice(0, DOUBLES.indexOf('[[run.tool]]\ntool = "refund"')),
    ),
  );
  assert.ok(r.passed, `${r.actual}`);
});

test("a denied call is in the sequence and the agent sees the denial (the region deny applies)", async () => {
  const text = RUN(
    `status = "denied"
decisions = [
  { tool = "lookup", decision = "allow" },
  { tool = "refund", decision = "deny", rule = "shop.refunds.2" },
]`,
  ).replace('region = "eu"', 'region = "embargoed"');
  const r = await runOne(text);
  assert.ok(r.passed, `${r.actual}\n${r.details.join("\n")}`);
});

test("a recorded model: the example's replay passes, and a double that answers otherwise than the recording fails it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "symbic-test-replay-"));
  cpSync(join(REPO, "examples/log-triage"), dir, { recursive: true });
  const file = join(dir, "agent.test.toml");
  const good = await runTests([file]);
  assert.ok(
    good.results.every((x) => x.passed),
    good.results.map((x) => x.actual).join("\n"),
  );
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace("access.log\napp.log", "access.log\nother.log\napp.log"));
  const bad = await runTests([file]);
  const run = bad.results.find((x) => x.kind === "run")!;
  assert.not.ok(run.passed);
  assert.match(run.actual, /recording/i);
});

test("doubles live in tests only: no symbi command can set one, and a built bundle carries nothing of a test", () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts") && readFileSync(p, "utf8").includes("toolDoubles"))
        offenders.push(relative(REPO, p));
    }
  };
  for (const d of ["compiler", "runtime", "lsp", "config", "formats"]) walk(join(REPO, d));
  assert.equal(
    offenders.sort(),
    ["runtime/exec/run.ts", "runtime/exec/tool-double.ts"],
    "only execAgent's options take doubles; the CLIs never pass them",
  );
  const loaded = loadProject(join(REPO, "examples/quickstart"));
  if (!loaded.ok) throw new Error(loaded.message);
  const files = [...loaded.project.compiled.get("quickstart")!.files.keys()];
  assert.ok(files.includes("bundle.json"));
  assert.not.ok(
    files.some((f) => f.endsWith(".toml") && !f.startsWith("tools/")),
    `bundle files: ${files.join(", ")}`,
  );
  for (const [name, bytes] of loaded.project.compiled.get("quickstart")!.files)
    assert.not.ok(bytes.toString("utf8").includes("[[run"), `${name} carries a test`);
});

test.run();
