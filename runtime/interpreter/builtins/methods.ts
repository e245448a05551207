/**
 * Implementations of the stdlib table's methods and fields, keyed `<Receiver>.<name>` with the
 * receiver's head name as the table writes it (`String`, `List`, `Map`, `Option`, `Result`,
 * `Duration`). A method receives its receiver as the first argument.
 */
import { createRequire } from "node:module";
import type { RE2JS } from "re2js";
import { DslError } from "../errors.js";
import { asMapKey } from "../operators.js";
import {
  display,
  equals,
  float,
  isAbsent,
  isResult,
  list,
  NONE,
  some,
  typeNameOf,
  type DurationValue,
  type ListValue,
  type MapKey,
  type MapValue,
  type OptionValue,
  type ResultValue,
  type Value,
} from "../values.js";
import { expectString, lengthOf, predicate, sameSize } from "./functions.js";
import { displayLength, listBytes, MAP_ENTRY_BYTES, SLOT_BYTES, STRING_HEADER_BYTES, stringBytes } from "../memory.js";
import type { BuiltinContext } from "./types.js";
import type { BuiltinImpl } from "./types.js";

/** Longest pattern `contains_pattern` compiles (RE2 matching is linear, compiling is not free). */
const MAX_PATTERN_LENGTH = 4096;

/** The table's receiver name for a value (`null` counts as an absent Option). */
export function receiverOf(v: Value): string | undefined {
  if (v === null) return "Option";
  switch (typeof v) {
    case "string":
      return "String";
    case "number":
    case "boolean":
      return undefined;
  }
  switch (v.kind) {
    case "list":
      return "List";
    case "map":
      return "Map";
    case "option":
      return "Option";
    case "result":
      return "Result";
    case "duration":
      return "Duration";
    default:
      return undefined;
  }
}

const str = (v: Value | undefined) => v as string;
const items = (v: Value | undefined) => (v as ListValue).items;
const entries = (v: Value | undefined) => (v as MapValue).entries;

function key(v: Value | undefined): MapKey {
  const k = asMapKey(v ?? null);
  if (k === undefined)
    throw new DslError("RuntimeError", `${typeNameOf(v ?? null)} cannot be a map key (keys are String, int or bool)`);
  return k;
}

function keyValue(k: MapKey): Value {
  return k;
}

/** The value an Option holds; a plain value stands for `Some(value)` (the checker's implicit wrapping). */
function optionValue(v: Value | undefined): Value | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "object" && v.kind === "option") return (v as OptionValue).value;
  return v;
}

/** Whether `pattern` (RE2 syntax) matches somewhere in `s`; throws a DslError for a bad pattern. */
export function containsPattern(s: string, pattern: string): boolean {
  return compilePattern(pattern).matcher(s).find();
}

// RE2 is loaded on the first pattern (CommonJS build, synchronously): most runs match none.
const require = createRequire(import.meta.url);
let re2: typeof RE2JS | undefined;

function compilePattern(pattern: string): RE2JS {
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new DslError("Error", `the pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  re2 ??= (require("re2js") as typeof import("re2js")).RE2JS;
  try {
    return re2.compile(pattern);
  } catch (e) {
    throw new DslError(
      "Error",
      `invalid pattern ${JSON.stringify(pattern)}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** `unwrap` of an `Err`: re-raises a caught error as itself, anything else as an `Error`. */
function raiseErr(r: ResultValue): never {
  const v = r.value;
  if (v !== null && typeof v === "object" && v.kind === "map" && v.typeName === "Error") {
    const kind = v.entries.get("kind");
    const message = v.entries.get("message");
    throw new DslError(typeof kind === "string" ? kind : "Error", typeof message === "string" ? message : display(v));
  }
  throw new DslError("Error", `unwrap of Err(${display(v, true)})`);
}

/** How many times `needle` (not empty) occurs in `s`, without splitting it. */
function occurrences(s: string, needle: string): number {
  let n = 0;
  for (let at = s.indexOf(needle); at >= 0; at = s.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** Charges the String `join` builds: every item's display text and the separators. */
function chargeJoin(xs: readonly Value[], separator: string, ctx: BuiltinContext): void {
  let n = Math.max(0, xs.length - 1) * separator.length;
  for (const x of xs) {
    n += displayLength(x, ctx.budget.maxMemory);
    if (n > ctx.budget.maxMemory) break;
  }
  ctx.budget.allocate(stringBytes(n));
}

export const METHODS: Readonly<Record<string, BuiltinImpl>> = {
  "String.len": ([s]) => lengthOf(s),
  "String.is_empty": ([s]) => str(s).length === 0,
  "String.contains": ([s, needle]) => str(s).includes(expectString(needle, "the needle")),
  "String.starts_with": ([s, p]) => str(s).startsWith(expectString(p, "the prefix")),
  "String.ends_with": ([s, p]) => str(s).endsWith(expectString(p, "the suffix")),
  "String.contains_pattern": ([s, p], ctx) => containsPattern(sameSize(str(s), ctx), expectString(p, "the pattern")),
  "String.upper": ([s], ctx) => sameSize(str(s), ctx).toUpperCase(),
  "String.lower": ([s], ctx) => sameSize(str(s), ctx).toLowerCase(),
  "String.trim": ([s], ctx) => sameSize(str(s), ctx).trim(),
  "String.split": ([s, sep], ctx) => {
    const separator = expectString(sep, "the separator");
    const parts = separator === "" ? lengthOf(str(s)) : occurrences(str(s), separator) + 1;
    ctx.budget.allocate(listBytes(parts) + parts * STRING_HEADER_BYTES + stringBytes(str(s).length));
    return list(separator === "" ? [...str(s)] : str(s).split(separator));
  },
  "String.replace": ([s, from, to], ctx) => {
    const f = expectString(from, "the text to replace");
    const t = expectString(to, "the replacement");
    if (f === "") return str(s);
    const n = occurrences(str(s), f);
    ctx.budget.allocate(listBytes(n + 1) + stringBytes(str(s).length + n * Math.max(0, t.length - f.length)));
    return str(s).split(f).join(t);
  },

  "List.len": ([xs]) => items(xs).length,
  "List.is_empty": ([xs]) => items(xs).length === 0,
  "List.push": ([xs, x], ctx) => {
    ctx.budget.allocate(SLOT_BYTES);
    items(xs).push(x ?? null);
    return null;
  },
  "List.append": ([xs, x], ctx) => {
    ctx.budget.allocate(SLOT_BYTES);
    items(xs).push(x ?? null);
    return null;
  },
  "List.contains": ([xs, x]) => items(xs).some((y) => equals(y, x ?? null)),
  "List.map": async ([xs, f], ctx) => {
    ctx.budget.allocate(listBytes(items(xs).length * 2)); // the result, and the snapshot it reads
    const out: Value[] = [];
    for (const x of [...items(xs)]) out.push(await ctx.call(f ?? null, [x]));
    return list(out);
  },
  "List.filter": async ([xs, f], ctx) => {
    ctx.budget.allocate(listBytes(items(xs).length * 2));
    const out: Value[] = [];
    for (const x of [...items(xs)]) if (await predicate(ctx, f, x, "`filter`")) out.push(x);
    return list(out);
  },
  "List.find": async ([xs, f], ctx) => {
    for (const x of [...items(xs)]) if (await predicate(ctx, f, x, "`find`")) return some(x);
    return NONE;
  },
  "List.any": async ([xs, f], ctx) => {
    for (const x of [...items(xs)]) if (await predicate(ctx, f, x, "`any`")) return true;
    return false;
  },
  "List.all": async ([xs, f], ctx) => {
    for (const x of [...items(xs)]) if (!(await predicate(ctx, f, x, "`all`"))) return false;
    return true;
  },
  "List.join": ([xs, sep], ctx) => {
    const separator = expectString(sep, "the separator");
    chargeJoin(items(xs), separator, ctx);
    return items(xs)
      .map((x) => display(x))
      .join(separator);
  },
  "List.first": ([xs]) => (items(xs).length > 0 ? some(items(xs)[0]!) : NONE),
  "List.last": ([xs]) => (items(xs).length > 0 ? some(items(xs)[items(xs).length - 1]!) : NONE),
  "List.reverse": ([xs], ctx) => {
    ctx.budget.allocate(listBytes(items(xs).length));
    return list([...items(xs)].reverse());
  },

  "Map.len": ([m]) => entries(m).size,
  "Map.is_empty": ([m]) => entries(m).size === 0,
  "Map.keys": ([m], ctx) => {
    ctx.budget.allocate(listBytes(entries(m).size * 2));
    return list([...entries(m).keys()].map(keyValue));
  },
  "Map.values": ([m], ctx) => {
    ctx.budget.allocate(listBytes(entries(m).size));
    return list([...entries(m).values()]);
  },
  "Map.contains": ([m, k]) => entries(m).has(key(k)),
  "Map.get": ([m, k]) => {
    const kk = key(k);
    return entries(m).has(kk) ? some(entries(m).get(kk)!) : NONE;
  },
  "Map.insert": ([m, k, v], ctx) => {
    const kk = key(k);
    if (!entries(m).has(kk)) ctx.budget.allocate(MAP_ENTRY_BYTES);
    entries(m).set(kk, v ?? null);
    return null;
  },
  "Map.remove": ([m, k]) => {
    const kk = key(k);
    if (!entries(m).has(kk)) return NONE;
    const v = entries(m).get(kk)!;
    entries(m).delete(kk);
    return some(v);
  },

  "Option.is_some": ([o]) => !isAbsent(o ?? null),
  "Option.is_none": ([o]) => isAbsent(o ?? null),
  "Option.unwrap": ([o]) => {
    const v = optionValue(o);
    if (v === undefined) throw new DslError("Error", "unwrap of None");
    return v;
  },
  "Option.unwrap_or": ([o, d]) => optionValue(o) ?? d ?? null,

  "Result.is_ok": ([r]) => (r as ResultValue).ok,
  "Result.is_err": ([r]) => !(r as ResultValue).ok,
  "Result.unwrap": ([r]) => {
    const res = r as ResultValue;
    if (!res.ok) raiseErr(res);
    return res.value;
  },
  "Result.unwrap_or": ([r, d]) => ((r as ResultValue).ok ? (r as ResultValue).value : (d ?? null)),
};

/** Fields of built-in types (`xs.length`, `d.millis`), keyed like METHODS. */
export const FIELDS: Readonly<Record<string, (receiver: Value) => Value>> = {
  "String.length": (s) => lengthOf(s),
  "List.length": (xs) => items(xs).length,
  "Map.length": (m) => entries(m).size,
  "Duration.millis": (d) => Math.round((d as DurationValue).ms),
  "Duration.seconds": (d) => float((d as DurationValue).ms / 1000),
};

/** Whether a value has the receiver shape a method expects (guards the casts above). */
export function isReceiver(v: Value, receiver: string): boolean {
  const r = receiverOf(v);
  if (receiver === "Result") return isResult(v);
  return r === receiver;
}
