/**
 * The prettier printer for the Symbiont AST ("symbiont-ast"): dispatches each node kind to its
 * print function, and puts each node's attached comments around it (comments.ts). Children are
 * printed through `print(...)` (prettier's path machinery), except leaves without comments.
 */
import type { AstPath, Doc, ParserOptions, Printer } from "prettier";
import type * as A from "../../grammar/ast.js";
import { VISITOR_KEYS } from "../../grammar/visit.js";
import {
  canAttachComment,
  handleComments,
  printAttachedComments,
  printComment,
  type PComment,
  type PNode,
} from "./comments.js";
import { leafText, type Ctx, type Print, type PrintArgs } from "./print-context.js";
import * as D from "./print-declarations.js";
import * as S from "./print-statements.js";
import { printExpression } from "./print-expressions.js";

/**
 * prettier's `print` with a shortcut: a leaf child without comments is its text. About half of
 * all nodes are such leaves, and going through prettier's path machinery for each was a large
 * part of the formatting time (bench/format.bench.ts).
 */
function fastPrint(path: AstPath<PNode>, print: Print): Print {
  return (selector, args) => {
    let child: unknown;
    if (selector === undefined) child = path.node;
    else if (typeof selector === "string") child = (path.node as unknown as Record<string, unknown>)[selector];
    if (child !== undefined && child !== null && typeof child === "object" && !(child as PNode).comments) {
      const text = leafText(child as PNode);
      if (text !== undefined) return text;
    }
    return print(selector, args);
  };
}

function print(path: AstPath<PNode>, options: ParserOptions<PNode>, print: Print, args?: unknown): Doc {
  const a = typeof args === "object" && args !== null ? (args as PrintArgs) : undefined;
  const ctx: Ctx = { path, options, print: fastPrint(path, print) };
  const doc = printNode(ctx, a);
  return printAttachedComments(path.node, doc, options.originalText, {
    defer: a?.defer === true,
    hoist: a?.hoist,
    hoisted: ctx.hoisted,
  });
}

function printNode(ctx: Ctx, args: PrintArgs | undefined): Doc {
  const { path } = ctx;
  const node = path.node;
  switch (node.kind) {
    case "Program":
      return D.programDoc(ctx);
    case "Metadata":
      return D.printMetadata(ctx);
    case "Property":
      return D.printProperty(ctx, node);
    case "Agent":
      return D.printAgent(ctx, node);
    case "Capabilities":
      return D.printCapabilities(ctx, node);
    case "Policy":
      return D.printPolicy(ctx);
    case "PolicyRule":
      return D.printPolicyRule(ctx, node);
    case "Function":
      return D.printFunction(ctx, node);
    case "Param":
    case "FieldDecl":
      return D.printTyped(ctx);
    case "With":
      return D.printWith(ctx, node);
    case "WithAttribute":
      return D.printWithAttribute(ctx);
    case "TypeDef":
      return D.printTypeDef(ctx, node);
    case "StructType":
      return D.printStructType(ctx);
    case "TypeRef":
      return D.printTypeRef(ctx, node);
    case "Schedule":
      return D.printNamedBlock(ctx, "schedule", "entries");
    case "Channel":
      return D.printNamedBlock(ctx, "channel", "members");
    case "Memory":
      return D.printNamedBlock(ctx, "memory", "members");
    case "Webhook":
      return D.printNamedBlock(ctx, "webhook", "members");
    case "DataClassification":
      return D.printDataClassification(ctx);
    case "ClassificationRule":
      return D.printClassificationRule(ctx);
    case "SubBlock":
      return D.printSubBlock(ctx, node);
    case "Block":
      return S.printBlock(ctx, node, args?.bare === true);
    case "Let":
    case "Assign":
    case "Return":
    case "ExprStmt":
    case "If":
    case "For":
    case "Match":
    case "Try":
      return S.printStatement(ctx, node);
    case "IfExpr":
      return S.printIf(ctx, node);
    case "LetCondition":
      return S.printLetCondition(ctx);
    case "MatchArm":
      return S.printMatchArm(ctx, node);
    case "Catch":
      return S.printCatch(ctx, node);
    case "BindingPattern":
    case "ConstructorPattern":
    case "WildcardPattern":
      return S.printPattern(ctx, node);
    default:
      return printExpression(ctx, node);
  }
}

const NO_KEYS: string[] = [];

export const printer: Printer<PNode> = {
  print,
  printComment: (path) => printComment(path as unknown as AstPath<PComment>),
  canAttachComment,
  isBlockComment: () => false,
  // Comments are printed by `print` itself (see comments.ts for why).
  willPrintOwnComments: () => true,
  getVisitorKeys: (node) => (VISITOR_KEYS as unknown as Record<string, string[]>)[(node as A.Node).kind] ?? NO_KEYS,
  handleComments,
};
