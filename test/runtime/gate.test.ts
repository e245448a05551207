/**
 * The policy gate, loaded from real bundles built in memory: decisions name their DSL rules,
 * trusted records and inputs feed guards, approvals, default deny, failing closed, and the
 * refusal of policy files it cannot trust.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PassThrough } from "node:stream";
import { GateLoadError, PolicySet, approverFor, DEFAULT_DENY } from "../../runtime/gate/index.js";
import { buildText } from "../build/helpers.js";
import { COUNT_TOOL, PATH_TOOL } from "../helpers/gate-tools.js";
import { policySetOf } from "../helpers/gate.js";

const SOURCE = `
agent qs(limit: int) -> String {
    capabilities = ["wc", "sha", "count"]
    policy tools {
        allow: ["wc", "sha"]
        deny: sha(path) if path.contains("secret")
        deny: wc(path) if user.role != "analyst"
        allow: count(n) if n < limit
        deny: count(n) if n * 1000000000000000 > 5000000000000000
        require: approval for sha
    }
    with sandbox = "process" { return ""; }
}
`;

function bundle() {
  const out = buildText(SOURCE, {
    contracts: {
      wc: PATH_TOOL.replace("NAME", "wc"),
      sha: PATH_TOOL.replace("NAME", "sha"),
      count: COUNT_TOOL,
    },
  });
  const errors = out.diagnostics.filter((d) => d.severity === "error");
  assert.equal(errors, [], "the fixture builds");
  return out.bundles[0]!.files;
}

const files = bundle();
const run = (trusted: Record<string, unknown> = { user: { role: "analyst" } }, input = { limit: 3 }) =>
  policySetOf(files).gate({ input, trusted });

test("allow names the permitting rule and its DSL location", () => {
  const d = run().decide({ action: "wc", args: { path: "notes.txt" } });
  assert.is(d.decision, "allow");
  assert.equal(d.rules, ["qs.tools.0"]);
  assert.equal(d.locations, ["agents/test.symbi:5:9"]);
});

test("a matching forbid denies and names the rule", () => {
  const d = run().decide({ action: "sha", args: { path: "my-secret.txt" } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, ["qs.tools.1"]);
  assert.match(
    d.reason,
    /rule qs\.tools\.1 \(agents\/test\.symbi:6:9 `deny: sha\(path\) if path\.contains\("secret"\)`\)/,
  );
});

test("the trusted context and the inputs feed guards", () => {
  const d = run({ user: { role: "intern" } }).decide({ action: "wc", args: { path: "a" } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, ["qs.tools.2"]);
  assert.is(run().decide({ action: "count", args: { n: 2 } }).decision, "allow");
  assert.is(run(undefined, { limit: 1 }).decide({ action: "count", args: { n: 2 } }).decision, "deny");
});

test("an action no policy permits is a default deny naming default-deny", () => {
  const d = run().decide({ action: "count", args: { n: 5 } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, [DEFAULT_DENY]);
  assert.match(d.reason, /default deny/);
});

test("an action the bundle does not know is a default deny, failing closed", () => {
  const d = run().decide({ action: "rm", args: {} });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, [DEFAULT_DENY]);
  assert.ok(d.error);
});

test("arguments that do not fit the contract's types fail closed", () => {
  const d = run().decide({ action: "wc", args: { path: 5 } });
  assert.is(d.decision, "deny");
  assert.match(d.error!, /arguments of `wc`/);
});

test("a forbid that cannot be evaluated (overflow) denies instead of being skipped", () => {
  const d = run().decide({ action: "count", args: { n: 2 ** 40 } });
  assert.is(d.decision, "deny");
  assert.ok(d.rules.length > 0);
});

test("approval policies turn an allow into require_approval, only for the actions they match", () => {
  const d = run().decide({ action: "sha", args: { path: "ok.txt" } });
  assert.is(d.decision, "require_approval");
  assert.equal(d.rules, ["qs.tools.5"]);
  assert.is(run().decide({ action: "wc", args: { path: "ok.txt" } }).decision, "allow");
  // A deny still wins over an approval.
  assert.is(run().decide({ action: "sha", args: { path: "secret" } }).decision, "deny");
});

const parts = () => ({
  policy: files.get("policy.cedar")!.toString(),
  approval: files.get("approval.cedar")!.toString(),
  schema: files.get("schema.cedarschema.json")!.toString(),
  policiesJson: files.get("policies.json")!.toString(),
});

test("policy files it cannot trust refuse to load", () => {
  const refuses = (p: ReturnType<typeof parts>, why: RegExp) =>
    assert.throws(
      () => PolicySet.load(p),
      (e: unknown) => e instanceof GateLoadError && why.test(e.message),
    );
  refuses({ ...parts(), policy: "permit(principal, action" }, /policy\.cedar does not parse/);
  const dup = parts().policy + '\n@id("qs.tools.0") permit(principal, action, resource);';
  refuses({ ...parts(), policy: dup }, /two policies have the id/);
  refuses(
    { ...parts(), policy: '@id("foreign") permit(principal, action, resource);' },
    /not described in policies\.json/,
  );
  const forbid = parts().approval.replace("permit", "forbid");
  refuses({ ...parts(), approval: forbid }, /approval policies must be permits/);
  refuses(
    {
      ...parts(),
      schema: '{"Symbi": {"entityTypes": {}, "actions": {"a": {"appliesTo": {"context": {"type": "Nope"}}}}}}',
    },
    /schema/,
  );
  refuses({ ...parts(), policiesJson: "{}" }, /format/);
  refuses({ ...parts(), policiesJson: "{" }, /not valid JSON/);
  assert.throws(() => PolicySet.load(parts()).gate({ input: {}, trusted: { args: {} } }), /context\.args/);
});

test("approvers: all approves, none refuses, ask without a terminal refuses", async () => {
  const req = { agent: "qs", tool: "sha", args: { path: "x" }, rules: ["ap"], reason: "r" };
  assert.is((await approverFor("all").approve(req)).approved, true);
  assert.is((await approverFor("none").approve(req)).approved, false);
  const a = await approverFor("ask", { input: new PassThrough(), output: new PassThrough() }).approve(req);
  assert.is(a.approved, false);
  assert.match(a.answer, /no terminal/);
});

test("ask on a terminal reads the answer", async () => {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = Object.assign(new PassThrough(), { isTTY: true });
  const req = { agent: "qs", tool: "sha", args: { path: "x" }, rules: ["ap"], reason: "r" };
  const pending = approverFor("ask", { input, output }).approve(req);
  setTimeout(() => input.write("yes\n"), 10);
  const a = await pending;
  assert.is(a.approved, true);
  assert.is(a.answer, "yes");
});

test.run();
