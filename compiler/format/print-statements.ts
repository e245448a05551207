/**
 * Blocks and statements. A non-empty block always prints one statement per line; blank lines
 * between statements are kept (at most one). `if` and `match` statements take no `;`, an
 * expression statement always does (so `if c {1} else {2};` keeps its `;`).
 */
import type { Doc } from "prettier";
import type * as A from "../../grammar/ast.js";
import { group, hardline, indent, join, line, softline } from "./doc-builders.js";
import { locEnd, printDangling, type PNode } from "./comments.js";
import {
  DEFER,
  childThen,
  headerSpace,
  printBody,
  printBodyOf,
  printHeaderComments,
  type Ctx,
  type PrintArgs,
} from "./print-context.js";
import { isNextLineEmpty } from "./source-text.js";

export function printBlock(ctx: Ctx, node: A.Block, bare: boolean): Doc {
  const { path, print, options } = ctx;
  const parent = path.parent as PNode | null;
  const empty = parent && (parent.kind === "Function" || parent.kind === "With") ? "open" : "inline";
  const lines: Doc[] = [];
  const count = node.statements.length + (node.tail ? 1 : 0);
  let index = 0;
  const add = (child: PNode) => {
    lines.push(print(undefined, DEFER));
    index++;
    if (index < count) {
      lines.push(hardline);
      if (isNextLineEmpty(options.originalText, locEnd(child))) lines.push(hardline);
    }
  };
  path.each((p) => add(p.node as PNode), "statements");
  if (node.tail) path.call((p) => add(p.node as PNode), "tail");
  return printBody(lines, printDangling(node, options), empty, bare);
}

/** `if c {..} else if d {..} else {..}`, statement or expression. */
export function printIf(ctx: Ctx, node: A.IfStmt | A.IfExpr): Doc {
  const { print } = ctx;
  const parts: Doc[] = ["if ", print("condition", DEFER), print("then", node.else ? DEFER : undefined)];
  if (node.else) {
    // A comment after the `}` (attached to the block, see comments.ts) must end its line
    // before `else`, or it would move into the else branch on the next run.
    parts.push(headerSpace(), "else", node.else.kind === "Block" ? print("else") : [" ", print("else")]);
  }
  return parts;
}

export function printLetCondition(ctx: Ctx): Doc {
  return ["let ", ...childThen(ctx, "pattern", " = "), ctx.print("value")];
}

export function printStatement(ctx: Ctx, node: A.Stmt): Doc {
  const { print } = ctx;
  switch (node.kind) {
    case "Let":
      return ["let ", ...childThen(ctx, "name", " = "), print("init", hoistInto(ctx)), ";"];
    case "Assign":
      return [...childThen(ctx, "target", ` ${node.op} `), print("value", hoistInto(ctx)), ";"];
    case "Return":
      return node.value ? ["return ", print("value", hoistInto(ctx)), ";"] : "return;";
    case "ExprStmt":
      return [print("expr", hoistInto(ctx)), ";"];
    case "If":
      return printIf(ctx, node);
    case "For":
      return ["for ", ...childThen(ctx, "binder", " in "), print("iterable", DEFER), print("body")];
    case "Match":
      return ["match ", print("scrutinee", DEFER), printBodyOf(ctx, "arms", "keep", "inline", "body", () => ",")];
    case "Try":
      return printTry(ctx, node);
  }
}

/** Args that make a statement's last part hand its trailing comments to the statement. */
function hoistInto(ctx: Ctx): PrintArgs {
  return { hoist: (ctx.hoisted = []) };
}

function printTry(ctx: Ctx, node: A.TryStmt): Doc {
  const { path, print } = ctx;
  const parts: Doc[] = ["try", printHeaderComments(ctx), print("body", node.catches.length > 0 ? DEFER : undefined)];
  path.each((_, i) => {
    parts.push(headerSpace(), print(undefined, i < node.catches.length - 1 ? DEFER : undefined));
  }, "catches");
  return parts;
}

export function printCatch(ctx: Ctx, node: A.CatchClause): Doc {
  const { print } = ctx;
  return ["catch (", node.errorType ? childThen(ctx, "errorType", " ") : "", print("binder"), ")", print("body")];
}

export function printMatchArm(ctx: Ctx, node: A.MatchArm): Doc {
  return [
    ...childThen(ctx, "pattern", " =>"),
    node.body.kind === "Block" ? ctx.print("body") : [" ", ctx.print("body")],
  ];
}

export function printPattern(ctx: Ctx, node: A.Pattern): Doc {
  switch (node.kind) {
    case "WildcardPattern":
      return "_";
    case "BindingPattern":
      return ctx.print("name");
    case "ConstructorPattern": {
      const { path, print, options } = ctx;
      if (node.args.length === 0) {
        const dangling = printDangling(path.node, options, "body");
        return [print("name"), dangling.length ? ["(", indent([hardline, ...dangling]), hardline, ")"] : "()"];
      }
      return [
        print("name"),
        group([
          "(",
          indent([
            softline,
            join(
              [",", line],
              path.map(() => print(undefined, DEFER), "args"),
            ),
          ]),
          softline,
          ")",
        ]),
      ];
    }
  }
}
