/**
 * The runtime value model of agent code: a small tagged union, so equality, ordering, display
 * and JSON conversion are defined once, here, for every kind (README.md in this folder states
 * the rules).
 *
 *   String → JS string          bool → JS boolean         null → JS null
 *   int    → JS number (always a safe integer; leaving ±(2^53−1) is an "integer overflow" error)
 *   float  → FloatValue          Duration → DurationValue (milliseconds)
 *   List   → ListValue           Map / record / typed record → MapValue (insertion-ordered)
 *   Option → OptionValue         Result → ResultValue       functions → FnValue
 *
 * Lists and maps are mutable and shared by reference (`xs.push(x)` and `r.f = v` are visible
 * through every name bound to the same value), as in the example agents.
 */
import type { IrExpr, IrFunction } from "../../formats/ir.js";
import type { Environment } from "./environment.js";

export interface FloatValue {
  readonly kind: "float";
  readonly value: number;
}

export interface DurationValue {
  readonly kind: "duration";
  readonly ms: number;
}

export interface ListValue {
  readonly kind: "list";
  readonly items: Value[];
}

/** Keys of a map: strings (records), ints and bools. Floats are never keys (1.0 vs 1 ambiguity). */
export type MapKey = string | number | boolean;

export interface MapValue {
  readonly kind: "map";
  readonly entries: Map<MapKey, Value>;
  /** Set for `TypeName { ... }` literals and typed inputs (shown by `type_of`). */
  readonly typeName?: string;
}

export interface OptionValue {
  readonly kind: "option";
  /** Undefined for `None`. */
  readonly value: Value | undefined;
}

export interface ResultValue {
  readonly kind: "result";
  readonly ok: boolean;
  readonly value: Value;
}

/** What a function value runs when called. */
export type Callable =
  | {
      readonly type: "closure";
      /** The slots of the parameters. */
      readonly params: readonly number[];
      readonly body: IrExpr;
      readonly scope: Environment;
      readonly file: string;
    }
  | { readonly type: "function"; readonly def: IrFunction }
  | { readonly type: "builtin"; readonly name: string }
  | { readonly type: "tool"; readonly name: string };

export interface FnValue {
  readonly kind: "fn";
  readonly name: string;
  readonly callable: Callable;
}

export type Value =
  | null
  | boolean
  | number
  | string
  | FloatValue
  | DurationValue
  | ListValue
  | MapValue
  | OptionValue
  | ResultValue
  | FnValue;

// ---------------------------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------------------------

export const NONE: OptionValue = Object.freeze({ kind: "option", value: undefined });

export function float(value: number): FloatValue {
  return { kind: "float", value };
}
export function duration(ms: number): DurationValue {
  return { kind: "duration", ms };
}
export function list(items: Value[] = []): ListValue {
  return { kind: "list", items };
}
export function map(entries: Iterable<[MapKey, Value]> = [], typeName?: string): MapValue {
  const m = new Map(entries);
  return typeName === undefined ? { kind: "map", entries: m } : { kind: "map", entries: m, typeName };
}
/** A record from a plain object (string keys, in the object's order). */
export function record(fields: Record<string, Value>, typeName?: string): MapValue {
  return map(Object.entries(fields), typeName);
}
export function some(value: Value): OptionValue {
  return { kind: "option", value };
}
export function ok(value: Value): ResultValue {
  return { kind: "result", ok: true, value };
}
export function err(value: Value): ResultValue {
  return { kind: "result", ok: false, value };
}
export function fn(name: string, callable: Callable): FnValue {
  return { kind: "fn", name, callable };
}

// ---------------------------------------------------------------------------------------------
// Kinds
// ---------------------------------------------------------------------------------------------

export type ValueKind =
  "null" | "bool" | "int" | "float" | "String" | "Duration" | "List" | "Map" | "Option" | "Result" | "Function";

export function kindOf(v: Value): ValueKind {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return "int";
    case "string":
      return "String";
  }
  switch (v.kind) {
    case "float":
      return "float";
    case "duration":
      return "Duration";
    case "list":
      return "List";
    case "map":
      return "Map";
    case "option":
      return "Option";
    case "result":
      return "Result";
    case "fn":
      return "Function";
  }
}

/** The type name shown in messages: typed records show their type. */
export function typeNameOf(v: Value): string {
  if (v !== null && typeof v === "object" && v.kind === "map" && v.typeName) return v.typeName;
  return kindOf(v);
}

export function isInt(v: Value): v is number {
  return typeof v === "number";
}
export function isFloat(v: Value): v is FloatValue {
  return v !== null && typeof v === "object" && v.kind === "float";
}
export function isNumberValue(v: Value): v is number | FloatValue {
  return typeof v === "number" || isFloat(v);
}
export function numericValue(v: number | FloatValue): number {
  return typeof v === "number" ? v : v.value;
}
export function isList(v: Value): v is ListValue {
  return v !== null && typeof v === "object" && v.kind === "list";
}
export function isMap(v: Value): v is MapValue {
  return v !== null && typeof v === "object" && v.kind === "map";
}
export function isOption(v: Value): v is OptionValue {
  return v !== null && typeof v === "object" && v.kind === "option";
}
export function isResult(v: Value): v is ResultValue {
  return v !== null && typeof v === "object" && v.kind === "result";
}
export function isDuration(v: Value): v is DurationValue {
  return v !== null && typeof v === "object" && v.kind === "duration";
}
export function isFn(v: Value): v is FnValue {
  return v !== null && typeof v === "object" && v.kind === "fn";
}

/** `null` and `None` both mean "no value". */
export function isAbsent(v: Value): boolean {
  return v === null || (isOption(v) && v.value === undefined);
}

// ---------------------------------------------------------------------------------------------
// Equality and ordering
// ---------------------------------------------------------------------------------------------

/**
 * Structural equality (`==`). Numbers compare by value across int and float (`1 == 1.0`);
 * `null == None`; `Some(x) == x` (a plain value where an Option is expected stands for
 * `Some(value)`, as the checker wraps it); lists element-wise; maps by key set and values (a typed record's type name is
 * not compared); functions by identity. Values of different kinds are unequal, never an error.
 */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return !(isFloat(a) && Number.isNaN(a.value));
  if (isNumberValue(a) && isNumberValue(b)) return numericValue(a) === numericValue(b);
  if (isAbsent(a) || isAbsent(b)) return isAbsent(a) && isAbsent(b);
  // A plain value where an Option is expected is `Some(value)` (the checker's implicit wrapping).
  if (isOption(a) !== isOption(b)) return isOption(a) ? equals(a.value!, b) : equals(a, (b as OptionValue).value!);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  switch (a.kind) {
    case "duration":
      return b.kind === "duration" && a.ms === b.ms;
    case "list":
      return b.kind === "list" && a.items.length === b.items.length && a.items.every((x, i) => equals(x, b.items[i]!));
    case "map": {
      if (b.kind !== "map" || a.entries.size !== b.entries.size) return false;
      for (const [k, v] of a.entries) {
        if (!b.entries.has(k) || !equals(v, b.entries.get(k)!)) return false;
      }
      return true;
    }
    case "option":
      return b.kind === "option" && a.value !== undefined && b.value !== undefined && equals(a.value, b.value);
    case "result":
      return b.kind === "result" && a.ok === b.ok && equals(a.value, b.value);
    default:
      return false;
  }
}

/**
 * Ordering (`<`, `<=`, `>`, `>=`, `sort`): numbers across int and float, strings by UTF-16 code
 * unit (so "a" < "b" < "ba"), durations by length. Anything else cannot be ordered: the
 * function returns undefined and the caller raises a located error.
 */
export function compare(a: Value, b: Value): number | undefined {
  if (isNumberValue(a) && isNumberValue(b)) {
    const x = numericValue(a);
    const y = numericValue(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (isDuration(a) && isDuration(b)) return a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : 0;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Display (format, print, string concatenation)
// ---------------------------------------------------------------------------------------------

const DURATION_UNITS: [string, number][] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
];

/** `30s`, `5m`, `1500ms`: the largest unit that divides the length exactly. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && Number.isInteger(ms)) {
    for (const [unit, size] of DURATION_UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Floats print as JavaScript (and Rust's Display) do: `1.5`, `2` for 2.0, `NaN`, `inf` → `Infinity`. */
export function formatFloat(x: number): string {
  return String(x);
}

/**
 * The text of a value as `format` and `print` show it: strings raw at the top level and quoted
 * inside collections; `[1, "a"]`, `{"k": 1}`, `Some(1)`, `None`, `Ok(x)`, `Err(e)`, `30s`,
 * `<fn name>`, `null`.
 */
export function display(v: Value, nested = false): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return nested ? JSON.stringify(v) : v;
    case "number":
    case "boolean":
      return String(v);
  }
  switch (v.kind) {
    case "float":
      return formatFloat(v.value);
    case "duration":
      return formatDuration(v.ms);
    case "list":
      return `[${v.items.map((x) => display(x, true)).join(", ")}]`;
    case "map": {
      const body = [...v.entries]
        .map(([k, x]) => `${JSON.stringify(typeof k === "string" ? k : String(k))}: ${display(x, true)}`)
        .join(", ");
      return `{${body}}`;
    }
    case "option":
      return v.value === undefined ? "None" : `Some(${display(v.value, true)})`;
    case "result":
      return `${v.ok ? "Ok" : "Err"}(${display(v.value, true)})`;
    case "fn":
      return `<fn ${v.name}>`;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class JsonConversionError extends Error {
  override readonly name = "JsonConversionError";
}

/**
 * A value as JSON (the result `symbi exec` prints, tool arguments, audit details): Option
 * becomes its value or null, `Ok(x)` → `{"ok": x}`, `Err(e)` → `{"error": e}`, a Duration its
 * display text (`"30s"`), map keys their display text. Functions and non-finite floats cannot
 * be represented and throw JsonConversionError.
 */
export function toJson(v: Value, path = "value"): Json {
  if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") return v;
  switch (v.kind) {
    case "float":
      if (!Number.isFinite(v.value))
        throw new JsonConversionError(`${path} is ${v.value}, which JSON cannot represent`);
      return v.value;
    case "duration":
      return formatDuration(v.ms);
    case "list":
      return v.items.map((x, i) => toJson(x, `${path}[${i}]`));
    case "map": {
      const out: { [key: string]: Json } = {};
      for (const [k, x] of v.entries) {
        const key = String(k);
        Object.defineProperty(out, key, {
          value: toJson(x, `${path}.${key}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case "option":
      return v.value === undefined ? null : toJson(v.value, path);
    case "result":
      return v.ok ? { ok: toJson(v.value, `${path}.ok`) } : { error: toJson(v.value, `${path}.error`) };
    case "fn":
      throw new JsonConversionError(`${path} is a function (${v.name}), which JSON cannot represent`);
  }
}

/**
 * JSON (tool output, parsed `--input` of an untyped position) as a value: integral numbers in
 * the safe range are ints, other numbers floats, objects maps (string keys), arrays lists.
 */
export function fromJson(j: unknown): Value {
  if (j === null || j === undefined) return null;
  switch (typeof j) {
    case "string":
    case "boolean":
      return j;
    case "number":
      return Number.isSafeInteger(j) ? j : float(j);
    case "bigint":
      return Number.isSafeInteger(Number(j)) ? Number(j) : float(Number(j));
    case "object":
      if (Array.isArray(j)) return list(j.map(fromJson));
      return map(Object.entries(j as Record<string, unknown>).map(([k, x]) => [k, fromJson(x)]));
    default:
      return null;
  }
}
