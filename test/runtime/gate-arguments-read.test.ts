/**
 * The arguments a request carries (runtime/gate/arguments-read.ts): the walk of a policy's JSON
 * form finds `context.args.x` and `context.args has x`; any other use of `context.args` or of
 * `context` reads every argument. At the gate, an argument no policy that can match the action
 * reads is left out, so requests that differ only there are one request (one cache entry); where
 * decisions pass the schema every argument stays. That the answers do not change is the
 * property test of gate-schema-free.test.ts (its reference way passes every argument).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { policyToJson } from "../../formats/cedar-wasm.js";
import { argumentsRead } from "../../runtime/gate/arguments-read.js";
import { PolicySet } from "../../runtime/gate/index.js";
import { buildText } from "../build/helpers.js";
import { COUNT_TOOL, PATH_TOOL, compiledPolicies } from "../helpers/gate-tools.js";
import type { CompiledPolicies } from "../../runtime/gate/gate.js";
import type { CedarRequest } from "../../runtime/gate/request.js";

function readBy(when: string): string[] | "all" {
  const j = policyToJson(`permit (principal, action, resource) when { ${when} };`);
  if (j.type !== "success") throw new Error(JSON.stringify(j.errors));
  const r = argumentsRead(j.json.conditions);
  return r === "all" ? r : [...r].sort();
}

test("context.args.x and context.args has x read x; nothing else of the arguments", () => {
  assert.equal(readBy(`context.args has path && context.args.path like "/tmp/*"`), ["path"]);
  assert.equal(readBy(`context.args.n > 1 && context.args["odd name"] == "x"`), ["n", "odd name"]);
  assert.equal(readBy(`context.args.opts.depth > 1`), ["opts"]);
  assert.equal(readBy(`context has args && context.user.role == "analyst"`), []);
  assert.equal(readBy(`{ a: context.args.q }.a == 1 || ip(context.args.ip).isLoopback()`), ["ip", "q"]);
  assert.equal(readBy(`context.user has args && context.user.args.x == 1`), []);
  assert.equal(readBy(`"context.args.x" == "y"`), []);
});

test("has with a path: context has args.x and context.args has x.y read x (context has args.x was missed)", () => {
  assert.equal(readBy(`context has args.x`), ["x"]);
  assert.equal(readBy(`context has args.x.y && context has user.role`), ["x"]);
  assert.equal(readBy(`context.args has x.y`), ["x"]);
  assert.equal(readBy(`context.args.x has y`), ["x"]);
  assert.equal(readBy(`context has user.args`), []);
});

test("any other use of context.args or of context reads every argument", () => {
  assert.is(readBy(`context.args == { n: 1 }`), "all");
  assert.is(readBy(`context.args is Foo`), "all");
  assert.is(readBy(`context == {}`), "all");
  assert.is(readBy(`[context.args].contains({})`), "all");
  assert.is(readBy(`context.args.hasTag("x")`), "all");
});

const AGENT = `
agent q() -> String {
    capabilities = ["cat", "count"]
    policy tools {
        allow: cat(path) if path.contains("data")
        allow: count
    }
    with sandbox = "process" { return ""; }
}
`;
const TWO_ARGS = COUNT_TOOL.replace(
  "[command]",
  `[args.label]
position = 2
type = "string"
[command]`,
).replace("seq {n}", "seq {n} {label}");

/** The arguments of the Cedar request the gate builds. */
function argsOf(r: CedarRequest | { error: string }): unknown {
  if ("error" in r) throw new Error(r.error);
  return r.context.args;
}

function parts(): CompiledPolicies {
  return compiledPolicies(
    buildText(AGENT, { contracts: { cat: PATH_TOOL.replaceAll("NAME", "cat"), count: TWO_ARGS } }),
  );
}

test("an argument no policy of the action reads is left out; requests differing only there are one", () => {
  const set = PolicySet.load(parts());
  const gate = set.gate({ input: {} });
  const a = gate.cedarRequestOf({ action: "count", args: { n: 1, label: "a" } });
  const b = gate.cedarRequestOf({ action: "count", args: { n: 2, label: "b" } });
  assert.equal(argsOf(a), {});
  assert.equal(a, b);
  const c = gate.cedarRequestOf({ action: "cat", args: { path: "/data/x" } });
  assert.equal(argsOf(c), { path: "/data/x" });
  assert.is(gate.decide({ action: "count", args: { n: 1, label: "a" } }).decision, "allow");
  assert.is(gate.decide({ action: "cat", args: { path: "/etc/passwd" } }).decision, "deny");
  // Still projected first: arguments that do not fit the contract deny, read or not.
  assert.is(gate.decide({ action: "count", args: { n: "one", label: "a" } }).decision, "deny");
});

test("a policy that only tests an argument's presence (context has args.label) still gets the argument", () => {
  const p = parts();
  const pj = JSON.parse(p.policiesJson as string) as { policies: object[] };
  pj.policies.push({
    id: "q.presence",
    set: "policy",
    verb: "deny",
    effect: "forbid",
    policy: "presence",
    file: "agent.symbi",
    line: 1,
    col: 1,
    endLine: 1,
    endCol: 1,
    text: "deny: count if label given",
    actions: ["count"],
  });
  const set = PolicySet.load({
    ...p,
    policy: `${p.policy as string}\n@id("q.presence")\nforbid (principal, action == Symbi::Action::"count", resource) when { context has args.label };\n`,
    policiesJson: JSON.stringify(pj),
  });
  const gate = set.gate({ input: {} });
  assert.equal(argsOf(gate.cedarRequestOf({ action: "count", args: { n: 1, label: "a" } })), { label: "a" });
  const d = gate.decide({ action: "count", args: { n: 1, label: "a" } });
  assert.is(d.decision, "deny", d.reason);
  assert.equal(d.rules, ["q.presence"]);
  assert.is(gate.decide({ action: "count", args: { n: 1 } }).decision, "allow");
});

test("where decisions pass the schema, or for an explanation, every argument stays", () => {
  const withSchema = PolicySet.load(parts(), { passSchema: true }).gate({ input: {} });
  const args = { n: 1, label: "a" };
  assert.equal(argsOf(withSchema.cedarRequestOf({ action: "count", args })), args);
  const gate = PolicySet.load(parts()).gate({ input: {} });
  assert.equal(argsOf(gate.cedarRequestOf({ action: "count", args }, { everyArgument: true })), args);
});

test.run();
