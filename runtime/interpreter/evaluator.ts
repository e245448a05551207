/**
 * The tree-walking evaluator for agent code: the agent IR (formats/ir.ts), in which the checker
 * already resolved every name. A `Name` says what it is — a local slot, a function of the
 * project, a tool, a builtin, a builtin value, a trusted record, a memory store — so nothing is
 * looked up by name here, and the program that runs is the one the checker read. Operators are
 * in operators.ts, values in values.ts, builtins behind the BuiltinRegistry. Methods
 * (`x.m(...)`) dispatch on the receiver's value: a function stored in a record field `m`, else
 * the builtin method `m` of the receiver's kind.
 *
 * Evaluation is async because tool calls are. Deep recursion in agent code must hit the
 * recursion limit, never a JavaScript stack overflow: every STACK_YIELD_EVERY nested calls the
 * evaluator awaits once, which suspends the whole chain of pending async frames onto the heap
 * and resumes on an empty stack.
 */
import type * as A from "../../formats/ir.js";
import type { Span } from "../../grammar/span.js";
import { Budget } from "./budget.js";
import type { BuiltinFunction, BuiltinRegistry, ParamSpec } from "./builtins/types.js";
import { Environment } from "./environment.js";
import { DslError, FatalError, ReturnSignal, type SourceLocation } from "./errors.js";
import type { InterpreterHost } from "./host.js";
import { asMapKey, binary, OperatorError, unary } from "./operators.js";
import { displayLength, listBytes, mapBytes, OBJECT_BYTES, stringBytes, valueBytes } from "./memory.js";
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
  record,
  typeNameOf,
  type FnValue,
  type MapKey,
  type Value,
} from "./values.js";

const STACK_YIELD_EVERY = 32;

/** `break` / `continue` unwinding to the nearest `for`. */
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");

export interface ProgramUnit {
  /** The source file of the agent (shown in error locations); a function names its own `file`. */
  file: string;
  functions: readonly A.IrFunction[];
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
  private readonly functions = new Map<string, A.IrFunction>();

  constructor(options: InterpreterOptions) {
    this.program = options.program;
    this.host = options.host;
    this.builtins = options.builtins;
    this.budget = options.budget ?? new Budget();
    this.file = options.program.file;
    for (const f of options.program.functions) this.functions.set(f.id, f);
  }

  /**
   * The file of the code running now: the agent's, or that of the function being run. Evaluation
   * within one run is sequential, so one field, saved and restored around calls, is enough.
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

  /** Runs a `with` block with the agent's parameters bound (by slot); resolves to its value (a `return` or the block's value). */
  async runWith(block: A.IrWithBlock, params: ReadonlyMap<number, Value>): Promise<Value> {
    const env = new Environment();
    for (const [slot, v] of params) env.declare(slot, v);
    try {
      return await this.execBlock(block.body, env);
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      throw e;
    }
  }

  /** Calls a program function by name (tests). */
  async callFunctionByName(name: string, args: Value[]): Promise<Value> {
    const def = [...this.functions.values()].find((f) => f.name === name);
    if (!def) throw new DslError("RuntimeError", `no function \`${name}\``);
    return this.invoke(
      fn(name, { type: "function", def }),
      { positional: args, named: new Map(), namedSpans: new Map() },
      { file: def.file, span: def.span },
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
   * Runs a block in a fresh environment. Its value is the trailing expression, or — LANGUAGE.md
   * §1.4.2 — the value of a trailing `if` / `match` / `try` statement; otherwise null.
   */
  async execBlock(block: A.IrBlock, outer: Environment): Promise<Value> {
    const env = outer.child();
    const n = block.statements.length;
    let last: Value = null;
    for (let i = 0; i < n; i++) {
      const s = block.statements[i]!;
      const v = await this.execStmt(s, env);
      if (i === n - 1) last = s.kind === "If" || s.kind === "Match" || s.kind === "Try" ? v : null;
    }
    if (block.tail) return this.evalExpr(block.tail, env);
    return last;
  }

  private async execStmt(s: A.IrStmt, env: Environment): Promise<Value> {
    this.step(s);
    switch (s.kind) {
      case "Let":
        env.declare(s.local.slot, await this.evalExpr(s.init, env));
        return null;
      case "Assign":
        await this.execAssign(s, env);
        return null;
      case "Return":
        throw new ReturnSignal(s.value ? await this.evalExpr(s.value, env) : null);
      case "If":
        return this.execIf(s, env);
      case "For":
        await this.execFor(s, env);
        return null;
      case "Match":
        return this.execMatch(s, env);
      case "Try":
        return this.execTry(s, env);
      case "ExprStmt":
        return this.evalExpr(s.expr, env);
      case "Break":
      case "Continue":
        if (this.loops === 0) throw this.fail(s, `\`${s.kind.toLowerCase()}\` outside a loop`);
        throw s.kind === "Break" ? BREAK : CONTINUE;
    }
  }

  private async execIf(s: A.IrIf, env: Environment): Promise<Value> {
    if (s.condition.kind === "LetCondition") {
      const value = await this.evalExpr(s.condition.value, env);
      const inner = env.child();
      if (this.matchPattern(s.condition.pattern, value, inner)) return this.execBlock(s.then, inner);
    } else if (await this.condition(s.condition, env)) {
      return this.execBlock(s.then, env);
    }
    if (!s.else) return null;
    return s.else.kind === "If" ? this.execIf(s.else, env) : this.execBlock(s.else, env);
  }

  private async condition(e: A.IrExpr, env: Environment): Promise<boolean> {
    const v = await this.evalExpr(e, env);
    if (typeof v !== "boolean") throw this.fail(e, `a condition must be a bool, not ${typeNameOf(v)}`);
    return v;
  }

  /** `if let` patterns: `Some(p)`, `Ok(p)`, `Err(p)`, `None`, `_`, or a binding of the value. */
  private matchPattern(p: A.IrPattern, v: Value, env: Environment): boolean {
    switch (p.kind) {
      case "Wildcard":
        return true;
      case "Bind":
        env.declare(p.local.slot, v);
        return true;
      case "Constructor": {
        let inner: Value | undefined;
        if (p.name === "None") return p.args.length === 0 && isAbsent(v);
        if (p.name === "Some" && isOption(v) && v.value !== undefined) inner = v.value;
        else if (p.name === "Some" && !isOption(v) && !isResult(v) && v !== null)
          inner = v; // a plain value is Some(value)
        else if (p.name === "Ok" && isResult(v) && v.ok) inner = v.value;
        else if (p.name === "Err" && isResult(v) && !v.ok) inner = v.value;
        else return false;
        if (p.args.length !== 1) return p.args.length === 0;
        return this.matchPattern(p.args[0]!, inner, env);
      }
    }
  }

  private async execFor(s: A.IrFor, env: Environment): Promise<void> {
    const it = await this.evalExpr(s.iterable, env);
    let items: Value[];
    if (isList(it) || isMap(it)) this.allocate(listBytes(isList(it) ? it.items.length : it.entries.size), s.iterable);
    // A String's characters: a list of one-character strings.
    else if (typeof it === "string") this.allocate(listBytes(it.length) + it.length * stringBytes(2), s.iterable);
    if (isList(it))
      items = [...it.items]; // a snapshot: pushing inside the loop does not extend it
    else if (isMap(it)) items = [...it.entries.keys()];
    else if (typeof it === "string") items = [...it];
    else if (isOption(it)) items = it.value === undefined ? [] : [it.value];
    else throw this.fail(s.iterable, `\`for\` cannot iterate over ${typeNameOf(it)}`);
    this.loops++;
    try {
      for (const item of items) {
        const inner = env.child();
        inner.declare(s.binder.slot, item);
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

  private async execMatch(s: A.IrMatch, env: Environment): Promise<Value> {
    const v = await this.evalExpr(s.scrutinee, env);
    for (const arm of s.arms) {
      const inner = env.child();
      if (!this.armMatches(arm.pattern, v, inner)) continue;
      return arm.body.kind === "Block" ? this.execBlock(arm.body, inner) : this.evalExpr(arm.body, inner);
    }
    return null;
  }

  private armMatches(p: A.IrArmPattern, v: Value, env: Environment): boolean {
    switch (p.kind) {
      case "Wildcard":
        return true;
      case "Literal":
        if (typeof p.value === "number") return equals(v, p.isFloat ? float(p.value) : p.value);
        return v === p.value;
      case "Absent":
        return p.value === "None" ? isAbsent(v) : v === null || isAbsent(v);
      case "Bind":
        env.declare(p.local.slot, v); // a name binds the value and always matches (as in Rust)
        return true;
    }
  }

  private async execTry(s: A.IrTry, env: Environment): Promise<Value> {
    try {
      return await this.execBlock(s.body, env);
    } catch (e) {
      if (!(e instanceof DslError)) throw e; // returns, fatal errors and bugs pass through
      for (const c of s.catches) {
        if (c.errorKind !== undefined && !this.catches(c.errorKind, e.kind)) continue;
        const inner = env.child();
        inner.declare(c.binder.slot, e.toValue());
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

  private async execAssign(s: A.IrAssign, env: Environment): Promise<void> {
    const t = s.target;
    const compute = async (current: () => Value): Promise<Value> => {
      const rhs = await this.evalExpr(s.value, env);
      if (s.op === "=") return rhs;
      const op = s.op.slice(0, 1) as "+" | "-" | "*" | "/" | "%";
      try {
        const lhs = current();
        this.chargeBinary(op, lhs, rhs, s);
        return binary(op, lhs, rhs);
      } catch (e) {
        throw this.located(e, s);
      }
    };
    switch (t.kind) {
      case "Name": {
        if (t.ref.to !== "local") throw this.fail(t, `\`${t.name}\` cannot be assigned to`);
        const slot = t.ref.slot;
        const v = await compute(() => {
          const cur = env.lookup(slot);
          if (cur === undefined) throw this.fail(t, `\`${t.name}\` is not defined, so \`${s.op}\` cannot update it`);
          return cur;
        });
        // The first assignment of an undeclared name declares it in the current block.
        if (s.declares || !env.assign(slot, v)) env.declare(slot, v);
        return;
      }
      case "Member": {
        const obj = await this.evalExpr(t.object, env);
        if (!isMap(obj)) throw this.fail(t.object, `cannot set field \`${t.property}\` on ${typeNameOf(obj)}`);
        const key = t.property;
        const v = await compute(() => {
          if (!obj.entries.has(key)) throw this.fail(t, `${typeNameOf(obj)} has no field \`${key}\``);
          return obj.entries.get(key)!;
        });
        obj.entries.set(key, v);
        return;
      }
      case "Index": {
        const obj = await this.evalExpr(t.object, env);
        const idx = await this.evalExpr(t.index, env);
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
    }
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  async evalExpr(e: A.IrExpr, env: Environment): Promise<Value> {
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
      case "Name":
        return this.nameValue(e, env);
      case "Array": {
        const items: Value[] = [];
        for (const x of e.elements) items.push(await this.evalExpr(x, env));
        this.allocate(listBytes(items.length), e);
        return list(items);
      }
      case "Record": {
        const entries: [MapKey, Value][] = [];
        for (const f of e.fields) entries.push([f.key, await this.evalExpr(f.value, env)]);
        if (entries.length > 0) this.allocate(mapBytes(entries.length), e);
        return map(entries, e.typeName);
      }
      case "Binary":
        return this.evalBinary(e, env);
      case "Unary": {
        const v = await this.evalExpr(e.operand, env);
        try {
          return unary(e.op, v);
        } catch (err) {
          throw this.located(err, e);
        }
      }
      case "Member":
        return this.evalMember(e, env);
      case "Index":
        return this.evalIndex(e, env);
      case "Call":
        return this.evalCall(e, env);
      case "MethodCall":
        return this.evalMethodCall(e, env);
      case "Lambda":
        this.allocate(OBJECT_BYTES * 2, e);
        return fn("lambda", {
          type: "closure",
          params: e.params.map((p) => p.slot),
          body: e.body,
          scope: env,
          file: this.file,
        });
      case "IfExpr":
        if (await this.condition(e.condition, env)) return this.execBlock(e.then, env);
        return e.else.kind === "IfExpr" ? this.evalExpr(e.else, env) : this.execBlock(e.else, env);
      case "Vault":
        throw this.fail(
          e,
          `\`${e.raw}\` cannot be read: this runtime has no secret store, and agent code has no other access to secrets`,
          "VaultError",
        );
    }
  }

  /** The value a resolved name denotes. */
  private nameValue(e: A.IrName, env: Environment): Value {
    const r = e.ref;
    switch (r.to) {
      case "local": {
        const v = env.lookup(r.slot);
        if (v === undefined) throw this.fail(e, `\`${e.name}\` is not defined here`);
        return v;
      }
      case "function": {
        const def = this.functions.get(r.fn);
        if (!def) throw this.fail(e, `the function \`${e.name}\` is missing from the program`);
        return fn(e.name, { type: "function", def });
      }
      case "tool":
        return fn(r.tool, { type: "tool", name: r.tool });
      case "builtin":
        if (!this.builtins.func(r.builtin)) throw this.fail(e, `no builtin \`${r.builtin}\` in this runtime`);
        return fn(r.builtin, { type: "builtin", name: r.builtin });
      case "value":
        return this.builtins.constant(r.value) ?? null;
      case "trusted": {
        const v = this.host.trusted(r.record);
        if (v === undefined)
          throw this.fail(
            e,
            `no trusted \`${r.record}\` record was supplied to this run (the operator gives it with --context)`,
          );
        return v;
      }
      case "memory":
        return record({ name: r.memory }, "Memory");
    }
  }

  private async evalBinary(e: A.IrBinary, env: Environment): Promise<Value> {
    if (e.op === "&&" || e.op === "||") {
      const l = await this.evalExpr(e.left, env);
      if (typeof l !== "boolean") throw this.fail(e.left, `\`${e.op}\` needs bool operands, not ${typeNameOf(l)}`);
      if (e.op === "&&" ? !l : l) return l;
      const r = await this.evalExpr(e.right, env);
      if (typeof r !== "boolean") throw this.fail(e.right, `\`${e.op}\` needs bool operands, not ${typeNameOf(r)}`);
      return r;
    }
    const l = await this.evalExpr(e.left, env);
    const r = await this.evalExpr(e.right, env);
    try {
      this.chargeBinary(e.op, l, r, e);
      return binary(e.op, l, r);
    } catch (err) {
      throw this.located(err, e);
    }
  }

  private async evalMember(e: A.IrMember, env: Environment): Promise<Value> {
    const obj = await this.evalExpr(e.object, env);
    const name = e.property;
    if (isMap(obj) && obj.entries.has(name)) return obj.entries.get(name)!;
    const p = this.builtins.property(obj, name);
    if (p !== undefined) return p;
    const at = { span: e.propertySpan };
    if (isMap(obj))
      throw this.fail(at, `${typeNameOf(obj) === "Map" ? "the record" : typeNameOf(obj)} has no field \`${name}\``);
    throw this.fail(at, `${typeNameOf(obj)} has no property \`${name}\``);
  }

  private listIndex(length: number, idx: Value, at: A.IrExpr): number {
    const i = isFloat(idx) && Number.isInteger(idx.value) ? idx.value : idx;
    if (typeof i !== "number") throw this.fail(at, `a list index must be an int, not ${typeNameOf(idx)}`);
    if (i < 0 || i >= length) throw this.fail(at, `index ${i} is out of range for a list of length ${length}`);
    return i;
  }

  private mapKey(idx: Value, at: A.IrExpr): MapKey {
    const k = asMapKey(idx);
    if (k === undefined) throw this.fail(at, `${typeNameOf(idx)} cannot be a map key (keys are String, int or bool)`);
    return k;
  }

  private async evalIndex(e: A.IrIndex, env: Environment): Promise<Value> {
    const obj = await this.evalExpr(e.object, env);
    const idx = await this.evalExpr(e.index, env);
    if (isList(obj)) return obj.items[this.listIndex(obj.items.length, idx, e.index)]!;
    if (isMap(obj)) {
      const key = this.mapKey(idx, e.index);
      if (!obj.entries.has(key)) throw this.fail(e.index, `no key ${display(idx, true)} in the map`);
      return obj.entries.get(key)!;
    }
    if (typeof obj === "string") return this.charAt(obj, idx, e.index);
    throw this.fail(e.object, `${typeNameOf(obj)} cannot be indexed`);
  }

  // -------------------------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------------------------

  private async evalArgs(args: readonly A.IrArg[], env: Environment): Promise<Args> {
    const out: Args = { positional: [], named: new Map(), namedSpans: new Map() };
    for (const a of args) {
      if (a.name !== undefined) {
        const at = { span: a.nameSpan ?? a.value.span };
        if (out.named.has(a.name)) throw this.fail(at, `argument \`${a.name}\` is given twice`);
        out.named.set(a.name, await this.evalExpr(a.value, env));
        out.namedSpans.set(a.name, at.span);
      } else {
        out.positional.push(await this.evalExpr(a.value, env));
      }
    }
    return out;
  }

  /** A call of a resolved name (a function, tool or builtin is called directly) or of a computed function value. */
  private async evalCall(e: A.IrCall, env: Environment): Promise<Value> {
    const site = this.loc(e);
    const c = e.callee;
    if (c.kind === "Name" && c.ref.to === "builtin") {
      const b = this.builtins.func(c.ref.builtin);
      if (!b) throw this.fail(c, `no builtin \`${c.ref.builtin}\` in this runtime`);
      return this.invokeBuiltin(b, await this.evalArgs(e.args, env), site);
    }
    const f = await this.evalExpr(c, env);
    const args = await this.evalArgs(e.args, env);
    if (!isFn(f)) throw this.fail(c, `${typeNameOf(f)} is not a function`);
    return this.invoke(f, args, site);
  }

  /** `x.m(..)`: a function in the record field `m`, else the builtin method `m` of the receiver. */
  private async evalMethodCall(e: A.IrMethodCall, env: Environment): Promise<Value> {
    const site = this.loc(e);
    const recv = await this.evalExpr(e.object, env);
    const name = e.method;
    const field = isMap(recv) && recv.entries.has(name) ? recv.entries.get(name)! : undefined;
    const args = await this.evalArgs(e.args, env);
    const at = { span: e.methodSpan };
    if (field !== undefined) {
      if (!isFn(field)) throw this.fail(at, `field \`${name}\` is ${typeNameOf(field)}, not a function`);
      return this.invoke(field, args, site);
    }
    const m = this.builtins.method(recv, name);
    if (!m) throw this.fail(at, `${typeNameOf(recv)} has no method \`${name}\``);
    return this.invokeBuiltin(m, { ...args, positional: [recv, ...args.positional] }, site);
  }

  /** Calls a function value; counts the nesting depth and keeps the JavaScript stack shallow. */
  private async invoke(f: FnValue, args: Args, site: SourceLocation): Promise<Value> {
    const c = f.callable;
    if (c.type === "builtin") {
      const b = this.builtins.func(c.name);
      if (!b) throw new DslError("RuntimeError", `unknown builtin \`${c.name}\``, site);
      return this.invokeBuiltin(b, args, site);
    }
    if (c.type === "tool") {
      const result = await this.host.callTool(c.name, { positional: args.positional, named: args.named }, site);
      this.budget.allocate(valueBytes(result, this.budget.maxMemory), () => site);
      return result;
    }

    this.budget.enter(() => site);
    const callerFile = this.file;
    const callerLoops = this.loops;
    this.file = c.type === "closure" ? c.file : c.def.file;
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
        const env = c.scope.child();
        c.params.forEach((slot, i) => env.declare(slot, args.positional[i]!));
        try {
          return await this.evalExpr(c.body, env);
        } catch (e) {
          if (e instanceof ReturnSignal) return e.value;
          throw e;
        }
      }
      const def = c.def;
      const env = new Environment();
      const params = def.params;
      if (args.positional.length > params.length) {
        throw new DslError(
          "RuntimeError",
          `\`${def.name}\` takes ${params.length} argument${params.length === 1 ? "" : "s"}, ${args.positional.length} given`,
          site,
        );
      }
      params.forEach((p, i) => {
        const name = p.local.name;
        if (i < args.positional.length) {
          if (args.named.has(name))
            throw new DslError("RuntimeError", `argument \`${name}\` of \`${def.name}\` is given twice`, site);
          env.declare(p.local.slot, args.positional[i]!);
        } else if (args.named.has(name)) env.declare(p.local.slot, args.named.get(name)!);
        else if (p.optional)
          env.declare(p.local.slot, NONE); // an omitted Option parameter is None
        else throw new DslError("RuntimeError", `missing argument \`${name}\` in the call of \`${def.name}\``, site);
      });
      for (const k of args.named.keys()) {
        if (!params.some((p) => p.local.name === k))
          throw new DslError("RuntimeError", `\`${def.name}\` has no parameter \`${k}\``, site);
      }
      let result: Value;
      try {
        result = await this.execBlock(def.body, env);
      } catch (e) {
        if (!(e instanceof ReturnSignal)) throw e;
        result = e.value;
      }
      // Falling off the end of an Option-returning function returns None.
      return result === null && def.returnsOption ? NONE : result;
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

  /** Charges the memory budget (budget.ts) before an allocation at `node`. */
  private allocate(bytes: number, node: { span: Span }): void {
    this.budget.allocate(bytes, () => this.loc(node));
  }

  /** `+` builds a new String or List: its size is charged before it is built. */
  private chargeBinary(op: string, l: Value, r: Value, node: { span: Span }): void {
    if (op !== "+") return;
    if (typeof l === "string" || typeof r === "string") {
      const max = this.budget.maxMemory;
      this.allocate(stringBytes(displayLength(l, max) + displayLength(r, max)), node);
    } else if (isList(l) && isList(r)) this.allocate(listBytes(l.items.length + r.items.length), node);
  }

  /** `s[i]`: the i-th character (code point), found without splitting the whole String. */
  private charAt(s: string, idx: Value, at: A.IrExpr): Value {
    const i = this.listIndex(lengthInCodePoints(s), idx, at);
    let k = 0;
    for (const ch of s) if (k++ === i) return ch;
    return "";
  }

  /** Turns an OperatorError into a located RuntimeError; anything else passes through. */
  private located(err: unknown, node: { span: Span }): unknown {
    if (err instanceof OperatorError) return this.fail(node, err.message);
    return err;
  }
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

function lengthInCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
