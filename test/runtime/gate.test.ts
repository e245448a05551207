import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  PolicyGate,
  GateLoadError,
  approverFor,
  toCedar,
  CedarSchema,
  CedarValueError,
} from "../../runtime/gate/index.js";
import { PassThrough } from "node:stream";

const POLICIES = `
@id("qs.tools.0") @dsl("agent.symbi:10:9") @rule("allow")
permit(principal == Symbi::Agent::"qs", action in [Symbi::Action::"wc", Symbi::Action::"sha"], resource);
@id("qs.tools.1") @dsl("agent.symbi:11:9") @rule("deny")
forbid(principal, action == Symbi::Action::"sha", resource) when { context.args.path like "*secret*" };
@id("qs.tools.2") @dsl("agent.symbi:12:9") @rule("deny")
forbid(principal, action == Symbi::Action::"wc", resource) when { context.user.role != "analyst" };
`;

/** The schema entry of a tool taking a `path`, for an agent with a `limit` input and a trusted `user`. */
function fileToolAction() {
  return {
    appliesTo: {
      principalTypes: ["Agent"],
      resourceTypes: ["Tool"],
      context: {
        type: "Record",
        attributes: {
          args: { type: "Record", attributes: { path: { type: "String" } } },
          input: { type: "Record", attributes: { limit: { type: "Long" } } },
          user: { type: "Record", attributes: { role: { type: "String" } } },
        },
      },
    },
  };
}

const SCHEMA = {
  Symbi: {
    entityTypes: { Agent: {}, Tool: {} },
    actions: {
      wc: fileToolAction(),
      sha: fileToolAction(),
      echo: {
        appliesTo: { principalTypes: ["Agent"], resourceTypes: ["Tool"], context: { type: "Record", attributes: {} } },
      },
    },
  },
};

function gate(extra: Partial<Parameters<typeof PolicyGate.load>[0]> = {}) {
  return PolicyGate.load({
    agent: "qs",
    policies: POLICIES,
    schema: SCHEMA,
    input: { limit: 3 },
    trusted: { user: { role: "analyst" } },
    ...extra,
  });
}

test("allow names the permitting rule and its DSL location", () => {
  const d = gate().decide({ action: "wc", args: { path: "notes.txt" } });
  assert.is(d.decision, "allow");
  assert.equal(d.rules, ["qs.tools.0"]);
  assert.equal(d.locations, ["agent.symbi:10:9"]);
});

test("a matching forbid denies and names the rule", () => {
  const d = gate().decide({ action: "sha", args: { path: "my-secret.txt" } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, ["qs.tools.1"]);
  assert.match(d.reason, /rule qs\.tools\.1 \(agent\.symbi:11:9\)/);
});

test("the trusted context feeds guards", () => {
  const d = gate({ trusted: { user: { role: "intern" } } }).decide({ action: "wc", args: { path: "a" } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, ["qs.tools.2"]);
});

test("an action no policy permits is a default deny with no rules", () => {
  const d = gate().decide({ action: "echo", args: {} });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, []);
  assert.match(d.reason, /default deny/);
});

test("an action missing from the schema fails closed", () => {
  const d = gate().decide({ action: "rm", args: {} });
  assert.is(d.decision, "deny");
  assert.ok(d.error);
});

test("arguments of the wrong type for the schema fail closed", () => {
  const d = gate().decide({ action: "wc", args: { path: 5 } });
  assert.is(d.decision, "deny");
  assert.match(d.error!, /context\.args\.path/);
});

test("a forbid that errors (missing attribute, no schema) denies instead of being skipped", () => {
  const g = PolicyGate.load({ agent: "qs", policies: POLICIES, input: {}, trusted: {} });
  // No `user` in the context: qs.tools.2 cannot be evaluated; Cedar alone would allow.
  const d = g.decide({ action: "wc", args: { path: "a" } });
  assert.is(d.decision, "deny");
  assert.equal(d.rules, ["qs.tools.2"]);
  assert.match(d.reason, /could not be evaluated/);
});

test("approval policies turn an allow into require_approval, only for the actions they match", () => {
  const approvals = `@id("qs.approve.0") @dsl("agent.symbi:14:9") permit(principal, action == Symbi::Action::"sha", resource);`;
  const g = gate({ approvals });
  const d = g.decide({ action: "sha", args: { path: "ok.txt" } });
  assert.is(d.decision, "require_approval");
  assert.equal(d.rules, ["qs.approve.0"]);
  assert.is(g.decide({ action: "wc", args: { path: "ok.txt" } }).decision, "allow");
  // A deny still wins over an approval.
  assert.is(g.decide({ action: "sha", args: { path: "secret" } }).decision, "deny");
});

test("bad policy text, duplicate ids, forbid approvals and reserved context keys refuse to load", () => {
  assert.throws(
    () => PolicyGate.load({ agent: "a", policies: "permit(principal, action", input: {} }),
    (e: unknown) => e instanceof GateLoadError,
  );
  assert.throws(
    () =>
      PolicyGate.load({
        agent: "a",
        policies: '@id("x") permit(principal,action,resource); @id("x") permit(principal,action,resource);',
        input: {},
      }),
    /two policies/,
  );
  assert.throws(
    () => PolicyGate.load({ agent: "a", policies: "", approvals: "forbid(principal,action,resource);", input: {} }),
    /approval policies must be permits/,
  );
  assert.throws(() => PolicyGate.load({ agent: "a", policies: "", input: {}, trusted: { args: {} } }), /context\.args/);
  assert.throws(
    () =>
      PolicyGate.load({
        agent: "a",
        policies: "",
        input: {},
        schema: { Symbi: { entityTypes: {}, actions: { a: { appliesTo: { context: { type: "Nope" } } } } } },
      }),
    (e: unknown) => e instanceof GateLoadError,
  );
});

test("checkContextFor reports a trusted context the schema rejects", () => {
  const g = gate({ trusted: { user: { role: 7 } } });
  assert.throws(
    () => g.checkContextFor(["wc"]),
    (e: unknown) => e instanceof CedarValueError && /context\.user\.role/.test(e.message),
  );
});

test("cedar values: escapes are refused, decimals bounded, closed records drop unknown keys", () => {
  assert.throws(() => toCedar({ __entity: { type: "Symbi::Agent", id: "root" } }, undefined, "x"), /reserved/);
  assert.equal(toCedar(1.5, undefined, "x"), { __extn: { fn: "decimal", arg: "1.5" } });
  assert.throws(() => toCedar(1.23456, undefined, "x"), /4 decimal places/);
  const t = CedarSchema.parse(SCHEMA).contextType("Symbi", "wc")!;
  assert.equal(toCedar({ args: { path: "a", extra: 1 }, input: { limit: 1 }, user: { role: "r" } }, t, "context"), {
    args: { path: "a" },
    input: { limit: 1 },
    user: { role: "r" },
  });
  assert.throws(
    () => toCedar({ args: {}, input: { limit: 1 }, user: { role: "r" } }, t, "context"),
    /context\.args\.path/,
  );
});

test("action groups from the schema let approval policies on a group apply", () => {
  const schema = structuredClone(SCHEMA) as typeof SCHEMA & { Symbi: { actions: Record<string, unknown> } };
  (schema.Symbi.actions as Record<string, unknown>).risky = {};
  (schema.Symbi.actions.sha as Record<string, unknown>).memberOf = [{ id: "risky" }];
  const g = gate({ schema, approvals: `@id("ap") permit(principal, action in Symbi::Action::"risky", resource);` });
  assert.is(g.decide({ action: "sha", args: { path: "x" } }).decision, "require_approval");
  assert.is(g.decide({ action: "wc", args: { path: "x" } }).decision, "allow");
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
