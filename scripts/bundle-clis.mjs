/**
 * The CLIs as users run them (`bin` in package.json): `dist/cli/symbi.js` and `dist/cli/symbic.js`,
 * bundled by esbuild from the sources, each command in its own chunk under `dist/cli/symbi-chunks/` and `dist/cli/symbic-chunks/`.
 *
 * Why (issue 13, bench/startup.bench.ts): a `symbi exec` of a built bundle loaded ~190 ES modules
 * one file at a time; resolving, reading, linking and evaluating them was the largest part of its
 * start-up after Node's own. Bundled, the same run loads ~45 files.
 *
 * - Code splitting keeps every lazy `import()` lazy: a command, the compiler of a `.symbi` target,
 *   the Docker driver and the MCP client stay in chunks loaded only when used. Without it, an
 *   external package imported anywhere would be imported by the single file up front.
 * - npm packages stay external — loaded from node_modules as installed (cedar-wasm finds its
 *   .wasm file next to itself) — except BUNDLED_PACKAGES, the pure-JS libraries a command needs on
 *   most runs: ajv's ~60 CommonJS files cost ~30 ms more to load than the same code in a chunk;
 *   commander, canonicalize and lru-cache, loaded by every run, took ~9 ms of a `symbi exec`
 *   from node_modules (resolving the package, and commander's CommonJS behind its ESM wrapper).
 *   The sources load them on first use through `createRequire` (startup); the lazyRequires plugin
 *   lets esbuild see those `require()` calls (as scripts/package-vscode.mjs does), so a bundled
 *   package is still evaluated only on first use, and an external one is still required from
 *   node_modules (each output file defines `require` for that: the banner).
 * - No module imports cedar-wasm: formats/cedar-wasm.ts requires it on the first Cedar call, so
 *   Cedar compiles after both CLIs switched V8 to Liftoff-only WebAssembly (formats/wasm-tier.ts),
 *   and only in runs that call it. test/build/cli-bundle.test.ts checks the import graph.
 * - `__SYMBI_VERSION__` is the package's version (compiler/version.ts reads it before looking for
 *   package.json).
 *
 * `node scripts/bundle-clis.mjs [OUTDIR]` (default dist/cli); scripts/postbuild.mjs runs it as part
 * of `npm run build`. esbuild is a devDependency: it runs at build time only.
 */
import { chmodSync, readFileSync, rmSync } from "node:fs";
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
 * output name → entry source. They are written into the CLI's chunks folder, next to the chunk
 * that starts them (testing/parallel.ts looks for its worker there).
 */
export const WORKER_ENTRIES = Object.freeze({
  symbi: {},
  symbic: { "decide-worker": "testing/decide-worker.ts" },
});

/** npm packages bundled into each CLI (the rest load from node_modules). */
export const BUNDLED_PACKAGES = Object.freeze({
  symbi: ["ajv", "ajv-formats", "commander", "canonicalize", "lru-cache"],
  symbic: ["ajv", "ajv-formats", "smol-toml", "toml-eslint-parser", "commander", "canonicalize", "lru-cache"],
});

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

/** Each output file's own `require`, for the external packages the sources require on first use. */
const REQUIRE_BANNER = [
  'import { createRequire as __symbiCreateRequire } from "node:module";',
  "const require = __symbiCreateRequire(import.meta.url);",
].join("\n");

/**
 * Bundles both CLIs into `outdir` (emptied first), each on its own (two CLIs sharing chunks would
 * split their common code into more, smaller files); returns esbuild's metafiles by CLI.
 */
export async function bundleClis(outdir = join(root, "dist", "cli")) {
  const esbuild = await import("esbuild");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const version = pkg.version;
  rmSync(outdir, { recursive: true, force: true });
  const metafiles = {};
  for (const [name, src] of Object.entries(CLI_ENTRIES)) {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: [
        { in: src, out: name },
        ...Object.entries(WORKER_ENTRIES[name]).map(([out, w]) => ({ in: w, out: `${name}-chunks/${out}` })),
      ],
      outdir,
      bundle: true,
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: Object.keys(pkg.dependencies)
        .filter((d) => !BUNDLED_PACKAGES[name].includes(d))
        .flatMap((d) => [d, `${d}/*`]),
      plugins: [lazyRequires],
      banner: { js: REQUIRE_BANNER },
      chunkNames: `${name}-chunks/[name]-[hash]`,
      define: { __SYMBI_VERSION__: JSON.stringify(version) },
      tsconfig: join(root, "tsconfig.json"),
      sourcemap: true,
      metafile: true,
      logLevel: "silent",
    });
    chmodSync(join(outdir, `${name}.js`), 0o755);
    for (const out of Object.keys(WORKER_ENTRIES[name])) {
      // testing/parallel.ts finds its worker next to itself: the chunk holding it must sit beside the worker.
      const starter = Object.keys(result.metafile.outputs).find(
        (o) => o.endsWith(".js") && readFileSync(join(root, o), "utf8").includes(`./${out}`),
      );
      if (!starter || dirname(join(root, starter)) !== join(outdir, `${name}-chunks`))
        throw new Error(`the module that starts ${out} is not in ${name}-chunks/ (${starter ?? "none found"})`);
    }
    metafiles[name] = result.metafile;
  }
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
