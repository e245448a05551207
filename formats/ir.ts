/**
 * The agent's code for the interpreter (docs/bundle.md "agent.ir.json", IR v1): the agent's AST,
 * the project's top-level functions and types (names resolve across the project's files), spans
 * kept (runtime errors point at DSL lines) and comments removed. Each function and type carries
 * `file`, the project-relative file its spans point into. Key order follows the parser's node
 * construction, so the text is stable.
 */
import type { AgentDef, FunctionDef, Program, TypeDef } from "../grammar/ast.js";

export const IR_FORMAT = "symbi-ir/v1";

export interface AgentIR {
  format: typeof IR_FORMAT;
  agent: AgentDef;
  functions: Array<FunctionDef & { file: string }>;
  types: Array<TypeDef & { file: string }>;
  sourceFile: string;
}

const COMMENT_KEYS = new Set(["leadingComments", "trailingComments", "innerComments"]);

/** A deep copy without comments. */
export function stripComments<T>(node: T): T {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v === null || typeof v !== "object") return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!COMMENT_KEYS.has(k)) out[k] = copy(x);
    return out;
  };
  return copy(node) as T;
}

/** `programs`: every file of the project (in a stable order), the agent's among them. */
export function agentIR(
  agent: AgentDef,
  sourceFile: string,
  programs: ReadonlyArray<{ file: string; program: Program }>,
): AgentIR {
  const functions: AgentIR["functions"] = [];
  const types: AgentIR["types"] = [];
  for (const { file, program } of programs) {
    for (const it of program.items) {
      if (it.kind === "Function") functions.push({ ...stripComments(it), file });
      else if (it.kind === "TypeDef") types.push({ ...stripComments(it), file });
    }
  }
  return { format: IR_FORMAT, agent: stripComments(agent), functions, types, sourceFile };
}
