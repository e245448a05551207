/**
 * Conversions between our source positions and the protocol's. Our spans carry 1-based lines
 * and columns counted in UTF-16 code units (grammar/span.ts); LSP positions are 0-based with
 * UTF-16 character offsets, so the conversion is a subtraction. Both count `\n`, `\r\n` and a
 * lone `\r` as line breaks, so lines agree.
 */
import type { Position, Range } from "vscode-languageserver";
import type { LineMap, Span } from "../../grammar/span.js";

export function spanToRange(span: Span): Range {
  return {
    start: { line: Math.max(0, span.line - 1), character: Math.max(0, span.col - 1) },
    end: { line: Math.max(0, span.endLine - 1), character: Math.max(0, span.endCol - 1) },
  };
}

/** The offset of an LSP position in a text (clamped to the line, as the protocol asks). */
export function offsetAt(map: LineMap, pos: Position): number {
  const starts = map.lineStarts;
  if (pos.line < 0) return 0;
  if (pos.line >= starts.length) return map.text.length;
  const lineStart = starts[pos.line]!;
  const next = pos.line + 1 < starts.length ? starts[pos.line + 1]! : map.text.length;
  // The line's end excludes its terminator.
  let lineEnd = next;
  while (lineEnd > lineStart && (map.text.charCodeAt(lineEnd - 1) === 10 || map.text.charCodeAt(lineEnd - 1) === 13))
    lineEnd--;
  return Math.min(lineStart + Math.max(0, pos.character), lineEnd);
}

export function positionAt(map: LineMap, offset: number): Position {
  const p = map.position(offset);
  return { line: p.line - 1, character: p.col - 1 };
}

export function offsetRange(map: LineMap, start: number, end: number): Range {
  return { start: positionAt(map, start), end: positionAt(map, end) };
}

/** Whether `offset` lies within `span`, end included (a cursor just after a name is on it). */
export function spanContains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
