/**
 * Comment handling for the prettier printer. Prettier finds, for each comment, the enclosing node
 * and the nodes just before and after it; `handleComments` below then decides the attachment
 * itself (leading, trailing or dangling) so that formatting is stable and no comment moves into
 * another construct:
 *
 * - Nodes with several regions (an agent's name, parameters, return type and members; a callee
 *   and its arguments; a policy's name and rules…) are split by delimiter, so a comment after
 *   `{` never trails the name and one inside `( )` never leads the first member.
 * - A comment inside an empty list (`f( // c )`, `policy p { // c }`) stays inside it
 *   (dangling, printed between the delimiters).
 * - A comment between a header and its body that belongs to neither (after an agent's or
 *   function's `)`, after a bare `with` or `try`) is a *header* comment, ending the header line.
 * - A comment on its own line leads the next node only where that node starts a line (a
 *   statement, a rule, a list element); elsewhere it trails the previous node, and once one
 *   comment of a gap leads the next node, the later ones of that gap do too (order is kept).
 * - A comment before `else` / `catch` trails the block before it.
 * - A comment in a node that prints no list (`return // c ;`) trails that node.
 *
 * The printer prints attached comments itself (`printAttachedComments`, instead of prettier's
 * printComments) because a line comment must end its output line and must not move past code:
 * prettier defers a trailing comment to the end of the line (`lineSuffix`), so two comments of
 * one output line would merge into one, and a comment deferred past more code re-attaches
 * elsewhere on the next run. Here a trailing comment waits for the end of the line only where
 * its node is followed by a line break anyway (`defer`); otherwise the line ends right after it.
 * Every comment is printed exactly once (prettier checks it); count and order never change.
 */
import { util, type AstPath, type Doc, type ParserOptions } from "prettier";
import type * as A from "../../grammar/ast.js";
import { isNextLineEmpty, isPreviousLineEmpty, nextSignificant, startsOwnLine } from "./source-text.js";
import { breakParent, hardline, lineSuffix, lineSuffixBoundary } from "./doc-builders.js";

/** A comment as prettier decorates it during attachment. */
export interface PComment extends A.Comment {
  /** prettier reads `value` in its "comment was not printed" error. */
  value: string;
  leading?: boolean;
  trailing?: boolean;
  printed?: boolean;
  marker?: string;
  placement?: "ownLine" | "endOfLine" | "remaining";
  enclosingNode?: A.Node;
  precedingNode?: A.Node;
  followingNode?: A.Node;
}

/** An AST node as the printer sees it: prettier stores attached comments in `comments`. */
export type PNode = A.Node & { comments?: PComment[] };

export const locStart = (node: { span: { start: number } }): number => node.span.start;
export const locEnd = (node: { span: { end: number } }): number => node.span.end;

export function canAttachComment(node: unknown): boolean {
  const kind = (node as { kind?: string }).kind;
  return typeof kind === "string" && kind !== "Comment";
}

export function printComment(path: AstPath<PComment>): Doc {
  // Trailing whitespace inside a comment is noise (and the doc printer trims it at line ends
  // anyway); trimming here keeps a final comment without a newline consistent too.
  return path.node.text.trimEnd();
}

/** Markers for dangling comments that belong to one of several places inside a node. */
export const HEADER = "header";
export const PARAMS = "params";
export const BODY = "body";

/** Lists whose elements the printer starts on their own line when they carry a leading comment. */
const LINE_START_LISTS: Partial<Record<A.NodeKind, readonly string[]>> = {
  Program: ["items"],
  Metadata: ["entries"],
  Agent: ["params", "members"],
  Policy: ["rules"],
  Function: ["params"],
  With: ["attributes"],
  StructType: ["fields"],
  Schedule: ["entries"],
  Channel: ["members"],
  DataClassification: ["rules"],
  Memory: ["members"],
  Webhook: ["members"],
  SubBlock: ["entries"],
  Block: ["statements", "tail"],
  Match: ["arms"],
  Call: ["args"],
  TypeLiteral: ["fields"],
  Record: ["fields"],
  Array: ["elements"],
  ConstructorPattern: ["args"],
};

function isLineStart(node: A.Node, parent: A.Node): boolean {
  const keys = LINE_START_LISTS[parent.kind];
  if (!keys) return false;
  const rec = parent as unknown as Record<string, unknown>;
  for (const k of keys) {
    const v = rec[k];
    if (v === node || (Array.isArray(v) && v.includes(node))) return true;
  }
  return false;
}

/** Node kinds whose printer prints their dangling comments (between their delimiters). */
const PRINTS_DANGLING = new Set<A.NodeKind>([
  "Program",
  "Metadata",
  "StructType",
  "DataClassification",
  "SubBlock",
  "Block",
  "Record",
  "Array",
]);

/**
 * Nodes with a header child before a delimited list (`name {`, `callee(`): the header, the list,
 * the delimiter that opens the list, and characters the scan may skip before it.
 */
function headedList(node: A.Node): { header: A.Node; list: readonly A.Node[]; open: string } | undefined {
  switch (node.kind) {
    case "Policy":
      return { header: node.name, list: node.rules, open: "{" };
    case "Schedule":
      return { header: node.name, list: node.entries, open: "{" };
    case "Channel":
    case "Memory":
    case "Webhook":
      return { header: node.name, list: node.members, open: "{" };
    case "Match":
      return { header: node.scrutinee, list: node.arms, open: "{" };
    case "Call":
      return { header: node.callee, list: node.args, open: "(" };
    case "TypeLiteral":
      return { header: node.typeName, list: node.fields, open: "{" };
    case "ConstructorPattern":
      return { header: node.name, list: node.args, open: "(" };
    default:
      return undefined;
  }
}

/** The elements of `list` just before and just after offset `at`. */
function neighbours(list: readonly A.Node[], at: number): { prev?: A.Node; next?: A.Node } {
  let prev: A.Node | undefined;
  let next: A.Node | undefined;
  for (const n of list) {
    if (n.span.end <= at) prev = n;
    else if (n.span.start >= at) {
      next = n;
      break;
    }
  }
  return { prev, next };
}

/**
 * Where prettier's generic choice needs help, the attachment for a comment, as the container,
 * the preceding and following node *within the comment's region*, and (for an empty list or a
 * header) a dangling marker. Regions matter for nodes with several parts: in `agent a(x: int)
 * { … }` a comment after `{` must not trail the last parameter, and one after `)` belongs to the
 * header, not to the first member.
 */
interface Placement {
  prev?: A.Node;
  next?: A.Node;
  /** For "empty list" comments: the marker of the list (printed between its delimiters). */
  dangling?: string;
  /** Whether `next` starts its own line when it has a leading comment. */
  nextStartsLine: boolean;
}

function place(comment: PComment, enclosing: A.Node, text: string): Placement {
  const at = comment.span.start;
  const generic = (): Placement => {
    const next = comment.followingNode;
    return { prev: comment.precedingNode, next, nextStartsLine: next !== undefined && isLineStart(next, enclosing) };
  };
  const inList = (list: readonly A.Node[], marker: string): Placement => {
    const { prev, next } = neighbours(list, at);
    return prev || next ? { prev, next, nextStartsLine: true } : { dangling: marker, nextStartsLine: false };
  };

  if (enclosing.kind === "Agent" || enclosing.kind === "Function") {
    const name = enclosing.name;
    const params = enclosing.params;
    let close = -1;
    if (params) {
      const open = nextSignificant(text, name.span.end);
      if (at < open) return { prev: name, nextStartsLine: false };
      const last = params[params.length - 1];
      close = nextSignificant(text, last ? last.span.end : open + 1, ",");
      if (at < close) return inList(params, PARAMS);
    }
    // Between the parameters (or the name) and the return type: printed after `->`.
    const returnType = enclosing.returnType;
    if (returnType && at < returnType.span.start) return { next: returnType, nextStartsLine: false };
    if (enclosing.kind === "Function") return { dangling: HEADER, nextStartsLine: false };
    const brace = nextSignificant(text, returnType ? returnType.span.end : params ? close + 1 : name.span.end);
    if (at < brace)
      return params || returnType ? { dangling: HEADER, nextStartsLine: false } : { prev: name, nextStartsLine: false };
    return inList(enclosing.members, "members");
  }
  // A bare `with` or `try` and its block: the comment belongs to the header line.
  if (
    (enclosing.kind === "With" || enclosing.kind === "Try") &&
    !comment.precedingNode &&
    comment.followingNode?.kind === "Block"
  ) {
    return { dangling: HEADER, nextStartsLine: false };
  }
  const headed = headedList(enclosing);
  if (headed && at > headed.header.span.start) {
    const open = nextSignificant(text, headed.header.span.end);
    if (at < open || text[open] !== headed.open) return { prev: headed.header, nextStartsLine: false };
    return inList(headed.list, BODY);
  }
  return generic();
}

/**
 * Gaps (between a preceding and a following node) in which a comment already became a leading
 * comment of the following node: later comments of that gap must follow it there, or the
 * order of comments would change.
 */
const leadingGaps = new WeakMap<A.Node, A.Node | null>();

function handle(comment: PComment, text: string): boolean {
  const enclosing = comment.enclosingNode as PNode | undefined;
  if (!enclosing) return false;
  const p = place(comment, enclosing, text);
  if (p.dangling !== undefined) {
    util.addDanglingComment(enclosing, comment, p.dangling);
    return true;
  }
  const { prev, next } = p;
  if (prev && next) {
    const beforeElse = (enclosing.kind === "If" || enclosing.kind === "IfExpr") && next === enclosing.else;
    const lead =
      !beforeElse &&
      ((leadingGaps.has(next) && leadingGaps.get(next) === prev) ||
        (comment.placement === "ownLine" && p.nextStartsLine));
    if (lead) {
      leadingGaps.set(next, prev);
      util.addLeadingComment(next, comment);
    } else {
      util.addTrailingComment(prev, comment);
    }
    return true;
  }
  if (prev) {
    util.addTrailingComment(prev, comment);
    return true;
  }
  if (next) {
    util.addLeadingComment(next, comment);
    return true;
  }
  if (PRINTS_DANGLING.has(enclosing.kind)) util.addDanglingComment(enclosing, comment, undefined);
  else util.addTrailingComment(enclosing, comment);
  return true;
}

export const handleComments = {
  ownLine: (comment: PComment, text: string) => handle(comment, text),
  endOfLine: (comment: PComment, text: string) => handle(comment, text),
  remaining: (comment: PComment, text: string) => handle(comment, text),
};

/** The dangling comments of the current node with `marker` (any marker when undefined). */
export function danglingComments(node: PNode, marker?: string): PComment[] {
  const out: PComment[] = [];
  if (!node.comments) return out;
  for (const c of node.comments) {
    if (!c.leading && !c.trailing && (marker === undefined || c.marker === marker)) out.push(c);
  }
  return out;
}

/**
 * Dangling comments one per line (keeping one blank line where the source had blank lines
 * between them), marked printed. Empty array when there are none.
 */
export function printDangling(node: PNode, options: ParserOptions, marker?: string): Doc[] {
  const list = danglingComments(node, marker);
  const parts: Doc[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    c.printed = true;
    if (i > 0) {
      parts.push(hardline);
      if (isPreviousLineEmpty(options.originalText, c.span.start)) parts.push(hardline);
    }
    parts.push(c.text.trimEnd());
  }
  return parts;
}

export function hasComments(node: PNode): boolean {
  return node.comments !== undefined && node.comments.length > 0;
}

export function hasTrailingComment(node: PNode): boolean {
  return node.comments !== undefined && node.comments.some((c) => c.trailing);
}

export function hasLeadingComment(node: PNode): boolean {
  return node.comments !== undefined && node.comments.some((c) => c.leading);
}

/**
 * A node's doc with its leading and trailing comments around it (dangling ones are printed by the
 * node). Leading comments go on their own lines before the node. Trailing comments follow the
 * node on its line; when `defer` (the node is followed by a line break anyway) they wait for the
 * end of the line, so `a, // c` keeps its comma first; otherwise the line ends right after them,
 * so a comment never moves past code that followed it (`a.b // c` + newline + `.d`), which keeps
 * its attachment, and so the layout, the same on the next run.
 */
export function printAttachedComments(
  node: PNode,
  doc: Doc,
  text: string,
  how: { defer: boolean; hoist?: PComment[] | undefined; hoisted?: PComment[] | undefined },
): Doc {
  const comments = how.hoisted?.length ? [...how.hoisted, ...(node.comments ?? [])] : node.comments;
  if (comments === undefined || comments.length === 0) return doc;
  const leading: Doc[] = [];
  const trailing: Doc[] = [];
  for (const c of comments) {
    if (c.trailing && how.hoist) {
      how.hoist.push(c);
    } else if (c.leading) {
      c.printed = true;
      leading.push(c.text.trimEnd(), hardline);
      if (isNextLineEmpty(text, c.span.end)) leading.push(hardline);
    } else if (c.trailing) {
      c.printed = true;
      if (trailing.length > 0 || startsOwnLine(text, c.span.start)) {
        trailing.push(hardline);
        if (isPreviousLineEmpty(text, c.span.start)) trailing.push(hardline);
      } else {
        trailing.push(" ");
      }
      trailing.push(c.text.trimEnd());
    }
  }
  if (leading.length === 0 && trailing.length === 0) return doc;
  return [
    leading.length ? [lineSuffixBoundary, ...leading] : "",
    doc,
    trailing.length ? [lineSuffixBoundary, lineSuffix(trailing), breakParent, how.defer ? "" : lineSuffixBoundary] : "",
  ];
}
