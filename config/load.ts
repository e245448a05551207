/**
 * The effective configuration: every key of every section (sections.ts) from its highest
 * source —
 *
 *   flags  >  environment (SYMBIONT_*)  >  operator files  >  the project's symbi.toml  >  defaults
 *
 * where the operator files are `$SYMBIONT_CONFIG` alone when set, else `/etc/symbi/symbi.toml`
 * then `$XDG_CONFIG_HOME/symbi/symbi.toml` (default `~/.config/symbi/symbi.toml`), the later
 * overriding the earlier. Every file is validated against one JSON Schema built from the
 * sections (ajv), then each value against what the schema cannot say: values refused as
 * unsupported here, and values only the operator may set (a project file that sets one is an
 * error, even when the operator sets the key too). Unknown keys, sections and `SYMBIONT_*`
 * variables are errors with a did-you-mean. All problems are collected and thrown together as a
 * ConfigError, each with its place (`file:line:col`, `environment NAME`, `flag --name`).
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { configKeyValidator } from "./key-validators.validator.js";
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from "ajv";
import { closestName } from "../grammar/suggest.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import type { FileScope, KeySpec, SectionSpec, SectionValues } from "./schema.js";
import { SECTIONS } from "./sections.js";
import { readTomlFile, type Position } from "./toml.js";

/** The project's configuration file, in its project root (compiler/project/root.ts finds that root). */
export const PROJECT_CONFIG_FILE = "symbi.toml";
/** Names the operator file explicitly (then no other operator file is read). */
export const CONFIG_PATH_ENV = "SYMBIONT_CONFIG";
export const SYSTEM_CONFIG_FILE = "/etc/symbi/symbi.toml";

export type ConfigSource =
  | { kind: "default" }
  | { kind: "file"; scope: FileScope; file: string; line: number; col: number }
  | { kind: "env"; name: string }
  | { kind: "flag"; name: string };

export interface Setting {
  section: string;
  key: string;
  value: unknown;
  source: ConfigSource;
  spec: KeySpec;
}

export interface LoadOptions {
  /** The project root; its symbi.toml is read when present. */
  projectRoot?: string;
  /** A file read as the project's instead of `<projectRoot>/symbi.toml` (it must exist): `symbi skills scan --config`. */
  projectFile?: string;
  /** Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Relative paths from the environment and flags resolve against it (default: process.cwd()). */
  cwd?: string;
  /** Values given on the command line, by `section.key`, with the flag that gave them. */
  flags?: Readonly<Record<string, { value: unknown; flag: string }>>;
  /** The operator files to read instead of the usual places (tests). */
  operatorFiles?: readonly string[];
  sections?: readonly SectionSpec[];
}

export interface LoadedFile {
  path: string;
  scope: FileScope;
}

export class Config {
  constructor(
    /** The files read, lowest precedence first. */
    readonly files: readonly LoadedFile[],
    /** Every key that has a value (set somewhere, or a default), by `section.key`. */
    readonly settings: ReadonlyMap<string, Setting>,
    readonly sections: readonly SectionSpec[],
  ) {}

  /** The effective values of a section (undefined for keys unset and without default). */
  values<S extends SectionSpec>(spec: S): SectionValues<S> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(spec.keys)) out[key] = this.settings.get(`${spec.name}.${key}`)?.value;
    return out as SectionValues<S>;
  }

  get(section: string, key: string): Setting | undefined {
    return this.settings.get(`${section}.${key}`);
  }

  /** How a source reads in messages and the audit log: `operator file /etc/symbi/symbi.toml:3:1`, `environment SYMBIONT_X`. */
  static describe(source: ConfigSource): string {
    switch (source.kind) {
      case "default":
        return "default";
      case "file":
        return `${source.scope} file ${source.file}:${source.line}:${source.col}`;
      case "env":
        return `environment ${source.name}`;
      case "flag":
        return `flag ${source.name}`;
    }
  }
}

// The keys' validators are generated ahead of time (key-validators-codegen.ts, `npm run
// validators:sync`): a command given `--trust` or any other setting compiles nothing. ajv is
// loaded, and a validator compiled (ajv generates code), only for a file (the whole file's
// schema) or a schema not generated, then reused. (Loading ajv and compiling every key took longer than the rest
// of a `symbi exec` start-up.)
// The schemas are constants of config/ (each key's `schema`), not input: they are not validated
// against JSON Schema's meta-schema at every start-up (compiling the meta-schema cost as much as
// all the rest of ajv's work here); test/config/schemas.test.ts validates every one of them.
const require = createRequire(import.meta.url);
let ajvInstance: AjvClass | undefined;
function ajv(): AjvClass {
  const { Ajv } = require("ajv") as typeof import("ajv");
  return (ajvInstance ??= new Ajv(CONFIG_AJV_OPTIONS));
}

/** The options the configuration's validators are compiled with (strict: a misspelled keyword is an error). */
export const CONFIG_AJV_OPTIONS = Object.freeze({ allErrors: true, strict: true, validateSchema: false });

interface Validators {
  file: () => ValidateFunction;
  key: (id: string, schema: unknown) => ValidateFunction;
}
const validators = new WeakMap<readonly SectionSpec[], Validators>();

function compile(sections: readonly SectionSpec[]): Validators {
  let v = validators.get(sections);
  if (v) return v;
  let file: ValidateFunction | undefined;
  const keys = new Map<string, ValidateFunction>();
  v = {
    file: () => {
      if (file) return file;
      const properties: Record<string, unknown> = {};
      for (const s of sections) {
        const props: Record<string, unknown> = {};
        for (const [k, spec] of Object.entries(s.keys)) props[k] = spec.schema;
        properties[s.name] = { type: "object", additionalProperties: false, properties: props };
      }
      return (file = ajv().compile({ type: "object", additionalProperties: false, properties }));
    },
    key: (id, schema) => {
      let k = keys.get(id);
      if (!k) {
        // Generated ahead of time for every key of SECTIONS (key-validators.validator.ts);
        // compiled here only for a schema that is not among them.
        const generated = configKeyValidator.get(JSON.stringify(schema)) as ValidateFunction | undefined;
        keys.set(id, (k = generated ?? ajv().compile(schema as object)));
      }
      return k;
    },
  };
  validators.set(sections, v);
  return v;
}

/** The operator files that apply, lowest precedence first (only existing ones, except an explicit SYMBIONT_CONFIG). */
export function operatorFilePaths(env: Readonly<Record<string, string | undefined>>): string[] {
  const explicit = env[CONFIG_PATH_ENV];
  if (explicit !== undefined && explicit !== "") return [explicit];
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, ".config");
  return [SYSTEM_CONFIG_FILE, join(xdg, "symbi", PROJECT_CONFIG_FILE)].filter((p) => existsSync(p));
}

function schemaMessage(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "type":
      return `must be ${p.type === "integer" ? "an integer" : p.type === "array" ? "a list" : p.type === "object" ? "a table" : `a ${String(p.type)}`}`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "minimum":
      return `must be at least ${String(p.limit)}`;
    case "maximum":
      return `must be at most ${String(p.limit)}`;
    case "minLength":
      return "must not be empty";
    case "required":
      return `must have the key ${String(p.missingProperty)}`;
    case "additionalProperties":
      return `has an unknown key ${String(p.additionalProperty)}`;
    case "pattern":
      return `must match ${String(p.pattern)}`;
    default:
      return e.message ?? "is not valid";
  }
}

/** How a part of a value reads in messages: `[0].pattern`. */
function partName(sub: readonly string[]): string {
  return sub.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
}

/** Did-you-mean text for an unknown name among `candidates` (the tree's one edit distance: grammar/suggest.ts). */
function suggestion(name: string, candidates: readonly string[]): string {
  const m = closestName(name, candidates);
  return m === undefined ? "" : ` (did you mean ${m}?)`;
}

interface Candidate {
  value: unknown;
  source: ConfigSource;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const sections = options.sections ?? SECTIONS;
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const specs = new Map<string, { section: SectionSpec; key: string; spec: KeySpec }>();
  for (const s of sections)
    for (const [k, spec] of Object.entries(s.keys)) specs.set(`${s.name}.${k}`, { section: s, key: k, spec });
  const validators = compile(sections);
  const problems: ConfigProblem[] = [];
  const layers: Array<Map<string, Candidate>> = [];
  const files: LoadedFile[] = [];

  /**
   * Checks one value of a key from any source; returns the value to use, or undefined after
   * reporting. `place` is where the key is set; in a file, a function that also places the parts
   * of a value (`["0", "pattern"]` below the key).
   */
  const accept = (
    id: string,
    raw: unknown,
    scope: FileScope | "env" | "flag",
    place: string | ((sub: readonly string[]) => string),
    base: string,
  ) => {
    const { spec } = specs.get(id)!;
    const validate = validators.key(id, spec.schema);
    const whereOf = (sub: readonly string[]) => (typeof place === "string" ? place : place(sub));
    const where = whereOf([]);
    if (!validate(raw)) {
      const e = validate.errors![0]!;
      const sub = e.instancePath.split("/").slice(1);
      // An unknown key inside the value is placed at that key.
      const at =
        e.keyword === "additionalProperties"
          ? [...sub, String((e.params as { additionalProperty: string }).additionalProperty)]
          : sub;
      problems.push({ where: whereOf(at), message: `${id}${partName(sub)} ${schemaMessage(e)}` });
      return undefined;
    }
    const bad = spec.check?.(raw);
    if (typeof bad === "string") {
      problems.push({ where, message: `${id} ${bad}` });
      return undefined;
    }
    if (bad && bad.length > 0) {
      for (const b of bad) {
        const sub = b.at.map(String);
        problems.push({ where: whereOf(sub), message: `${id}${partName(sub)} ${b.problem}` });
      }
      return undefined;
    }
    const value = spec.normalize ? spec.normalize(raw) : raw;
    const unsupported = spec.unsupported?.(value);
    if (unsupported) {
      problems.push({ where, message: `${id} = ${JSON.stringify(raw)} is refused: ${unsupported}` });
      return undefined;
    }
    if (scope !== "project" && spec.projectOnly) {
      problems.push({
        where,
        message: `${id} is declared by a project (its symbi.toml), never by ${scope === "operator" ? "the operator's file" : scope === "env" ? "the environment" : "a flag"}: the project's code is compiled against it`,
      });
      return undefined;
    }
    if (scope === "project" && spec.operatorOnly?.(value)) {
      const from = ["the operator's file", spec.env, spec.flag].filter(Boolean).join(", ");
      problems.push({
        where,
        message: `${id} = ${JSON.stringify(raw)} may only be set by the operator (${from}), never by a project`,
      });
      return undefined;
    }
    if (spec.path === "one") return resolve(base, value as string);
    if (spec.path === "list") return (value as string[]).map((p) => resolve(base, p));
    return value;
  };

  const readFile = (path: string, scope: FileScope) => {
    const before = problems.length;
    readFileInto(path, scope);
    // A file's problems in the order of its lines.
    const mine = problems.splice(before).map((p) => ({ p, line: Number(/:(\d+):\d+$/.exec(p.where)?.[1] ?? 0) }));
    mine.sort((a, b) => a.line - b.line);
    problems.push(...mine.map((m) => m.p));
  };

  const readFileInto = (path: string, scope: FileScope) => {
    const r = readTomlFile(path);
    if (!r.ok) {
      problems.push({ where: `${path}:${r.position.line}:${r.position.col}`, message: r.message, io: r.io });
      return;
    }
    files.push({ path, scope });
    const at = (p: readonly string[]): Position => r.locate(p);
    const where = (p: readonly string[]) => {
      const pos = at(p);
      return `${path}:${pos.line}:${pos.col}`;
    };
    const validateFile = validators.file();
    if (!validateFile(r.data)) {
      for (const e of validateFile.errors ?? []) {
        const segs = e.instancePath.split("/").slice(1);
        // Parts of a key's value (a table in a list of tables) are reported by accept() below.
        if (e.keyword === "additionalProperties" && segs.length <= 1) {
          const name = String((e.params as { additionalProperty: string }).additionalProperty);
          if (segs.length === 0) {
            problems.push({
              where: where([name]),
              message: `unknown section [${name}]${suggestion(
                name,
                sections.map((s) => s.name),
              )}`,
            });
          } else {
            const s = sections.find((x) => x.name === segs[0])!;
            problems.push({
              where: where([...segs, name]),
              message: `unknown key ${segs[0]}.${name}${suggestion(name, Object.keys(s.keys))}`,
            });
          }
        } else if (segs.length <= 1) {
          problems.push({ where: where(segs), message: `${segs[0] ?? "the file"} ${schemaMessage(e)}` });
        }
        // Errors of individual values are reported by accept() below, with the key's own checks.
      }
    }
    const layer = new Map<string, Candidate>();
    for (const [sectionName, table] of Object.entries(r.data)) {
      if (
        !sections.some((s) => s.name === sectionName) ||
        typeof table !== "object" ||
        table === null ||
        Array.isArray(table)
      )
        continue;
      for (const [key, raw] of Object.entries(table as Record<string, unknown>)) {
        const id = `${sectionName}.${key}`;
        if (!specs.has(id)) continue;
        const pos = at([sectionName, key]);
        const value = accept(id, raw, scope, (sub) => where([sectionName, key, ...sub]), dirname(resolve(path)));
        if (value !== undefined)
          layer.set(id, { value, source: { kind: "file", scope, file: path, line: pos.line, col: pos.col } });
      }
    }
    layers.push(layer);
  };

  // Lowest precedence first: project, operator files, environment, flags.
  if (options.projectFile !== undefined) readFile(options.projectFile, "project");
  else if (options.projectRoot !== undefined) {
    const p = join(options.projectRoot, PROJECT_CONFIG_FILE);
    if (existsSync(p)) readFile(p, "project");
  }
  const operator = options.operatorFiles ?? operatorFilePaths(env);
  for (const p of operator) readFile(p, "operator");

  const envLayer = new Map<string, Candidate>();
  const byEnv = new Map<string, string>();
  for (const [id, { spec }] of specs) if (spec.env) byEnv.set(spec.env, id);
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("SYMBIONT_") || name === CONFIG_PATH_ENV) continue;
    const text = env[name]!;
    const id = byEnv.get(name);
    if (!id) {
      problems.push({
        where: `environment ${name}`,
        message: `${name} is not a setting${suggestion(name, [...byEnv.keys(), CONFIG_PATH_ENV])}`,
      });
      continue;
    }
    const parsed = specs.get(id)!.spec.parseEnv(text);
    if (!parsed.ok) {
      problems.push({
        where: `environment ${name}`,
        message: `${name}=${JSON.stringify(text)} ${parsed.problem} (${id})`,
      });
      continue;
    }
    const value = accept(id, parsed.value, "env", `environment ${name}`, cwd);
    if (value !== undefined) envLayer.set(id, { value, source: { kind: "env", name } });
  }
  layers.push(envLayer);

  const flagLayer = new Map<string, Candidate>();
  for (const [id, f] of Object.entries(options.flags ?? {})) {
    if (!specs.has(id)) throw new Error(`internal: flag ${f.flag} sets unknown configuration key ${id}`);
    const value = accept(id, f.value, "flag", `flag ${f.flag}`, cwd);
    if (value !== undefined) flagLayer.set(id, { value, source: { kind: "flag", name: f.flag } });
  }
  layers.push(flagLayer);

  if (problems.length > 0) throw new ConfigError(problems);

  const settings = new Map<string, Setting>();
  for (const [id, { section, key, spec }] of specs) {
    let chosen: Candidate | undefined;
    for (const layer of layers) chosen = layer.get(id) ?? chosen;
    if (!chosen && spec.default !== undefined) chosen = { value: spec.default, source: { kind: "default" } };
    if (chosen) settings.set(id, { section: section.name, key, value: chosen.value, source: chosen.source, spec });
  }
  return new Config(files, settings, sections);
}
