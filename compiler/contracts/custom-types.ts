/**
 * Project-level custom argument types: `toolclad.toml` at the project root declares
 * `[types.<name>]` with a built-in `base` type and that type's keys (`allowed`, `pattern`,
 * `min`, `max`, ...). Contracts then write `type = "<name>"`.
 */
import { isBuiltinArgType, BUILTIN_ARG_TYPES, type CustomTypeSpec } from "./model.js";
import { readConstraints, CONSTRAINT_KEYS } from "./constraints.js";
import { ContractReader, isTable } from "./reader.js";
import { closestName as closest } from "../../grammar/suggest.js";
import { parseTomlSource } from "./toml-source.js";
import type { Diagnostic } from "../diagnostics/model.js";

const TYPE_KEYS = ["base", "description", ...CONSTRAINT_KEYS];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface CustomTypesResult {
  types: Map<string, CustomTypeSpec>;
  diagnostics: Diagnostic[];
}

export function parseCustomTypes(text: string, file: string): CustomTypesResult {
  const types = new Map<string, CustomTypeSpec>();
  const src = parseTomlSource(text, file);
  if (!src.ok) return { types, diagnostics: [src.diagnostic] };
  const r = new ContractReader(file, src.locator);
  r.unknownKeys(src.value, ["types"], [], "toolclad.toml");
  const table = r.table(src.value, "types", []);
  for (const [name, def] of Object.entries(table ?? {})) {
    const path = ["types", name];
    if (!isTable(def)) {
      r.atValue("E0502", `\`types.${name}\` must be a table`, path);
      continue;
    }
    if (!IDENT.test(name)) {
      r.atKey("E0503", `custom type name \`${name}\` is not an identifier`, path);
      continue;
    }
    if (isBuiltinArgType(name)) {
      r.atKey("E0503", `custom type \`${name}\` has the name of a built-in type`, path, "choose another name");
      continue;
    }
    r.unknownKeys(def, TYPE_KEYS, path, `custom type \`${name}\``);
    const base = r.string(def, "base", path);
    if (base === undefined) {
      if (def.base === undefined) r.atKey("E0501", `custom type \`${name}\` needs a \`base\` type`, path);
      continue;
    }
    if (!isBuiltinArgType(base)) {
      const s = closest(base, BUILTIN_ARG_TYPES);
      r.atValue(
        "E0505",
        `unknown base type \`${base}\` for custom type \`${name}\``,
        [...path, "base"],
        s ? `did you mean \`${s}\`?` : `built-in types: ${BUILTIN_ARG_TYPES.join(", ")}`,
      );
      continue;
    }
    const c = readConstraints(r, def, path, base, {}, "custom type");
    const spec: CustomTypeSpec = { name, base, file, span: src.locator.key(path) };
    const description = r.string(def, "description", path);
    if (description !== undefined) spec.description = description;
    Object.assign(spec, c);
    types.set(name, spec);
  }
  return { types, diagnostics: r.diagnostics };
}
