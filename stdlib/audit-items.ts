/**
 * What a run's audit log always holds, by the names `include_*` audit settings use. The checker
 * reads it (asking for one is true of every audited run; asking to leave one out is E0311:
 * compiler/check/settings-schema.ts) and so does the runtime (these are not contents to filter:
 * runtime/exec/audit-requirements.ts). Declared once here for both.
 */
export const RECORDED_ITEMS = [
  "policy_decisions",
  "blocked_actions",
  "all_tool_calls",
  "tool_calls",
  "approval_chain",
  "signatures",
  "step_timing",
  "latency",
  "failure_trace",
  "metadata",
] as const;

/** `include_<item>` for an item the log always records. */
export const INCLUDE_RECORDED_ITEM = new RegExp(`^include_(${RECORDED_ITEMS.join("|")})$`);
