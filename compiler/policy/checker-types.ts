/**
 * The checker's types (compiler/check/types.ts) as policy types (types.ts): what the emitter
 * starts from for agent inputs, trusted records and built-in action binders, so the Cedar schema
 * agrees with what `symbic check` accepted.
 *
 *   String, ordered levels (Clearance)   String (levels are ranked by the analysis)
 *   int, Duration (ms)                   Long
 *   bool                                 Bool
 *   List<T>                              Set<T>        (guards compare lists as sets)
 *   Option<T>                            T, optional
 *   structs, records                     records (closed; open for `..` records)
 *   JSON and other dynamic types         open records (fields discovered from the guards)
 *   float, Map, opaque types             unsupported (an error only where a guard reads one)
 */
import type { Type, TypeEnv } from "../check/types.js";
import { TNode, tBool, tLong, tOpenRecord, tSet, tString, tVar, type Field } from "./types.js";

export interface Converted {
  node: TNode;
  optional: boolean;
}

/**
 * Converts a checked type. `allOptional` makes every record field optional (trusted records:
 * the deployment may leave any field out).
 */
export function typeNode(t: Type, env: TypeEnv, opts: { allOptional?: boolean } = {}, depth = 0): Converted {
  const plain = (node: TNode): Converted => ({ node, optional: false });
  if (depth > 12) return plain(tOpenRecord());
  switch (t.k) {
    case "prim":
      switch (t.name) {
        case "String":
          return plain(tString());
        case "int":
        case "Duration":
          return plain(tLong());
        case "bool":
          return plain(tBool());
        case "float":
          return plain(new TNode({ k: "Unsupported", what: "float" }));
      }
      break;
    case "levels":
      return plain(tString());
    case "list":
      return plain(tSet(typeNode(t.elem, env, opts, depth + 1).node));
    case "option":
      return { node: typeNode(t.inner, env, opts, depth + 1).node, optional: true };
    case "record":
      return plain(record(t.fields, t.open, undefined, env, opts, depth));
    case "named": {
      const s = env.struct(t.name);
      if (!s) return plain(tOpenRecord(t.name));
      return plain(record(s.fields, s.open, t.name, env, opts, depth));
    }
    case "dyn":
      return plain(tOpenRecord(t.name));
    case "map":
    case "opaque":
      return plain(new TNode({ k: "Unsupported", what: t.k === "map" ? "a Map" : t.name }));
    default:
      return plain(tVar());
  }
  return plain(tVar());
}

function record(
  fields: ReadonlyMap<string, Type>,
  open: boolean,
  name: string | undefined,
  env: TypeEnv,
  opts: { allOptional?: boolean },
  depth: number,
): TNode {
  const out = new Map<string, Field>();
  for (const [k, ft] of fields) {
    const c = typeNode(ft, env, opts, depth + 1);
    out.set(k, { node: c.node, optional: c.optional || opts.allOptional === true });
  }
  return new TNode({ k: "Record", fields: out, open, ...(name ? { name } : {}) });
}
