/**
 * How the bundled CLIs start (`bin`: dist/cli/symbi.js, dist/cli/symbic.js; issue 13): each is a
 * small entry that runs its CLI's one CommonJS file (`symbi.cjs`, `symbic.cjs`, written by
 * scripts/bundle-clis.mjs) with V8's code cache for it (`symbi.cjs.cache`), so V8 does not parse
 * and compile the CLI's JavaScript again on every run.
 *
 * Why (measured on the quick start, bench/startup.bench.ts): after Node's own start, compiling our
 * JavaScript was the largest cost of a run — the ES modules' top-level compile and every function's
 * compile on its first call (the parser, the checker, the gate, the interpreter). Node 20 caches no
 * compiled ES module; a script compiled with `vm.Script` takes V8's code cache. `symbi exec` of a
 * built bundle went from ~265 to ~230 ms, of `agent.symbi` from ~405 to ~320 ms.
 *
 * The cache is written when the CLIs are built (`npm run build`): the build runs each CLI on the
 * quick start (trainCodeCache) and keeps the code V8 compiled for that run. symbi has two: one
 * from running a built bundle (`symbi.cjs.cache`), one from running a `.symbi` file, which also
 * compiles it (`symbi.cjs.from-source.cache`); a command line naming a `.symbi` file takes the
 * second. V8 deserializes a whole cache, so a bundle run does not pay for the compiler's code.
 * The caches are part of the build's output, beside the code they were compiled from, and are
 * trusted as that code is. Where one cannot be used the CLI runs the same code compiled from
 * source, only slower:
 * - the file is missing or not ours (its header), or was compiled from another source text — the
 *   header holds the SHA-256 of the source it was made from (V8 itself checks only the length);
 * - V8 rejects it: another Node or V8 version, or other V8 flags. This is why launch sets the flags
 *   the CLI sets during a run before it compiles (V8 checks them against those at the end of the
 *   training run): test/build/cli-bundle.test.ts checks that the built cache is accepted.
 */
import { isAscii } from "node:buffer";
import { createHash } from "node:crypto";
import { readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Script, constants } from "node:vm";
import { CEDAR_V8_FLAG } from "./cedar-wasm.js";
import { setShortRunFlags } from "./short-run.js";

/** The start of a code cache file, before the SHA-256 of its source and V8's data. */
const MAGIC = Buffer.from("symbi-code-cache-1\n");
const DIGEST_BYTES = 32;

export type BundledCli = "symbi" | "symbic";

/** Which of a CLI's caches: from a run of a built bundle (and symbic's), or of a `.symbi` file. */
export type CacheVariant = "default" | "from-source";

function cacheFileOf(file: string, variant: CacheVariant): string {
  return variant === "default" ? `${file}.cache` : `${file}.${variant}.cache`;
}

/** The cache a run of `cli` with these arguments takes (a wrong guess only costs time). */
export function cacheVariantFor(cli: BundledCli, args: readonly string[]): CacheVariant {
  return cli === "symbi" && args.some((a) => a.endsWith(".symbi")) ? "from-source" : "default";
}

/** What became of a code cache: "accepted", or why it was not used. */
export type CodeCacheStatus = "accepted" | "none" | "stale" | "rejected";

interface Compiled {
  script: Script;
  source: Buffer;
  file: string;
  cache: CodeCacheStatus;
}

/** The flags a CLI sets while it runs, set before it is compiled (the cache holds their hash). */
function setRunFlags(): void {
  setShortRunFlags();
  setFlagsFromString(CEDAR_V8_FLAG);
}

function digest(source: Buffer): Buffer {
  return createHash("sha256").update(source).digest();
}

/** V8's data of `cacheFile` when it was made from `source`, else why not. */
function readCache(cacheFile: string, source: Buffer): Buffer | "none" | "stale" {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return "none";
  }
  const head = MAGIC.length + DIGEST_BYTES;
  if (bytes.length <= head || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return "none";
  if (!bytes.subarray(MAGIC.length, head).equals(digest(source))) return "stale";
  return bytes.subarray(head);
}

/** The CLI's file beside `entryDir`, compiled with the cache `variant` when it fits (none: without). */
function compile(cli: BundledCli, entryDir: string, variant: CacheVariant | undefined): Compiled {
  const file = join(entryDir, `${cli}.cjs`);
  const source = readFileSync(file);
  const cached = variant ? readCache(cacheFileOf(file, variant), source) : "none";
  // esbuild writes ASCII (it escapes the rest), which decodes faster as Latin-1 (the same text).
  const text = isAscii(source) ? source.toString("latin1") : source.toString("utf8");
  // The file is run as Node runs a CommonJS module: its text inside Node's module wrapper.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${text}\n})`, {
    filename: file,
    ...(typeof cached === "string" ? {} : { cachedData: cached }),
    // `import()` inside it (ES-module-only packages) loads as it would in a module Node loaded.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cache = typeof cached === "string" ? cached : script.cachedDataRejected ? "rejected" : "accepted";
  return { script, source, file, cache };
}

function run(c: Compiled): void {
  const module = { exports: {} as unknown, filename: c.file };
  const main = c.script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  main.call(module.exports, module.exports, createRequire(c.file), module, c.file, dirname(c.file));
}

function entryDirOf(entryUrl: string): string {
  return dirname(realpathSync(fileURLToPath(entryUrl)));
}

/** Runs a bundled CLI: `entryUrl` is the entry file's `import.meta.url` (its CLI file is beside it). */
export function launch(cli: BundledCli, entryUrl: string): void {
  setRunFlags();
  let compiled: Compiled;
  try {
    compiled = compile(cli, entryDirOf(entryUrl), cacheVariantFor(cli, process.argv.slice(2)));
  } catch (e) {
    // The CLI's file is missing or unreadable (an install cut short): say so, exit 1 (formats/exit-codes.ts).
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(
      `${cli}: error: the installed CLI is incomplete: ${code ?? (e as Error).message} reading ${cli}.cjs beside ${fileURLToPath(entryUrl)}; rebuild it (npm run build)\n`,
    );
    process.exitCode = 1;
    return;
  }
  run(compiled);
}

/**
 * Whether the CLI's code cache would be used by a run of this Node (the build's check, and
 * test/build/cli-bundle.test.ts's): call it in a fresh process, as a run would.
 */
export function codeCacheStatus(cli: BundledCli, entryUrl: string, variant: CacheVariant = "default"): CodeCacheStatus {
  setRunFlags();
  return compile(cli, entryDirOf(entryUrl), variant).cache;
}

/**
 * The build's training run (scripts/bundle-clis.mjs): runs the CLI with `args` as a user would,
 * compiled from source, and when the process exits writes what V8 compiled during the run as the
 * CLI's code cache `variant`. Whether the run succeeds does not matter: what ran was compiled.
 */
export function trainCodeCache(
  cli: BundledCli,
  entryUrl: string,
  args: readonly string[],
  variant: CacheVariant = "default",
): void {
  setRunFlags();
  const c = compile(cli, entryDirOf(entryUrl), undefined);
  process.argv = [process.argv[0]!, fileURLToPath(entryUrl), ...args];
  process.once("exit", () => {
    // Written whole, then renamed: a build killed here leaves no half-written cache.
    const cache = cacheFileOf(c.file, variant);
    const part = `${cache}.${process.pid}.part`;
    writeFileSync(part, Buffer.concat([MAGIC, digest(c.source), c.script.createCachedData()]));
    renameSync(part, cache);
  });
  run(c);
}
