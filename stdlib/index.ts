/**
 * Lookups over the stdlib table (./builtins.ts), built once. Method and field receivers are
 * keyed by the receiver's head type name (`List`, `Map`, `String`, ...); `Array` shares `List`'s
 * members and `Maybe` shares `Option`'s.
 */
import {
  BUILTINS,
  type BuiltinActionDecl,
  type BuiltinDecl,
  type BuiltinFieldDecl,
  type BuiltinFunctionDecl,
  type BuiltinGroupDecl,
  type BuiltinMethodDecl,
  type BuiltinTypeDecl,
  type BuiltinValueDecl,
} from "./builtins.js";
import { parseSignature, parseTypeExpr, type Signature, type TypeExpr } from "./type-syntax.js";

export * from "./builtins.js";
export * from "./type-syntax.js";
export * from "./trusted-records.js";
export * from "./with-attributes.js";
export * from "./guard-computable.js";

/** Receiver head names that share another type's members. */
export const RECEIVER_ALIASES: Readonly<Record<string, string>> = { Array: "List", Maybe: "Option" };

function receiverHead(receiver: string): string {
  const i = receiver.indexOf("<");
  return (i < 0 ? receiver : receiver.slice(0, i)).trim();
}

function byName<T extends { name: string }>(list: T[]): ReadonlyMap<string, T> {
  return new Map(list.map((d) => [d.name, d]));
}

const of = <K extends BuiltinDecl["kind"]>(kind: K) =>
  BUILTINS.filter((d): d is Extract<BuiltinDecl, { kind: K }> => d.kind === kind);

export const BUILTIN_TYPES: ReadonlyMap<string, BuiltinTypeDecl> = byName(of("type"));
export const BUILTIN_VALUES: ReadonlyMap<string, BuiltinValueDecl> = byName(of("value"));
export const BUILTIN_FUNCTIONS: ReadonlyMap<string, BuiltinFunctionDecl> = byName(of("function"));
export const BUILTIN_ACTIONS: ReadonlyMap<string, BuiltinActionDecl> = byName(of("action"));
export const BUILTIN_GROUPS: ReadonlyMap<string, BuiltinGroupDecl> = byName(of("group"));

function membersByReceiver<T extends BuiltinMethodDecl | BuiltinFieldDecl>(
  list: T[],
): ReadonlyMap<string, ReadonlyMap<string, T>> {
  const out = new Map<string, Map<string, T>>();
  for (const d of list) {
    const head = receiverHead(d.receiver);
    let m = out.get(head);
    if (!m) out.set(head, (m = new Map()));
    m.set(d.name, d);
  }
  return out;
}

const METHODS = membersByReceiver(of("method"));
const FIELDS = membersByReceiver(of("field"));
const EMPTY = new Map<string, never>();

/** Methods of a built-in type by its head name (`List`, `Array`, `String`, ...). */
export function builtinMethods(typeName: string): ReadonlyMap<string, BuiltinMethodDecl> {
  return METHODS.get(RECEIVER_ALIASES[typeName] ?? typeName) ?? EMPTY;
}

/** Fields of a built-in type by its head name (`length` on String, List and Map, ...). */
export function builtinFields(typeName: string): ReadonlyMap<string, BuiltinFieldDecl> {
  return FIELDS.get(RECEIVER_ALIASES[typeName] ?? typeName) ?? EMPTY;
}

/** The type-parameter names a receiver declares (`Map<K, V>` → K, V). */
export function receiverParams(receiver: string): string[] {
  const t = parseTypeExpr(receiver);
  return t.kind === "name" ? t.args.map((a) => (a.kind === "name" ? a.name : "")) : [];
}

const sigCache = new Map<string, Signature>();
/** A signature string parsed once (the table is static). */
export function signatureOf(source: string): Signature {
  let s = sigCache.get(source);
  if (!s) sigCache.set(source, (s = parseSignature(source)));
  return s;
}

const typeCache = new Map<string, TypeExpr>();
export function typeExprOf(source: string): TypeExpr {
  let t = typeCache.get(source);
  if (!t) typeCache.set(source, (t = parseTypeExpr(source)));
  return t;
}

/** Every name a program can use without declaring it (for completion). */
export function globalBuiltinNames(): string[] {
  return [...BUILTIN_FUNCTIONS.keys(), ...BUILTIN_VALUES.keys()].sort();
}
