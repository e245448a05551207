/**
 * `[output.schema]` is a JSON Schema (draft-07, ajv's default). The compiler checks it in
 * strict-schema mode (a misspelled keyword is an error, not silently ignored); the runtime
 * validates parsed tool output with the same compiled validator.
 */
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, Options, ValidateFunction } from "ajv";
import { validateOutputSchemaMeta } from "./output-meta.validator.js";
import type { TomlPath } from "../../formats/toml-locator.js";
import type { ContractReader } from "./reader.js";

// ajv and ajv-formats are loaded (CommonJS, synchronously) when the first schema is compiled:
// a run whose tools declare no output schema, and a check of contracts without one, load neither.
const require = createRequire(import.meta.url);

let shared: Ajv | undefined;

/** The options output schemas are compiled with (and the meta-schema, output-meta-codegen.ts). */
export const OUTPUT_SCHEMA_AJV_OPTIONS: Readonly<Options> = Object.freeze({
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allErrors: true,
  addUsedSchema: false,
  // compile() does not check a schema against JSON Schema's meta-schema (compiling the
  // meta-schema cost more than a run's whole contract loading): checkOutputSchema() checks it
  // explicitly wherever a schema is read from TOML (the compiler, the language server, a
  // bundle without contracts.json), and a bundle's contracts.json carries schemas `symbic
  // build` checked so. compile() still refuses unknown keywords and malformed ones.
  validateSchema: false,
});

function ajv(): Ajv {
  if (!shared) {
    const { Ajv } = require("ajv") as typeof import("ajv");
    const formats = require("ajv-formats") as { default?: unknown };
    const addFormats = (formats.default ?? formats) as (ajv: Ajv) => Ajv;
    shared = new Ajv({ ...OUTPUT_SCHEMA_AJV_OPTIONS });
    addFormats(shared);
  }
  return shared;
}

// Compiling is the expensive part (the language server re-parses a contract per keystroke):
// cache by the schema object and by its JSON text, so an unchanged schema compiles once.
const byObject = new WeakMap<object, ValidateFunction | Error>();
const byText = new Map<string, ValidateFunction | Error>();
const MAX_CACHED = 500;

/** The compiled validator of a schema, or the compile error. */
export function schemaValidator(schema: Record<string, unknown>): ValidateFunction | Error {
  let v = byObject.get(schema);
  if (v) return v;
  const key = JSON.stringify(schema);
  v = byText.get(key);
  if (!v) {
    try {
      v = ajv().compile(schema);
    } catch (e) {
      v = e instanceof Error ? e : new Error(String(e));
    }
    if (byText.size >= MAX_CACHED) byText.delete(byText.keys().next().value!);
    byText.set(key, v);
  }
  byObject.set(schema, v);
  return v;
}

/**
 * The first way `schema` breaks JSON Schema's meta-schema, as ajv's validateSchema() finds it.
 * A schema without `$schema` (draft-07, ajv's default) is checked by the meta-schema's validator
 * generated ahead of time (output-meta.validator.ts; compiling the meta-schema took a tenth of a
 * `symbic check`); one naming a dialect goes to ajv itself, which knows which it supports.
 */
function metaSchemaError(schema: Record<string, unknown>): ErrorObject | undefined {
  if (schema.$schema === undefined) {
    if (validateOutputSchemaMeta(schema)) return undefined;
    return (validateOutputSchemaMeta as unknown as { errors?: ErrorObject[] | null }).errors?.[0];
  }
  const a = ajv();
  return a.validateSchema(schema) === false ? (a.errors?.[0] ?? undefined) : undefined;
}

/** Human-readable lines for ajv errors (`/hosts/0/ip must be string`). */
export function formatSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`);
}

/** Finds the first path inside `schema` where key `name` appears (to locate a strict-mode error). */
function findKey(node: unknown, name: string, path: (string | number)[]): (string | number)[] | undefined {
  if (typeof node !== "object" || node === null) return undefined;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const p = findKey(node[i], name, [...path, i]);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === name) return [...path, k];
    const p = findKey(v, name, [...path, k]);
    if (p) return p;
  }
  return undefined;
}

/** Reports E0514 for an invalid `[output.schema]`; returns true when the schema is usable. */
export function checkOutputSchema(r: ContractReader, schema: Record<string, unknown>, path: TomlPath): boolean {
  const err = metaSchemaError(schema);
  if (err) {
    const inner = err.instancePath
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    r.atValue(
      "E0514",
      `invalid output schema: ${err.instancePath ? `\`${inner.join(".")}\` ` : ""}${err.message ?? "is invalid"}`,
      [...path, ...inner],
    );
    return false;
  }
  const compiled = schemaValidator(schema);
  if (compiled instanceof Error) {
    const unknown = /unknown keyword: "([^"]+)"/.exec(compiled.message);
    const at = unknown ? findKey(schema, unknown[1]!, []) : undefined;
    r.atKey("E0514", `invalid output schema: ${compiled.message}`, at ? [...path, ...at] : path);
    return false;
  }
  return true;
}
