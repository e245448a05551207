/**
 * One agent through the compiler's stages after the checker: the Cedar-specific policy analysis
 * and emission (compiler/policy, cedar/), the sandbox manifests (manifests.ts) and the IR
 * (ir.ts). `symbic build` runs it with Cedar validation and writes the results; `symbic check`
 * runs it too (without the validation, see cedar/index.ts), so every error a build would report
 * for a program is reported by the check: a project that checks clean builds.
 */
import type { AgentIR } from "../../formats/ir.js";
import type { AgentInfo, CheckResult } from "../check/index.js";
import type { ToolContract } from "../contracts/index.js";
import { hasErrors, type Diagnostic } from "../diagnostics/model.js";
import type { ActionCatalog } from "../policy/catalog.js";
import { policyAnalysisInput } from "./analysis-input.js";
import { compileCedar, type CedarCompilation } from "./cedar/index.js";
import type { ValidationMemory } from "./cedar/validate.js";
import { lowerAgentIR } from "./ir.js";
import type { KubernetesRenderOptions } from "./kubernetes.js";
import { buildManifests, type BlockOutput } from "./manifests.js";

export interface AgentCompilation {
  diagnostics: Diagnostic[];
  cedar: CedarCompilation;
  catalog: ActionCatalog;
  manifests: BlockOutput[];
  /** Present when nothing failed. */
  ir?: AgentIR;
}

export interface AgentStageOptions {
  /** The agent's file as it appears in diagnostics and outputs. */
  file: string;
  /** A source file's text, by the checker's file name (rule texts are cut from it). */
  text: (file: string) => string | undefined;
  /** The checker's file name → the name recorded in outputs (project-relative in bundles). */
  display?: (file: string) => string;
  /** Validate the emitted policies with cedar-wasm in strict mode (`symbic build`). */
  validate: boolean;
  /** Validation inputs that passed before (a build in memory: compiler/emit/cedar/validate.ts). */
  validationMemory?: ValidationMemory;
  /** How the Kubernetes objects are rendered (`symbic build --runtime-image`). */
  kubernetes?: KubernetesRenderOptions;
}

export function compileAgent(
  info: AgentInfo,
  res: CheckResult,
  contracts: ReadonlyMap<string, ToolContract>,
  o: AgentStageOptions,
): AgentCompilation {
  const display = o.display ?? ((f: string) => f);
  const analysis = policyAnalysisInput(info, res, contracts, { file: o.file, text: o.text, display });
  const cedar = compileCedar(analysis, info.node.name.span, {
    validate: o.validate,
    ...(o.validationMemory ? { validationMemory: o.validationMemory } : {}),
  });
  const manifests = buildManifests({
    agent: info.node,
    file: o.file,
    model: cedar.model,
    catalog: analysis.catalog,
    settings: info.withBlocks,
    ...(o.kubernetes ? { kubernetes: o.kubernetes } : {}),
  });
  const lowered = lowerAgentIR(info, res, display);
  const diagnostics = [...cedar.diagnostics, ...manifests.diagnostics, ...lowered.diagnostics];
  const out: AgentCompilation = { diagnostics, cedar, catalog: analysis.catalog, manifests: manifests.blocks };
  if (!hasErrors(diagnostics) && cedar.policiesJson && lowered.ir) out.ir = lowered.ir;
  return out;
}
