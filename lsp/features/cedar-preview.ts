/**
 * The Cedar a policy rule compiles to, for hover. The rule's agent is analysed exactly as
 * `symbic build` analyses it — from the same `policyAnalysisInput` (compiler/emit), which
 * test/lsp/cedar-preview.test.ts checks against a real build — and the decision rules that come from the hovered DSL rule are
 * emitted with the emitter's per-rule function (`emitPolicy`). Nothing is validated with
 * cedar-wasm here; a rule that does not analyse shows no Cedar (its diagnostics say why).
 */
import type * as A from "../../grammar/ast.js";
import type { CheckResult } from "../../compiler/check/index.js";
import { analyzeAgentPolicies } from "../../compiler/policy/analyze.js";
import { emitPolicy } from "../../compiler/emit/cedar/policies.js";
import { policyAnalysisInput } from "../../compiler/emit/analysis-input.js";
import { compileCedar, policyFiles } from "../../compiler/emit/cedar/index.js";

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
export function cedarForRule(
  result: CheckResult | undefined,
  rule: A.PolicyRule,
  texts: (file: string) => string | undefined,
  display: (file: string) => string = (f) => f,
): string | undefined {
  if (!result) return undefined;
  const owner = agentFor(result, rule);
  const info = owner ? result.agents.get(owner.agent) : undefined;
  if (!owner || !info) return undefined;
  const contracts = new Map([...result.contracts].filter(([, c]) => c.valid));
  const { model } = analyzeAgentPolicies(
    policyAnalysisInput(info, result, contracts, { file: display(info.file), text: texts, display }),
  );
  const emitted = model.rules
    .filter((r) => r.file === display(owner.file) && r.span.start >= rule.span.start && r.span.end <= rule.span.end)
    .map((r) => emitPolicy(model, r).text.trim());
  if (emitted.length === 0) return undefined;
  return `// agent ${info.name}\n${emitted.join("\n\n")}`;
}

/** The Cedar the build writes for one agent: policy.cedar and approval.cedar. */
export interface AgentCedar {
  agent: string;
  /** policy.cedar */
  policy: string;
  /** approval.cedar, when the agent has approval policies. */
  approval?: string;
}

/**
 * The policy files `symbic build` writes for `agent`, from a check result: the same analysis
 * inputs (`policyAnalysisInput`, contracts named by their project-relative path as the build
 * names them) and the same emitter (`compileCedar`, `policyFiles`) — only cedar-wasm's
 * validation is left out (the build validates every policy set; a failure there is a compiler
 * bug). Undefined when the agent is unknown or its policies do not analyse.
 */
export function cedarForAgent(
  result: CheckResult | undefined,
  agent: string,
  texts: (file: string) => string | undefined,
  display: (file: string) => string = (f) => f,
): AgentCedar | undefined {
  const info = result?.agents.get(agent);
  if (!result || !info) return undefined;
  const contracts = new Map([...result.contracts].map(([name, c]) => [name, { ...c, file: display(c.file) }]));
  const compiled = compileCedar(
    policyAnalysisInput(info, result, contracts, { file: display(info.file), text: texts, display }),
    info.node.name.span,
    { validate: false },
  );
  if (!compiled.emitted) return undefined;
  const files = policyFiles(compiled);
  return { agent, policy: files.policy, ...(compiled.emitted.approval.length > 0 ? { approval: files.approval } : {}) };
}
