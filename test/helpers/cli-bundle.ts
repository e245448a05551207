/**
 * The CLIs bundled as `npm run build` bundles them (scripts/bundle-clis.mjs), into a fresh folder
 * inside the repository (`.tmp/`, so their external imports resolve from its node_modules), with
 * esbuild's metafile to map each output file back to the sources it holds.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
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
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
