/**
 * How built-ins read in the editor: signatures printed from the stdlib table (`len(value: String
 * | List<T> | Map<K, V>) -> int`), parameter lists for signature help, and markdown for hover and
 * completion documentation. Everything comes from stdlib/ — the one table of built-ins.
 */
import {
  BUILTIN_ACTIONS,
  BUILTIN_FUNCTIONS,
  BUILTIN_GROUPS,
  BUILTIN_TYPES,
  BUILTIN_VALUES,
  builtinFields,
  builtinMethods,
  printTypeExpr,
  signatureOf,
  type BuiltinFieldDecl,
  type BuiltinFunctionDecl,
  type BuiltinMethodDecl,
  type ParamExpr,
} from "../../stdlib/index.js";

export interface ParamLabel {
  label: string;
  name: string;
}

export interface CallableSignature {
  /** `name(a: T, b?: U) -> R` */
  label: string;
  params: ParamLabel[];
  doc?: string;
}

function paramLabel(p: ParamExpr): ParamLabel {
  return { name: p.name, label: `${p.rest ? "..." : ""}${p.name}${p.optional ? "?" : ""}: ${printTypeExpr(p.type)}` };
}

/** A stdlib function or method signature as `name(params) -> result`. */
export function stdlibSignature(name: string, signature: string, doc?: string): CallableSignature {
  const sig = signatureOf(signature);
  const t = sig.type;
  if (t.kind !== "fn") return { label: `${name}: ${printTypeExpr(t)}`, params: [], ...(doc ? { doc } : {}) };
  const params = t.params.map(paramLabel);
  const generics = sig.typeParams.length ? `<${sig.typeParams.join(", ")}>` : "";
  const result = printTypeExpr(t.result);
  const label = `${name}${generics}(${params.map((p) => p.label).join(", ")})${result === "unit" ? "" : ` -> ${result}`}`;
  return doc ? { label, params, doc } : { label, params };
}

export function functionSignature(d: BuiltinFunctionDecl): CallableSignature {
  return stdlibSignature(d.name, d.signature, d.doc);
}

export function methodSignature(d: BuiltinMethodDecl): CallableSignature {
  return stdlibSignature(d.name, d.signature, d.doc);
}

function code(s: string): string {
  return "```symbiont\n" + s + "\n```";
}

export function functionHover(d: BuiltinFunctionDecl): string {
  const lines = [code(functionSignature(d).label), d.doc];
  if (d.action) lines.push(`Governed action \`${d.action}\`: policies match it as \`${d.action}(${d.target ?? ""})\`.`);
  lines.push("*built-in function*");
  return lines.join("\n\n");
}

export function methodHover(d: BuiltinMethodDecl): string {
  return [code(`${d.receiver}.${methodSignature(d).label}`), d.doc, "*built-in method*"].join("\n\n");
}

export function fieldHover(d: BuiltinFieldDecl): string {
  return [code(`${d.receiver}.${d.name}: ${d.type}`), d.doc].join("\n\n");
}

/** Hover text for any global built-in name (function, value, type, action, group). */
export function builtinHover(name: string): string | undefined {
  const f = BUILTIN_FUNCTIONS.get(name);
  if (f) return functionHover(f);
  const v = BUILTIN_VALUES.get(name);
  if (v) return [code(`${name}: ${v.type}`), v.doc, "*built-in value*"].join("\n\n");
  const t = BUILTIN_TYPES.get(name);
  if (t) {
    const head = t.params.length ? `${name}<${t.params.join(", ")}>` : name;
    const def = t.definition
      ? ` = ${t.definition}`
      : t.levels
        ? ` = ${t.levels.map((l) => JSON.stringify(l)).join(" < ")}`
        : "";
    return [code(`type ${head}${def}`), t.doc, "*built-in type*"].join("\n\n");
  }
  const a = BUILTIN_ACTIONS.get(name);
  if (a)
    return [
      code(`action ${name}(${a.binders.map(([n, ty]) => `${n}: ${ty}`).join(", ")})`),
      a.doc,
      "*built-in policy action*",
    ].join("\n\n");
  const g = BUILTIN_GROUPS.get(name);
  if (g)
    return [
      code(`group ${name}`),
      g.doc,
      g.members === "*" ? "Members: every action." : `Members: ${g.members.map((m) => `\`${m}\``).join(", ")}.`,
    ].join("\n\n");
  return undefined;
}

/** Methods and fields of a built-in type by head name (for member completion without a checker type). */
export function builtinMembersOf(typeHead: string): { methods: BuiltinMethodDecl[]; fields: BuiltinFieldDecl[] } {
  return { methods: [...builtinMethods(typeHead).values()], fields: [...builtinFields(typeHead).values()] };
}

export { code as codeBlock };
