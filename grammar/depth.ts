/**
 * Bounds the depth of the AST. The parser's own recursion is limited (MAX_NESTING), but long
 * operator chains (`a + a + … + a`), postfix chains (`a.b.c…`) and prefix chains (`!!!…x`) are
 * parsed iteratively and can still build very deep trees. Every later pass (checker, formatter,
 * interpreter, JSON output) may recurse over the tree, so a subtree deeper than MAX_AST_DEPTH is
 * replaced by an Error node and reported once (E0005). Runs only when the parser saw a long chain.
 */
import type { ErrorNode, Node, Program } from "./ast.js";
import { VISITOR_KEYS } from "./visit.js";

export const MAX_AST_DEPTH = 1000;

/** Returns the node that was cut first, if any. */
export function limitDepth(program: Program): Node | undefined {
  let first: Node | undefined;
  const stack: Array<[Node, number]> = [[program, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    const rec = node as unknown as Record<string, unknown>;
    for (const key of VISITOR_KEYS[node.kind]) {
      const v = rec[key];
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const child = v[i] as Node;
          if (depth + 1 >= MAX_AST_DEPTH) {
            first ??= child;
            v[i] = cut(child);
          } else stack.push([child, depth + 1]);
        }
      } else if (v && typeof v === "object") {
        const child = v as Node;
        if (depth + 1 >= MAX_AST_DEPTH) {
          first ??= child;
          rec[key] = cut(child);
        } else stack.push([child, depth + 1]);
      }
    }
  }
  return first;
}

function cut(node: Node): ErrorNode {
  return { kind: "Error", span: node.span };
}
