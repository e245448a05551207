/**
 * The configuration's validators are compiled without checking their schemas against JSON
 * Schema's meta-schema at run time (config/load.ts: they are constants, and compiling the
 * meta-schema at every start-up was the larger part of ajv's cost). This test does that check,
 * once, for every key of every section and for the whole-file schema they make.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ajv } from "ajv";
import { SECTIONS } from "../../config/index.js";
import { CONFIG_AJV_OPTIONS } from "../../config/load.js";

test("every configuration key's schema is a valid JSON Schema, in ajv's strict mode", () => {
  const ajv = new Ajv({ ...CONFIG_AJV_OPTIONS, validateSchema: true });
  const properties: Record<string, unknown> = {};
  let keys = 0;
  for (const section of SECTIONS) {
    const props: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(section.keys)) {
      const id = `${section.name}.${name}`;
      assert.ok(ajv.validateSchema(spec.schema as object), `${id}: ${ajv.errorsText(ajv.errors)}`);
      assert.not.throws(() => ajv.compile(spec.schema as object), id);
      props[name] = spec.schema;
      keys++;
    }
    properties[section.name] = { type: "object", additionalProperties: false, properties: props };
  }
  assert.ok(keys > 20, `the sections declare ${keys} keys`);
  assert.not.throws(() => ajv.compile({ type: "object", additionalProperties: false, properties }));
});

test("the check can fail: a misspelled keyword or a wrong type in a schema is refused", () => {
  const ajv = new Ajv({ ...CONFIG_AJV_OPTIONS, validateSchema: true });
  assert.not.ok(ajv.validateSchema({ type: "strin" }));
  assert.throws(() => ajv.compile({ type: "string", minLenght: 1 }));
});

test.run();
