/**
 * Deciding without handing Cedar the schema (runtime/gate/schema-free.ts), with only the action's
 * policies (runtime/gate/action-slices.ts): on random requests shaped by each fixture's own
 * context model — right and wrong types, missing and extra attributes, trusted records present
 * or not — a set that passes the schema and every policy and one that passes neither decide
 * alike, with the same rules and reasons; action groups still reach Cedar; a context
 * attribute named like one of Cedar's JSON escapes makes the gate pass the schema. The seed
 * policies, an approvals fixture and the reference agents (../shared/corpus) are compared.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PolicySet, type CompiledPolicies, type GateRequest, type RunContext } from "../../runtime/gate/index.js";
import { schemaFreeEntities } from "../../runtime/gate/schema-free.js";
import type { PoliciesJson, Shape } from "../../formats/policies-json.js";
import { ROOT, buildDir, buildText } from "../build/helpers.js";
import { corpusMissing, referenceProject, withoutRefusedAuditSettings } from "../helpers/corpus.js";
import { collectSourceFiles } from "../../compiler/project/files.js";
import { COUNT_TOOL, compiledPolicies, mixedAgentPolicies } from "../helpers/gate-tools.js";

const partsOf = compiledPolicies;

const seed = partsOf(buildDir(join(ROOT, "examples/seed-policies")), "data_steward");

// Approvals, guards on inputs and trusted records, a derived value, an overflow.
const mixed = mixedAgentPolicies();

const STRINGS = [
  "",
  "a",
  "analyst",
  "secret",
  "top_secret",
  "public",
  "internal",
  "confidential",
  "summarize",
  "/data/q3.csv",
];

/** Values for a shape: mostly of its type, sometimes of another (the gate must drop those alike). */
function arbValue(s: Shape, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(fc.constant(null), fc.integer(), fc.constantFrom(...STRINGS), fc.boolean());
  let right: fc.Arbitrary<unknown>;
  switch (s.type) {
    case "String":
      right = fc.oneof(fc.constantFrom(...STRINGS), fc.string({ maxLength: 6 }));
      break;
    case "Long":
      right = fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: -2, max: 12 }) },
        { weight: 1, arbitrary: fc.constantFrom(2 ** 53 - 1, -(2 ** 40), 10_000) },
      );
      break;
    case "Boolean":
      // Mostly true: the guards the fixtures need to pass are conjunctions of flags.
      right = fc.constantFrom(true, true, true, false);
      break;
    case "Set":
      right = depth > 3 ? fc.constant([]) : fc.array(arbValue(s.element, depth + 1), { maxLength: 3 });
      break;
    case "Record":
      right = arbRecord(s.attributes, depth + 1);
      break;
  }
  return fc.oneof({ weight: 6, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

const ABSENT = Symbol("absent");

/** A record of the attributes (each absent one time in six) and sometimes an undeclared one. */
function arbRecord(attributes: Record<string, Shape>, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(attributes).map(([k, a]) =>
    fc.option(arbValue(a, depth), { freq: 6, nil: ABSENT }).map((v) => [k, v] as const),
  );
  entries.push(fc.option(fc.string({ maxLength: 3 }), { freq: 2, nil: ABSENT }).map((v) => ["extra", v] as const));
  return fc.tuple(...entries).map((kvs) => Object.fromEntries(kvs.filter(([, v]) => v !== ABSENT)));
}

function arbRun(pj: PoliciesJson): fc.Arbitrary<RunContext> {
  const trusted: Record<string, fc.Arbitrary<unknown>> = {};
  for (const r of ["user", "session", "system", "context"] as const)
    trusted[r] = arbRecord(pj.context.shared[r].attributes);
  return fc.record({
    input: arbRecord(pj.context.shared.input.attributes),
    trusted: fc.record(trusted),
  }) as fc.Arbitrary<RunContext>;
}

function arbRequest(pj: PoliciesJson): fc.Arbitrary<GateRequest> {
  // Mostly the actions some rule names (not only the capabilities list), so every outcome occurs.
  const ruled = new Set(
    pj.policies.flatMap((p) => (p.policy === "capabilities" || p.actions === "all" ? [] : p.actions)),
  );
  const others = Object.keys(pj.context.actions).filter((a) => !ruled.has(a));
  return fc
    .oneof(
      { weight: 5, arbitrary: fc.constantFrom(...ruled) },
      { weight: 1, arbitrary: fc.constantFrom(...others, "not_declared") },
    )
    .chain((action) =>
      fc.record({
        action: fc.constant(action),
        args: arbRecord(pj.context.actions[action]?.args.attributes ?? {}),
      }),
    ) as fc.Arbitrary<GateRequest>;
}

/**
 * Decides random requests with the schema and every policy, and without the schema and with the
 * action's policies only; returns the outcomes seen.
 */
function compareBothWays(parts: CompiledPolicies, numRuns: number): Set<string> {
  const withSchema = PolicySet.load(parts, {
    passSchema: true,
    wholeSets: true,
    separateApproval: true,
    decisionCacheEntries: 0,
  });
  const schemaFree = PolicySet.load(parts, { decisionCacheEntries: 0 });
  assert.is(withSchema.schemaNeeded, "asked to pass the schema");
  assert.is(schemaFree.schemaNeeded, undefined, `${schemaFree.agent} is decided without the schema`);
  const pj = schemaFree.policiesJson;
  const seen = new Set<string>();
  fc.assert(
    fc.property(arbRun(pj), fc.array(arbRequest(pj), { minLength: 1, maxLength: 8 }), (run, requests) => {
      const a = withSchema.gate(run);
      const b = schemaFree.gate(run);
      for (const req of requests) {
        const want = a.decide(req);
        assert.equal(b.decide(req), want, JSON.stringify({ agent: pj.agent, run, req }));
        seen.add(want.decision);
      }
    }),
    { numRuns, seed: 2207 },
  );
  return seen;
}

for (const [name, parts] of [
  ["the seed policies", seed],
  ["guards, approvals and derived values", mixed],
] as const) {
  test(`${name}: decisions with and without the schema agree on random requests (property)`, () => {
    // The property is worth something only if the random requests reached every outcome.
    assert.equal([...compareBothWays(parts, 150)].sort(), ["allow", "deny", "require_approval"]);
  });
}

// The reference agents (../shared/corpus) that build once the audit settings symbi refuses are
// blanked, as test/build/faithfulness.test.ts builds them.
const REFERENCE = referenceProject();
if (corpusMissing) console.log(`  schema-free decisions on the reference agents skipped: ${corpusMissing}`);
if (REFERENCE) {
  test("the reference agents: decisions with and without the schema agree on random requests (property)", () => {
    const copy = join(mkdtempSync(join(tmpdir(), "symbi-schema-free-")), "reference-project");
    cpSync(REFERENCE, copy, { recursive: true });
    let agents = 0;
    const seen = new Set<string>();
    for (const f of collectSourceFiles([join(copy, "agents")])) {
      writeFileSync(f, withoutRefusedAuditSettings(readFileSync(f, "utf8")));
      const out = buildDir(copy, { sub: relative(copy, f) });
      if (out.diagnostics.some((d) => d.severity === "error")) continue;
      for (const b of out.bundles) {
        for (const d of compareBothWays(partsOf(out, b.agent), 25)) seen.add(d);
        agents++;
      }
    }
    assert.ok(agents >= 4, `${agents} reference agents compared`);
    assert.ok(seen.has("allow") && seen.has("deny"), "random requests were both allowed and denied");
  });
} else
  test.skip("the reference agents: decisions with and without the schema agree on random requests (property)", () => {});

test("an action in a group reaches Cedar with its group: the seed's allocate needs a supervisor", () => {
  const set = PolicySet.load(seed);
  assert.is(set.schemaNeeded, undefined);
  const gate = set.gate({
    input: {},
    trusted: {
      user: { resource_quota: { remaining: 8192 }, max_priority: 3, background_check: { current: true } },
      session: { secure_connection: true },
      context: { priority: 2 },
    },
  });
  const d = gate.decide({ action: "allocate", args: { memory_mb: 512 } });
  assert.is(d.decision, "require_approval", d.reason);
  assert.equal(d.rules, ["resource_governance.2"]);
});

test("a context attribute named like a Cedar JSON escape makes the gate pass the schema", () => {
  for (const escape of ["__entity", "__extn", "__expr"]) {
    const parts = partsOf(
      buildText(
        `
agent esc() -> String {
    capabilities = ["count"]
    policy tools {
        allow: count(${escape}) if ${escape} < 10
    }
    with sandbox = "process" { return ""; }
}
`,
        {
          contracts: { count: COUNT_TOOL.replaceAll("[args.n]", `[args.${escape}]`).replaceAll("{n}", `{${escape}}`) },
        },
      ),
    );
    const set = PolicySet.load(parts);
    assert.match(set.schemaNeeded ?? "", escape);
    const gate = set.gate({ input: {} });
    assert.is(gate.decide({ action: "count", args: { [escape]: 3 } }).decision, "allow", escape);
    assert.is(gate.decide({ action: "count", args: { [escape]: 30 } }).decision, "deny", escape);
  }
});

test("a schema whose actions are not the plain form symbic writes is passed to Cedar", () => {
  const pj = JSON.parse(seed.policiesJson as string) as PoliciesJson;
  const schema = JSON.parse(seed.schema as string) as { Symbi: { actions: Record<string, { memberOf?: unknown }> } };
  const cyclic = structuredClone(schema);
  cyclic.Symbi.actions["high_memory_operations"]!.memberOf = [{ id: "allocate" }];
  assert.match((schemaFreeEntities(cyclic, pj) as { unusable: string }).unusable, "cycle");
  const foreign = structuredClone(schema);
  foreign.Symbi.actions["allocate"]!.memberOf = [{ id: "x", type: "Other::Action" }];
  assert.match((schemaFreeEntities(foreign, pj) as { unusable: string }).unusable, "another entity type");
  const missing = structuredClone(schema);
  delete missing.Symbi.actions["allocate"];
  assert.match((schemaFreeEntities(missing, pj) as { unusable: string }).unusable, "not in the schema");
  // Ancestors are passed transitively: a group inside a group still reaches the action.
  const nested = structuredClone(schema);
  nested.Symbi.actions["high_memory_operations"]!.memberOf = [{ id: "long_running_operations" }];
  const e = schemaFreeEntities(nested, pj) as { entitiesOf: Map<string, { parents: { id: string }[] }[]> };
  assert.equal(
    e.entitiesOf.get("allocate")![0]!.parents.map((p) => p.id),
    ["high_memory_operations", "long_running_operations"],
  );
  assert.equal(e.entitiesOf.get("read"), [], "an action without groups needs no entity");
});

test.run();
