#!/usr/bin/env node
/**
 * Builds the VS Code extension package (`symbiont-<version>.vsix`).
 *
 *   node scripts/package-vscode.mjs [--out DIR] [--stage DIR] [--server-entry FILE] [--without-server]
 *   npm run package:vscode
 *
 * Steps: a clean staging directory gets the extension manifest, language configuration, snippets,
 * README and LICENSE from vscode-extension/, the TextMate grammar from grammar/ (as
 * syntaxes/symbiont.tmLanguage.json), the client bundled by esbuild (dist/extension.js; only
 * `vscode` stays external) and the language server bundled from lsp/main.ts (server/main.js, an
 * ES module with every dependency inlined, plus the wasm files its dependencies load from disk).
 * Then @vscode/vsce packs the staging directory with no node_modules (everything is bundled) and
 * no network access.
 *
 * The language server is required. `--without-server` builds a client-only package and exists
 * for tests run before lsp/ is written; such a package is not installable in a useful way.
 *
 * Exit codes: 0 ok, 1 build or packaging failure, 2 bad arguments.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const extensionDir = join(root, "vscode-extension");
const defaultServerEntry = join(root, "lsp", "main.ts");

/** Marks a staging directory as ours; the staged .vscodeignore keeps it out of the package. */
const STAGE_MARKER = ".symbi-vscode-stage";

/** Thrown for failures the user can act on: printed as one line, no stack trace. */
export class PackageError extends Error {}

/**
 * Files loaded from disk next to a bundled dependency (`${__dirname}/x.wasm`). When a module of
 * the package is bundled into the server, the files are copied beside server/main.js, where the
 * bundle's `__dirname` points.
 */
const SERVER_DISK_ASSETS = [
  { inputDir: "node_modules/@cedar-policy/cedar-wasm/nodejs/", files: ["cedar_wasm_bg.wasm"] },
];

/**
 * The server is an ES module (the sources use `import.meta`); bundled CommonJS dependencies still
 * call `require` and read `__dirname`, so the bundle defines both at its top.
 */
const ESM_SERVER_BANNER = [
  'import { createRequire as __symbiCreateRequire } from "node:module";',
  'import { fileURLToPath as __symbiFileURLToPath } from "node:url";',
  'import { dirname as __symbiDirname } from "node:path";',
  "const require = __symbiCreateRequire(import.meta.url);",
  "const __filename = __symbiFileURLToPath(import.meta.url);",
  "const __dirname = __symbiDirname(__filename);",
].join("\n");

/**
 * The sources load some packages lazily, on first use, with `const require =
 * createRequire(import.meta.url)` and `require("pkg")` (startup time). A bundle has no
 * node_modules beside it, so that `require` would find nothing; this plugin drops the local
 * declaration in the project's own sources, leaving `require("pkg")` for esbuild to bundle (and
 * still to load on first use).
 */
const bundleLazyRequires = {
  name: "bundle-lazy-requires",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(join(root, "/")) || args.path.includes("/node_modules/")) return undefined;
      const text = readFileSync(args.path, "utf8");
      const local = "const require = createRequire(import.meta.url);";
      if (!text.includes(local)) return undefined;
      return { contents: text.replace(local, ""), loader: "ts" };
    });
  },
};

/**
 * @param {{ outDir?: string, stageDir?: string, withoutServer?: boolean, serverEntry?: string, log?: (msg: string) => void }} [options]
 * @returns {Promise<{ vsixPath: string, stageDir: string, files: string[], withServer: boolean }>}
 */
export async function packageExtension(options = {}) {
  const log = options.log ?? ((msg) => console.log(msg));
  const outDir = resolve(root, options.outDir ?? "dist");
  const stageDir = resolve(root, options.stageDir ?? join(".tmp", "vscode-stage"));
  const withServer = !options.withoutServer;
  const serverEntry = resolve(root, options.serverEntry ?? defaultServerEntry);

  if (withServer && !existsSync(serverEntry)) {
    throw new PackageError(
      `${relative(root, serverEntry)} not found: the language server has not been written yet, and the extension needs it bundled as server/main.js. ` +
        `Pass --without-server to build a client-only package for testing.`,
    );
  }
  // The staging directory is emptied first: only ever empty one this script created.
  if (existsSync(stageDir) && readdirSync(stageDir).length > 0 && !existsSync(join(stageDir, STAGE_MARKER))) {
    throw new PackageError(
      `refusing to empty ${stageDir}: it is not empty and was not made by this script; pick another --stage directory`,
    );
  }

  const manifest = readJson(join(extensionDir, "package.json"));
  for (const field of ["name", "publisher", "version", "engines", "main"]) {
    if (!manifest[field]) throw new PackageError(`vscode-extension/package.json has no "${field}"`);
  }

  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  writeFileSync(join(stageDir, STAGE_MARKER), "staging directory of scripts/package-vscode.mjs\n");
  writeFileSync(join(stageDir, ".vscodeignore"), `${STAGE_MARKER}\n`);

  // Static contributions.
  writeFileSync(join(stageDir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  copyInto(join(extensionDir, "language-configuration.json"), join(stageDir, "language-configuration.json"));
  copyDir(join(extensionDir, "snippets"), join(stageDir, "snippets"));
  copyInto(join(extensionDir, "README.md"), join(stageDir, "README.md"));
  const license = existsSync(join(root, "LICENSE")) ? join(root, "LICENSE") : join(extensionDir, "LICENSE");
  copyInto(license, join(stageDir, "LICENSE"));
  const grammar = readJson(join(root, "grammar", "symbiont.tmLanguage.json"));
  if (grammar.scopeName !== "source.symbiont")
    throw new PackageError("grammar/symbiont.tmLanguage.json: scopeName is not source.symbiont");
  copyInto(join(root, "grammar", "symbiont.tmLanguage.json"), join(stageDir, "syntaxes", "symbiont.tmLanguage.json"));

  const esbuild = await import("esbuild");

  // The client: CommonJS, `vscode` provided by the editor, vscode-languageclient inlined.
  log("bundling client (vscode-extension/src/extension.ts)");
  await runEsbuild(esbuild, {
    entryPoints: [join(extensionDir, "src", "extension.ts")],
    outfile: join(stageDir, manifest.main.replace(/^\.\//, "")),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    minify: true,
    sourcemap: false,
    logLevel: "silent",
  });

  if (withServer) {
    log(`bundling language server (${relative(root, serverEntry)})`);
    const serverDir = join(stageDir, "server");
    const result = await runEsbuild(esbuild, {
      entryPoints: [serverEntry],
      outfile: join(serverDir, "main.js"),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      banner: { js: ESM_SERVER_BANNER },
      // The code lenses' commands load `symbic test` (testing/), which reaches the runtime and
      // through it the Docker client; its SSH transport tries optional native addons in
      // try/catch and works without them. They are never bundled (no native build, see README).
      external: ["*.node"],
      plugins: [bundleLazyRequires],
      // The toolchain's version, which the bundled server cannot read from a package.json.
      define: { __SYMBI_VERSION__: JSON.stringify(readJson(join(root, "package.json")).version) },
      minify: true,
      sourcemap: false,
      metafile: true,
      logLevel: "silent",
    });
    // server/main.js is ESM inside a package without "type": "module".
    writeFileSync(join(serverDir, "package.json"), JSON.stringify({ type: "module" }, null, 2) + "\n");
    const inputs = Object.keys(result.metafile.inputs);
    for (const asset of SERVER_DISK_ASSETS) {
      if (!inputs.some((i) => i.startsWith(asset.inputDir))) continue;
      for (const file of asset.files) copyInto(join(root, asset.inputDir, file), join(serverDir, file));
    }
  } else {
    log("warning: --without-server: the package has no language server");
  }

  mkdirSync(outDir, { recursive: true });
  const vsixPath = join(outDir, `${manifest.name}-${manifest.version}.vsix`);
  rmSync(vsixPath, { force: true });
  log(`packing ${relative(root, vsixPath) || vsixPath}`);
  const { createVSIX } = await import("@vscode/vsce");
  await createVSIX({
    cwd: stageDir,
    packagePath: vsixPath,
    dependencies: false, // everything the extension runs is bundled
    // The project has no public repository URL yet; vsce would otherwise stop and ask.
    allowMissingRepository: true,
    rewriteRelativeLinks: false,
  });
  if (!existsSync(vsixPath)) throw new PackageError(`vsce finished but ${vsixPath} was not written`);
  const files = listFiles(stageDir).filter((f) => f !== STAGE_MARKER && f !== ".vscodeignore");
  return { vsixPath, stageDir, files, withServer };
}

async function runEsbuild(esbuild, options) {
  try {
    return await esbuild.build(options);
  } catch (err) {
    const errors = err?.errors ?? [];
    const detail = errors
      .slice(0, 5)
      .map((e) =>
        e.location
          ? `${relative(root, resolve(root, e.location.file))}:${e.location.line}:${e.location.column}: ${e.text}`
          : e.text,
      )
      .join("\n  ");
    throw new PackageError(
      `esbuild failed for ${relative(root, options.entryPoints[0])}${detail ? `:\n  ${detail}` : `: ${err?.message ?? err}`}`,
    );
  }
}

function readJson(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new PackageError(`${relative(root, path)} not found`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PackageError(`${relative(root, path)} is not valid JSON: ${err.message}`);
  }
}

function copyInto(from, to) {
  if (!existsSync(from)) throw new PackageError(`${relative(root, from)} not found`);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function copyDir(from, to) {
  if (!existsSync(from)) throw new PackageError(`${relative(root, from)} not found`);
  for (const name of readdirSync(from)) {
    const p = join(from, name);
    if (statSync(p).isDirectory()) copyDir(p, join(to, name));
    else copyInto(p, join(to, name));
  }
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out" || a === "--stage" || a === "--server-entry") {
      const value = argv[++i];
      if (!value) throw new UsageError(`${a} needs a path`);
      options[a === "--out" ? "outDir" : a === "--stage" ? "stageDir" : "serverEntry"] = value;
    } else if (a === "--without-server") options.withoutServer = true;
    else if (a === "--help" || a === "-h") options.help = true;
    else throw new UsageError(`unknown argument: ${a}`);
  }
  return options;
}

class UsageError extends Error {}

const USAGE =
  "usage: node scripts/package-vscode.mjs [--out DIR (default dist/)] [--stage DIR (default .tmp/vscode-stage)]\n" +
  "                                       [--server-entry FILE (default lsp/main.ts)] [--without-server]";

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    process.exit(0);
  }
  try {
    const { vsixPath } = await packageExtension(options);
    console.log(`wrote ${vsixPath}`);
  } catch (err) {
    if (err instanceof PackageError) console.error(`error: ${err.message}`);
    else console.error(`error: packaging failed: ${err?.stack ?? err}`);
    process.exit(1);
  }
}
