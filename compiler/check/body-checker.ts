/**
 * Checks statements and expressions of function bodies, agent `with` blocks and policy guards:
 * name resolution through block scopes, type inference for `let`, and the type rules of calls,
 * members, indexes, operators, conditions, loops, `match`, `try`/`catch` and `return`.
 *
 * Recursion is bounded: left-nested operator chains (`a + b + c + ...`, the only deep nesting the
 * parser lets through in practice) are checked iteratively, and any other expression nested
 * deeper than MAX_DEPTH is reported once (E0217) instead of overflowing the stack.
 */
import { isNode, present } from "./present.js";
import type {
  BinaryExpr,
  Block,
  CallExpr,
  CatchClause,
  Expr,
  ForStmt,
  Identifier,
  IfExpr,
  IfStmt,
  IndexExpr,
  LambdaExpr,
  MatchStmt,
  MemberExpr,
  NamedArg,
  Pattern,
  RecordExpr,
  Stmt,
  TryStmt,
  TypeLiteral,
  AssignStmt,
  LetCondition,
} from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import { BUILTIN_ACTIONS, BUILTIN_FUNCTIONS, BUILTIN_TYPES } from "../../stdlib/index.js";
import {
  T,
  assignable,
  isLoose,
  isPrim,
  join,
  recordFields,
  substitute,
  typeToString,
  unify,
  withArticle,
  type FnParam,
  type Type,
} from "./types.js";
import { binaryType } from "./operators.js";
import { Scope, type VarInfo, type VarKind } from "./scope.js";
import type { AgentDecl, FunctionInfo } from "./globals.js";
import { TRUSTED_RECORDS, TRUSTED_RECORD_TYPES, isTrustedRecord } from "../../stdlib/trusted-records.js";
import type { CheckSink } from "./sink.js";
import {
  builtinField,
  builtinFunction,
  builtinMemberNames,
  builtinMethod,
  builtinValueType,
  receiverName,
} from "./stdlib-types.js";
import { closestName, didYouMean, didYouMeanIn } from "../../grammar/suggest.js";

const MAX_DEPTH = 300;
const show = typeToString;
type FnType = Extract<Type, { k: "fn" }>;

/** How a guard differs from code: only decision-time names resolve, and nothing gated may be called. */
export interface GuardMode {
  /** Names available besides the scope's binders (agent inputs, trusted records) — for messages. */
  available: () => string[];
}

export interface BodyContext {
  /** The agent whose code (or agent-level function/policy) is checked. */
  agent?: AgentDecl;
  /** Declared return type; undefined means returns are not checked. */
  returnType?: Type;
  /** Set when checking a policy guard. */
  guard?: GuardMode;
}

/** Error types `catch (T e)` may name without a declaration: `Error` and the runtime's error kinds. */
const ERROR_KINDS: readonly string[] = [...BUILTIN_TYPES.values()].filter((d) => d.error).map((d) => d.name);

/** Methods that read their receiver as a collection: on a tool-argument binder, its facts. */
const FACT_COLLECTION_METHODS: ReadonlySet<string> = new Set(["map", "filter", "any", "all"]);
/** Methods that work on text or on a collection: on a text binder the value, otherwise its facts. */
const TEXT_OR_COLLECTION_METHODS: ReadonlySet<string> = new Set(["contains", "is_empty", "len", "length", "count"]);

export class BodyChecker {
  private depth = 0;
  private tooDeepReported = false;
  /** Identifiers of a guard that denote facts about a tool argument (see `markFacts`). */
  private readonly factUses = new Set<Expr>();

  constructor(
    readonly sink: CheckSink,
    readonly ctx: BodyContext,
  ) {}

  private get env() {
    return this.sink.env;
  }

  // -------------------------------------------------------------------------------------------
  // Declarations and scopes
  // -------------------------------------------------------------------------------------------

  /** A fresh scope holding the given parameters (function params, agent inputs). */
  paramScope(
    params: Array<{ name: string; type: Type; symbolId: string; span: Span }>,
    kind: "body" | "guard" = "body",
    extent?: { start: number; end: number },
  ): Scope {
    const s = new Scope(undefined, kind);
    if (extent) s.extent = extent;
    for (const p of params) {
      if (extent) this.sink.local(p.symbolId, p.name, extent.start, extent.end);
      s.define({
        name: p.name,
        type: p.type,
        kind: "param",
        symbolId: p.symbolId,
        span: p.span,
        used: true,
        refinable: false,
      });
    }
    s.closed = new Map();
    return s;
  }

  /** Declares `id` in `scope`; it is visible from `from` (default: its own name) to the end of the scope. */
  declare(scope: Scope, id: Identifier, type: Type, kind: VarKind, from = id.span.start): VarInfo {
    const symbolId = `local:${this.sink.file}:${id.span.start}`;
    const v: VarInfo = {
      name: id.name,
      type,
      kind,
      symbolId,
      span: id.span,
      used: false,
      refinable: containsNever(type),
    };
    scope.define(v);
    scope.pending?.delete(id.name);
    const range = scope.range();
    if (range) this.sink.local(symbolId, id.name, from, range.end);
    this.sink.symbol({
      id: symbolId,
      kind: kind === "binder" ? "binder" : kind === "param" ? "param" : "variable",
      name: id.name,
      file: this.sink.file,
      span: id.span,
      type,
    });
    this.sink.ref(symbolId, id, { decl: true });
    this.sink.setType(id, type);
    return v;
  }

  closeScope(scope: Scope): void {
    const body = scope.body();
    for (const v of scope.vars.values()) {
      if (!v.used && (v.kind === "variable" || v.kind === "loop" || v.kind === "pattern") && !v.name.startsWith("_")) {
        this.sink.report("W0100", `unused variable \`${v.name}\``, v.span, {
          help: `remove it, or name it \`_${v.name}\``,
        });
      }
      if (scope !== body && body.closed && !body.closed.has(v.name)) body.closed.set(v.name, v.span);
    }
  }

  private use(v: VarInfo, id: Identifier, write = false): Type {
    if (!write) v.used = true;
    v.onUse?.(id);
    this.sink.ref(v.symbolId, id, { write });
    return this.sink.setType(id, v.type);
  }

  /**
   * In a guard, a binder of a tool argument used as a record or a collection denotes the
   * deployment's trusted facts about the argument's value (`context.facts.<arg>`, supplied by
   * `symbi exec --facts`), as the Cedar compiler lowers it (compiler/policy/analyze.ts `root`,
   * `collection`): member access, `any`/`all(b, ..)`, `x in b`, `.map/.filter/.any/.all` always;
   * `.contains`, `.is_empty`, `len`, `.len/.length/.count` and indexing only when the argument is
   * not text (on text they read the value itself). Marks `e` so that it is typed JSON.
   */
  private markFacts(e: Expr, scope: Scope, how: "collection" | "unless-text"): void {
    if (!this.ctx.guard || e.kind !== "Identifier") return;
    const v = scope.lookup(e.name);
    if (!v?.onFactUse) return;
    if (how === "unless-text" && (isPrim(v.type, "String") || v.type.k === "levels")) return;
    this.factUses.add(e);
  }

  /** A use of a binder as facts (marked by `markFacts`): the dynamic JSON type, checked at run time. */
  private factUse(id: Identifier, scope: Scope): Type {
    const v = scope.lookup(id.name)!;
    v.used = true;
    v.onUse?.(id);
    v.onFactUse?.(id);
    this.sink.ref(v.symbolId, id, { write: false });
    return this.sink.setType(id, T.JSON);
  }

  /** Records the names a block's statements declare, for "used before its definition". */
  private collectPending(block: Block, scope: Scope): void {
    let pending: Map<string, Span> | undefined;
    for (const st of present(block.statements)) {
      let id: Identifier | undefined;
      if (st.kind === "Let") id = st.name;
      else if (st.kind === "Assign" && st.op === "=" && st.target.kind === "Identifier") id = st.target;
      if (id && !scope.lookup(id.name)) {
        pending ??= new Map();
        if (!pending.has(id.name)) pending.set(id.name, id.span);
      }
    }
    if (pending) scope.pending = pending;
  }

  // -------------------------------------------------------------------------------------------
  // Blocks and statements
  // -------------------------------------------------------------------------------------------

  /** Checks a block in a new scope; returns the block's value type (unit without a tail). */
  block(block: Block, parent: Scope, kind: "block" | "loop" = "block", prepare?: (s: Scope) => void): Type {
    const scope = new Scope(parent, kind);
    scope.extent = block.span;
    prepare?.(scope);
    const t = this.blockIn(block, scope);
    this.closeScope(scope);
    return t;
  }

  /** Checks a block's statements in an existing scope. */
  blockIn(block: Block, scope: Scope): Type {
    this.collectPending(block, scope);
    let terminated = false;
    let reportedUnreachable = false;
    let value: Type = T.unit;
    const n = block.statements.length;
    for (let i = 0; i < n; i++) {
      const st = block.statements[i]!;
      if (terminated && !reportedUnreachable) {
        this.sink.report("W0203", "unreachable code", st.span, { help: "remove it, or move it before the `return`" });
        reportedUnreachable = true;
      }
      const t = this.stmt(st, scope);
      // A trailing if/match statement gives the block its value (LANGUAGE.md §1.4.2).
      if (i === n - 1 && !block.tail && (st.kind === "If" || st.kind === "Match" || st.kind === "Try")) value = t;
      if (st.kind === "Return" || (st.kind === "ExprStmt" && isErrorCall(st.expr))) terminated = true;
    }
    if (block.tail) {
      if (terminated && !reportedUnreachable) this.sink.report("W0203", "unreachable code", block.tail.span);
      value = this.expr(block.tail, scope);
    }
    return terminated && !block.tail ? T.never : value;
  }

  stmt(st: Stmt, scope: Scope): Type {
    switch (st.kind) {
      case "Let": {
        const t = this.expr(st.init, scope);
        if (t.k === "unit")
          this.sink.report("E0219", `\`${exprName(st.init)}\` produces no value`, st.init.span, {
            help: "call it as a statement, without `let`",
          });
        const existing = scope.vars.get(st.name.name);
        if (existing && existing.kind !== "param") {
          this.sink.report("E0103", `\`${st.name.name}\` is already declared in this block`, st.name.span, {
            help: `assign to it with \`${st.name.name} = ...\`, or choose another name`,
            related: [{ file: this.sink.file, span: existing.span, message: "declared here" }],
          });
          // Keep checking with the new type so later uses see what the author meant.
        } else {
          const outer = scope.outer(st.name.name) ?? (existing?.kind === "param" ? existing : undefined);
          if (outer && !st.name.name.startsWith("_")) {
            this.sink.report(
              "W0102",
              `\`${st.name.name}\` shadows ${outer.kind === "param" ? "a parameter" : "a variable"} of an enclosing scope`,
              st.name.span,
              {
                help: "rename one of them if this is not intended",
                related: [{ file: this.sink.file, span: outer.span, message: "the outer declaration" }],
              },
            );
          }
        }
        // Visible after its statement: its own initialiser still sees an outer variable of that name.
        this.declare(scope, st.name, widenLiteral(t), "variable", st.span.end);
        return T.unit;
      }
      case "Assign":
        this.assign(st, scope);
        return T.unit;
      case "Return": {
        const t = st.value ? this.expr(st.value, scope) : T.unit;
        const want = this.ctx.returnType;
        if (want && !this.ctx.guard) {
          if (!st.value) {
            if (want.k !== "unit" && !isLoose(want))
              this.sink.report("E0210", `missing return value: expected \`${show(want)}\``, st.span);
          } else if (!this.fits(st.value, t, want)) {
            this.sink.report("E0210", `returned value does not fit the return type`, st.value.span, {
              notes: [`expected: ${show(want)}`, `found: ${show(t)}`],
            });
          }
        }
        return T.never;
      }
      case "If":
        return this.ifStmt(st, scope);
      case "For":
        this.forStmt(st, scope);
        return T.unit;
      case "Match":
        return this.matchStmt(st, scope);
      case "Try":
        return this.tryStmt(st, scope);
      case "ExprStmt": {
        const e = st.expr;
        if (e.kind === "Identifier" && (e.name === "break" || e.name === "continue") && !scope.lookup(e.name)) {
          // `break;` / `continue;` parse as identifier statements (LANGUAGE.md §1.4.5): loop control.
          if (!scope.inLoop()) this.sink.report("E0108", `\`${e.name}\` outside a loop`, e.span);
          this.sink.setType(e, T.never);
          return T.unit;
        }
        this.expr(e, scope);
        return T.unit;
      }
    }
  }

  private assign(st: AssignStmt, scope: Scope): void {
    const target = st.target;
    const valueT = this.expr(st.value, scope);
    if (valueT.k === "unit") this.sink.report("E0219", `\`${exprName(st.value)}\` produces no value`, st.value.span);
    if (target.kind === "Identifier") {
      const v = scope.lookup(target.name);
      if (!v) {
        if (st.op !== "=") {
          this.unknownName(target, scope);
          return;
        }
        this.sink.report("W0101", `assignment declares \`${target.name}\` without \`let\``, target.span, {
          help: `write \`let ${target.name} = ...\` to declare it (a misspelled name would silently become a new variable)`,
          fix: {
            title: `declare \`${target.name}\` with \`let\``,
            edits: [
              {
                file: this.sink.file,
                span: { ...st.span, end: st.span.start, endLine: st.span.line, endCol: st.span.col },
                newText: "let ",
              },
            ],
          },
        });
        this.declare(scope, target, widenLiteral(valueT), "variable", st.span.end);
        return;
      }
      if (v.kind === "binder" || v.kind === "trusted") {
        this.sink.report("E0200", `cannot assign to \`${target.name}\` here`, target.span);
        return;
      }
      this.use(v, target, true);
      this.checkAssignValue(st, v.type, valueT, (t) => {
        if (v.refinable) {
          v.type = t;
          v.refinable = containsNever(t);
          return true;
        }
        return false;
      });
      return;
    }
    if (target.kind === "Member" || target.kind === "Index") {
      const targetT = target.kind === "Member" ? this.member(target, scope, true) : this.index(target, scope);
      this.checkAssignValue(st, targetT, valueT);
      return;
    }
    this.expr(target, scope);
  }

  /** Checks `target op= value`; `refine` may widen a variable declared as `None`/`[]`. */
  private checkAssignValue(st: AssignStmt, targetT: Type, valueT: Type, refine?: (t: Type) => boolean): void {
    if (st.op === "=") {
      if (this.fits(st.value, valueT, targetT)) return;
      const joined = join(targetT, valueT, this.env);
      if (refine && joined && refine(joined)) return;
      this.sink.report("E0200", "mismatched types in assignment", st.value.span, {
        notes: [`expected: ${show(targetT)}`, `found: ${show(valueT)}`],
      });
      return;
    }
    const op = st.op.slice(0, 1) as "+" | "-" | "*" | "/" | "%";
    const r = binaryType(op, targetT, valueT, this.env);
    if ("error" in r) {
      this.sink.report(r.error.code, r.error.message.replace(/^cannot add/, `\`${st.op}\` cannot add`), st.span, {
        ...(r.error.help ? { help: r.error.help } : {}),
        ...(r.error.notes ? { notes: r.error.notes } : {}),
      });
    } else if (!assignable(r.type, targetT, this.env)) {
      this.sink.report("E0200", `\`${st.op}\` would change the type of the target`, st.span, {
        notes: [`expected: ${show(targetT)}`, `found: ${show(r.type)}`],
      });
    }
  }

  private condition(e: Expr, scope: Scope): void {
    const t = this.expr(e, scope);
    if (!isLoose(t) && !isPrim(t, "bool") && t.k !== "never") {
      this.sink.report("E0206", `condition must be \`bool\`, found \`${show(t)}\``, e.span, {
        help:
          t.k === "option"
            ? "test it with `.is_some()` or `if let Some(x) = ...`"
            : 'compare it explicitly, e.g. `x != ""` or `x > 0`',
      });
    }
  }

  private ifStmt(st: IfStmt, scope: Scope): Type {
    let thenT: Type;
    if (st.condition.kind === "LetCondition") {
      const cond = st.condition;
      const valueT = this.expr(cond.value, scope);
      thenT = this.block(st.then, scope, "block", (s) => this.pattern(cond.pattern, valueT, s, cond));
    } else {
      this.condition(st.condition, scope);
      thenT = this.block(st.then, scope);
    }
    if (!st.else) return T.unit;
    const elseT = st.else.kind === "If" ? this.ifStmt(st.else, scope) : this.block(st.else, scope);
    return join(thenT, elseT, this.env) ?? T.unit;
  }

  /** Binds an `if let` pattern against a value type. */
  private pattern(p: Pattern, valueT: Type, scope: Scope, where: LetCondition): void {
    switch (p.kind) {
      case "WildcardPattern":
        return;
      case "BindingPattern":
        if (p.name.name === "None") {
          if (!isLoose(valueT) && valueT.k !== "option" && valueT.k !== "null")
            this.sink.report("E0209", `\`None\` cannot match ${an(valueT)}`, p.span);
          return;
        }
        this.declare(scope, p.name, valueT, "pattern");
        return;
      case "ConstructorPattern": {
        const ctor = p.name.name;
        let inner: Type | undefined;
        if (isLoose(valueT)) inner = valueT;
        else if (ctor === "Some" && valueT.k === "option") inner = valueT.inner;
        else if (ctor === "Ok" && valueT.k === "result") inner = valueT.ok;
        else if (ctor === "Err" && valueT.k === "result") inner = valueT.err;
        if (!["Some", "Ok", "Err"].includes(ctor)) {
          this.sink.report("E0209", `unknown pattern \`${ctor}(...)\``, p.name.span, {
            help:
              didYouMean(ctor, ["Some", "Ok", "Err"]) ??
              "patterns are `Some(x)`, `Ok(x)`, `Err(e)`, `None`, a name or `_`",
          });
          inner = T.error;
        } else if (!inner) {
          this.sink.report("E0209", `\`${ctor}(...)\` cannot match ${an(valueT)}`, p.span, {
            help: ctor === "Some" ? "`Some(x)` matches an `Option`" : "`Ok(x)`/`Err(e)` match a `Result`",
          });
          inner = T.error;
        }
        this.sink.builtin(`builtin:${ctor}`, {
          kind: "builtin",
          name: ctor,
          doc: BUILTIN_FUNCTIONS.get(ctor)?.doc ?? "",
        });
        this.sink.ref(`builtin:${ctor}`, p.name);
        if (p.args.length !== 1) {
          this.sink.report("E0209", `\`${ctor}\` takes one pattern, found ${p.args.length}`, p.span);
          for (const a of present(p.args)) this.pattern(a, T.error, scope, where);
          return;
        }
        this.pattern(p.args[0]!, inner, scope, where);
        return;
      }
    }
  }

  private forStmt(st: ForStmt, scope: Scope): void {
    const t = this.expr(st.iterable, scope);
    let elem: Type;
    if (isLoose(t)) elem = t;
    else if (t.k === "list") elem = t.elem;
    else if (t.k === "map") elem = t.key;
    else if (t.k === "record") elem = T.String;
    else if (isPrim(t, "String")) elem = T.String;
    else {
      this.sink.report("E0207", `cannot iterate over \`${show(t)}\``, st.iterable.span, {
        help: "`for` iterates over a List, a Map or record literal (its keys) or a String",
      });
      elem = T.error;
    }
    this.block(st.body, scope, "loop", (s) => this.declare(s, st.binder, elem, "loop"));
  }

  private matchStmt(st: MatchStmt, scope: Scope): Type {
    const t = this.expr(st.scrutinee, scope);
    let result: Type | undefined;
    let catchAll: Span | undefined;
    const seen = new Map<string, Span>();
    for (const arm of present(st.arms)) {
      const p = arm.pattern;
      let key: string | undefined;
      const armScope = new Scope(scope, "block");
      armScope.extent = arm.span;
      if (catchAll)
        this.sink.report("W0200", "unreachable match arm", p.span, {
          related: [{ file: this.sink.file, span: catchAll, message: "this arm already matches everything" }],
        });
      switch (p.kind) {
        case "WildcardPattern":
          catchAll ??= p.span;
          break;
        case "Identifier":
          if (p.name === "None") {
            key = "None";
            if (!isLoose(t) && t.k !== "option") this.sink.report("E0209", `\`None\` cannot match ${an(t)}`, p.span);
          } else {
            catchAll ??= p.span;
            this.declare(armScope, p, t, "pattern");
            armScope.vars.get(p.name)!.used = true;
          }
          break;
        case "String":
          key = `s:${p.value}`;
          this.sink.setType(p, T.String);
          if (t.k === "levels") {
            if (!t.levels.includes(p.value)) this.levelError(p.value, t, p.span);
          } else if (!isLoose(t) && !isPrim(t, "String") && !(t.k === "option" && isPrim(t.inner, "String"))) {
            this.sink.report("E0209", `a String pattern cannot match ${an(t)}`, p.span, {
              notes: [`expected: ${show(t)}`, "found: String"],
            });
          }
          break;
        case "Number":
          key = `n:${p.value}`;
          this.sink.setType(p, p.isFloat ? T.float : T.int);
          if (!isLoose(t) && !(t.k === "prim" && (t.name === "int" || t.name === "float"))) {
            this.sink.report("E0209", `a number pattern cannot match ${an(t)}`, p.span, {
              notes: [`expected: ${show(t)}`, `found: ${p.isFloat ? "float" : "int"}`],
            });
          }
          break;
        case "Bool":
          key = `b:${p.value}`;
          this.sink.setType(p, T.bool);
          if (!isLoose(t) && !isPrim(t, "bool"))
            this.sink.report("E0209", `a bool pattern cannot match ${an(t)}`, p.span, {
              notes: [`expected: ${show(t)}`, "found: bool"],
            });
          break;
      }
      if (key !== undefined) {
        const prev = seen.get(key);
        if (prev && !catchAll)
          this.sink.report("W0200", "unreachable match arm: the same pattern appears earlier", p.span, {
            related: [{ file: this.sink.file, span: prev, message: "first matched here" }],
          });
        else seen.set(key, p.span);
      }
      const bodyT = arm.body.kind === "Block" ? this.block(arm.body, armScope) : this.expr(arm.body, armScope);
      this.closeScope(armScope);
      result = result === undefined ? bodyT : (join(result, bodyT, this.env) ?? T.unit);
    }
    // Without a catch-all arm, a value may match no arm and the match produces nothing.
    if (!catchAll)
      result = result === undefined || result.k === "never" ? T.unit : (join(result, T.unit, this.env) ?? T.unit);
    return result ?? T.unit;
  }

  private tryStmt(st: TryStmt, scope: Scope): Type {
    let t = this.block(st.body, scope);
    for (const c of present(st.catches)) {
      const errT = this.catchType(c);
      const ct = this.block(c.body, scope, "block", (s) => {
        const v = this.declare(s, c.binder, errT, "catch");
        v.used = true;
      });
      t = join(t, ct, this.env) ?? T.unit;
    }
    return t;
  }

  /**
   * `catch (T e)`: `T` is `Error`, one of the runtime's error kinds declared by the stdlib
   * (`PolicyDenied`, `ToolError`, ...: `e` has that type), or a project alias of one
   * (`type APIError = Error`: its own kind, `e` is an `Error`).
   */
  private catchType(c: CatchClause): Type {
    if (!c.errorType) return T.named("Error");
    const name = c.errorType.name;
    const decl = this.env.typeDecls.get(name);
    if (!decl && !ERROR_KINDS.includes(name)) {
      this.sink.report("E0101", `unknown error type \`${name}\``, c.errorType.span, {
        help:
          didYouMean(name, [...this.env.typeDecls.keys(), ...ERROR_KINDS]) ??
          `declare it as an error kind: \`type ${name} = Error\``,
      });
      return T.named("Error");
    }
    this.sink.ref(decl ? `type:${name}` : `builtin-type:${name}`, c.errorType);
    if (!decl) return T.named(name);
    const t = this.env.userType(name);
    if (t.k !== "error" && !(t.k === "named" && ERROR_KINDS.includes(t.name))) {
      this.sink.report("E0216", `\`${name}\` is not an error type`, c.errorType.span, {
        help: `declare it as an alias of Error: \`type ${name} = Error\``,
      });
    }
    return T.named("Error");
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  expr(e: Expr, scope: Scope, expected?: Type): Type {
    if (this.depth >= MAX_DEPTH) {
      if (!this.tooDeepReported) {
        this.tooDeepReported = true;
        this.sink.report("E0217", `expression nested more than ${MAX_DEPTH} levels deep`, e.span, {
          help: "split it into smaller expressions with `let`",
        });
      }
      return T.error;
    }
    this.depth++;
    try {
      return this.sink.setType(e, this.exprInner(e, scope, expected));
    } finally {
      this.depth--;
    }
  }

  private exprInner(e: Expr, scope: Scope, expected?: Type): Type {
    switch (e.kind) {
      case "String":
        return T.String;
      case "Number":
        return e.isFloat ? T.float : T.int;
      case "Duration":
        return T.Duration;
      case "Bool":
        return T.bool;
      case "Vault":
        return { k: "dyn", name: "Secret" };
      case "Identifier":
        return this.factUses.has(e) ? this.factUse(e, scope) : this.identifier(e, scope);
      case "Paren":
        return this.expr(e.expr, scope, expected);
      case "Binary":
        return this.binary(e, scope);
      case "Unary": {
        const t = this.expr(e.operand, scope);
        if (e.op === "-") {
          if (isLoose(t) || (t.k === "prim" && (t.name === "int" || t.name === "float" || t.name === "Duration")))
            return t;
          this.sink.report("E0205", `cannot negate \`${show(t)}\``, e.span);
          return T.error;
        }
        if (!isLoose(t) && !isPrim(t, "bool"))
          this.sink.report("E0206", `\`${e.op}\` needs a \`bool\`, found \`${show(t)}\``, e.operand.span);
        return T.bool;
      }
      case "Member":
        return this.member(e, scope, false);
      case "Call":
        return this.call(e, scope);
      case "Index":
        return this.index(e, scope);
      case "TypeLiteral":
        return this.typeLiteral(e, scope);
      case "Record":
        return this.record(e, scope, expected);
      case "Array": {
        const want = expected?.k === "list" ? expected.elem : undefined;
        let elem: Type | undefined;
        for (const el of e.elements) {
          const t = this.expr(el, scope, want);
          if (elem === undefined) {
            elem = t;
            continue;
          }
          const j = join(elem, t, this.env);
          if (!j) {
            this.sink.report("E0200", "list elements must have one type", el.span, {
              notes: [`expected: ${show(elem)}`, `found: ${show(t)}`],
            });
          } else elem = j;
        }
        return T.list(elem ?? want ?? T.any);
      }
      case "Lambda":
        return this.lambda(e, scope, expected?.k === "fn" ? expected : undefined);
      case "IfExpr":
        return this.ifExpr(e, scope);
      case "Setting":
        this.expr(e.value, scope);
        this.sink.report("E0301", "`name = value` settings are only allowed in a `require: [...]` list", e.span);
        return T.error;
      case "Error":
        return T.error;
    }
  }

  private ifExpr(e: IfExpr, scope: Scope): Type {
    this.condition(e.condition, scope);
    const a = this.block(e.then, scope);
    const b = e.else.kind === "IfExpr" ? this.expr(e.else, scope) : this.block(e.else, scope);
    const j = join(a, b, this.env);
    if (!j) {
      this.sink.report("E0200", "`if` and `else` have different types", e.span, {
        notes: [`then: ${show(a)}`, `else: ${show(b)}`],
      });
      return T.error;
    }
    return j;
  }

  private binary(root: BinaryExpr, scope: Scope): Type {
    // Walk the left spine iteratively: `a + b + c + ...` nests to the left without bound.
    const spine: BinaryExpr[] = [];
    let cur: Expr = root;
    while (cur.kind === "Binary") {
      spine.push(cur);
      cur = cur.left;
    }
    let left = this.expr(cur, scope);
    for (let i = spine.length - 1; i >= 0; i--) {
      const node = spine[i]!;
      if (node.op === "in") this.markFacts(node.right, scope, "collection");
      const right = this.expr(node.right, scope);
      left = this.sink.setType(node, this.binaryStep(node, left, right));
    }
    return left;
  }

  private binaryStep(node: BinaryExpr, l: Type, r: Type): Type {
    if (node.op === "&&" || node.op === "||") {
      for (const [side, t] of [
        [node.left, l],
        [node.right, r],
      ] as const) {
        if (!isLoose(t) && !isPrim(t, "bool") && t.k !== "never")
          this.sink.report("E0206", `\`${node.op}\` needs \`bool\` operands, found \`${show(t)}\``, side.span);
      }
      return T.bool;
    }
    // A string literal compared with a level type must be one of its levels.
    if (["<", ">", "<=", ">=", "==", "!="].includes(node.op)) {
      if (l.k === "levels" && node.right.kind === "String" && !l.levels.includes(node.right.value))
        this.levelError(node.right.value, l, node.right.span);
      if (r.k === "levels" && node.left.kind === "String" && !r.levels.includes(node.left.value))
        this.levelError(node.left.value, r, node.left.span);
    }
    const res = binaryType(node.op, l, r, this.env);
    if ("error" in res) {
      this.sink.report(res.error.code, res.error.message, node.span, {
        ...(res.error.help ? { help: res.error.help } : {}),
        ...(res.error.notes ? { notes: res.error.notes } : {}),
      });
      return node.op === "==" ||
        node.op === "!=" ||
        node.op === "in" ||
        node.op === "<" ||
        node.op === ">" ||
        node.op === "<=" ||
        node.op === ">="
        ? T.bool
        : T.error;
    }
    return res.type;
  }

  private levelError(value: string, t: Extract<Type, { k: "levels" }>, span: Span): void {
    this.sink.report("E0214", `\`${JSON.stringify(value)}\` is not a level of \`${t.name}\``, span, {
      help: didYouMean(value, t.levels) ?? `levels, lowest first: ${t.levels.join(" < ")}`,
    });
  }

  /** Whether `expr` (of type `t`) fits `want`; string literals fit a level type when they name a level. */
  fits(expr: Expr, t: Type, want: Type): boolean {
    if (want.k === "levels" && expr.kind === "String") {
      if (!want.levels.includes(expr.value)) this.levelError(expr.value, want, expr.span);
      return true;
    }
    return assignable(t, want, this.env);
  }

  private identifier(id: Identifier, scope: Scope): Type {
    const name = id.name;
    const v = scope.lookup(name);
    if (v) return this.use(v, id);
    const value = builtinValueType(name);
    if (value) {
      this.sink.builtin(`builtin:${name}`, { kind: "builtin", name, type: value, doc: `built-in value` });
      this.sink.ref(`builtin:${name}`, id);
      return value;
    }
    const trusted = isTrustedRecord(name) ? TRUSTED_RECORD_TYPES[name] : undefined;
    if (trusted) {
      this.sink.builtin(`trusted:${name}`, {
        kind: "builtin",
        name,
        type: T.named(trusted),
        doc: `the trusted \`${name}\` record (${trusted}), supplied by the deployment at decision time`,
      });
      this.sink.ref(`trusted:${name}`, id);
      return T.named(trusted);
    }
    if (this.ctx.guard) {
      this.notAtDecisionTime(id, scope);
      return T.error;
    }
    const mem = this.env.memories.get(name);
    if (mem) {
      this.sink.ref(`memory:${name}`, id);
      return { k: "opaque", name: "Memory" };
    }
    const fn = this.userFunction(name);
    if (fn) {
      this.sink.ref(fn.symbolId, id);
      return fn.type;
    }
    const tool = this.env.tools.get(name);
    if (tool) {
      this.sink.ref(`tool:${name}`, id);
      return tool.type;
    }
    const b = builtinFunction(name);
    if (b) {
      this.builtinRef(name, id);
      return b.typeParams.length ? substitute(b.type, new Map()) : b.type;
    }
    if (this.env.agents.has(name)) {
      this.sink.ref(`agent:${name}`, id);
      this.sink.report("E0100", `\`${name}\` is an agent, not a value`, id.span, {
        help: `run it with \`delegate("${name}", input)\``,
      });
      return T.error;
    }
    this.unknownName(id, scope);
    return T.error;
  }

  private builtinRef(name: string, id: Identifier): void {
    const b = builtinFunction(name);
    this.sink.builtin(`builtin:${name}`, { kind: "builtin", name, ...(b ? { type: b.type, doc: b.doc } : {}) });
    this.sink.ref(`builtin:${name}`, id);
  }

  private userFunction(name: string): FunctionInfo | undefined {
    const agent = this.ctx.agent?.name;
    return (agent ? this.env.agentFunctions.get(agent)?.get(name) : undefined) ?? this.env.functions.get(name);
  }

  private visibleLocals(scope: Scope): string[] {
    const out: string[] = [];
    for (let s: Scope | undefined = scope; s; s = s.parent) for (const name of s.vars.keys()) out.push(name);
    return out;
  }

  /** E0105 (declared later in the block), E0106 (declared in a closed block) or E0100 with a suggestion. */
  unknownName(id: Identifier, scope: Scope): void {
    const name = id.name;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const later = s.pending?.get(name);
      if (later && later.start > id.span.start) {
        this.sink.report("E0105", `\`${name}\` is used before its definition`, id.span, {
          help: `move the definition before this use`,
          related: [{ file: this.sink.file, span: later, message: "defined here" }],
        });
        return;
      }
    }
    const closed = scope.body().closed?.get(name);
    if (closed && closed.start < id.span.start) {
      this.sink.report("E0106", `\`${name}\` is not in scope here`, id.span, {
        help: `it was declared inside a block that has ended; declare it before that block (\`let ${name} = ...;\`) and assign it inside`,
        related: [{ file: this.sink.file, span: closed, message: "declared here, in an inner block" }],
      });
      return;
    }
    const globals = this.env.memo("value-names", () => [
      ...this.env.functions.keys(),
      ...this.env.tools.keys(),
      ...this.env.memories.keys(),
      ...BUILTIN_FUNCTIONS.keys(),
      ...TRUSTED_RECORDS,
      "None",
      "null",
    ]);
    const agentFns = this.ctx.agent ? [...(this.env.agentFunctions.get(this.ctx.agent.name)?.keys() ?? [])] : [];
    const help =
      didYouMean(name, this.visibleLocals(scope)) ?? didYouMean(name, agentFns) ?? didYouMeanIn(name, globals);
    this.sink.report("E0100", `unknown name \`${name}\``, id.span, {
      help:
        help ??
        "declare it with `let`, or add a function, a tool contract (tools/<name>.clad.toml) or an agent of that name",
    });
  }

  private notAtDecisionTime(id: Identifier, scope: Scope): void {
    const available = [...this.visibleLocals(scope), ...(this.ctx.guard?.available() ?? [])];
    const s = closestName(id.name, available);
    this.sink.report("E0303", `\`${id.name}\` is not available when the policy is decided`, id.span, {
      help: s
        ? `did you mean \`${s}\`?`
        : `a guard may use the action's binders, the agent's inputs and the trusted records \`context\`, \`user\`, \`session\`, \`system\`${available.length ? ` (here: ${[...new Set(available)].sort().join(", ")})` : ""}`,
    });
  }

  member(e: MemberExpr, scope: Scope, assignTarget: boolean): Type {
    if (!assignTarget) this.markFacts(e.object, scope, "collection");
    const objT = this.expr(e.object, scope);
    const t = this.memberType(objT, e.property, e, assignTarget);
    this.sink.setType(e.property, t);
    return this.sink.setType(e, t);
  }

  private memberType(objT: Type, prop: Identifier, e: MemberExpr, assignTarget: boolean): Type {
    const name = prop.name;
    if (isLoose(objT)) return objT.k === "error" ? T.error : objT;
    const rf = recordFields(objT, this.env);
    if (rf) {
      const ft = rf.fields.get(name);
      if (ft) {
        if (rf.name && this.env.typeDecls.has(rf.name))
          this.sink.ref(`field:${rf.name}.${name}`, prop, { write: assignTarget });
        return ft;
      }
      if (rf.open) {
        if (!assignTarget) {
          this.sink.report("W0202", `\`${name}\` is not a declared field of \`${rf.name ?? show(objT)}\``, prop.span, {
            help:
              didYouMean(name, rf.fields.keys()) ??
              `declare it in the project: \`type ${rf.name ?? "User"} = { ..., ${name}: <type> }\``,
          });
        }
        return T.JSON;
      }
      this.sink.report("E0203", `no field \`${name}\` on \`${rf.name ?? show(objT)}\``, prop.span, {
        help:
          didYouMean(name, rf.fields.keys()) ??
          (rf.fields.size ? `fields: ${[...rf.fields.keys()].join(", ")}` : "the record has no fields"),
      });
      return T.error;
    }
    const bf = builtinField(objT, name);
    if (bf) return bf.type;
    if (builtinMethod(objT, name)) {
      this.sink.report("E0203", `\`${name}\` is a method of \`${show(objT)}\`, not a field`, prop.span, {
        help: `call it: \`.${name}()\``,
      });
      return T.error;
    }
    const help =
      objT.k === "option"
        ? "unwrap the Option first: `if let Some(x) = ... { x." + name + " }`"
        : didYouMeanIn(name, builtinMemberNames(objT));
    this.sink.report("E0203", `no field \`${name}\` on \`${show(objT)}\``, prop.span, help ? { help } : {});
    void e;
    return T.error;
  }

  index(e: IndexExpr, scope: Scope): Type {
    this.markFacts(e.object, scope, "unless-text");
    const objT = this.expr(e.object, scope);
    const idxT = this.expr(e.index, scope);
    if (isLoose(objT)) return objT.k === "error" ? T.error : objT;
    const want = (key: Type, result: Type): Type => {
      if (!this.fits(e.index, idxT, key))
        this.sink.report("E0208", `cannot index \`${show(objT)}\` with \`${show(idxT)}\``, e.index.span, {
          notes: [`expected: ${show(key)}`, `found: ${show(idxT)}`],
        });
      return result;
    };
    if (objT.k === "list") return want(T.int, objT.elem);
    if (objT.k === "map") return want(objT.key, objT.value);
    if (isPrim(objT, "String")) return want(T.int, T.String);
    if (objT.k === "record" && e.index.kind !== "String") {
      const asMap = recordAsMap(objT, this.env) as Extract<Type, { k: "map" }>;
      return want(T.String, asMap.value);
    }
    const rf = recordFields(objT, this.env);
    if (rf && e.index.kind === "String") {
      const ft = rf.fields.get(e.index.value);
      if (ft) return ft;
      if (rf.open) return T.JSON;
      this.sink.report(
        "E0203",
        `no field ${JSON.stringify(e.index.value)} on \`${rf.name ?? show(objT)}\``,
        e.index.span,
        {
          ...(didYouMean(e.index.value, rf.fields.keys())
            ? { help: didYouMean(e.index.value, rf.fields.keys())! }
            : {}),
        },
      );
      return T.error;
    }
    this.sink.report("E0208", `cannot index \`${show(objT)}\``, e.span, {
      help: "indexing works on a List, a String or a Map",
    });
    return T.error;
  }

  private typeLiteral(e: TypeLiteral, scope: Scope): Type {
    const name = e.typeName.name;
    const decl = this.env.typeDecls.get(name);
    const t = decl ? this.env.userType(name) : this.env.structs.has(name) ? T.named(name) : undefined;
    if (!t) {
      this.sink.report("E0101", `unknown type \`${name}\``, e.typeName.span, {
        help:
          didYouMean(name, [...this.env.typeDecls.keys(), ...this.env.structs.keys()]) ??
          `declare it with \`type ${name} = { ... }\``,
      });
      for (const f of present(e.fields)) this.expr(f.value, scope);
      return T.error;
    }
    this.sink.ref(decl ? `type:${name}` : `builtin-type:${name}`, e.typeName);
    const rf = recordFields(t, this.env);
    if (!rf) {
      if (t.k !== "error")
        this.sink.report("E0200", `\`${name}\` is not a struct type`, e.typeName.span, {
          notes: [`\`${name}\` is \`${show(t)}\``],
        });
      for (const f of present(e.fields)) this.expr(f.value, scope);
      return T.error;
    }
    const given = new Set<string>();
    for (const f of present(e.fields)) {
      if (!isNode(f.key)) continue;
      const key = f.key.kind === "Identifier" ? f.key.name : f.key.value;
      const ft = rf.fields.get(key);
      const vt = this.expr(f.value, scope, ft);
      if (given.has(key)) {
        this.sink.report("E0212", `field \`${key}\` is given twice`, f.key.span);
        continue;
      }
      given.add(key);
      if (!ft) {
        if (!rf.open)
          this.sink.report("E0212", `\`${rf.name ?? name}\` has no field \`${key}\``, f.key.span, {
            help:
              didYouMean(
                key,
                [...rf.fields.keys()].filter((k) => !given.has(k)),
              ) ?? `fields: ${[...rf.fields.keys()].join(", ")}`,
          });
        continue;
      }
      if (rf.name && this.env.typeDecls.has(rf.name) && f.key.kind === "Identifier")
        this.sink.ref(`field:${rf.name}.${key}`, f.key);
      if (!this.fits(f.value, vt, ft))
        this.sink.report("E0200", `mismatched types in field \`${key}\``, f.value.span, {
          notes: [`expected: ${show(ft)}`, `found: ${show(vt)}`],
        });
    }
    const missing = [...rf.fields]
      .filter(([k, ft]) => !given.has(k) && ft.k !== "option" && !isLoose(ft))
      .map(([k]) => k);
    if (missing.length) {
      this.sink.report(
        "E0211",
        `missing field${missing.length > 1 ? "s" : ""} ${missing.map((m) => `\`${m}\``).join(", ")} in \`${name}\``,
        e.typeName.span,
        {
          help: "give every field (fields of type `Option<...>` may be left out)",
        },
      );
    }
    return t;
  }

  private record(e: RecordExpr, scope: Scope, expected?: Type): Type {
    // `{}` starts an object that is filled in later: untyped.
    if (e.fields.length === 0) return T.JSON;
    const want = expected ? recordFields(expected, this.env) : undefined;
    const fields = new Map<string, Type>();
    for (const f of present(e.fields)) {
      if (!isNode(f.key)) continue;
      const key = f.key.kind === "Identifier" ? f.key.name : f.key.value;
      const t = this.expr(f.value, scope, want?.fields.get(key));
      if (fields.has(key)) this.sink.report("E0212", `field \`${key}\` is given twice`, f.key.span);
      if (t.k === "unit") this.sink.report("E0219", `\`${exprName(f.value)}\` produces no value`, f.value.span);
      fields.set(key, widenLiteral(t));
    }
    return T.record(fields, false);
  }

  private lambda(e: LambdaExpr, scope: Scope, expected?: FnType): Type {
    const s = new Scope(scope, "lambda");
    s.extent = e.span;
    const params: FnParam[] = [];
    const seen = new Set<string>();
    present(e.params).forEach((p, i) => {
      if (seen.has(p.name)) this.sink.report("E0109", `parameter \`${p.name}\` is declared twice`, p.span);
      seen.add(p.name);
      const pt = expected?.params[i]?.type ?? T.any;
      const v = this.declare(s, p, pt, "lambda-param");
      v.used = true;
      params.push({ name: p.name, type: pt, optional: false, rest: false });
    });
    if (expected && e.params.length > expected.params.length) {
      this.sink.report(
        "E0201",
        `this closure takes ${e.params.length} parameters but ${expected.params.length} ${expected.params.length === 1 ? "is" : "are"} passed`,
        e.span,
      );
    }
    const bodyT = this.expr(e.body, s);
    this.closeScope(s);
    return T.fn(params, bodyT);
  }

  // -------------------------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------------------------

  private call(e: CallExpr, scope: Scope): Type {
    const callee = e.callee;
    if (callee.kind === "Identifier") return this.callName(e, callee, scope);
    if (callee.kind === "Member") return this.callMethod(e, callee, scope);
    const t = this.expr(callee, scope);
    if (t.k === "fn") return this.apply(e, t, [], "the function");
    if (!isLoose(t)) this.sink.report("E0104", `\`${show(t)}\` is not a function`, callee.span);
    this.argsLoosely(e, scope);
    return isLoose(t) && t.k !== "error" ? t : T.error;
  }

  private callName(e: CallExpr, id: Identifier, scope: Scope): Type {
    const name = id.name;
    const v = scope.lookup(name);
    if (v && (v.type.k === "fn" || isLoose(v.type))) {
      this.use(v, id);
      if (v.type.k === "fn") return this.apply(e, v.type, [], `\`${name}\``, scope);
      this.argsLoosely(e, scope);
      return v.type;
    }
    const fn = this.userFunction(name);
    if (fn) {
      this.sink.ref(fn.symbolId, id);
      return this.apply(e, fn.type, [], `\`${name}\``, scope);
    }
    const tool = this.env.tools.get(name);
    if (tool) {
      this.sink.ref(`tool:${name}`, id);
      if (this.ctx.guard) {
        this.sink.report("E0304", `a guard cannot call the tool \`${name}\``, id.span, {
          help: "guards run before the action; compute the value in the agent and pass it as an argument, or use a trusted context field",
        });
      }
      return this.apply(e, tool.type, [], `tool \`${name}\``, scope);
    }
    const b = builtinFunction(name);
    if (b) {
      this.builtinRef(name, id);
      const first = e.args[0];
      if (first && first.kind !== "NamedArg" && (name === "any" || name === "all" || name === "len"))
        this.markFacts(first, scope, name === "len" ? "unless-text" : "collection");
      if (this.ctx.guard && b.action) {
        this.sink.report("E0304", `a guard cannot call \`${name}\` (it is the action \`${b.action}\`)`, id.span, {
          help: "guards run before the action and must not have side effects",
        });
      }
      if (b.action && b.target === "agent") this.checkAgentTarget(e);
      return this.apply(e, b.type, b.typeParams, `\`${name}\``, scope);
    }
    if (this.env.agents.has(name)) {
      this.sink.ref(`agent:${name}`, id);
      this.sink.report("E0104", `\`${name}\` is an agent, not a function`, id.span, {
        help: `run it with \`delegate("${name}", input)\``,
      });
      this.argsLoosely(e, scope);
      return T.error;
    }
    const group = this.env.groups.get(name);
    if (group || BUILTIN_ACTIONS.has(name)) {
      this.sink.report(
        "E0104",
        `\`${name}\` is ${group ? "an action group" : "a policy action"}, not a function`,
        id.span,
        {
          help:
            group && group.members !== "*" && group.members.length
              ? `call one of its tools: ${group.members.join(", ")}`
              : "policies name actions; code calls tools, functions and builtins",
        },
      );
      this.argsLoosely(e, scope);
      return T.error;
    }
    if (v) {
      this.use(v, id);
      this.sink.report("E0104", `\`${name}\` is ${an(v.type)}, not a function`, id.span, {
        related: [{ file: this.sink.file, span: v.span, message: "declared here" }],
      });
      this.argsLoosely(e, scope);
      return T.error;
    }
    const callables = this.env.memo("callable-names", () => [
      ...this.env.functions.keys(),
      ...this.env.tools.keys(),
      ...BUILTIN_FUNCTIONS.keys(),
    ]);
    const agentFns = this.ctx.agent ? [...(this.env.agentFunctions.get(this.ctx.agent.name)?.keys() ?? [])] : [];
    this.sink.report("E0100", `unknown function \`${name}\``, id.span, {
      help:
        didYouMean(name, agentFns) ??
        didYouMeanIn(name, callables) ??
        `declare \`function ${name}(...)\`, or add a tool contract \`tools/${name}.clad.toml\``,
    });
    this.argsLoosely(e, scope);
    return T.error;
  }

  /** `delegate("name", ...)`: a literal target must name an agent of the project. */
  private checkAgentTarget(e: CallExpr): void {
    const first = e.args[0];
    if (!first || first.kind !== "String") return;
    if (this.env.agents.has(first.value)) {
      this.sink.ref(`agent:${first.value}`, first);
      return;
    }
    const agents = this.env.memo("agent-names", () => [...this.env.agents.keys()]);
    this.sink.report("E0308", `no agent named ${JSON.stringify(first.value)}`, first.span, {
      help: didYouMeanIn(first.value, agents) ?? "declare the agent in a file of the project",
    });
  }

  private callMethod(e: CallExpr, callee: MemberExpr, scope: Scope): Type {
    const name = callee.property.name;
    if (FACT_COLLECTION_METHODS.has(name)) this.markFacts(callee.object, scope, "collection");
    else if (TEXT_OR_COLLECTION_METHODS.has(name)) this.markFacts(callee.object, scope, "unless-text");
    const objT = this.expr(callee.object, scope);
    if (isLoose(objT)) {
      this.argsLoosely(e, scope);
      this.sink.setType(callee, objT);
      return objT.k === "error" ? T.error : objT;
    }
    const rf = recordFields(objT, this.env);
    const field = rf?.fields.get(name);
    if (field && (field.k === "fn" || isLoose(field))) {
      this.sink.setType(callee, field);
      if (field.k === "fn") return this.apply(e, field, [], `\`${name}\``, scope);
      this.argsLoosely(e, scope);
      return field;
    }
    // A record literal (`{"a": 1}`) also works as a Map<String, V>: `.keys()`, `.contains(k)`, ...
    const m =
      builtinMethod(objT, name) ?? (objT.k === "record" ? builtinMethod(recordAsMap(objT, this.env), name) : undefined);
    if (m) {
      const head = receiverName(objT) ?? "Map";
      const id = `builtin:${head}.${name}`;
      this.sink.builtin(id, { kind: "builtin", name, type: m.type, doc: m.decl.doc, container: head });
      this.sink.ref(id, callee.property);
      this.sink.setType(callee, m.type);
      return this.apply(e, m.type, m.typeParams, `\`${name}\``, scope);
    }
    const names = [...builtinMemberNames(objT), ...(rf ? rf.fields.keys() : [])];
    const help = objT.k === "option" ? "unwrap the Option first: `if let Some(x) = ...`" : didYouMean(name, names);
    this.sink.report("E0204", `no method \`${name}\` on \`${show(objT)}\``, callee.property.span, help ? { help } : {});
    this.argsLoosely(e, scope);
    return T.error;
  }

  private argsLoosely(e: CallExpr, scope: Scope): void {
    for (const a of present(e.args)) this.expr(a.kind === "NamedArg" ? a.value : a, scope);
  }

  /**
   * Matches arguments to parameters (positional in order, named by parameter name, a rest
   * parameter takes the remaining positional ones), checks their types (binding type variables
   * of generic builtins; lambdas last, with the parameter types already known) and returns the
   * result type.
   */
  private apply(e: CallExpr, fn: FnType, typeParams: readonly string[], what: string, scope?: Scope): Type {
    const sc = scope ?? new Scope(undefined, "block");
    const params = fn.params;
    const filled: Array<Expr | undefined> = new Array(params.length);
    const restIndex = params.findIndex((p) => p.rest);
    const restArgs: Expr[] = [];
    let p = 0;
    const extra: Expr[] = [];
    for (const a of present(e.args)) {
      if (a.kind === "NamedArg") {
        this.namedArg(a, params, filled, what, sc);
        continue;
      }
      while (p < params.length && filled[p] !== undefined && !params[p]!.rest) p++;
      if (p >= params.length) extra.push(a);
      else if (params[p]!.rest) restArgs.push(a);
      else filled[p++] = a;
    }
    const subst = new Map<string, Type>();
    const generic = typeParams.length > 0;
    const checkArg = (arg: Expr, param: FnParam) => {
      const want = generic ? substitute(param.type, subst) : param.type;
      const t = this.expr(arg, sc, want);
      if (t.k === "unit" && param.type.k !== "unit")
        this.sink.report("E0219", `\`${exprName(arg)}\` produces no value`, arg.span);
      const ok = generic
        ? unify(param.type, t, subst, this.env) && this.fits(arg, t, substitute(param.type, subst))
        : this.fits(arg, t, param.type);
      if (ok && param.allowed && arg.kind === "String" && !param.allowed.includes(arg.value)) {
        this.sink.report(
          "E0310",
          `${JSON.stringify(arg.value)} is not an allowed value of argument \`${param.name}\` of ${what}`,
          arg.span,
          {
            help:
              didYouMean(arg.value, param.allowed) ??
              `allowed: ${param.allowed.map((v) => JSON.stringify(v)).join(", ")}`,
          },
        );
      }
      if (!ok) {
        const exp = substitute(param.type, subst);
        this.sink.report(
          "E0200",
          `mismatched types in argument \`${param.name.startsWith("_") ? String(params.indexOf(param) + 1) : param.name}\` of ${what}`,
          arg.span,
          { notes: [`expected: ${show(exp)}`, `found: ${show(t)}`] },
        );
      }
    };
    // Non-lambda arguments first, so that lambdas see the element types they operate on.
    const lambdas: Array<[Expr, FnParam]> = [];
    params.forEach((param, i) => {
      const arg = filled[i];
      if (arg === undefined) return;
      if (arg.kind === "Lambda") lambdas.push([arg, param]);
      else checkArg(arg, param);
    });
    const restParam = restIndex >= 0 ? params[restIndex]! : undefined;
    for (const a of restArgs) checkArg(a, restParam!);
    for (const [arg, param] of lambdas) checkArg(arg, param);
    for (const a of extra) this.expr(a, sc);
    if (extra.length > 0) {
      const max = params.filter((x) => !x.rest).length;
      this.sink.report(
        "E0201",
        `${what} takes ${max} argument${max === 1 ? "" : "s"} but ${max + extra.length} were given`,
        extra[0]!.span,
        { help: "remove the extra arguments" },
      );
    }
    const missing = params.filter((param, i) => filled[i] === undefined && !param.optional && !param.rest);
    if (missing.length > 0) {
      this.sink.report(
        "E0201",
        `missing argument${missing.length > 1 ? "s" : ""} ${missing.map((m) => `\`${m.name}\``).join(", ")} in the call of ${what}`,
        e.span,
        {
          notes: [`expected: ${describeParams(params)}`],
        },
      );
    }
    return generic ? substitute(fn.result, subst) : fn.result;
  }

  private namedArg(
    a: NamedArg,
    params: readonly FnParam[],
    filled: Array<Expr | undefined>,
    what: string,
    scope: Scope,
  ): void {
    const idx = params.findIndex((p) => p.name === a.name.name && !p.rest);
    if (idx < 0) {
      const names = params.filter((p) => !p.rest && !p.name.startsWith("_")).map((p) => p.name);
      this.sink.report("E0202", `${what} has no parameter named \`${a.name.name}\``, a.name.span, {
        help:
          didYouMean(a.name.name, names) ??
          (names.length ? `parameters: ${names.join(", ")}` : "it takes no named parameters"),
      });
      this.expr(a.value, scope);
      return;
    }
    if (filled[idx] !== undefined) {
      this.sink.report("E0202", `argument \`${a.name.name}\` is given twice`, a.name.span);
      this.expr(a.value, scope);
      return;
    }
    filled[idx] = a.value;
  }
}

const an = withArticle;

function describeParams(params: readonly FnParam[]): string {
  return `(${params.map((p) => `${p.rest ? "..." : ""}${p.name.startsWith("_") ? "" : p.name + (p.optional ? "?" : "") + ": "}${show(p.type)}`).join(", ")})`;
}

function isErrorCall(e: Expr): boolean {
  return e.kind === "Call" && e.callee.kind === "Identifier" && e.callee.name === "error";
}

function exprName(e: Expr): string {
  if (e.kind === "Call") return exprName(e.callee) + "(...)";
  if (e.kind === "Identifier") return e.name;
  if (e.kind === "Member") return exprName(e.object) + "." + e.property.name;
  return "this expression";
}

/** A record literal seen as a map: `Map<String, V>` with V the join of its values (JSON when they differ). */
function recordAsMap(t: Extract<Type, { k: "record" }>, env: import("./types.js").TypeEnv): Type {
  let v: Type | undefined;
  for (const ft of t.fields.values()) v = v === undefined ? ft : (join(v, ft, env) ?? T.JSON);
  return T.map(T.String, v ?? T.JSON);
}

export function containsNever(t: Type): boolean {
  switch (t.k) {
    case "never":
    case "null":
      return true;
    case "option":
      return containsNever(t.inner);
    case "list":
      return t.elem.k === "any" || containsNever(t.elem);
    default:
      return false;
  }
}

/** A variable initialised with `[]` holds any items; one initialised with `null` is an Option. */
function widenLiteral(t: Type): Type {
  return t;
}
