/**
 * The examples ship tests, and they pass: `symbic test examples` (as CI runs it) decides every
 * case, runs every agent test, and every rule of every example is covered. The README tells
 * users about `symbic test`.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { REPO } from "../helpers/corpus.js";

const EXAMPLES = ["diff-review", "kubernetes", "log-triage", "quickstart", "seed-policies"];

test("symbic test examples --min-coverage 100: every case and agent run passes, every rule is covered (exit 0)", () => {
  const r = runCli("symbic", ["test", "examples", "--format", "json", "--min-coverage", "100"], { timeoutMs: 120_000 });
  assert.is(r.status, 0, r.stdout.slice(0, 2000) + r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.failed, 0);
  assert.ok(doc.passed >= 50, `${doc.passed} tests`);
  assert.equal(
    [...new Set((doc.files as string[]).map((f) => f.split("/")[1]))].sort(),
    EXAMPLES,
    "each example ships tests",
  );
  const runs = (doc.results as Array<{ kind: string; file: string }>).filter((x) => x.kind === "run");
  assert.equal([...new Set(runs.map((x) => x.file.split("/")[1]))].sort(), [
    "diff-review",
    "kubernetes",
    "log-triage",
    "quickstart",
  ]);
  assert.is(doc.coverage.percent, 100);
});

test("the README shows symbic test", () => {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  assert.match(readme, /symbic test/);
});

test.run();
