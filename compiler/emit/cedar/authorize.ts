/**
 * Deciding requests with cedar-wasm against a compiled agent: the policy sets and schema are
 * parsed once (`preparsePolicySet` / `preparseSchema`) and each decision is a
 * `statefulIsAuthorized` call. Used by the faithfulness test, the benchmark and `symbic` itself;
 * the runtime's gate (runtime/gate) applies the same rules:
 *
 * - allowed iff Cedar says allow and no policy failed to evaluate (Cedar skips a policy whose
 *   evaluation errors, which for a forbid would fail open — so any error denies);
 * - an allowed request needs approval when a policy of the approval set applies, or when the
 *   approval set fails to evaluate (fail closed);
 * - a request that cannot be built (request.ts) is denied.
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { SchemaJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { PolicyRequest } from "../../policy/evaluate.js";
import type { PoliciesJson } from "./policies-json.js";
import { cedarRequest } from "./request.js";

export interface CedarDecision {
  decision: "allow" | "deny";
  approval: boolean;
  /** Ids of the policies that determined the main decision (Cedar's `reason`). */
  reasons: string[];
  /** Ids of approval policies that applied. */
  approvals: string[];
  /** Evaluation errors (policy id: message), or why the request could not be built. */
  errors: string[];
}

let counter = 0;

export class CedarAuthorizer {
  private readonly mainId: string;
  private readonly approvalId: string | undefined;
  private readonly schemaId: string;

  constructor(
    readonly info: PoliciesJson,
    policies: Record<string, string>,
    approvals: Record<string, string>,
    schema: SchemaJson<string>,
  ) {
    const n = ++counter;
    this.mainId = `symbic-main-${process.pid}-${n}`;
    this.schemaId = `symbic-schema-${process.pid}-${n}`;
    const s = cedar.preparseSchema(this.schemaId, schema);
    if (s.type === "failure")
      throw new Error(`Cedar schema does not parse: ${s.errors.map((e) => e.message).join("; ")}`);
    const m = cedar.preparsePolicySet(this.mainId, { staticPolicies: policies });
    if (m.type === "failure")
      throw new Error(`policy set does not parse: ${m.errors.map((e) => e.message).join("; ")}`);
    if (Object.keys(approvals).length > 0) {
      this.approvalId = `symbic-approval-${process.pid}-${n}`;
      const a = cedar.preparsePolicySet(this.approvalId, { staticPolicies: approvals });
      if (a.type === "failure")
        throw new Error(`approval set does not parse: ${a.errors.map((e) => e.message).join("; ")}`);
    }
  }

  authorize(req: PolicyRequest): CedarDecision {
    const out: CedarDecision = { decision: "deny", approval: false, reasons: [], approvals: [], errors: [] };
    const built = cedarRequest(this.info, req);
    if ("error" in built) {
      out.errors.push(built.error);
      return out;
    }
    const call = { ...built, entities: [], preparsedSchemaName: this.schemaId, validateRequest: true };
    const main = cedar.statefulIsAuthorized({ ...call, preparsedPolicySetId: this.mainId } as never);
    if (main.type === "failure") {
      out.errors.push(...main.errors.map((e) => e.message));
      return out;
    }
    out.reasons = [...main.response.diagnostics.reason].sort();
    out.errors = main.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
    out.decision = main.response.decision === "allow" && out.errors.length === 0 ? "allow" : "deny";
    if (out.decision === "allow" && this.approvalId) {
      const ap = cedar.statefulIsAuthorized({ ...call, preparsedPolicySetId: this.approvalId } as never);
      if (ap.type === "failure") out.approval = true;
      else {
        out.approvals = [...ap.response.diagnostics.reason].sort();
        out.approval = ap.response.decision === "allow" || ap.response.diagnostics.errors.length > 0;
      }
    }
    return out;
  }
}
