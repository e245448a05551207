/**
 * The prettier parser ("symbiont"): our one parser (grammar/), with syntax errors turned into the
 * error shape prettier reports with a code frame (`SyntaxError` with `loc.start.{line,column}`,
 * 1-based columns as prettier's own parsers give them).
 */
import type { Parser } from "prettier";
import { parseText, type Comment, type Program } from "../../grammar/index.js";
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
    this.loc = {
      start: { line: first.span.line, column: first.span.col },
      end: { line: first.span.endLine, column: first.span.endCol },
    };
  }
}

/**
 * Trees the plugin parsed while `formatText` waits for them (keyed by the exact text), so that its
 * self-check need not parse the source a second time. Only filled while some call is recording.
 */
const recentlyParsed = new Map<string, { program: Program; comments: Comment[] }>();
let recording = 0;

/** Runs `body` while recording parsed trees; `take(text)` then returns the tree parsed for `text`. */
export async function recordingParses<T>(
  body: (take: (text: string) => { program: Program; comments: Comment[] } | undefined) => Promise<T>,
): Promise<T> {
  recording++;
  const seen: string[] = [];
  try {
    return await body((text) => {
      seen.push(text);
      return recentlyParsed.get(text);
    });
  } finally {
    recording--;
    for (const t of seen) recentlyParsed.delete(t);
    if (recording === 0) recentlyParsed.clear();
  }
}

export function parseSymbiont(text: string, options?: { filepath?: string }): PNode {
  const result = parseText(text, options?.filepath ?? "<input>");
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new SymbiontSyntaxError(errors);
  for (const c of result.program.comments) (c as PComment).value = c.text;
  // prettier deletes `Program.comments` when it attaches them: keep the list.
  if (recording > 0) recentlyParsed.set(text, { program: result.program, comments: result.program.comments.slice() });
  return result.program as PNode;
}

export const parser: Parser<PNode> = {
  parse: (text, options) => parseSymbiont(text, options as { filepath?: string }),
  astFormat: "symbiont-ast",
  locStart,
  locEnd,
};
