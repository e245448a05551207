/**
 * `npm run validators:sync`: regenerates the validators generated ahead of time as ajv's standalone
 * code (formats/validator-codegen.ts): formats/sandbox-manifest.validator.ts (the sandbox manifest),
 * compiler/contracts/precompiled.validator.ts (a bundle's contracts.json),
 * config/key-validators.validator.ts (the configuration keys) and
 * compiler/contracts/output-meta.validator.ts (JSON Schema's meta-schema, for output schemas). Run
 * it after changing their schemas or upgrading ajv; test/sandbox/manifest-validator.test.ts,
 * test/runtime/precompiled-contracts.test.ts, test/config/key-validators.test.ts and
 * test/contracts/output-meta-validator.test.ts fail until it is run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sandboxManifestValidatorSource } from "../formats/sandbox-manifest-codegen.js";
import { precompiledContractsValidatorSource } from "../compiler/contracts/precompiled-codegen.js";
import { configKeyValidatorsSource } from "../config/key-validators-codegen.js";
import { outputMetaValidatorSource } from "../compiler/contracts/output-meta-codegen.js";

const targets: Array<[string, () => string]> = [
  ["../formats/sandbox-manifest.validator.ts", sandboxManifestValidatorSource],
  ["../compiler/contracts/precompiled.validator.ts", precompiledContractsValidatorSource],
  ["../config/key-validators.validator.ts", configKeyValidatorsSource],
  ["../compiler/contracts/output-meta.validator.ts", outputMetaValidatorSource],
];
for (const [rel, source] of targets) {
  const path = fileURLToPath(new URL(rel, import.meta.url));
  const text = source();
  let old = "";
  try {
    old = readFileSync(path, "utf8");
  } catch {
    /* first run */
  }
  if (old !== text) {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  } else console.log(`${path} is up to date`);
}
