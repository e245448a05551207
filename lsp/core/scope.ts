/**
 * Lexical scopes of one file, from the AST alone: which names a position sees (completion) and
 * what each name in an expression refers to (semantic tokens). One walk builds a tree of scopes
 * with their extents; a binding is visible from its `from` offset to the end of its scope.
 *
 * Rules (DESIGN §4): variables are block-scoped and `let x = init` is visible after the
 * statement (its own initialiser sees the outer `x`); a first assignment to an unknown bare name
 * declares it (the checker warns about the missing `let`); `for`, `catch`, lambdas and
 * `if let` bind in their bodies; agents, functions, types and memory stores are visible in the
 * whole file (and in the other files of the project); a policy rule's call-pattern arguments
 * (`read(file)`) are binders visible in its guard.
 */
import type * as A from "../../grammar/ast.js";
import { VISITOR_KEYS } from "../../grammar/visit.js";

export type BindingKind = "agent" | "function" | "type" | "memory" | "parameter" | "variable" | "binder";

export interface Binding {
  name: string;
  kind: BindingKind;
  /** The declaring identifier (its span is the definition site). */
  decl: A.Identifier;
  /** The declaring node (the `Function`, `Let`, `Param`, ...). */
  node: A.Node;
  /** Offset from which the binding is visible. */
  from: number;
}

interface Scope {
  start: number;
  end: number;
  bindings: Binding[];
  parent: Scope | undefined;
  children: Scope[];
}

export interface FileScopes {
  /** File-level declarations (also visible from other files). */
  globals: Binding[];
  /** What each reference identifier (a name used as an expression) resolves to, when local to the file. */
  references: Map<A.Identifier, Binding>;
  /** Declaring identifier → its binding. */
  declarations: Map<A.Identifier, Binding>;
  /** Every local binding visible at `offset`, innermost first (shadowed names removed). */
  visibleAt(offset: number): Binding[];
}

const ok = (n: unknown): n is A.Node =>
  !!n && typeof n === "object" && typeof (n as A.Node).kind === "string" && (n as A.Node).kind !== "Error";
const idName = (id: unknown): id is A.Identifier =>
  ok(id) && (id as A.Node).kind === "Identifier" && !!(id as A.Identifier).name;

/** Keys whose Identifier child is a name being used (an expression), per parent kind. */
const EXPR_KEYS: Partial<Record<A.NodeKind, ReadonlySet<string>>> = {
  Binary: new Set(["left", "right"]),
  Unary: new Set(["operand"]),
  Member: new Set(["object"]),
  Call: new Set(["callee", "args"]),
  Index: new Set(["object", "index"]),
  RecordField: new Set(["value"]),
  Array: new Set(["elements"]),
  Lambda: new Set(["body"]),
  IfExpr: new Set(["condition"]),
  Paren: new Set(["expr"]),
  ExprStmt: new Set(["expr"]),
  Let: new Set(["init"]),
  Assign: new Set(["target", "value"]),
  Return: new Set(["value"]),
  If: new Set(["condition"]),
  For: new Set(["iterable"]),
  Match: new Set(["scrutinee"]),
  MatchArm: new Set(["body"]),
  PolicyRule: new Set(["action", "scope", "guard"]),
  NamedArg: new Set(["value"]),
  Setting: new Set(["value"]),
  LetCondition: new Set(["value"]),
  Block: new Set(["tail"]),
};

/** Whether an identifier at `parent[key]` is a name used as an expression. */
export function isReferencePosition(parent: A.Node | undefined, key: string): boolean {
  if (!parent) return false;
  return EXPR_KEYS[parent.kind]?.has(key) ?? false;
}

function globalsOf(program: A.Program): Binding[] {
  const out: Binding[] = [];
  for (const item of program.items ?? []) {
    if (!ok(item)) continue;
    const add = (kind: BindingKind, id: unknown) => {
      if (idName(id)) out.push({ name: id.name, kind, decl: id, node: item, from: 0 });
    };
    if (item.kind === "Agent") add("agent", item.name);
    else if (item.kind === "Function") add("function", item.name);
    else if (item.kind === "TypeDef") add("type", item.name);
    else if (item.kind === "Memory") add("memory", item.name);
  }
  return out;
}

/** The names a policy rule's action pattern binds: plain identifier arguments of a call pattern. */
export function policyBinders(rule: A.PolicyRule): A.Identifier[] {
  const out: A.Identifier[] = [];
  const action = rule.action;
  if (!ok(action) || action.kind !== "Call") return out;
  for (const arg of action.args ?? []) {
    const id = ok(arg) && arg.kind === "NamedArg" ? arg.value : arg;
    if (idName(id) && id.name !== "any" && id.name !== "_") out.push(id);
  }
  return out;
}

/**
 * Scopes are built per top-level item, on demand: completion at one position of a large file
 * only walks the item around it; `references` and `declarations` walk every item.
 */
export function buildScopes(program: A.Program): FileScopes {
  const globals = globalsOf(program);
  const root: Scope = {
    start: 0,
    end: Number.MAX_SAFE_INTEGER,
    bindings: [...globals],
    parent: undefined,
    children: [],
  };
  const references = new Map<A.Identifier, Binding>();
  const declarations = new Map<A.Identifier, Binding>();
  for (const g of globals) declarations.set(g.decl, g);
  const items = (program.items ?? []).filter(ok);
  const built = new Set<A.Node>();

  const open = (parent: Scope, node: A.Node): Scope => {
    const s: Scope = { start: node.span.start, end: node.span.end, bindings: [], parent, children: [] };
    parent.children.push(s);
    return s;
  };
  const pendingAssign: Binding[] = [];
  const bind = (scope: Scope, kind: BindingKind, id: unknown, node: A.Node, from: number) => {
    if (!idName(id)) return;
    const b: Binding = { name: id.name, kind, decl: id, node, from };
    scope.bindings.push(b);
    declarations.set(id, b);
    if (node.kind === "Assign") pendingAssign.push(b);
  };
  const lookup = (scope: Scope | undefined, name: string, at: number): Binding | undefined => {
    for (let s = scope; s; s = s.parent) {
      for (let i = s.bindings.length - 1; i >= 0; i--) {
        const b = s.bindings[i]!;
        if (b.name === name && b.from <= at) return b;
      }
    }
    return undefined;
  };

  // Iterative walk of one item: [node, parent, key, scope].
  type Frame = [A.Node, A.Node | undefined, string, Scope];
  const buildItem = (item: A.Node) => {
    if (built.has(item)) return;
    built.add(item);
    const stack: Frame[] = [[item, program, "items", root]];
    while (stack.length > 0) {
      const [node, parent, key, outer] = stack.pop()!;
      if (!ok(node)) continue;
      let scope = outer;
      let childScope: ((key: string, child: A.Node) => Scope) | undefined;

      switch (node.kind) {
        case "Identifier":
          if (isReferencePosition(parent, key)) {
            const b = lookup(scope, node.name, node.span.start);
            if (b) references.set(node, b);
          }
          continue;
        case "Agent": {
          scope = open(outer, node);
          for (const p of node.params ?? []) if (ok(p)) bind(scope, "parameter", p.name, p, node.span.start);
          for (const m of node.members ?? [])
            if (ok(m) && m.kind === "Function") bind(scope, "function", m.name, m, node.span.start);
          break;
        }
        case "Function": {
          scope = open(outer, node);
          for (const p of node.params ?? []) if (ok(p)) bind(scope, "parameter", p.name, p, node.span.start);
          break;
        }
        case "Block": {
          scope = open(outer, node);
          // Declarations become visible after their statement, so bind while walking in order:
          // children are pushed in reverse, hence the per-statement scopes below.
          break;
        }
        case "For": {
          const s = ok(node.body) ? open(outer, node.body) : undefined;
          if (s) bind(s, "variable", node.binder, node, node.body.span.start);
          childScope = (k) => (k === "body" && s ? s : outer);
          break;
        }
        case "Catch": {
          const s = ok(node.body) ? open(outer, node.body) : undefined;
          if (s) bind(s, "variable", node.binder, node, node.body.span.start);
          childScope = (k) => (k === "body" && s ? s : outer);
          break;
        }
        case "Lambda": {
          scope = open(outer, node);
          for (const p of node.params ?? []) bind(scope, "parameter", p, node, node.span.start);
          break;
        }
        case "If": {
          const cond = node.condition;
          if (ok(cond) && cond.kind === "LetCondition" && ok(node.then)) {
            const s = open(outer, node.then);
            const names: A.Identifier[] = [];
            const collect = (p: A.Pattern | undefined) => {
              if (!ok(p)) return;
              if (p.kind === "BindingPattern") names.push(p.name);
              else if (p.kind === "ConstructorPattern") (p.args ?? []).forEach(collect);
            };
            collect(cond.pattern);
            for (const n of names) bind(s, "variable", n, cond, node.then.span.start);
            childScope = (k) => (k === "then" ? s : outer);
          }
          break;
        }
        case "MatchArm": {
          if (idName(node.pattern) && ok(node.body)) {
            const s = open(outer, node.body);
            bind(s, "variable", node.pattern, node, node.body.span.start);
            childScope = (k) => (k === "body" ? s : outer);
          }
          break;
        }
        case "PolicyRule": {
          scope = open(outer, node);
          const from = ok(node.action) ? node.action.span.end : node.span.start;
          for (const id of policyBinders(node)) bind(scope, "binder", id, node, from);
          break;
        }
        default:
          break;
      }

      // Statements of a block: a `let` (or first bare assignment) binds after the statement.
      if (node.kind === "Block") {
        for (const st of node.statements ?? []) {
          if (!ok(st)) continue;
          if (st.kind === "Let") bind(scope, "variable", st.name, st, st.span.end);
          else if (st.kind === "Assign" && idName(st.target) && !lookup(scope, st.target.name, st.span.start)) {
            bind(scope, "variable", st.target, st, st.span.end);
          }
        }
      }

      const rec = node as unknown as Record<string, unknown>;
      const keys = VISITOR_KEYS[node.kind] ?? [];
      const kids: Frame[] = [];
      for (const k of keys) {
        const v = rec[k];
        const push = (c: unknown) => {
          if (ok(c)) kids.push([c, node, k, childScope ? childScope(k, c) : scope]);
        };
        if (Array.isArray(v)) v.forEach(push);
        else push(v);
      }
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
    }
    // A first bare assignment binds its own target identifier: record it as a reference too.
    for (const b of pendingAssign) references.set(b.decl, b);
    pendingAssign.length = 0;
  };

  let complete = false;
  const buildAll = () => {
    if (complete) return;
    complete = true;
    for (const item of items) buildItem(item);
  };

  /** The item whose span contains `offset` (items are in source order). */
  const itemAt = (offset: number): A.Node | undefined => {
    let lo = 0;
    let hi = items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const it = items[mid]!;
      if (offset < it.span.start) hi = mid - 1;
      else if (offset > it.span.end) lo = mid + 1;
      else return it;
    }
    return undefined;
  };

  const visibleAt = (offset: number): Binding[] => {
    const item = itemAt(offset);
    if (item) buildItem(item);
    const seen = new Set<string>();
    const out: Binding[] = [];
    // Descend to the innermost scope containing the offset.
    const chain: Scope[] = [];
    let s: Scope | undefined = root;
    while (s) {
      chain.push(s);
      s = s.children.find((c) => c.start <= offset && offset <= c.end);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const bs = chain[i]!.bindings;
      for (let j = bs.length - 1; j >= 0; j--) {
        const b = bs[j]!;
        if (b.from > offset || seen.has(b.name)) continue;
        seen.add(b.name);
        out.push(b);
      }
    }
    return out;
  };

  return {
    globals,
    get references() {
      buildAll();
      return references;
    },
    get declarations() {
      buildAll();
      return declarations;
    },
    visibleAt,
  };
}
