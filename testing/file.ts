/**
 * Test files (`*.test.toml`, README.md beside this file): TOML text → the cases and runs they
 * declare, each value with its source range. Values come from smol-toml (the project's TOML
 * parser); ranges from formats/toml-locator.ts. This module checks the
 * file's own shape — keys, value types, `expect` words — with did-you-mean for misspelt keys;
 * whether the agent, tools, arguments, rules and records exist is checked against the built
 * project (resolve.ts).
 */
import { closestName } from "../grammar/suggest.js";
import { diagnostic, type Diagnostic } from "../compiler/diagnostics/model.js";
import { TomlLocator, type TomlPath } from "../formats/toml-locator.js";
import type { TomlTable } from "../compiler/contracts/reader.js";
import { parse, TomlError } from "smol-toml";
import { LocatedPlace, type Place } from "./places.js";

/** The file-level and case-level outcome words. */
export const EXPECTATIONS = ["allow", "deny", "approval"] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

/** How an agent-test run ends (runtime/exec RunStatus). */
export const RUN_STATUSES = ["ok", "denied", "error", "timeout"] as const;
export type RunStatusWord = (typeof RUN_STATUSES)[number];

export const APPROVE_MODES = ["all", "none"] as const;

export type { Place } from "./places.js";

export interface PolicyCase {
  place: Place;
  name: string;
  /** Set for a row of a table-style case: its index, and the row's own place. */
  row?: { index: number; place: Place; values: TomlTable };
  agent?: string;
  /** The TOML path where the agent was named (the case's or the file's `agent`). */
  agentPath?: TomlPath;
  target: { kind: "tool" | "action"; name: string };
  args: TomlTable;
  facts?: TomlTable;
  /** Where the facts were given (the case's `facts`, else the file's). */
  factsPath?: TomlPath;
  input: TomlTable;
  /** Where the case's input was given (the case's `input`, else the file's). */
  inputPath: TomlPath;
  context: TomlTable;
  /** For each trusted record given: the TOML path of its value. */
  contextPaths: Record<string, TomlPath>;
  approve?: boolean;
  expect: Expectation;
  rule?: { ids: string[]; exact: boolean };
}

export interface DecisionExpectation {
  target: { kind: "tool" | "action"; name: string };
  decision: Expectation;
  rule?: string;
  /** For a decision that asked a person: whether the test expects the approval given. */
  approved?: boolean;
  path: TomlPath;
}

export interface ToolDoubleSpec {
  tool: string;
  /** Only calls with these arguments (validated values) are answered; absent: every call. */
  args?: TomlTable;
  stdout: string;
  stderr?: string;
  exitCode?: number;
  path: TomlPath;
}

export interface AgentRun {
  place: Place;
  name: string;
  agent?: string;
  agentPath?: TomlPath;
  input: TomlTable;
  inputPath: TomlPath;
  context: TomlTable;
  contextPaths: Record<string, TomlPath>;
  approve: "all" | "none";
  /** A model recording to replay (path relative to the test file). */
  model?: string;
  tools: ToolDoubleSpec[];
  expect: {
    status: RunStatusWord;
    result?: unknown;
    hasResult: boolean;
    /** A text the error message must contain. */
    error?: string;
    decisions?: DecisionExpectation[];
  };
}

export interface TestFile {
  /** The file as shown in messages (relative to the working directory). */
  file: string;
  /** The absolute path. */
  path: string;
  text: string;
  locator: TomlLocator;
  cases: PolicyCase[];
  runs: AgentRun[];
}

const FILE_KEYS = ["agent", "input", "context", "facts", "case", "run"];
const CASE_KEYS = [
  "name",
  "agent",
  "tool",
  "action",
  "args",
  "rows",
  "facts",
  "input",
  "context",
  "approve",
  "expect",
  "rule",
];
const RUN_KEYS = ["name", "agent", "input", "context", "approve", "model", "tool", "expect"];
const DOUBLE_KEYS = ["tool", "args", "output", "json", "stderr", "exit_code"];
const RUN_EXPECT_KEYS = ["status", "result", "error", "decisions"];
const DECISION_KEYS = ["tool", "action", "decision", "rule", "approved"];

function isTable(v: unknown): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Whether a value is or holds a date (Reader.data reports where). */
function hasDate(v: unknown): boolean {
  if (v instanceof Date) return true;
  if (Array.isArray(v)) return v.some(hasDate);
  if (isTable(v)) {
    for (const k in v) if (Object.hasOwn(v, k) && hasDate(v[k])) return true;
  }
  return false;
}

function tomlType(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  if (isTable(v)) return "a table";
  if (typeof v === "string") return "a string";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a float";
  return typeof v;
}

/** Reads one test file's text. Problems are diagnostics; the file is usable only when there are none. */
export function parseTestFile(
  text: string,
  file: string,
  path: string,
): { file?: TestFile; diagnostics: Diagnostic[] } {
  let value: TomlTable;
  try {
    value = parse(text) as TomlTable;
  } catch (e) {
    const locator = new TomlLocator(text);
    if (e instanceof TomlError) {
      const reason = e.message
        .replace(/^Invalid TOML document:\s*/, "")
        .split("\n")[0]!
        .trim();
      return {
        diagnostics: [
          diagnostic({ code: "E1000", message: `invalid TOML: ${reason}`, file, span: locator.at(e.line, e.column) }),
        ],
      };
    }
    return {
      diagnostics: [
        diagnostic({
          code: "E1000",
          message: `invalid TOML: ${(e as Error).message}`,
          file,
          span: locator.lines.span(0, 0),
        }),
      ],
    };
  }
  const r = new Reader(text, file);
  const out: TestFile = { file, path, text, locator: r.locator, cases: [], runs: [] };
  r.keys(value, [], FILE_KEYS, "a test file");
  const fileAgent = r.str(value, ["agent"]);
  const fileInput = r.table(value, ["input"]) ?? {};
  const fileInputGiven = Object.hasOwn(value, "input");
  const fileContext = r.table(value, ["context"]) ?? {};
  const fileFacts = r.table(value, ["facts"]);
  const cases = r.tables(value, ["case"]);
  const runs = r.tables(value, ["run"]);
  if (cases.length === 0 && runs.length === 0 && r.diagnostics.length === 0)
    r.error("E1002", [], "the file declares no test: add `[[case]]` (policy tests) or `[[run]]` (agent tests)");
  cases.forEach((c, i) => {
    for (const pc of r.policyCase(c, ["case", i], { fileAgent, fileInput, fileInputGiven, fileContext, fileFacts }))
      out.cases.push(pc);
  });
  runs.forEach((c, i) => {
    const run = r.run(c, ["run", i], { fileAgent, fileInput, fileInputGiven, fileContext });
    if (run) out.runs.push(run);
  });
  return r.diagnostics.length > 0 ? { diagnostics: r.diagnostics } : { file: out, diagnostics: [] };
}

interface Defaults {
  fileAgent?: string;
  fileInput: TomlTable;
  /** The file gives `input` itself (else problems with a case's input point at the case). */
  fileInputGiven: boolean;
  fileContext: TomlTable;
  fileFacts?: TomlTable;
}

class Reader {
  readonly diagnostics: Diagnostic[] = [];
  readonly locator: TomlLocator;

  constructor(
    text: string,
    readonly file: string,
  ) {
    this.locator = new TomlLocator(text);
  }

  error(code: string, path: TomlPath, message: string, opts: { key?: boolean; help?: string } = {}): void {
    const span = opts.key ? this.locator.key(path) : this.locator.value(path);
    this.diagnostics.push(
      diagnostic({ code, message, file: this.file, span, ...(opts.help ? { help: opts.help } : {}) }),
    );
  }

  place(path: TomlPath): Place {
    return new LocatedPlace(this.locator, this.file, path);
  }

  /** Unknown keys of a table: one error each, with the closest known key. */
  keys(t: TomlTable, path: TomlPath, known: readonly string[], what: string): void {
    for (const k of Object.keys(t)) {
      if (known.includes(k)) continue;
      const near = closestName(k, known);
      this.error(
        "E1001",
        [...path, k],
        `\`${k}\` is not a key of ${what}${near ? `; did you mean \`${near}\`?` : ""}`,
        {
          key: true,
          help: `the keys of ${what}: ${known.join(", ")}`,
        },
      );
    }
  }

  private typed<T>(t: TomlTable, path: TomlPath, ok: (v: unknown) => v is T, what: string): T | undefined {
    const k = path[path.length - 1] as string;
    if (!Object.hasOwn(t, k)) return undefined;
    const v = t[k];
    if (ok(v)) return v;
    this.error("E1003", path, `\`${k}\` must be ${what}, not ${tomlType(v)}`);
    return undefined;
  }

  str(t: TomlTable, path: TomlPath): string | undefined {
    return this.typed(t, path, (v): v is string => typeof v === "string", "a string");
  }

  bool(t: TomlTable, path: TomlPath): boolean | undefined {
    return this.typed(t, path, (v): v is boolean => typeof v === "boolean", "true or false");
  }

  table(t: TomlTable, path: TomlPath): TomlTable | undefined {
    return this.typed(t, path, isTable, "a table");
  }

  /** An array of tables (`[[case]]`). */
  tables(t: TomlTable, path: TomlPath): TomlTable[] {
    const v = this.typed(t, path, (x): x is unknown[] => Array.isArray(x), "an array of tables (`[[...]]`)");
    if (!v) return [];
    const out: TomlTable[] = [];
    v.forEach((x, i) => {
      if (isTable(x)) out.push(x);
      else
        this.error(
          "E1003",
          [...path, i],
          `each \`${String(path[path.length - 1])}\` must be a table, not ${tomlType(x)}`,
        );
    });
    return out;
  }

  /** A word from a fixed list, with did-you-mean. */
  word<W extends string>(t: TomlTable, path: TomlPath, words: readonly W[]): W | undefined {
    const v = this.str(t, path);
    if (v === undefined) return undefined;
    if ((words as readonly string[]).includes(v)) return v as W;
    const near = closestName(v, words);
    this.error(
      "E1003",
      path,
      `${JSON.stringify(v)} is not one of ${words.map((w) => JSON.stringify(w)).join(", ")}${near ? `; did you mean ${JSON.stringify(near)}?` : ""}`,
    );
    return undefined;
  }

  /** Plain data values (no dates, which have no meaning in a request). */
  data(v: unknown, path: TomlPath): boolean {
    // Most values hold no date: checked without making a path for every part.
    if (!hasDate(v)) return true;
    if (v instanceof Date) {
      this.error("E1003", path, "a date is not a value a request can carry; write it as a string");
      return false;
    }
    if (Array.isArray(v)) return v.every((x, i) => this.data(x, [...path, i]));
    if (isTable(v)) return Object.entries(v).every(([k, x]) => this.data(x, [...path, k]));
    return true;
  }

  target(t: TomlTable, path: TomlPath): { kind: "tool" | "action"; name: string } | undefined {
    const tool = this.str(t, [...path, "tool"]);
    const action = this.str(t, [...path, "action"]);
    if (tool !== undefined && action !== undefined) {
      this.error("E1003", [...path, "action"], "give `tool` or `action`, not both");
      return undefined;
    }
    if (tool !== undefined) return { kind: "tool", name: tool };
    if (action !== undefined) return { kind: "action", name: action };
    return undefined;
  }

  /** The file's trusted records overlaid with the case's (per record: the case's replaces the file's). */
  context(
    fileContext: TomlTable,
    own: TomlTable | undefined,
    path: TomlPath,
  ): { context: TomlTable; paths: Record<string, TomlPath> } {
    const context: TomlTable = {};
    const paths: Record<string, TomlPath> = {};
    for (const [k, v] of Object.entries(fileContext)) {
      context[k] = v;
      paths[k] = ["context", k];
    }
    for (const [k, v] of Object.entries(own ?? {})) {
      context[k] = v;
      paths[k] = [...path, "context", k];
    }
    return { context, paths };
  }

  policyCase(t: TomlTable, path: TomlPath, d: Defaults): PolicyCase[] {
    const before = this.diagnostics.length;
    this.keys(t, path, CASE_KEYS, "a case");
    const name = this.str(t, [...path, "name"]);
    if (name === undefined && !Object.hasOwn(t, "name"))
      this.error("E1002", path, "the case has no `name`", { key: true });
    const target = this.target(t, path);
    if (!target && !Object.hasOwn(t, "tool") && !Object.hasOwn(t, "action"))
      this.error("E1002", path, "the case names no `tool` (or `action`) to decide", { key: true });
    const expect = this.word(t, [...path, "expect"], EXPECTATIONS);
    if (!Object.hasOwn(t, "expect"))
      this.error("E1002", path, "the case has no `expect` (allow, deny or approval)", { key: true });
    const agent = this.str(t, [...path, "agent"]);
    const args = this.table(t, [...path, "args"]) ?? {};
    const facts = this.table(t, [...path, "facts"]);
    const input = this.table(t, [...path, "input"]);
    const ownContext = this.table(t, [...path, "context"]);
    const approve = this.bool(t, [...path, "approve"]);
    let rule: PolicyCase["rule"];
    if (Object.hasOwn(t, "rule")) {
      const r = t["rule"];
      if (typeof r === "string") rule = { ids: [r], exact: false };
      else if (Array.isArray(r) && r.length > 0 && r.every((x) => typeof x === "string"))
        rule = { ids: r as string[], exact: true };
      else
        this.error(
          "E1003",
          [...path, "rule"],
          "`rule` must be a rule id (`quickstart.tools.2`) or a non-empty array of rule ids (exactly the deciding rules)",
        );
    }
    if (expect === "approval" && approve !== undefined)
      this.error(
        "E1003",
        [...path, "approve"],
        "a case that answers the approval (`approve`) expects its answer: allow (approved) or deny (refused), not approval",
      );
    for (const k of ["args", "facts", "input", "context"]) if (Object.hasOwn(t, k)) this.data(t[k], [...path, k]);
    let rows: TomlTable[] | undefined;
    if (Object.hasOwn(t, "rows")) {
      const v = t["rows"];
      if (!Array.isArray(v) || v.length === 0)
        this.error("E1003", [...path, "rows"], "`rows` must be a non-empty array of tables of arguments");
      else {
        rows = [];
        v.forEach((x, i) => {
          if (isTable(x) && this.data(x, [...path, "rows", i])) rows!.push(x);
          else if (!isTable(x))
            this.error("E1003", [...path, "rows", i], `each row must be a table of arguments, not ${tomlType(x)}`);
        });
      }
    }
    if (this.diagnostics.length > before || !name || !target || !expect) return [];
    const ctx = this.context(d.fileContext, ownContext, path);
    const base: PolicyCase = {
      place: this.place(path),
      name,
      ...(agent !== undefined
        ? { agent, agentPath: [...path, "agent"] }
        : d.fileAgent !== undefined
          ? { agent: d.fileAgent, agentPath: ["agent"] }
          : {}),
      target,
      args,
      ...(facts !== undefined
        ? { facts, factsPath: [...path, "facts"] }
        : d.fileFacts !== undefined
          ? { facts: d.fileFacts, factsPath: ["facts"] }
          : {}),
      input: input ?? d.fileInput,
      inputPath: input !== undefined ? [...path, "input"] : d.fileInputGiven ? ["input"] : path,
      context: ctx.context,
      contextPaths: ctx.paths,
      ...(approve !== undefined ? { approve } : {}),
      expect,
      ...(rule ? { rule } : {}),
    };
    if (!rows) return [base];
    return rows.map((values, index) => ({
      ...base,
      args: { ...args, ...values },
      row: { index, place: this.place([...path, "rows", index]), values },
    }));
  }

  run(t: TomlTable, path: TomlPath, d: Omit<Defaults, "fileFacts">): AgentRun | undefined {
    const before = this.diagnostics.length;
    this.keys(t, path, RUN_KEYS, "a run");
    const name = this.str(t, [...path, "name"]);
    if (!Object.hasOwn(t, "name")) this.error("E1002", path, "the run has no `name`", { key: true });
    const agent = this.str(t, [...path, "agent"]);
    const input = this.table(t, [...path, "input"]);
    const ownContext = this.table(t, [...path, "context"]);
    const approve = Object.hasOwn(t, "approve") ? this.word(t, [...path, "approve"], APPROVE_MODES) : "none";
    const model = this.str(t, [...path, "model"]);
    for (const k of ["input", "context"]) if (Object.hasOwn(t, k)) this.data(t[k], [...path, k]);
    const tools: ToolDoubleSpec[] = [];
    this.tables(t, [...path, "tool"]).forEach((x, i) => {
      const p = [...path, "tool", i];
      this.keys(x, p, DOUBLE_KEYS, "a tool double");
      const tool = this.str(x, [...p, "tool"]);
      if (!Object.hasOwn(x, "tool")) this.error("E1002", p, "the tool double names no `tool`", { key: true });
      const args = this.table(x, [...p, "args"]);
      if (args) this.data(args, [...p, "args"]);
      const output = this.str(x, [...p, "output"]);
      let json: string | undefined;
      if (Object.hasOwn(x, "json")) {
        if (this.data(x["json"], [...p, "json"])) json = JSON.stringify(x["json"]);
      }
      if (output !== undefined && json !== undefined)
        this.error(
          "E1003",
          [...p, "json"],
          "give the tool's `output` (text) or `json` (a value it prints as JSON), not both",
        );
      const stderr = this.str(x, [...p, "stderr"]);
      const exitCode = this.typed(
        x,
        [...p, "exit_code"],
        (v): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 255,
        "an exit code (0–255)",
      );
      if (tool !== undefined)
        tools.push({
          tool,
          ...(args ? { args } : {}),
          stdout: output ?? json ?? "",
          ...(stderr !== undefined ? { stderr } : {}),
          ...(exitCode !== undefined ? { exitCode } : {}),
          path: p,
        });
    });
    const e = this.table(t, [...path, "expect"]);
    if (!Object.hasOwn(t, "expect"))
      this.error("E1002", path, "the run has no `[run.expect]` (status, result, error, decisions)", { key: true });
    let expect: AgentRun["expect"] | undefined;
    if (e) {
      const ep = [...path, "expect"];
      this.keys(e, ep, RUN_EXPECT_KEYS, "a run's expect");
      const status = Object.hasOwn(e, "status") ? this.word(e, [...ep, "status"], RUN_STATUSES) : "ok";
      const error = this.str(e, [...ep, "error"]);
      const hasResult = Object.hasOwn(e, "result");
      if (hasResult) this.data(e["result"], [...ep, "result"]);
      let decisions: DecisionExpectation[] | undefined;
      if (Object.hasOwn(e, "decisions")) {
        const v = e["decisions"];
        if (!Array.isArray(v)) this.error("E1003", [...ep, "decisions"], "`decisions` must be an array of tables");
        else {
          decisions = [];
          v.forEach((x, i) => {
            const p = [...ep, "decisions", i];
            if (!isTable(x)) {
              this.error(
                "E1003",
                p,
                `each decision must be a table ({ tool = "…", decision = "allow" }), not ${tomlType(x)}`,
              );
              return;
            }
            this.keys(x, p, DECISION_KEYS, "an expected decision");
            const target = this.target(x, p);
            if (!target && !Object.hasOwn(x, "tool") && !Object.hasOwn(x, "action"))
              this.error("E1002", p, "the decision names no `tool` (or `action`)");
            const decision = this.word(x, [...p, "decision"], EXPECTATIONS);
            if (!Object.hasOwn(x, "decision"))
              this.error("E1002", p, "the decision has no `decision` (allow, deny or approval)");
            const rule = this.str(x, [...p, "rule"]);
            const approved = this.bool(x, [...p, "approved"]);
            if (target && decision)
              decisions!.push({
                target,
                decision,
                ...(rule !== undefined ? { rule } : {}),
                ...(approved !== undefined ? { approved } : {}),
                path: p,
              });
          });
        }
      }
      if (status)
        expect = {
          status,
          hasResult,
          ...(hasResult ? { result: e["result"] } : {}),
          ...(error !== undefined ? { error } : {}),
          ...(decisions ? { decisions } : {}),
        };
    }
    if (this.diagnostics.length > before || !name || !expect || !approve) return undefined;
    const ctx = this.context(d.fileContext, ownContext, path);
    return {
      place: this.place(path),
      name,
      ...(agent !== undefined
        ? { agent, agentPath: [...path, "agent"] }
        : d.fileAgent !== undefined
          ? { agent: d.fileAgent, agentPath: ["agent"] }
          : {}),
      input: input ?? d.fileInput,
      inputPath: input !== undefined ? [...path, "input"] : d.fileInputGiven ? ["input"] : path,
      context: ctx.context,
      contextPaths: ctx.paths,
      approve,
      ...(model !== undefined ? { model } : {}),
      tools,
      expect,
    };
  }
}
