/**
 * Request values (JSON: tool arguments, the agent's inputs, the trusted `--context`) → Cedar's
 * JSON value format. With a schema type the conversion also validates (a request that does not
 * match the schema the policies were validated against is refused, never evaluated loosely);
 * without one it maps by shape:
 *
 *   string → String     safe integer → Long     other number → decimal (≤ 4 fraction digits)
 *   bool → Boolean      array → Set             object → Record       null → attribute omitted
 *
 * A closed record type drops attributes it does not declare (strict validation guarantees no
 * policy reads them); an open one converts them by shape.
 *
 * Objects with a key that Cedar's JSON reads as an escape (`__entity`, `__extn`, `__expr`) are
 * refused: a value must never turn itself into an entity reference or an extension call.
 */
import type { CedarType } from "./schema.js";

export type CedarJson = boolean | number | string | CedarJson[] | { [key: string]: CedarJson };

export class CedarValueError extends Error {
  override readonly name = "CedarValueError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const ESCAPE_KEYS = new Set(["__entity", "__extn", "__expr"]);
/** Cedar's decimal: at most 4 digits after the point, range of an i64 scaled by 10^4. */
const DECIMAL_MAX = 922337203685477;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a record";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  return `a ${typeof v}`;
}

function decimal(v: unknown, path: string): CedarJson {
  let text: string;
  if (typeof v === "number" && Number.isFinite(v)) {
    const fixed = v.toFixed(4);
    if (Number(fixed) !== v)
      throw new CedarValueError(path, `${v} has more than 4 decimal places, which Cedar's decimal cannot hold`);
    text = fixed.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, ".0");
  } else if (typeof v === "string" && /^-?\d+\.\d{1,4}$/.test(v)) {
    text = v;
  } else {
    throw new CedarValueError(path, `expected a decimal number, found ${describe(v)}`);
  }
  if (Math.abs(Number(text)) > DECIMAL_MAX) throw new CedarValueError(path, `${text} is outside Cedar's decimal range`);
  return { __extn: { fn: "decimal", arg: text } };
}

/** Sets an own property even for keys such as `__proto__` (which plain assignment would not). */
function put(out: { [key: string]: CedarJson }, key: string, value: CedarJson): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function checkKey(key: string, path: string): void {
  if (ESCAPE_KEYS.has(key)) throw new CedarValueError(path, `the key \`${key}\` is reserved by Cedar's JSON format`);
}

/** Converts by shape (no schema). */
export function toCedarUntyped(v: unknown, path: string): CedarJson {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (Number.isSafeInteger(v)) return v;
      return decimal(v, path);
    case "object": {
      if (v === null) throw new CedarValueError(path, "null has no Cedar value");
      if (Array.isArray(v)) return v.map((x, i) => toCedarUntyped(x, `${path}[${i}]`));
      const out: { [key: string]: CedarJson } = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        checkKey(k, `${path}.${k}`);
        if (x === null || x === undefined) continue;
        put(out, k, toCedarUntyped(x, `${path}.${k}`));
      }
      return out;
    }
    default:
      throw new CedarValueError(path, `${typeof v} has no Cedar value`);
  }
}

/** Converts and validates against a schema type; undefined type means "any" (shape mapping). */
export function toCedar(v: unknown, type: CedarType | undefined, path: string): CedarJson {
  if (!type) return toCedarUntyped(v, path);
  switch (type.kind) {
    case "String":
      if (typeof v !== "string") throw new CedarValueError(path, `expected a String, found ${describe(v)}`);
      return v;
    case "Long":
      if (typeof v !== "number" || !Number.isSafeInteger(v))
        throw new CedarValueError(path, `expected an integer (Long), found ${describe(v)}`);
      return v;
    case "Boolean":
      if (typeof v !== "boolean") throw new CedarValueError(path, `expected a bool, found ${describe(v)}`);
      return v;
    case "Set":
      if (!Array.isArray(v)) throw new CedarValueError(path, `expected a list (Set), found ${describe(v)}`);
      return v.map((x, i) => toCedar(x, type.element, `${path}[${i}]`));
    case "Record": {
      if (typeof v !== "object" || v === null || Array.isArray(v))
        throw new CedarValueError(path, `expected a record, found ${describe(v)}`);
      const obj = v as Record<string, unknown>;
      const out: { [key: string]: CedarJson } = {};
      for (const [k, a] of type.attributes) {
        const x = Object.prototype.hasOwnProperty.call(obj, k) ? obj[k] : undefined;
        if (x === null || x === undefined) {
          if (a.required)
            throw new CedarValueError(`${path}.${k}`, "is required by the policy schema but has no value");
          continue;
        }
        put(out, k, toCedar(x, a.type, `${path}.${k}`));
      }
      for (const [k, x] of Object.entries(obj)) {
        if (type.attributes.has(k)) continue;
        checkKey(k, `${path}.${k}`);
        // Undeclared attributes are left out of a closed record: the policies were validated
        // strictly against this schema, so none of them can read one (and Cedar could not hold
        // some, such as floats).
        if (type.open && x !== null && x !== undefined) put(out, k, toCedarUntyped(x, `${path}.${k}`));
      }
      return out;
    }
    case "Entity": {
      const id = typeof v === "string" ? v : undefined;
      if (id === undefined)
        throw new CedarValueError(path, `expected the id of a ${type.name} (a String), found ${describe(v)}`);
      return { __entity: { type: type.name, id } };
    }
    case "Extension":
      if (type.name === "decimal") return decimal(v, path);
      if (typeof v !== "string")
        throw new CedarValueError(path, `expected a ${type.name} written as a String, found ${describe(v)}`);
      return { __extn: { fn: type.name, arg: v } };
  }
}
