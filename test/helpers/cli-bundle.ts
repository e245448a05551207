/**
 * The CLIs bundled as `npm run build` bundles them (scripts/bundle-clis.mjs), into a fresh folder
 * inside the repository (`.tmp/`, so their external imports resolve from its node_modules), with
 * esbuild's metafile to map each CLI file back to the sources it holds, and V8's coverage to tell
 * which of them a run evaluated.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Metafile } from "esbuild";
import { bundleClis } from "../../scripts/bundle-clis.mjs";
import { REPO } from "./corpus.js";

export interface BundledClis {
  dir: string;
  symbi: string;
  symbic: string;
  metafiles: Record<"symbi" | "symbic", Metafile>;
  /** The source files (absolute paths) an output file of the bundle holds; [] for one it did not write. */
  sourcesOf(outputFile: string): string[];
  /**
   * The source files (absolute paths) of `cliFile` (symbi.cjs, symbic.cjs) a run evaluated, from
   * the V8 coverage it wrote into `coverageDir` (NODE_V8_COVERAGE).
   */
  sourcesRun(cliFile: string, coverageDir: string): string[];
  remove(): void;
}

export async function bundledClis(): Promise<BundledClis> {
  mkdirSync(join(REPO, ".tmp"), { recursive: true });
  const dir = mkdtempSync(join(REPO, ".tmp", "cli-bundle-"));
  const metafiles = await bundleClis(dir);
  const inputs = new Map<string, string[]>();
  for (const meta of Object.values(metafiles))
    for (const [out, o] of Object.entries(meta.outputs))
      inputs.set(
        resolve(REPO, out),
        Object.keys(o.inputs).map((i) => resolve(REPO, i)),
      );
  return {
    dir,
    symbi: join(dir, "symbi.js"),
    symbic: join(dir, "symbic.js"),
    metafiles,
    sourcesOf: (f) => inputs.get(resolve(f)) ?? [],
    sourcesRun: (f, coverageDir) => sourcesRun(inputs.get(resolve(f)) ?? [], resolve(f), coverageDir),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface Coverage {
  result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>;
}

/**
 * esbuild's CommonJS file evaluates a module that is only imported lazily (or a bundled CommonJS
 * package) when first needed, inside a function named by the module's path (`__esm({ "path"() {}
 * })`, `__commonJS(...)`): such a module was evaluated when that function ran. A module with no
 * such function is evaluated when the file starts.
 */
function sourcesRun(sources: readonly string[], cliFile: string, coverageDir: string): string[] {
  const ran = new Map<string, boolean>();
  let seen = false;
  for (const f of readdirSync(coverageDir).filter((n) => n.endsWith(".json"))) {
    const cov = JSON.parse(readFileSync(join(coverageDir, f), "utf8")) as Coverage;
    for (const script of cov.result) {
      if (script.url !== cliFile && script.url !== `file://${cliFile}`) continue;
      seen = true;
      for (const fn of script.functions) {
        const path = resolve(REPO, fn.functionName);
        if (!sources.includes(path)) continue;
        ran.set(path, (ran.get(path) ?? false) || (fn.ranges[0]?.count ?? 0) > 0);
      }
    }
  }
  if (!seen) throw new Error(`no coverage of ${cliFile} in ${coverageDir}`);
  return sources.filter((s) => ran.get(s) ?? true);
}
