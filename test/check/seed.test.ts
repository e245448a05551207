/**
 * The seed document's three policies (seed/security-model.ja.md): verbatim they parse (with our
 * additions: `|d|` closures, `require: X for Y`, `name = value` in require lists) and check with
 * exactly the diagnostics below — `user.clearance >= "secret"` is well-typed (Clearance is an
 * ordered level type), the remaining errors are names the document never binds. Adapted (binders
 * for the tools' arguments, declared trusted records), they check clean.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { join, relative } from "node:path";
import { checkFiles } from "../../compiler/pipeline/check-files.js";

const SEED = fileURLToPath(new URL("./fixtures/seed/", import.meta.url));

function diagnostics(dir: string): string[] {
  return checkFiles([join(SEED, dir)]).diagnostics.map(
    (d) => `${relative(SEED, d.file)}:${d.span.line}:${d.span.col} ${d.code} ${d.message}`,
  );
}

test("verbatim: exactly the document's unbound names are reported; fields of tool arguments are facts", () => {
  assert.equal(diagnostics("verbatim"), [
    "verbatim/policies.symbi:6:14 W0202 `need_to_know` is not a declared field of `User`",
    "verbatim/policies.symbi:6:36 E0303 `data` is not available when the policy is decided",
    "verbatim/policies.symbi:13:14 W0202 `background_check` is not a declared field of `User`",
    "verbatim/policies.symbi:21:9 E0303 `source` is not available when the policy is decided",
    "verbatim/policies.symbi:21:34 E0303 `target` is not available when the policy is decided",
    "verbatim/policies.symbi:22:14 W0202 `transform_permissions` is not a declared field of `User`",
    "verbatim/policies.symbi:22:45 E0303 `operation` is not available when the policy is decided",
    "verbatim/policies.symbi:26:45 E0303 `operation` is not available when the policy is decided",
    "verbatim/policies.symbi:34:14 W0202 `resource_quota` is not a declared field of `User`",
    "verbatim/policies.symbi:35:9 E0303 `operation` is not available when the policy is decided",
    "verbatim/policies.symbi:35:36 W0202 `max_priority` is not a declared field of `User`",
  ]);
});

test("adapted: clean, with every policy checked as a policy", () => {
  assert.equal(diagnostics("adapted"), []);
  const r = checkFiles([join(SEED, "adapted")]).projects[0]!.result;
  const byName = new Map(r.policies.map((p) => [p.name, p]));
  const flow = byName.get("data_flow_control")!;
  assert.equal(
    flow.rules[0]!.actions[0]!.binders.map((b) => [b.name, b.type.k]),
    [
      ["data", "prim"],
      ["source_level", "levels"],
      ["target_level", "levels"],
      ["operation", "prim"],
    ],
  );
  // A bare name in a requirement is a flag of the trusted context record (enforced by the
  // compiler), not a setting nobody reads.
  assert.equal(flow.rules[2]!.settings, []);
  assert.equal(
    flow.rules[2]!.flags.map((f) => f.name),
    ["differential_privacy"],
  );
  assert.equal(flow.rules[2]!.actions[0]!.action, {
    kind: "group",
    name: "statistical_operations",
    members: ["aggregate"],
  });
  const gov = byName.get("resource_governance")!;
  assert.equal(
    gov.rules[2]!.approvals.map((a) => a.role),
    ["supervisor"],
  );
  const access = byName.get("secure_data_access")!;
  assert.equal(
    access.rules[2]!.settings.map((s) => [s.key, s.value]),
    [["audit_trail", "detailed"]],
  );
  assert.is(access.rules[2]!.conditions.length, 2);
});

test.run();
