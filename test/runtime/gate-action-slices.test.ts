/**
 * Deciding with only the policies whose scope can match the action (runtime/gate/action-slices.ts):
 * which policies a slice holds for each form of action scope, that an unreadable hierarchy gives
 * every action every policy, and that Cedar's whole answer — decision, reasons, errors — is the
 * same with the slice as with every policy. The gate-level comparison on compiled agents (the
 * seed policies with their action groups, the reference corpus) is in gate-schema-free.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { isAuthorized, statefulIsAuthorized, type EntityJson } from "../../formats/cedar-wasm.js";
import { ACTION_TYPE } from "../../formats/policies-json.js";
import { ActionSlices, preparsedSetCount } from "../../runtime/gate/action-slices.js";
import { PolicySet } from "../../runtime/gate/index.js";
import { mixedAgentPolicies } from "../helpers/gate-tools.js";
import { splitPolicies } from "../../runtime/gate/policies.js";

const POLICIES = splitPolicies(
  `
@id("any") permit (principal, action, resource) when { context.level > 2 };
@id("eq") forbid (principal, action == Symbi::Action::"read", resource) when { context.secret };
@id("list") permit (principal, action in [Symbi::Action::"read", Symbi::Action::"write"], resource);
@id("group") forbid (principal, action in Symbi::Action::"writes", resource) when { context.level > 5 };
@id("outer") forbid (principal, action in Symbi::Action::"all_ops", resource) when { context.frozen };
@id("eq_group") permit (principal, action == Symbi::Action::"writes", resource);
@id("foreign") forbid (principal, action == Other::Action::"read", resource);
@id("unqualified") forbid (principal, action == Action::"read", resource);
@id("erring") forbid (principal, action == Symbi::Action::"delete", resource) when { context.missing == 1 };
`,
  "policy.cedar",
);

// delete ∈ writes? no: write ∈ writes ∈ all_ops; delete ∈ all_ops; read has no group.
const ANCESTORS = new Map<string, ReadonlySet<string>>([
  ["read", new Set()],
  ["write", new Set(["writes", "all_ops"])],
  ["delete", new Set(["all_ops"])],
  ["writes", new Set(["all_ops"])],
  ["all_ops", new Set()],
]);

const ids = (s: ActionSlices, action: string) => s.policiesFor(action).map((p) => p.id);

test("a slice holds the policies whose scope is open, names the action, or names one of its groups", () => {
  const s = new ActionSlices(POLICIES, ANCESTORS);
  assert.equal(ids(s, "read"), ["any", "eq", "list"]);
  assert.equal(ids(s, "write"), ["any", "list", "group", "outer", "eq_group"]);
  assert.equal(ids(s, "delete"), ["any", "outer", "erring"]);
  // `action == G` matches G only; it is kept for G's members too (time, never an answer).
  assert.equal(ids(s, "writes"), ["any", "group", "outer", "eq_group"]);
  assert.ok(s.canMatch("read"));
});

test("other entity types in a scope are not the action (Other::Action, unqualified Action)", () => {
  const s = new ActionSlices(POLICIES, ANCESTORS);
  assert.not.ok(ids(s, "read").includes("foreign"));
  assert.not.ok(ids(s, "read").includes("unqualified"));
});

test("an unreadable hierarchy, or an action it does not list, gets every policy", () => {
  const all = POLICIES.map((p) => p.id);
  assert.equal(ids(new ActionSlices(POLICIES, undefined), "read"), all);
  assert.equal(ids(new ActionSlices(POLICIES, ANCESTORS), "not_listed"), all);
});

test("no policy can match: the slice is empty, and Cedar decides it (default deny)", () => {
  const s = new ActionSlices(
    splitPolicies(`@id("eq") permit (principal, action == Symbi::Action::"read", resource);`, "p"),
    ANCESTORS,
  );
  assert.not.ok(s.canMatch("write"));
  assert.type(s.preparsedFor("write"), "string");
});

test("the same policies share one preparsed set", () => {
  const a = new ActionSlices(POLICIES, ANCESTORS);
  const b = new ActionSlices(splitPolicies(POLICIES.map((p) => p.text).join("\n"), "again"), ANCESTORS);
  assert.is(a.preparsedFor("write"), b.preparsedFor("write"));
  assert.is.not(a.preparsedFor("write"), a.preparsedFor("read"));
});

/** A file of `open` policies with an unconstrained action and one policy for each of `actions`. */
function manyPolicies(open: number, actions: number) {
  const texts = [
    ...Array.from(
      { length: open },
      (_, i) => `@id("open${i}") forbid (principal, action, resource) when { context.n == ${i} };`,
    ),
    ...Array.from(
      { length: actions },
      (_, i) => `@id("only${i}") permit (principal, action == Symbi::Action::"a${i}", resource);`,
    ),
  ];
  const ancestors = new Map(Array.from({ length: actions }, (_, i) => [`a${i}`, new Set<string>()] as const));
  return { slices: new ActionSlices(splitPolicies(texts.join("\n"), "p"), ancestors), all: open + actions };
}

test("a slice holding most of the file is the whole file: one preparsed set for those actions", () => {
  const { slices, all } = manyPolicies(30, 4);
  assert.is(slices.policiesFor("a0").length, all);
  assert.is(slices.preparsedFor("a0"), slices.preparsedFor("a3"));
});

test("past the preparse budget, further actions are decided with the whole file (sizes a bundle can choose)", () => {
  const { slices, all } = manyPolicies(20, 100);
  assert.is(slices.policiesFor("a0").length, 21, "each action's own slice is small");
  const names = Array.from({ length: 100 }, (_, i) => slices.preparsedFor(`a${i}`));
  const distinct = new Set(names);
  // 21 policies a slice within a budget of 4 × 120: 22 slices, then the whole file for the rest.
  assert.is(slices.preparseBudget, 4 * all);
  assert.is(distinct.size, Math.floor(slices.preparseBudget / 21) + 1);
  assert.is(names[99], names[60], "the later actions share the whole file's set");
  // The whole file decides as the slice does.
  for (const n of [5, 50]) {
    const call = {
      principal: { type: "Symbi::Agent", id: "a" },
      action: uid("a99"),
      resource: { type: "Symbi::Tool", id: "a99" },
      context: { n },
      entities: [],
    };
    const whole = statefulIsAuthorized({ ...call, preparsedPolicySetId: names[99]! });
    const slice = isAuthorized({
      ...call,
      policies: { staticPolicies: Object.fromEntries(slices.policiesFor("a99").map((p) => [p.id, p.text])) },
    });
    assert.equal(whole, slice);
  }
});

test("loading the same agent again preparses nothing more (each load used to keep its own copy in cedar-wasm)", () => {
  const parts = mixedAgentPolicies();
  const decideAll = () => {
    const set = PolicySet.load(parts);
    const gate = set.gate({ input: { limit: 3, tags: [] }, trusted: { user: { role: "analyst" } } });
    for (const action of Object.keys(set.policiesJson.context.actions)) gate.decide({ action, args: {} });
  };
  decideAll();
  const after = preparsedSetCount();
  for (let i = 0; i < 50; i++) decideAll();
  assert.is(preparsedSetCount(), after);
});

const uid = (id: string) => ({ type: ACTION_TYPE, id });

function entitiesFor(action: string): EntityJson[] {
  const anc = ANCESTORS.get(action)!;
  return [{ uid: uid(action), attrs: {}, parents: [...anc].map(uid) }];
}

test("Cedar answers the same with the slice as with every policy: decision, reasons, errors (property)", () => {
  const all = Object.fromEntries(POLICIES.map((p) => [p.id, p.text]));
  const s = new ActionSlices(POLICIES, ANCESTORS);
  const context = fc.record(
    { level: fc.integer({ min: 0, max: 8 }), secret: fc.boolean(), frozen: fc.boolean(), missing: fc.integer() },
    { requiredKeys: [] },
  );
  const outcomes = new Set<string>();
  fc.assert(
    fc.property(fc.constantFrom(...ANCESTORS.keys()), context, (action, ctx) => {
      const call = {
        principal: { type: "Symbi::Agent", id: "a" },
        action: uid(action),
        resource: { type: "Symbi::Tool", id: action },
        context: ctx,
        entities: entitiesFor(action),
      };
      const whole = isAuthorized({ ...call, policies: { staticPolicies: all } });
      const slice = isAuthorized({
        ...call,
        policies: { staticPolicies: Object.fromEntries(s.policiesFor(action).map((p) => [p.id, p.text])) },
      });
      assert.is(whole.type, "success");
      const norm = (a: typeof whole) =>
        a.type === "success"
          ? {
              decision: a.response.decision,
              reason: [...a.response.diagnostics.reason].sort(),
              errors: a.response.diagnostics.errors.map((e) => e.policyId).sort(),
            }
          : a;
      assert.equal(norm(slice), norm(whole), JSON.stringify({ action, ctx }));
      const n = norm(whole) as { decision: string; errors: string[] };
      outcomes.add(n.errors.length > 0 ? "error" : n.decision);
    }),
    { numRuns: 400 },
  );
  assert.equal([...outcomes].sort(), ["allow", "deny", "error"]);
});

test.run();
