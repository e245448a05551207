/**
 * Diagnostics of a file that does not parse. Error recovery leaves holes in the tree — a
 * statement the parser had to cut short, a `let` it could not finish — and names, types and flow
 * checked around those holes produce errors and warnings that are artefacts, not findings. They
 * are kept out, and only they:
 *
 * - every checker diagnostic inside a *broken entry* — the innermost statement, policy rule,
 *   agent member or top-level item that contains a syntax error — is dropped (the syntax error
 *   speaks for it);
 * - in a *broken body* (a function, `with` block, lambda or agent containing a syntax error),
 *   the diagnostics that depend on seeing the whole body are dropped too: "may end without
 *   returning" (E0210), "used before its definition" (E0105), "not in scope here" (E0106),
 *   "unused variable" (W0100) and "unreachable code" (W0203).
 *
 * Everything else — the errors and warnings of the statements, rules, members and items that
 * parse — is reported as usual, so warnings do not flicker away while a line is being typed.
 */
import type { Node, Program } from "../../grammar/ast.js";
import { walk } from "../../grammar/visit.js";
import type { Diagnostic } from "../diagnostics/model.js";

/** Node kinds that are one entry of a list: a syntax error inside one silences the checker there. */
const ENTRY_KINDS = new Set<Node["kind"]>([
  "Let",
  "Assign",
  "Return",
  "If",
  "For",
  "Match",
  "Try",
  "ExprStmt",
  "PolicyRule",
  "Capabilities",
  "Policy",
  "Function",
  "With",
  "WithAttribute",
  "Agent",
  "TypeDef",
  "Metadata",
  "Schedule",
  "Channel",
  "Memory",
  "Webhook",
  "Property",
]);

/** Bodies whose completeness some diagnostics depend on. */
const BODY_KINDS = new Set<Node["kind"]>(["Function", "With", "Lambda", "Agent"]);

/** Diagnostics that are only true of a body the checker saw whole. */
const WHOLE_BODY_CODES = new Set(["E0210", "E0105", "E0106", "W0100", "W0203"]);

/**
 * Syntax errors after which the parser recovered, leaving holes. Not: a file too large (E0004),
 * not UTF-8 (E0002), or nested too deep (E0005) — their trees hold no recovery artefacts.
 */
export function isRecoveryError(code: string): boolean {
  return code !== "E0002" && code !== "E0004" && code !== "E0005";
}

interface Range {
  start: number;
  end: number;
}

const inside = (offset: number, r: Range) => r.start <= offset && offset <= r.end;

/** `checked` without the recovery artefacts around `syntaxErrors` (errors of the parse of `program`). */
export function withoutRecoveryArtefacts(
  program: Program,
  syntaxErrors: readonly Diagnostic[],
  checked: readonly Diagnostic[],
): Diagnostic[] {
  if (syntaxErrors.length === 0 || checked.length === 0) return [...checked];
  const offsets = syntaxErrors.map((d) => d.span.start);
  const entries: Range[] = [];
  const bodies: Range[] = [];
  // Entries without an error right below one with an error: when the error lies between them
  // (a rule being typed in a policy), their own diagnostics stand.
  const clean: Range[] = [];
  walk(program, (n) => {
    const hit = offsets.some((o) => inside(o, n.span));
    if (!hit) {
      if (ENTRY_KINDS.has(n.kind)) clean.push(n.span);
      return false; // no error below this node
    }
    if (ENTRY_KINDS.has(n.kind)) entries.push(n.span);
    if (BODY_KINDS.has(n.kind)) bodies.push(n.span);
    return true;
  });
  // The innermost entry around each error: entries are found outermost first.
  const broken: Range[] = [];
  for (const o of offsets) {
    let best: Range | undefined;
    for (const e of entries) if (inside(o, e) && (!best || e.end - e.start <= best.end - best.start)) best = e;
    if (best) broken.push(best);
  }
  return checked.filter((d) => {
    const at = d.span.start;
    if (broken.some((r) => inside(at, r)) && !clean.some((r) => inside(at, r))) return false;
    if (WHOLE_BODY_CODES.has(d.code) && bodies.some((r) => inside(at, r))) return false;
    return true;
  });
}
