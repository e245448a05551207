#!/usr/bin/env node
// Makes the CLI entry points executable after `tsc` (tsc does not keep file modes).
import { chmodSync, existsSync } from "node:fs";
for (const f of ["dist/compiler/cli/main.js", "dist/runtime/cli/main.js", "dist/lsp/main.js"]) {
  if (existsSync(f)) chmodSync(f, 0o755);
}
