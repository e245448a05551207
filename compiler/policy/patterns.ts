/**
 * Action patterns (the expression after `allow:` / `deny:` / `require: X for`), DESIGN §5:
 *
 *   read(file)              the action `read`; `file` binds its first argument
 *   read(any) / read(_)     any argument
 *   invoke("check")         a literal argument: the argument must equal it
 *   read(path = p)          a named argument
 *   "write_output"          one action by name
 *   ["a", "b"]              several actions by name
 *   all_operations          every action; any other bare name is an action group or an action
 *
 * This module reads the syntax only; resolve.ts matches patterns against the action catalog.
 */
import type { Expr, Span } from "../../grammar/ast.js";

export type Scalar = string | number | boolean;

export type ArgPattern =
  | { kind: "binder"; name: string; span: Span }
  | { kind: "wildcard"; span: Span }
  | { kind: "literal"; value: Scalar; span: Span };

export interface PatternArg {
  /** Positional index, or undefined for a named argument. */
  position?: number;
  name?: string;
  pattern: ArgPattern;
}

export type ParsedActionPattern =
  | { kind: "call"; action: string; actionSpan: Span; args: PatternArg[]; span: Span }
  | { kind: "names"; names: Array<{ name: string; span: Span }>; span: Span }
  | { kind: "name"; name: string; span: Span };

export interface PatternError {
  message: string;
  span: Span;
  help?: string;
}

export const WILDCARDS: ReadonlySet<string> = new Set(["any", "_"]);

/** A literal in a pattern or guard position: strings, integers, booleans, durations (as ms), negated integers. */
export function patternLiteral(e: Expr): Scalar | undefined {
  switch (e.kind) {
    case "String":
      return e.value;
    case "Number":
      return e.isFloat ? undefined : e.value;
    case "Bool":
      return e.value;
    case "Duration":
      return e.millis;
    case "Unary":
      if (e.op === "-" && e.operand.kind === "Number" && !e.operand.isFloat) return -e.operand.value;
      return undefined;
    case "Paren":
      return patternLiteral(e.expr);
    default:
      return undefined;
  }
}

function argPattern(e: Expr): ArgPattern | PatternError {
  if (e.kind === "Identifier")
    return WILDCARDS.has(e.name) ? { kind: "wildcard", span: e.span } : { kind: "binder", name: e.name, span: e.span };
  const lit = patternLiteral(e);
  if (lit !== undefined) return { kind: "literal", value: lit, span: e.span };
  return {
    message: "an action argument must be a name (binder), `any`/`_`, or a literal",
    span: e.span,
    help: "bind the argument to a name and constrain it in the guard: `read(f) if f == ...`",
  };
}

export function analyzeActionPattern(
  e: Expr,
): { ok: true; pattern: ParsedActionPattern } | { ok: false; error: PatternError } {
  if (e.kind === "Paren") return analyzeActionPattern(e.expr);
  if (e.kind === "Identifier") return { ok: true, pattern: { kind: "name", name: e.name, span: e.span } };
  if (e.kind === "String")
    return { ok: true, pattern: { kind: "names", names: [{ name: e.value, span: e.span }], span: e.span } };
  if (e.kind === "Array") {
    const names: Array<{ name: string; span: Span }> = [];
    for (const el of e.elements) {
      if (el.kind !== "String") {
        return {
          ok: false,
          error: {
            message: "a list of actions must contain only action names in quotes",
            span: el.span,
            help: 'write `["read", "write"]`',
          },
        };
      }
      names.push({ name: el.value, span: el.span });
    }
    if (names.length === 0)
      return {
        ok: false,
        error: { message: "an empty list of actions matches nothing", span: e.span, help: "name at least one action" },
      };
    return { ok: true, pattern: { kind: "names", names, span: e.span } };
  }
  if (e.kind === "Call" && e.callee.kind === "Identifier") {
    const args: PatternArg[] = [];
    let position = 0;
    const seen = new Set<string>();
    for (const a of e.args) {
      if (a.kind === "NamedArg") {
        const p = argPattern(a.value);
        if ("message" in p) return { ok: false, error: p };
        if (seen.has(a.name.name))
          return { ok: false, error: { message: `argument \`${a.name.name}\` is named twice`, span: a.span } };
        seen.add(a.name.name);
        args.push({ name: a.name.name, pattern: p });
      } else {
        const p = argPattern(a);
        if ("message" in p) return { ok: false, error: p };
        args.push({ position: position++, pattern: p });
      }
    }
    const binders = new Set<string>();
    for (const a of args) {
      if (a.pattern.kind !== "binder") continue;
      if (binders.has(a.pattern.name)) {
        return {
          ok: false,
          error: {
            message: `\`${a.pattern.name}\` binds two arguments`,
            span: a.pattern.span,
            help: "give each argument its own name, or use `_`",
          },
        };
      }
      binders.add(a.pattern.name);
    }
    return {
      ok: true,
      pattern: { kind: "call", action: e.callee.name, actionSpan: e.callee.span, args, span: e.span },
    };
  }
  return {
    ok: false,
    error: {
      message: "this is not an action pattern",
      span: e.span,
      help: 'write a call `read(file)`, an action name `"read"`, a list `["read", "write"]`, or an action group such as `all_operations`',
    },
  };
}
