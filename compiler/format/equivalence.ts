/**
 * "Same program" checks between a source and its formatted text: the ASTs must be equal
 * ignoring positions, comment attachment and optional commas (the things formatting may
 * change), and the comments must be the same texts in the same order. The CLI runs these on
 * every file it formats (a formatter bug then leaves the file untouched instead of changing its
 * meaning), and the tests run them on the corpus and on generated programs.
 */
import type * as A from "../../grammar/ast.js";

/** Properties that formatting may legitimately change. */
const IGNORED = new Set(["span", "leadingComments", "trailingComments", "innerComments", "comments", "comma"]);

/**
 * The first difference between two ASTs as `path: detail`, or undefined when they are equal.
 * Iterative, so that deeply nested input cannot overflow the stack.
 */
export function astDifference(a: A.Node, b: A.Node): string | undefined {
  const stack: Array<[unknown, unknown, string]> = [[a, b, a.kind]];
  while (stack.length > 0) {
    const [x, y, path] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) {
      if (typeof x === "number" && typeof y === "number" && Number.isNaN(x) && Number.isNaN(y)) continue;
      return `${path}: ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`;
    }
    if (Array.isArray(x) !== Array.isArray(y)) return `${path}: array vs non-array`;
    if (Array.isArray(x)) {
      const ya = y as unknown[];
      if (x.length !== ya.length) return `${path}: ${x.length} elements ≠ ${ya.length}`;
      for (let i = x.length - 1; i >= 0; i--) stack.push([x[i], ya[i], `${path}[${i}]`]);
      continue;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const keys = new Set([...Object.keys(xo), ...Object.keys(yo)]);
    const label = typeof xo["kind"] === "string" ? `${path}` : path;
    for (const k of keys) {
      if (IGNORED.has(k)) continue;
      stack.push([xo[k], yo[k], `${label}.${k}`]);
    }
  }
  return undefined;
}

/** Comment text as it must survive formatting (the formatter trims trailing whitespace). */
function commentText(c: A.Comment): string {
  return c.text.trimEnd();
}

/** The first difference between two comment lists (count, then text in order), or undefined. */
export function commentDifference(before: readonly A.Comment[], after: readonly A.Comment[]): string | undefined {
  const n = Math.min(before.length, after.length);
  for (let i = 0; i < n; i++) {
    if (commentText(before[i]!) !== commentText(after[i]!)) {
      return `comment ${i + 1} (line ${before[i]!.span.line}) changed: ${JSON.stringify(before[i]!.text)} became ${JSON.stringify(after[i]!.text)}`;
    }
  }
  if (before.length !== after.length) return `${before.length} comments became ${after.length}`;
  return undefined;
}
