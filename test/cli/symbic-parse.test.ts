/** `symbic parse` / `symbic check` from the command line: exit codes, output formats, errors. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { CORPUS, corpusMissing } from "../helpers/corpus.js";

const dir = mkdtempSync(join(tmpdir(), "symbic-cli-"));
const good = join(dir, "good.symbi");
const bad = join(dir, "bad.symbi");
writeFileSync(good, "agent a {\n    with {\n        let x = 1;\n    }\n}\n");
writeFileSync(bad, "agent a {\n    with {\n        let x = 1\n        log(x);\n        let y = ;\n    }\n}\n");

test("parse: a valid file exits 0 and prints nothing", () => {
  const r = runCli("symbic", ["parse", good]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, "");
  assert.is(r.stderr, "");
});

test("parse: an invalid file exits 3 with every error, located, with excerpt, caret and hint", () => {
  const r = runCli("symbic", ["parse", "bad.symbi"], { cwd: dir });
  assert.is(r.status, 3);
  assert.match(r.stderr, "bad.symbi:3:18: error[E0011]: expected `;` after `let` statement, found `log`");
  assert.match(r.stderr, "3 |         let x = 1\n  |                  ^");
  assert.match(r.stderr, "help: add `;` at the end of the `let` statement");
  assert.match(r.stderr, /bad\.symbi:5:\d+: error\[E0010\]/);
  assert.match(r.stderr, "1 file checked: 2 errors, 0 warnings");
});

test("parse --format json prints the AST", () => {
  const r = runCli("symbic", ["parse", "--format", "json", good]);
  assert.is(r.status, 0);
  const out = JSON.parse(r.stdout);
  assert.is(out.ast.kind, "Program");
  assert.is(out.ast.items[0].kind, "Agent");
  assert.equal(out.diagnostics, []);
});

test("check: the corpus folder is clean (syntax), sarif and github formats", () => {
  const r = runCli("symbic", ["check", "--format", "sarif", bad]);
  assert.is(r.status, 3);
  const sarif = JSON.parse(r.stdout);
  assert.is(sarif.version, "2.1.0");
  // Warnings of the parts that parse are reported too (compiler/check/recovery.ts): find the error.
  const err = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === "E0011");
  assert.ok(err, JSON.stringify(sarif.runs[0].results));
  assert.is(err.locations[0].physicalLocation.region.startLine, 3);
  const g = runCli("symbic", ["check", "--format", "github", bad]);
  assert.match(g.stdout, /^::error file=.*bad\.symbi,line=3,col=18,/m);
});

test("usage and I/O errors exit 1 with one line", () => {
  const missing = runCli("symbic", ["parse", join(dir, "missing.symbi")]);
  assert.is(missing.status, 1);
  assert.match(missing.stderr, "no such file or directory");
  assert.not.match(missing.stderr, "    at ");
  const fmt = runCli("symbic", ["check", "--format", "xml", good]);
  assert.is(fmt.status, 1);
  assert.match(fmt.stderr, "unknown --format 'xml'");
  const unknown = runCli("symbic", ["frobnicate"]);
  assert.is(unknown.status, 1);
});

test("--help and --version exit 0", () => {
  const h = runCli("symbic", ["--help"]);
  assert.is(h.status, 0);
  assert.match(h.stdout, "parse");
  assert.match(h.stdout, "check");
  assert.is(runCli("symbic", ["--version"]).status, 0);
});

(corpusMissing ? test.skip : test)("parse accepts folders (.symbi and .dsl) and the invalid samples fail", () => {
  const r = runCli("symbic", ["parse", join(CORPUS, "samples")]);
  assert.is(r.status, 3);
  assert.match(r.stderr, "invalid_missing_brace.dsl");
  assert.not.match(r.stderr, "valid_agent_definition.dsl:");
});

test.run();
