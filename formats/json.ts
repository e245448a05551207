/**
 * JSON values as the formats store them (bundle.json, policies.json, audit records), and their
 * RFC 8785 canonical form.
 *
 * The `canonicalize` package implements RFC 8785, but it silently turns a function into the
 * text `undefined` and calls `toJSON` on class instances; audit details must be plain data, so
 * the writer checks them first with `assertJsonObject` and fails loudly instead of hashing junk.
 */
import canonicalizeImport from "canonicalize";

// The package is CommonJS with an ESM-style .d.ts; under NodeNext resolution TypeScript types the
// default import as the module object, but at run time Node hands over module.exports, the function.
const canonicalize = canonicalizeImport as unknown as (input: unknown) => string | undefined;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** RFC 8785 canonical JSON text of a plain JSON value. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON form");
  return text;
}

/** Freezes `v` and every object inside it (an object already frozen is taken as frozen through). */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== "object" || Object.isFrozen(v)) return v;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
  return v;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Throws a TypeError naming the path of the first value that is not plain JSON: functions,
 * symbols, bigints, NaN/Infinity, class instances (Date, Map, Buffer…), cycles, and `undefined`
 * inside arrays. `undefined` object properties are allowed and dropped, as JSON.stringify does.
 */
export function assertJsonObject(value: unknown, what = "details"): asserts value is JsonObject {
  if (!isPlainObject(value)) throw new TypeError(`${what} must be a plain JSON object`);
  const seen = new Set<object>();
  const walk = (v: unknown, path: string, inArray: boolean): void => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(v)) throw new TypeError(`${path} is ${v}, which JSON cannot represent`);
        return;
      case "undefined":
        if (inArray) throw new TypeError(`${path} is undefined (not allowed in an array)`);
        return;
      case "object":
        if (v === null) return;
        if (seen.has(v)) throw new TypeError(`${path} is a circular reference`);
        seen.add(v);
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, true));
        else if (isPlainObject(v)) for (const k of Object.keys(v)) walk(v[k], `${path}.${k}`, false);
        else
          throw new TypeError(`${path} is a ${(v as object).constructor?.name ?? "non-plain"} object, not plain JSON`);
        seen.delete(v);
        return;
      default:
        throw new TypeError(`${path} is a ${typeof v}, which JSON cannot represent`);
    }
  };
  walk(value, what, false);
}
