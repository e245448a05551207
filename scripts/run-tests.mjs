#!/usr/bin/env node
/**
 * Test runner: finds every `test/**\/*.test.ts`, runs them in one process with uvu (TypeScript
 * loaded through tsx, so tests exercise the sources, not a possibly stale build), and ends with
 * the plain summary line CI reads: `N passed, N failed, N skipped`.
 *
 * Usage: npm test [-- PATH_SUBSTRING...]   e.g. `npm test -- grammar`
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

if (!process.env.SYMBI_TEST_CHILD) {
  // The runs' remembered Cedar validations (runtime/exec/validation-memory.ts) go to a folder of
  // this test run, not the user's cache: every run of the suite validates as a first run does.
  const cache = mkdtempSync(join(tmpdir(), "symbi-test-cache-"));
  // Re-exec with the tsx loader so `.ts` test files and sources import directly.
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--stack-size=4000", fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: "inherit",
      env: { ...process.env, SYMBI_TEST_CHILD: "1", XDG_CACHE_HOME: cache },
    },
  );
  rmSync(cache, { recursive: true, force: true });
  process.exit(r.status ?? 1);
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...findTests(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests(join(root, "test")).filter(
  (f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)),
);

// uvu prints its own "Total / Passed / Skipped" block; capture the numbers to print our line.
let captured = "";
const origWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  captured += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
  if (captured.length > 20000) captured = captured.slice(-20000);
  return origWrite(chunk, ...rest);
};

// Property tests are deterministic: one seed for every fast-check property that does not name
// its own (SYMBI_FC_SEED=N explores another; a failure prints the seed and path to replay).
const fc = (await import("fast-check")).default;
const seed = process.env.SYMBI_FC_SEED === undefined ? 1207 : Number(process.env.SYMBI_FC_SEED);
if (!Number.isInteger(seed)) throw new Error(`SYMBI_FC_SEED must be an integer, not ${process.env.SYMBI_FC_SEED}`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

const { run } = await import("uvu/run");
await run(
  files.map((file) => ({ name: relative(root, file), file })),
  { bail: false },
);

const plain = captured.replace(/\x1b\[[0-9;]*m/g, "");
const num = (label) => {
  const m = [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, "g"))].pop();
  return m ? Number(m[1]) : 0;
};
const total = num("Total");
const passed = num("Passed");
const skipped = num("Skipped");
// uvu's Total excludes skipped tests; a file that fails to load sets exitCode without a count.
const failed = Math.max(0, total - passed) + (process.exitCode && total === passed ? 1 : 0);
process.stdout.write = origWrite;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
// Some tests leave handles (child processes, sockets) that are already settled; do not hang on them.
setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref();
