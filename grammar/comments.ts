/**
 * Attaches comments to AST nodes. For each comment, the innermost node that encloses it is
 * found; the comment then becomes a trailing comment of the preceding sibling when it sits on
 * that sibling's last line, a leading comment of the following sibling otherwise, a trailing
 * comment of the preceding sibling at the end of a container, and an inner comment of the
 * container when it has no children at all. A comment that follows an opening `{` on the same
 * line (`agent a { // note`) belongs to what comes after the brace, not to what precedes it. `Program.comments` keeps the full ordered list.
 */
import type { Comment, Node, Program } from "./ast.js";
import { childrenOf } from "./visit.js";

function push(node: Node, key: "leadingComments" | "trailingComments" | "innerComments", c: Comment): void {
  const n = node as unknown as Record<string, Comment[] | undefined>;
  (n[key] ??= []).push(c);
}

/** Index of the first child that ends after `offset` (children are in source order, disjoint). */
function firstEndingAfter(children: readonly Node[], offset: number): number {
  let lo = 0;
  let hi = children.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (children[mid]!.span.end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether `text[from, to)` holds a `{` (without cutting the slice out). */
function hasOpenBrace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 123) return true;
  return false;
}

/** Attaches `comments` (default: all of the program's) to the nodes of `program`. */
export function attachComments(program: Program, text: string, comments: readonly Comment[] = program.comments): void {
  // The children of each container, listed once: consecutive comments descend through the same
  // containers (attaching adds comment fields only, never children).
  const childLists = new Map<Node, readonly Node[]>();
  for (const c of comments) {
    let container: Node = program;
    let prev: Node | undefined;
    let next: Node | undefined;
    for (;;) {
      let children: readonly Node[] | undefined = container === program ? program.items : childLists.get(container);
      if (children === undefined) childLists.set(container, (children = childrenOf(container)));
      const i = firstEndingAfter(children, c.span.start);
      prev = i > 0 ? children[i - 1] : undefined;
      const candidate: Node | undefined = children[i];
      if (candidate && candidate.span.start <= c.span.start && c.span.end <= candidate.span.end) {
        container = candidate;
        continue;
      }
      next = candidate && candidate.span.start >= c.span.end ? candidate : undefined;
      break;
    }
    const afterOpenBrace = prev !== undefined && hasOpenBrace(text, prev.span.end, c.span.start);
    if (prev && prev.span.endLine === c.span.line && !afterOpenBrace) push(prev, "trailingComments", c);
    else if (next) push(next, "leadingComments", c);
    else if (prev) push(prev, "trailingComments", c);
    else push(container, "innerComments", c);
  }
}
