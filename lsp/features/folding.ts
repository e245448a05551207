/**
 * Folding ranges from the token stream rather than the AST: matching `{}` / `[]` / `()` pairs
 * that span lines, and runs of two or more whole-line comments. Working on tokens keeps folding
 * stable while the file does not parse (an unclosed brace folds nothing, the rest still folds).
 */
import { FoldingRangeKind, type FoldingRange } from "vscode-languageserver";
import type { SourceDocument } from "../core/document.js";

const OPEN: Record<string, string> = { "{": "}", "[": "]", "(": ")" };

export function foldingRanges(doc: SourceDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  const stack: Array<{ close: string; line: number }> = [];
  const seenStart = new Set<number>();
  for (const t of doc.tokens) {
    const img = t.image;
    if (img.length !== 1) continue;
    const close = OPEN[img];
    if (close) {
      stack.push({ close, line: t.startLine! - 1 });
      continue;
    }
    if (img === "}" || img === "]" || img === ")") {
      // Tolerate mismatches: pop to the nearest opener of this kind, if any.
      let i = stack.length - 1;
      while (i >= 0 && stack[i]!.close !== img) i--;
      if (i < 0) continue;
      const open = stack[i]!;
      stack.length = i;
      const endLine = t.startLine! - 2; // keep the closing line visible
      if (endLine > open.line && !seenStart.has(open.line)) {
        seenStart.add(open.line);
        out.push({ startLine: open.line, endLine });
      }
    }
  }
  // Comment runs: consecutive lines that hold only a comment.
  let runStart = -1;
  let runEnd = -1;
  const flush = () => {
    if (runStart >= 0 && runEnd > runStart)
      out.push({ startLine: runStart, endLine: runEnd, kind: FoldingRangeKind.Comment });
    runStart = runEnd = -1;
  };
  for (const c of doc.comments) {
    const line = c.startLine! - 1;
    const lineStart = doc.lineMap.lineStarts[line] ?? 0;
    const ownLine = doc.text.slice(lineStart, c.startOffset).trim() === "";
    if (!ownLine) {
      flush();
      continue;
    }
    if (runStart >= 0 && line === runEnd + 1) runEnd = line;
    else {
      flush();
      runStart = runEnd = line;
    }
  }
  flush();
  return out.sort((a, b) => a.startLine - b.startLine);
}
