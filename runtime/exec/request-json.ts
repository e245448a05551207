/**
 * Runtime values as the JSON a policy decision sees (`context.input`, derived attributes): like
 * values.ts `toJson`, except that a Duration is its length in milliseconds (the policy model
 * types Duration as a Long) and an absent Option is null (left out of the Cedar record).
 */
import { JsonConversionError, type Value } from "../interpreter/values.js";

export type RequestJson = null | boolean | number | string | RequestJson[] | { [key: string]: RequestJson };

export function toRequestJson(v: Value, path: string): RequestJson {
  if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") return v;
  switch (v.kind) {
    case "float":
      if (!Number.isFinite(v.value)) throw new JsonConversionError(`${path} is ${v.value}, which a policy cannot read`);
      return v.value;
    case "duration":
      return v.ms;
    case "list":
      return v.items.map((x, i) => toRequestJson(x, `${path}[${i}]`));
    case "map": {
      const out: { [key: string]: RequestJson } = {};
      for (const [k, x] of v.entries) {
        Object.defineProperty(out, String(k), {
          value: toRequestJson(x, `${path}.${String(k)}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case "option":
      return v.value === undefined ? null : toRequestJson(v.value, path);
    case "result":
      return v.ok ? { ok: toRequestJson(v.value, `${path}.ok`) } : { error: toRequestJson(v.value, `${path}.error`) };
    case "fn":
      throw new JsonConversionError(`${path} is a function, which a policy cannot read`);
  }
}
