/**
 * What `symbi exec` loads (issue 13, "load only what the run uses"): the CLI runs from sources
 * with a module tracer — a loader hook that writes down every ES module loaded, and at exit every
 * CommonJS module in the require cache — and the test fails if a heavy module the run does not use
 * was loaded. A built bundle in the process tier loads no compiler front end, no Docker client, no
 * pod or egress client, no model SDK and no parser library its tools do not need; a `.symbi`
 * target loads the compiler (the control that shows the tracer sees what is loaded).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateKeyFiles } from "../../formats/keys.js";
import { REPO } from "../helpers/corpus.js";
import { runCli } from "../helpers/cli.js";
import { bundledClis } from "../helpers/cli-bundle.js";

const TSX = import.meta.resolve("tsx");
const work = mkdtempSync(join(tmpdir(), "symbi-startup-imports-"));
const INPUT = '{"name": "Ada", "number": 360}';

/** Modules a run of a built bundle in the process tier must not load, each with why it is heavy. */
const NOT_ON_THE_BUNDLE_PATH: ReadonlyArray<[RegExp, string]> = [
  [/\/node_modules\/(dockerode|docker-modem|ssh2|@grpc|protobufjs)\//, "the Docker client (container tiers only)"],
  [/\/runtime\/sandbox\/(docker-driver|tool-host\/)/, "a container tier's driver"],
  [/\/runtime\/egress\//, "the egress relay (Kubernetes pods only)"],
  [/\/node_modules\/(openai|@anthropic-ai)\//, "a model provider's SDK (first model call only)"],
  [/\/runtime\/model\/(openai|anthropic)\.[jt]s$/, "a model provider's client (first model call only)"],
  [/\/compiler\/(check|emit|policy|format|pipeline)\//, "the compiler (a .symbi target only)"],
  [/\/grammar\/(parser|lexer|scanner|chevrotain)\.[jt]s$/, "the parser (a .symbi target only)"],
  [/\/node_modules\/(chevrotain|typescript|prettier)\//, "a compiler or formatter library"],
  [/\/node_modules\/(fast-xml-parser|csv-parse|re2js)\//, "a parser the quick start's tools and code do not use"],
  [
    /\/node_modules\/(smol-toml|toml-eslint-parser)\//,
    "a TOML parser (a bundle's contracts are precompiled: contracts.json; no configuration file here)",
  ],
  [
    /\/node_modules\/(@modelcontextprotocol|zod|zod-to-json-schema)\//,
    "the MCP SDK (a run that reaches an MCP server only)",
  ],
  [/\/runtime\/mcp\/(connection|servers)\.[jt]s$/, "the MCP client (a run that reaches an MCP server only)"],
  [/\/schemapin\/(verify|resolvers|https-fetch)\.[jt]s$/, "SchemaPin verification (a signed MCP tool or skill only)"],
  [/\/node_modules\/yaml\//, "the YAML parser (pinned skills and Kubernetes manifests only)"],
  [/^node:(tls|https)$/, "Node's TLS stack (an HTTPS connection, or [security] tls_min_version)"],
];

// The tracer: an ES module loader hook (it runs on the loader thread and appends each URL to the
// trace file) and, at exit, the CommonJS modules in the require cache (createRequire'd packages).
const hooks = join(work, "trace-hooks.mjs");
writeFileSync(
  hooks,
  `import { appendFileSync } from "node:fs";
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, next) { appendFileSync(file, url + "\\n"); return next(url, context); }
`,
);
const preload = join(work, "trace.mjs");
writeFileSync(
  preload,
  `import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
const file = process.env.SYMBI_TRACE_FILE;
register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { file } });
process.on("exit", () => appendFileSync(file, Object.keys(createRequire(import.meta.url).cache).join("\\n") + "\\n"));
`,
);

/** Runs the symbi CLI (from sources, or `cli`: symbic, a bundled one) with the tracer; returns the loaded modules' paths. */
function traced(args: string[], cli = join(REPO, "runtime/cli/main.ts"), env: Record<string, string> = {}): string[] {
  const file = join(work, `trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, "");
  const r = spawnSync(process.execPath, ["--import", TSX, "--import", pathToFileURL(preload).href, cli, ...args], {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", SYMBI_TRACE_FILE: file, ...env },
    timeout: 120_000,
  });
  assert.is(r.status, 0, `${cli} ${args.join(" ")}: ${r.stderr}`);
  if (args[0] === "exec") assert.match(r.stdout, /"greeting": "Hello, Ada!"/);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (l.startsWith("file:") ? decodeURIComponent(new URL(l).pathname) : l));
}

function heavy(loaded: readonly string[]): string[] {
  const found: string[] = [];
  for (const [pattern, why] of NOT_ON_THE_BUNDLE_PATH) {
    const hit = loaded.find((m) => pattern.test(m));
    if (hit) found.push(`${hit.replace(REPO, "")}: ${why}`);
  }
  return found;
}

test("symbi exec BUNDLE in the process tier loads no compiler, Docker client, model SDK or unused parser", () => {
  const key = join(work, "release.key");
  generateKeyFiles(key);
  const build = runCli("symbic", [
    "build",
    join(REPO, "examples/quickstart"),
    "--out",
    join(work, "build"),
    "--sign",
    key,
  ]);
  assert.is(build.status, 0, build.stderr);
  const loaded = traced(["exec", join(work, "build/quickstart"), "--trust", `${key}.pub`, "--input", INPUT]);
  assert.ok(
    loaded.some((m) => /\/runtime\/exec\/run\.[jt]s$/.test(m)),
    "the tracer sees the runtime's modules",
  );
  assert.equal(heavy(loaded), []);
});

test("the bundled symbi (dist/cli) running the bundle evaluates none of them either, by V8's coverage of its file", async () => {
  const clis = await bundledClis();
  const coverage = mkdtempSync(join(work, "coverage-"));
  try {
    const key = join(work, "release.key");
    const files = traced(
      ["exec", join(work, "build/quickstart"), "--trust", `${key}.pub`, "--input", INPUT],
      clis.symbi,
      { NODE_V8_COVERAGE: coverage },
    );
    // The CLI's one file holds every module; the coverage tells which of them the run evaluated.
    const cli = join(clis.dir, "symbi.cjs");
    const loaded = [...files.filter((f) => !f.startsWith(clis.dir)), ...clis.sourcesRun(cli, coverage)];
    assert.ok(
      loaded.some((m) => /\/runtime\/exec\/run\.[jt]s$/.test(m)),
      "the run's sources are found from its coverage",
    );
    // The control: the bundle holds the compiler, which this run did not evaluate.
    assert.ok(
      clis.sourcesOf(cli).some((m) => /\/compiler\/emit\//.test(m)),
      "the CLI's file holds the compiler",
    );
    assert.equal(heavy(loaded), []);
  } finally {
    clis.remove();
  }
});

test("symbi exec agent.symbi loads the compiler, and still no Docker client or model SDK", () => {
  const loaded = traced(["exec", join(REPO, "examples/quickstart/agent.symbi"), "--input", INPUT]);
  assert.ok(
    loaded.some((m) => /\/compiler\/emit\//.test(m)),
    "the tracer sees the compiler",
  );
  assert.equal(
    heavy(loaded).filter((h) => !/compiler|parser|chevrotain/.test(h)),
    [],
  );
});

test("symbic check of the quick start loads no YAML parser, MCP schema dialects, Docker client or model SDK", () => {
  const loaded = traced(["check", join(REPO, "examples/quickstart")], join(REPO, "compiler/cli/main.ts"));
  assert.ok(
    loaded.some((m) => /\/compiler\/check\//.test(m)),
    "the tracer sees the checker",
  );
  // The quick start: process tier (no Kubernetes manifests to write), no skills, no MCP tools.
  const unused: Array<[RegExp, string]> = [
    [/\/node_modules\/yaml\//, "the YAML parser (skills and Kubernetes manifests only)"],
    [/\/node_modules\/ajv\/dist\/(2019|2020)\.js$/, "the MCP schema dialects (MCP tools only)"],
    [/\/node_modules\/(dockerode|@modelcontextprotocol|openai|@anthropic-ai)\//, "a runtime client"],
  ];
  assert.equal(
    unused
      .flatMap(([pattern, why]) => loaded.filter((m) => pattern.test(m)).map((m) => `${m.replace(REPO, "")}: ${why}`))
      .slice(0, 3),
    [],
  );
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
