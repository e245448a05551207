/**
 * Document formatting through the formatter itself (compiler/format: prettier with our plugin,
 * the house style, and its own check that the output is the same program). The result is sent
 * as one edit covering only the changed middle of the file (common prefix and suffix kept), so
 * the editor keeps cursors and folds outside it.
 */
import type { TextEdit } from "vscode-languageserver";
import { formatText } from "../../compiler/format/index.js";
import type { SourceDocument } from "../core/document.js";
import { offsetRange } from "../core/positions.js";

export type FormatResult = { edits: TextEdit[] } | { error: string };

export async function formatDocument(doc: SourceDocument): Promise<FormatResult> {
  const outcome = await formatText(doc.text, doc.uri);
  if (!outcome.ok) {
    const first = outcome.diagnostics[0];
    const where = first ? ` (${first.code} at ${first.span.line}:${first.span.col}: ${first.message})` : "";
    return {
      error:
        outcome.reason === "syntax"
          ? `not formatted: the file has syntax errors${where}`
          : `not formatted: the formatter failed${where}`,
    };
  }
  if (!outcome.changed) return { edits: [] };
  return { edits: [minimalEdit(doc, outcome.output)] };
}

/** One edit replacing only what differs between the document and `next`. */
export function minimalEdit(doc: SourceDocument, next: string): TextEdit {
  const a = doc.text;
  let start = 0;
  const max = Math.min(a.length, next.length);
  while (start < max && a.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = next.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === next.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  // Never split a surrogate pair or a \r\n.
  while (start > 0 && (isLow(a.charCodeAt(start)) || (a.charCodeAt(start) === 10 && a.charCodeAt(start - 1) === 13)))
    start--;
  while (
    endA < a.length &&
    (isLow(a.charCodeAt(endA)) || (a.charCodeAt(endA) === 10 && a.charCodeAt(endA - 1) === 13))
  ) {
    endA++;
    endB++;
  }
  return { range: offsetRange(doc.lineMap, start, endA), newText: next.slice(start, endB) };
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
