/**
 * Conformance: examples/reference-agents holds the 15 corpus agents byte-identical, with the tool
 * contracts, types and helper functions they need. `symbic check examples/reference-agents` must
 * report exactly the diagnostics in expected-diagnostics.json: zero for the agents that are
 * sound, and the genuine errors of the ones that are not (each explained in the README).
 * Regenerate the file after a deliberate change with UPDATE_EXPECTED=1 (and review the diff).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { checkFiles } from "../../compiler/pipeline/check-files.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE = join(ROOT, "examples/reference-agents");
const CORPUS = "/work/shared/corpus/reference/agents";
const EXPECTED = join(EXAMPLE, "expected-diagnostics.json");

interface Row {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  code: string;
  message: string;
}

function run(): Row[] {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const r = checkFiles(["examples/reference-agents"]);
    return r.diagnostics.map((d) => ({
      file: relative("examples/reference-agents", d.file),
      line: d.span.line,
      col: d.span.col,
      endLine: d.span.endLine,
      endCol: d.span.endCol,
      code: d.code,
      message: d.message,
    }));
  } finally {
    process.chdir(cwd);
  }
}

test("the 15 corpus agents are byte-identical copies", () => {
  const names = readdirSync(join(EXAMPLE, "agents"))
    .filter((f) => f.endsWith(".symbi"))
    .sort();
  assert.is(names.length, 15);
  let corpus: string[] | undefined;
  try {
    corpus = readdirSync(CORPUS)
      .filter((f) => f.endsWith(".symbi"))
      .sort();
  } catch {
    corpus = undefined; // the shared corpus is not mounted: compare what we can
  }
  if (corpus) {
    assert.equal(names, corpus);
    for (const n of names)
      assert.ok(
        readFileSync(join(EXAMPLE, "agents", n)).equals(readFileSync(join(CORPUS, n))),
        `${n} differs from the corpus`,
      );
  }
});

test("check reports exactly the expected diagnostics", () => {
  const rows = run();
  if (process.env["UPDATE_EXPECTED"])
    writeFileSync(EXPECTED, "[\n" + rows.map((r) => "  " + JSON.stringify(r)).join(",\n") + "\n]\n");
  const expected = JSON.parse(readFileSync(EXPECTED, "utf8")) as Row[];
  assert.equal(rows, expected);
});

test("every file outside agents/ (types, helper functions, contracts) is clean", () => {
  const rows = run().filter((r) => !r.file.startsWith("agents/"));
  assert.equal(rows, []);
});

test("the sound agents have no errors", () => {
  const errorsByFile = new Map<string, number>();
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    for (const d of checkFiles(["examples/reference-agents"]).diagnostics)
      if (d.severity === "error") errorsByFile.set(d.file, (errorsByFile.get(d.file) ?? 0) + 1);
  } finally {
    process.chdir(cwd);
  }
  for (const n of ["code_reviewer", "data_validator", "incident_tracker", "knowledge_curator", "webhook_handler"]) {
    assert.is(errorsByFile.get(`examples/reference-agents/agents/${n}.symbi`), undefined, n);
  }
});

test.run();
