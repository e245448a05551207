/**
 * Where a run's audit events go: the signed, hash-chained log of runtime/audit when
 * `--audit-log` is given, nowhere otherwise. A failed append ends the run (FatalError
 * "AuditError"): the runtime never goes on acting without a record of it.
 *
 * Events (DESIGN §9; required fields checked by runtime/audit/events.ts):
 *   run_start  bundle, source, inputs hash, sandbox tier, timeout, approval mode
 *   decision   action, decision, rules (DSL rule ids), locations, reason, args
 *   approval   action, approved, approver, answer, rules
 *   tool_start tool, argv, sandbox, image (and imageId / imageDigest when known)
 *   tool_end   tool, exitCode, durationMs, outputSha256, stdout/stderr sizes, truncation, timeout
 *   net_connect / net_close   a tool's network attempt through the egress relay (runtime/egress)
 *   error      message, kind, location
 *   log        level, message, location (from `log` / `print`)
 *   run_end    status (ok | error | denied | timeout), durationMs, steps, result hash
 */
import { AuditError } from "../audit/errors.js";
import type { JsonValue } from "../../formats/json.js";
import type { AuditLog } from "../audit/writer.js";
import { FatalError } from "../interpreter/errors.js";

export type AuditDetails = { [key: string]: JsonValue | undefined };

export interface AuditSink {
  readonly enabled: boolean;
  emit(type: string, details: AuditDetails): void;
}

/** Drops `undefined` fields (the log stores JSON only). */
function clean(d: AuditDetails): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(d)) if (v !== undefined) out[k] = v;
  return out;
}

export class LogSink implements AuditSink {
  readonly enabled = true;
  constructor(
    private readonly log: AuditLog,
    readonly runId: string,
    readonly agent: string,
  ) {}

  emit(type: string, details: AuditDetails): void {
    try {
      this.log.append({ run: this.runId, agent: this.agent, type, details: clean(details) as never });
    } catch (e) {
      if (e instanceof AuditError)
        throw new FatalError("AuditError", `cannot write the audit log: ${e.message}`, undefined, { cause: e });
      throw e;
    }
  }
}

/** No `--audit-log`: events are not recorded. */
export const NO_AUDIT: AuditSink = { enabled: false, emit: () => {} };
