/**
 * The sandbox manifest's validator is generated ahead of time (formats/sandbox-manifest.validator.ts,
 * ajv's standalone code) so no command compiles the schema at start-up. These tests keep it the
 * validator ajv would compile: the checked-in file is exactly what the generator writes from the
 * current schema and ajv, and on valid and broken manifests both give the same verdict and the
 * same errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSandboxManifest, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import generated from "../../formats/sandbox-manifest.validator.js";
import {
  compileSandboxManifestValidator,
  sandboxManifestValidatorSource,
} from "../../formats/sandbox-manifest-codegen.js";
import { REPO } from "../helpers/corpus.js";

type Validate = ((v: unknown) => boolean) & { errors?: unknown };
const precompiled = generated as unknown as Validate;
const compiled = compileSandboxManifestValidator() as unknown as Validate;

test("the generated validator is what ajv generates from the current schema (else run npm run validators:sync)", () => {
  const file = readFileSync(join(REPO, "formats/sandbox-manifest.validator.ts"), "utf8");
  assert.ok(file === sandboxManifestValidatorSource(), "formats/sandbox-manifest.validator.ts is stale");
});

function verdict(v: Validate, value: unknown): { ok: boolean; errors: unknown } {
  const ok = v(value);
  return { ok, errors: ok ? null : structuredClone(v.errors) };
}

const manifests: SandboxManifest[] = [
  defaultSandboxManifest({ agent: "a", tier: "process" }),
  defaultSandboxManifest({ agent: "b", tier: "tier1", block: 2 }),
  defaultSandboxManifest({ agent: "c", tier: "tier2" }),
];

test("the generated and the compiled validator agree on valid manifests and on broken ones", () => {
  for (const m of manifests) {
    assert.ok(precompiled(m), JSON.stringify(precompiled.errors));
  }
  const fields = Object.keys(manifests[1]!);
  fc.assert(
    fc.property(
      fc.constantFrom(...manifests),
      fc.array(fc.tuple(fc.constantFrom(...fields, "extra"), fc.option(fc.jsonValue({ maxDepth: 3 }))), {
        maxLength: 4,
      }),
      (m, edits) => {
        const v = structuredClone(m) as unknown as Record<string, unknown>;
        // null: the field is removed; anything else replaces it (an unknown field is added).
        for (const [k, x] of edits)
          if (x === null) delete v[k];
          else v[k] = x;
        assert.equal(verdict(precompiled, v), verdict(compiled, v));
      },
    ),
    { numRuns: 300, seed: 1306 },
  );
  for (const odd of [null, [], "manifest", 42, { tmpfs: [{}] }, { limits: { memoryMb: -1 } }])
    assert.equal(verdict(precompiled, odd), verdict(compiled, odd));
});

test.run();
