/**
 * How a configuration section is declared (README.md): one `section(name, doc, keys)` call whose
 * keys are built with the helpers below. Each key says, once, everything the loader, the JSON
 * Schema, `symbi config show` and the documentation need: its JSON Schema, default, environment
 * variable, CLI flag, who may set it, whether a value is refused as unsupported here (and what
 * to use instead), whether it is a path or a secret.
 *
 * The TypeScript type of a section's effective values is inferred from the same declaration
 * (`SectionValues<typeof mySection>`), so there is no second list of keys to keep in step.
 */

/** A JSON Schema fragment (draft-07) for one value; ajv validates whole files against these. */
export type JsonSchema = Record<string, unknown>;

/** Where a file-defined value came from: the operator's files, or the project's symbi.toml. */
export type FileScope = "operator" | "project";

export interface KeySpec<T = unknown> {
  schema: JsonSchema;
  /** One sentence for `symbi config show --docs` and the README table. */
  doc: string;
  default?: T;
  /** The `SYMBIONT_*` variable that sets it (parsed by the key's type). */
  env?: string;
  /** The CLI flag that sets it (documentation; the CLI passes flag values to the loader). */
  flag?: string;
  /**
   * True for values only the operator may set (operator file, environment, flags): a project
   * file that sets one is an error. (Method syntax here and below keeps KeySpec<T> assignable to
   * KeySpec<unknown> in a section's key table.)
   */
  operatorOnly?(value: T): boolean;
  /**
   * True for what only a project declares (its source folders, its MCP servers): the operator's
   * file, the environment or a flag that sets it is an error.
   */
  projectOnly?: boolean;
  /** Values this runtime refuses: returns the message (why, and what to use instead), or null. */
  unsupported?(value: T): string | null;
  /** The value is a path (or list of paths): relative ones resolve against the defining file's folder. */
  path?: "one" | "list";
  /** Never printed (config show prints `<set>`). */
  secret?: boolean;
  /** Canonical form of an accepted value (e.g. tier aliases); applied after validation. */
  normalize?(value: T): T;
  /**
   * A check the JSON Schema cannot say (e.g. a case-insensitive choice): the problem, or null.
   * A value with parts (a list of tables) may name each problem's place inside it instead.
   */
  check?(value: T): string | readonly LocatedProblem[] | null;
  /** How an environment variable's text becomes a value (from the helper that built the key). */
  parseEnv(text: string): { ok: true; value: T } | { ok: false; problem: string };
}

/** A problem inside a key's value: `at` is the path below the key (`[0, "pattern"]` for `key[0].pattern`). */
export interface LocatedProblem {
  at: readonly (string | number)[];
  problem: string;
}

export interface SectionSpec<K extends Record<string, KeySpec> = Record<string, KeySpec>> {
  name: string;
  doc: string;
  keys: K;
}

type ValueOf<S> = S extends KeySpec<infer T> ? T : never;

/** The effective values of a section: each key's value, or undefined when unset and without default. */
export type SectionValues<S extends SectionSpec> = { [K in keyof S["keys"]]: ValueOf<S["keys"][K]> | undefined };

export function section<K extends Record<string, KeySpec>>(name: string, doc: string, keys: K): SectionSpec<K> {
  return { name, doc, keys };
}

type Options<T> = Omit<KeySpec<T>, "schema" | "parseEnv">;

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false };

export function bool(o: Options<boolean>): KeySpec<boolean> {
  return {
    ...o,
    schema: { type: "boolean" },
    parseEnv: (t) =>
      Object.hasOwn(BOOLEAN_WORDS, t.trim().toLowerCase())
        ? { ok: true, value: BOOLEAN_WORDS[t.trim().toLowerCase()]! }
        : { ok: false, problem: "must be true or false (or 1 or 0)" },
  };
}

export function int(o: Options<number> & { min?: number; max?: number }): KeySpec<number> {
  const { min, max, ...rest } = o;
  const schema: JsonSchema = { type: "integer" };
  if (min !== undefined) schema.minimum = min;
  if (max !== undefined) schema.maximum = max;
  return {
    ...rest,
    schema,
    parseEnv: (t) =>
      /^-?\d{1,15}$/.test(t.trim())
        ? { ok: true, value: Number(t.trim()) }
        : { ok: false, problem: "must be an integer" },
  };
}

export function text(o: Options<string> & { pattern?: string }): KeySpec<string> {
  const { pattern, ...rest } = o;
  const schema: JsonSchema = { type: "string", minLength: 1 };
  if (pattern !== undefined) schema.pattern = pattern;
  return { ...rest, schema, parseEnv: (t) => ({ ok: true, value: t }) };
}

/**
 * One of a fixed set of words. `accepts` are the values the schema allows (compared
 * case-insensitively when `caseInsensitive`); refusing some of them is `unsupported`'s job, so
 * that a refused value gets its own message instead of "must be one of".
 */
export function choice<const V extends string>(
  accepts: readonly V[],
  o: Options<V> & { caseInsensitive?: boolean },
): KeySpec<V> {
  const { caseInsensitive, ...rest } = o;
  const canonical = (t: string): V | undefined =>
    accepts.find((a) => (caseInsensitive ? a.toLowerCase() === t.toLowerCase() : a === t));
  const problem = `must be one of ${accepts.map((a) => JSON.stringify(a)).join(", ")}${caseInsensitive ? " (any case)" : ""}`;
  return {
    ...rest,
    schema: caseInsensitive ? { type: "string" } : { type: "string", enum: [...accepts] },
    check: (v) => (canonical(v) === undefined ? problem : null),
    normalize: (v) => {
      const c = canonical(v) ?? v;
      return rest.normalize ? rest.normalize(c) : c;
    },
    parseEnv: (t) => {
      const c = canonical(t.trim());
      return c !== undefined ? { ok: true, value: c } : { ok: false, problem };
    },
  };
}

export function path(o: Options<string>): KeySpec<string> {
  return { ...o, path: "one", schema: { type: "string", minLength: 1 }, parseEnv: (t) => ({ ok: true, value: t }) };
}

/** A list of paths; in the environment, separated by the platform's path delimiter (`:`). */
export function pathList(o: Options<string[]>, delimiter = ":"): KeySpec<string[]> {
  return {
    ...o,
    path: "list",
    schema: { type: "array", items: { type: "string", minLength: 1 } },
    parseEnv: (t) => ({ ok: true, value: t.split(delimiter).filter((p) => p !== "") }),
  };
}

export function num(o: Options<number> & { min?: number; max?: number }): KeySpec<number> {
  const { min, max, ...rest } = o;
  const schema: JsonSchema = { type: "number" };
  if (min !== undefined) schema.minimum = min;
  if (max !== undefined) schema.maximum = max;
  return {
    ...rest,
    schema,
    parseEnv: (t) =>
      /^-?\d{1,15}(\.\d{1,15})?$/.test(t.trim())
        ? { ok: true, value: Number(t.trim()) }
        : { ok: false, problem: "must be a number" },
  };
}

const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * A duration as written: `"60s"`, `"500ms"`, `"2m"`, `"1h"`, or a number of seconds; in
 * milliseconds (rounded), or undefined when it is not one.
 */
export function durationMs(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? Math.round(v * 1000) : undefined;
  const m = /^(\d{1,12}(?:\.\d{1,9})?)(ms|s|m|h)$/.exec(v.trim());
  return m ? Math.round(Number(m[1]) * DURATION_UNIT_MS[m[2] as keyof typeof DURATION_UNIT_MS]) : undefined;
}

/** A duration (`durationMs`) of at least 1 ms and at most `maxMs`; read its value with durationMs. */
export function durationKey(o: Options<string | number> & { maxMs: number }): KeySpec<string | number> {
  const { maxMs, ...rest } = o;
  const problem = `must be a duration such as "60s" or "500ms" (at most ${maxMs / 1000}s)`;
  return {
    ...rest,
    schema: { anyOf: [{ type: "string" }, { type: "number" }] },
    check: (v) => {
      const ms = durationMs(v);
      return ms !== undefined && ms >= 1 && ms <= maxMs ? null : `${problem}, not ${JSON.stringify(v)}`;
    },
    parseEnv: (t) => ({ ok: true, value: /^\d+(\.\d+)?$/.test(t.trim()) ? Number(t.trim()) : t.trim() }),
  };
}

/** A list of words (not paths); in the environment, separated by commas. */
export function textList(o: Options<string[]> & { pattern?: string }): KeySpec<string[]> {
  const { pattern, ...rest } = o;
  const item: JsonSchema = { type: "string", minLength: 1 };
  if (pattern !== undefined) item.pattern = pattern;
  return {
    ...rest,
    schema: { type: "array", items: item },
    parseEnv: (t) => ({
      ok: true,
      value: t
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== ""),
    }),
  };
}

/**
 * A list of tables (`[[section.key]]` in TOML), each validated by `item` (an object schema);
 * files only — a list of tables has no environment form.
 */
export function tableList<T extends Record<string, unknown>>(o: Options<T[]> & { item: JsonSchema }): KeySpec<T[]> {
  const { item, ...rest } = o;
  return {
    ...rest,
    schema: { type: "array", items: item },
    parseEnv: () => ({ ok: false, problem: "is a list of tables: set it in a configuration file" }),
  };
}
