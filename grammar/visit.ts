/**
 * Generic traversal. `VISITOR_KEYS` lists, per node kind, the properties that hold child nodes,
 * in source order. Every consumer that walks the tree generically (comment attachment, the
 * formatter's comment handling, the language server's node-at-position lookup) uses this one
 * table, so adding a node kind means updating one place.
 */
import type { Node, NodeKind } from "./ast.js";

export const VISITOR_KEYS: Readonly<Record<NodeKind, readonly string[]>> = {
  Program: ["items"],
  Error: [],
  Identifier: [],
  Property: ["key", "value"],
  Metadata: ["entries"],
  Agent: ["name", "params", "returnType", "members"],
  Capabilities: ["list"],
  Policy: ["name", "rules"],
  PolicyRule: ["action", "scope", "guard"],
  Function: ["name", "params", "returnType", "body"],
  Param: ["name", "type"],
  With: ["attributes", "body"],
  WithAttribute: ["name", "value"],
  TypeDef: ["name", "definition"],
  StructType: ["fields"],
  FieldDecl: ["name", "type"],
  TypeRef: ["name", "args"],
  Schedule: ["name", "entries"],
  Channel: ["name", "members"],
  DataClassification: ["rules"],
  ClassificationRule: ["category", "action"],
  Memory: ["name", "members"],
  Webhook: ["name", "members"],
  SubBlock: ["entries"],
  Block: ["statements", "tail"],
  Let: ["name", "init"],
  Assign: ["target", "value"],
  Return: ["value"],
  If: ["condition", "then", "else"],
  LetCondition: ["pattern", "value"],
  BindingPattern: ["name"],
  ConstructorPattern: ["name", "args"],
  WildcardPattern: [],
  For: ["binder", "iterable", "body"],
  Match: ["scrutinee", "arms"],
  MatchArm: ["pattern", "body"],
  Try: ["body", "catches"],
  Catch: ["errorType", "binder", "body"],
  ExprStmt: ["expr"],
  Binary: ["left", "right"],
  Unary: ["operand"],
  Member: ["object", "property"],
  Call: ["callee", "args"],
  NamedArg: ["name", "value"],
  Index: ["object", "index"],
  TypeLiteral: ["typeName", "fields"],
  Record: ["fields"],
  RecordField: ["key", "value"],
  Array: ["elements"],
  Lambda: ["params", "body"],
  IfExpr: ["condition", "then", "else"],
  Paren: ["expr"],
  String: [],
  Number: [],
  Duration: [],
  Bool: [],
  Vault: [],
  Setting: ["name", "value"],
};

/** The direct children of a node, in source order. */
export function childrenOf(node: Node): Node[] {
  const out: Node[] = [];
  const keys = VISITOR_KEYS[node.kind];
  const rec = node as unknown as Record<string, unknown>;
  for (const key of keys) {
    const v = rec[key];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c === "object") out.push(c as Node);
    } else if (typeof v === "object") {
      out.push(v as Node);
    }
  }
  return out;
}

/**
 * Depth-first pre-order walk, iterative so that deeply nested input cannot overflow the stack.
 * Return `false` from `enter` to skip a node's children.
 */
export function walk(root: Node, enter: (node: Node, parent: Node | undefined) => boolean | void): void {
  const stack: Array<[Node, Node | undefined]> = [[root, undefined]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    if (enter(node, parent) === false) continue;
    const kids = childrenOf(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, node]);
  }
}

/** The innermost node whose span contains `offset` (end-inclusive), with its ancestors. */
export function nodePathAt(root: Node, offset: number): Node[] {
  const path: Node[] = [];
  let current: Node | undefined = root;
  while (current) {
    path.push(current);
    let next: Node | undefined;
    for (const child of childrenOf(current)) {
      if (child.span.start <= offset && offset <= child.span.end) {
        next = child;
        // Prefer a child that strictly contains the offset over one that merely ends at it.
        if (offset < child.span.end) break;
      }
    }
    current = next;
  }
  return path;
}
