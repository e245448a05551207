/**
 * The `yaml` library (73 modules), loaded on first use through its CommonJS build, synchronously,
 * for CLI code that reads YAML rarely (schemapin/skill.ts: a skill's name), so that importing the
 * module does not load it (test/runtime/startup-imports.test.ts).
 *
 * Not for code the language server runs: its esbuild bundle (scripts/package-vscode.mjs) does not
 * follow a createRequire'd require(), so the package would have no `yaml` to load. Skill front
 * matter and Kubernetes manifests, which the checker reads and writes, import `yaml` statically;
 * the runtime imports the front matter's module only for a bundle that pins skills
 * (runtime/exec/skills.ts).
 */
import { createRequire } from "node:module";

type YamlModule = typeof import("yaml");

const require = createRequire(import.meta.url);
let loaded: YamlModule | undefined;

export function yamlLibrary(): YamlModule {
  return (loaded ??= require("yaml") as YamlModule);
}
