/**
 * The stdlib table (stdlib/builtins.ts) seen through the checker's types: builtin function
 * signatures, methods and fields of built-in types, named stdlib types (records, levels,
 * dynamic and opaque types), built-in values, actions and their binder types.
 */
import {
  BUILTIN_TYPES,
  BUILTIN_FUNCTIONS,
  BUILTIN_VALUES,
  builtinMethods,
  builtinFields,
  receiverParams,
  signatureOf,
  typeExprOf,
  type TypeExpr,
  type BuiltinMethodDecl,
  type BuiltinFieldDecl,
} from "../../stdlib/index.js";
import { T, substitute, type FnParam, type StructDef, type Type } from "./types.js";

/** Converts a stdlib type expression; names in `vars` are type variables. */
export function fromTypeExpr(e: TypeExpr, vars: ReadonlySet<string> = new Set()): Type {
  switch (e.kind) {
    case "union":
      return { k: "union", options: e.options.map((o) => fromTypeExpr(o, vars)) };
    case "record": {
      const fields = new Map<string, Type>();
      for (const f of e.fields) {
        const t = fromTypeExpr(f.type, vars);
        fields.set(f.name, f.optional ? T.option(t) : t);
      }
      return T.record(fields, e.open);
    }
    case "fn":
      return T.fn(
        e.params.map((p): FnParam => ({
          name: p.name,
          type: fromTypeExpr(p.type, vars),
          optional: p.optional,
          rest: p.rest,
        })),
        fromTypeExpr(e.result, vars),
      );
    case "name": {
      if (vars.has(e.name)) return { k: "var", name: e.name };
      const a = e.args.map((x) => fromTypeExpr(x, vars));
      return namedBuiltinType(e.name, a) ?? T.error;
    }
  }
}

/** A built-in type by name with its arguments; undefined when the name is not built in. */
export function namedBuiltinType(name: string, args: Type[]): Type | undefined {
  switch (name) {
    case "any":
      return T.any;
    case "never":
      return T.never;
    case "unit":
      return T.unit;
    case "null":
      return T.null;
    case "String":
    case "int":
    case "float":
    case "bool":
    case "Duration":
      return { k: "prim", name };
    case "List":
    case "Array":
      return T.list(args[0] ?? T.JSON);
    case "Map":
      return T.map(args[0] ?? T.String, args[1] ?? T.JSON);
    case "Option":
    case "Maybe":
      return T.option(args[0] ?? T.JSON);
    case "Result":
      return T.result(args[0] ?? T.JSON, args[1] ?? T.named("Error"));
  }
  const d = BUILTIN_TYPES.get(name);
  if (!d) return undefined;
  switch (d.shape) {
    case "dynamic":
      return { k: "dyn", name };
    case "opaque":
      return { k: "opaque", name };
    case "levels":
      return { k: "levels", name, levels: d.levels ?? [] };
    case "alias":
      return fromTypeExpr(typeExprOf(d.definition!));
    default:
      return T.named(name);
  }
}

/** How many type arguments a built-in generic takes: [min, max]. */
export function builtinArity(name: string): [number, number] | undefined {
  switch (name) {
    case "List":
    case "Array":
    case "Option":
    case "Maybe":
      return [1, 1];
    case "Map":
      return [2, 2];
    case "Result":
      return [1, 2];
  }
  return BUILTIN_TYPES.has(name) ? [0, 0] : undefined;
}

let stdlibStructs: Map<string, StructDef> | undefined;
/** The stdlib's record types (Error, AgentInfo, Message, ToolInfo, User, Session, System, Context). */
export function stdlibStructDefs(): ReadonlyMap<string, StructDef> {
  if (stdlibStructs) return stdlibStructs;
  stdlibStructs = new Map();
  for (const d of BUILTIN_TYPES.values()) {
    if (d.shape !== "record" || !d.definition) continue;
    const t = fromTypeExpr(typeExprOf(d.definition));
    if (t.k === "record") stdlibStructs.set(d.name, { name: d.name, fields: t.fields, open: t.open });
  }
  return stdlibStructs;
}

export interface BuiltinFnInfo {
  name: string;
  type: Extract<Type, { k: "fn" }>;
  typeParams: string[];
  doc: string;
  action?: string;
  target?: string;
}

const fnCache = new Map<string, BuiltinFnInfo>();
export function builtinFunction(name: string): BuiltinFnInfo | undefined {
  const hit = fnCache.get(name);
  if (hit) return hit;
  const d = BUILTIN_FUNCTIONS.get(name);
  if (!d) return undefined;
  const sig = signatureOf(d.signature);
  const t = fromTypeExpr(sig.type, new Set(sig.typeParams));
  if (t.k !== "fn") return undefined;
  const info: BuiltinFnInfo = { name, type: t, typeParams: sig.typeParams, doc: d.doc };
  if (d.action) info.action = d.action;
  if (d.target) info.target = d.target;
  fnCache.set(name, info);
  return info;
}

export function builtinValueType(name: string): Type | undefined {
  const d = BUILTIN_VALUES.get(name);
  return d ? fromTypeExpr(typeExprOf(d.type)) : undefined;
}

/** The head name under which a type's built-in members are listed. */
export function receiverName(t: Type): string | undefined {
  switch (t.k) {
    case "prim":
      return t.name;
    case "levels":
      return "String";
    case "list":
      return "List";
    case "map":
      return "Map";
    case "option":
      return "Option";
    case "result":
      return "Result";
    default:
      return undefined;
  }
}

/** Bindings of the receiver's type parameters (`List<T>` on `List<int>` → T = int). */
function receiverSubst(receiver: string, t: Type): Map<string, Type> {
  const names = receiverParams(receiver);
  const args: Type[] =
    t.k === "list"
      ? [t.elem]
      : t.k === "map"
        ? [t.key, t.value]
        : t.k === "option"
          ? [t.inner]
          : t.k === "result"
            ? [t.ok, t.err]
            : [];
  const subst = new Map<string, Type>();
  names.forEach((n, i) => subst.set(n, args[i] ?? T.any));
  return subst;
}

export interface BuiltinMethodInfo {
  decl: BuiltinMethodDecl;
  /** The method's type with the receiver's parameters substituted; may still hold its own vars. */
  type: Extract<Type, { k: "fn" }>;
  typeParams: string[];
}

export function builtinMethod(receiverType: Type, name: string): BuiltinMethodInfo | undefined {
  const head = receiverName(receiverType);
  if (!head) return undefined;
  const decl = builtinMethods(head).get(name);
  if (!decl) return undefined;
  const sig = signatureOf(decl.signature);
  const vars = new Set([...receiverParams(decl.receiver), ...sig.typeParams]);
  const raw = fromTypeExpr(sig.type, vars);
  const t = substitute(raw, withOwnVars(receiverSubst(decl.receiver, receiverType), sig.typeParams));
  return t.k === "fn" ? { decl, type: t, typeParams: sig.typeParams } : undefined;
}

/** Keeps the method's own type parameters as variables while substituting the receiver's. */
function withOwnVars(subst: Map<string, Type>, own: string[]): Map<string, Type> {
  for (const v of own) subst.set(v, { k: "var", name: v });
  return subst;
}

export function builtinField(receiverType: Type, name: string): { decl: BuiltinFieldDecl; type: Type } | undefined {
  const head = receiverName(receiverType);
  if (!head) return undefined;
  const decl = builtinFields(head).get(name);
  if (!decl) return undefined;
  const vars = new Set(receiverParams(decl.receiver));
  return {
    decl,
    type: substitute(fromTypeExpr(typeExprOf(decl.type), vars), receiverSubst(decl.receiver, receiverType)),
  };
}

const memberNames = new Map<string, readonly string[]>();
const NONE: readonly string[] = [];

/** Names of the methods and fields of a type (for did-you-mean and completion); one list per type head. */
export function builtinMemberNames(t: Type): readonly string[] {
  const head = receiverName(t);
  if (!head) return NONE;
  let names = memberNames.get(head);
  if (!names) memberNames.set(head, (names = [...builtinMethods(head).keys(), ...builtinFields(head).keys()]));
  return names;
}
