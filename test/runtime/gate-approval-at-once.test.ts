/**
 * Where the approval set can match an action, the gate asks Cedar about policy.cedar and
 * approval.cedar in one call (runtime/gate/gate.ts decideBothAtOnce) instead of two. These tests
 * hold its decisions — outcome, rules, locations, reason — to the two calls' on every path the
 * equivalence rests on: a main-set deny by a forbid and by default while an approval policy is
 * satisfied or fails to evaluate, a main-set allow with an approval policy satisfied, not
 * satisfied or failing, and a main-set policy failing. (test/runtime/gate-schema-free.test.ts
 * also compares the two on random requests for the seed, a mixed fixture and the reference
 * agents.)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { PolicySet, type CompiledPolicies, type GateDecision, type RunContext } from "../../runtime/gate/index.js";
import { mixedAgentPolicies } from "../helpers/gate-tools.js";

const mixed = mixedAgentPolicies();

/**
 * The mixed fixture with its approval rule widened to `count` and, where the request holds the
 * input's `limit` (count's does: its allow rule reads it), made conditional on an expression
 * that overflows for limits of 923 and more: for a count it is satisfied (0 < limit < 923), not
 * satisfied (limit <= 0) or fails to evaluate, whatever the main set decided.
 */
const approvalThatCanFail: CompiledPolicies = {
  ...mixed,
  approval: mixed.approval
    .replace('action == Symbi::Action::"sha",', 'action in [Symbi::Action::"sha", Symbi::Action::"count"],')
    .replace(
      /resource\n\);/,
      "resource\n)\nwhen {\n  (if context has input && context.input has limit then ((context.input.limit * 10000000000000000) > 0) else true)\n};",
    ),
};

test("the fixture is what the tests need: approval.cedar was rewritten", () => {
  assert.match(approvalThatCanFail.approval, /Symbi::Action::"count"\]/);
  assert.match(approvalThatCanFail.approval, /context\.input\.limit \* 10000000000000000/);
});

/** A label of the path a decision took, to check the requests reached every one. */
function pathOf(d: GateDecision): string {
  if (d.error) return d.rules.some((r) => r === "qs.tools.6") ? "approval failed" : "main failed";
  return d.decision === "deny" && d.rules[0] === "default-deny" ? "default deny" : d.decision;
}

test("one call and two calls decide alike, on every path (property)", () => {
  const atOnce = PolicySet.load(approvalThatCanFail, { decisionCacheEntries: 0 });
  const twoCalls = PolicySet.load(approvalThatCanFail, { decisionCacheEntries: 0, separateApproval: true });
  const seen = new Set<string>();
  const limit = fc.constantFrom(-5, 0, 3, 6, 10, 922, 923, 9300, 2 ** 40);
  const request = fc.oneof(
    fc.record({ action: fc.constant("sha"), args: fc.record({ path: fc.constantFrom("/a", "/secret/b") }) }),
    fc.record({ action: fc.constant("wc"), args: fc.record({ path: fc.constantFrom("/a", "/b") }) }),
    fc.record({
      action: fc.constant("count"),
      args: fc.record({ n: fc.constantFrom(-6, -1, 0, 2, 5, 6, 11, 9000, 2 ** 40) }),
    }),
  );
  fc.assert(
    fc.property(
      limit,
      fc.constantFrom(["a"], ["a", "b", "c"]),
      fc.constantFrom("analyst", "guest"),
      fc.array(request, { minLength: 1, maxLength: 6 }),
      (lim, tags, role, requests) => {
        const run: RunContext = { input: { limit: lim, tags }, trusted: { user: { role } } };
        const a = atOnce.gate(run);
        const b = twoCalls.gate(run);
        for (const req of requests) {
          const want = b.decide(req);
          assert.equal(a.decide(req), want, JSON.stringify({ run, req }));
          seen.add(`${req.action}: ${pathOf(want)}`);
        }
      },
    ),
    { numRuns: 300, seed: 1207 },
  );
  // The comparison is worth something only if the requests took each path.
  for (const path of [
    "sha: require_approval",
    "sha: deny",
    "count: require_approval",
    "count: allow",
    "count: deny",
    "count: default deny",
    "count: approval failed",
    "count: main failed",
    "wc: allow",
    "wc: deny",
  ])
    assert.ok(seen.has(path), `no request took the path "${path}": ${[...seen].sort().join(", ")}`);
});

test("an approval policy satisfied where the main set allows nothing is a default deny, not an approval", () => {
  const set = PolicySet.load(approvalThatCanFail, { decisionCacheEntries: 0 });
  // count(5) with limit 3: no permit of policy.cedar (5 < 3 is false) and no forbid; the approval
  // rule (3 × 10^16 > 0) is satisfied.
  const d = set.gate({ input: { limit: 3, tags: ["a"] }, trusted: {} }).decide({ action: "count", args: { n: 5 } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, ["default-deny"]);
});

test("an approval policy that fails where the main set allows is a deny naming it (fail closed)", () => {
  const set = PolicySet.load(approvalThatCanFail, { decisionCacheEntries: 0 });
  // count(2) with limit 9300: allowed by qs.tools.3; 9300 × 10^16 overflows in the approval rule.
  const d = set.gate({ input: { limit: 9300, tags: ["a"] }, trusted: {} }).decide({ action: "count", args: { n: 2 } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, ["qs.tools.6"]);
  assert.match(d.reason, /could not be evaluated.*fails closed/);
});

test.run();
