/**
 * The bundled CLIs (scripts/bundle-clis.mjs, `bin` in package.json; issue 13): every command is
 * reachable from symbi's explicit command table, the CLI files never import Cedar's WebAssembly
 * before they switch V8 to Liftoff-only (formats/wasm-tier.ts), their code caches are used when
 * they fit and ignored when they do not (formats/cli-launch.ts), and the bundled CLIs build,
 * check and run the quick start as the compiled modules do.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Metafile } from "esbuild";
import { COMMANDS } from "../../runtime/cli/main.js";
import { generateKeyFiles } from "../../formats/keys.js";
import { cacheVariantFor } from "../../formats/cli-launch.js";
import { codeCacheFindings, codeCacheStatusOf } from "../../runtime/doctor/code-cache.js";
import { REPO } from "../helpers/corpus.js";
import { runCli } from "../helpers/cli.js";
import { bundledClis, type BundledClis } from "../helpers/cli-bundle.js";
import { Worker } from "node:worker_threads";
import { caseToDecide } from "../../testing/run.js";
import { decideCases, WireCases } from "../../testing/parallel.js";
import type { ToWorker, WorkerMessage } from "../../testing/decide-protocol.js";
import { readyShopCases } from "../testing/helpers.js";

const INPUT = '{"name": "Ada", "number": 360}';
const CEDAR = /^@cedar-policy\/cedar-wasm/;
const work = mkdtempSync(join(tmpdir(), "symbi-cli-bundle-"));
let clis: BundledClis;

test.before(async () => {
  clis = await bundledClis();
});

function run(cli: string, args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The external modules an output file reaches through `kind` imports only (transitively through outputs). */
function reached(meta: Metafile, from: string, kinds: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>([from]);
  const external = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const out = meta.outputs[queue.pop()!];
    for (const imp of out?.imports ?? []) {
      if (!kinds.has(imp.kind)) continue;
      if (imp.external) external.add(imp.path);
      else if (!seen.has(imp.path)) {
        seen.add(imp.path);
        queue.push(imp.path);
      }
    }
  }
  return external;
}

function entryOutput(meta: Metafile, name: string): string {
  const out = Object.keys(meta.outputs).find((o) => o.endsWith(`/${name}.cjs`) && meta.outputs[o]!.entryPoint);
  assert.ok(out, `an entry output ${name}.cjs`);
  return out!;
}

test("symbi's command table names exactly the modules in runtime/cli/commands", () => {
  const files = readdirSync(join(REPO, "runtime/cli/commands"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -3))
    .sort();
  assert.equal(Object.keys(COMMANDS).sort(), files);
  for (const [name, load] of Object.entries(COMMANDS))
    assert.match(load.toString(), `./commands/${name}.js`, `${name} loads its own module`);
});

test("symbic's command table names exactly the modules in compiler/cli/commands", () => {
  const text = readFileSync(join(REPO, "compiler/cli/main.ts"), "utf8");
  const listed = [...text.matchAll(/\["([a-z-]+)", async \(\) => \(await import\("\.\/commands\/([a-z-]+)\.js"\)\)/g)];
  for (const m of listed) assert.is(m[1], m[2], "a command's name is its module's name");
  const files = readdirSync(join(REPO, "compiler/cli/commands"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -3))
    .sort();
  assert.equal(listed.map((m) => m[1]).sort(), files);
});

test("no module imports cedar-wasm: the binding is required on the first Cedar call, after the Liftoff switch", () => {
  // formats/cedar-wasm.ts loads it on first use: compiling Cedar is paid by runs that call it,
  // after the CLIs switched V8 to Liftoff-only (formats/wasm-tier.ts).
  const imports = new Set(["import-statement", "dynamic-import"]);
  const all = new Set(["import-statement", "dynamic-import", "require-call"]);
  for (const name of ["symbi", "symbic"] as const) {
    const meta = clis.metafiles[name];
    const entry = entryOutput(meta, name);
    const imported = [...reached(meta, entry, imports)].filter((p) => CEDAR.test(p));
    assert.equal(imported, [], `${name}: Cedar would compile when a module is loaded`);
    // The control: Cedar is loaded, by a require in a command's chunk (so the check above looks at real edges).
    assert.ok(
      [...reached(meta, entry, all)].some((p) => CEDAR.test(p)),
      `${name}: a command loads cedar-wasm`,
    );
  }
});

test("every package a bundled CLI requires on first use resolves from where the bundle is", () => {
  const outputs = readdirSync(clis.dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.c?js$/.test(f));
  const required = new Map<string, string>();
  for (const f of outputs)
    for (const m of readFileSync(join(clis.dir, f), "utf8").matchAll(/\b(?:__)?require\("([^"]+)"\)/g))
      if (!m[1]!.startsWith("node:")) required.set(m[1]!, f);
  // The control: the packages the sources load on first use from node_modules are among them (csv, XML, YAML, Cedar).
  for (const pkg of ["csv-parse/sync", "fast-xml-parser", "yaml", "@cedar-policy/cedar-wasm/nodejs"])
    assert.ok(required.has(pkg), pkg);
  for (const [pkg, f] of required) {
    const from = createRequire(join(clis.dir, f));
    assert.ok(from.resolve(pkg), `${pkg}, required by ${f}`);
  }
});

test("bundled symbic's worker thread decides policy cases as the main thread does", async () => {
  // testing/parallel.ts starts the worker beside itself: in the bundled CLI, beside its entry file.
  const file = join(clis.dir, "decide-worker.js");
  assert.ok(readFileSync(join(clis.dir, "symbic.cjs"), "utf8").includes("./decide-worker"), "symbic starts it");
  const { dir, ready } = readyShopCases(30);
  try {
    const cases = ready.map(caseToDecide);
    const serial = await decideCases(cases, undefined);
    const wire = new WireCases();
    const chunks = Math.ceil(cases.length / 64);
    const decided: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const w = new Worker(file);
      let answered = 0;
      let sent = { gates: 0, contracts: 0 };
      w.on("message", (m: WorkerMessage) => {
        if (m.kind === "ready") {
          for (let i = 0; i < chunks; i++) {
            // Each chunk carries the gates and contracts first named in it (parallel.ts).
            const work = wire.chunk(cases.slice(i * 64, (i + 1) * 64));
            const gates = wire.gates.slice(sent.gates);
            const contracts = wire.contracts.slice(sent.contracts);
            sent = { gates: wire.gates.length, contracts: wire.contracts.length };
            w.postMessage({ kind: "work", index: i, cases: work, gates, contracts } satisfies ToWorker);
          }
          return;
        }
        m.decided.forEach((d, j) => (decided[m.index * 64 + j] = d?.out));
        if (++answered === chunks) void w.terminate().then(() => resolve());
      });
      w.on("error", reject);
      w.postMessage({ kind: "gates", policies: [cases[0]!.policies] } satisfies ToWorker);
    });
    assert.equal(decided.length, cases.length);
    assert.equal(
      decided,
      serial.decided.map((d) => d.out),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the build's code caches are used by a run of this Node", () => {
  // The build ran each CLI once and kept what V8 compiled (scripts/bundle-clis.mjs); a run sets
  // the same V8 flags before compiling, so V8 accepts the cache (formats/cli-launch.ts).
  assert.is(codeCacheStatusOf(clis.dir, "symbi", "default"), "accepted");
  assert.is(codeCacheStatusOf(clis.dir, "symbi", "from-source"), "accepted");
  assert.is(codeCacheStatusOf(clis.dir, "symbic", "default"), "accepted");
  // A bundle run's cache holds no compiler: it is the smaller one.
  const size = (f: string) => readFileSync(join(clis.dir, f)).length;
  assert.ok(size("symbi.cjs.cache") < size("symbi.cjs.from-source.cache"));
});

test("an install missing its CLI file says so and exits 1, without a stack trace", () => {
  const copy = mkdtempSync(join(REPO, ".tmp", "cli-missing-"));
  try {
    cpSync(clis.dir, copy, { recursive: true });
    rmSync(join(copy, "symbi.cjs"));
    const r = run(join(copy, "symbi.js"), ["--version"]);
    assert.is(r.status, 1);
    assert.match(
      r.stderr,
      /^symbi: error: the installed CLI is incomplete: ENOENT reading symbi\.cjs beside .*; rebuild it \(npm run build\)\n$/,
    );
    assert.is(r.stdout, "");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test("symbi doctor says whether the code caches are used, and why one is not", () => {
  assert.equal(
    codeCacheFindings(clis.dir).map((f) => f.status),
    ["ok"],
  );
  assert.equal(
    codeCacheFindings(undefined).map((f) => f.status),
    ["skip"],
    "not the bundled CLIs",
  );
  const copy = mkdtempSync(join(REPO, ".tmp", "cli-doctor-"));
  try {
    cpSync(clis.dir, copy, { recursive: true });
    const cache = readFileSync(join(copy, "symbi.cjs.from-source.cache"));
    writeFileSync(join(copy, "symbi.cjs.from-source.cache"), cache.subarray(0, cache.length >> 1));
    rmSync(join(copy, "symbic.cjs.cache"));
    const [f, ...more] = codeCacheFindings(copy);
    assert.equal(more, []);
    assert.is(f!.status, "warn");
    assert.match(f!.detail, "symbi (runs of a .symbi file): refused by V8");
    assert.match(f!.detail, "symbic: missing");
    assert.not.match(f!.detail, "built bundle", "the cache that is used is not named");
    assert.match(f!.fix ?? "", "npm run build");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test("a command line naming a .symbi file takes symbi's cache from a .symbi run; others the default", () => {
  assert.is(cacheVariantFor("symbi", ["exec", "agents/a.symbi", "--input", "{}"]), "from-source");
  assert.is(cacheVariantFor("symbi", ["exec", "build/a", "--trust", "k.pub"]), "default");
  assert.is(cacheVariantFor("symbi", ["audit", "verify", "audit.log"]), "default");
  assert.is(cacheVariantFor("symbic", ["check", "agents/a.symbi"]), "default");
});

test("a code cache made from another source text, damaged or missing is not used, and the CLI still runs", () => {
  const copy = mkdtempSync(join(REPO, ".tmp", "cli-cache-"));
  try {
    cpSync(clis.dir, copy, { recursive: true });
    const cli = join(copy, "symbi.cjs");
    const runs = () => {
      const r = run(join(copy, "symbi.js"), ["exec", join(REPO, "examples/quickstart/agent.symbi"), "--input", INPUT]);
      assert.is(r.status, 0, r.stderr);
      assert.is((JSON.parse(r.stdout) as Record<string, string>).greeting, "Hello, Ada!");
    };
    // The same length, another text: V8 alone would take the cache (it checks only the length).
    const text = readFileSync(cli, "utf8");
    writeFileSync(cli, text.replace("///usr/bin/env node", "//ssr/bin/env nodex"));
    assert.is(readFileSync(cli).length, Buffer.byteLength(text));
    assert.is(codeCacheStatusOf(copy, "symbi", "default"), "stale");
    runs();
    writeFileSync(cli, text);
    assert.is(codeCacheStatusOf(copy, "symbi", "default"), "accepted", "the control: the original text takes it");
    // Damaged: its header is not ours.
    const cache = readFileSync(`${cli}.cache`);
    writeFileSync(`${cli}.cache`, Buffer.concat([Buffer.from("x"), cache]));
    assert.is(codeCacheStatusOf(copy, "symbi", "default"), "none");
    runs();
    // Our header, V8's data cut short: V8 rejects it.
    writeFileSync(`${cli}.cache`, cache.subarray(0, cache.length >> 1));
    assert.is(codeCacheStatusOf(copy, "symbi", "default"), "rejected");
    runs();
    rmSync(`${cli}.cache`);
    assert.is(codeCacheStatusOf(copy, "symbi", "default"), "none");
    runs();
    appendFileSync(`${cli}.cache`, "");
    assert.is(codeCacheStatusOf(copy, "symbi", "default"), "none", "an empty file");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test("the bundled CLIs print the package's version", () => {
  const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
  assert.is(run(clis.symbi, ["--version"]).stdout.trim(), version);
  assert.is(run(clis.symbic, ["--version"]).stdout.trim(), version);
});

test("a CLI's one file run directly (node symbi.cjs) runs too, without the code cache", () => {
  // symbi runs its main only when it was invoked directly: the file itself counts.
  const exec = run(join(clis.dir, "symbi.cjs"), [
    "exec",
    join(REPO, "examples/quickstart/agent.symbi"),
    "--input",
    INPUT,
  ]);
  assert.is(exec.status, 0, exec.stderr);
  assert.is((JSON.parse(exec.stdout) as Record<string, string>).greeting, "Hello, Ada!");
  assert.match(run(join(clis.dir, "symbic.cjs"), ["--version"]).stdout, /^\d+\.\d+\.\d+/);
});

test("the bundled CLIs check, build, sign and run the quick start", () => {
  const quick = join(REPO, "examples/quickstart");
  const check = run(clis.symbic, ["check", quick]);
  assert.is(check.status, 0, check.stderr);
  const key = join(work, "release.key");
  generateKeyFiles(key);
  const build = run(clis.symbic, ["build", quick, "--out", join(work, "build"), "--sign", key]);
  assert.is(build.status, 0, build.stderr);
  const exec = run(clis.symbi, ["exec", join(work, "build/quickstart"), "--trust", `${key}.pub`, "--input", INPUT]);
  assert.is(exec.status, 0, exec.stderr);
  const out = JSON.parse(exec.stdout) as Record<string, string>;
  assert.is(out.greeting, "Hello, Ada!");
  assert.is(out.denied_by, "quickstart.tools.2");
  // A .symbi target runs the compiler (its modules, in the same file).
  const direct = run(clis.symbi, ["exec", join(quick, "agent.symbi"), "--input", INPUT]);
  assert.is(direct.status, 0, direct.stderr);
  assert.equal(JSON.parse(direct.stdout), out);
});

test("the bundled CLIs report errors as the CLIs run from sources do", () => {
  for (const [cli, bundled, args] of [
    ["symbi", clis.symbi, ["exec", join(work, "no-such-bundle")]],
    ["symbic", clis.symbic, ["check", join(work, "no-such-file.symbi")]],
    ["symbi", clis.symbi, ["no-such-command"]],
  ] as const) {
    const got = run(bundled, [...args]);
    const want = runCli(cli, [...args], { cwd: work });
    assert.is(got.status, want.status, `${cli} ${args.join(" ")}`);
    assert.ok(got.status !== 0);
    assert.is(got.stderr, want.stderr);
  }
});

test.after(() => {
  clis?.remove();
  rmSync(work, { recursive: true, force: true });
});

test.run();
