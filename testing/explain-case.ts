/**
 * `symbic explain FILE.test.toml[:LINE]` (and the language server's code lens on a case): one
 * case of a test file — the case at LINE (a case's header or one of its rows), or the file's
 * only case — decided by the gate and explained rule by rule (explain.ts).
 */
import { resolve } from "node:path";
import pc from "picocolors";
import { hasErrors } from "../compiler/diagnostics/model.js";
import { parseTestFile, type PolicyCase, type TestFile } from "./file.js";
import { loadProject, projectOf, type ProjectLoad } from "./project.js";
import { readTestFile } from "./files.js";
import { Problems } from "./resolve.js";
import { displayPath } from "../compiler/project/files.js";
import { decideCall } from "./decide.js";
import { explainRequest, type Explanation } from "./explain.js";
import { prepareCase, ruleRefs, undecidedResult, type RuleRef, type TestRunResult } from "./run.js";

export interface ExplainedCase {
  file: string;
  line: number;
  name: string;
  agent: string;
  action: string;
  args: Record<string, unknown>;
  decision: { outcome: string; rules: RuleRef[]; reason: string };
  expected: string;
  passed: boolean;
  explanation: Explanation;
}

/** The case a line points at: a row on that line, else the last case starting at or before it. */
export function caseAtLine(f: TestFile, line: number | undefined): PolicyCase | undefined {
  if (line === undefined)
    return f.cases.length === 1 || new Set(f.cases.map((c) => c.place.span.line)).size === 1 ? f.cases[0] : undefined;
  const row = f.cases.find((c) => c.row && c.row.place.span.line === line);
  if (row) return row;
  let best: PolicyCase | undefined;
  for (const c of f.cases)
    if (c.place.span.line <= line && (!best || c.place.span.line > best.place.span.line)) best = c;
  return best;
}

function problemsResult(
  f: { file: string; text: string } | undefined,
  diagnostics: TestRunResult["diagnostics"],
): {
  problems: TestRunResult;
} {
  return {
    problems: undecidedResult({
      files: f ? [f.file] : [],
      diagnostics,
      sources: new Map(f ? [[f.file, f.text]] : []),
    }),
  };
}

/**
 * `text`: the test file's text when it is not to be read from disk (an editor's unsaved text);
 * `load`: how the project is built (the language server keeps built projects between requests).
 */
export function explainCase(
  file: string,
  line: number | undefined,
  text?: string,
  load: (dir: string) => ProjectLoad = loadProject,
): ExplainedCase | { usage: string } | { problems: TestRunResult } {
  const path = resolve(file);
  const shown = displayPath(path);
  let source = text;
  if (source === undefined) {
    const read = readTestFile(path, shown);
    if ("error" in read) return { usage: read.error };
    source = read.text;
  }
  const parsed = parseTestFile(source, shown, path);
  if (!parsed.file) return problemsResult({ file: shown, text: source }, parsed.diagnostics);
  const f = parsed.file;
  const c = caseAtLine(f, line);
  if (!c)
    return {
      usage:
        f.cases.length === 0
          ? `${shown} has no policy case to explain`
          : `${shown}${line !== undefined ? `:${line}` : ""}: name a case by its line (${f.cases
              .filter((x) => !x.row)
              .map((x) => `${x.place.span.line} ${x.name}`)
              .join("; ")})`,
    };
  const loaded = load(projectOf(path));
  if (!loaded.ok) {
    if (loaded.diagnostics.length === 0) return { usage: loaded.message };
    return problemsResult(undefined, loaded.diagnostics);
  }
  const problems = new Problems(f);
  const ready = prepareCase(c, f, loaded.project, problems);
  if (!ready || hasErrors(problems.list)) return problemsResult({ file: shown, text: source }, problems.list);
  const out = decideCall(ready.gate, ready.call, c.approve);
  const explanation = explainRequest(loaded.project, ready.scope, ready.gate, ready.call, out.rules);
  let passed = out.outcome === c.expect;
  if (passed && c.rule) passed = c.rule.ids.every((id) => out.rules.includes(id));
  return {
    file: shown,
    line: (c.row?.place ?? c.place).span.line,
    name: c.row ? `${c.name} [row ${c.row.index + 1}]` : c.name,
    agent: ready.scope.agent,
    action: ready.call.action,
    args: c.args,
    decision: {
      outcome: out.outcome,
      rules: ruleRefs(loaded.project, ready.scope.agent, out.rules, out.locations),
      reason: out.reason,
    },
    expected: `${c.expect}${c.rule ? ` by ${c.rule.ids.join(", ")}` : ""}`,
    passed,
    explanation,
  };
}

/** The explanation for people: the decision, then every rule about the action, then the others in one line each. */
export function renderExplanation(e: ExplainedCase, color = false): string {
  const k = pc.createColors(color);
  const args = Object.entries(e.args)
    .map(([n, v]) => `${n} = ${JSON.stringify(v)}`)
    .join(", ");
  const out: string[] = [];
  out.push(`${k.bold(`${e.file}:${e.line}`)}  ${e.name}`);
  out.push(`request: agent ${e.agent}, ${e.action}(${args})`);
  out.push(
    `decision: ${k.bold(e.decision.outcome)} by ${e.decision.rules.map((r) => `${r.id}${r.location ? ` (${r.location})` : ""}`).join(", ")}`,
  );
  out.push(`  ${e.decision.reason}`);
  out.push(`expected: ${e.expected} — ${e.passed ? k.green("passes") : k.red("fails")}`);
  if (e.explanation.requestError) out.push(`the request could not be built: ${e.explanation.requestError}`);
  const about = e.explanation.rules.filter((r) => r.inScope);
  const others = e.explanation.rules.filter((r) => !r.inScope);
  if (about.length > 0) out.push(`rules about \`${e.action}\`:`);
  for (const r of about) {
    const mark = r.matched ? k.green("matched") : "did not match";
    out.push(`  ${r.id}  ${r.location}  \`${r.text}\` — ${mark}${r.decided ? k.bold(" (decided)") : ""}`);
    out.push(`    ${r.why}`);
    for (const t of r.terms)
      out.push(
        `      ${t.role} term \`${t.text}\` (${t.location}): ${t.value}${t.missing.length ? ` — ${t.missing.join(", ")}` : ""}${t.error ? ` — ${t.error}` : ""}`,
      );
  }
  if (others.length > 0) out.push(`other rules (not about \`${e.action}\`): ${others.map((r) => r.id).join(", ")}`);
  return out.join("\n") + "\n";
}
