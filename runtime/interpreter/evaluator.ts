/**
 * The tree-walking evaluator for agent code: the checked AST (grammar/ast.ts; a bundle's IR is
 * the same tree). Every statement and expression kind is handled here; operators are in
 * operators.ts, values in values.ts, builtins behind the BuiltinRegistry.
 *
 * Evaluation is async because tool calls are. Deep recursion in agent code must hit the
 * recursion limit, never a JavaScript stack overflow: every STACK_YIELD_EVERY nested calls the
 * evaluator awaits once, which suspends the whole chain of pending async frames onto the heap
 * and resumes on an empty stack.
 *
 * Name resolution for `name` and `name(...)`: variables (innermost scope first), then the
 * program's functions, then tools, then builtins. Methods (`x.m(...)`): a function stored in a
 * record field `m`, else the builtin method `m` for the receiver's kind.
 */
import type * as A from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import { Budget } from "./budget.js";
import type { BuiltinFunction, BuiltinRegistry, ParamSpec } from "./builtins/types.js";
import { Environment } from "./environment.js";
import { DslError, FatalError, ReturnSignal, type SourceLocation } from "./errors.js";
import type { InterpreterHost } from "./host.js";
import { asMapKey, binary, OperatorError, unary } from "./operators.js";
import {
  display,
  duration,
  equals,
  float,
  fn,
  isAbsent,
  isFloat,
  isFn,
  isList,
  isMap,
  isOption,
  isResult,
  list,
  map,
  NONE,
  typeNameOf,
  type FnValue,
  type MapKey,
  type Value,
} from "./values.js";

const STACK_YIELD_EVERY = 32;

/** `break` / `continue` unwinding to the nearest `for`. */
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");

function isOptionType(t: A.TypeRef | undefined): boolean {
  return t !== undefined && (t.name.name === "Option" || t.name.name === "Maybe");
}

export interface ProgramUnit {
  /** The source file of the agent (shown in error locations); a function node may name its own `file`. */
  file: string;
  functions: readonly A.FunctionDef[];
  types: readonly A.TypeDef[];
}

export interface InterpreterOptions {
  program: ProgramUnit;
  host: InterpreterHost;
  builtins: BuiltinRegistry;
  budget?: Budget;
}

type Args = { positional: Value[]; named: Map<string, Value>; namedSpans: Map<string, Span> };

export class Interpreter {
  readonly program: ProgramUnit;
  readonly host: InterpreterHost;
  readonly builtins: BuiltinRegistry;
  readonly budget: Budget;
  readonly globals = new Environment();
  private readonly functions = new Map<string, A.FunctionDef>();

  constructor(options: InterpreterOptions) {
    this.program = options.program;
    this.host = options.host;
    this.builtins = options.builtins;
    this.budget = options.budget ?? new Budget();
    this.file = options.program.file;
    for (const f of options.program.functions) this.functions.set(f.name.name, f);
  }

  /**
   * The file of the code running now: the agent's, or that of the function being run (the IR's
   * functions carry `file` when they come from another file of the project). Evaluation within
   * one run is sequential, so one field, saved and restored around calls, is enough.
   */
  private file: string;
  /** `for` loops around the code running now (for `break` / `continue`); reset in each call. */
  private loops = 0;

  loc(node: { span: Span }): SourceLocation {
    return { file: this.file, span: node.span };
  }

  private fail(node: { span: Span }, message: string, kind = "RuntimeError"): DslError {
    return new DslError(kind, message, this.loc(node));
  }

  private step(node: { span: Span }): void {
    this.budget.step(() => this.loc(node));
  }

  // -------------------------------------------------------------------------------------------
  // Entry points
  // -------------------------------------------------------------------------------------------

  /** Runs a `with` block with the agent's parameters bound; resolves to its value (a `return` or the block's value). */
  async runWith(block: A.WithBlock, params: ReadonlyMap<string, Value>): Promise<Value> {
    const scope = this.globals.child();
    for (const [name, v] of params) scope.declare(name, v);
    try {
      return await this.execBlock(block.body, scope);
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      throw e;
    }
  }

  /** Calls a program function by name (tests, inter-function entry). */
  async callFunctionByName(name: string, args: Value[]): Promise<Value> {
    const def = this.functions.get(name);
    if (!def) throw new DslError("RuntimeError", `no function \`${name}\``);
    return this.invoke(
      fn(name, { type: "function", def }),
      { positional: args, named: new Map(), namedSpans: new Map() },
      this.loc(def),
    );
  }

  /** Calls any function value with positional arguments (used by builtins such as `map`). */
  callValue(f: Value, args: Value[], loc: SourceLocation): Promise<Value> {
    if (!isFn(f)) throw new DslError("RuntimeError", `expected a function, found ${typeNameOf(f)}`, loc);
    return this.invoke(f, { positional: args, named: new Map(), namedSpans: new Map() }, loc);
  }

  // -------------------------------------------------------------------------------------------
  // Blocks and statements
  // -------------------------------------------------------------------------------------------

  /**
   * Runs a block in a fresh scope. Its value is the trailing expression, or — LANGUAGE.md
   * §1.4.2 — the value of a trailing `if` / `match` / `try` statement; otherwise null.
   */
  async execBlock(block: A.Block, outer: Environment): Promise<Value> {
    const scope = outer.child();
    const n = block.statements.length;
    let last: Value = null;
    for (let i = 0; i < n; i++) {
      const s = block.statements[i]!;
      const v = await this.execStmt(s, scope);
      if (i === n - 1) last = s.kind === "If" || s.kind === "Match" || s.kind === "Try" ? v : null;
    }
    if (block.tail) return this.evalExpr(block.tail, scope);
    return last;
  }

  private async execStmt(s: A.Stmt, scope: Environment): Promise<Value> {
    this.step(s);
    switch (s.kind) {
      case "Let":
        scope.declare(s.name.name, await this.evalExpr(s.init, scope));
        return null;
      case "Assign":
        await this.execAssign(s, scope);
        return null;
      case "Return":
        throw new ReturnSignal(s.value ? await this.evalExpr(s.value, scope) : null);
      case "If":
        return this.execIf(s, scope);
      case "For":
        await this.execFor(s, scope);
        return null;
      case "Match":
        return this.execMatch(s, scope);
      case "Try":
        return this.execTry(s, scope);
      case "ExprStmt":
        // `break;` / `continue;` parse as bare names; unless a variable has that name they are loop control.
        if (
          s.expr.kind === "Identifier" &&
          (s.expr.name === "break" || s.expr.name === "continue") &&
          scope.lookup(s.expr.name) === undefined
        ) {
          if (this.loops === 0) throw this.fail(s, `\`${s.expr.name}\` outside a loop`);
          throw s.expr.name === "break" ? BREAK : CONTINUE;
        }
        return this.evalExpr(s.expr, scope);
    }
  }

  private async execIf(s: A.IfStmt, scope: Environment): Promise<Value> {
    if (s.condition.kind === "LetCondition") {
      const value = await this.evalExpr(s.condition.value, scope);
      const bindings = new Map<string, Value>();
      if (this.matchPattern(s.condition.pattern, value, bindings)) {
        const inner = scope.child();
        for (const [k, v] of bindings) inner.declare(k, v);
        return this.execBlock(s.then, inner);
      }
    } else if (await this.condition(s.condition, scope)) {
      return this.execBlock(s.then, scope);
    }
    if (!s.else) return null;
    return s.else.kind === "If" ? this.execIf(s.else, scope) : this.execBlock(s.else, scope);
  }

  private async condition(e: A.Expr, scope: Environment): Promise<boolean> {
    const v = await this.evalExpr(e, scope);
    if (typeof v !== "boolean") throw this.fail(e, `a condition must be a bool, not ${typeNameOf(v)}`);
    return v;
  }

  /** `if let` patterns: `Some(p)`, `Ok(p)`, `Err(p)`, `None`, `_`, or a name that binds the value. */
  private matchPattern(p: A.Pattern, v: Value, out: Map<string, Value>): boolean {
    switch (p.kind) {
      case "WildcardPattern":
        return true;
      case "BindingPattern":
        if (p.name.name === "None") return isAbsent(v);
        out.set(p.name.name, v);
        return true;
      case "ConstructorPattern": {
        const name = p.name.name;
        let inner: Value | undefined;
        if (name === "Some" && isOption(v) && v.value !== undefined) inner = v.value;
        else if (name === "Some" && !isOption(v) && !isResult(v) && v !== null)
          inner = v; // a plain value is Some(value)
        else if (name === "Ok" && isResult(v) && v.ok) inner = v.value;
        else if (name === "Err" && isResult(v) && !v.ok) inner = v.value;
        else if (name === "None" && p.args.length === 0) return isAbsent(v);
        else return false;
        if (p.args.length !== 1) return p.args.length === 0;
        return this.matchPattern(p.args[0]!, inner, out);
      }
    }
  }

  private async execFor(s: A.ForStmt, scope: Environment): Promise<void> {
    const it = await this.evalExpr(s.iterable, scope);
    let items: Value[];
    if (isList(it))
      items = [...it.items]; // a snapshot: pushing inside the loop does not extend it
    else if (isMap(it)) items = [...it.entries.keys()];
    else if (typeof it === "string") items = [...it];
    else if (isOption(it)) items = it.value === undefined ? [] : [it.value];
    else throw this.fail(s.iterable, `\`for\` cannot iterate over ${typeNameOf(it)}`);
    this.loops++;
    try {
      for (const item of items) {
        const inner = scope.child();
        inner.declare(s.binder.name, item);
        try {
          await this.execBlock(s.body, inner);
        } catch (e) {
          if (e === BREAK) break;
          if (e !== CONTINUE) throw e;
        }
      }
    } finally {
      this.loops--;
    }
  }

  private async execMatch(s: A.MatchStmt, scope: Environment): Promise<Value> {
    const v = await this.evalExpr(s.scrutinee, scope);
    for (const arm of s.arms) {
      const inner = scope.child();
      if (!this.armMatches(arm.pattern, v, inner)) continue;
      return arm.body.kind === "Block" ? this.execBlock(arm.body, inner) : this.evalExpr(arm.body, inner);
    }
    return null;
  }

  private armMatches(p: A.MatchArm["pattern"], v: Value, scope: Environment): boolean {
    switch (p.kind) {
      case "WildcardPattern":
        return true;
      case "String":
        return v === p.value;
      case "Bool":
        return v === p.value;
      case "Number":
        return equals(v, p.isFloat ? float(p.value) : p.value);
      case "Identifier":
        if (p.name === "None") return isAbsent(v);
        if (p.name === "null") return v === null || isAbsent(v);
        scope.declare(p.name, v); // a name binds the value and always matches (as in Rust)
        return true;
    }
  }

  private async execTry(s: A.TryStmt, scope: Environment): Promise<Value> {
    try {
      return await this.execBlock(s.body, scope);
    } catch (e) {
      if (!(e instanceof DslError)) throw e; // returns, fatal errors and bugs pass through
      for (const c of s.catches) {
        if (c.errorType && !this.catches(c.errorType.name, e.kind)) continue;
        const inner = scope.child();
        inner.declare(c.binder.name, e.toValue());
        return this.execBlock(c.body, inner);
      }
      throw e;
    }
  }

  /**
   * Whether `catch (T e)` catches an error of `kind`: `Error` catches every error; any other
   * name catches the errors of that kind (a user alias `type APIError = Error` declares the
   * error kind `APIError`, as the checker reads it).
   */
  private catches(type: string, kind: string): boolean {
    return type === "Error" || type === kind;
  }

  private async execAssign(s: A.AssignStmt, scope: Environment): Promise<void> {
    const t = s.target;
    const compute = async (current: () => Value): Promise<Value> => {
      const rhs = await this.evalExpr(s.value, scope);
      if (s.op === "=") return rhs;
      const op = s.op.slice(0, 1) as "+" | "-" | "*" | "/" | "%";
      try {
        return binary(op, current(), rhs);
      } catch (e) {
        throw this.located(e, s);
      }
    };
    switch (t.kind) {
      case "Identifier": {
        const v = await compute(() => {
          const cur = scope.lookup(t.name);
          if (cur === undefined) throw this.fail(t, `\`${t.name}\` is not defined, so \`${s.op}\` cannot update it`);
          return cur;
        });
        scope.assign(t.name, v);
        return;
      }
      case "Member": {
        const obj = await this.evalExpr(t.object, scope);
        if (!isMap(obj)) throw this.fail(t.object, `cannot set field \`${t.property.name}\` on ${typeNameOf(obj)}`);
        const key = t.property.name;
        const v = await compute(() => {
          if (!obj.entries.has(key)) throw this.fail(t, `${typeNameOf(obj)} has no field \`${key}\``);
          return obj.entries.get(key)!;
        });
        obj.entries.set(key, v);
        return;
      }
      case "Index": {
        const obj = await this.evalExpr(t.object, scope);
        const idx = await this.evalExpr(t.index, scope);
        if (isList(obj)) {
          const i = this.listIndex(obj.items.length, idx, t.index);
          const v = await compute(() => obj.items[i]!);
          obj.items[i] = v;
          return;
        }
        if (isMap(obj)) {
          const key = this.mapKey(idx, t.index);
          const v = await compute(() => {
            if (!obj.entries.has(key)) throw this.fail(t.index, `no key ${display(idx, true)} in the map`);
            return obj.entries.get(key)!;
          });
          obj.entries.set(key, v);
          return;
        }
        throw this.fail(t.object, `cannot assign into ${typeNameOf(obj)} by index`);
      }
      default:
        throw this.fail(t, "this expression cannot be assigned to");
    }
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  async evalExpr(e: A.Expr, scope: Environment): Promise<Value> {
    this.step(e);
    switch (e.kind) {
      case "String":
        return e.value;
      case "Bool":
        return e.value;
      case "Number":
        if (e.isFloat) return float(e.value);
        if (!Number.isSafeInteger(e.value))
          throw this.fail(e, `integer literal ${e.raw} is outside ±${Number.MAX_SAFE_INTEGER}`);
        return e.value;
      case "Duration":
        return duration(e.millis);
      case "Identifier":
        return this.lookupName(e, scope);
      case "Paren":
        return this.evalExpr(e.expr, scope);
      case "Array": {
        const items: Value[] = [];
        for (const x of e.elements) items.push(await this.evalExpr(x, scope));
        return list(items);
      }
      case "Record":
        return this.evalFields(e.fields, scope);
      case "TypeLiteral":
        return this.evalFields(e.fields, scope, e.typeName.name);
      case "Binary":
        return this.evalBinary(e, scope);
      case "Unary": {
        const v = await this.evalExpr(e.operand, scope);
        try {
          return unary(e.op, v);
        } catch (err) {
          throw this.located(err, e);
        }
      }
      case "Member":
        return this.evalMember(e, scope);
      case "Index":
        return this.evalIndex(e, scope);
      case "Call":
        return this.evalCall(e, scope);
      case "Lambda":
        return fn("lambda", {
          type: "closure",
          params: e.params.map((p) => p.name),
          body: e.body,
          scope,
          file: this.file,
        });
      case "IfExpr":
        if (await this.condition(e.condition, scope)) return this.execBlock(e.then, scope);
        return e.else.kind === "IfExpr" ? this.evalExpr(e.else, scope) : this.execBlock(e.else, scope);
      case "Vault":
        throw this.fail(
          e,
          `\`${e.raw}\` cannot be read: this runtime has no secret store, and agent code has no other access to secrets`,
          "VaultError",
        );
      case "Setting":
        throw this.fail(e, "a `name = value` setting is only meaningful inside a policy's `require: [...]` list");
      case "Error":
        throw this.fail(e, "this part of the program did not parse; it cannot run");
    }
  }

  private async evalFields(fields: readonly A.RecordField[], scope: Environment, typeName?: string): Promise<Value> {
    const entries: [MapKey, Value][] = [];
    for (const f of fields)
      entries.push([f.key.kind === "Identifier" ? f.key.name : f.key.value, await this.evalExpr(f.value, scope)]);
    return map(entries, typeName);
  }

  private lookupName(e: A.Identifier, scope: Environment): Value {
    const v = scope.lookup(e.name);
    if (v !== undefined) return v;
    const def = this.functions.get(e.name);
    if (def) return fn(e.name, { type: "function", def });
    if (this.host.hasTool(e.name)) return fn(e.name, { type: "tool", name: e.name });
    const c = this.builtins.constant(e.name);
    if (c !== undefined) return c;
    if (this.builtins.func(e.name)) return fn(e.name, { type: "builtin", name: e.name });
    throw this.fail(e, `unknown name \`${e.name}\``);
  }

  private async evalBinary(e: A.BinaryExpr, scope: Environment): Promise<Value> {
    if (e.op === "&&" || e.op === "||") {
      const l = await this.evalExpr(e.left, scope);
      if (typeof l !== "boolean") throw this.fail(e.left, `\`${e.op}\` needs bool operands, not ${typeNameOf(l)}`);
      if (e.op === "&&" ? !l : l) return l;
      const r = await this.evalExpr(e.right, scope);
      if (typeof r !== "boolean") throw this.fail(e.right, `\`${e.op}\` needs bool operands, not ${typeNameOf(r)}`);
      return r;
    }
    const l = await this.evalExpr(e.left, scope);
    const r = await this.evalExpr(e.right, scope);
    try {
      return binary(e.op, l, r);
    } catch (err) {
      throw this.located(err, e);
    }
  }

  private async evalMember(e: A.MemberExpr, scope: Environment): Promise<Value> {
    const obj = await this.evalExpr(e.object, scope);
    const name = e.property.name;
    if (isMap(obj) && obj.entries.has(name)) return obj.entries.get(name)!;
    const p = this.builtins.property(obj, name);
    if (p !== undefined) return p;
    if (isMap(obj))
      throw this.fail(
        e.property,
        `${typeNameOf(obj) === "Map" ? "the record" : typeNameOf(obj)} has no field \`${name}\``,
      );
    throw this.fail(e.property, `${typeNameOf(obj)} has no property \`${name}\``);
  }

  private listIndex(length: number, idx: Value, at: A.Expr): number {
    const i = isFloat(idx) && Number.isInteger(idx.value) ? idx.value : idx;
    if (typeof i !== "number") throw this.fail(at, `a list index must be an int, not ${typeNameOf(idx)}`);
    if (i < 0 || i >= length) throw this.fail(at, `index ${i} is out of range for a list of length ${length}`);
    return i;
  }

  private mapKey(idx: Value, at: A.Expr): MapKey {
    const k = asMapKey(idx);
    if (k === undefined) throw this.fail(at, `${typeNameOf(idx)} cannot be a map key (keys are String, int or bool)`);
    return k;
  }

  private async evalIndex(e: A.IndexExpr, scope: Environment): Promise<Value> {
    const obj = await this.evalExpr(e.object, scope);
    const idx = await this.evalExpr(e.index, scope);
    if (isList(obj)) return obj.items[this.listIndex(obj.items.length, idx, e.index)]!;
    if (isMap(obj)) {
      const key = this.mapKey(idx, e.index);
      if (!obj.entries.has(key)) throw this.fail(e.index, `no key ${display(idx, true)} in the map`);
      return obj.entries.get(key)!;
    }
    if (typeof obj === "string") {
      const chars = [...obj];
      return chars[this.listIndex(chars.length, idx, e.index)]!;
    }
    throw this.fail(e.object, `${typeNameOf(obj)} cannot be indexed`);
  }

  // -------------------------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------------------------

  private async evalArgs(args: A.CallExpr["args"], scope: Environment): Promise<Args> {
    const out: Args = { positional: [], named: new Map(), namedSpans: new Map() };
    for (const a of args) {
      if (a.kind === "NamedArg") {
        if (out.named.has(a.name.name)) throw this.fail(a.name, `argument \`${a.name.name}\` is given twice`);
        out.named.set(a.name.name, await this.evalExpr(a.value, scope));
        out.namedSpans.set(a.name.name, a.name.span);
      } else {
        out.positional.push(await this.evalExpr(a, scope));
      }
    }
    return out;
  }

  private async evalCall(e: A.CallExpr, scope: Environment): Promise<Value> {
    const callee = e.callee;
    const site = this.loc(e);
    // Method call: a function in a record field, else a builtin method of the receiver.
    if (callee.kind === "Member") {
      const recv = await this.evalExpr(callee.object, scope);
      const name = callee.property.name;
      const field = isMap(recv) && recv.entries.has(name) ? recv.entries.get(name)! : undefined;
      const args = await this.evalArgs(e.args, scope);
      if (field !== undefined) {
        if (!isFn(field)) throw this.fail(callee.property, `field \`${name}\` is ${typeNameOf(field)}, not a function`);
        return this.invoke(field, args, site);
      }
      const m = this.builtins.method(recv, name);
      if (!m) throw this.fail(callee.property, `${typeNameOf(recv)} has no method \`${name}\``);
      return this.invokeBuiltin(m, { ...args, positional: [recv, ...args.positional] }, site);
    }
    if (callee.kind === "Identifier" && scope.lookup(callee.name) === undefined) {
      const name = callee.name;
      const def = this.functions.get(name);
      const args = await this.evalArgs(e.args, scope);
      if (def) return this.invoke(fn(name, { type: "function", def }), args, site);
      if (this.host.hasTool(name)) return this.invoke(fn(name, { type: "tool", name }), args, site);
      const b = this.builtins.func(name);
      if (b) return this.invokeBuiltin(b, args, site);
      throw this.fail(callee, `unknown function \`${name}\``);
    }
    const f = await this.evalExpr(callee, scope);
    const args = await this.evalArgs(e.args, scope);
    if (!isFn(f)) throw this.fail(callee, `${typeNameOf(f)} is not a function`);
    return this.invoke(f, args, site);
  }

  /** Calls a function value; counts the nesting depth and keeps the JavaScript stack shallow. */
  private async invoke(f: FnValue, args: Args, site: SourceLocation): Promise<Value> {
    const c = f.callable;
    if (c.type === "builtin") {
      const b = this.builtins.func(c.name);
      if (!b) throw new DslError("RuntimeError", `unknown builtin \`${c.name}\``, site);
      return this.invokeBuiltin(b, args, site);
    }
    if (c.type === "tool") return this.host.callTool(c.name, { positional: args.positional, named: args.named }, site);

    this.budget.enter(() => site);
    const callerFile = this.file;
    const callerLoops = this.loops;
    this.file = c.type === "closure" ? c.file : (fileOf(c.def) ?? this.program.file);
    this.loops = 0; // a loop of the caller is not one of the callee
    try {
      if (this.budget.depth % STACK_YIELD_EVERY === 0) await null;
      if (c.type === "closure") {
        if (args.named.size > 0) throw new DslError("RuntimeError", "a lambda takes no named arguments", site);
        if (args.positional.length !== c.params.length) {
          throw new DslError(
            "RuntimeError",
            `the lambda takes ${c.params.length} argument${c.params.length === 1 ? "" : "s"}, ${args.positional.length} given`,
            site,
          );
        }
        const scope = c.scope.child();
        c.params.forEach((p, i) => scope.declare(p, args.positional[i]!));
        try {
          return await this.evalExpr(c.body, scope);
        } catch (e) {
          if (e instanceof ReturnSignal) return e.value;
          throw e;
        }
      }
      const def = c.def;
      const scope = this.globals.child();
      const params = def.params.map((p) => p.name.name);
      if (args.positional.length > params.length) {
        throw new DslError(
          "RuntimeError",
          `\`${def.name.name}\` takes ${params.length} argument${params.length === 1 ? "" : "s"}, ${args.positional.length} given`,
          site,
        );
      }
      params.forEach((p, i) => {
        if (i < args.positional.length) {
          if (args.named.has(p))
            throw new DslError("RuntimeError", `argument \`${p}\` of \`${def.name.name}\` is given twice`, site);
          scope.declare(p, args.positional[i]!);
        } else if (args.named.has(p)) scope.declare(p, args.named.get(p)!);
        else if (isOptionType(def.params[i]!.type))
          scope.declare(p, NONE); // an omitted Option parameter is None
        else throw new DslError("RuntimeError", `missing argument \`${p}\` in the call of \`${def.name.name}\``, site);
      });
      for (const k of args.named.keys()) {
        if (!params.includes(k))
          throw new DslError("RuntimeError", `\`${def.name.name}\` has no parameter \`${k}\``, site);
      }
      let result: Value;
      try {
        result = await this.execBlock(def.body, scope);
      } catch (e) {
        if (!(e instanceof ReturnSignal)) throw e;
        result = e.value;
      }
      // Falling off the end of an Option-returning function returns None.
      return result === null && isOptionType(def.returnType) ? NONE : result;
    } finally {
      this.file = callerFile;
      this.loops = callerLoops;
      this.budget.leave();
    }
  }

  private async invokeBuiltin(b: BuiltinFunction, args: Args, site: SourceLocation): Promise<Value> {
    const { bound, rest } = bindBuiltinArgs(b.name, b.params, args, site);
    this.budget.enter(() => site);
    try {
      return await b.impl(
        bound,
        { loc: site, host: this.host, budget: this.budget, call: (f, xs) => this.callValue(f, xs, site) },
        rest,
      );
    } catch (e) {
      // Builtins raise DslErrors without a location: they happened at this call.
      if (e instanceof DslError && !e.location) e.location = site;
      if (e instanceof FatalError && !e.location) e.location = site;
      throw e;
    } finally {
      this.budget.leave();
    }
  }

  /** Turns an OperatorError into a located RuntimeError; anything else passes through. */
  private located(err: unknown, node: { span: Span }): unknown {
    if (err instanceof OperatorError) return this.fail(node, err.message);
    return err;
  }
}

/** The project file a function of the IR came from (`file`, set by the compiler), if any. */
function fileOf(def: A.FunctionDef): string | undefined {
  const f = (def as { file?: unknown }).file;
  return typeof f === "string" ? f : undefined;
}

/** Matches call arguments to a builtin's parameters (positional first, then by name). */
export function bindBuiltinArgs(
  name: string,
  params: readonly ParamSpec[],
  args: Args,
  site: SourceLocation,
): { bound: (Value | undefined)[]; rest: Value[] } {
  const bound: (Value | undefined)[] = new Array(params.length).fill(undefined);
  const rest: Value[] = [];
  const fixed = params.filter((p) => !p.rest).length;
  const hasRest = params.some((p) => p.rest);
  args.positional.forEach((v, i) => {
    if (i < fixed) bound[i] = v;
    else if (hasRest) rest.push(v);
    else
      throw new DslError(
        "RuntimeError",
        `\`${name}\` takes at most ${fixed} argument${fixed === 1 ? "" : "s"}, ${args.positional.length} given`,
        site,
      );
  });
  for (const [k, v] of args.named) {
    const i = params.findIndex((p) => p.name === k && !p.rest);
    if (i < 0) throw new DslError("RuntimeError", `\`${name}\` has no parameter \`${k}\``, site);
    if (bound[i] !== undefined)
      throw new DslError("RuntimeError", `argument \`${k}\` of \`${name}\` is given twice`, site);
    bound[i] = v;
  }
  params.forEach((p, i) => {
    if (!p.rest && !p.optional && bound[i] === undefined) {
      throw new DslError("RuntimeError", `missing argument \`${p.name}\` in the call of \`${name}\``, site);
    }
  });
  return { bound, rest };
}
