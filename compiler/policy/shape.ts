/**
 * The shape (formats/policies-json.ts: the Cedar JSON-schema type syntax) of a solved policy type.
 */
import type { Shape } from "../../formats/policies-json.js";
import type { TNode } from "./types.js";

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
