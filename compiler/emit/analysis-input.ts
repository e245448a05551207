/**
 * What the policy analysis of one agent is given, assembled from the checker's result: the
 * action catalog (tools, capabilities, agents, functions), the policies in scope, the typed
 * inputs, the declared trusted records and the clearance levels. `symbic build` and the
 * language server's Cedar preview both call this, so a hover shows exactly what a build emits.
 */
import { typeToString, type AgentInfo, type CheckResult } from "../check/index.js";
import type { ToolContract } from "../contracts/index.js";
import { BUILTIN_FUNCTIONS, BUILTIN_TYPES } from "../../stdlib/index.js";
import type { AnalyzeInput } from "../policy/analyze.js";
import { buildCatalog } from "../policy/catalog.js";
import { typeNode } from "../policy/checker-types.js";
import { DEFAULT_LEVELS } from "../policy/model.js";
import { TRUSTED_RECORDS, TRUSTED_RECORD_TYPES, type TrustedRecord } from "../../stdlib/trusted-records.js";
import type { TNode } from "../policy/types.js";

/** The stdlib's ordered Clearance levels (the policy analysis ranks strings by them). */
export function clearanceLevels(): string[] {
  return [...(BUILTIN_TYPES.get("Clearance")?.levels ?? DEFAULT_LEVELS)];
}

/**
 * `display` maps a checker file name to the name recorded in the output (project-relative in
 * bundles); `text` gives a file's source text.
 */
export function policyAnalysisInput(
  info: AgentInfo,
  res: CheckResult,
  contracts: ReadonlyMap<string, ToolContract>,
  opts: { file: string; text: (file: string) => string | undefined; display?: (file: string) => string },
): AnalyzeInput {
  const display = opts.display ?? ((f: string) => f);
  const functions = [
    ...res.env.functions.keys(),
    ...(res.env.agentFunctions.get(info.name)?.keys() ?? []),
    ...BUILTIN_FUNCTIONS.keys(),
  ];
  const catalog = buildCatalog({
    contracts,
    capabilities: info.capabilities,
    env: res.env,
    agents: res.env.agents.keys(),
    functions,
  });
  const trusted: Partial<Record<TrustedRecord, TNode>> = {};
  for (const r of TRUSTED_RECORDS) {
    const typeName = TRUSTED_RECORD_TYPES[r];
    if (typeName) trusted[r] = typeNode({ k: "named", name: typeName }, res.env, { allOptional: true }).node;
  }
  return {
    agent: info.name,
    file: opts.file,
    policies: info.policies
      .filter((p) => p.scope !== "channel")
      .map((p) => ({
        policy: p,
        topLevel: p.scope === "top",
        file: display(p.file),
        text: opts.text(p.file) ?? "",
      })),
    resolve: (id) => res.resolutionOf(id),
    params: info.params.map((p) => {
      const c = typeNode(p.type, res.env);
      return {
        name: p.name,
        symbolId: p.symbolId,
        node: c.node,
        optional: c.optional,
        declared: typeToString(p.type),
      };
    }),
    trusted,
    catalog,
    levels: clearanceLevels(),
    ...capabilitiesOf(info, opts.text, display),
  };
}

/** The agent's `capabilities = [..]` declaration (the first), if it has one. */
function capabilitiesOf(
  info: AgentInfo,
  text: (file: string) => string | undefined,
  display: (file: string) => string,
): { capabilities?: NonNullable<AnalyzeInput["capabilities"]> } {
  const decl = info.node.members.find((m) => m.kind === "Capabilities");
  if (!decl) return {};
  const t = text(info.file) ?? "";
  return {
    capabilities: {
      names: info.capabilities,
      file: display(info.file),
      span: decl.span,
      text: t.slice(decl.span.start, decl.span.end).replace(/\s+/g, " ").trim(),
    },
  };
}
