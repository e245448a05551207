/**
 * Policies → Cedar for one agent: analysis (compiler/policy), lowering, schema, strict
 * validation with cedar-wasm, and policies.json. `compileCedar` never throws on bad input; the
 * result carries diagnostics, and nothing may be written when any is an error.
 */
import type { Span } from "../../../grammar/span.js";
import type { SchemaJson } from "../../../formats/cedar-wasm.js";
import { hasErrors, type Diagnostic } from "../../diagnostics/model.js";
import { analyzeAgentPolicies, type AnalyzeInput } from "../../policy/analyze.js";
import type { AgentPolicyModel } from "../../policy/model.js";
import { buildContextModel } from "./context-model.js";
import type { ContextModel, PoliciesJson } from "../../../formats/policies-json.js";
import { emitPolicies, policySetText, type EmittedPolicies } from "./policies.js";
import { policiesJson } from "./policies-json.js";
import { cedarSchema } from "./schema.js";
import { validatePolicies, type ValidationMemory } from "./validate.js";

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

/**
 * Analysis, emission and (with `validate`, as `symbic build` does) strict validation by
 * cedar-wasm. `at`: where validation failures without a DSL range of their own are reported
 * (the agent's name). `symbic check` skips the validation: a failure there is a compiler bug,
 * not a property of the program, and the build still validates every policy set.
 */
export function compileCedar(
  input: AnalyzeInput,
  at: Span,
  opts: { validate: boolean; validationMemory?: ValidationMemory },
): CedarCompilation {
  const { model, diagnostics } = analyzeAgentPolicies(input);
  if (hasErrors(diagnostics)) return { model, diagnostics, validationMillis: 0 };
  const emitted = emitPolicies(model);
  const context = buildContextModel(model, input.catalog);
  const schema = cedarSchema(context);
  const v = opts.validate
    ? validatePolicies(
        [...emitted.main, ...emitted.approval],
        schema,
        { file: input.file, span: at },
        opts.validationMemory,
      )
    : { diagnostics: [], millis: 0 };
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
