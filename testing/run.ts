/**
 * `symbic test`: finds the test files, builds each project they belong to once (in memory),
 * checks every case against the built project, decides the policy cases with the shipping gate,
 * runs the agent tests, and counts rule coverage. Nothing runs when a project or a test file
 * does not compile: those problems are the result (exit 3).
 */
import { displayPath, readSourceBytes } from "../compiler/project/files.js";
import { dirname, resolve } from "node:path";
import type { Diagnostic } from "../compiler/diagnostics/model.js";
import { sortDiagnostics, hasErrors } from "../compiler/diagnostics/model.js";
import type { PolicyEntry } from "../formats/policies-json.js";
import { parseTestFile, type AgentRun, type PolicyCase, type TestFile } from "./file.js";
import { loadProject, projectOf, type TestedProject } from "./project.js";
import { findTestFiles, readTestFile } from "./files.js";
import {
  agentScope,
  callSpec,
  checkRules,
  displayLocation,
  gateFor,
  Problems,
  runParts,
  type AgentScope,
  type CallSpec,
} from "./resolve.js";
import type { Outcome } from "./decide.js";
import { CaseDecisions, startDeciders, threadsFor, type CaseToDecide } from "./parallel.js";
import { CoverageCounter, type Coverage } from "./coverage.js";
import { explainRequest, type Explanation } from "./explain.js";
import { prepareRun, executeRun, type PreparedRun } from "./agent-run.js";
import type { PolicyGate } from "../runtime/gate/gate.js";

export interface RuleRef {
  id: string;
  /** `file:line:col`, relative to the working directory ("" when none). */
  location: string;
  text: string;
}

export interface CaseResult {
  kind: "case" | "run";
  /** The test file (display path) and the case's place in it. */
  file: string;
  line: number;
  col: number;
  /** The case's name, with its row for a table-style case (`name [n = 5]`). */
  name: string;
  agent: string;
  passed: boolean;
  /** One line each: what was expected, what happened. */
  expected: string;
  actual: string;
  /** The rules that decided (policy cases). */
  decidedBy: RuleRef[];
  /** Further lines explaining a failure (rules that matched, decisions of a run, …). */
  details: string[];
  timeMs: number;
}

export interface TestRunResult {
  /** The test files, as shown (relative to the working directory). */
  files: string[];
  /** Problems that stopped the run (exit 3), and warnings. */
  diagnostics: Diagnostic[];
  /** Source texts by shown file name, for rendering diagnostics. */
  sources: Map<string, string>;
  results: CaseResult[];
  coverage: Coverage;
  /** Wall-clock milliseconds; `decideCpuMs`: the CPU time (user + system) of the policy decisions (benchmarks on a shared machine). */
  timing: { buildMs: number; decideMs: number; decideCpuMs: number; totalMs: number; threads: number };
  /** Problems that did not change the results (a thread deciding cases failed: the main thread decided its cases). */
  warnings: string[];
  /** Usage-level problems (no test files, a project without sources): exit 1. */
  usage?: string;
}

export interface TestRunOptions {
  /** Explain failures with every rule that matched (default true). */
  explainFailures?: boolean;
  /** Threads that decide the policy cases, this one included (default: by case count and cores, parallel.ts). */
  threads?: number;
}

/** A policy case checked against its project and ready to decide. */
export interface ReadyCase {
  c: PolicyCase;
  file: TestFile;
  project: TestedProject;
  scope: AgentScope;
  gate: PolicyGate;
  call: CallSpec;
}

interface ReadyRun {
  r: AgentRun;
  file: TestFile;
  project: TestedProject;
  prepared: PreparedRun;
}

function rowLabel(c: PolicyCase): string {
  if (!c.row) return c.name;
  const parts = Object.entries(c.row.values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  return `${c.name} [${parts.join(", ")}]`;
}

/** The rules of each agent by id, made once per project (every case names its deciding rules). */
const ruleTables = new WeakMap<TestedProject, Map<string, Map<string, PolicyEntry>>>();

/** The rules of an agent by id. */
function ruleTable(p: TestedProject, agent: string): Map<string, PolicyEntry> {
  let byAgent = ruleTables.get(p);
  if (!byAgent) ruleTables.set(p, (byAgent = new Map()));
  let table = byAgent.get(agent);
  if (!table) {
    table = new Map((p.compiled.get(agent)?.cedar.policiesJson?.policies ?? []).map((e) => [e.id, e]));
    byAgent.set(agent, table);
  }
  return table;
}

/** ruleRefs' answers by project, for the few combinations of deciding rules the cases of a run share. */
const refsMemo = new WeakMap<TestedProject, Map<string, RuleRef[]>>();

/** The rules that decided (ids and their locations as the gate gave them), with their DSL text and places as shown. */
export function ruleRefs(
  p: TestedProject,
  agent: string,
  ids: readonly string[],
  locations: readonly string[],
): RuleRef[] {
  let memo = refsMemo.get(p);
  if (!memo) refsMemo.set(p, (memo = new Map()));
  const key = JSON.stringify([agent, ids, locations]);
  const known = memo.get(key);
  if (known) return known.map((r) => ({ ...r }));
  const table = ruleTable(p, agent);
  const refs = ids.map((id, i) => {
    const e = table.get(id);
    return {
      id,
      location: displayLocation(p.dir, locations[i] ?? (e ? `${e.file}:${e.line}:${e.col}` : "")),
      text: e?.text ?? "",
    };
  });
  memo.set(key, refs);
  return refs.map((r) => ({ ...r }));
}

function describeRules(refs: readonly RuleRef[]): string {
  return refs.map((r) => `${r.id}${r.location ? ` (${r.location})` : ""}`).join(", ");
}

/** The result of a run that decided nothing (no test files, or problems stopped it before deciding). */
export function undecidedResult(
  r: Pick<TestRunResult, "files" | "diagnostics" | "sources"> & {
    coverage?: Coverage;
    totalMs?: number;
    usage?: string;
  },
): TestRunResult {
  return {
    files: r.files,
    diagnostics: r.diagnostics,
    sources: r.sources,
    results: [],
    coverage: r.coverage ?? new CoverageCounter().result(),
    timing: { buildMs: 0, decideMs: 0, decideCpuMs: 0, totalMs: r.totalMs ?? 0, threads: 0 },
    warnings: [],
    ...(r.usage ? { usage: r.usage } : {}),
  };
}

export async function runTests(paths: readonly string[], opts: TestRunOptions = {}): Promise<TestRunResult> {
  const started = performance.now();
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const coverage = new CoverageCounter();
  const empty = (usage?: string): TestRunResult =>
    undecidedResult({
      files: [],
      diagnostics: sortDiagnostics(diagnostics),
      sources,
      coverage: coverage.result(),
      totalMs: performance.now() - started,
      ...(usage ? { usage } : {}),
    });
  const testPaths = findTestFiles(paths.length > 0 ? paths : ["."]);
  if (testPaths.length === 0)
    return empty(`no test files (*.test.toml) in ${paths.length > 0 ? paths.join(", ") : "the current folder"}`);

  // 1. Test files. A file that cannot be read ends the run; the problems of those read before it
  // are reported with it.
  const files: TestFile[] = [];
  for (const p of testPaths) {
    const shown = displayPath(p);
    const read = readTestFile(p, shown);
    if ("error" in read) return empty(read.error);
    sources.set(shown, read.text);
    const parsed = parseTestFile(read.text, shown, p);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.file) files.push(parsed.file);
  }

  // The threads to decide the policy cases with start now, and load while the projects build.
  const pool = startDeciders(
    threadsFor(
      files.reduce((n, f) => n + f.cases.length, 0),
      opts.threads,
    ),
  );
  try {
    // 2. Projects, built once each.
    let buildMs = 0;
    const projects = new Map<string, TestedProject | null>();
    for (const f of files) {
      const dir = projectOf(f.path);
      if (projects.has(dir)) continue;
      const loaded = loadProject(dir);
      if (!loaded.ok) {
        projects.set(dir, null);
        if (loaded.diagnostics.length === 0) return empty(loaded.message);
        for (const d of loaded.diagnostics) {
          const abs = resolve(dir, d.file);
          const shown = displayPath(abs);
          if (!sources.has(shown)) {
            try {
              sources.set(shown, readSourceBytes(abs).toString("utf8"));
            } catch {
              /* rendered without an excerpt */
            }
          }
          diagnostics.push({ ...d, file: shown });
        }
        continue;
      }
      buildMs += loaded.project.buildMs;
      projects.set(dir, loaded.project);
      coverage.addProject(loaded.project);
    }

    pool.preload([...projects.values()].flatMap((p) => (p ? [...p.bundles.values()].map((b) => b.policies) : [])));

    // 3. Every name checked, every request made ready; and 4. the policy cases decided, on the
    // workers as soon as a chunk of them is ready (parallel.ts), on this thread once all are.
    const cases: ReadyCase[] = [];
    const runs: ReadyRun[] = [];
    const decisions = new CaseDecisions(pool);
    for (const f of files) {
      const project = projects.get(projectOf(f.path));
      if (!project) continue;
      const problems = new Problems(f);
      for (const c of f.cases) {
        const ready = prepareCase(c, f, project, problems);
        if (!ready) continue;
        cases.push(ready);
        const handed = decisions.add(caseToDecide(ready));
        if (handed) await handed;
      }
      for (const r of f.runs) {
        const scope = agentScope(project, r.agent, r.agentPath, r.place.path, problems);
        if (!scope) continue;
        const prepared = prepareRun(scope, r, f, project, problems);
        if (prepared) runs.push({ r, file: f, project, prepared });
      }
      diagnostics.push(...problems.list);
    }
    if (hasErrors(diagnostics)) {
      await decisions.abandon();
      return { ...empty(), files: files.map((f) => f.file) };
    }

    const results: CaseResult[] = [];
    const { decided, threads, failures } = await decisions.finish();
    cases.forEach((k, i) => {
      const { out, ms } = decided[i]!;
      coverage.hit(k.project.dir, k.scope.agent, coveredRules(out));
      results.push(judgeCase(k, out, ms, opts));
    });
    const { ms: decideMs, cpuMs: decideCpuMs } = decisions.clock();
    for (const k of runs) {
      const t0 = performance.now();
      const res = await executeRun(k.prepared, (agent, rules) => coverage.hit(k.project.dir, agent, rules));
      results.push({
        kind: "run",
        file: k.file.file,
        line: k.r.place.span.line,
        col: k.r.place.span.col,
        name: k.r.name,
        agent: k.prepared.scope.agent,
        passed: res.passed,
        expected: res.expected,
        actual: res.actual,
        decidedBy: [],
        details: res.details,
        timeMs: performance.now() - t0,
      });
    }
    return {
      files: files.map((f) => f.file),
      diagnostics: sortDiagnostics(diagnostics),
      sources,
      results,
      coverage: coverage.result(),
      timing: { buildMs, decideMs, decideCpuMs, totalMs: performance.now() - started, threads },
      warnings: failures,
    };
  } finally {
    await pool.close();
  }
}

/**
 * The rules a case covers: those that decided its outcome and those of every gate decision on
 * the way (the allow behind an approval, `invoke_tool`'s rules).
 */
export function coveredRules(out: Outcome): string[] {
  return [...out.rules, ...out.decisions.flatMap((d) => [...d.decision.rules, ...(d.decision.allowedBy ?? [])])];
}

/** Cases that share their inputs and records (the rows of a case, cases under the file's `[context]`) check them once. */
const partsMemo = new WeakMap<object, WeakMap<object, Map<string, ReturnType<typeof runParts> | null>>>();

function casePartsOf(scope: AgentScope, c: PolicyCase, problems: Problems): ReturnType<typeof runParts> {
  let byInput = partsMemo.get(c.context);
  if (!byInput) partsMemo.set(c.context, (byInput = new WeakMap()));
  let byAgent = byInput.get(c.input);
  if (!byAgent) byInput.set(c.input, (byAgent = new Map()));
  const known = byAgent.get(scope.agent);
  // A problem was reported the first time; later cases sharing the values are only skipped.
  if (known !== undefined) return known ?? undefined;
  const parts = runParts(scope, c.input, c.inputPath, c.context, c.contextPaths, problems, true);
  byAgent.set(scope.agent, parts ?? null);
  return parts;
}

/**
 * The agent scope of a policy case, made once per project and agent named: the cases of a file
 * share it, as a worker thread's cases share one gate (parallel.ts). Nothing changes a scope —
 * deciding a case only checks its `requirements` (decideToolCall), admitting no call.
 */
const scopes = new WeakMap<TestedProject, Map<string | undefined, AgentScope>>();

function caseScope(project: TestedProject, c: PolicyCase, problems: Problems): AgentScope | undefined {
  let byAgent = scopes.get(project);
  if (!byAgent) scopes.set(project, (byAgent = new Map()));
  const known = byAgent.get(c.agent);
  if (known) return known;
  // Not remembered when it fails: each case names its own place for the problem.
  const scope = agentScope(project, c.agent, c.agentPath, c.place.path, problems);
  if (scope) byAgent.set(c.agent, scope);
  return scope;
}

/** What deciding a ready case takes, on this thread or another (parallel.ts). */
export function caseToDecide(k: ReadyCase): CaseToDecide {
  return {
    gate: k.gate,
    policies: k.scope.bundle.policies,
    call: k.call,
    approve: k.c.approve,
  };
}

/** Checks a case's names against the project and builds its request; undefined after problems. */
export function prepareCase(
  c: PolicyCase,
  f: TestFile,
  project: TestedProject,
  problems: Problems,
): ReadyCase | undefined {
  const scope = caseScope(project, c, problems);
  if (!scope) return undefined;
  if (c.rule) checkRules(scope, c.rule.ids, [...c.place.path, "rule"], problems);
  const parts = casePartsOf(scope, c, problems);
  const argPlace = (arg: string) =>
    c.row && Object.hasOwn(c.row.values, arg) ? [...c.row.place.path, arg] : [...c.place.path, "args", arg];
  const call = callSpec(
    scope,
    c.target,
    [...c.place.path, c.target.kind],
    c.args,
    argPlace,
    c.facts,
    c.factsPath ?? ["facts"],
    problems,
  );
  if (!parts || !call) return undefined;
  return { c, file: f, project, scope, gate: gateFor(scope, c.input, c.context, parts), call };
}

function expectedText(c: PolicyCase): string {
  const rule = c.rule ? ` by ${c.rule.exact ? "exactly " : ""}${c.rule.ids.join(", ")}` : "";
  return `${c.expect}${rule}`;
}

function judgeCase(k: ReadyCase, out: Outcome, timeMs: number, opts: TestRunOptions): CaseResult {
  const c = k.c;
  let passed = out.outcome === c.expect;
  if (passed && c.rule) {
    const got = new Set(out.rules);
    passed = c.rule.exact
      ? got.size === new Set(c.rule.ids).size && c.rule.ids.every((id) => got.has(id))
      : c.rule.ids.every((id) => got.has(id));
  }
  const decidedBy = ruleRefs(k.project, k.scope.agent, out.rules, out.locations);
  const place = c.row?.place ?? c.place;
  const details: string[] = [];
  if (!passed) {
    details.push(`reason: ${out.reason}`);
    if (opts.explainFailures !== false)
      details.push(...matchedRuleLines(k, explainRequest(k.project, k.scope, k.gate, k.call, out.rules)));
  }
  return {
    kind: "case",
    file: k.file.file,
    line: place.span.line,
    col: place.span.col,
    name: rowLabel(c),
    agent: k.scope.agent,
    passed,
    expected: expectedText(c),
    actual: `${out.outcome} by ${describeRules(decidedBy)}`,
    decidedBy,
    details,
    timeMs,
  };
}

/** The rules that matched; when none did (a default deny), why each rule about the action did not. */
function matchedRuleLines(k: ReadyCase, ex: Explanation): string[] {
  if (ex.requestError) return [`the request could not be built: ${ex.requestError}`];
  const matched = ex.rules.filter((r) => r.matched);
  if (matched.length > 0)
    return [
      "rules that matched:",
      ...matched.map((r) => `  ${r.id}  ${r.location}  ${r.verb}  \`${r.text}\`${r.decided ? "  (decided)" : ""}`),
    ];
  const about = ex.rules.filter((r) => r.inScope);
  if (about.length === 0) return [`no rule is about \`${k.call.action}\``];
  return [
    "no rule matched; the rules about it:",
    ...about.map((r) => `  ${r.id}  ${r.location}  \`${r.text}\`: ${r.why}`),
  ];
}

/** Where a test file's folder is, for fixtures named relative to it. */
export function fileDir(f: TestFile): string {
  return dirname(f.path);
}

export type { Explanation };
