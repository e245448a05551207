/**
 * Implementations of the stdlib table's global functions (stdlib/builtins.ts), keyed by name.
 * Pure functions only compute; the governed ones (the table's `action` entries) go through the
 * host (governed.ts). registry.ts checks that this file, methods.ts and governed.ts together
 * implement exactly the table.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { DslError } from "../errors.js";
import {
  compare,
  display,
  err,
  fromJson,
  isAbsent,
  isList,
  isMap,
  ok,
  some,
  toJson,
  typeNameOf,
  JsonConversionError,
  type Value,
} from "../values.js";
import type { BuiltinContext, BuiltinImpl } from "./types.js";
import { displayLength, stringBytes, valueBytes } from "../memory.js";

export function expectString(v: Value | undefined, what: string): string {
  if (typeof v !== "string")
    throw new DslError("RuntimeError", `${what} must be a String, not ${typeNameOf(v ?? null)}`);
  return v;
}

export function expectList(v: Value | undefined, what: string): Value[] {
  if (!isList(v ?? null)) throw new DslError("RuntimeError", `${what} must be a List, not ${typeNameOf(v ?? null)}`);
  return (v as { items: Value[] }).items;
}

/** Calls a predicate and insists on a bool answer. */
export async function predicate(
  ctx: BuiltinContext,
  f: Value | undefined,
  item: Value,
  what: string,
): Promise<boolean> {
  const r = await ctx.call(f ?? null, [item]);
  if (typeof r !== "boolean")
    throw new DslError("RuntimeError", `the ${what} predicate must return a bool, not ${typeNameOf(r)}`);
  return r;
}

/** The length of a String (in characters, i.e. code points), a List or a Map. */
export function lengthOf(v: Value | undefined, what = "the value"): number {
  if (typeof v === "string") {
    let n = 0;
    for (const _ of v) n++;
    return n;
  }
  if (isList(v ?? null)) return (v as { items: Value[] }).items.length;
  if (isMap(v ?? null)) return (v as { entries: Map<unknown, Value> }).entries.size;
  throw new DslError(
    "RuntimeError",
    `${what} has no length: it is ${typeNameOf(v ?? null)}, not a String, List or Map`,
  );
}

/** The display text of `values` side by side: its length, for the memory budget. */
function displayTotal(values: readonly Value[], ctx: BuiltinContext): number {
  let n = values.length;
  for (const v of values) n += displayLength(v, ctx.budget.maxMemory);
  return n;
}

/** Charges a new String as long as `s` (upper, lower, trim, …) and returns `s`. */
export function sameSize(s: string, ctx: BuiltinContext): string {
  ctx.budget.allocate(stringBytes(s.length));
  return s;
}

/** `format`: each `{}` of the template, left to right, takes the next argument's display text. */
export function formatTemplate(template: string, args: readonly Value[]): string {
  let i = 0;
  return template.replace(/\{\}/g, (hole) => (i < args.length ? display(args[i++]!) : hole));
}

function jsonText(v: Value): string {
  try {
    return JSON.stringify(toJson(v));
  } catch (e) {
    if (e instanceof JsonConversionError) throw new DslError("RuntimeError", e.message);
    throw e;
  }
}

function numericPick(a: Value | undefined, b: Value | undefined, pickSmaller: boolean, name: string): Value {
  const c = compare(a ?? null, b ?? null);
  if (c === undefined || typeof a === "string" || typeof b === "string") {
    throw new DslError(
      "RuntimeError",
      `\`${name}\` needs two numbers, not ${typeNameOf(a ?? null)} and ${typeNameOf(b ?? null)}`,
    );
  }
  return (pickSmaller ? c <= 0 : c >= 0) ? a! : b!;
}

export const FUNCTIONS: Readonly<Record<string, BuiltinImpl>> = {
  print: (_args, ctx, rest) => {
    ctx.budget.allocate(stringBytes(displayTotal(rest, ctx)));
    ctx.host.log("print", rest.map((v) => display(v)).join(" "), ctx.loc);
    return null;
  },
  log: ([level, message], ctx) => {
    ctx.host.log(expectString(level, "the log level"), expectString(message, "the log message"), ctx.loc);
    return null;
  },
  len: ([v]) => lengthOf(v),
  length: ([v]) => lengthOf(v),
  format: ([template], ctx, rest) => {
    const t = expectString(template, "the template");
    ctx.budget.allocate(stringBytes(t.length + displayTotal(rest, ctx)));
    return formatTemplate(t, rest);
  },
  upper: ([s], ctx) => sameSize(expectString(s, "the text"), ctx).toUpperCase(),
  lower: ([s], ctx) => sameSize(expectString(s, "the text"), ctx).toLowerCase(),
  now: (_args, ctx) => new Date(ctx.host.now()).toISOString(),
  time_since: ([ts], ctx) => {
    const t = Date.parse(expectString(ts, "the timestamp"));
    if (Number.isNaN(t)) throw new DslError("Error", `${JSON.stringify(ts)} is not an RFC 3339 timestamp`);
    return Math.round(ctx.host.now() - t);
  },
  error: ([message]) => {
    throw new DslError("Error", expectString(message, "the error message"));
  },
  Some: ([v]) => some(v ?? null),
  Ok: ([v]) => ok(v ?? null),
  Err: ([v]) => err(v ?? null),
  parse_json: ([text], ctx) => {
    try {
      const t = expectString(text, "the JSON text");
      // The parsed tree is charged before parsing (about eight bytes a character), then what
      // it really came to.
      ctx.budget.allocate(t.length * 8);
      const value = fromJson(JSON.parse(t));
      ctx.budget.allocate(Math.max(0, valueBytes(value, ctx.budget.maxMemory) - t.length * 8));
      return value;
    } catch (e) {
      if (e instanceof SyntaxError) throw new DslError("Error", `malformed JSON: ${e.message}`);
      throw e;
    }
  },
  to_json: ([v], ctx) => {
    ctx.budget.allocate(stringBytes(displayLength(v ?? null, ctx.budget.maxMemory)));
    return jsonText(v ?? null);
  },
  any: async ([items, f], ctx) => {
    for (const x of expectList(items, "the first argument of `any`"))
      if (await predicate(ctx, f, x, "`any`")) return true;
    return false;
  },
  all: async ([items, f], ctx) => {
    for (const x of expectList(items, "the first argument of `all`"))
      if (!(await predicate(ctx, f, x, "`all`"))) return false;
    return true;
  },
  min: ([a, b]) => numericPick(a, b, true, "min"),
  max: ([a, b]) => numericPick(a, b, false, "max"),
  to_string: ([v], ctx) => {
    ctx.budget.allocate(stringBytes(displayLength(v ?? null, ctx.budget.maxMemory)));
    return display(v ?? null);
  },
  to_int: ([text]) => {
    const s = expectString(text, "the text").trim();
    const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n)) throw new DslError("Error", `${JSON.stringify(text)} is not an integer`);
    return n === 0 ? 0 : n;
  },
  hash_sha256: ([data]) => createHash("sha256").update(expectString(data, "the data"), "utf8").digest("hex"),
  verify_hmac_sha256: ([data, secret, signature]) => {
    const expected = createHmac("sha256", expectString(secret, "the secret"))
      .update(expectString(data, "the data"), "utf8")
      .digest();
    const hex = expectString(signature, "the signature")
      .trim()
      .replace(/^sha256=/i, "");
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
    return timingSafeEqual(expected, Buffer.from(hex, "hex"));
  },
  base64_encode: ([text], ctx) => {
    const t = expectString(text, "the text");
    ctx.budget.allocate(stringBytes(t.length * 4)); // up to 3 UTF-8 bytes a character, 4/3 of that
    return Buffer.from(t, "utf8").toString("base64");
  },
  base64_decode: ([encoded], ctx) => {
    const s = sameSize(expectString(encoded, "the base64 text"), ctx).trim();
    // Buffer.from ignores bad characters; check the alphabet and padding first.
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s))
      throw new DslError("Error", "malformed base64 (standard alphabet, padded)");
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(s, "base64"));
    } catch {
      throw new DslError("Error", "the decoded bytes are not valid UTF-8 text");
    }
  },
  generate_id: () => randomUUID(),
};

/** `null` and `None` are both "no value" for Option methods. */
export function absent(v: Value): boolean {
  return isAbsent(v);
}
