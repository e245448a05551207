/**
 * The bodies of `symbic test` and `symbic explain` (registered in compiler/cli/commands and
 * loaded only when one of them runs, so other commands never load the runtime). Each returns
 * the exit code: 0 all passed, 2 a test failed (or coverage is below `--min-coverage`), 3 a
 * project or test file does not compile; usage and I/O problems are UserErrors (exit 1).
 */
import {
  renderDiagnostics,
  summaryLine as diagnosticsSummary,
  type DiagnosticFormat,
} from "../compiler/diagnostics/render.js";
import type { Diagnostic } from "../compiler/diagnostics/model.js";
import { ExitCode, UserError } from "../formats/exit-codes.js";
import { VERSION } from "../compiler/version.js";
import { runTests, type TestRunResult } from "./run.js";
import {
  coverageLines,
  githubTestReport,
  jsonTestReport,
  junitTestReport,
  prettyTestReport,
  TEST_FORMATS,
  type TestFormat,
} from "./report.js";
import { explainCase, renderExplanation, type ExplainedCase } from "./explain-case.js";

/** The most threads `--jobs` may ask for. */
const MAX_JOBS = 64;

export interface TestCommandOptions {
  format: string;
  coverage?: boolean;
  minCoverage?: string;
  verbose?: boolean;
  /** `--jobs`: threads that decide the policy cases (default: by case count and cores). */
  jobs?: string;
  color: { stdout: boolean; stderr: boolean };
}

export function parseTestFormat(v: string): TestFormat {
  if ((TEST_FORMATS as readonly string[]).includes(v)) return v as TestFormat;
  throw new UserError(`unknown --format '${v}' (expected one of: ${TEST_FORMATS.join(", ")})`);
}

function parseJobs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > MAX_JOBS)
    throw new UserError(`--jobs must be a whole number from 1 to ${MAX_JOBS}, not '${v}'`);
  return n;
}

function parsePercent(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100)
    throw new UserError(`--min-coverage must be a percentage between 0 and 100, not '${v}'`);
  return n;
}

/** Diagnostics of a run that did not start, in the chosen format. */
function emitProblems(r: TestRunResult, format: TestFormat, color: boolean): void {
  const diagFormat: DiagnosticFormat = format === "json" ? "json" : format === "github" ? "github" : "pretty";
  const text = renderDiagnostics(diagFormat, r.diagnostics, (f) => r.sources.get(f), {
    color: diagFormat === "pretty" && color,
    toolVersion: VERSION,
  });
  if (diagFormat === "pretty") {
    process.stderr.write(text);
    process.stderr.write(diagnosticsSummary(r.diagnostics, r.files.length) + "\n");
  } else process.stdout.write(text);
}

export async function testCommand(paths: string[], o: TestCommandOptions): Promise<number> {
  const format = parseTestFormat(o.format);
  const min = parsePercent(o.minCoverage);
  const threads = parseJobs(o.jobs);
  const r = await runTests(paths, threads !== undefined ? { threads } : {});
  if (r.usage) throw new UserError(r.usage);
  for (const w of r.warnings)
    process.stderr.write(`symbic: warning: ${w}; its cases were decided on the main thread\n`);
  if (r.diagnostics.some((d: Diagnostic) => d.severity === "error")) {
    emitProblems(r, format, o.color.stderr);
    return ExitCode.CheckFailed;
  }
  switch (format) {
    case "pretty":
      process.stdout.write(
        prettyTestReport(r, { color: o.color.stdout, coverageTable: o.coverage === true, verbose: o.verbose === true }),
      );
      break;
    case "json":
      process.stdout.write(jsonTestReport(r));
      break;
    case "junit":
      process.stdout.write(junitTestReport(r));
      if (o.coverage) process.stderr.write(coverageLines(r.coverage, true).join("\n") + "\n");
      break;
    case "github":
      process.stdout.write(githubTestReport(r));
      break;
  }
  const failed = r.results.some((x) => !x.passed);
  if (min !== undefined && r.coverage.percent < min) {
    process.stderr.write(
      `symbic: error: rule coverage ${Math.floor(r.coverage.percent * 10) / 10}% is below --min-coverage ${min}%\n`,
    );
    return ExitCode.TestFailed;
  }
  return failed ? ExitCode.TestFailed : ExitCode.Ok;
}

export interface ExplainCommandOptions {
  format: string;
  color: boolean;
}

/** `symbic explain FILE[:LINE]`: the case at LINE (or the file's only case), decided and explained. */
export async function explainCommand(target: string, o: ExplainCommandOptions): Promise<number> {
  if (o.format !== "pretty" && o.format !== "json")
    throw new UserError(`unknown --format '${o.format}' (expected one of: pretty, json)`);
  const m = /^(.*?)(?::(\d+))?$/.exec(target)!;
  const out = explainCase(m[1]!, m[2] !== undefined ? Number(m[2]) : undefined);
  if ("usage" in out) throw new UserError(out.usage);
  if ("problems" in out) {
    emitProblems(out.problems, o.format === "json" ? "json" : "pretty", o.color);
    return ExitCode.CheckFailed;
  }
  const e: ExplainedCase = out;
  process.stdout.write(o.format === "json" ? JSON.stringify(e, null, 2) + "\n" : renderExplanation(e, o.color));
  return ExitCode.Ok;
}
