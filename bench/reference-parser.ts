/**
 * The reference implementation's parser for the speed comparison of bench/parser.bench.ts: its
 * public tree-sitter grammar (the generated `src/parser.c` of `tree-sitter-symbiont`), compiled
 * with the tree-sitter runtime into the small harness bench/reference/tree-sitter-parse.c.
 * Nothing of it is in this repository; the bench builds it where the pieces are on the machine
 * and says why it cannot where they are not (bench/README.md, "Parser against the reference"):
 * - SYMBI_REFERENCE_GRAMMAR: the grammar folder (holding src/parser.c), e.g. a checkout of
 *   ThirdKeyAI/Symbiont's crates/dsl/tree-sitter-symbiont;
 * - SYMBI_TREE_SITTER_LIB (optional): a tree-sitter `lib` folder (src/lib.c, include/) to
 *   compile the runtime from source, e.g. node_modules/tree-sitter/vendor/tree-sitter/lib of
 *   the `tree-sitter` npm package; without it, the system's libtree-sitter (-ltree-sitter);
 * - a C compiler as `cc`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

export interface ReferenceParser {
  /** What was built: runtime and grammar, for the report. */
  description: string;
  /** Parses `file` `runs` times after `warmup` untimed runs; CPU milliseconds per run. */
  cpuMs(file: string, runs: number, warmup: number): number[];
}

/** The compiled reference parser, or the reason it cannot be built here. */
export function buildReferenceParser(): ReferenceParser | { unavailable: string } {
  const grammar = process.env["SYMBI_REFERENCE_GRAMMAR"];
  if (!grammar) return { unavailable: "set SYMBI_REFERENCE_GRAMMAR to the reference's tree-sitter-symbiont folder" };
  const parserC = join(grammar, "src/parser.c");
  if (!existsSync(parserC)) return { unavailable: `no src/parser.c in SYMBI_REFERENCE_GRAMMAR (${grammar})` };
  const lib = process.env["SYMBI_TREE_SITTER_LIB"];
  if (lib && !existsSync(join(lib, "src/lib.c")))
    return { unavailable: `no src/lib.c in SYMBI_TREE_SITTER_LIB (${lib})` };
  const out = join(mkdtempSync(join(tmpdir(), "symbi-bench-tree-sitter-")), "tree-sitter-parse");
  const harness = join(repoRoot(), "bench/reference/tree-sitter-parse.c");
  const args = ["-O2", "-o", out, "-I", join(grammar, "src")];
  if (lib) args.push("-I", join(lib, "include"), "-I", join(lib, "src"), harness, parserC, join(lib, "src/lib.c"));
  else args.push(harness, parserC, "-ltree-sitter");
  const cc = spawnSync("cc", args, { encoding: "utf8" });
  if (cc.error) return { unavailable: `no C compiler (cc): ${cc.error.message}` };
  if (cc.status !== 0) return { unavailable: `the reference parser did not build: ${cc.stderr.trim().split("\n")[0]}` };
  return {
    description: `tree-sitter runtime ${lib ? "compiled from " + lib : "of the system (libtree-sitter)"}, cc -O2`,
    cpuMs(file, runs, warmup) {
      const r = spawnSync(out, [file, String(runs), String(warmup)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`the reference parser failed: ${r.stderr.trim() || `exit ${r.status}`}`);
      return r.stdout
        .trim()
        .split("\n")
        .map((line) => Number(line.split(" ")[0]));
    },
  };
}
