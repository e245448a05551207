/**
 * The `yaml` library (73 modules), loaded on first use through its CommonJS build, synchronously,
 * so that importing a module that may read or write YAML does not load it: skill front matter
 * (skills/front-matter.ts), Kubernetes manifests (compiler/emit/kubernetes.ts, container tiers
 * only), a skill's name (schemapin/skill.ts). `symbic check` of a project with neither and `symbi
 * exec` of a bundle without skills load no YAML parser (test/runtime/startup-imports.test.ts).
 *
 * The language server's bundle still holds `yaml`: its esbuild plugin (scripts/package-vscode.mjs,
 * bundleLazyRequires) drops the `createRequire` line below, so esbuild bundles the `require()`,
 * which still runs on first use.
 */
import { createRequire } from "node:module";

type YamlModule = typeof import("yaml");

const require = createRequire(import.meta.url);
let loaded: YamlModule | undefined;

export function yamlLibrary(): YamlModule {
  return (loaded ??= require("yaml") as YamlModule);
}
