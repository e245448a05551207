/**
 * Issue 11, item 16: `symbic check` on hostile sources — no crash, bounded output, linear
 * recovery — and a checker failure on one file never costs the project its other diagnostics.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Project } from "../../compiler/check/index.js";
import { MAX_DIAGNOSTICS_PER_FILE, parseText, type Program } from "../../grammar/index.js";
import { summaryLine } from "../../compiler/diagnostics/render.js";
import { runCli } from "../helpers/cli.js";
import { checkSource, codes, show } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "symbi-cap-"));
function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmp, "p-"));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

test("item 16: `type S = { a }` is a located syntax error, not a checker crash", () => {
  const r = checkSource("type S = { a }\ntype T = S\nagent x(s: S, t: T) { with { let y = s.a; } }\n");
  assert.equal(codes(r), ["E0010"], show(r.diagnostics));
  assert.equal([r.diagnostics[0]!.span.line, r.diagnostics[0]!.span.col], [1, 14]);
  const cli = runCli("symbic", ["check", file("s.symbi", "type S = { a }\n")]);
  assert.is(cli.status, 3, cli.stderr);
  assert.match(cli.stderr, /s\.symbi:1:14: error\[E0010\]/);
  assert.not.match(cli.stderr, /internal error/);
});

test("item 16: 10 KB and 50 KB of `}` give one error each and a few lines of output", () => {
  for (const n of [10_000, 50_000]) {
    const r = runCli("symbic", ["check", file("b.symbi", "}".repeat(n) + "\n")]);
    assert.is(r.status, 3, r.stderr.slice(0, 500));
    assert.is(r.stderr.match(/error\[E0014\]/g)?.length, 1, r.stderr.slice(0, 500));
    assert.ok(r.stderr.length < 2000, `${r.stderr.length} bytes of output`);
  }
});

test("item 16: 250 KB of `}` (125k errors before the fix) in every output format: no stack overflow", () => {
  const f = file("b.symbi", "}".repeat(250_000));
  for (const format of ["pretty", "json", "sarif", "github"]) {
    const r = runCli("symbic", ["check", "--format", format, f]);
    assert.is(r.status, 3, `${format}: ${r.stderr.slice(0, 300)}`);
    assert.ok(r.stdout.length + r.stderr.length < 20_000, format);
  }
});

test("item 16: more than the cap: the first ones and one E0009 that counts the rest (exit 3)", () => {
  const n = 150;
  const body = Array.from({ length: n }, (_, i) => `    let v${i} = missing${i};`).join("\n");
  const src = `agent a() {\n    with sandbox = "Tier1" {\n${body}\n    }\n}\n`;
  const r = checkSource(src);
  assert.is(r.diagnostics.length, MAX_DIAGNOSTICS_PER_FILE + 1);
  const last = r.diagnostics[r.diagnostics.length - 1]!;
  assert.is(last.code, "E0009");
  assert.is(last.severity, "error");
  const shownErrors = r.diagnostics.filter((d) => d.code !== "E0009").length;
  assert.is(last.omitted, n * 2 - shownErrors, show([last])); // each line: unknown name + unused variable
  assert.match(last.message, `${last.omitted} more diagnostics in this file not shown`);
  // Kept in source order: the first lines are reported, the summary is last.
  assert.is(r.diagnostics[0]!.span.line, 3);
  assert.match(summaryLine(r.diagnostics, 1), `(and ${last.omitted} more not shown)`);
});

test("item 16: errors past the cap keep the file failing even when the kept ones are warnings", () => {
  const unused = Array.from({ length: 120 }, (_, i) => `    let w${i} = 1;`).join("\n");
  const r = checkSource(`agent a() {\n    with {\n${unused}\n        let z = nope;\n    }\n}\n`);
  const summary = r.diagnostics.at(-1)!;
  assert.ok(
    r.diagnostics.slice(0, -1).every((d) => d.severity === "warning"),
    show(r.diagnostics.slice(0, 3)),
  );
  assert.is(summary.code, "E0009");
  assert.is(summary.severity, "error");
  const warnings = checkSource(`agent a() {\n    with {\n${unused}\n    }\n}\n`);
  assert.is(warnings.diagnostics.at(-1)!.code, "W0009");
  assert.is(warnings.diagnostics.at(-1)!.severity, "warning");
});

test("item 16: recovery is bounded — 16,000 statements without `;` stop after 1000 errors, with a note", () => {
  const text = "agent a { with { " + "let x = 1 ".repeat(16_000) + "} }";
  const r = parseText(text, "x.symbi");
  assert.is(r.diagnostics.length, MAX_DIAGNOSTICS_PER_FILE + 1);
  const summary = r.diagnostics.at(-1)!;
  assert.is(summary.code, "E0009");
  assert.match(summary.notes?.join() ?? "", /parsing stopped at 1:\d+ after too many syntax errors/);
  // The project re-caps the parser's list without losing the parser's count or note.
  const checked = checkSource(text);
  const again = checked.diagnostics.at(-1)!;
  assert.is(again.code, "E0009");
  assert.ok(again.omitted! >= summary.omitted!);
  assert.equal(again.notes, summary.notes);
});

/** A project whose `bad.symbi` the parser handed over as a malformed tree (a parser bug). */
function projectWithMalformedTree(mangle: (p: Program) => void): Project {
  const p = new Project("/proj", { loadContractsFromDisk: false });
  p.setFile("/proj/good.symbi", "agent good() {\n    with {\n        let y = undefined_name;\n    }\n}\n");
  p.setFile("/proj/bad.symbi", "type S = { a: int }\nagent bad() { with { let q = 1; } }\n");
  const parse = parseText("type S = { a: int }\nagent bad() { with { let q = 1; } }\n", "/proj/bad.symbi");
  mangle(parse.program);
  // Project keeps its parse per file; hand it the malformed one as the parser would have.
  (p as unknown as { sources: Map<string, { text: string; parse?: unknown }> }).sources.get("/proj/bad.symbi")!.parse =
    parse;
  return p;
}

test("item 16: a checker failure in one file's bodies is E0900 there; the other files keep their diagnostics", () => {
  const p = projectWithMalformedTree((prog) => {
    const agent = prog.items[1] as unknown as { members: unknown[] };
    agent.members = [{ kind: "With", settings: null, body: null, span: prog.items[1]!.span }];
  });
  const r = p.check();
  assert.equal(
    r.diagnostics.map((d) => `${d.file.split("/").pop()} ${d.code}`),
    ["bad.symbi E0900", "good.symbi W0402", "good.symbi W0100", "good.symbi E0100"],
    show(r.diagnostics),
  );
});

test("item 16: a checker failure in the declaration pass is blamed on its file; the others are checked", () => {
  const p = projectWithMalformedTree((prog) => {
    (prog.items[0] as unknown as { definition: unknown }).definition = undefined;
  });
  const r = p.check();
  const byFile = (f: string) => r.diagnostics.filter((d) => d.file.endsWith(f)).map((d) => d.code);
  assert.equal(byFile("bad.symbi"), ["E0900"], show(r.diagnostics));
  assert.ok(byFile("good.symbi").length > 0, show(r.diagnostics));
});

test.run();
