/**
 * The prettier plugin as editors and the prettier CLI load it: its exported shape, parser
 * inference from the file extension, the house-style defaults, located syntax errors, and a run
 * of the real prettier CLI with the plugin. `symbic fmt` goes through the same plugin, so the
 * outputs must agree.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as prettier from "prettier";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import plugin, { languages, parsers, printers, defaultOptions } from "../../compiler/format/plugin.js";
import { VISITOR_KEYS } from "../../grammar/visit.js";
import { REPO, corpusAgents } from "../helpers/corpus.js";
import { fmt } from "./helpers.js";

test("exports languages, parsers and printers in prettier's shape", () => {
  assert.is(languages.length, 1);
  assert.is(languages[0]!.name, "Symbiont");
  assert.equal(languages[0]!.parsers, ["symbiont"]);
  assert.equal(languages[0]!.extensions, [".symbi", ".dsl"]);
  const p = parsers.symbiont;
  assert.is(p.astFormat, "symbiont-ast");
  assert.type(p.parse, "function");
  assert.type(p.locStart, "function");
  assert.type(p.locEnd, "function");
  const pr = printers["symbiont-ast"];
  for (const fn of ["print", "printComment", "canAttachComment", "getVisitorKeys"] as const)
    assert.type(pr[fn], "function");
  assert.ok(pr.handleComments, "handleComments");
  assert.equal(pr.getVisitorKeys!({ kind: "Call" } as never, new Set()), [...VISITOR_KEYS.Call]);
  assert.equal(defaultOptions, { printWidth: 100, tabWidth: 4, useTabs: false, endOfLine: "auto" });
  assert.is(plugin.parsers, parsers);
});

test("prettier.format infers the parser from .symbi and .dsl and applies the house style", async () => {
  const text = corpusAgents().find((a) => a.name === "hitl_devops.symbi")!.text;
  const viaPrettier = await prettier.format(text, { filepath: "agents/hitl_devops.symbi", plugins: [plugin] });
  assert.is(viaPrettier, await fmt(text));
  const dsl = await prettier.format("metadata{a:1}", { filepath: "x.dsl", plugins: [plugin] });
  assert.is(dsl, "metadata {\n    a: 1,\n}\n");
});

test("prettier options still apply (a prettier config may override the defaults)", async () => {
  const out = await prettier.format("agent a { with { f(first_argument, second_argument); } }", {
    parser: "symbiont",
    plugins: [plugin],
    printWidth: 30,
    tabWidth: 2,
  });
  assert.is(out, "agent a {\n  with {\n    f(\n      first_argument,\n      second_argument\n    );\n  }\n}\n");
});

test("a syntax error is a SyntaxError with prettier's loc (1-based line and column) and the code", async () => {
  try {
    await prettier.format("agent a {\n    with { let = 1; }\n}\n", { parser: "symbiont", plugins: [plugin] });
    assert.unreachable("should throw");
  } catch (e) {
    const err = e as SyntaxError & { loc?: { start: { line: number; column: number } }; codeFrame?: string };
    assert.instance(err, SyntaxError);
    assert.equal(err.loc?.start, { line: 2, column: 16 });
    assert.match(err.message, /E0010/);
    assert.match(err.message, /\(2:16\)/);
    assert.ok(err.codeFrame, "prettier adds a code frame");
  }
});

test("the prettier CLI with the plugin: formats, --check lists files, reports syntax errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "symbi-prettier-"));
  try {
    const agent = corpusAgents().find((a) => a.name === "nlp_processor.symbi")!.text;
    writeFileSync(join(dir, "nlp.symbi"), agent);
    writeFileSync(join(dir, "bad.symbi"), "agent {\n");
    const prettierBin = join(REPO, "node_modules/prettier/bin/prettier.cjs");
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        [
          "--import",
          import.meta.resolve("tsx"),
          prettierBin,
          "--plugin",
          join(REPO, "compiler/format/plugin.ts"),
          ...args,
        ],
        { cwd: dir, encoding: "utf8", timeout: 60_000 },
      );
    const check = run(["--check", "nlp.symbi"]);
    assert.is(check.status, 1, check.stderr);
    assert.match(check.stderr, /nlp\.symbi/);
    const write = run(["--write", "nlp.symbi"]);
    assert.is(write.status, 0, write.stderr);
    assert.is(readFileSync(join(dir, "nlp.symbi"), "utf8"), await fmt(agent));
    assert.is(run(["--check", "nlp.symbi"]).status, 0, "formatted now");
    const bad = run(["bad.symbi"]);
    assert.is(bad.status, 2);
    assert.match(bad.stderr, /bad\.symbi: SyntaxError: .*\[E0010\].*\(1:7\)/);
    assert.match(bad.stderr, /> 1 \| agent \{/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the prettier CLI and symbic fmt give the same output", async () => {
  const dir = mkdtempSync(join(tmpdir(), "symbi-prettier-"));
  try {
    const agent = corpusAgents().find((a) => a.name === "incident_tracker.symbi")!.text;
    writeFileSync(join(dir, "a.symbi"), agent);
    const prettierBin = join(REPO, "node_modules/prettier/bin/prettier.cjs");
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        import.meta.resolve("tsx"),
        prettierBin,
        "--plugin",
        join(REPO, "compiler/format/plugin.ts"),
        "a.symbi",
      ],
      { cwd: dir, encoding: "utf8", timeout: 60_000 },
    );
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, await fmt(agent));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
