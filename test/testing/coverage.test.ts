/**
 * Rule coverage on a fixture with a known answer: fixtures/shop/coverage.test.toml is decided by
 * 3 of the shop's 7 rules. The per-policy table, the uncovered rules with their DSL file:line,
 * and `--min-coverage` (exit 2 below it, 1 for a value that is not a percentage).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { runTests } from "../../testing/run.js";
import { coverageLines } from "../../testing/report.js";
import { policyOf } from "../../testing/coverage.js";
import { runCli } from "../helpers/cli.js";
import { SHOP, shown } from "./helpers.js";

const run = await runTests([join(SHOP, "coverage.test.toml")]);
const agentFile = shown(join(SHOP, "agent.symbi"));

test("3 of 7 rules decided a case: the totals and the percentage", () => {
  assert.equal(run.diagnostics, []);
  assert.ok(run.results.every((r) => r.passed));
  assert.is(run.coverage.total, 7);
  assert.is(run.coverage.covered, 3);
  assert.is(run.coverage.percent, 300 / 7);
  assert.equal(
    run.coverage.rules.filter((r) => r.hits > 0).map((r) => [r.id, r.hits]),
    [
      ["shop.refunds.0", 2],
      ["shop.refunds.2", 1],
      ["shop.lookups.0", 1],
    ],
  );
});

test("per policy: rules and covered rules", () => {
  assert.equal(run.coverage.policies, [
    { policy: "shop.capabilities", rules: 1, covered: 0 },
    { policy: "shop.lookups", rules: 2, covered: 1 },
    { policy: "shop.refunds", rules: 4, covered: 2 },
  ]);
});

test("uncovered rules are listed with their DSL file:line, in source order", () => {
  const lines = coverageLines(run.coverage, true);
  assert.is(lines[0], "rule coverage: 3/7 rules (42.8%)");
  assert.equal(lines.slice(lines.indexOf("uncovered rules:") + 1), [
    `  ${agentFile}:9:5  shop.capabilities  \`capabilities = ["lookup", "refund"]\``,
    `  ${agentFile}:13:9  shop.refunds.1  \`allow: refund(order, amount) if user.role == "manager"\``,
    `  ${agentFile}:15:9  shop.refunds.3  \`require: human_approval for refund(order, amount) if amount > 1000\``,
    `  ${agentFile}:20:9  shop.lookups.1  \`deny: lookup(order) if order == "Z-1"\``,
  ]);
});

test("the policy of a rule is the one its id names", () => {
  assert.is(policyOf({ id: "quickstart.tools.2", verb: "deny", policy: "tools" }), "quickstart.tools");
  assert.is(
    policyOf({ id: "secure_data_access.2.0", verb: "require", policy: "secure_data_access" }),
    "secure_data_access",
  );
  assert.is(
    policyOf({ id: "quickstart.capabilities", verb: "capabilities", policy: "capabilities" }),
    "quickstart.capabilities",
  );
});

test("--min-coverage: at or above passes (0), below fails (2), not a percentage is a usage error (1)", () => {
  const f = "test/testing/fixtures/shop/coverage.test.toml";
  const pass = runCli("symbic", ["test", f, "--coverage", "--min-coverage", "42.8"]);
  assert.is(pass.status, 0, pass.stderr);
  assert.match(pass.stdout, /\n {2}shop\.refunds +4 +2 +50%\n/);
  const below = runCli("symbic", ["test", f, "--min-coverage", "43"]);
  assert.is(below.status, 2);
  assert.ok(below.stderr.includes("rule coverage 42.8% is below --min-coverage 43%"), below.stderr);
  const bad = runCli("symbic", ["test", f, "--min-coverage", "lots"]);
  assert.is(bad.status, 1);
  assert.ok(bad.stderr.includes("--min-coverage must be a percentage between 0 and 100"));
});

test.run();
