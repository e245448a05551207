#!/usr/bin/env node
// After `tsc`: makes the CLI entry points executable (tsc does not keep file modes), then bundles
// the CLIs users run (dist/cli/symbi.js, dist/cli/symbic.js: scripts/bundle-clis.mjs).
import { chmodSync, existsSync } from "node:fs";
import { bundleClis } from "./bundle-clis.mjs";
for (const f of ["dist/compiler/cli/main.js", "dist/runtime/cli/main.js", "dist/lsp/main.js"]) {
  if (existsSync(f)) chmodSync(f, 0o755);
}
try {
  await bundleClis();
} catch (e) {
  const first = e?.errors?.[0];
  const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : "";
  console.error(`postbuild: error: bundling the CLIs: ${where}${first?.text ?? e?.message ?? e}`);
  process.exit(1);
}
