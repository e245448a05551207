/**
 * Shapes: the serialisable form of policy types, written in the Cedar JSON-schema type syntax
 * (`{ "type": "Set", "element": { "type": "String" } }`), so the same object is the Cedar schema
 * fragment, the description in policies.json, and what the runtime checks request values against.
 */
import type { TNode } from "./types.js";

export type Shape =
  | { type: "String" }
  | { type: "Long" }
  | { type: "Boolean" }
  | { type: "Set"; element: Shape }
  | { type: "Record"; attributes: { [name: string]: Shape & { required?: boolean } } };

/** The shape of a solved type; records keep only the fields in `used` (all when omitted). */
export function shapeOf(n: TNode, depth = 0): Shape {
  const t = n.concrete;
  if (!t || depth > 32) return { type: "String" };
  switch (t.k) {
    case "String":
      return { type: "String" };
    case "Long":
      return { type: "Long" };
    case "Bool":
      return { type: "Boolean" };
    case "Set":
      return { type: "Set", element: shapeOf(t.el, depth + 1) };
    case "Record": {
      const attributes: { [name: string]: Shape & { required?: boolean } } = {};
      for (const name of [...t.fields.keys()].sort()) {
        const f = t.fields.get(name)!;
        attributes[name] = { ...shapeOf(f.node, depth + 1), required: !f.optional };
      }
      return { type: "Record", attributes };
    }
    case "Unsupported":
      return { type: "String" };
  }
}

const I64_MIN = -(2 ** 63);
const I64_MAX = 2 ** 63;

/** Whether a JSON value has the shape (records: required attributes present; other attributes are allowed). */
export function conforms(v: unknown, s: Shape): boolean {
  switch (s.type) {
    case "String":
      return typeof v === "string";
    case "Long":
      return typeof v === "number" && Number.isInteger(v) && v >= I64_MIN && v < I64_MAX;
    case "Boolean":
      return typeof v === "boolean";
    case "Set":
      return Array.isArray(v) && v.every((x) => conforms(x, s.element));
    case "Record": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      for (const [k, a] of Object.entries(s.attributes)) {
        if (!(k in o)) {
          if (a.required !== false) return false;
          continue;
        }
        if (!conforms(o[k], a)) return false;
      }
      return true;
    }
  }
}

/**
 * Projects a JSON value onto a shape, as the runtime does before handing a request to Cedar:
 * attributes the shape does not name are dropped, attributes of the wrong type are dropped
 * (absent: a guard reading them is undefined and fails closed). Returns undefined when the value
 * itself does not fit.
 */
export function project(v: unknown, s: Shape): unknown {
  switch (s.type) {
    case "String":
    case "Long":
    case "Boolean":
      return conforms(v, s) ? v : undefined;
    case "Set": {
      if (!Array.isArray(v)) return undefined;
      const out: unknown[] = [];
      for (const x of v) {
        const p = project(x, s.element);
        if (p === undefined) return undefined;
        out.push(p);
      }
      return out;
    }
    case "Record": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, a] of Object.entries(s.attributes)) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) {
          if (a.required !== false) return undefined;
          continue;
        }
        const p = project(o[k], a);
        if (p === undefined) {
          if (a.required !== false) return undefined;
          continue;
        }
        out[k] = p;
      }
      return out;
    }
  }
}
