/**
 * Finding and starting `symbic test`'s worker threads (parallel.ts's deciders). Each worker's
 * module sits next to this one: `<name>.js` where this module is compiled
 * (dist/testing) or bundled (beside the CLI's entry file, scripts/bundle-clis.mjs WORKER_ENTRIES),
 * `<name>.ts` when the sources run under tsx (the tests).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * The worker module `./name` (without its extension), or undefined when it is missing (the
 * caller then does the work itself).
 */
export function workerFile(relative: `./${string}`): URL | undefined {
  const url = new URL(`${relative}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

export function startWorker(file: URL, options: WorkerOptions = {}): Worker {
  if (!file.pathname.endsWith(".ts")) return new Worker(file, options);
  // The sources under tsx (the tests): a worker thread does not inherit the loader the main
  // thread registered, so it registers tsx before importing the worker's module.
  const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
