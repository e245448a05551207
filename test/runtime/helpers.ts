/** Helpers for the runtime tests: run agent source through the real parser and interpreter. */
import * as assert from "uvu/assert";
import { parseText, type AgentDef, type FunctionDef, type TypeDef, type WithBlock } from "../../grammar/index.js";
import {
  Budget,
  Interpreter,
  stdlibRegistry,
  type BudgetOptions,
  type InterpreterHost,
  type Value,
} from "../../runtime/interpreter/index.js";

/** A host for interpreter tests that exercise pure agent code: no tools, no governed actions; log lines are kept. */
export class PureHost implements InterpreterHost {
  readonly logs: string[] = [];
  hasTool(): boolean {
    return false;
  }
  async callTool(): Promise<Value> {
    throw new Error("this test host has no tools");
  }
  async callAction(): Promise<Value> {
    throw new Error("this test host performs no governed actions");
  }
  log(level: string, message: string): void {
    this.logs.push(`${level}: ${message}`);
  }
  now(): number {
    return Date.parse("2025-01-31T12:00:00.000Z");
  }
}

export interface Parsed {
  agent: AgentDef;
  with: WithBlock;
  functions: FunctionDef[];
  types: TypeDef[];
}

export function parseAgent(src: string, file = "agent.symbi"): Parsed {
  const r = parseText(src, file);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0)
    throw new Error(`parse errors: ${errors.map((d) => `${d.span.line}:${d.span.col} ${d.message}`).join("; ")}`);
  const agent = r.program.items.find((i): i is AgentDef => i.kind === "Agent");
  if (!agent) throw new Error("no agent in the source");
  const w = agent.members.find((m): m is WithBlock => m.kind === "With");
  if (!w) throw new Error("the agent has no with block");
  const functions = [
    ...r.program.items.filter((i): i is FunctionDef => i.kind === "Function"),
    ...agent.members.filter((m): m is FunctionDef => m.kind === "Function"),
  ];
  const types = r.program.items.filter((i): i is TypeDef => i.kind === "TypeDef");
  return { agent, with: w, functions, types };
}

/** Runs the agent's with block with `params` bound, through the real evaluator and stdlib. */
export async function runAgentSource(
  src: string,
  params: Record<string, Value> = {},
  budget?: BudgetOptions,
  host: InterpreterHost = new PureHost(),
): Promise<Value> {
  const p = parseAgent(src);
  const interp = new Interpreter({
    program: { file: "agent.symbi", functions: p.functions, types: p.types },
    host,
    builtins: stdlibRegistry(),
    budget: new Budget(budget),
  });
  return interp.runWith(p.with, new Map(Object.entries(params)));
}

/** Wraps statements in an agent with a `with` block. */
export function body(code: string, extra = ""): string {
  return `${extra}\nagent t(x: int) {\n  with sandbox = "process" {\n${code}\n  }\n}\n`;
}

/** Asserts that `p` rejects with an error `check` accepts (`what` names the case in failures). */
export async function rejects(p: Promise<unknown>, check: (e: unknown) => boolean, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(check(e), `${what}: unexpected error ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return;
  }
  assert.unreachable(`${what}: expected an error`);
}
