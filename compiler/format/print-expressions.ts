/**
 * Expressions. Tokens are printed as written (string, number and duration `raw` text, user
 * parentheses, `=`/`:` of named arguments), so the printed program parses to the same tree;
 * only line breaks, spaces and optional commas change.
 *
 * Breaking, when a line would exceed the width:
 * - calls: all arguments on their own lines, except that a trailing record/array argument is
 *   "hugged" (`f(a, {` … `})`) when the head fits;
 * - records and type literals: one field per line; a record the source wrote with a line break
 *   after `{` stays expanded when it is a statement's value (or nested in such a record, or the
 *   hugged last argument of such a call), so hand-expanded records are not collapsed;
 * - arrays: one element per line; an array of two or more records is always expanded;
 * - binary operators: a chain of one precedence level breaks after each operator, continuation
 *   lines indented (not inside parentheses, which indent already).
 */
import type { Doc } from "prettier";
import type * as A from "../../grammar/ast.js";
import {
  conditionalGroup,
  group,
  hardline,
  ifBreak,
  indent,
  join,
  line,
  lineSuffixBoundary,
  softline,
  willBreak,
} from "./doc-builders.js";
import { hasComments, locEnd, printDangling, type PNode } from "./comments.js";
import { DEFER, childThen, leafText, type Ctx } from "./print-context.js";
import { hasNewlineBetween, isNextLineEmpty, nextSignificant } from "./source-text.js";

/** Binary operator precedence levels (LANGUAGE.md §1.2), loosest first. */
const PRECEDENCE: Record<A.BinaryOp, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  in: 3,
  "<": 4,
  ">": 4,
  "<=": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

/** Member names that would glue onto an integer object into a duration token (`30.seconds`). */
const DURATION_MEMBER = /^(seconds|minutes|hours)/;

export function printExpression(ctx: Ctx, node: A.Expr | A.NamedArg | A.RecordField): Doc {
  const { print } = ctx;
  switch (node.kind) {
    case "Identifier":
    case "String":
    case "Number":
    case "Duration":
    case "Vault":
    case "Bool":
      return leafText(node)!;
    case "Binary":
      return printBinary(ctx);
    case "Unary":
      return [node.op, node.op === "not" ? " " : "", print("operand")];
    case "Member":
      return [print("object"), needsSpaceBeforeDot(node) ? " ." : ".", print("property")];
    case "Index":
      return [print("object"), "[", print("index"), "]"];
    case "Call":
      return printCall(ctx, node);
    case "NamedArg":
      return [...childThen(ctx, "name", node.separator === ":" ? ": " : " = "), print("value")];
    case "Record":
      return printFields(ctx, node, node.span.start);
    case "TypeLiteral":
      return [
        print("typeName"),
        " ",
        printFields(ctx, node, nextSignificant(ctx.options.originalText, node.typeName.span.end)),
      ];
    case "RecordField":
      return [print("key"), ": ", print("value")];
    case "Array":
      return printArray(ctx, node);
    case "Lambda":
      return node.style === "arrow"
        ? [...childThen(ctx, ["params", 0], " => "), print("body")]
        : ["|", join(", ", ctx.path.map(print, "params")), "| ", print("body")];
    case "Paren":
      // Broken, the content goes on its own indented lines: `(` … `)`.
      return group(["(", indent([softline, print("expr")]), softline, ")"]);
    case "Setting":
      return [...childThen(ctx, "name", " = "), print("value")];
    case "IfExpr":
      throw new Error("IfExpr is printed by the statement printer");
    case "Error":
      throw new Error("cannot format a tree with syntax errors");
  }
}

/**
 * `vault://a/b .c`: the vault token swallows dots, so a member access on a vault reference needs
 * the space the source had; likewise `30 .seconds`, which without the space is a duration.
 */
function needsSpaceBeforeDot(node: A.MemberExpr): boolean {
  const o = node.object;
  return o.kind === "Vault" || (o.kind === "Number" && DURATION_MEMBER.test(node.property.name));
}

/**
 * The operands and operators of a left-nested chain of one precedence level, flattened. Every
 * operand but the chain's last is followed by its operator and a line break opportunity, so its
 * trailing comments may wait for it (`a && // c`).
 */
function binaryParts(ctx: Ctx, last: boolean): Doc[] {
  const { path, print } = ctx;
  const node = path.node as A.BinaryExpr;
  const left = node.left as PNode;
  const parts: Doc[] =
    left.kind === "Binary" && PRECEDENCE[left.op] === PRECEDENCE[node.op] && !hasComments(left)
      ? path.call(() => binaryParts(ctx, false), "left")
      : [print("left", DEFER)];
  parts.push(" ", node.op, line, print("right", last ? undefined : DEFER));
  return parts;
}

function printBinary(ctx: Ctx): Doc {
  const parts = binaryParts(ctx, true);
  // Directly inside parentheses the operands line up under the first one: the parentheses
  // already indent them (`(` newline, operands, newline `)`).
  const inParens = (ctx.path.parent as A.Node | null)?.kind === "Paren";
  return group(inParens ? parts : [parts[0]!, indent(parts.slice(1))]);
}

/**
 * A last argument that may open on the call's line and close on the last line (`f(a, {` … `})`):
 * a record, a call with two or more arguments (`log("INFO", format(` … `))`), or an array that
 * breaks anyway (of records). A plain array or a one-argument call reads better on a line of its
 * own than broken open.
 */
function isHuggable(node: A.Expr | A.NamedArg): boolean {
  switch (node.kind) {
    case "Record":
    case "TypeLiteral":
      return node.fields.length > 0;
    case "Call":
      return node.args.length > 1;
    case "Array":
      return isRecordArray(node);
    default:
      return false;
  }
}

/** Whether a call is printed with its last argument hugged when it does not fit on one line. */
function hugsLastArgument(node: A.CallExpr): boolean {
  const args = node.args as PNode[];
  const last = args[args.length - 1];
  return (
    last !== undefined &&
    isHuggable(last as A.Expr) &&
    !hasComments(last) &&
    args.slice(0, -1).every((a) => !isHuggable(a as A.Expr) && !hasComments(a))
  );
}

/**
 * Whether a record keeps the expansion its source had. Only where no enclosing group decides its
 * layout by width: there a record broken by width on the first run would be a forced break on
 * the second, and an enclosing group measures forced breaks differently ("fits up to the first
 * line break"), which could change its layout and make formatting unstable. So: a statement's
 * value, a metadata value, a policy rule's action, a field of such a record, or the hugged last
 * argument of such a call.
 */
function mayKeepExpansion(ctx: Ctx): boolean {
  const { path } = ctx;
  let child = path.node as A.Node;
  for (let level = 0; ; level++) {
    const parent = path.getParentNode(level) as A.Node | null;
    if (!parent) return false;
    switch (parent.kind) {
      case "Let":
      case "Assign":
      case "Return":
      case "ExprStmt":
      case "Property":
        return true;
      case "PolicyRule":
        return child === parent.action;
      case "RecordField":
      case "Record":
      case "TypeLiteral":
        break;
      case "Call":
        if (child !== parent.args[parent.args.length - 1] || !hugsLastArgument(parent)) return false;
        break;
      default:
        return false;
    }
    child = parent;
  }
}

function isRecordArray(node: A.ArrayExpr): boolean {
  return (
    node.elements.length > 1 &&
    node.elements.every((e) => (e.kind === "Record" || e.kind === "TypeLiteral") && e.fields.length > 0)
  );
}

/** `,` + line between list elements, plus a kept blank line (only visible when the list breaks). */
function separated(ctx: Ctx, key: string): Doc[] {
  const { path, print, options } = ctx;
  const list = (path.node as unknown as Record<string, PNode[]>)[key]!;
  const parts: Doc[] = [];
  path.each((p, i) => {
    parts.push(print(undefined, DEFER));
    if (i < list.length - 1) {
      parts.push(",", line);
      if (isNextLineEmpty(options.originalText, locEnd(p.node as PNode))) parts.push(softline);
    }
  }, key as never);
  return parts;
}

function printCall(ctx: Ctx, node: A.CallExpr): Doc {
  const { path, print, options } = ctx;
  const callee = print("callee");
  if (node.args.length === 0) {
    const dangling = printDangling(path.node, options, "body");
    return dangling.length ? [callee, "(", indent([hardline, ...dangling]), hardline, ")"] : [callee, "()"];
  }
  const broken = (shouldBreak: boolean) =>
    group(["(", indent([softline, ...separated(ctx, "args")]), softline, ")"], { shouldBreak });
  if (!hugsLastArgument(node)) return [callee, broken(false)];

  const printed = path.map(print, "args");
  const head = printed.slice(0, -1);
  if (head.some(willBreak)) return [callee, broken(true)];
  const lastDoc = printed[printed.length - 1]!;
  const headDoc = head.length ? [join(", ", head), ", "] : [];
  return [
    callee,
    conditionalGroup([
      ["(", ...headDoc, lastDoc, ")"],
      ["(", ...headDoc, group(lastDoc, { shouldBreak: true }), ")"],
      broken(false),
    ]),
  ];
}

/**
 * `{ a: 1, b: 2 }` or one field per line. `open` is the offset of the `{`: a line break between
 * it and the first field in the source keeps the record expanded.
 */
function printFields(ctx: Ctx, node: A.RecordExpr | A.TypeLiteral, open: number): Doc {
  const { options, path } = ctx;
  if (node.fields.length === 0) {
    const dangling = printDangling(path.node, options, node.kind === "TypeLiteral" ? "body" : undefined);
    return dangling.length ? [lineSuffixBoundary, "{", indent([hardline, ...dangling]), hardline, "}"] : "{}";
  }
  const shouldBreak =
    open >= 0 && hasNewlineBetween(options.originalText, open, node.fields[0]!.span.start) && mayKeepExpansion(ctx);
  return group([ifBreak(lineSuffixBoundary, ""), "{", indent([line, ...separated(ctx, "fields")]), line, "}"], {
    shouldBreak,
  });
}

function printArray(ctx: Ctx, node: A.ArrayExpr): Doc {
  const { options, path } = ctx;
  if (node.elements.length === 0) {
    const dangling = printDangling(path.node, options);
    return dangling.length ? [lineSuffixBoundary, "[", indent([hardline, ...dangling]), hardline, "]"] : "[]";
  }
  return group(
    [ifBreak(lineSuffixBoundary, ""), "[", indent([softline, ...separated(ctx, "elements")]), softline, "]"],
    { shouldBreak: isRecordArray(node) },
  );
}
