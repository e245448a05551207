/**
 * Policy enforcement mode (`[security] policy_enforcement_mode`), applied where the runtime acts
 * on a decision — the tool call, the governed builtins, a peer's `receive` — never inside the
 * gate, which decides the same way in every mode:
 *
 *   strict    (default) a denial stops the action: PolicyDenied, the action never runs.
 *   log_only  a rollout mode the operator alone can choose (operator file or environment): a
 *             would-be denial is recorded as such (`enforced: false` on its decision record) and
 *             announced on stderr, and the action runs. Every record of such a run carries
 *             `enforcement: "log_only"`, and run_start says who chose the mode.
 *
 * Approvals are not affected: a call that needs a person's approval still needs it, and a
 * refused approval still stops the call.
 */
import type { GateDecision } from "../gate/gate.js";
import type { AuditDetails, AuditSink } from "./audit-sink.js";

export type EnforcementMode = "strict" | "log_only";

export interface EnforcementSetting {
  mode: EnforcementMode;
  /** Where the mode was set (e.g. "operator file /etc/symbi/symbi.toml:12:1"). */
  source: string;
}

export class Enforcement {
  constructor(
    readonly setting: EnforcementSetting,
    private readonly announce: (message: string) => void,
  ) {}

  get logOnly(): boolean {
    return this.setting.mode === "log_only";
  }

  /**
   * Whether a decision that denies stops the action. In log_only mode: no — the would-be denial
   * is announced (the caller's decision record carries `decisionFields`).
   */
  stops(d: GateDecision, action: string, agent: string): boolean {
    if (!this.logOnly) return true;
    const rule = d.rules[0] ?? (d.error ? "gate-error" : "default-deny");
    this.announce(
      `log_only: \`${action}\` of agent \`${agent}\` would be denied (${rule}: ${d.reason}); it runs because policy enforcement is log_only (${this.setting.source})`,
    );
    return false;
  }

  /** Fields for a decision record: in log_only mode, whether a denial was enforced (never). */
  decisionFields(d: GateDecision, denies: boolean): AuditDetails {
    return this.logOnly && denies ? { enforced: false } : {};
  }
}

/** The strict mode with nowhere to announce (it never announces). */
export const STRICT = new Enforcement({ mode: "strict", source: "default" }, () => {});

/** In log_only mode every record of the run says so. */
export class LogOnlySink implements AuditSink {
  constructor(private readonly inner: AuditSink) {}
  get enabled(): boolean {
    return this.inner.enabled;
  }
  emit(type: string, details: AuditDetails): void {
    this.inner.emit(type, { ...details, enforcement: "log_only" });
  }
}
