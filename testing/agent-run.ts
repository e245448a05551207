/**
 * Agent tests (`[[run]]`): the agent runs with `symbi exec`'s own code (runtime/exec
 * execAgent) — inputs, the gate, approvals, the interpreter, the reasoning loop — with two
 * things supplied by the test instead of the world:
 *
 * - the model's answers, replayed from a recording (runtime/model record/replay: a request that
 *   differs from the recording fails the run, and exchanges left unused fail the test);
 * - the tools' output, from doubles the test declares (runtime/exec/tool-double.ts): a call is
 *   bound, validated, decided, approved and audited as always, and the double answers instead of
 *   a sandbox. A call no double answers ends the run; no tool ever runs for real.
 *
 * The test then checks the run's status, its result, its error, and the sequence of decisions
 * (which calls were allowed, denied, asked for approval and answered), as the audit log records
 * them.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { closestName } from "../grammar/suggest.js";
import type { TomlPath } from "../formats/toml-locator.js";
import { approverFor } from "../runtime/gate/approval.js";
import { execAgent, type ExecResult } from "../runtime/exec/run.js";
import type { ToolDoubles } from "../runtime/exec/tool-double.js";
import type { Bundle } from "../runtime/exec/bundle.js";
import { ModelSetup } from "../runtime/model/setup.js";
import { ConfigError, loadConfig, type Config } from "../config/index.js";
import { RecordingError } from "../runtime/model/recording.js";
import type { AgentRun, TestFile, ToolDoubleSpec } from "./file.js";
import type { TomlTable } from "../compiler/contracts/reader.js";
import { checkRules, runParts, TEST_CLOCK_MS, type AgentScope, type Problems } from "./resolve.js";

export interface PreparedRun {
  run: AgentRun;
  scope: AgentScope;
  /** The other agents of the project (delegation targets). */
  peers: Map<string, Bundle>;
  /** The recording to replay, resolved; and the project's `[model]` settings (the limits the recording was made with). */
  recording?: string;
  /** The project's own configuration (its symbi.toml; no operator file, no environment): the `[model]` limits the recording was made with. */
  config: Config;
}

export interface RunVerdict {
  passed: boolean;
  expected: string;
  actual: string;
  details: string[];
}

/** Checks a run's names and fixtures against the built project; undefined after problems. */
export function prepareRun(
  scope: AgentScope,
  r: AgentRun,
  f: TestFile,
  project: { dir: string; bundles: ReadonlyMap<string, Bundle> },
  problems: Problems,
): PreparedRun | undefined {
  const before = problems.list.length;
  runParts(scope, r.input, r.inputPath, r.context, r.contextPaths, problems, false);
  const catalog = scope.compiled.catalog;
  const tools = [...catalog.actions.values()].filter((a) => a.origin === "tool").map((a) => a.name);
  for (const d of r.tools) {
    const info = catalog.actions.get(d.tool);
    if (!info || info.origin !== "tool") {
      const near = closestName(d.tool, tools);
      problems.at(
        "E1010",
        [...d.path, "tool"],
        `agent \`${scope.agent}\` has no tool \`${d.tool}\` to double${near ? `; did you mean \`${near}\`?` : ""}`,
      );
      continue;
    }
    const names = info.args.map((a) => a.name);
    for (const k of Object.keys(d.args ?? {})) {
      if (names.includes(k)) continue;
      const near = closestName(k, names);
      problems.at(
        "E1006",
        [...d.path, "args", k],
        `\`${d.tool}\` has no argument \`${k}\`${near ? `; did you mean \`${near}\`?` : ""}`,
      );
    }
  }
  for (const d of r.expect.decisions ?? []) {
    if (!catalog.actions.has(d.target.name) && d.target.name !== "invoke_tool" && d.target.name !== "receive") {
      const near = closestName(d.target.name, catalog.actions.keys());
      problems.at(
        "E1005",
        [...d.path, d.target.kind],
        `agent \`${scope.agent}\` has no tool or action \`${d.target.name}\`${near ? `; did you mean \`${near}\`?` : ""}`,
      );
    }
    if (d.rule !== undefined) checkRules(scope, [d.rule], [...d.path, "rule"], problems);
  }
  let config: Config | undefined;
  try {
    config = projectConfig(project.dir);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.at("E1010", r.place.path, `the project's configuration cannot be used: ${e.message}`);
  }
  let recording: string | undefined;
  if (r.model !== undefined && config) {
    recording = resolve(dirname(f.path), r.model);
    const at: TomlPath = [...r.place.path, "model"];
    if (!existsSync(recording))
      problems.at("E1010", at, `the model recording ${r.model} does not exist (relative to the test file)`);
    else {
      try {
        new ModelSetup({ layers: { config, env: {} }, replay: recording });
      } catch (e) {
        if (!(e instanceof RecordingError)) throw e;
        problems.at("E1010", at, `the model recording cannot be used: ${e.message}`);
      }
    }
  }
  if (problems.list.length > before || !config) return undefined;
  const peers = new Map([...project.bundles].filter(([name]) => name !== scope.agent));
  return { run: r, scope, peers, ...(recording !== undefined ? { recording } : {}), config };
}

/** The project's symbi.toml alone: a test must not depend on the machine's operator files or environment. */
function projectConfig(dir: string): Config {
  return loadConfig({ projectRoot: dir, env: {}, operatorFiles: [] });
}

/** The doubles of a run: the first declared double of the tool whose arguments all equal the call's answers. */
function doublesOf(specs: readonly ToolDoubleSpec[]): ToolDoubles {
  return {
    answer(tool, args) {
      const mine = specs.filter((s) => s.tool === tool);
      const hit = mine.find((s) => Object.entries(s.args ?? {}).every(([k, v]) => isDeepStrictEqual(args[k], v)));
      if (hit)
        return {
          stdout: hit.stdout,
          ...(hit.stderr !== undefined ? { stderr: hit.stderr } : {}),
          ...(hit.exitCode !== undefined ? { exitCode: hit.exitCode } : {}),
        };
      const shown = Object.entries(args)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join(", ");
      return {
        missing:
          mine.length === 0
            ? `the test declares no double for \`${tool}\` (called with ${shown || "no arguments"})`
            : `no double of \`${tool}\` has the arguments ${shown}`,
      };
    },
  };
}

interface SeenDecision {
  agent: string;
  action: string;
  decision: string;
  rules: string[];
  approved?: boolean;
}

function show(d: { action: string; decision: string; rule?: string; rules?: string[]; approved?: boolean }): string {
  const rules = d.rule ?? (d.rules && d.rules.length ? d.rules.join(", ") : undefined);
  return `${d.decision === "require_approval" ? "approval" : d.decision} ${d.action}${rules ? ` by ${rules}` : ""}${d.approved === undefined ? "" : d.approved ? " (approved)" : " (refused)"}`;
}

/** Runs the agent and judges the run. `onRules` counts the rules of each decision (coverage). */
export async function executeRun(
  p: PreparedRun,
  onRules: (agent: string, rules: readonly string[]) => void,
): Promise<RunVerdict> {
  const r = p.run;
  const seen: SeenDecision[] = [];
  const logs: string[] = [];
  const warnings: string[] = [];
  let model: ModelSetup | undefined;
  if (p.recording !== undefined) model = new ModelSetup({ layers: { config: p.config, env: {} }, replay: p.recording });
  let result: ExecResult;
  try {
    result = await execAgent({
      bundle: p.scope.bundle,
      peers: p.peers,
      input: r.input,
      context: r.context as Record<string, unknown>,
      approver: approverFor(r.approve),
      toolDoubles: doublesOf(r.tools),
      now: () => TEST_CLOCK_MS,
      onLog: (level, message) => logs.push(`[${level}] ${message}`),
      onWarning: (m) => warnings.push(m),
      ...(model ? { model } : {}),
      observe: (ev) => {
        if (ev.type === "decision") {
          const d = ev.details;
          seen.push({
            agent: ev.agent,
            action: String(d["action"]),
            decision: String(d["decision"]),
            rules: Array.isArray(d["rules"]) ? (d["rules"] as string[]) : [],
          });
          onRules(ev.agent, Array.isArray(d["rules"]) ? (d["rules"] as string[]) : []);
        } else if (ev.type === "approval") {
          const last = [...seen].reverse().find((s) => s.agent === ev.agent && s.action === ev.details["action"]);
          if (last) last.approved = ev.details["approved"] === true;
        }
      },
    });
  } catch (e) {
    // Refused before the run started (a bad input the checks above let through, a bundle problem).
    const msg = e instanceof Error ? e.message : String(e);
    return {
      passed: false,
      expected: `status ${r.expect.status}`,
      actual: `the run could not start: ${msg}`,
      details: [],
    };
  }
  const details: string[] = [];
  const problems: string[] = [];
  const diverged = model?.finish();
  if (diverged) problems.push(diverged);
  if (result.status !== r.expect.status)
    problems.push(
      `status: expected ${r.expect.status}, got ${result.status}${result.message ? ` (${result.message})` : ""}`,
    );
  if (r.expect.error !== undefined && !(result.message ?? "").includes(r.expect.error))
    problems.push(
      `error: expected a message containing ${JSON.stringify(r.expect.error)}, got ${JSON.stringify(result.message ?? "")}`,
    );
  if (r.expect.hasResult && !isDeepStrictEqual(normalise(result.value), normalise(r.expect.result)))
    problems.push(`result: expected ${JSON.stringify(r.expect.result)}, got ${JSON.stringify(result.value ?? null)}`);
  // The restrict-only `invoke_tool` check is left out when no rule is about the tool (it refuses nothing then).
  const restrictOnly = p.scope.metaActions.get("invoke_tool") === "restrict";
  const own = seen.filter(
    (s) => s.agent === p.scope.agent && !(restrictOnly && s.action === "invoke_tool" && s.rules[0] === "default-deny"),
  );
  if (r.expect.decisions) {
    const want = r.expect.decisions;
    const mismatch = want.findIndex((w, i) => {
      const got = own[i];
      if (!got) return true;
      const decision = got.decision === "require_approval" ? "approval" : got.decision;
      return (
        got.action !== w.target.name ||
        decision !== w.decision ||
        (w.rule !== undefined && !got.rules.includes(w.rule)) ||
        (w.approved !== undefined && got.approved !== w.approved)
      );
    });
    if (mismatch >= 0 || own.length !== want.length) {
      problems.push(
        mismatch >= 0
          ? `decision ${mismatch + 1}: expected ${show({ action: want[mismatch]!.target.name, ...want[mismatch]! })}, got ${own[mismatch] ? show(own[mismatch]!) : "no decision"}`
          : `expected ${want.length} decisions, got ${own.length}`,
      );
      details.push("decisions made:", ...own.map((d, i) => `  ${i + 1}. ${show(d)}`));
    }
  }
  if (problems.length > 0 && logs.length > 0) details.push("agent log:", ...logs.slice(-10).map((l) => `  ${l}`));
  const expected = [
    `status ${r.expect.status}`,
    ...(r.expect.decisions ? [`${r.expect.decisions.length} decisions`] : []),
    ...(r.expect.hasResult ? ["the expected result"] : []),
  ].join(", ");
  return {
    passed: problems.length === 0,
    expected,
    actual: problems.length === 0 ? expected : problems.join("; "),
    details,
  };
}

/** JSON values compared as data: integers and floats of equal value are equal. */
function normalise(v: unknown): unknown {
  return v === undefined ? null : (JSON.parse(JSON.stringify(v)) as TomlTable);
}
