/**
 * `mkdir -p` that always ends. Node's `mkdirSync(path, { recursive: true })` spins at 100% CPU
 * forever under `/proc` (`symbic build --out /proc/x`): there `mkdir` answers ENOENT although
 * the parent exists, and Node retries. Here each missing component is created once, from the
 * deepest existing ancestor down, and the first failure is the error.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

export function makeFolders(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); ;) {
    let st;
    try {
      st = statSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      missing.push(dir);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
      continue;
    }
    if (!st.isDirectory()) {
      const err = new Error(`${dir} is not a folder`) as NodeJS.ErrnoException;
      err.code = "ENOTDIR";
      throw err;
    }
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      // Created meanwhile by someone else: fine if it is a folder now.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(dir).isDirectory()) throw e;
    }
  }
}
