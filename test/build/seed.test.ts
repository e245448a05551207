/**
 * The seed document's three policies (examples/seed-policies): they compile, and every example
 * request in requests/*.json gets the expected decision, the same from Cedar and from the DSL
 * evaluator, naming the same rules.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, buildDir, decideBoth } from "./helpers.js";
import type { PolicyRequest } from "../../runtime/gate/request.js";

const EXAMPLE = join(ROOT, "examples/seed-policies");
const out = buildDir(EXAMPLE);

test("the seed example builds; its only diagnostics say that its top-level allows widen the agent", () => {
  // The seed document writes its policies for every agent; a top-level allow widens each agent
  // of the project, and `symbic check` says which (W0305, issue 11 item 7).
  assert.equal(
    out.diagnostics.map((d) => `${d.code} ${d.file}:${d.span.line}`),
    ["W0305 agents/policies.symbi:12", "W0305 agents/policies.symbi:25", "W0305 agents/policies.symbi:37"],
  );
  for (const d of out.diagnostics) assert.match(d.message, /it widens `data_steward`$/);
  assert.is(out.bundles.length, 1);
});

test("each seed policy compiles to Cedar policies carrying their DSL origin", () => {
  const b = out.bundles[0]!;
  const cedar = b.files.get("policy.cedar")!.toString();
  const approval = b.files.get("approval.cedar")!.toString();
  for (const id of [
    "secure_data_access.0",
    "secure_data_access.1",
    "secure_data_access.2.0",
    "secure_data_access.2.1",
    "data_flow_control.0",
    "data_flow_control.1",
    "data_flow_control.2",
    "resource_governance.0",
    "resource_governance.1",
  ]) {
    assert.ok(cedar.includes(`@id("${id}")`), id);
  }
  assert.ok(approval.includes('@id("resource_governance.2")'));
  assert.ok(approval.includes('@approver("supervisor")'));
  assert.ok(cedar.includes('@dsl("agents/policies.symbi:19:5")\n@rule("deny")'), "deny: export(..) names its line");
  // The `require: [..., audit_trail = "detailed"]` setting is configuration, not a Cedar policy.
  const pj = JSON.parse(b.files.get("policies.json")!.toString());
  assert.equal(pj.settings.find((s: { id: string }) => s.id === "secure_data_access.2").settings, {
    audit_trail: "detailed",
  });
  // `any(datasets, |d| ...)` is computed by the runtime and passed in as context.derived.d0.
  assert.equal(
    pj.derived.map((d: { id: string; stage: string; type: unknown }) => [d.id, d.stage, d.type]),
    [["d0", "call", { type: "Boolean" }]],
  );
});

test("the seed's rules verbatim, with facts about tool arguments (fixtures/seed-facts), check and compile", () => {
  // The document's own text reads fields of tool arguments (`data.contains_pii`,
  // `resources.total`, `any(datasets, ..)`): the checker types those uses as trusted facts and
  // the emitter compiles them to context.facts, so the verbatim rules build with no diagnostics.
  const facts = buildDir(join(ROOT, "test/build/fixtures/seed-facts"));
  assert.equal(
    facts.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`),
    [],
  );
  assert.is(facts.bundles.length, 1);
  const cedar = facts.bundles[0]!.files.get("policy.cedar")!.toString();
  assert.ok(cedar.includes("context.facts.dataset.contains_pii == true"));
  assert.ok(cedar.includes("context.facts.request.total"));
});

for (const name of readdirSync(join(EXAMPLE, "requests")).sort()) {
  const spec = JSON.parse(readFileSync(join(EXAMPLE, "requests", name), "utf8")) as {
    policy: string;
    cases: Array<{
      description: string;
      request: PolicyRequest;
      expect: { decision: string; approval: boolean; rules: string[] };
    }>;
  };
  test(`${spec.policy}: allowed and denied example requests`, () => {
    assert.ok(
      spec.cases.some((c) => c.expect.decision === "allow") && spec.cases.some((c) => c.expect.decision === "deny"),
    );
    for (const c of spec.cases) {
      const r = decideBoth(out.bundles[0]!, c.request);
      const want = { decision: c.expect.decision, approval: c.expect.approval, rules: [...c.expect.rules].sort() };
      assert.equal(
        { decision: r.cedar.decision, approval: r.cedar.approval, rules: r.cedar.rules },
        want,
        `Cedar: ${c.description} ${JSON.stringify(r.cedar.errors)}`,
      );
      assert.equal(r.dsl, want, `DSL: ${c.description}`);
      assert.equal(r.cedar.errors, [], c.description);
    }
  });
}

test.run();
