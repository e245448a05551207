/**
 * The Cedar a policy rule compiles to, for hover. The rule's agent is analysed exactly as
 * `symbic build` analyses it — the same inputs as compiler/emit/build.ts `buildAgent` gives
 * `compileCedar` (catalog of tools, capabilities, agents and functions; the agent's policies in
 * scope; typed inputs; trusted records; clearance levels), which test/lsp/cedar-preview.test.ts
 * checks against a real build — and the decision rules that come from the hovered DSL rule are
 * emitted with the emitter's per-rule function (`emitPolicy`). Nothing is validated with
 * cedar-wasm here; a rule that does not analyse shows no Cedar (its diagnostics say why).
 */
import type * as A from "../../grammar/ast.js";
import { TRUSTED_RECORDS as CHECK_TRUSTED, typeToString, type CheckResult } from "../../compiler/check/index.js";
import { analyzeAgentPolicies } from "../../compiler/policy/analyze.js";
import { buildCatalog } from "../../compiler/policy/catalog.js";
import { typeNode } from "../../compiler/policy/checker-types.js";
import { DEFAULT_LEVELS, TRUSTED_RECORDS, type TrustedRecord } from "../../compiler/policy/model.js";
import type { TNode } from "../../compiler/policy/types.js";
import { emitPolicy } from "../../compiler/emit/cedar/policies.js";
import { BUILTIN_FUNCTIONS, BUILTIN_TYPES } from "../../stdlib/index.js";

/** The agent a rule applies to (its own agent; for a top-level policy, the first agent it applies to) and the rule's file. */
function agentFor(result: CheckResult, rule: A.PolicyRule): { agent: string; file: string } | undefined {
  for (const info of result.agents.values()) {
    for (const p of info.policies) {
      if (p.scope !== "channel" && p.node.rules.includes(rule)) return { agent: info.name, file: p.file };
    }
  }
  return undefined;
}

/**
 * `texts` gives a source file's text; `display` the name the build records for a file (a path
 * relative to the project, as in `@dsl("main.symbi:5:9")`).
 */
export function cedarForRule(result: CheckResult | undefined, rule: A.PolicyRule, texts: (file: string) => string | undefined, display: (file: string) => string = (f) => f): string | undefined {
  if (!result) return undefined;
  const owner = agentFor(result, rule);
  const info = owner ? result.agents.get(owner.agent) : undefined;
  if (!owner || !info) return undefined;
  const contracts = new Map([...result.contracts].filter(([, c]) => c.valid));
  const functions = [...result.env.functions.keys(), ...(result.env.agentFunctions.get(info.name)?.keys() ?? []), ...BUILTIN_FUNCTIONS.keys()];
  const catalog = buildCatalog({ contracts, capabilities: info.capabilities, env: result.env, agents: result.env.agents.keys(), functions });
  const trusted: Partial<Record<TrustedRecord, TNode>> = {};
  for (const r of TRUSTED_RECORDS) {
    const typeName = CHECK_TRUSTED.get(r);
    if (typeName) trusted[r] = typeNode({ k: "named", name: typeName }, result.env, { allOptional: true }).node;
  }
  const { model } = analyzeAgentPolicies({
    agent: info.node,
    file: display(info.file),
    policies: info.policies.filter((p) => p.scope !== "channel").map((p) => ({ policy: p.node, topLevel: p.scope === "top", file: display(p.file), text: texts(p.file) ?? "" })),
    params: info.params.map((p) => {
      const c = typeNode(p.type, result.env);
      return { name: p.name, node: c.node, optional: c.optional, declared: typeToString(p.type) };
    }),
    trusted,
    catalog,
    levels: [...(BUILTIN_TYPES.get("Clearance")?.levels ?? DEFAULT_LEVELS)],
  });
  const emitted = model.rules
    .filter((r) => r.file === display(owner.file) && r.span.start >= rule.span.start && r.span.end <= rule.span.end)
    .map((r) => emitPolicy(model, r).text.trim());
  if (emitted.length === 0) return undefined;
  return `// agent ${info.name}\n${emitted.join("\n\n")}`;
}
