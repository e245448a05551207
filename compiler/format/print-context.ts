/**
 * What every print function receives, and the list/body helpers shared by declarations,
 * statements and expressions.
 */
import type { AstPath, Doc, ParserOptions } from "prettier";
import { breakParent, group, hardline, indent, line, lineSuffix, lineSuffixBoundary } from "./doc-builders.js";
import {
  HEADER,
  danglingComments,
  hasTrailingComment,
  locEnd,
  printDangling,
  type PComment,
  type PNode,
} from "./comments.js";
import { isNextLineEmpty, startsOwnLine } from "./source-text.js";

export type Print = (selector?: string | number | Array<string | number> | AstPath, args?: unknown) => Doc;

/** Options a parent passes down through `print(selector, args)`. */
export interface PrintArgs {
  /** The block's `{` follows a space or line break the parent printed (`with` headers). */
  bare?: boolean;
  /**
   * The node is followed by a line break (or by a separator such as `,` and a line break), so
   * its trailing comments may wait for the end of the line; otherwise they end the line at once
   * (see comments.ts).
   */
  defer?: boolean;
  /**
   * Collects the node's trailing comments instead of printing them: a statement prints the
   * comments of its last part (before the `;`) together with its own, after the `;`.
   */
  hoist?: PComment[];
}

export const DEFER: PrintArgs = { defer: true };

export interface Ctx {
  path: AstPath<PNode>;
  options: ParserOptions<PNode>;
  print: Print;
  /** Trailing comments hoisted from a child (see `PrintArgs.hoist`), printed with the node's own. */
  hoisted?: PComment[];
}

/** How blank lines between the elements of a one-per-line list are treated. */
export type BlankLines = "keep" | "always";

/**
 * Prints the list `key` of the current node one element per line. `blank: "keep"` keeps one
 * blank line where the source had one or more; `"always"` puts one between every two elements.
 * `suffix` (e.g. the `,` after declarative entries) is appended to the elements it applies to.
 */
export function printLines(ctx: Ctx, key: string, blank: BlankLines, suffix?: (node: PNode) => Doc): Doc[] {
  const { path, print, options } = ctx;
  const list = (path.node as unknown as Record<string, PNode[]>)[key]!;
  const parts: Doc[] = [];
  path.each((p, i) => {
    const node = p.node as PNode;
    parts.push(print(undefined, DEFER));
    if (suffix) parts.push(suffix(node));
    if (i < list.length - 1) {
      parts.push(hardline);
      if (blank === "always" || isNextLineEmpty(options.originalText, locEnd(node))) parts.push(hardline);
    }
  }, key as never);
  return parts;
}

/** How a body with nothing in it prints: `{}`, or `{` and `}` on two lines (the reference's style for declarations). */
export type EmptyBody = "inline" | "open";

/**
 * What separates a header from what follows on its line (` {`, ` else`): a space, or a line
 * break when a trailing comment of the header is still pending, so that the comment ends its
 * line before the `{` instead of sliding into the body (where it would attach differently on
 * the next run). The boundary makes the group not fit exactly when a comment is pending.
 */
export function headerSpace(): Doc {
  // The boundary after the line: it makes the group break when a comment is pending, and the
  // line break itself then ends the comment's line (so there is no second line break).
  return group([line, lineSuffixBoundary]);
}

/**
 * A braced body: `{`, the lines indented, `}`, preceded by `headerSpace()` unless `bare` (when
 * the caller has already put the space or line break before it).
 */
export function printBody(lines: Doc[], dangling: Doc[], empty: EmptyBody, bare = false): Doc {
  const open: Doc = bare ? lineSuffixBoundary : headerSpace();
  if (lines.length === 0 && dangling.length === 0) return [open, empty === "inline" ? "{}" : ["{", hardline, "}"]];
  const inner: Doc[] =
    dangling.length === 0 ? lines : lines.length === 0 ? dangling : [...dangling, hardline, ...lines];
  return [open, "{", indent([hardline, ...inner]), hardline, "}"];
}

/** A body whose dangling comments carry `marker` (see comments.ts). */
export function printBodyOf(
  ctx: Ctx,
  key: string,
  blank: BlankLines,
  empty: EmptyBody,
  marker?: string,
  suffix?: (node: PNode) => Doc,
): Doc {
  return printBody(printLines(ctx, key, blank, suffix), printDangling(ctx.path.node, ctx.options, marker), empty);
}

/**
 * The child `key`, then `separator` (` = `, ` in `, ` => `…). When the child has a trailing
 * comment, the comment ends the line and the separator starts the next one (without the space a
 * plain concatenation would leave at the start of that line).
 */
export function childThen(ctx: Ctx, key: string | [string, number], separator: string): Doc[] {
  const rec = ctx.path.node as unknown as Record<string, unknown>;
  const child = (Array.isArray(key) ? (rec[key[0]] as unknown[])[key[1]] : rec[key]) as PNode;
  if (hasTrailingComment(child)) return [ctx.print(key, DEFER), headerSpace(), separator.trimStart()];
  return [ctx.print(key), separator];
}

/**
 * Comments between a header and its body that belong to neither (an agent's or function's after
 * its `)`, a bare `with` or `try` before its `{`): they end the header line, and the body's
 * `headerSpace` then puts the `{` on the next line.
 */
export function printHeaderComments(ctx: Ctx): Doc {
  const list = danglingComments(ctx.path.node, HEADER);
  if (list.length === 0) return "";
  const parts: Doc[] = [];
  for (const c of list) {
    c.printed = true;
    parts.push(
      parts.length > 0 || startsOwnLine(ctx.options.originalText, c.span.start) ? hardline : " ",
      c.text.trimEnd(),
    );
  }
  return [lineSuffixBoundary, lineSuffix(parts), breakParent];
}

/** The text of a leaf node (identifier, literal, `_`), or undefined for other nodes. */
export function leafText(node: PNode): string | undefined {
  switch (node.kind) {
    case "Identifier":
      return node.name;
    case "String":
    case "Number":
    case "Duration":
    case "Vault":
      return node.raw;
    case "Bool":
      return node.value ? "true" : "false";
    case "WildcardPattern":
      return "_";
    default:
      return undefined;
  }
}
