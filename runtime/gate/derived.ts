/**
 * Values the runtime derives from a request before the decision (policies.json `derived`,
 * passed as `context.derived.<id>`): pure computations Cedar cannot express — `any`/`all` over
 * lists, `len`, `.map`/`.filter`, case conversion, indexing. Each derived expression carries, on
 * every identifier that reads the request, what it denotes (`root`), so nothing is resolved here.
 * A value that cannot be computed (something it reads is absent or of the wrong type, a string
 * is not a known level, an overflow) is left out: the guard reading it is then undefined.
 */
import type { BinaryExpr, CallExpr, Expr, Identifier } from "../../grammar/ast.js";
import type { JsonValue } from "../../formats/json.js";
import type { RootRef } from "../../formats/policies-json.js";
import type { PolicyRequest } from "./request.js";
import { containsPattern } from "../interpreter/builtins/methods.js";

/** A value was absent, or a runtime-computed value could not be computed. */
export class Undefined extends Error {}
/** Evaluation failed (overflow): the request is denied. */
export class EvalError extends Error {}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Integers are exact 64-bit values (bigint) inside the evaluator, as in Cedar; overflow is an error. */
export function checkedI64(v: bigint): bigint {
  if (v < I64_MIN || v > I64_MAX) throw new EvalError("integer overflow");
  return v;
}

export function isRecord(v: unknown): v is { [k: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Equality with set semantics for lists (order and duplicates do not matter), as in Cedar. */
export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isIntegral(a) && isIntegral(b)) return BigInt(a) === BigInt(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.every((x) => b.some((y) => valueEquals(x, y))) && b.every((y) => a.some((x) => valueEquals(x, y)));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && valueEquals(a[k], b[k]));
  }
  return false;
}

export function contains(list: unknown, x: unknown): boolean {
  if (!Array.isArray(list)) throw new Undefined();
  return list.some((y) => valueEquals(x, y));
}

/** A number of the language: an exact integer (bigint here, as in Cedar) or a float. */
function numeric(v: unknown): bigint | number {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isFinite(v)) return Number.isInteger(v) ? BigInt(v) : v;
  throw new Undefined();
}

/** Orders two numbers (integers exactly; a float against anything as floats). */
function compareNumbers(a: unknown, b: unknown): number {
  const x = numeric(a);
  const y = numeric(b);
  if (typeof x === "bigint" && typeof y === "bigint") return x < y ? -1 : x > y ? 1 : 0;
  const d = Number(x) - Number(y);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/**
 * The language's arithmetic (compiler/check/README.md): `+ - * %` on integers are exact 64-bit
 * (overflow is an evaluation error), `/` is true division (`int / int` is a float), a float on
 * either side makes a float; division by zero leaves the value undefined.
 */
function arithmetic(op: "+" | "-" | "*" | "/" | "%", a: unknown, b: unknown): bigint | number {
  const x = numeric(a);
  const y = numeric(b);
  if (op !== "/" && typeof x === "bigint" && typeof y === "bigint") {
    if (op === "%" && y === 0n) throw new Undefined();
    return checkedI64(op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : x % y);
  }
  const fx = Number(x);
  const fy = Number(y);
  if ((op === "/" || op === "%") && fy === 0) throw new Undefined();
  const r = op === "+" ? fx + fy : op === "-" ? fx - fy : op === "*" ? fx * fy : op === "/" ? fx / fy : fx % fy;
  if (!Number.isFinite(r)) throw new Undefined();
  return r;
}

/** Reads the value a root denotes from the request (undefined when absent). */
export function readRoot(req: PolicyRequest, root: RootRef): unknown {
  switch (root.kind) {
    case "arg":
      return req.args?.[root.arg];
    case "facts":
      return req.facts?.[root.arg];
    case "input":
      return req.input?.[root.param];
    case "trusted":
      return req[root.record];
    case "lambda":
      return undefined;
  }
}

export function readFields(v: unknown, fields: readonly string[]): unknown {
  let cur = v;
  for (const f of fields) {
    if (!isRecord(cur) || !Object.prototype.hasOwnProperty.call(cur, f)) return undefined;
    cur = cur[f];
  }
  return cur;
}

export function isIntegral(v: unknown): v is number | bigint {
  return typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
}

/** A computed value as JSON: bigints become numbers (or the value is undefined when not exact). */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === "bigint") {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new Undefined();
    return Number(v);
  }
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (isRecord(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = toJsonValue(x);
    return o;
  }
  return v;
}

export function rankOf(levels: readonly string[], v: unknown): number {
  const i = typeof v === "string" ? levels.indexOf(v) : -1;
  if (i < 0) throw new Undefined();
  return i;
}

export function literal(e: Expr): unknown {
  switch (e.kind) {
    case "String":
      return e.value;
    case "Number":
      return Number.isInteger(e.value) ? BigInt(e.value) : e.value;
    case "Bool":
      return e.value;
    case "Duration":
      return BigInt(Math.round(e.millis));
    default:
      return undefined;
  }
}

/** `.contains`, `.starts_with`, `.ends_with`, `.contains_all`, `.contains_any`, `.is_empty` with DSL meaning. */
export function stringOrListMethod(method: string, recv: unknown, args: unknown[]): unknown {
  const a = args[0];
  switch (method) {
    case "contains_pattern":
      // The interpreter's own implementation (RE2: linear-time matching), so the gate and agent
      // code agree; a bad pattern leaves the value undefined.
      if (typeof recv !== "string" || typeof a !== "string") throw new Undefined();
      try {
        return containsPattern(recv, a);
      } catch {
        throw new Undefined();
      }
    case "contains":
      if (typeof recv === "string") {
        if (typeof a !== "string") throw new Undefined();
        return recv.includes(a);
      }
      return contains(recv, a);
    case "starts_with":
    case "ends_with":
      if (typeof recv !== "string" || typeof a !== "string") throw new Undefined();
      return method === "starts_with" ? recv.startsWith(a) : recv.endsWith(a);
    case "contains_all":
      if (!Array.isArray(a)) throw new Undefined();
      return a.every((x) => contains(recv, x));
    case "contains_any":
      if (!Array.isArray(a)) throw new Undefined();
      return a.some((x) => contains(recv, x));
    case "is_empty":
      if (typeof recv === "string") return recv.length === 0;
      if (!Array.isArray(recv)) throw new Undefined();
      return recv.length === 0;
    default:
      throw new Undefined();
  }
}

// -----------------------------------------------------------------------------------------------
// Runtime-computed values (context.derived)
// -----------------------------------------------------------------------------------------------

type Env = Map<string, unknown>;

/**
 * Computes a derived attribute for a request: the value the runtime passes as
 * `context.derived.<id>`, or undefined when it cannot be computed (a value it reads is absent,
 * a string is not a known level, the result does not have the attribute's type). The attribute's
 * expression carries, on each identifier that reads the request, what it denotes (`root`).
 */
export function computeDerived(
  attr: { expr: Expr },
  req: PolicyRequest,
  levels: readonly string[],
  steps = { left: 100_000 },
): unknown {
  try {
    return toJsonValue(new RuntimeEval(req, levels, steps).value(attr.expr, new Map()));
  } catch (e) {
    if (e instanceof Undefined || e instanceof EvalError) return undefined;
    throw e;
  }
}

class RuntimeEval {
  constructor(
    private readonly req: PolicyRequest,
    private readonly levels: readonly string[],
    private readonly steps: { left: number },
  ) {}

  private bool(e: Expr, env: Env): boolean {
    const v = this.value(e, env);
    if (typeof v !== "boolean") throw new Undefined();
    return v;
  }

  private list(e: Expr, env: Env): unknown[] {
    const v = this.value(e, env);
    if (!Array.isArray(v)) throw new Undefined();
    return v;
  }

  private fn(e: Expr | undefined, env: Env): (x: unknown) => unknown {
    if (!e || e.kind !== "Lambda" || e.params.length !== 1) throw new Undefined();
    const name = e.params[0]!.name;
    const body = e.body;
    return (x) => {
      const inner = new Map(env);
      inner.set(name, x);
      return this.value(body, inner);
    };
  }

  value(e: Expr, env: Env): unknown {
    if (--this.steps.left < 0) throw new EvalError("derived value too expensive to compute");
    switch (e.kind) {
      case "String":
      case "Number":
      case "Bool":
      case "Duration":
        return literal(e);
      case "Paren":
        return this.value(e.expr, env);
      case "Identifier": {
        const root = (e as Identifier & { root?: RootRef }).root;
        if (!root) throw new Undefined();
        const v = root.kind === "lambda" ? env.get(root.name) : readRoot(this.req, root);
        if (v === undefined) throw new Undefined();
        return v;
      }
      case "Member": {
        const obj = this.value(e.object, env);
        const name = e.property.name;
        if (name === "length" && (Array.isArray(obj) || typeof obj === "string")) return BigInt(obj.length);
        const v = readFields(obj, [name]);
        if (v === undefined) throw new Undefined();
        return v;
      }
      case "Index": {
        const obj = this.value(e.object, env);
        const i = this.value(e.index, env);
        if (typeof i === "string") {
          const v = readFields(obj, [i]);
          if (v === undefined) throw new Undefined();
          return v;
        }
        if (!isIntegral(i) || !(Array.isArray(obj) || typeof obj === "string")) throw new Undefined();
        const n = Number(i);
        if (n < 0 || n >= obj.length) throw new Undefined();
        return obj[n];
      }
      case "Array":
        return e.elements.map((x) => this.value(x, env));
      case "Unary":
        if (e.op === "-") {
          const x = numeric(this.value(e.operand, env));
          return typeof x === "bigint" ? checkedI64(-x) : -x;
        }
        return !this.bool(e.operand, env);
      case "Binary":
        return this.binary(e, env);
      case "Call":
        return this.call(e, env);
      default:
        throw new Undefined();
    }
  }

  private binary(e: BinaryExpr, env: Env): unknown {
    switch (e.op) {
      case "&&":
        return this.bool(e.left, env) && this.bool(e.right, env);
      case "||":
        return this.bool(e.left, env) || this.bool(e.right, env);
      case "==":
        return valueEquals(this.value(e.left, env), this.value(e.right, env));
      case "!=":
        return !valueEquals(this.value(e.left, env), this.value(e.right, env));
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const a = this.value(e.left, env);
        const b = this.value(e.right, env);
        let c: number;
        if (typeof a === "string" && typeof b === "string") c = rankOf(this.levels, a) - rankOf(this.levels, b);
        else c = compareNumbers(a, b);
        return e.op === "<" ? c < 0 : e.op === "<=" ? c <= 0 : e.op === ">" ? c > 0 : c >= 0;
      }
      case "+": {
        const a = this.value(e.left, env);
        const b = this.value(e.right, env);
        if (typeof a === "string" && typeof b === "string") return a + b;
        return arithmetic("+", a, b);
      }
      case "-":
      case "*":
      case "/":
      case "%":
        return arithmetic(e.op, this.value(e.left, env), this.value(e.right, env));
      case "in":
        return contains(this.value(e.right, env), this.value(e.left, env));
    }
  }

  private call(e: CallExpr, env: Env): unknown {
    const args = e.args.map((a) => (a.kind === "NamedArg" ? a.value : a));
    if (e.callee.kind === "Identifier") {
      switch (e.callee.name) {
        case "any":
        case "all": {
          const xs = this.list(args[0]!, env);
          const f = this.fn(args[1], env);
          const test = (x: unknown) => {
            const r = f(x);
            if (typeof r !== "boolean") throw new Undefined();
            return r;
          };
          return e.callee.name === "any" ? xs.some(test) : xs.every(test);
        }
        case "len": {
          const v = this.value(args[0]!, env);
          if (Array.isArray(v) || typeof v === "string") return BigInt(v.length);
          throw new Undefined();
        }
        case "lower":
        case "upper": {
          const v = this.value(args[0]!, env);
          if (typeof v !== "string") throw new Undefined();
          return e.callee.name === "lower" ? v.toLowerCase() : v.toUpperCase();
        }
        default:
          throw new Undefined();
      }
    }
    if (e.callee.kind !== "Member") throw new Undefined();
    const method = e.callee.property.name;
    const recv = this.value(e.callee.object, env);
    switch (method) {
      case "map":
      case "filter":
      case "any":
      case "all": {
        if (!Array.isArray(recv)) throw new Undefined();
        const f = this.fn(args[0], env);
        if (method === "map") return recv.map(f);
        const test = (x: unknown) => {
          const r = f(x);
          if (typeof r !== "boolean") throw new Undefined();
          return r;
        };
        return method === "filter" ? recv.filter(test) : method === "any" ? recv.some(test) : recv.every(test);
      }
      case "len":
      case "length":
      case "count":
        if (Array.isArray(recv) || typeof recv === "string") return BigInt(recv.length);
        throw new Undefined();
      case "lower":
      case "to_lowercase":
      case "upper":
      case "to_uppercase":
      case "trim":
        if (typeof recv !== "string") throw new Undefined();
        return method === "trim"
          ? recv.trim()
          : method === "lower" || method === "to_lowercase"
            ? recv.toLowerCase()
            : recv.toUpperCase();
      default:
        return stringOrListMethod(
          method,
          recv,
          args.map((a) => this.value(a, env)),
        );
    }
  }
}
