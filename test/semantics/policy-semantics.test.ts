/**
 * "Policies mean what the language means" (issue "One meaning per program"): each test is a
 * policy users reasonably write whose decision disagreed with the documented semantics, decided
 * by the shipping gate on a bundle built from the source.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildText } from "../build/helpers.js";
import { policySetOf } from "../helpers/gate.js";
import type { RunContext } from "../../runtime/gate/gate.js";

const tool = (name: string, arg: string, type: string) => `
[tool]
name = "${name}"
description = "test tool"
binary = "true"
[args.${arg}]
position = 1
required = true
type = "${type}"
[command]
template = "true {${arg}}"
[output]
format = "text"
envelope = false
[output.schema]
type = "object"
[output.schema.properties.raw_output]
type = "string"
`;

const CONTRACTS = {
  wait: tool("wait", "d", "duration"),
  scale: tool("scale", "ratio", "number"),
  pay: tool("pay", "amount", "integer"),
  put: tool("put", "name", "string"),
  calc: tool("calc", "x", "integer"),
  set_level: tool("set_level", "level", "integer"),
  publish_doc: tool("publish_doc", "doc", "string"),
};

function gateFor(source: string) {
  const out = buildText(source, { contracts: CONTRACTS });
  const errors = out.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  assert.equal(errors, [], "the policy builds");
  const set = policySetOf(out.bundles[0]!.files);
  return (run: RunContext, action: string, args: Record<string, unknown>) => set.gate(run).decide({ action, args });
}

test("missing values: `unknown || true` is true — an allow whose other disjunct holds applies", () => {
  const decide = gateFor(`
agent a(n: int) {
    capabilities = ["calc"]
    policy p {
        allow: calc(x) if user.role == "admin" || x < 10
    }
    with sandbox = "process" { return 0; }
}`);
  // No user record supplied: `user.role == "admin"` is unknown, `x < 10` is true.
  assert.is(decide({ input: { n: 1 } }, "calc", { x: 5 }).decision, "allow");
  assert.is(decide({ input: { n: 1 } }, "calc", { x: 50 }).decision, "deny");
  assert.is(decide({ input: { n: 1 }, trusted: { user: { role: "admin" } } }, "calc", { x: 50 }).decision, "allow");
});

test("missing values: `unknown && false` is false — a deny whose other conjunct fails does not apply", () => {
  const decide = gateFor(`
agent a(n: int) {
    capabilities = ["set_level"]
    policy p {
        allow: set_level(level)
        deny: set_level(level) if user.role == "guest" && level > 50
    }
    with sandbox = "process" { return 0; }
}`);
  assert.is(decide({ input: { n: 1 } }, "set_level", { level: 5 }).decision, "allow");
  // What stays unknown resolves in the fail-closed direction: the deny applies.
  assert.is(decide({ input: { n: 1 } }, "set_level", { level: 80 }).decision, "deny");
  assert.is(
    decide({ input: { n: 1 }, trusted: { user: { role: "staff" } } }, "set_level", { level: 80 }).decision,
    "allow",
  );
});

test("comparisons with None follow the language: an absent Option input equals no literal", () => {
  const decide = gateFor(`
agent a(reviewer: Option<String>) {
    capabilities = ["publish_doc"]
    policy p {
        allow: publish_doc(doc) if reviewer != "mallory"
        deny: publish_doc(doc) if reviewer == "mallory"
    }
    with sandbox = "process" { return 0; }
}`);
  assert.is(decide({ input: {} }, "publish_doc", { doc: "d" }).decision, "allow", 'None != "mallory"');
  assert.is(decide({ input: { reviewer: "alice" } }, "publish_doc", { doc: "d" }).decision, "allow");
  assert.is(decide({ input: { reviewer: "mallory" } }, "publish_doc", { doc: "d" }).decision, "deny");
});

test("check says yes, build says yes: `reviewer != None` tests presence", () => {
  const decide = gateFor(`
agent a(reviewer: Option<String>) {
    capabilities = ["publish_doc"]
    policy p {
        allow: publish_doc(doc) if reviewer != None
    }
    with sandbox = "process" { return 0; }
}`);
  assert.is(decide({ input: {} }, "publish_doc", { doc: "d" }).decision, "deny");
  assert.is(decide({ input: { reviewer: "alice" } }, "publish_doc", { doc: "d" }).decision, "allow");
});

test("check says yes, build says yes: a literal agent name in an inter-agent rule", () => {
  const out = buildText(
    `
agent helper(q: String) -> String { with sandbox = "process" { return q; } }
agent boss(q: String) -> String {
    capabilities = ["ask"]
    policy p {
        allow: ask("helper")
        deny: delegate("helper")
    }
    with sandbox = "process" { return q; }
}`,
    {},
  );
  assert.equal(
    out.diagnostics.filter((d) => d.severity === "error").map((d) => d.message),
    [],
  );
  const boss = out.bundles.find((b) => b.agent === "boss")!;
  const gate = policySetOf(boss.files).gate({ input: { q: "x" } });
  const to = (name: string) => ({ agent: { name, id: name } });
  assert.is(gate.decide({ action: "ask", args: to("helper") }).decision, "allow");
  assert.is(gate.decide({ action: "ask", args: to("other") }).decision, "deny");
});

test("capabilities bound what an agent may do: an allow outside them warns and never permits", async () => {
  const src = `
agent a(n: int) {
    capabilities = ["publish_doc"]
    policy p {
        allow: calc(x)
        allow: all_operations
    }
    with sandbox = "process" { return 0; }
}`;
  const out = buildText(src, { contracts: CONTRACTS });
  assert.equal(
    out.diagnostics.filter((d) => d.code === "W0303").map((d) => `${d.span.line}:${d.span.col}`),
    ["5:16"],
    "the allow of calc, outside the capabilities, is a warning",
  );
  const set = policySetOf(out.bundles[0]!.files);
  const gate = set.gate({ input: { n: 1 } });
  const calc = gate.decide({ action: "calc", args: { x: 1 } });
  assert.is(calc.decision, "deny");
  assert.equal(calc.rules, ["a.capabilities"]);
  assert.match(calc.reason, /capabilities = \["publish_doc"\]/);
  assert.is(gate.decide({ action: "publish_doc", args: { doc: "d" } }).decision, "allow");
  // Without declared capabilities, nothing bounds the allows.
  const open = buildText(src.replace('    capabilities = ["publish_doc"]\n', ""), { contracts: CONTRACTS });
  assert.is(
    policySetOf(open.bundles[0]!.files)
      .gate({ input: { n: 1 } })
      .decide({ action: "calc", args: { x: 1 } }).decision,
    "allow",
  );
});

test("check says yes, build says yes: durations, number arguments, division, contains_pattern", () => {
  const decide = gateFor(`
agent a(n: int) {
    capabilities = ["wait", "scale", "pay", "put"]
    policy p {
        allow: wait(d) if d <= 30s
        allow: scale(ratio) if ratio < 2
        allow: pay(amount) if amount / 100 <= 5
        allow: put(name) if name.contains_pattern("^[a-z]+$")
        deny: pay(amount) if amount % 7 == 0
    }
    with sandbox = "process" { return 0; }
}`);
  const run = { input: { n: 1 } };
  // The gate reads durations in milliseconds (the validator's whole seconds × 1000).
  assert.is(decide(run, "wait", { d: 30_000 }).decision, "allow");
  assert.is(decide(run, "wait", { d: 31_000 }).decision, "deny");
  assert.is(decide(run, "scale", { ratio: 1.5 }).decision, "allow");
  assert.is(decide(run, "scale", { ratio: 2.5 }).decision, "deny");
  // True division, as in agent code: 501 / 100 is 5.01, not 5.
  assert.is(decide(run, "pay", { amount: 500 }).decision, "allow");
  assert.is(decide(run, "pay", { amount: 501 }).decision, "deny");
  assert.is(decide(run, "pay", { amount: 49 }).decision, "deny", "49 % 7 == 0");
  assert.is(decide(run, "put", { name: "abc" }).decision, "allow");
  assert.is(decide(run, "put", { name: "ab-c" }).decision, "deny");
});

test.run();
