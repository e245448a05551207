/**
 * "Run tests" in the editor: the test files of an agent (or one test file) run by `symbic
 * test`'s own code (testing/run.ts `runTests`, loaded on first use), in the server's process.
 * Each failing case or agent test becomes a diagnostic at its place in the test file, and the
 * problems that stop a run (E1000–E1010 in a test file) are diagnostics there too; the counts go
 * back to the caller. Like the command, the run reads the saved files.
 */
import { resolve } from "node:path";
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { CaseResult, TestRunResult } from "../../testing/run.js";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { LineMap } from "../../grammar/span.js";
import { pathToUri, canonicalUri } from "../core/uri.js";
import { isTestFilePath } from "../core/test-files.js";
import { toLspDiagnostic } from "./diagnostics.js";
import { placesInText } from "./explain.js";
import { findProjectRoot } from "../../compiler/project/root.js";

export const TEST_DIAGNOSTIC_SOURCE = "symbic test";

/** One case's outcome, as the command's `--format json` reports it, with the file as a URI. */
export interface TestCaseSummary {
  uri: string;
  line: number;
  name: string;
  agent: string;
  kind: "case" | "run";
  passed: boolean;
  expected: string;
  actual: string;
}

export interface TestRunSummary {
  passed: number;
  failed: number;
  /** Problems that stopped the run (a test file or the project does not compile). */
  problems: number;
  /** A usage problem (no test files, a project without sources). */
  usage?: string;
  results: TestCaseSummary[];
  /** One line for people. */
  message: string;
}

export interface TestRunOutcome {
  summary: TestRunSummary;
  /** Diagnostics for each test file that took part (empty lists clear earlier ones). */
  diagnostics: Map<string, LspDiagnostic[]>;
}

/** A file name as `symbic test` printed it (relative to the working directory) → its canonical URI. */
function uriOfShown(shown: string): string {
  return canonicalUri(pathToUri(resolve(shown)));
}

/** The problems `symbic test` or `symbic explain` found in test files (E1000–E1010), by canonical URI. */
export function testFileProblems(found: readonly Diagnostic[]): Map<string, LspDiagnostic[]> {
  const out = new Map<string, LspDiagnostic[]>();
  for (const d of found) {
    if (!isTestFilePath(d.file)) continue;
    const uri = uriOfShown(d.file);
    const list = out.get(uri) ?? [];
    list.push({ ...toLspDiagnostic(d, (u) => u), source: TEST_DIAGNOSTIC_SOURCE });
    out.set(uri, list);
  }
  return out;
}

function failureDiagnostic(r: CaseResult, text: string | undefined, root: string): LspDiagnostic {
  const line = Math.max(0, r.line - 1);
  const start = Math.max(0, r.col - 1);
  let end = start;
  if (text !== undefined) {
    const map = new LineMap(text);
    const starts = map.lineStarts;
    const from = starts[line] ?? text.length;
    const to = line + 1 < starts.length ? starts[line + 1]! : text.length;
    end = Math.max(start, text.slice(from, to).replace(/\r?\n$/, "").length);
  }
  return {
    range: { start: { line, character: start }, end: { line, character: end } },
    severity: DiagnosticSeverity.Error,
    source: TEST_DIAGNOSTIC_SOURCE,
    message: [`${r.name}: expected ${r.expected}, got ${r.actual}`, ...r.details]
      .map((l) => placesInText(root, l))
      .join("\n"),
  };
}

/**
 * Runs the test files at `paths` (absolute). With `agent`, only that agent's cases and runs
 * count. `textOf` gives a test file's text (to place failures), by canonical URI.
 */
export async function runTestFiles(
  paths: readonly string[],
  agent: string | undefined,
  textOf: (uri: string) => string | undefined,
): Promise<TestRunOutcome> {
  const diagnostics = new Map<string, LspDiagnostic[]>(paths.map((p) => [canonicalUri(pathToUri(p)), []]));
  if (paths.length === 0) {
    const message = `no test file has a case for agent ${agent ?? "(any)"}`;
    return { summary: { passed: 0, failed: 0, problems: 0, usage: message, results: [], message }, diagnostics };
  }
  const { runTests } = await import("../../testing/run.js");
  let r: TestRunResult;
  try {
    r = await runTests(paths, { explainFailures: true });
  } catch (e) {
    const message = `symbic test: ${e instanceof Error ? e.message : String(e)}`;
    return { summary: { passed: 0, failed: 0, problems: 1, usage: message, results: [], message }, diagnostics };
  }
  if (r.usage)
    return {
      summary: { passed: 0, failed: 0, problems: 0, usage: r.usage, results: [], message: `symbic test: ${r.usage}` },
      diagnostics,
    };
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  for (const [uri, list] of testFileProblems(r.diagnostics)) diagnostics.set(uri, list);
  if (errors.length > 0) {
    const first = errors[0]!;
    const message = `symbic test: ${errors.length} problem${errors.length === 1 ? "" : "s"} stop the run — ${first.file}:${first.span.line}:${first.span.col}: ${first.code} ${first.message}`;
    return { summary: { passed: 0, failed: 0, problems: errors.length, results: [], message }, diagnostics };
  }
  const results = r.results.filter((x) => agent === undefined || x.agent === agent);
  const summaries: TestCaseSummary[] = [];
  for (const x of results) {
    const uri = uriOfShown(x.file);
    const root = findProjectRoot(resolve(x.file));
    summaries.push({
      uri,
      line: x.line,
      name: x.name,
      agent: x.agent,
      kind: x.kind,
      passed: x.passed,
      expected: x.expected,
      actual: placesInText(root, x.actual),
    });
    if (x.passed) continue;
    const list = diagnostics.get(uri) ?? [];
    list.push(failureDiagnostic(x, textOf(uri), root));
    diagnostics.set(uri, list);
  }
  const passed = summaries.filter((s) => s.passed).length;
  const failed = summaries.length - passed;
  const what = agent ? `agent ${agent}` : paths.map((p) => p.split(/[\\/]/).pop()).join(", ");
  const message =
    failed === 0
      ? `symbic test (${what}): ${passed} passed`
      : `symbic test (${what}): ${failed} failed, ${passed} passed — ${summaries
          .filter((s) => !s.passed)
          .slice(0, 3)
          .map((s) => s.name)
          .join("; ")}`;
  return { summary: { passed, failed, problems: 0, results: summaries, message }, diagnostics };
}
