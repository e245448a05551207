/**
 * `npm run bench`: builds, then runs every compiled `bench/*.bench.ts` module (each exports `run(): Promise<void>`)
 * in file-name order, or only those whose name contains one of the arguments.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

const dir = fileURLToPath(new URL(".", import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  // Benchmarks run compiled (dist/bench/*.bench.js): tsx's per-closure name helpers distort timings.
  .filter((f) => f.endsWith(".bench.js") || f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

for (const f of files) {
  console.log(`\n== ${f.replace(/\.bench\.[jt]s$/, "")} ==`);
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { run: () => Promise<void> };
  await mod.run();
}
