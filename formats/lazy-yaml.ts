/**
 * The `yaml` library (73 modules), loaded on first use through its CommonJS build, synchronously:
 * only skill front matter needs it at run time, and most runs pin no skill, so a run that reads
 * none does not pay for loading it (test/runtime/startup-imports.test.ts).
 */
import { createRequire } from "node:module";

type YamlModule = typeof import("yaml");

const require = createRequire(import.meta.url);
let loaded: YamlModule | undefined;

export function yamlLibrary(): YamlModule {
  return (loaded ??= require("yaml") as YamlModule);
}
