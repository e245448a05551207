/**
 * DSL type references (`String`, `List<Dataset>`, `Option<int>`, struct types) as policy types
 * (types.ts). Struct types become closed records; names the project does not declare (`JSON`,
 * `File`, …) become open records whose attributes are discovered from the guards.
 */
import type { Program, TypeDef, TypeRef } from "../../grammar/ast.js";
import { TNode, tBool, tLong, tOpenRecord, tSet, tString, tVar, type Field } from "./types.js";

export type TypeTable = ReadonlyMap<string, TypeDef>;

export function typeTable(programs: readonly Program[]): Map<string, TypeDef> {
  const m = new Map<string, TypeDef>();
  for (const p of programs) for (const it of p.items) if (it.kind === "TypeDef" && !m.has(it.name.name)) m.set(it.name.name, it);
  return m;
}

const LIST_NAMES = new Set(["List", "Array", "Vec", "Set"]);
const OPTION_NAMES = new Set(["Option", "Maybe"]);

export function typeRefText(t: TypeRef): string {
  return t.args.length === 0 ? t.name.name : `${t.name.name}<${t.args.map(typeRefText).join(", ")}>`;
}

/** The policy type of a DSL type; `optional` for `Option<T>` (the value may be absent). */
export function policyType(t: TypeRef, types: TypeTable, depth = 0): { node: TNode; optional: boolean } {
  const name = t.name.name;
  if (depth > 8) return { node: tOpenRecord(name), optional: false };
  switch (name) {
    case "String":
    case "string":
    case "str":
      return { node: tString(), optional: false };
    case "int":
    case "i64":
    case "Int":
    case "Integer":
    case "Duration":
      return { node: tLong(), optional: false };
    case "bool":
    case "Bool":
    case "boolean":
      return { node: tBool(), optional: false };
    case "float":
    case "f64":
    case "Float":
      return { node: new TNode({ k: "Unsupported", what: "float" }), optional: false };
    case "Map":
    case "HashMap":
      return { node: new TNode({ k: "Unsupported", what: typeRefText(t) }), optional: false };
  }
  if (LIST_NAMES.has(name)) {
    const el = t.args[0] ? policyType(t.args[0], types, depth + 1).node : tVar();
    return { node: tSet(el), optional: false };
  }
  if (OPTION_NAMES.has(name) && t.args[0]) {
    return { node: policyType(t.args[0], types, depth + 1).node, optional: true };
  }
  const def = types.get(name);
  if (def) {
    if (def.definition.kind === "TypeRef") return policyType(def.definition, types, depth + 1);
    const fields = new Map<string, Field>();
    for (const f of def.definition.fields) {
      const ft = policyType(f.type, types, depth + 1);
      fields.set(f.name.name, { node: ft.node, optional: ft.optional });
    }
    return { node: new TNode({ k: "Record", fields, open: false, name }), optional: false };
  }
  return { node: tOpenRecord(name), optional: false };
}
