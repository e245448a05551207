/**
 * The results of `symbic test` for people and for CI:
 *
 *   pretty  failures with the case's file:line, expected and actual decision, the rules that
 *           matched (DSL file:line); a summary line; coverage
 *   json    the whole result as one JSON document (format "symbic-test/v1")
 *   junit   JUnit XML (one <testsuite> per test file, one <testcase> per case or row), the
 *           format CI dashboards read; its shape is checked against an XML Schema in the tests
 *   github  workflow-command annotations (`::error file=…,line=…::…`) for each failure
 *
 * Problems that stop a run (a project or a test file that does not compile) are diagnostics and
 * are rendered by compiler/diagnostics (pretty, json, github; junit shows them on stderr).
 */
import pc from "picocolors";
import { XMLBuilder } from "fast-xml-parser";
import type { Coverage } from "./coverage.js";
import type { CaseResult, TestRunResult } from "./run.js";

export const TEST_FORMATS = ["pretty", "json", "junit", "github"] as const;
export type TestFormat = (typeof TEST_FORMATS)[number];

export const TEST_REPORT_FORMAT = "symbic-test/v1";

function counts(results: readonly CaseResult[]): { passed: number; failed: number } {
  const failed = results.filter((r) => !r.passed).length;
  return { passed: results.length - failed, failed };
}

/** The line CI reads: `N passed, N failed`. */
export function testSummaryLine(r: TestRunResult): string {
  const { passed, failed } = counts(r.results);
  return `${passed} passed, ${failed} failed`;
}

function pct(n: number): string {
  return `${Math.floor(n * 10) / 10}%`;
}

export function coverageLines(c: Coverage, table: boolean, color = false): string[] {
  const k = pc.createColors(color);
  const out = [`rule coverage: ${c.covered}/${c.total} rules (${pct(c.percent)})`];
  if (table && c.policies.length > 0) {
    const w = Math.max(6, ...c.policies.map((p) => p.policy.length));
    out.push(`  ${"policy".padEnd(w)}  rules  covered`);
    for (const p of c.policies)
      out.push(
        `  ${p.policy.padEnd(w)}  ${String(p.rules).padStart(5)}  ${String(p.covered).padStart(7)}  ${pct(p.rules === 0 ? 100 : (100 * p.covered) / p.rules)}`,
      );
  }
  const uncovered = c.rules.filter((r) => r.hits === 0);
  if (uncovered.length > 0) {
    out.push("uncovered rules:");
    for (const r of uncovered) out.push(`  ${k.yellow(r.location)}  ${r.id}  \`${r.text}\``);
  }
  return out;
}

export function prettyTestReport(
  r: TestRunResult,
  o: { color: boolean; coverageTable: boolean; verbose: boolean },
): string {
  const k = pc.createColors(o.color);
  const out: string[] = [];
  for (const c of r.results) {
    if (c.passed) {
      if (o.verbose) out.push(`${k.green("ok")}   ${c.file}:${c.line}:${c.col}  ${c.name}`);
      continue;
    }
    out.push(`${k.red(k.bold("FAIL"))} ${k.bold(`${c.file}:${c.line}:${c.col}`)}  ${c.name}`);
    out.push(`  expected: ${c.expected}`);
    out.push(`  actual:   ${c.actual}`);
    for (const d of c.details) out.push(`  ${d}`);
  }
  const runs = r.results.filter((x) => x.kind === "run").length;
  out.push(
    `${r.results.length - runs} case${r.results.length - runs === 1 ? "" : "s"} and ${runs} agent run${runs === 1 ? "" : "s"} in ${r.files.length} file${r.files.length === 1 ? "" : "s"} (build ${Math.round(r.timing.buildMs)} ms, decisions ${Math.round(r.timing.decideMs)} ms${r.timing.threads > 1 ? ` on ${r.timing.threads} threads` : ""})`,
  );
  out.push(...coverageLines(r.coverage, o.coverageTable, o.color));
  out.push(testSummaryLine(r));
  return out.join("\n") + "\n";
}

export function jsonTestReport(r: TestRunResult): string {
  const { passed, failed } = counts(r.results);
  return (
    JSON.stringify(
      {
        format: TEST_REPORT_FORMAT,
        files: r.files,
        passed,
        failed,
        results: r.results,
        coverage: r.coverage,
        timing: {
          buildMs: Math.round(r.timing.buildMs * 1000) / 1000,
          decideMs: Math.round(r.timing.decideMs * 1000) / 1000,
          decideCpuMs: Math.round(r.timing.decideCpuMs * 1000) / 1000,
          totalMs: Math.round(r.timing.totalMs * 1000) / 1000,
          threads: r.timing.threads,
        },
      },
      null,
      2,
    ) + "\n"
  );
}

const seconds = (ms: number) => (ms / 1000).toFixed(6);

export function junitTestReport(r: TestRunResult): string {
  const byFile = new Map<string, CaseResult[]>();
  for (const f of r.files) byFile.set(f, []);
  for (const c of r.results) byFile.get(c.file)?.push(c);
  const suites = [...byFile].map(([file, cases]) => {
    const failed = cases.filter((c) => !c.passed).length;
    return {
      "@_name": file,
      "@_tests": cases.length,
      "@_failures": failed,
      "@_errors": 0,
      "@_skipped": 0,
      "@_time": seconds(cases.reduce((t, c) => t + c.timeMs, 0)),
      "@_file": file,
      testcase: cases.map((c) => ({
        "@_name": c.name,
        "@_classname": `${file}.${c.agent}`,
        "@_time": seconds(c.timeMs),
        "@_file": file,
        "@_line": c.line,
        ...(c.passed
          ? {}
          : {
              failure: {
                "@_message": `expected ${c.expected}, got ${c.actual}`,
                "@_type": c.kind === "case" ? "PolicyTestFailure" : "AgentTestFailure",
                "#text": [
                  `${file}:${c.line}:${c.col}`,
                  `expected: ${c.expected}`,
                  `actual:   ${c.actual}`,
                  ...c.details,
                ].join("\n"),
              },
            }),
      })),
    };
  });
  const { failed } = counts(r.results);
  const doc = {
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    testsuites: {
      "@_name": "symbic test",
      "@_tests": r.results.length,
      "@_failures": failed,
      "@_errors": 0,
      "@_time": seconds(r.timing.totalMs),
      testsuite: suites,
    },
  };
  const b = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    format: true,
    suppressEmptyNode: true,
    processEntities: true,
  });
  return b.build(doc) as string;
}

/** GitHub Actions workflow commands: values escaped as the runner expects (%, CR, LF; and `:` `,` in properties). */
function ghData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function githubTestReport(r: TestRunResult): string {
  const out: string[] = [];
  for (const c of r.results) {
    if (c.passed) continue;
    const body = [`expected ${c.expected}`, `actual ${c.actual}`, ...c.details].join("\n");
    out.push(
      `::error file=${ghProp(c.file)},line=${c.line},col=${c.col},title=${ghProp(`symbic test: ${c.name}`)}::${ghData(body)}`,
    );
  }
  for (const rule of r.coverage.rules.filter((x) => x.hits === 0)) {
    const m = /^(.*):(\d+):(\d+)$/.exec(rule.location);
    if (m)
      out.push(
        `::notice file=${ghProp(m[1]!)},line=${m[2]},col=${m[3]},title=${ghProp("uncovered rule")}::${ghData(`no test case is decided by ${rule.id} \`${rule.text}\``)}`,
      );
  }
  out.push(testSummaryLine(r));
  return out.join("\n") + "\n";
}
