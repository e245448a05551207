/**
 * `--input` → the agent's parameters. The JSON object is checked against each parameter's
 * declared type before anything runs, and converted to runtime values:
 *
 *   String          a JSON string                int      an integer (no fraction, safe range)
 *   float           a number                     bool     true / false
 *   Duration        "30s", "1.5h", "100ms" or an integer count of milliseconds
 *   List<T>/Array<T> an array of T               Map<String, V> an object of V
 *   Option<T>/Maybe<T> null / absent → None, else Some(T)
 *   JSON            any JSON                     a `type` struct: an object with exactly its fields
 *   aliases, the stdlib's record types (User, ...) and ordered levels (Clearance) as declared
 *
 * Every problem is reported with its path (`sources[1].endpoint: expected String, found 42`);
 * a bad input is a validation failure (exit 3).
 */
import type { TypeDef, TypeRef } from "../../grammar/ast.js";
import { BUILTIN_TYPES, typeExprOf, type TypeExpr } from "../../stdlib/index.js";
import { ExitCode } from "../../formats/exit-codes.js";
import { TRUSTED_RECORD_TYPES, type TrustedRecord } from "../../stdlib/trusted-records.js";
import { duration, float, fromJson, list, map, NONE, some, type MapKey, type Value } from "../interpreter/values.js";

export class InputError extends Error {
  override readonly name = "InputError";
  readonly exitCode = ExitCode.CheckFailed;
  constructor(
    readonly problems: string[],
    /** The problems inside parameter values, with their paths (the first segment is the parameter). */
    readonly located: ReadonlyArray<{ path: ValuePath; message: string }> = [],
  ) {
    super(
      problems.length === 1
        ? `invalid input: ${problems[0]}`
        : `invalid input (${problems.length} problems): ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? "; …" : ""}`,
    );
  }
}

/** A type as the validator walks it: DSL type references and stdlib type expressions share this shape. */
type T =
  | { name: string; args: T[] }
  | { record: Array<{ name: string; type: T; optional: boolean }>; open: boolean }
  | { union: T[] };

function fromTypeRef(t: TypeRef): T {
  return { name: t.name.name, args: t.args.map(fromTypeRef) };
}

function fromTypeExpr(t: TypeExpr): T {
  switch (t.kind) {
    case "name":
      return { name: t.name, args: t.args.map(fromTypeExpr) };
    case "record":
      return {
        record: t.fields.map((f) => ({ name: f.name, type: fromTypeExpr(f.type), optional: f.optional })),
        open: t.open,
      };
    case "union":
      return { union: t.options.map(fromTypeExpr) };
    case "fn":
      return { name: "fn", args: [] };
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  if (typeof v === "number") return `the number ${v}`;
  return String(v);
}

function show(t: T): string {
  if ("union" in t) return t.union.map(show).join(" | ");
  if ("record" in t)
    return `{ ${t.record.map((f) => `${f.name}${f.optional ? "?" : ""}: ${show(f.type)}`).join(", ")}${t.open ? ", .." : ""} }`;
  return t.args.length ? `${t.name}<${t.args.map(show).join(", ")}>` : t.name;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Where in the value a problem is: keys and list indexes from the top. */
export type ValuePath = ReadonlyArray<string | number>;

function showPath(path: ValuePath): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}

class Validator {
  readonly problems: string[] = [];
  readonly located: Array<{ path: ValuePath; message: string; unknownField?: true }> = [];
  constructor(
    private readonly types: ReadonlyMap<string, TypeDef>,
    /** Every record field may be absent (trusted records: the deployment may leave any field out). */
    private readonly allOptional = false,
  ) {}

  private fail(path: ValuePath, msg: string, unknownField = false): undefined {
    if (this.problems.length < 50) {
      this.problems.push(`${showPath(path)}: ${msg}`);
      this.located.push({ path, message: msg, ...(unknownField ? { unknownField: true as const } : {}) });
    }
    return undefined;
  }

  /** The value, or undefined after recording a problem. */
  check(v: unknown, t: T, path: ValuePath, depth = 0): Value | undefined {
    if (depth > 64) return this.fail(path, "the value is nested too deeply");
    if ("union" in t) {
      for (const o of t.union) {
        const probe = new Validator(this.types, this.allOptional);
        const r = probe.check(v, o, path, depth + 1);
        if (r !== undefined) return r;
      }
      return this.fail(path, `expected ${show(t)}, found ${describe(v)}`);
    }
    if ("record" in t) return this.record(v, t.record, t.open, path, depth, undefined);
    const expect = (what: string) => this.fail(path, `expected ${what}, found ${describe(v)}`);
    switch (t.name) {
      case "String":
        return typeof v === "string" ? v : expect("a String");
      case "int":
        return typeof v === "number" && Number.isSafeInteger(v) ? v : expect("an int (a whole number)");
      case "float":
        return typeof v === "number" && Number.isFinite(v) ? float(v) : expect("a float (a number)");
      case "bool":
        return typeof v === "boolean" ? v : expect("a bool");
      case "Duration": {
        if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return duration(v);
        const m = typeof v === "string" ? DURATION.exec(v.trim()) : null;
        return m
          ? duration(Number(m[1]) * DURATION_MS[m[2]!]!)
          : expect('a Duration ("30s", "5m", "100ms") or whole milliseconds');
      }
      case "List":
      case "Array": {
        if (!Array.isArray(v)) return expect(`a list (${show(t)})`);
        const el = t.args[0] ?? { name: "JSON", args: [] };
        const out: Value[] = [];
        let okAll = true;
        v.forEach((x, i) => {
          const r = this.check(x, el, [...path, i], depth + 1);
          if (r === undefined) okAll = false;
          else out.push(r);
        });
        return okAll ? list(out) : undefined;
      }
      case "Map": {
        if (!isObject(v)) return expect(`an object (${show(t)})`);
        const k = t.args[0];
        const keyIsInt = k !== undefined && "name" in k && k.name === "int";
        if (k !== undefined && !("name" in k && (k.name === "String" || k.name === "int")))
          return this.fail(path, `maps with ${show(k)} keys cannot be given as input`);
        const valT = t.args[1] ?? { name: "JSON", args: [] };
        const entries: [MapKey, Value][] = [];
        let okAll = true;
        for (const [key, x] of Object.entries(v)) {
          let mk: MapKey = key;
          if (keyIsInt) {
            if (!/^-?\d+$/.test(key) || !Number.isSafeInteger(Number(key))) {
              okAll = false;
              this.fail([...path, key], "the key must be an integer");
              continue;
            }
            mk = Number(key);
          }
          const r = this.check(x, valT, [...path, key], depth + 1);
          if (r === undefined) okAll = false;
          else entries.push([mk, r]);
        }
        return okAll ? map(entries) : undefined;
      }
      case "Option":
      case "Maybe": {
        if (v === null || v === undefined) return NONE;
        const r = this.check(v, t.args[0] ?? { name: "JSON", args: [] }, path, depth + 1);
        return r === undefined ? undefined : some(r);
      }
      case "JSON":
        return fromJson(v);
      case "Result":
      case "Secret":
      case "Memory":
      case "fn":
        return this.fail(path, `a ${t.name} cannot be given as input`);
    }
    const user = this.types.get(t.name);
    if (user) {
      if (user.definition.kind === "TypeRef") return this.check(v, fromTypeRef(user.definition), path, depth + 1);
      // A checked program has no recovered (Error) definitions; fail closed if one slipped through.
      if (user.definition.kind === "Error") return this.fail(path, `the type \`${t.name}\` has a syntax error`);
      const fields = user.definition.fields.map((f) => {
        const ft = fromTypeRef(f.type);
        const optional = "name" in ft && (ft.name === "Option" || ft.name === "Maybe");
        return { name: f.name.name, type: ft, optional };
      });
      return this.record(v, fields, false, path, depth, t.name);
    }
    const b = BUILTIN_TYPES.get(t.name);
    if (b?.shape === "levels" && b.levels) {
      return typeof v === "string" && b.levels.includes(v)
        ? v
        : expect(`one of ${b.levels.map((l) => JSON.stringify(l)).join(", ")}`);
    }
    if (b?.definition && (b.shape === "record" || b.shape === "alias")) {
      const d = fromTypeExpr(typeExprOf(b.definition));
      if ("record" in d) return this.record(v, d.record, d.open, path, depth, t.name);
      return this.check(v, d, path, depth + 1);
    }
    return this.fail(path, `the type \`${show(t)}\` is not known to the runtime, so this input cannot be checked`);
  }

  private record(
    v: unknown,
    fields: Array<{ name: string; type: T; optional: boolean }>,
    open: boolean,
    path: ValuePath,
    depth: number,
    typeName: string | undefined,
  ): Value | undefined {
    if (!isObject(v))
      return this.fail(path, `expected an object${typeName ? ` (${typeName})` : ""}, found ${describe(v)}`);
    const entries: [MapKey, Value][] = [];
    let okAll = true;
    const known = new Set(fields.map((f) => f.name));
    for (const f of fields) {
      const x = Object.hasOwn(v, f.name) ? v[f.name] : undefined;
      if (x === undefined || (x === null && f.optional)) {
        if (!f.optional && !this.allOptional) {
          okAll = false;
          this.fail([...path, f.name], `missing (required by ${typeName ?? "the record type"})`);
        } else if ("name" in f.type && (f.type.name === "Option" || f.type.name === "Maybe"))
          entries.push([f.name, NONE]);
        continue;
      }
      const r = this.check(x, f.type, [...path, f.name], depth + 1);
      if (r === undefined) okAll = false;
      else entries.push([f.name, r]);
    }
    for (const [k, x] of Object.entries(v)) {
      if (known.has(k)) continue;
      if (!open) {
        okAll = false;
        this.fail([...path, k], `is not a field of ${typeName ?? "the record type"}`, true);
      } else entries.push([k, fromJson(x)]);
    }
    return okAll ? map(entries, typeName) : undefined;
  }
}

/**
 * Checks `input` (parsed JSON; undefined means none given) against the agent's parameters and
 * returns the values to bind. Throws InputError listing every problem.
 */
export function validateInputs(
  params: ReadonlyArray<{ name: string; type: TypeRef }> | undefined,
  input: unknown,
  types: readonly TypeDef[],
): Map<string, Value> {
  const list = params ?? [];
  const given = input === undefined ? {} : input;
  if (!isObject(given))
    throw new InputError([
      `--input must be a JSON object keyed by parameter name (${list.map((p) => p.name).join(", ") || "this agent takes none"}), not ${describe(given)}`,
    ]);
  const v = new Validator(new Map(types.map((t) => [t.name.name, t])));
  const out = new Map<string, Value>();
  const names = new Set(list.map((p) => p.name));
  for (const k of Object.keys(given)) {
    if (!names.has(k))
      v.problems.push(
        `\`${k}\` is not a parameter of the agent (${list.length ? `its parameters: ${[...names].join(", ")}` : "it takes none"})`,
      );
  }
  for (const p of list) {
    const name = p.name;
    const t = fromTypeRef(p.type);
    const optional = "name" in t && (t.name === "Option" || t.name === "Maybe");
    if (!Object.hasOwn(given, name) || given[name] === undefined) {
      if (optional) out.set(name, NONE);
      else v.problems.push(`${name}: missing (the agent requires it, of type ${show(t)})`);
      continue;
    }
    const r = v.check(given[name], t, [name]);
    if (r !== undefined) out.set(name, r);
  }
  if (v.problems.length > 0) throw new InputError(v.problems, v.located);
  return out;
}

/** A problem with a trusted record, at its path inside the record's value. */
export interface TrustedRecordProblem {
  path: ValuePath;
  message: string;
  /** The last key of the path is not a field of the record type (the key is wrong, not its value). */
  unknownField?: true;
}

/**
 * Checks a trusted record (`user`, `session`, `system`, `context`) against its declared type:
 * the project's `type User = { ... }` (from `types`), else the stdlib's. Any field may be absent
 * (guards reading it are then unknown, as at run time); a field the type does not declare (of a
 * closed record) or a value of the wrong type is a problem. Returns the problems (none: it fits).
 */
export function trustedRecordProblems(
  record: TrustedRecord,
  value: unknown,
  types: readonly TypeDef[],
): TrustedRecordProblem[] {
  const v = new Validator(new Map(types.map((t) => [t.name.name, t])), true);
  v.check(value, { name: TRUSTED_RECORD_TYPES[record], args: [] }, []);
  return v.located;
}
