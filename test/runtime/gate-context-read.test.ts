/**
 * What a request carries (runtime/gate/context-read.ts): the walk of a policy's JSON form finds
 * the context attributes it reads (`context.a`, `context has a`) and the arguments
 * (`context.args.x`, `context.args has x`, `context has args.x`); any other use of `context.args`
 * reads every argument, and of `context` all of it. At the gate, a part or an argument no policy
 * that can match the action reads is left out, so requests that differ only there are one request
 * (one cache entry); where decisions pass the schema, or for an explanation, all of it stays.
 * Property tests here compare Cedar's whole answer on random conditions; the gate-level comparison
 * on compiled agents is gate-schema-free.test.ts's (its reference way passes everything).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { isAuthorized, policyToJson } from "../../formats/cedar-wasm.js";
import { argumentsKept, contextRead, readsPart, unionOfReads } from "../../runtime/gate/context-read.js";
import { PolicySet } from "../../runtime/gate/index.js";
import { buildText } from "../build/helpers.js";
import { COUNT_TOOL, PATH_TOOL, compiledPolicies } from "../helpers/gate-tools.js";
import type { CompiledPolicies } from "../../runtime/gate/gate.js";
import type { CedarRequest } from "../../runtime/gate/request.js";

/** What a policy with condition `when` reads of the arguments or of the context, sorted. */
function readsOf(when: string, of: "arguments" | "attributes"): string[] | "all" {
  const j = policyToJson(`permit (principal, action, resource) when { ${when} };`);
  if (j.type !== "success") throw new Error(JSON.stringify(j.errors));
  const r = contextRead(j.json.conditions)[of];
  return r === "all" ? r : [...r].sort();
}
const readBy = (when: string) => readsOf(when, "arguments");
const attributesReadBy = (when: string) => readsOf(when, "attributes");

test("context.args.x and context.args has x read x; nothing else of the arguments", () => {
  assert.equal(readBy(`context.args has path && context.args.path like "/tmp/*"`), ["path"]);
  assert.equal(readBy(`context.args.n > 1 && context.args["odd name"] == "x"`), ["n", "odd name"]);
  assert.equal(readBy(`context.args.opts.depth > 1`), ["opts"]);
  assert.equal(readBy(`context has args && context.user.role == "analyst"`), []);
  assert.equal(readBy(`{ a: context.args.q }.a == 1 || ip(context.args.ip).isLoopback()`), ["ip", "q"]);
  assert.equal(readBy(`context.user has args && context.user.args.x == 1`), []);
  assert.equal(readBy(`"context.args.x" == "y"`), []);
});

test("context attributes: read by access or presence; the whole context reads all", () => {
  assert.equal(attributesReadBy(`context.user.role == "x" && context has session`), ["session", "user"]);
  assert.equal(attributesReadBy(`context has derived.d0 && context.args.n > 1`), ["args", "derived"]);
  assert.equal(attributesReadBy(`context has args`), ["args"]);
  assert.equal(attributesReadBy(`context.args == {}`), ["args"]);
  assert.equal(attributesReadBy(`true`), []);
  assert.is(attributesReadBy(`context == {}`), "all");
  assert.is(attributesReadBy(`[context].contains({})`), "all");
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

/** Conditions over the context and the arguments in each form Cedar's syntax has for reading them. */
const condition: fc.Arbitrary<string> = fc.letrec((tie) => ({
  cond: fc.oneof(
    { maxDepth: 3, withCrossShrink: true },
    fc.constantFrom(
      "context.args.a == 1",
      "context.args.a < 5",
      "context.args has b",
      "context has args.c",
      "context has args.b.x",
      "context.args has b.x",
      'context.args.b.x == "s"',
      "context.args.b has x",
      "context.args == { a: 1 }",
      "context has args",
      "[context.args.c].contains(1)",
      'context.args["d"] > 0',
      'context.user.role == "x"',
      "context has input",
      "context has derived.d0",
      "context.derived.d0 == 2",
      "context has facts",
      "context == { args: {} }",
      "true",
    ),
    fc.tuple(tie("cond"), tie("cond")).map(([l, r]) => `(${l} && ${r})`),
    fc.tuple(tie("cond"), tie("cond")).map(([l, r]) => `(${l} || ${r})`),
    tie("cond").map((c) => `!(${c})`),
    fc.tuple(tie("cond"), tie("cond"), tie("cond")).map(([i, t, e]) => `(if ${i} then ${t} else ${e})`),
  ),
})).cond as fc.Arbitrary<string>;

const contexts = fc.record(
  {
    args: fc.record(
      {
        a: fc.integer({ min: -2, max: 8 }),
        b: fc.oneof(fc.record({ x: fc.constantFrom("s", "t") }, { requiredKeys: [] }), fc.integer()),
        c: fc.integer({ min: 0, max: 2 }),
        d: fc.integer({ min: -1, max: 1 }),
      },
      { requiredKeys: [] },
    ),
    input: fc.constantFrom({}, { name: "a" }),
    user: fc.record({ role: fc.constantFrom("x", "y") }, { requiredKeys: [] }),
    derived: fc.record({ d0: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: [] }),
    facts: fc.constant({}),
  },
  { requiredKeys: ["args"] },
);

/** The context cut down to what the reads name, with the helpers request.ts cuts it with. */
function cut(context: Record<string, unknown>, reads: ReturnType<typeof contextRead>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(context))
    if (readsPart(reads, k)) out[k] = k === "args" ? argumentsKept(v as Record<string, unknown>, reads) : v;
  return out;
}

test("Cedar answers the same with only the parts and arguments read as with all of them (property)", () => {
  const outcomes = new Set<string>();
  fc.assert(
    fc.property(
      fc.array(condition, { minLength: 1, maxLength: 3 }),
      fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      contexts,
      (conds, forbids, context) => {
        const policies: Record<string, string> = {};
        const reads: Array<ReturnType<typeof contextRead>> = [];
        conds.forEach((c, i) => {
          const text = `${forbids[i] ? "forbid" : "permit"} (principal, action, resource) when { ${c} };`;
          policies[`p${i}`] = text;
          const j = policyToJson(text);
          if (j.type !== "success") throw new Error(`${text}: ${JSON.stringify(j.errors)}`);
          reads.push(contextRead(j.json.conditions));
        });
        const kept = cut(context, unionOfReads(reads));
        const decide = (ctx: Record<string, unknown>) => {
          const r = isAuthorized({
            principal: { type: "Symbi::Agent", id: "q" },
            action: { type: "Symbi::Action", id: "count" },
            resource: { type: "Symbi::Tool", id: "count" },
            context: ctx as never,
            policies: { staticPolicies: policies },
            entities: [],
          });
          if (r.type !== "success") throw new Error(JSON.stringify(r.errors));
          return {
            decision: r.response.decision,
            reason: [...r.response.diagnostics.reason].sort(),
            errors: r.response.diagnostics.errors.map((e) => e.policyId).sort(),
          };
        };
        const want = decide(context);
        assert.equal(decide(kept), want, JSON.stringify({ policies, context, kept }));
        outcomes.add(want.errors.length > 0 ? "error" : want.decision);
      },
    ),
    { numRuns: 600 },
  );
  assert.equal([...outcomes].sort(), ["allow", "deny", "error"]);
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

/** The context of the Cedar request the gate builds. */
function contextOf(r: CedarRequest | { error: string }): unknown {
  if ("error" in r) throw new Error(r.error);
  return r.context;
}

test("a part or an argument no policy of the action reads is left out; requests differing only there are one", () => {
  const set = PolicySet.load(parts());
  const gate = set.gate({ input: {} });
  const a = gate.cedarRequestOf({ action: "count", args: { n: 1, label: "a" } });
  const b = gate.cedarRequestOf({ action: "count", args: { n: 2, label: "b" } });
  assert.equal(contextOf(a), {}, "no policy of count reads the context: not the arguments, not the inputs");
  assert.equal(a, b);
  const c = gate.cedarRequestOf({ action: "cat", args: { path: "/data/x" } });
  assert.equal(contextOf(c), { args: { path: "/data/x" } });
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

test("where decisions pass the schema, or for an explanation, every part and argument stays", () => {
  const withSchema = PolicySet.load(parts(), { passSchema: true }).gate({ input: {} });
  const args = { n: 1, label: "a" };
  assert.equal(contextOf(withSchema.cedarRequestOf({ action: "count", args })), { args, input: {}, derived: {} });
  const gate = PolicySet.load(parts()).gate({ input: {} });
  assert.equal(contextOf(gate.cedarRequestOf({ action: "count", args }, { whole: true })), {
    args,
    input: {},
    derived: {},
  });
});

test.run();
