/**
 * ajv's standalone code for a JSON Schema known at build time, as an ES module: the validators
 * that would otherwise be compiled (ajv generates and evaluates code) at every start-up are
 * generated ahead of time by `npm run validators:sync` (scripts/sync-validators.ts) and checked in;
 * a test per validator fails when its file differs from what this produces now.
 *
 * Only the codegen modules, the script and their tests import this (it loads ajv's code generator).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Ajv as AjvClass, Options } from "ajv";

const require = createRequire(import.meta.url);

/** A JSON Schema kept in a file beside its codegen module (`new URL("./x.schema.json", import.meta.url)`). */
export function readJsonSchema(file: URL): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** A validator compiled now, by ajv with `options` (for comparisons with the generated one). */
export function compileValidator(schema: object, options: Readonly<Options>): ReturnType<AjvClass["compile"]> {
  const { Ajv } = require("ajv") as typeof import("ajv");
  return new Ajv({ ...options }).compile(schema);
}

/**
 * The text of a generated validator module for `schema`, compiled with `options`; `header` is the
 * comment lines (without `// `) that say what it was generated from and which test keeps it fresh.
 * The validator is the module's default export, and its named export is `exportName` (every
 * exported name means one thing across the tree: test/architecture/layers.test.ts).
 */
export function standaloneValidatorSource(
  schema: object,
  options: Readonly<Options>,
  header: readonly string[],
  exportName = "validate",
): string {
  const ajv = codegenAjv(options);
  return validatorModule(ajv, ajv.compile(schema), header, exportName);
}

/**
 * The same for the meta-schema ajv checks schemas against (`ajv.validateSchema`: JSON Schema
 * draft-07's), as an Ajv with `options` compiles it.
 */
export function standaloneMetaSchemaValidatorSource(
  options: Readonly<Options>,
  header: readonly string[],
  exportName: string,
): string {
  const ajv = codegenAjv(options);
  const meta = ajv.getSchema("http://json-schema.org/draft-07/schema");
  if (!meta) throw new Error("ajv has no draft-07 meta-schema");
  return validatorModule(ajv, meta, header, exportName);
}

function codegenAjv(options: Readonly<Options>): AjvClass {
  const { Ajv } = require("ajv") as typeof import("ajv");
  return new Ajv({ ...options, code: { source: true, esm: true } });
}

function validatorModule(
  ajv: AjvClass,
  validate: ReturnType<AjvClass["compile"]>,
  header: readonly string[],
  exportName: string,
): string {
  return standaloneModule(ajv, validate, header, (code) => {
    if (exportName === "validate") return `${code}\n`;
    if (!code.includes("export const validate = ")) throw new Error("ajv's standalone code has no `validate` export");
    return `${code.replace("export const validate = ", `export const ${exportName} = `)}\n`;
  });
}

/**
 * ajv's standalone code for a validator or a map of named schema refs, as the text of a module:
 * the header comment, the lint and type-check opt-outs, its imports, and the code as `finish`
 * leaves it.
 */
function standaloneModule(
  ajv: AjvClass,
  what: ReturnType<AjvClass["compile"]> | Record<string, string>,
  header: readonly string[],
  finish: (code: string) => string,
): string {
  const standalone = (require("ajv/dist/standalone") as { default: (ajv: AjvClass, what: unknown) => string }).default;
  const { code, imports } = asEsModule(standalone(ajv, what));
  return [...header.map((l) => `// ${l}`), "/* eslint-disable */", "// @ts-nocheck", ...imports, finish(code)].join(
    "\n",
  );
}

/**
 * ajv's ES module output still calls require() for its runtime helpers (ucs2length, equal): they
 * become static imports, which Node and esbuild (the CLIs' and the language server's bundles) both
 * resolve; a require() left over is refused.
 */
function asEsModule(standaloneCode: string): { code: string; imports: string[] } {
  const imports: string[] = [];
  const code = standaloneCode
    .replace(/^"use strict";/, "")
    .replace(/const (\w+) = require\("(ajv\/dist\/runtime\/[\w-]+)"\)\.default;/g, (_m, name: string, path: string) => {
      imports.push(`import ${name}Module from "${path}.js";`);
      return `const ${name} = ${name}Module.default;`;
    });
  if (/\brequire\(/.test(code)) throw new Error("ajv's standalone code calls require() in a form not rewritten");
  return { code, imports };
}

/**
 * The text of a generated module with one validator per schema of `schemas` (deduplicated by
 * their JSON text), compiled with `options`, and `lookupName`: a Map from a schema's JSON text
 * (JSON.stringify) to its validator, so a caller finds the validator of a schema it holds.
 */
export function standaloneValidatorsSource(
  schemas: readonly object[],
  options: Readonly<Options>,
  header: readonly string[],
  lookupName: string,
): string {
  const ajv = codegenAjv(options);
  const texts = [...new Set(schemas.map((s) => JSON.stringify(s)))].sort();
  const refs: Record<string, string> = {};
  texts.forEach((t, i) => {
    ajv.addSchema(JSON.parse(t) as object, `schema${i}`);
    refs[`${lookupName}${i}`] = `schema${i}`;
  });
  const lookup = texts.map((t, i) => `  [${JSON.stringify(t)}, ${lookupName}${i}],`).join("\n");
  return standaloneModule(
    ajv,
    refs,
    header,
    (code) => `${code}\nexport const ${lookupName} = new Map([\n${lookup}\n]);\n`,
  );
}
