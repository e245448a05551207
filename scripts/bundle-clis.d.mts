// Types of scripts/bundle-clis.mjs for the TypeScript tests that import it.
import type { Metafile } from "esbuild";
export declare const CLI_ENTRIES: Readonly<Record<"symbi" | "symbic", string>>;
export declare function bundleClis(outdir?: string): Promise<Record<"symbi" | "symbic", Metafile>>;
