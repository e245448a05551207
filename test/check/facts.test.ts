/**
 * Guards that read facts about tool arguments (README "Guards: what a binder stands for"): a
 * binder of a tool argument used as a record or a collection is typed JSON and listed in
 * `BinderInfo.factUses`; used as a scalar it keeps the argument's type. The Cedar compiler must
 * agree: every form the checker accepts compiles, and reads `context.facts.<arg>` exactly when
 * the checker recorded a fact use.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkSource, contract, show } from "./helpers.js";
import { buildText } from "../build/helpers.js";
import type { BinderInfo } from "../../compiler/check/index.js";

const ARGS = [
  '[args.path]\nposition = 1\nrequired = true\ntype = "string"\ndescription = "p"',
  '[args.count]\nposition = 2\nrequired = true\ntype = "integer"\ndescription = "n"',
].join("\n\n");
const CONTRACTS = { fetch: contract("fetch", ARGS), other: contract("other") };
const FILES = { "/proj/tools/fetch.clad.toml": CONTRACTS.fetch, "/proj/tools/other.clad.toml": CONTRACTS.other };

function agent(rule: string): string {
  return `agent a(x: String) {\n    capabilities = ["fetch", "other", "notify"]\n    policy p {\n        ${rule}\n    }\n    with sandbox = "Tier1" {\n        return fetch("f", 1);\n    }\n}\n`;
}

function checked(rule: string): { diags: string; binders: BinderInfo[] } {
  const r = checkSource(agent(rule), FILES);
  const binders = r.agents.get("a")!.policies[0]!.rules[0]!.actions.flatMap((a) => a.binders);
  return { diags: show(r.diagnostics), binders };
}

function factUses(rule: string): string[] {
  const { diags, binders } = checked(rule);
  assert.is(diags, "", rule);
  return binders.flatMap((b) => b.factUses.map((id) => `${b.name}@${id.span.col}`));
}

/** The emitter's view of the same rule: no error of its own, and whether it reads context.facts. */
function readsFacts(rule: string): boolean {
  const out = buildText(agent(rule), { contracts: CONTRACTS, check: false });
  assert.equal(
    out.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`),
    [],
    rule,
  );
  const b = out.bundles[0]!;
  // Cedar reads facts directly; computed values (`any(..)`) name them as roots in policies.json.
  return (
    b.files.get("policy.cedar")!.toString().includes("context.facts.") ||
    /"kind": ?"facts"/.test(b.files.get("policies.json")!.toString())
  );
}

const FACT_FORMS = [
  "deny: fetch(path) if path.sensitive == true",
  "deny: fetch(path, n) if n.limit > 3",
  'deny: fetch(path) if path.owner.team == "ops"',
  "deny: fetch(path) if any(path, |p| p.level > 2)",
  "deny: fetch(path) if all(path, |p| p.ok == false)",
  'deny: fetch(path) if "secret" in path',
  "deny: fetch(path, n) if n.contains(3)",
  "deny: fetch(path, n) if n.is_empty()",
  'deny: fetch(path) if path.any(|t| t == "x")',
];

for (const rule of FACT_FORMS) {
  test(`facts: \`${rule}\` checks, records a fact use, and compiles to context.facts`, () => {
    assert.ok(factUses(rule).length > 0, rule);
    assert.ok(readsFacts(rule), rule);
  });
}

const SCALAR_FORMS = [
  'deny: fetch(path) if path == "/etc/passwd"',
  "deny: fetch(path, n) if n > 10",
  'deny: fetch(path) if path.starts_with("/etc")',
  'deny: fetch(path) if path.contains("..")',
  "deny: fetch(path) if path.is_empty()",
];

for (const rule of SCALAR_FORMS) {
  test(`scalar: \`${rule}\` reads the argument's value, not facts`, () => {
    assert.equal(factUses(rule), [], rule);
    assert.not.ok(readsFacts(rule), rule);
  });
}

test("a fact use is typed JSON; the same binder compared directly keeps its scalar type", () => {
  const { diags } = checked("deny: fetch(path) if path.sensitive == true && path == 3");
  // `path == 3` still compares the String argument with an int.
  assert.match(diags, /E0218 comparing `String` with `int`/);
  assert.not.match(diags, /E0203/);
});

test("a misspelled binder is still an error", () => {
  const { diags } = checked("deny: fetch(path) if pth.sensitive == true");
  assert.match(diags, /E0303 `pth` is not available when the policy is decided/);
});

test("a member of a built-in action's text binder has no facts: E0203", () => {
  const { diags } = checked("deny: use_llm(prompt) if prompt.toxic == true");
  assert.match(diags, /E0203 no field `toxic` on `String`/);
});

test("binders of capabilities stand for nothing, as a record too (E0305)", () => {
  const { diags } = checked("deny: notify(message) if message.destination.external");
  assert.match(diags, /E0305 this binder stands for nothing the guard could test/);
  const out = buildText(agent("deny: notify(message) if message.destination.external"), {
    contracts: CONTRACTS,
    check: false,
  });
  assert.ok(
    out.diagnostics.some((d) => d.code === "E0602"),
    "the emitter rejects it too",
  );
});

test("a lambda parameter that hides a binder is not a fact use", () => {
  assert.equal(factUses("deny: fetch(path) if any(path, |path| path.level > 2)"), ["path@34"]);
});

test.run();
