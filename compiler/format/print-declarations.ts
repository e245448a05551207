/**
 * Top-level items and their parts: metadata, agents (parameters, capabilities, `with` blocks),
 * policies and rules, types, functions, and the declarative blocks (schedule, channel, memory,
 * webhook). Declaration bodies print one entry per line; an empty one prints as `{` and `}` on
 * two lines, the reference formatter's style.
 */
import type { Doc } from "prettier";
import type * as A from "../../grammar/ast.js";
import { conditionalGroup, group, hardline, indent, join, line, softline } from "./doc-builders.js";
import { PARAMS, printDangling, type PNode } from "./comments.js";
import { DEFER, childThen, printBodyOf, printHeaderComments, printLines, type Ctx } from "./print-context.js";
import { hasNewlineBetween } from "./source-text.js";

const comma = (): Doc => ",";
/**
 * Entries with a separator (`key: value`, `key = value`) end with `,` (the reference's metadata
 * style); juxtaposed entries (`retention 90d`, memory and webhook blocks) never do.
 */
const commaAfterProperty = (n: PNode): Doc => (n.kind === "Property" && n.separator !== null ? "," : "");

export function programDoc(ctx: Ctx): Doc {
  const items = printLines(ctx, "items", "always");
  const dangling = printDangling(ctx.path.node, ctx.options);
  if (items.length === 0 && dangling.length === 0) return "";
  if (dangling.length > 0 && items.length > 0) return [...dangling, hardline, hardline, ...items, hardline];
  return [...dangling, ...items, hardline];
}

/** `key = value`, `key: value` or `key value` as written, without the comma (the list adds it). */
export function printProperty(ctx: Ctx, node: A.Property): Doc {
  if (node.separator === null) {
    const pad = juxtaposedKeyWidth(ctx.path.parent as PNode) - node.key.name.length;
    return [...childThen(ctx, "key", " ".repeat(Math.max(1, pad + 1))), ctx.print("value")];
  }
  return [...childThen(ctx, "key", node.separator === "=" ? " = " : ": "), ctx.print("value")];
}

const keyWidths = new WeakMap<object, number>();

/**
 * The longest key among a block's juxtaposed entries: their values are aligned one space after
 * it, as the corpus writes memory and webhook blocks (`store     markdown`).
 */
function juxtaposedKeyWidth(block: PNode): number {
  let width = keyWidths.get(block);
  if (width === undefined) {
    width = 0;
    const list = "entries" in block ? block.entries : "members" in block ? (block.members as PNode[]) : [];
    for (const e of list as PNode[])
      if (e.kind === "Property" && e.separator === null) width = Math.max(width, e.key.name.length);
    keyWidths.set(block, width);
  }
  return width;
}

/** `(a: T, b: U)`, one per line when too long; `()` (or its comments) when empty. */
function printParams(ctx: Ctx): Doc {
  const node = ctx.path.node as PNode & { params?: A.Param[] };
  const params = node.params ?? [];
  if (params.length === 0) {
    const dangling = printDangling(ctx.path.node, ctx.options, PARAMS);
    return dangling.length ? ["(", indent([hardline, ...dangling]), hardline, ")"] : "()";
  }
  return group([
    "(",
    indent([
      softline,
      join(
        [",", line],
        ctx.path.map(() => ctx.print(undefined, DEFER), "params"),
      ),
    ]),
    softline,
    ")",
  ]);
}

export function printAgent(ctx: Ctx, node: A.AgentDef): Doc {
  const { print } = ctx;
  return [
    "agent ",
    print("name", node.params || node.returnType ? undefined : DEFER),
    node.params ? printParams(ctx) : "",
    node.returnType ? [" -> ", print("returnType", DEFER)] : "",
    printHeaderComments(ctx),
    printBodyOf(ctx, "members", "always", "open", "members"),
  ];
}

export function printFunction(ctx: Ctx, node: A.FunctionDef): Doc {
  const { print } = ctx;
  return [
    "function ",
    print("name"),
    printParams(ctx),
    node.returnType ? [" -> ", print("returnType", DEFER)] : "",
    printHeaderComments(ctx),
    print("body"),
  ];
}

export function printCapabilities(ctx: Ctx, node: A.CapabilitiesDecl): Doc {
  return ["capabilities", node.separator === ":" ? ": " : " = ", ctx.print("list")];
}

export function printPolicy(ctx: Ctx): Doc {
  return ["policy ", ctx.print("name", DEFER), printBodyOf(ctx, "rules", "keep", "open", "body")];
}

/**
 * `verb: action [for scope] [if guard]` on one line when it fits; otherwise the `for` and `if`
 * clauses move to their own indented lines (the corpus style for long guards).
 */
export function printPolicyRule(ctx: Ctx, node: A.PolicyRule): Doc {
  const { print } = ctx;
  const text = ctx.options.originalText;
  const parts: Doc[] = [node.verb, ": ", print("action", DEFER)];
  // A clause the author put on its own line stays there (and one after a trailing comment must).
  // A parenthesised one may instead open its `(` on the rule's line: `if (` … `)`.
  const clause = (keyword: string, before: A.Expr, expr: A.Expr, key: string) => {
    const shouldBreak = hasNewlineBetween(text, before.span.end, expr.span.start);
    const printed = print(key, DEFER);
    const ownLine = indent([line, keyword, printed]);
    if (expr.kind !== "Paren") return group(ownLine, { shouldBreak });
    return conditionalGroup([[" ", keyword, printed], [" ", keyword, group(printed, { shouldBreak: true })], ownLine], {
      shouldBreak,
    });
  };
  if (node.scope) parts.push(clause("for ", node.action, node.scope, "scope"));
  if (node.guard) parts.push(clause("if ", node.scope ?? node.action, node.guard, "guard"));
  return parts;
}

/**
 * `with a = 1, b = 2 {` when the header fits on one line; otherwise one attribute per line and
 * the `{` on its own line (the corpus style):
 *
 *     with
 *         sandbox = "Tier2",
 *         timeout = 30s
 *     {
 */
export function printWith(ctx: Ctx, node: A.WithBlock): Doc {
  const { path, print } = ctx;
  if (node.attributes.length === 0) return ["with", printHeaderComments(ctx), print("body")];
  const attrs = path.map(() => print(undefined, DEFER), "attributes");
  // Attributes the author wrote on their own lines stay one per line.
  const shouldBreak = hasNewlineBetween(ctx.options.originalText, node.span.start, node.attributes[0]!.span.start);
  return [
    group(["with", indent([line, join([",", line], attrs)]), line], { shouldBreak }),
    print("body", { bare: true }),
  ];
}

export function printWithAttribute(ctx: Ctx): Doc {
  return [...childThen(ctx, "name", " = "), ctx.print("value")];
}

export function printTypeDef(ctx: Ctx, node: A.TypeDef): Doc {
  const definition = ctx.print("definition");
  return [
    "type ",
    ...childThen(ctx, "name", " ="),
    node.definition.kind === "StructType" ? definition : [" ", definition],
  ];
}

export function printStructType(ctx: Ctx): Doc {
  return printBodyOf(ctx, "fields", "keep", "open", undefined, comma);
}

/** `name: Type` (struct fields and parameters). */
export function printTyped(ctx: Ctx): Doc {
  return [ctx.print("name"), ": ", ctx.print("type")];
}

export function printTypeRef(ctx: Ctx, node: A.TypeRef): Doc {
  if (node.args.length === 0) return ctx.print("name");
  return [ctx.print("name"), "<", join(", ", ctx.path.map(ctx.print, "args")), ">"];
}

export function printMetadata(ctx: Ctx): Doc {
  return ["metadata", printBodyOf(ctx, "entries", "keep", "open", undefined, commaAfterProperty)];
}

export function printNamedBlock(ctx: Ctx, keyword: string, key: string): Doc {
  return [keyword, " ", ctx.print("name", DEFER), printBodyOf(ctx, key, "keep", "open", "body", commaAfterProperty)];
}

export function printDataClassification(ctx: Ctx): Doc {
  return ["data_classification", printBodyOf(ctx, "rules", "keep", "open", undefined, comma)];
}

export function printClassificationRule(ctx: Ctx): Doc {
  return [ctx.print("category"), ": ", ctx.print("action")];
}

export function printSubBlock(ctx: Ctx, node: A.SubBlock): Doc {
  return [node.keyword, printBodyOf(ctx, "entries", "keep", "open", undefined, commaAfterProperty)];
}
