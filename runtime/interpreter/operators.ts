/**
 * Binary and unary operators (the short-circuit `&&` / `||` live in the evaluator). Each
 * returns a value or throws an `OperatorError` whose message the evaluator locates at the
 * operator's span. The rules (README.md):
 *
 * - `+ - * %` on ints stay ints (`%` takes the dividend's sign); with a float operand the result
 *   is a float; `/` is true division and always gives a float (`7 / 2` is 3.5, as the checker
 *   types it); dividing by zero (int or float) is an error; an int result outside ±(2^53−1) is
 *   an "integer overflow" error.
 * - `+` also joins Strings (a String and any other value: the other value's display text),
 *   Lists, and Durations; `-` subtracts Durations; `*` and `/` scale a Duration by a number.
 * - `== !=` structural (values.ts `equals`); `< <= > >=` on numbers, Strings, Durations
 *   (two Strings that are both levels of an ordered stdlib type compare by level).
 * - `in`: element of a List, key of a Map, substring of a String.
 * - `!`/`not` on bool; unary `-` on numbers and Durations.
 */
import type { BinaryOp, UnaryOp } from "../../grammar/ast.js";
import { BUILTIN_TYPES } from "../../stdlib/index.js";
import { flat } from "./memory.js";
import {
  compare,
  display,
  duration,
  equals,
  float,
  isDuration,
  isFloat,
  isList,
  isMap,
  isNumberValue,
  list,
  numericValue,
  typeNameOf,
  type MapKey,
  type Value,
} from "./values.js";

export class OperatorError extends Error {
  override readonly name = "OperatorError";
}

export function checkedInt(n: number): number {
  if (!Number.isSafeInteger(n)) {
    if (Number.isNaN(n)) throw new OperatorError("arithmetic produced no number");
    throw new OperatorError(`integer overflow: the result is outside ±${Number.MAX_SAFE_INTEGER}`);
  }
  return n === 0 ? 0 : n; // no -0 for ints
}

function mismatch(op: string, a: Value, b: Value): OperatorError {
  return new OperatorError(`\`${op}\` cannot be applied to ${typeNameOf(a)} and ${typeNameOf(b)}`);
}

function arith(
  op: "+" | "-" | "*" | "/" | "%",
  a: number | { kind: "float"; value: number },
  b: number | { kind: "float"; value: number },
): Value {
  const x = numericValue(a);
  const y = numericValue(b);
  const ints = typeof a === "number" && typeof b === "number";
  if ((op === "/" || op === "%") && y === 0)
    throw new OperatorError(op === "/" ? "division by zero" : "remainder by zero");
  let r: number;
  switch (op) {
    case "+":
      r = x + y;
      break;
    case "-":
      r = x - y;
      break;
    case "*":
      r = x * y;
      break;
    case "/":
      return float(x / y); // true division

    case "%":
      r = x % y;
      break;
  }
  return ints ? checkedInt(r) : float(r);
}

/** Map keys: strings, ints and bools (see values.ts). */
export function asMapKey(v: Value): MapKey | undefined {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : undefined;
}

/**
 * Ordered levels (the stdlib's `levels` types, e.g. Clearance: public < internal < confidential
 * < secret < top_secret): two Strings that are both levels of one such type compare by rank,
 * not as text, as the checker and the Cedar emitter treat them.
 */
const LEVEL_RANKS: ReadonlyArray<ReadonlyMap<string, number>> = [...BUILTIN_TYPES.values()]
  .filter((t) => t.shape === "levels" && t.levels)
  .map((t) => new Map(t.levels!.map((l, i) => [l, i])));

function compareOrdered(a: Value, b: Value): number | undefined {
  if (typeof a === "string" && typeof b === "string") {
    for (const ranks of LEVEL_RANKS) {
      const x = ranks.get(a);
      const y = ranks.get(b);
      if (x !== undefined && y !== undefined) return x - y;
    }
  }
  return compare(a, b);
}

export function binary(op: Exclude<BinaryOp, "&&" | "||">, a: Value, b: Value): Value {
  switch (op) {
    case "==":
      return equals(a, b);
    case "!=":
      return !equals(a, b);
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const c = compareOrdered(a, b);
      if (c === undefined) throw new OperatorError(`\`${op}\` cannot compare ${typeNameOf(a)} with ${typeNameOf(b)}`);
      return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
    }
    case "in": {
      if (isList(b)) return b.items.some((x) => equals(a, x));
      if (isMap(b)) {
        const k = asMapKey(isFloat(a) && Number.isSafeInteger(a.value) ? a.value : a);
        return k !== undefined && b.entries.has(k);
      }
      if (typeof b === "string") {
        if (typeof a !== "string") throw mismatch("in", a, b);
        return b.includes(a);
      }
      throw new OperatorError(`\`in\` needs a List, Map or String on its right, not ${typeNameOf(b)}`);
    }
    case "+":
      if (typeof a === "string" || typeof b === "string") return flat(display(a) + display(b));
      if (isNumberValue(a) && isNumberValue(b)) return arith("+", a, b);
      if (isList(a) && isList(b)) return list([...a.items, ...b.items]);
      if (isDuration(a) && isDuration(b)) return duration(a.ms + b.ms);
      throw mismatch("+", a, b);
    case "-":
      if (isNumberValue(a) && isNumberValue(b)) return arith("-", a, b);
      if (isDuration(a) && isDuration(b)) return duration(a.ms - b.ms);
      throw mismatch("-", a, b);
    case "*":
      if (isNumberValue(a) && isNumberValue(b)) return arith("*", a, b);
      if (isDuration(a) && isNumberValue(b)) return duration(Math.round(a.ms * numericValue(b)));
      if (isNumberValue(a) && isDuration(b)) return duration(Math.round(b.ms * numericValue(a)));
      throw mismatch("*", a, b);
    case "/":
      if (isNumberValue(a) && isNumberValue(b)) return arith("/", a, b);
      if (isDuration(a) && isNumberValue(b)) {
        if (numericValue(b) === 0) throw new OperatorError("division by zero");
        return duration(Math.round(a.ms / numericValue(b)));
      }
      throw mismatch("/", a, b);
    case "%":
      if (isNumberValue(a) && isNumberValue(b)) return arith("%", a, b);
      throw mismatch("%", a, b);
  }
}

export function unary(op: UnaryOp, v: Value): Value {
  if (op === "-") {
    if (typeof v === "number") return checkedInt(-v);
    if (isFloat(v)) return float(-v.value);
    if (isDuration(v)) return duration(-v.ms);
    throw new OperatorError(`unary \`-\` cannot be applied to ${typeNameOf(v)}`);
  }
  if (typeof v !== "boolean") throw new OperatorError(`\`${op}\` needs a bool, not ${typeNameOf(v)}`);
  return !v;
}
