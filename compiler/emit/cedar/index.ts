/**
 * Policies → Cedar for one agent: analysis (compiler/policy), lowering, schema, strict
 * validation with cedar-wasm, and policies.json. `compileCedar` never throws on bad input; the
 * result carries diagnostics, and nothing may be written when any is an error.
 */
import type { SchemaJson } from "@cedar-policy/cedar-wasm/nodejs";
import { hasErrors, type Diagnostic } from "../../diagnostics/model.js";
import { analyzeAgentPolicies, type AnalyzeInput } from "../../policy/analyze.js";
import type { AgentPolicyModel } from "../../policy/model.js";
import { buildContextModel } from "./context-model.js";
import type { ContextModel, PoliciesJson } from "../../../formats/policies-json.js";
import { emitPolicies, policySetText, type EmittedPolicies } from "./policies.js";
import { policiesJson } from "./policies-json.js";
import { cedarSchema } from "./schema.js";
import { validatePolicies } from "./validate.js";

export interface CedarCompilation {
  model: AgentPolicyModel;
  diagnostics: Diagnostic[];
  /** Present when the analysis had no errors. */
  emitted?: EmittedPolicies;
  context?: ContextModel;
  schema?: SchemaJson<string>;
  policiesJson?: PoliciesJson;
  /** Milliseconds spent in cedar-wasm validation. */
  validationMillis: number;
}

export function compileCedar(input: AnalyzeInput): CedarCompilation {
  const { model, diagnostics } = analyzeAgentPolicies(input);
  if (hasErrors(diagnostics)) return { model, diagnostics, validationMillis: 0 };
  const emitted = emitPolicies(model);
  const context = buildContextModel(model, input.catalog);
  const schema = cedarSchema(context);
  const v = validatePolicies([...emitted.main, ...emitted.approval], schema, {
    file: input.file,
    span: input.agent.name.span,
  });
  return {
    model,
    diagnostics: [...diagnostics, ...v.diagnostics],
    emitted,
    context,
    schema,
    policiesJson: policiesJson(model, context),
    validationMillis: v.millis,
  };
}

/** The texts of policy.cedar and approval.cedar. */
export function policyFiles(c: CedarCompilation): { policy: string; approval: string } {
  const e = c.emitted!;
  return {
    policy: policySetText(e.main, `Cedar policies of agent ${c.model.agent}: permit = allow, forbid = deny / require`),
    approval: policySetText(
      e.approval,
      `Approval policies of agent ${c.model.agent}: a match means a human must approve the call`,
    ),
  };
}
