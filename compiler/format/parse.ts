/**
 * The prettier parser ("symbiont"): our one parser (grammar/), with syntax errors turned into the
 * error shape prettier reports with a code frame (`SyntaxError` with `loc.start.{line,column}`,
 * 1-based columns as prettier's own parsers give them).
 */
import type { Parser } from "prettier";
import { parseText } from "../../grammar/index.js";
import type { Diagnostic } from "../diagnostics/model.js";
import { locEnd, locStart, type PComment, type PNode } from "./comments.js";

/** The error thrown for a file with syntax errors; carries every error diagnostic. */
export class SymbiontSyntaxError extends SyntaxError {
  readonly loc: { start: { line: number; column: number }; end: { line: number; column: number } };
  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics[0]!;
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
    super(`${first.message} [${first.code}]${more} (${first.span.line}:${first.span.col})`);
    this.name = "SyntaxError";
    this.loc = { start: { line: first.span.line, column: first.span.col }, end: { line: first.span.endLine, column: first.span.endCol } };
  }
}

export function parseSymbiont(text: string, options?: { filepath?: string }): PNode {
  const result = parseText(text, options?.filepath ?? "<input>");
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new SymbiontSyntaxError(errors);
  for (const c of result.program.comments) (c as PComment).value = c.text;
  return result.program as PNode;
}

export const parser: Parser<PNode> = {
  parse: (text, options) => parseSymbiont(text, options as { filepath?: string }),
  astFormat: "symbiont-ast",
  locStart,
  locEnd,
};
