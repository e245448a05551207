/**
 * `npm run bench`: builds, then runs every compiled `bench/*.bench.ts` module (each exports `run(): Promise<void>`)
 * in file-name order, or only those whose name contains one of the arguments.
 *
 * Each module runs in a process of its own, as a CLI or the language server would: measured in
 * one process after the others, the parser's figures carried the heap and compiled code the
 * earlier areas left behind (lex+parse+AST 65.9 ms a megabyte after them, 42.9–44.8 ms alone).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

const dir = fileURLToPath(new URL(".", import.meta.url));
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);

/** `--module FILE`: run that one module here (how this script runs each in its own process). */
const only = args[0] === "--module" ? args[1] : undefined;

if (only !== undefined) {
  const mod = (await import(pathToFileURL(join(dir, only)).href)) as { run: () => Promise<void> };
  await mod.run();
} else {
  const files = readdirSync(dir)
    // Benchmarks run compiled (dist/bench/*.bench.js): tsx's per-closure name helpers distort timings.
    .filter((f) => f.endsWith(".bench.js") || f.endsWith(".bench.ts"))
    .filter((f) => args.length === 0 || args.some((x) => f.includes(x)))
    .sort();
  let failed = 0;
  for (const f of files) {
    console.log(`\n== ${f.replace(/\.bench\.[jt]s$/, "")} ==`);
    const r = spawnSync(process.execPath, [...process.execArgv, self, "--module", f], { stdio: "inherit" });
    if (r.status !== 0) {
      failed++;
      console.log(`(${f} failed: ${r.status === null ? `killed by ${r.signal}` : `exit ${r.status}`})`);
    }
  }
  if (failed > 0) process.exitCode = 1;
}
