/**
 * The outcome of one policy case, decided by the shipping gate (runtime/gate) through the same
 * sequence `symbi exec` uses for a call (runtime/exec/tool-call.ts decideToolCall: the tool's
 * action, `invoke_tool` when policies name it, approval). Nothing here evaluates a policy.
 *
 *   outcome   when
 *   deny      a decision refused the call (strict enforcement), or the approval was refused
 *   approval  a person must approve and the case gives no answer (`approve` absent)
 *   allow     allowed, or approval required and given (`approve = true`)
 */
import { DEFAULT_DENY, type GateDecision, type PolicyGate } from "../runtime/gate/gate.js";
import { decideToolCall } from "../runtime/exec/tool-call.js";
import type { Expectation } from "./file.js";
import type { CallSpec } from "./resolve.js";

export interface Outcome {
  outcome: Expectation;
  /** The rules that decided the outcome (never empty: `default-deny` when nothing allowed). */
  rules: string[];
  /** Their DSL locations (project-relative `file:line:col`; "" when none). */
  locations: string[];
  reason: string;
  /** The gate decisions made, in order. */
  decisions: Array<{ action: string; decision: GateDecision }>;
}

export function decideCall(gate: PolicyGate, call: CallSpec, approve: boolean | undefined): Outcome {
  if (call.kind === "action") {
    const d = gate.decide({ action: call.action, args: call.args, ...(call.facts ? { facts: call.facts } : {}) });
    return answered(d, d.decision === "require_approval" ? "approval" : d.decision, approve, [
      { action: call.action, decision: d },
    ]);
  }
  if (!call.inBundle) {
    // The bundle carries no contract for the tool: `symbi exec` denies the call by default.
    const reason = `no policy can allow \`${call.action}\`: the bundle carries no contract for it (default deny)`;
    const d: GateDecision = { decision: "deny", rules: [DEFAULT_DENY], locations: [""], reason };
    return { outcome: "deny", rules: d.rules, locations: d.locations, reason, decisions: [] };
  }
  const r = decideToolCall(
    gate,
    call.contract,
    call.validated,
    {
      ...(call.facts ? { facts: call.facts } : {}),
      checkInvokeTool: call.checkInvokeTool,
      invokeToolAllowList: call.invokeToolAllowList,
      requirements: call.requirements,
    },
    (step) => step.refuses,
  );
  const decisions = r.steps.map((s) => ({ action: s.action, decision: s.decision }));
  if (r.refusedBy) {
    const d = r.refusedBy.decision;
    return { outcome: "deny", rules: d.rules, locations: d.locations, reason: d.reason, decisions };
  }
  if (r.approval) {
    const d: GateDecision = {
      ...r.decision,
      decision: "require_approval",
      rules: r.approval.rules,
      locations: r.decision.decision === "require_approval" ? r.decision.locations : r.approval.rules.map(() => ""),
      reason: r.approval.reason,
    };
    return answered(d, "approval", approve, decisions);
  }
  const d = r.decision;
  return { outcome: "allow", rules: d.rules, locations: d.locations, reason: d.reason, decisions };
}

/** One case's outcome and how long deciding it took (ms). */
export interface Decided {
  out: Outcome;
  ms: number;
}

/** decideCall, timed: what every thread that decides `symbic test`'s cases records per case. */
export function decideTimed(gate: PolicyGate, call: CallSpec, approve: boolean | undefined): Decided {
  const t0 = performance.now();
  const out = decideCall(gate, call, approve);
  return { out, ms: performance.now() - t0 };
}

function answered(
  d: GateDecision,
  raw: Expectation,
  approve: boolean | undefined,
  decisions: Outcome["decisions"],
): Outcome {
  let outcome = raw;
  let reason = d.reason;
  if (raw === "approval" && approve !== undefined) {
    outcome = approve ? "allow" : "deny";
    reason = `${d.reason}; the test ${approve ? "approves" : "refuses"}`;
  }
  return { outcome, rules: d.rules, locations: d.locations, reason, decisions };
}
