/**
 * The checker's type model: built-in primitives and generics, records (anonymous and named
 * structs), function types for lambdas and builtins, ordered level types, and three "loose"
 * types — `dyn` (JSON, Secret: checked at run time), `any` (a stdlib parameter that takes
 * anything) and `error` (an expression already reported; it never causes a second diagnostic).
 *
 * Named types (user `type` declarations and the stdlib's record types) are referenced by name
 * and resolved through a TypeEnv, so recursive structs need no cycles in the type objects.
 */

export type PrimName = "String" | "int" | "float" | "bool" | "Duration";

export type Type =
  | { k: "prim"; name: PrimName }
  | { k: "unit" }
  | { k: "never" }
  | { k: "null" }
  | { k: "any" }
  | { k: "error" }
  | { k: "dyn"; name: string }
  | { k: "opaque"; name: string }
  | { k: "list"; elem: Type }
  | { k: "map"; key: Type; value: Type }
  | { k: "option"; inner: Type }
  | { k: "result"; ok: Type; err: Type }
  | { k: "record"; fields: ReadonlyMap<string, Type>; open: boolean }
  | { k: "named"; name: string }
  | { k: "levels"; name: string; levels: readonly string[] }
  | { k: "fn"; params: readonly FnParam[]; result: Type }
  | { k: "var"; name: string }
  /** Only in stdlib parameter positions (`len(value: String | List<T> | Map<K, V>)`). */
  | { k: "union"; options: readonly Type[] };

export interface FnParam {
  name: string;
  type: Type;
  /** May be left out (stdlib `limit?: int`, or a trailing `Option<T>` parameter of a user function). */
  optional: boolean;
  /** Takes any number of arguments of `type`. */
  rest: boolean;
  /** Tool `enum` arguments: the allowed values (a string literal outside them is E0310). */
  allowed?: readonly string[];
}

/** A named record type: a user `type X = { ... }` or a stdlib record (Error, User, ...). */
export interface StructDef {
  name: string;
  fields: ReadonlyMap<string, Type>;
  /** Open records (the trusted User/Session/System/Context) allow undeclared fields, typed JSON. */
  open: boolean;
  /** Where it is declared (absent for stdlib types). */
  file?: string;
}

/** Resolves named types. Aliases are resolved away when types are built, so names here are structs or levels. */
export interface TypeEnv {
  struct(name: string): StructDef | undefined;
}

export const T = {
  String: { k: "prim", name: "String" } as Type,
  int: { k: "prim", name: "int" } as Type,
  float: { k: "prim", name: "float" } as Type,
  bool: { k: "prim", name: "bool" } as Type,
  Duration: { k: "prim", name: "Duration" } as Type,
  unit: { k: "unit" } as Type,
  never: { k: "never" } as Type,
  null: { k: "null" } as Type,
  any: { k: "any" } as Type,
  error: { k: "error" } as Type,
  JSON: { k: "dyn", name: "JSON" } as Type,
  list: (elem: Type): Type => ({ k: "list", elem }),
  map: (key: Type, value: Type): Type => ({ k: "map", key, value }),
  option: (inner: Type): Type => ({ k: "option", inner }),
  result: (ok: Type, err: Type): Type => ({ k: "result", ok, err }),
  named: (name: string): Type => ({ k: "named", name }),
  record: (fields: ReadonlyMap<string, Type>, open = false): Type => ({ k: "record", fields, open }),
  fn: (params: FnParam[], result: Type): Type => ({ k: "fn", params, result }),
};

/** Types that accept and produce anything without a diagnostic. */
export function isLoose(t: Type): boolean {
  return t.k === "any" || t.k === "error" || t.k === "dyn";
}

export function isNumeric(t: Type): boolean {
  return t.k === "prim" && (t.name === "int" || t.name === "float");
}

export function isPrim(t: Type, name: PrimName): boolean {
  return t.k === "prim" && t.name === name;
}

export function typeToString(t: Type, depth = 0): string {
  if (depth > 6) return "…";
  const s = (x: Type) => typeToString(x, depth + 1);
  switch (t.k) {
    case "prim":
      return t.name;
    case "unit":
      return "unit";
    case "never":
      return "never";
    case "null":
      return "null";
    case "any":
      return "any";
    case "error":
      return "unknown";
    case "dyn":
    case "opaque":
    case "named":
    case "levels":
      return t.name;
    case "var":
      return t.name;
    case "union":
      return t.options.map(s).join(" | ");
    case "list":
      return `List<${s(t.elem)}>`;
    case "map":
      return `Map<${s(t.key)}, ${s(t.value)}>`;
    case "option":
      return `Option<${s(t.inner)}>`;
    case "result":
      return `Result<${s(t.ok)}, ${s(t.err)}>`;
    case "record": {
      const fs = [...t.fields].map(([n, ft]) => `${n}: ${s(ft)}`);
      if (t.open) fs.push("..");
      return fs.length ? `{ ${fs.join(", ")} }` : "{}";
    }
    case "fn":
      return `fn(${t.params.map((p) => `${p.rest ? "..." : ""}${s(p.type)}${p.optional ? "?" : ""}`).join(", ")}) -> ${s(t.result)}`;
  }
}

/** "an `int`", "a `String`": a type with its article, for messages. */
export function withArticle(t: Type): string {
  const text = typeToString(t);
  return `${/^[aeiou]/i.test(text) ? "an" : "a"} \`${text}\``;
}

/** The fields of a record or named struct, or undefined for other types. */
export function recordFields(
  t: Type,
  env: TypeEnv,
): { fields: ReadonlyMap<string, Type>; open: boolean; name?: string } | undefined {
  if (t.k === "record") return { fields: t.fields, open: t.open };
  if (t.k === "named") {
    const d = env.struct(t.name);
    return d ? { fields: d.fields, open: d.open, name: d.name } : undefined;
  }
  return undefined;
}

/**
 * Whether a value of type `from` may be used where `to` is expected. Rules (README "Types"):
 * loose types match anything; `never` goes anywhere; `int` widens to `float`; a `T` is accepted
 * where `Option<T>` is expected (it is wrapped as `Some`); `null`/`None` fit any Option; lists,
 * maps, options and results are covariant; a record fits a struct when every declared field is
 * present with a fitting type (fields of Option type may be missing) and, for closed structs, no
 * other field is present; a record fits `Map<String, V>` when every value fits `V`.
 */
export function assignable(from: Type, to: Type, env: TypeEnv, seen?: Set<string>): boolean {
  if (from === to) return true;
  if (isLoose(from) || isLoose(to) || from.k === "never") return true;
  if (to.k === "var" || from.k === "var") return true;
  if (to.k === "union") return to.options.some((o) => assignable(from, o, env, seen));
  if (from.k === "union") return from.options.every((o) => assignable(o, to, env, seen));
  switch (to.k) {
    case "prim":
      if (from.k === "prim") return from.name === to.name || (from.name === "int" && to.name === "float");
      if (from.k === "levels") return to.name === "String";
      return false;
    case "unit":
      return from.k === "unit";
    case "never":
      return false;
    case "null":
      return from.k === "null";
    case "opaque":
      return from.k === "opaque" && from.name === to.name;
    case "levels":
      return from.k === "levels" && from.name === to.name;
    case "option":
      if (from.k === "null") return true;
      if (from.k === "option") return assignable(from.inner, to.inner, env, seen);
      return assignable(from, to.inner, env, seen);
    case "result":
      return from.k === "result" && assignable(from.ok, to.ok, env, seen) && assignable(from.err, to.err, env, seen);
    case "list":
      return from.k === "list" && assignable(from.elem, to.elem, env, seen);
    case "map": {
      if (from.k === "map")
        return assignable(from.key, to.key, env, seen) && assignable(from.value, to.value, env, seen);
      const rf = recordFields(from, env);
      if (rf && !rf.name && assignable(T.String, to.key, env, seen)) {
        for (const ft of rf.fields.values()) if (!assignable(ft, to.value, env, seen)) return false;
        return true;
      }
      return false;
    }
    case "fn": {
      if (from.k !== "fn") return false;
      const required = from.params.filter((p) => !p.optional && !p.rest).length;
      if (required > to.params.length) return false;
      for (let i = 0; i < to.params.length && i < from.params.length; i++) {
        if (!assignable(to.params[i]!.type, from.params[i]!.type, env, seen)) return false;
      }
      return to.result.k === "unit" || assignable(from.result, to.result, env, seen);
    }
    case "named":
    case "record": {
      if (to.k === "named" && from.k === "named" && from.name === to.name) return true;
      const target = recordFields(to, env);
      const source = recordFields(from, env);
      if (!target || !source) return false;
      // Structural comparison of two named structs may recurse through their fields.
      const key = from.k === "named" && to.k === "named" ? `${from.name}->${to.name}` : undefined;
      if (key) {
        seen ??= new Set();
        if (seen.has(key)) return true;
        seen.add(key);
      }
      for (const [name, ft] of target.fields) {
        const st = source.fields.get(name);
        if (st === undefined) {
          if (ft.k !== "option" && !isLoose(ft)) return false;
        } else if (!assignable(st, ft, env, seen)) return false;
      }
      if (!target.open) for (const name of source.fields.keys()) if (!target.fields.has(name)) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * The least type both branches fit (if/else and match arms, list elements): equal or
 * assignable types join to the wider one, int and float to float; otherwise undefined.
 */
export function join(a: Type, b: Type, env: TypeEnv): Type | undefined {
  if (a.k === "never") return b;
  if (b.k === "never") return a;
  if (a.k === "error" || b.k === "error") return T.error;
  if (isLoose(a)) return a;
  if (isLoose(b)) return b;
  if (a.k === "null" && b.k !== "option") return b.k === "null" ? a : T.option(b);
  if (b.k === "null" && a.k !== "option") return T.option(a);
  if (assignable(a, b, env)) return b;
  if (assignable(b, a, env)) return a;
  // Two anonymous records with different fields: keep the common shape loosely.
  if (a.k === "record" && b.k === "record") {
    const fields = new Map<string, Type>();
    for (const [n, t] of a.fields) {
      const u = b.fields.get(n);
      fields.set(n, u ? (join(t, u, env) ?? T.JSON) : T.option(t));
    }
    for (const [n, t] of b.fields) if (!a.fields.has(n)) fields.set(n, T.option(t));
    return T.record(fields, a.open || b.open);
  }
  return undefined;
}

/** Replaces type variables by their bindings (unbound variables become `any`). */
export function substitute(t: Type, subst: ReadonlyMap<string, Type>): Type {
  switch (t.k) {
    case "var":
      return subst.get(t.name) ?? T.any;
    case "list":
      return T.list(substitute(t.elem, subst));
    case "map":
      return T.map(substitute(t.key, subst), substitute(t.value, subst));
    case "option":
      return T.option(substitute(t.inner, subst));
    case "result":
      return T.result(substitute(t.ok, subst), substitute(t.err, subst));
    case "record": {
      const fields = new Map<string, Type>();
      for (const [n, ft] of t.fields) fields.set(n, substitute(ft, subst));
      return T.record(fields, t.open);
    }
    case "fn":
      return T.fn(
        t.params.map((p) => ({ ...p, type: substitute(p.type, subst) })),
        substitute(t.result, subst),
      );
    case "union":
      return { k: "union", options: t.options.map((o) => substitute(o, subst)) };
    default:
      return t;
  }
}

export function hasVars(t: Type): boolean {
  switch (t.k) {
    case "var":
      return true;
    case "list":
      return hasVars(t.elem);
    case "map":
      return hasVars(t.key) || hasVars(t.value);
    case "option":
      return hasVars(t.inner);
    case "result":
      return hasVars(t.ok) || hasVars(t.err);
    case "record":
      for (const ft of t.fields.values()) if (hasVars(ft)) return true;
      return false;
    case "fn":
      return t.params.some((p) => hasVars(p.type)) || hasVars(t.result);
    case "union":
      return t.options.some(hasVars);
    default:
      return false;
  }
}

/**
 * Matches a parameter type against an argument type, binding type variables in `subst`.
 * Returns false when the shapes cannot match. A variable bound twice keeps the join of both.
 */
export function unify(param: Type, arg: Type, subst: Map<string, Type>, env: TypeEnv): boolean {
  if (param.k === "var") {
    const prev = subst.get(param.name);
    if (!prev) {
      if (arg.k !== "never") subst.set(param.name, arg);
      return true;
    }
    const j = join(prev, arg, env);
    if (!j) return false;
    subst.set(param.name, j);
    return true;
  }
  if (!hasVars(param)) return assignable(arg, param, env);
  if (isLoose(arg) || arg.k === "never") return true;
  if (param.k === "union") {
    for (const o of param.options) {
      const trial = new Map(subst);
      if (unify(o, arg, trial, env)) {
        for (const [k, v] of trial) subst.set(k, v);
        return true;
      }
    }
    return false;
  }
  switch (param.k) {
    case "list":
      return arg.k === "list" && unify(param.elem, arg.elem, subst, env);
    case "map":
      if (arg.k === "map") return unify(param.key, arg.key, subst, env) && unify(param.value, arg.value, subst, env);
      if (arg.k === "record") {
        if (!unify(param.key, T.String, subst, env)) return false;
        for (const ft of arg.fields.values()) if (!unify(param.value, ft, subst, env)) return false;
        return true;
      }
      return false;
    case "option":
      if (arg.k === "option") return unify(param.inner, arg.inner, subst, env);
      if (arg.k === "null") return true;
      return unify(param.inner, arg, subst, env);
    case "result":
      return arg.k === "result" && unify(param.ok, arg.ok, subst, env) && unify(param.err, arg.err, subst, env);
    case "fn":
      if (arg.k !== "fn") return false;
      for (let i = 0; i < param.params.length && i < arg.params.length; i++)
        unify(param.params[i]!.type, arg.params[i]!.type, subst, env);
      return unify(param.result, arg.result, subst, env);
    case "record": {
      const rf = recordFields(arg, env);
      if (!rf) return false;
      for (const [n, ft] of param.fields) {
        const at = rf.fields.get(n);
        if (at && !unify(ft, at, subst, env)) return false;
      }
      return true;
    }
    default:
      return assignable(arg, substitute(param, subst), env);
  }
}
