/**
 * `symbic explain` on one case of each kind (fixtures/shop/explain.test.toml): the decision is
 * the gate's, and every rule about the action says whether it matched and why, in DSL terms —
 * the guard term that was true, false or unknown (and what it reads that is missing) — with
 * DSL file:line.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { explainCase, renderExplanation, type ExplainedCase } from "../../testing/explain-case.js";
import type { RuleExplanation } from "../../testing/explain.js";
import { runCli } from "../helpers/cli.js";
import { SHOP, shown } from "./helpers.js";

const FILE = join(SHOP, "explain.test.toml");
const agentFile = shown(join(SHOP, "agent.symbi"));

function explain(line: number): ExplainedCase {
  const e = explainCase(FILE, line);
  if (!("explanation" in e)) throw new Error(`no explanation: ${JSON.stringify(e).slice(0, 400)}`);
  return e;
}

function rule(e: ExplainedCase, id: string): RuleExplanation {
  const r = e.explanation.rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
}

test("allow: the deciding allow matched because its guard term is true; the others say which term was false", () => {
  const e = explain(4);
  assert.is(e.decision.outcome, "allow");
  assert.equal(
    e.decision.rules.map((r) => [r.id, r.location]),
    [["shop.refunds.0", `${agentFile}:12:9`]],
  );
  const allow = rule(e, "shop.refunds.0");
  assert.ok(allow.matched && allow.decided);
  assert.equal(
    allow.terms.map((t) => [t.text, t.location, t.value]),
    [["amount <= 100", `${agentFile}:12:41`, "true"]],
  );
  const manager = rule(e, "shop.refunds.1");
  assert.not.ok(manager.matched);
  assert.is(manager.why, `its guard is false: \`user.role == "manager"\` (${agentFile}:13:41) is false`);
  assert.not.ok(rule(e, "shop.lookups.0").inScope, "a rule about another action is not about this request");
});

test("deny: the deny matched on a true guard; the allow that also matched is shown, not decisive", () => {
  const e = explain(11);
  assert.is(e.decision.outcome, "deny");
  assert.equal(
    e.decision.rules.map((r) => r.id),
    ["shop.refunds.2"],
  );
  const deny = rule(e, "shop.refunds.2");
  assert.ok(deny.matched && deny.decided);
  assert.is(deny.guard, "true");
  const allow = rule(e, "shop.refunds.0");
  assert.ok(allow.matched);
  assert.not.ok(allow.decided);
});

test("undefined guard: the term reading an absent field is unknown, names what is missing, and the allow does not apply", () => {
  const e = explain(18);
  assert.is(e.decision.outcome, "deny");
  assert.equal(
    e.decision.rules.map((r) => r.id),
    ["default-deny"],
  );
  const manager = rule(e, "shop.refunds.1");
  assert.not.ok(manager.matched);
  assert.is(manager.guard, "unknown");
  assert.equal(manager.terms, [
    {
      text: 'user.role == "manager"',
      location: `${agentFile}:13:41`,
      role: "guard",
      value: "unknown",
      missing: ["`user.role` is not given"],
    },
  ]);
  assert.match(manager.why, /^its guard is unknown: .*`user\.role` is not given$/);
});

test("approval: the approval rule decided, the allow behind it matched; answering the approval decides allow or deny", () => {
  const e = explain(25);
  assert.is(e.decision.outcome, "approval");
  assert.equal(
    e.decision.rules.map((r) => [r.id, r.location]),
    [["shop.refunds.3", `${agentFile}:15:9`]],
  );
  const approval = rule(e, "shop.refunds.3");
  assert.is(approval.effect, "approval");
  assert.ok(approval.matched && approval.decided);
  assert.ok(rule(e, "shop.refunds.1").matched);
  assert.is(explain(33).decision.outcome, "allow");
  assert.is(explain(41).decision.outcome, "deny");
});

test("a line inside a case explains that case; the rendering names the request, the decision and each term", () => {
  const e = explain(21);
  assert.is(e.name, "undefined guard: the deployment does not say the user's role");
  const text = renderExplanation(e);
  assert.ok(text.includes('request: agent shop, refund(order = "A-1", amount = 500)'));
  assert.ok(text.includes("decision: deny by default-deny"));
  assert.ok(
    text.includes(`guard term \`user.role == "manager"\` (${agentFile}:13:41): unknown — \`user.role\` is not given`),
  );
});

test("the CLI: exit 0 whatever the decision, --format json, a file with several cases needs a line (exit 1)", () => {
  const f = "test/testing/fixtures/shop/explain.test.toml";
  const r = runCli("symbic", ["explain", `${f}:11`, "--format", "json"]);
  assert.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.decision.outcome, "deny");
  assert.is(doc.decision.rules[0].location, "test/testing/fixtures/shop/agent.symbi:14:9");
  const noLine = runCli("symbic", ["explain", f]);
  assert.is(noLine.status, 1);
  assert.ok(noLine.stderr.includes("name a case by its line (4 allowed: a small refund;"), noLine.stderr);
});

test.run();
