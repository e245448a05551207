/**
 * What the runtime records (DESIGN §9) and the minimum each event must say. The writer checks
 * these fields when appending, so an audit trail can never silently lack, say, the rule behind a
 * decision or the output hash of a tool run. Extra fields are allowed everywhere.
 */
import type { JsonObject, JsonValue } from "../../formats/json.js";

type Extra = { [key: string]: JsonValue | undefined };

export type RunStartDetails = Extra;

export interface RunEndDetails extends Extra {
  /** How the run ended, e.g. "ok", "error", "denied", "timeout". */
  status: string;
}

export interface DecisionDetails extends Extra {
  /** The action (tool or capability) that was gated. */
  action: string;
  decision: "allow" | "deny" | "require_approval";
  /** Ids of the DSL rules (Cedar policy ids mapped back to the DSL) that produced the decision; empty for the default deny. */
  rules: string[];
}

export interface ApprovalDetails extends Extra {
  action: string;
  approved: boolean;
}

export interface ToolStartDetails extends Extra {
  tool: string;
}

export interface ToolEndDetails extends Extra {
  tool: string;
  /** Process exit code; null when the tool was killed (timeout, signal). */
  exitCode: number | null;
  durationMs: number;
  /** Hex SHA-256 of the tool's raw output (see sha256Hex). */
  outputSha256: string;
}

export interface ErrorDetails extends Extra {
  message: string;
}

/** One call of a model (`llm_call`, or an iteration of `reason`). */
export interface ModelCallDetails extends Extra {
  provider: string;
  model: string;
  /** Hex SHA-256 of the canonical JSON of the provider-neutral request. */
  requestSha256: string;
}

/** A function call the model proposed in a reasoning loop (its decision follows as a `decision`). */
export interface ModelProposalDetails extends Extra {
  function: string;
  callId: string;
}

/** What the model was told about a proposed call. */
export interface ModelToolResultDetails extends Extra {
  function: string;
  status: string;
}

export interface ReasonEndDetails extends Extra {
  termination_reason: string;
}

export interface EventDetailsByType {
  run_start: RunStartDetails;
  run_end: RunEndDetails;
  decision: DecisionDetails;
  approval: ApprovalDetails;
  tool_start: ToolStartDetails;
  tool_end: ToolEndDetails;
  error: ErrorDetails;
  model_call: ModelCallDetails;
  model_proposal: ModelProposalDetails;
  model_tool_result: ModelToolResultDetails;
  reason_end: ReasonEndDetails;
}

export type DetailsFor<T extends string> = T extends keyof EventDetailsByType ? EventDetailsByType[T] : JsonObject;

/** An event handed to `AuditLog.append`. `type` is one of the runtime events or another snake_case name. */
export interface AuditEvent<T extends string = string> {
  run: string;
  agent: string | null;
  type: T;
  details: DetailsFor<T>;
}

const str = (v: unknown) => typeof v === "string";
const HEX64 = /^[0-9a-f]{64}$/;

const REQUIRED: Record<keyof EventDetailsByType, [field: string, ok: (v: unknown) => boolean, expected: string][]> = {
  run_start: [],
  run_end: [["status", str, "a string"]],
  decision: [
    ["action", str, "a string"],
    [
      "decision",
      (v) => v === "allow" || v === "deny" || v === "require_approval",
      `"allow", "deny" or "require_approval"`,
    ],
    ["rules", (v) => Array.isArray(v) && v.every(str), "an array of rule ids"],
  ],
  approval: [
    ["action", str, "a string"],
    ["approved", (v) => typeof v === "boolean", "a boolean"],
  ],
  tool_start: [["tool", str, "a string"]],
  tool_end: [
    ["tool", str, "a string"],
    ["exitCode", (v) => v === null || Number.isInteger(v), "an integer or null"],
    ["durationMs", (v) => typeof v === "number" && Number.isFinite(v) && v >= 0, "a non-negative number"],
    ["outputSha256", (v) => typeof v === "string" && HEX64.test(v), "64 lowercase hex digits"],
  ],
  error: [["message", str, "a string"]],
  model_call: [
    ["provider", str, "a string"],
    ["model", str, "a string"],
    ["requestSha256", (v) => typeof v === "string" && HEX64.test(v), "64 lowercase hex digits"],
  ],
  model_proposal: [
    ["function", str, "a string"],
    ["callId", str, "a string"],
  ],
  model_tool_result: [
    ["function", str, "a string"],
    ["status", str, "a string"],
  ],
  reason_end: [["termination_reason", str, "a string"]],
};

/** Returns what is missing or wrong in the details of a runtime event, or null. Other types are not checked. */
export function detailsProblem(type: string, details: Record<string, unknown>): string | null {
  if (!Object.hasOwn(REQUIRED, type)) return null;
  const rules = REQUIRED[type as keyof EventDetailsByType];
  for (const [field, ok, expected] of rules) {
    if (!ok(details[field])) return `${type} details.${field} must be ${expected}`;
  }
  return null;
}
