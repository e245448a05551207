/**
 * Conformance: the 15 agents of the reference corpus (read from ../shared, as they are), checked
 * as a project with the tool contracts, types and helper functions this team wrote for them
 * (test/fixtures/reference-project). `symbic check` must report exactly the diagnostics in
 * expected-diagnostics.json: zero for the agents that are sound, and the genuine errors of the
 * ones that are not (each explained in the fixture's README). Regenerate the file after a
 * deliberate change with UPDATE_EXPECTED=1 (and review the diff).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { checkFiles } from "../../compiler/pipeline/check-files.js";
import { corpusMissing, referenceProject, REPO } from "../helpers/corpus.js";

const EXPECTED = join(REPO, "test/fixtures/reference-project/expected-diagnostics.json");
const project = referenceProject();
const ctest = project ? test : test.skip;
if (corpusMissing) console.log(`  conformance tests skipped: ${corpusMissing}`);

interface Row {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  code: string;
  message: string;
}

let rows: Row[] | undefined;
function run(): Row[] {
  if (rows) return rows;
  const r = checkFiles([project!]);
  return (rows = r.diagnostics.map((d) => ({
    file: relative(project!, d.file),
    line: d.span.line,
    col: d.span.col,
    endLine: d.span.endLine,
    endCol: d.span.endCol,
    code: d.code,
    message: d.message,
  })));
}

ctest("check reports exactly the expected diagnostics", () => {
  const rows = run();
  if (process.env["UPDATE_EXPECTED"])
    writeFileSync(EXPECTED, "[\n" + rows.map((r) => "  " + JSON.stringify(r)).join(",\n") + "\n]\n");
  const expected = JSON.parse(readFileSync(EXPECTED, "utf8")) as Row[];
  assert.equal(rows, expected);
});

ctest("every file outside agents/ (types, helper functions, contracts) is clean", () => {
  assert.equal(
    run().filter((r) => !r.file.startsWith("agents/")),
    [],
  );
});

ctest("the sound agents have no errors", () => {
  const errorsByFile = new Map<string, number>();
  for (const d of run()) if (d.code.startsWith("E")) errorsByFile.set(d.file, (errorsByFile.get(d.file) ?? 0) + 1);
  for (const n of ["webhook_handler"]) assert.is(errorsByFile.get(`agents/${n}.symbi`), undefined, n);
});

test.run();
