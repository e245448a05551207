/**
 * The CLIs as users run them (`bin` in package.json): `dist/cli/symbi.js` and `dist/cli/symbic.js`,
 * each a small entry that runs its CLI's one CommonJS file (`symbi.cjs`, `symbic.cjs`), bundled by
 * esbuild from the sources, with V8's code cache for that file (`symbi.cjs.cache`:
 * formats/cli-launch.ts).
 *
 * Why (issue 13, bench/startup.bench.ts): after Node's own start, the largest cost of a short run
 * was loading and compiling our JavaScript. Unbundled, a `symbi exec` of a built bundle loaded
 * ~190 ES modules one file at a time. Bundled as ES modules with code splitting, ~45 files, each
 * still compiled on every run: Node 20 keeps no compiled ES module. One script compiled with
 * `vm.Script` takes V8's code cache, which this build writes (writeCodeCaches): the quick start's
 * `symbi exec` of a bundle went from ~270 to ~230 ms, of `agent.symbi` from ~435 to ~320 ms,
 * `symbic check` from ~225 to ~170 ms.
 *
 * - One file per CLI, evaluated lazily: esbuild wraps each module that is imported with `import()`
 *   (a command, the compiler of a `.symbi` target, the Docker driver, the MCP client) in a function
 *   it calls on that import, so a run still evaluates only what it uses
 *   (test/runtime/startup-imports.test.ts reads V8's coverage of the file to check it).
 * - npm packages stay external — required from node_modules as installed (cedar-wasm finds its
 *   .wasm file next to itself) — except BUNDLED_PACKAGES, the pure-JS libraries a command needs on
 *   most runs (ajv's ~60 CommonJS files cost ~30 ms more to load from node_modules; commander,
 *   canonicalize and lru-cache, loaded by every run; chevrotain, which the parser loads with a
 *   top-level `await` a CommonJS file cannot hold: staticChevrotain). The sources load packages
 *   on first use through `createRequire` (startup); the lazyRequires plugin lets esbuild see
 *   those `require()` calls (as scripts/package-vscode.mjs does), so a bundled package is still
 *   evaluated only on first use.
 * - No module imports cedar-wasm: formats/cedar-wasm.ts requires it on the first Cedar call, so
 *   Cedar compiles after both CLIs switched V8 to Liftoff-only WebAssembly (formats/wasm-tier.ts),
 *   and only in runs that call it. test/build/cli-bundle.test.ts checks the import graph.
 * - The code cache is written by running each CLI once on the quick start (TRAINING_RUNS) and is
 *   checked to be usable; where it is not (another Node), the CLIs compile from source as before.
 * - Whitespace and syntax are minified (not names): with the code cache, what is left of a run's
 *   load is reading, hashing and decoding the file's text, which then shrinks by a sixth.
 * - `__SYMBI_VERSION__` is the package's version (compiler/version.ts reads it before looking for
 *   package.json).
 *
 * `node scripts/bundle-clis.mjs [OUTDIR]` (default dist/cli); scripts/postbuild.mjs runs it as part
 * of `npm run build`. esbuild is a devDependency: it runs at build time only.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The bundled CLIs: output name (without .js) → entry source. */
export const CLI_ENTRIES = Object.freeze({
  symbi: "runtime/cli/main.ts",
  symbic: "compiler/cli/main.ts",
});

/**
 * Worker threads' modules each CLI starts (`new Worker(new URL("./name.js", import.meta.url))`):
 * output name → entry source. Each is bundled into one ES module beside the CLI's file
 * (testing/parallel.ts looks for its worker next to itself, and in a bundled CLI
 * `import.meta.url` is the CLI's entry file).
 */
export const WORKER_ENTRIES = Object.freeze({
  symbi: {},
  symbic: { "decide-worker": "testing/decide-worker.ts" },
});

const INPUT = '{"name": "Ada", "number": 360}';

/**
 * The build's runs of the CLIs that write their code caches (formats/cli-launch.ts
 * trainCodeCache), in order: `cache` names the CLI and cache a run writes (none: a plain run that
 * prepares the next). `{scratch}` is a folder of the build's; `examples/` paths are the repository's.
 */
const TRAINING_RUNS = Object.freeze([
  { cli: "symbi", args: ["keygen", "--out", "{scratch}/release.key"] },
  {
    cli: "symbic",
    cache: "default",
    args: ["build", "examples/quickstart", "--out", "{scratch}/build", "--sign", "{scratch}/release.key"],
  },
  {
    cli: "symbi",
    cache: "default",
    args: ["exec", "{scratch}/build/quickstart", "--trust", "{scratch}/release.key.pub", "--input", INPUT],
  },
  { cli: "symbi", cache: "from-source", args: ["exec", "examples/quickstart/agent.symbi", "--input", INPUT] },
]);

/**
 * npm packages bundled into both CLIs (the rest load from node_modules): the pure-JS libraries a
 * command runs on most runs. A bundled package's compiled code is in the CLI's code cache; one
 * loaded from node_modules is compiled on every run that loads it (the TOML parsers, RE2 and
 * picocolors took ~10 ms of a `symbi exec agent.symbi` that way).
 */
export const BUNDLED_PACKAGES = Object.freeze([
  "ajv",
  "ajv-formats",
  "commander",
  "canonicalize",
  "lru-cache",
  "chevrotain",
  "smol-toml",
  "re2js",
  "picocolors",
]);

/** The line by which a source loads packages on first use (the language server's bundle drops it too). */
const LAZY_REQUIRE = "const require = createRequire(import.meta.url);";

/** Drops LAZY_REQUIRE from the project's own sources, so esbuild handles their `require("pkg")` calls. */
const lazyRequires = {
  name: "lazy-requires",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(root) || args.path.includes("/node_modules/")) return undefined;
      const text = readFileSync(args.path, "utf8");
      if (!text.includes(LAZY_REQUIRE)) return undefined;
      return { contents: text.replace(LAZY_REQUIRE, ""), loader: "ts" };
    });
  },
};

/** The worker bundles' own `require` (ES modules), for the external packages the sources require on first use. */
const REQUIRE_BANNER = [
  'import { createRequire as __symbiCreateRequire } from "node:module";',
  "const require = __symbiCreateRequire(import.meta.url);",
].join("\n");

/**
 * The CLI files' first lines: strict mode (the sources are ES modules, strict throughout), and
 * what `import.meta.url` stands for in them — the CLI's entry file (`symbi.js` beside
 * `symbi.cjs`), which the sources compare with `process.argv[1]` and find files beside; the file
 * itself when it is run directly (`node dist/cli/symbi.cjs`), so that it runs then too.
 */
const CLI_BANNER = [
  '"use strict";',
  "const __symbiEntryUrl = (() => {",
  '  const { realpathSync } = require("node:fs");',
  "  let direct = false;",
  "  try { direct = process.argv[1] !== undefined && realpathSync(process.argv[1]) === __filename; } catch {}",
  '  return require("node:url").pathToFileURL(direct ? __filename : __filename.replace(/\\.cjs$/, ".js")).href;',
  "})();",
].join("\n");

/**
 * grammar/chevrotain.ts loads chevrotain's single-file ES build with a top-level `await`, which a
 * CommonJS file cannot hold: in the CLIs, the same names are imported from that file statically,
 * and bundled.
 */
const staticChevrotain = {
  name: "static-chevrotain",
  setup(build) {
    build.onLoad({ filter: /[\\/]grammar[\\/]chevrotain\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const names = /export const \{([^}]*)\} = chevrotain;/.exec(text)?.[1];
      if (!names) throw new Error(`${args.path}: no \`export const { ... } = chevrotain;\` to bundle statically`);
      const file = join(dirname(createRequire(args.path).resolve("chevrotain")), "..", "chevrotain.min.mjs");
      return {
        contents: `export {${names}} from ${JSON.stringify(file)};`,
        loader: "ts",
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** The entry file users run: starts its CLI with the CLI's code cache (formats/cli-launch.ts). */
function entryText(name) {
  return [
    "#!/usr/bin/env node",
    `// ${name}: runs ${name}.cjs, with V8's code cache for it (formats/cli-launch.ts, scripts/bundle-clis.mjs).`,
    'import { launch } from "./launch.js";',
    `launch(${JSON.stringify(name)}, import.meta.url);`,
    "",
  ].join("\n");
}

/**
 * Runs the CLIs as the build's training runs (TRAINING_RUNS) so that they write their code
 * caches, in a scratch folder with its own home (nothing of the builder's is read or written),
 * then checks in a fresh process that a run would use each. A cache that cannot be made or would
 * not be used is a warning: the CLIs then compile their code on every run, as before.
 */
function writeCodeCaches(outdir) {
  const scratch = mkdtempSync(join(tmpdir(), "symbi-code-cache-"));
  const launchUrl = pathToFileURL(join(outdir, "launch.js")).href;
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: scratch,
    XDG_CONFIG_HOME: join(scratch, "config"),
    XDG_STATE_HOME: join(scratch, "state"),
    XDG_CACHE_HOME: join(scratch, "cache"),
    XDG_DATA_HOME: join(scratch, "data"),
    NO_COLOR: "1",
  };
  const node = (args) => spawnSync(process.execPath, args, { cwd: scratch, env, encoding: "utf8", timeout: 120_000 });
  const call = (fn, ...args) =>
    node([
      "--input-type=module",
      "-e",
      `import { ${fn} } from ${JSON.stringify(launchUrl)};\nprocess.stdout.write(String(${fn}(${args.map((x) => JSON.stringify(x)).join(", ")})));`,
    ]);
  const warnings = [];
  try {
    for (const step of TRAINING_RUNS) {
      const entry = join(outdir, `${step.cli}.js`);
      const args = step.args.map((a) =>
        a.replace("{scratch}", scratch).replace(/^examples\//, `${join(root, "examples")}/`),
      );
      if (!step.cache) {
        const r = node([entry, ...args]);
        if (r.status !== 0) warnings.push(`${step.cli} ${args[0]}: ${r.stderr.trim() || `exit ${r.status}`}`);
        continue;
      }
      const entryUrl = pathToFileURL(entry).href;
      call("trainCodeCache", step.cli, entryUrl, args, step.cache);
      const status = call("codeCacheStatus", step.cli, entryUrl, step.cache).stdout;
      if (status !== "accepted")
        warnings.push(`${step.cli}: its ${step.cache} code cache would not be used (${status || "no answer"})`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return warnings;
}

/**
 * Bundles both CLIs into `outdir` (emptied first), each on its own, writes their entry files and
 * code caches; returns esbuild's metafiles of the CLI files by CLI.
 */
export async function bundleClis(outdir = join(root, "dist", "cli")) {
  const esbuild = await import("esbuild");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const version = pkg.version;
  rmSync(outdir, { recursive: true, force: true });
  const common = {
    absWorkingDir: root,
    outdir,
    bundle: true,
    platform: "node",
    target: "node20",
    tsconfig: join(root, "tsconfig.json"),
    sourcemap: true,
    logLevel: "silent",
  };
  await esbuild.build({ ...common, entryPoints: [{ in: "formats/cli-launch.ts", out: "launch" }], format: "esm" });
  const external = Object.keys(pkg.dependencies)
    .filter((d) => !BUNDLED_PACKAGES.includes(d))
    .flatMap((d) => [d, `${d}/*`]);
  const metafiles = {};
  for (const [name, src] of Object.entries(CLI_ENTRIES)) {
    const result = await esbuild.build({
      ...common,
      entryPoints: [{ in: src, out: name }],
      format: "cjs",
      outExtension: { ".js": ".cjs" },
      external,
      plugins: [lazyRequires, staticChevrotain],
      banner: { js: CLI_BANNER },
      define: { __SYMBI_VERSION__: JSON.stringify(version), "import.meta.url": "__symbiEntryUrl" },
      metafile: true,
      // Smaller text to read, hash and decode on every run (2.6 → 2.2 MB): ~15 ms of a run on
      // this machine. Names are kept (stack traces, `name` properties); the source map maps back.
      minifyWhitespace: true,
      minifySyntax: true,
    });
    // The entry's `#!` line, which esbuild keeps, is no JavaScript inside a function: it becomes a
    // comment of the same length (the source map's lines stay right).
    const cjs = join(outdir, `${name}.cjs`);
    writeFileSync(cjs, readFileSync(cjs, "utf8").replace(/^#!/, "//"));
    const workers = Object.entries(WORKER_ENTRIES[name]);
    if (workers.length > 0)
      await esbuild.build({
        ...common,
        entryPoints: workers.map(([out, w]) => ({ in: w, out })),
        format: "esm",
        external,
        plugins: [lazyRequires],
        banner: { js: REQUIRE_BANNER },
        define: { __SYMBI_VERSION__: JSON.stringify(version) },
      });
    writeFileSync(join(outdir, `${name}.js`), entryText(name));
    chmodSync(join(outdir, `${name}.js`), 0o755);
    metafiles[name] = result.metafile;
  }
  for (const w of writeCodeCaches(outdir)) console.warn(`bundle-clis: warning: ${w}`);
  return metafiles;
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  try {
    await bundleClis(process.argv[2] ? resolve(process.argv[2]) : undefined);
  } catch (e) {
    const first = e?.errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : "";
    console.error(`bundle-clis: error: ${where}${first?.text ?? e?.message ?? e}`);
    process.exit(1);
  }
}
