/**
 * Selection ranges ("expand selection"): from the innermost node at each position outwards
 * through its ancestors in the tree, skipping ancestors with the same extent.
 */
import type { SelectionRange } from "vscode-languageserver";
import type { SourceDocument } from "../core/document.js";
import { spanToRange } from "../core/positions.js";

export function selectionRanges(doc: SourceDocument, offsets: number[]): SelectionRange[] {
  return offsets.map((offset) => {
    let range: SelectionRange | undefined;
    let last: { start: number; end: number } | undefined;
    for (const n of doc.pathAt(offset)) {
      if (last && n.span.start === last.start && n.span.end === last.end) continue;
      last = n.span;
      range = range ? { range: spanToRange(n.span), parent: range } : { range: spanToRange(n.span) };
    }
    // Innermost first: the path was walked outermost first, so reverse the chain.
    let reversed: SelectionRange | undefined;
    const chain: SelectionRange[] = [];
    for (let r = range; r; r = r.parent) chain.push(r);
    for (let i = chain.length - 1; i >= 0; i--)
      reversed = reversed ? { range: chain[i]!.range, parent: reversed } : { range: chain[i]!.range };
    const pos = spanToRange(doc.lineMap.span(offset, offset));
    return reversed ?? { range: pos };
  });
}
