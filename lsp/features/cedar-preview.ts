/**
 * The Cedar a policy rule compiles to, for hover: the rule's agent is analysed the way
 * `symbic build` analyses it (compiler/policy: catalog of tools and capabilities, DSL types,
 * metadata levels), then each analysed decision rule that comes from the hovered DSL rule is
 * emitted with the emitter's per-rule function (compiler/emit/cedar `emitPolicy`). Nothing is
 * validated with cedar-wasm here (the build does that); a rule that does not analyse shows no
 * Cedar — its diagnostics say why.
 */
import type * as A from "../../grammar/ast.js";
import type { CheckResult } from "../../compiler/check/index.js";
import { analyzeAgentPolicies, levelsFromMetadata } from "../../compiler/policy/analyze.js";
import { buildCatalog } from "../../compiler/policy/catalog.js";
import { typeTable } from "../../compiler/policy/dsl-types.js";
import { emitPolicy } from "../../compiler/emit/cedar/policies.js";
import type { SourceDocument } from "../document.js";

function capabilitiesOf(agent: A.AgentDef): string[] {
  const out: string[] = [];
  for (const m of agent.members ?? []) {
    if (m?.kind !== "Capabilities" || m.list?.kind !== "Array") continue;
    for (const e of m.list.elements ?? []) {
      if (e?.kind === "String") out.push(e.value);
      else if (e?.kind === "Identifier") out.push(e.name);
    }
  }
  return out;
}

export function cedarForRule(result: CheckResult | undefined, rule: A.PolicyRule, doc: SourceDocument): string | undefined {
  if (!result) return undefined;
  const program = doc.program;
  // The agent the rule belongs to; a top-level policy applies to the agents of its file.
  const path = doc.pathAt(rule.span.start);
  const agent = path.find((n): n is A.AgentDef => n.kind === "Agent") ?? program.items.find((i): i is A.AgentDef => i?.kind === "Agent");
  if (!agent || agent.name?.kind !== "Identifier") return undefined;
  const levels = levelsFromMetadata(program).levels;
  const { model } = analyzeAgentPolicies({
    agent,
    file: doc.uri,
    text: doc.text,
    program,
    types: typeTable([...result.files.values()].map((p) => p.program)),
    catalog: buildCatalog(result.contracts, capabilitiesOf(agent)),
    ...(levels ? { levels } : {}),
  });
  const texts = model.rules
    .filter((r) => r.span.start >= rule.span.start && r.span.end <= rule.span.end)
    .map((r) => emitPolicy(model, r).text.trim());
  if (texts.length === 0) return undefined;
  return `// for agent ${agent.name.name}\n${texts.join("\n\n")}`;
}
