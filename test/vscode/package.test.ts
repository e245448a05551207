/**
 * Packaging: runs scripts/package-vscode.mjs (esbuild + @vscode/vsce, ~1-2 s) into a temporary
 * directory and checks what the `.vsix` (a zip) contains: the manifest, the grammar, the
 * language configuration, the snippets, the bundled client and the bundled language server.
 *
 * The language server (lsp/main.ts) is written separately. Until it exists the package is built
 * with `--without-server`, and ONLY the server checks are declared with `test.skip` (reported as
 * skipped, never as passed).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import yauzl from "yauzl";
import { repoRoot } from "./textmate.js";
import { pathToFileURL } from "node:url";
import { LspClient } from "../lsp/client.js";

const serverPresent = existsSync(join(repoRoot, "lsp", "main.ts"));
const script = join(repoRoot, "scripts", "package-vscode.mjs");
const manifest = JSON.parse(readFileSync(join(repoRoot, "vscode-extension", "package.json"), "utf8"));
const vsixName = `${manifest.name}-${manifest.version}.vsix`;

const work = mkdtempSync(join(tmpdir(), "symbi-vsix-"));
const outDir = join(work, "out");
const stageDir = join(work, "stage");

/** Reads every entry of a zip into memory (a .vsix is a few MB at most). */
function readZip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolvePromise, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const entries = new Map<string, Buffer>();
      zip.on("error", reject);
      zip.on("end", () => resolvePromise(entries));
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith("/")) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

let built: { status: number | null; stdout: string; stderr: string } | undefined;
let entries: Map<string, Buffer> | undefined;

async function vsix(): Promise<Map<string, Buffer>> {
  if (!built) {
    const args = [script, "--out", outDir, "--stage", stageDir, ...(serverPresent ? [] : ["--without-server"])];
    const r = spawnSync(process.execPath, args, {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 120_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    built = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  assert.is(built.status, 0, `packaging failed:\n${built.stdout}\n${built.stderr}`);
  entries ??= await readZip(join(outDir, vsixName));
  return entries;
}

const text = (e: Map<string, Buffer>, name: string) => {
  const b = e.get(name);
  assert.ok(b, `${name} is not in the vsix (entries: ${[...e.keys()].join(", ")})`);
  return b!.toString("utf8");
};

test("package: one script builds symbiont-<version>.vsix", async () => {
  const e = await vsix();
  assert.ok(existsSync(join(outDir, vsixName)));
  assert.ok(e.has("extension.vsixmanifest") && e.has("[Content_Types].xml"));
  const xml = text(e, "extension.vsixmanifest");
  assert.match(xml, `<Identity Language="en-US" Id="symbiont" Version="${manifest.version}" Publisher="symbiont" />`);
  assert.match(xml, '<Property Id="Microsoft.VisualStudio.Code.Engine" Value="^1.91.0" />');
});

test("package: the manifest is vscode-extension/package.json", async () => {
  const e = await vsix();
  assert.equal(JSON.parse(text(e, "extension/package.json")), manifest);
});

test("package: grammar, language configuration, snippets, README and LICENSE are included unchanged", async () => {
  const e = await vsix();
  const same = (inVsix: string, onDisk: string) =>
    assert.is(text(e, inVsix), readFileSync(join(repoRoot, onDisk), "utf8"), `${inVsix} differs from ${onDisk}`);
  same("extension/syntaxes/symbiont.tmLanguage.json", "grammar/symbiont.tmLanguage.json");
  same("extension/language-configuration.json", "vscode-extension/language-configuration.json");
  same("extension/snippets/symbiont.json", "vscode-extension/snippets/symbiont.json");
  // vsce renames these two.
  same("extension/readme.md", "vscode-extension/README.md");
  assert.match(text(e, "extension/LICENSE.txt"), "Apache License");
  // Every path the manifest points at is in the package.
  for (const p of [
    manifest.main,
    manifest.contributes.grammars[0].path,
    manifest.contributes.languages[0].configuration,
    manifest.contributes.snippets[0].path,
  ]) {
    assert.ok(e.has(`extension/${p.replace(/^\.\//, "")}`), `manifest points at ${p}, which is not packaged`);
  }
});

test("package: the client is bundled (only `vscode` and Node built-ins are required at run time)", async () => {
  const e = await vsix();
  const js = text(e, "extension/dist/extension.js");
  assert.ok(js.length > 50_000, "vscode-languageclient does not seem to be inlined");
  const required = new Set([...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!));
  const allowed = new Set(["vscode", ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  assert.equal(
    [...required].filter((r) => !allowed.has(r)),
    [],
    "the client requires modules that are not shipped",
  );
  assert.ok(required.has("vscode"));
  assert.match(js, /activate/);
  assert.match(js, /deactivate/);
  assert.match(js, "server/main.js");
  // Nothing that should stay out of the package: no sources, no node_modules.
  const stray = [...e.keys()].filter(
    (k) => k.includes("node_modules/") || k.endsWith(".ts") || k.includes("/src/") || k.includes(".symbi-vscode-stage"),
  );
  assert.equal(stray, []);
});

test("package: the bundled client loads and exports activate/deactivate", async () => {
  const e = await vsix();
  const file = join(work, "client", "extension.js");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, e.get("extension/dist/extension.js")!);
  // `vscode` exists only inside the editor; loading the bundle needs something in its place. A
  // proxy that answers every property with a constructible function is enough for module-level
  // code (classes extending vscode classes); nothing is called.
  const probe = `
    const Module = require("module");
    const any = () => new Proxy(function () {}, { get: (t, p) => (p === "prototype" ? {} : any()), construct: () => any(), apply: () => any() });
    const load = Module._load;
    Module._load = function (req, ...rest) { return req === "vscode" ? any() : load.call(this, req, ...rest); };
    const ext = require(${JSON.stringify(file)});
    process.stdout.write(JSON.stringify({ activate: typeof ext.activate, deactivate: typeof ext.deactivate }));`;
  const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", cwd: work, timeout: 30_000 });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { activate: "function", deactivate: "function" });
});

test("package: bad arguments and a missing server entry are clear errors", async () => {
  const r = spawnSync(process.execPath, [script, "--bogus"], { cwd: repoRoot, encoding: "utf8" });
  assert.is(r.status, 2);
  assert.match(r.stderr, "unknown argument: --bogus");
  const { packageExtension, PackageError } = await import("../../scripts/package-vscode.mjs");
  try {
    await packageExtension({
      serverEntry: "lsp/does-not-exist.ts",
      stageDir: join(work, "stage2"),
      outDir: join(work, "out2"),
      log: () => {},
    });
    assert.unreachable("should have failed");
  } catch (err) {
    assert.instance(err, PackageError);
    assert.match((err as Error).message, "lsp/does-not-exist.ts not found");
    assert.match((err as Error).message, "server/main.js");
  }
  assert.not.ok(existsSync(join(work, "out2")), "nothing is written when the server entry is missing");
  // A staging directory the script did not create is never emptied.
  const foreign = join(work, "foreign");
  mkdirSync(foreign);
  writeFileSync(join(foreign, "keep.txt"), "mine");
  const r2 = spawnSync(
    process.execPath,
    [script, "--without-server", "--stage", foreign, "--out", join(work, "out3")],
    { cwd: repoRoot, encoding: "utf8" },
  );
  assert.is(r2.status, 1);
  assert.match(r2.stderr, "refusing to empty");
  assert.is(readFileSync(join(foreign, "keep.txt"), "utf8"), "mine");
});

/** Sends `initialize` to a server started like the client starts it (`node main.js --stdio`). */
async function initializeServer(
  mainJs: string,
): Promise<{ capabilities: Record<string, unknown>; serverInfo?: { name: string; version?: string } }> {
  const child = spawn(process.execPath, [mainJs, "--stdio"], { cwd: dirname(mainJs), stdio: ["pipe", "pipe", "pipe"] });
  const send = (msg: object) => {
    const body = JSON.stringify({ jsonrpc: "2.0", ...msg });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.on("error", () => {}); // writes after the server exited are reported through "exit"
  try {
    return await new Promise((resolvePromise, reject) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error(`no initialize response in 15 s; stderr: ${stderr}`)), 15_000);
      child.on("exit", (code) => reject(new Error(`server exited with ${code}; stderr: ${stderr}`)));
      child.stdout.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const head = buf.indexOf("\r\n\r\n");
          if (head < 0) return;
          const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, head).toString())?.[1]);
          if (buf.length < head + 4 + len) return;
          const msg = JSON.parse(buf.subarray(head + 4, head + 4 + len).toString());
          buf = buf.subarray(head + 4 + len);
          if (msg.id === 1) {
            clearTimeout(timer);
            if (msg.error) reject(new Error(JSON.stringify(msg.error)));
            else resolvePromise(msg.result);
          }
        }
      });
      send({ id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
    });
  } finally {
    // Ask politely, then make sure no server outlives the test.
    const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
    send({ id: 2, method: "shutdown" });
    send({ method: "exit" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }
}

// Pending until lsp/main.ts exists (the language server is another engineer's work): the only
// assertions allowed to be skipped are these, about server/main.js inside the package.
(serverPresent ? test : test.skip)(
  "package: the language server is bundled as server/main.js and answers initialize with every feature",
  async () => {
    const e = await vsix();
    assert.ok(e.has("extension/server/main.js"), "server/main.js is missing from the vsix");
    assert.equal(JSON.parse(text(e, "extension/server/package.json")), { type: "module" });
    // Run the packaged copy, away from the repository's node_modules, as VS Code would.
    const dir = join(work, "installed");
    for (const [name, data] of e) {
      if (!name.startsWith("extension/server/")) continue;
      const target = join(dir, name.slice("extension/".length));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    const init = await initializeServer(join(dir, "server", "main.js"));
    const caps = init.capabilities;
    // Issue 17 item 7: the bundled server reports the toolchain's version (it reported 0.0.0).
    const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    assert.equal(init.serverInfo, { name: "symbi-lsp", version });
    for (const feature of [
      "textDocumentSync", // diagnostics are pushed for synced documents
      "hoverProvider",
      "completionProvider",
      "definitionProvider",
      "referencesProvider",
      "renameProvider",
      "documentSymbolProvider",
      "foldingRangeProvider",
      "semanticTokensProvider",
      "signatureHelpProvider",
      "documentFormattingProvider",
    ]) {
      assert.ok(caps[feature], `the server does not advertise ${feature}`);
    }
  },
);

// The code lenses' commands load `symbic test`'s code (testing/, the runtime's gate) into the
// bundled server: packages the sources load lazily (`createRequire`) must be in the bundle too.
(serverPresent ? test : test.skip)(
  "package: the bundled server explains a test case and runs a test file (code lens commands)",
  async () => {
    await vsix();
    const main = join(work, "installed", "server", "main.js");
    assert.ok(existsSync(main), "the previous test installs the packaged server");
    const shop = join(repoRoot, "test/testing/fixtures/shop");
    const c = new LspClient(["--stdio"], main);
    try {
      await c.initialize(shop);
      const uri = pathToFileURL(join(shop, "explain.test.toml")).href;
      const body = readFileSync(join(shop, "explain.test.toml"), "utf8");
      c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "toml", version: 1, text: body } });
      const e = await c.request(
        "workspace/executeCommand",
        { command: "symbiont.explain", arguments: [{ uri, line: 18 }] },
        60_000,
      );
      assert.ok(e.ok, JSON.stringify(e));
      assert.ok(e.text.includes("unknown — `user.role` is not given"), e.text);
      const t = await c.request(
        "workspace/executeCommand",
        { command: "symbiont.runTests", arguments: [{ uri }] },
        60_000,
      );
      assert.equal([t.passed, t.failed, t.problems], [6, 0, 0], JSON.stringify(t));
    } finally {
      await c.shutdown();
    }
  },
);

test("cleanup", () => {
  rmSync(work, { recursive: true, force: true });
});

test.run();
