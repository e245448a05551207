/**
 * The configuration keys' validators are generated ahead of time (config/key-validators.validator.ts,
 * ajv's standalone code) so no command compiles one at start-up. These tests keep them the
 * validators ajv would compile: the checked-in file is what the generator writes from the current
 * schemas and ajv, every key of every section has one, and on arbitrary values both give the same
 * verdict and the same errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { configKeyValidator } from "../../config/key-validators.validator.js";
import { configKeyValidatorsSource } from "../../config/key-validators-codegen.js";
import { CONFIG_AJV_OPTIONS, loadConfig } from "../../config/load.js";
import { SECTIONS } from "../../config/sections.js";
import { REPO } from "../helpers/corpus.js";

type Validate = ((v: unknown) => boolean) & { errors?: unknown };

test("the generated key validators are what ajv generates from the schemas (else run npm run validators:sync)", () => {
  const file = readFileSync(join(REPO, "config/key-validators.validator.ts"), "utf8");
  assert.ok(file === configKeyValidatorsSource(), "config/key-validators.validator.ts is stale");
});

const keys = SECTIONS.flatMap((s) => Object.entries(s.keys).map(([k, spec]) => ({ id: `${s.name}.${k}`, spec })));

test("every configuration key has a generated validator", () => {
  const missing = keys.filter((k) => !configKeyValidator.has(JSON.stringify(k.spec.schema))).map((k) => k.id);
  assert.equal(missing, []);
});

test("generated and compiled key validators agree on any value, errors included", () => {
  const ajv = new Ajv({ ...CONFIG_AJV_OPTIONS });
  const pairs = keys.map((k) => ({
    id: k.id,
    generated: configKeyValidator.get(JSON.stringify(k.spec.schema)) as unknown as Validate,
    compiled: ajv.compile(k.spec.schema) as unknown as Validate,
    default: k.spec.default,
  }));
  const verdict = (v: Validate, value: unknown) => {
    const ok = v(value);
    return { ok, errors: ok ? null : structuredClone(v.errors) };
  };
  for (const p of pairs)
    if (p.default !== undefined) assert.ok(p.generated(p.default), `${p.id}: its default is valid`);
  fc.assert(
    fc.property(fc.constantFrom(...pairs), fc.jsonValue({ maxDepth: 3 }), (p, value) => {
      assert.equal(verdict(p.generated, value), verdict(p.compiled, value), p.id);
    }),
    { numRuns: 600 },
  );
});

test("a flag's value is checked by the generated validator, with the same located message", () => {
  const bad = () =>
    loadConfig({ projectRoot: REPO, env: {}, flags: { "security.audit_enabled": { value: "yes", flag: "--audit" } } });
  assert.throws(bad, /security\.audit_enabled must be a boolean/);
});

test.run();
