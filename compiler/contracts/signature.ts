/**
 * What a contract means for callers: the kind of value each argument carries after validation
 * (for the type checker and the Cedar context schema) and the JSON Schema of what a call returns.
 */
import type { BuiltinArgType, ToolContract } from "./model.js";

export type ArgValueKind = "string" | "integer" | "number" | "boolean";

/**
 * The JavaScript kind of a validated argument value (runtime/tools/validate.ts returns these):
 * ports and integers are integers, durations are whole seconds, everything textual is a string.
 */
export function argValueKind(base: BuiltinArgType): ArgValueKind {
  switch (base) {
    case "integer":
    case "port":
    case "duration":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      return "string";
  }
}

/** Fields every evidence envelope has (runtime/tools/output.ts builds it; `error` is added on failure). */
export const ENVELOPE_FIELDS = [
  "status",
  "tool",
  "argv",
  "duration_ms",
  "exit_code",
  "output_hash",
  "results",
  "schema_warnings",
] as const;

/**
 * The JSON Schema of the value a call returns: the parsed result (`[output.schema]`, or any value
 * when absent), wrapped in the evidence envelope when `[output] envelope = true` (the default).
 */
export function returnSchema(contract: ToolContract): Record<string, unknown> {
  const results = contract.output.schema ?? {};
  if (!contract.output.envelope) return results;
  return {
    type: "object",
    properties: {
      status: { type: "string", enum: ["success", "error"] },
      tool: { type: "string" },
      argv: { type: "array", items: { type: "string" } },
      duration_ms: { type: "integer" },
      exit_code: { type: "integer" },
      output_hash: { type: "string" },
      results,
      schema_warnings: { type: "array", items: { type: "string" } },
      error: { type: "string" },
    },
    required: [...ENVELOPE_FIELDS],
  };
}
