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
 * Recursive (the parser bounds nesting, MAX_NESTING); the path is only built on a difference.
 * A property whose value is `undefined` counts as absent.
 */
export function astDifference(a: A.Node, b: A.Node): string | undefined {
  const found = diff(a, b);
  if (!found) return undefined;
  const detail = found.shift()!;
  return `${a.kind}${found.reverse().join("")}: ${detail}`;
}

/** The difference as [detail, ...path segments from the innermost outwards], or undefined. */
function diff(x: unknown, y: unknown): string[] | undefined {
  if (x === y) return undefined;
  if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) {
    if (typeof x === "number" && typeof y === "number" && Number.isNaN(x) && Number.isNaN(y)) return undefined;
    return [`${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`];
  }
  if (Array.isArray(x)) {
    if (!Array.isArray(y)) return ["array vs non-array"];
    if (x.length !== y.length) return [`${x.length} elements ≠ ${y.length}`];
    for (let i = 0; i < x.length; i++) {
      const d = diff(x[i], y[i]);
      if (d) {
        d.push(`[${i}]`);
        return d;
      }
    }
    return undefined;
  }
  if (Array.isArray(y)) return ["non-array vs array"];
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  let count = 0;
  for (const k in xo) {
    if (IGNORED.has(k) || xo[k] === undefined) continue;
    count++;
    const d = diff(xo[k], yo[k]);
    if (d) {
      d.push(`.${k}`);
      return d;
    }
  }
  for (const k in yo) {
    if (IGNORED.has(k) || yo[k] === undefined) continue;
    if (--count < 0) return [`.${k} only in the second tree`];
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
