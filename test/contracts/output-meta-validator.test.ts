/**
 * Output schemas read from TOML are checked against JSON Schema's meta-schema by a validator
 * generated ahead of time (compiler/contracts/output-meta.validator.ts), where ajv compiled the
 * meta-schema at every start. These tests keep it the check ajv makes: the checked-in file is
 * what the generator writes from the current ajv, on arbitrary schema-like objects both give the
 * same verdict and the same errors, and `symbic check` reports a broken schema as before.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { validateOutputSchemaMeta } from "../../compiler/contracts/output-meta.validator.js";
import { outputMetaValidatorSource } from "../../compiler/contracts/output-meta-codegen.js";
import { OUTPUT_SCHEMA_AJV_OPTIONS } from "../../compiler/contracts/json-schema.js";
import { REPO } from "../helpers/corpus.js";

test("the generated meta-schema validator is what ajv generates (else run npm run validators:sync)", () => {
  const file = readFileSync(join(REPO, "compiler/contracts/output-meta.validator.ts"), "utf8");
  assert.ok(file === outputMetaValidatorSource(), "compiler/contracts/output-meta.validator.ts is stale");
});

/** ajv's own check, on an Ajv made as json-schema.ts makes its own. */
function ajvCheck(): (schema: object) => { ok: boolean; errors: unknown } {
  const ajv = new Ajv({ ...OUTPUT_SCHEMA_AJV_OPTIONS });
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  return (schema) => {
    const ok = ajv.validateSchema(schema) as boolean;
    return { ok, errors: ok ? null : structuredClone(ajv.errors) };
  };
}

function generatedCheck(schema: object): { ok: boolean; errors: unknown } {
  const ok = validateOutputSchemaMeta(schema) as boolean;
  return { ok, errors: ok ? null : structuredClone((validateOutputSchemaMeta as { errors?: unknown }).errors) };
}

/** Objects made of JSON Schema's keywords, with values of right and wrong types, nested. */
const schemaLike: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  schema: fc.dictionary(
    fc.constantFrom(
      "type",
      "properties",
      "required",
      "items",
      "additionalProperties",
      "enum",
      "const",
      "minimum",
      "maximum",
      "minLength",
      "maxLength",
      "pattern",
      "format",
      "anyOf",
      "oneOf",
      "allOf",
      "not",
      "$ref",
      "$id",
      "definitions",
      "uniqueItems",
      "minItems",
      "title",
      "default",
      "x-unknown",
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          "string",
          "object",
          "integer",
          "nope",
          ["string", "null"],
          ["x"],
          "[a-",
          "^a+$",
          -1,
          3,
        ),
      },
      { weight: 2, arbitrary: tie("schema") },
      { weight: 1, arbitrary: fc.array(tie("schema"), { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), tie("schema"), { maxKeys: 3 }) },
    ),
    { maxKeys: 5 },
  ),
})).schema as fc.Arbitrary<Record<string, unknown>>;

test("generated and ajv's meta-schema checks agree on any schema-like object, errors included (property)", () => {
  const check = ajvCheck();
  let invalid = 0;
  fc.assert(
    // Through JSON, as a schema read from a file is: plain objects (fast-check also makes
    // null-prototype ones, on which ajv's own check throws).
    fc.property(
      schemaLike.map((s) => JSON.parse(JSON.stringify(s)) as Record<string, unknown>),
      (schema) => {
        const want = check(schema);
        assert.equal(generatedCheck(schema), want, JSON.stringify(schema));
        if (!want.ok) invalid++;
      },
    ),
    { numRuns: 800 },
  );
  assert.ok(invalid > 100, `${invalid} of the schemas were invalid: the property compared errors`);
});

test("hand-picked schemas: valid, wrong types, bad enum, bad nested schema", () => {
  const check = ajvCheck();
  for (const schema of [
    { type: "object", required: ["raw_output"], properties: { raw_output: { type: "string" } } },
    { type: "objekt" },
    { required: "raw_output" },
    { properties: { a: { minLength: -1 } } },
    { items: [{ type: "string" }, { type: 3 }] },
    { enum: [] },
    { pattern: 7 },
  ]) {
    assert.equal(generatedCheck(schema), check(schema), JSON.stringify(schema));
  }
});

test.run();
