/**
 * `npm run validators:sync`: regenerates formats/sandbox-manifest.validator.ts, the manifest
 * schema's validator as ajv's standalone code (formats/sandbox-manifest-codegen.ts). Run it after
 * changing formats/sandbox-manifest.schema.json or upgrading ajv; test/sandbox/manifest-validator.test.ts
 * fails until it is run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sandboxManifestValidatorSource } from "../formats/sandbox-manifest-codegen.js";

const path = fileURLToPath(new URL("../formats/sandbox-manifest.validator.ts", import.meta.url));
const text = sandboxManifestValidatorSource();
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
