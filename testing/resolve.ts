/**
 * A test's names checked against the built project, and its requests made ready to decide:
 * the agent exists, the tool or action is one the agent can request, the arguments are the
 * tool's and satisfy its contract, the rules named exist, the inputs fit the agent's parameters
 * and the trusted records fit their declared types. Each problem is a diagnostic at the value
 * in the test file, with a did-you-mean where a name is close to a known one.
 *
 * What the gate is then given is built as `symbi exec` builds it: inputs validated and
 * converted like `--input`, trusted records completed like `--context` (runtime/exec/run.ts),
 * tool arguments validated by the contract (runtime/tools).
 */
import { resolve as resolvePath } from "node:path";
import { displayPath } from "../compiler/project/files.js";
import { closestName } from "../grammar/suggest.js";
import type { TomlPath } from "../formats/toml-locator.js";
import type { Span } from "../grammar/span.js";
import { diagnostic, type Diagnostic } from "../compiler/diagnostics/model.js";
import type { AgentBundle } from "../compiler/emit/build.js";
import type { ActionInfo } from "../compiler/policy/catalog.js";
import type { ToolContract } from "../compiler/contracts/model.js";
import { isTrustedRecord, TRUSTED_RECORDS } from "../stdlib/trusted-records.js";
import { DEFAULT_DENY, RESERVED_CONTEXT_KEYS, type PolicyGate } from "../runtime/gate/gate.js";
import { policySetOf, type Bundle } from "../runtime/exec/bundle.js";
import { InputError, trustedRecordProblems, validateInputs } from "../runtime/exec/inputs.js";
import { toRequestJson } from "../runtime/exec/request-json.js";
import {
  metaActionModes,
  runTrustedRecords,
  RUNTIME_CONTEXT_FIELDS,
  type MetaActionMode,
} from "../runtime/exec/run.js";
import { CallRequirements } from "../runtime/exec/requirements.js";
import { validateToolArgs, type ValidatedArgs } from "../runtime/tools/index.js";
import type { TestFile } from "./file.js";
import type { TomlTable } from "../compiler/contracts/reader.js";
import type { TestedProject } from "./project.js";

/** The run id and clock a test's trusted `context` record carries (fixed, so tests are repeatable). */
export const TEST_RUN_ID = "symbic-test";
export const TEST_CLOCK_MS = Date.UTC(2025, 0, 1);

/** What a policy case asks the gate, ready to decide. */
export type CallSpec =
  | {
      kind: "tool";
      action: string;
      /** The contract the call is validated with (the project's). */
      contract: ToolContract;
      /** Whether the bundle carries the contract (without it `symbi exec` denies by default). */
      inBundle: boolean;
      validated: ValidatedArgs;
      facts?: Record<string, unknown>;
      checkInvokeTool: boolean;
      /** An allow rule names `invoke_tool`: a tool none of its rules allows is refused. */
      invokeToolAllowList: boolean;
      /** The agent's `require` settings that bound calls (a fresh count: no call has run). */
      requirements: CallRequirements;
    }
  | { kind: "action"; action: string; args: Record<string, unknown>; facts?: Record<string, unknown> };

export interface AgentScope {
  agent: string;
  bundle: Bundle;
  compiled: AgentBundle;
  /** Policy ids of the agent, for rule names. */
  ruleIds: Set<string>;
  /** How the agent's policies use `invoke_tool` and `receive` (runtime/exec/run.ts). */
  metaActions: Map<string, MetaActionMode>;
  requirements: CallRequirements;
}

/** A problem collector for one test file. */
export class Problems {
  readonly list: Diagnostic[] = [];
  constructor(readonly testFile: TestFile) {}

  /** Cases that share a file-level value (its `input`, `context`) share its problems: each is reported once. */
  private readonly seen = new Set<string>();

  /** A problem with the value at `path`. */
  at(code: string, path: TomlPath, message: string, help?: string): void {
    this.push(code, this.testFile.locator.value(path), message, help);
  }

  /** A problem with the name of the key at `path` (an unknown argument, parameter, field or record). */
  atKey(code: string, path: TomlPath, message: string, help?: string): void {
    this.push(code, this.testFile.locator.key(path), message, help);
  }

  private push(code: string, span: Span, message: string, help?: string): void {
    const key = `${code}\u0000${span.start}\u0000${span.end}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(diagnostic({ code, message, file: this.testFile.file, span, ...(help ? { help } : {}) }));
  }
}

function didYouMean(name: string, candidates: Iterable<string>): string {
  const near = closestName(name, candidates);
  return near ? `; did you mean \`${near}\`?` : "";
}

/** The agent a case or run names (or the project's only agent). */
export function agentScope(
  p: TestedProject,
  agent: string | undefined,
  agentPath: TomlPath | undefined,
  at: TomlPath,
  problems: Problems,
): AgentScope | undefined {
  let name = agent;
  if (name === undefined) {
    if (p.bundles.size === 1) name = [...p.bundles.keys()][0]!;
    else {
      problems.at(
        "E1002",
        at,
        `the project defines ${p.bundles.size} agents; name the one to test with \`agent = "…"\` (${[...p.bundles.keys()].sort().join(", ")})`,
      );
      return undefined;
    }
  }
  const bundle = p.bundles.get(name);
  const compiled = p.compiled.get(name);
  if (!bundle || !compiled) {
    problems.at(
      "E1004",
      agentPath ?? at,
      `the project has no agent \`${name}\`${didYouMean(name, p.bundles.keys())}`,
      `its agents: ${[...p.bundles.keys()].sort().join(", ") || "none"}`,
    );
    return undefined;
  }
  const ids = new Set(compiled.cedar.policiesJson?.policies.map((e) => e.id) ?? []);
  return {
    agent: name,
    bundle,
    compiled,
    ruleIds: ids,
    metaActions: metaActionModes(bundle),
    requirements: new CallRequirements(policySetOf(bundle).policiesJson.settings),
  };
}

/** Rule ids named by a test exist (or are `default-deny`). */
export function checkRules(scope: AgentScope, ids: readonly string[], path: TomlPath, problems: Problems): boolean {
  let ok = true;
  for (const id of ids) {
    if (id === DEFAULT_DENY || scope.ruleIds.has(id)) continue;
    ok = false;
    problems.at(
      "E1007",
      path,
      `agent \`${scope.agent}\` has no rule \`${id}\`${didYouMean(id, scope.ruleIds)}`,
      `its rules: ${[...scope.ruleIds].sort().join(", ") || "none"} (and ${DEFAULT_DENY})`,
    );
  }
  return ok;
}

function pick(input: TomlTable, params: ReadonlyArray<{ name: string }>): TomlTable {
  return Object.fromEntries(params.map((p) => [p.name, input[p.name]]));
}

/** The validated inputs (as the gate sees them) and the completed trusted records; undefined after problems. */
export function runParts(
  scope: AgentScope,
  input: TomlTable,
  inputPath: TomlPath,
  context: TomlTable,
  contextPaths: Record<string, TomlPath>,
  problems: Problems,
  /** Parameters may be left out (policy cases); else every required one must be given (agent runs). */
  partial: boolean,
): { input: Record<string, unknown>; trusted: Record<string, unknown> } | undefined {
  const before = problems.list.length;
  const ir = scope.bundle.ir;
  let inputJson: Record<string, unknown> = {};
  let params = ir.agent.params.map((p) => ({ name: p.local.name, type: p.type }));
  if (partial) {
    // A policy case gives the inputs its policies read, not every parameter; each one given is
    // checked as `--input` checks it, and one the agent does not take is a mistake.
    const names = params.map((p) => p.name);
    for (const k of Object.keys(input))
      if (!names.includes(k))
        problems.atKey(
          "E1009",
          [...inputPath, k],
          `\`${k}\` is not a parameter of agent \`${scope.agent}\`${didYouMean(k, names)}`,
          names.length ? `its parameters: ${names.join(", ")}` : "it takes none",
        );
    params = params.filter((p) => Object.hasOwn(input, p.name));
  }
  try {
    const values = validateInputs(params, partial ? pick(input, params) : input, ir.types);
    for (const [k, v] of values) inputJson[k] = toRequestJson(v, `input.${k}`);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const located = new Set(e.located.map((l) => l.message));
    for (const l of e.located)
      problems.at("E1009", [...inputPath, ...l.path], `input \`${l.path.join(".")}\`: ${l.message}`);
    for (const msg of e.problems) {
      // Problems without a place inside a value (a missing or unknown parameter): at the input.
      if ([...located].some((m) => msg.endsWith(m))) continue;
      problems.at("E1009", inputPath, `input of agent \`${scope.agent}\`: ${msg}`);
    }
    inputJson = {};
  }
  for (const [record, value] of Object.entries(context)) {
    const path = contextPaths[record]!;
    if (RESERVED_CONTEXT_KEYS.has(record)) {
      problems.at(
        "E1008",
        path,
        `the trusted context may not set \`${record}\`: the runtime fills context.${record} itself`,
      );
      continue;
    }
    if (!isTrustedRecord(record)) {
      problems.atKey(
        "E1008",
        path,
        `\`${record}\` is not a trusted record${didYouMean(record, TRUSTED_RECORDS)}`,
        `the trusted records: ${TRUSTED_RECORDS.join(", ")}`,
      );
      continue;
    }
    if (record === "context" && typeof value === "object" && value !== null)
      for (const k of RUNTIME_CONTEXT_FIELDS)
        if (Object.hasOwn(value, k))
          problems.atKey(
            "E1008",
            [...path, k],
            `a test may not set \`context.${k}\`: the runtime fills it itself (a test run's is ${JSON.stringify(k === "run_id" ? TEST_RUN_ID : k === "time" ? new Date(TEST_CLOCK_MS).toISOString() : scope.agent)})`,
          );
    for (const p of trustedRecordProblems(record, value, ir.types))
      (p.unknownField ? problems.atKey : problems.at).call(
        problems,
        "E1008",
        [...path, ...p.path],
        `\`${[record, ...p.path].join(".")}\`: ${p.message}`,
      );
  }
  if (problems.list.length > before) return undefined;
  return { input: inputJson, trusted: runTrustedRecords(context, scope.agent, TEST_RUN_ID, TEST_CLOCK_MS) };
}

const gates = new WeakMap<Bundle, WeakMap<object, WeakMap<object, PolicyGate>>>();

/** The agent's gate bound to a case's inputs and records; cases sharing both share a gate. */
export function gateFor(
  scope: AgentScope,
  input: TomlTable,
  context: TomlTable,
  parts: ReturnType<typeof runParts>,
): PolicyGate {
  let byInput = gates.get(scope.bundle);
  if (!byInput) gates.set(scope.bundle, (byInput = new WeakMap()));
  let byContext = byInput.get(input);
  if (!byContext) byInput.set(input, (byContext = new WeakMap()));
  let gate = byContext.get(context);
  if (!gate) {
    gate = policySetOf(scope.bundle).gate({ input: parts!.input, trusted: parts!.trusted });
    byContext.set(context, gate);
  }
  return gate;
}

/** Where an argument of a case was written: its row, or the case's `args`. */
export type ArgPlace = (arg: string) => TomlPath;

function scalarType(v: unknown): string {
  if (typeof v === "string") return "String";
  if (typeof v === "boolean") return "Bool";
  if (typeof v === "number" && Number.isInteger(v)) return "Long";
  if (typeof v === "number") return "float";
  if (Array.isArray(v)) return "List";
  return "Record";
}

/** The call a case makes: the action exists for the agent, the arguments are its own and valid. */
export function callSpec(
  scope: AgentScope,
  target: { kind: "tool" | "action"; name: string },
  targetPath: TomlPath,
  args: TomlTable,
  argPlace: ArgPlace,
  facts: TomlTable | undefined,
  factsPath: TomlPath,
  problems: Problems,
): CallSpec | undefined {
  const catalog = scope.compiled.catalog;
  const info: ActionInfo | undefined = catalog.actions.get(target.name);
  if (!info) {
    const what = target.kind === "tool" ? "tool" : "action";
    const tools = [...catalog.actions.values()].filter((a) => a.origin === "tool").map((a) => a.name);
    problems.at(
      "E1005",
      targetPath,
      `agent \`${scope.agent}\` has no ${what} \`${target.name}\`${didYouMean(target.name, target.kind === "tool" ? tools : catalog.actions.keys())}`,
      target.kind === "tool"
        ? `the project's tools: ${tools.sort().join(", ") || "none"}`
        : "an action is a built-in action (delegate, use_llm, …) or one of the agent's capabilities",
    );
    return undefined;
  }
  const before = problems.list.length;
  const names = info.args.map((a) => a.name);
  for (const k of Object.keys(args)) {
    if (names.includes(k)) continue;
    problems.atKey(
      "E1006",
      argPlace(k),
      `\`${info.name}\` has no argument \`${k}\`${didYouMean(k, names)}`,
      names.length ? `its arguments: ${names.join(", ")}` : `\`${info.name}\` takes no arguments`,
    );
  }
  for (const k of Object.keys(facts ?? {})) {
    if (names.includes(k)) continue;
    problems.atKey(
      "E1006",
      [...factsPath, k],
      `facts are about the call's arguments, and \`${info.name}\` has no argument \`${k}\`${didYouMean(k, names)}`,
    );
  }
  if (problems.list.length > before) return undefined;
  if (info.origin === "tool" && info.contract) {
    const v = validateToolArgs(info.contract, args);
    if (!v.ok) {
      for (const e of v.errors)
        problems.at(
          "E1006",
          e.arg ? argPlace(e.arg) : targetPath,
          `invalid arguments for \`${info.name}\`: ${e.arg ? `\`${e.arg}\`: ` : ""}${e.message}`,
          "symbi exec stops such a call before the policy gate (ArgumentError)",
        );
      return undefined;
    }
    return {
      kind: "tool",
      action: info.name,
      contract: info.contract,
      inBundle: scope.bundle.contracts.has(info.name),
      validated: v.args,
      ...(facts ? { facts } : {}),
      checkInvokeTool: scope.metaActions.has("invoke_tool"),
      invokeToolAllowList: scope.metaActions.get("invoke_tool") === "allow-list",
      requirements: scope.requirements,
    };
  }
  for (const a of info.args) {
    if (!Object.hasOwn(args, a.name)) continue;
    const got = scalarType(args[a.name]);
    const want = a.type === "Unsupported" ? undefined : a.type;
    if (want && got !== want)
      problems.at(
        "E1006",
        argPlace(a.name),
        `argument \`${a.name}\` of \`${info.name}\` is ${a.declared}, not ${got === "Long" ? "int" : got === "Bool" ? "bool" : got}`,
      );
  }
  if (problems.list.length > before) return undefined;
  return { kind: "action", action: info.name, args, ...(facts ? { facts } : {}) };
}

/** A project-relative DSL location (`agent.symbi:26:9`) shown relative to the working directory. */
export function displayLocation(projectDir: string, location: string): string {
  if (location === "") return "";
  const m = /^(.*):(\d+):(\d+)$/.exec(location);
  if (!m) return location;
  return `${displayPath(resolvePath(projectDir, m[1]!))}:${m[2]}:${m[3]}`;
}
