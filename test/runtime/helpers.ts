/** Helpers for the runtime tests: run agent source through the real parser and interpreter. */
import * as assert from "uvu/assert";
import { parseText } from "../../grammar/index.js";
import { Project } from "../../compiler/check/index.js";
import { lowerAgentIR } from "../../compiler/emit/ir.js";
import type { AgentIR } from "../../formats/ir.js";
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
  trusted(): Value | undefined {
    return undefined;
  }
}

/**
 * Compiles agent source to the IR the runtime executes, through the real checker and lowering
 * (compiler/emit/ir.ts). The checker's type errors do not stop it — interpreter tests also run
 * code the checker rejects, to see the runtime's own errors — but a name the checker could not
 * resolve does (the IR cannot hold one).
 */
export function compileAgentSource(src: string, file = "agent.symbi"): AgentIR {
  const r = parseText(src, file);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0)
    throw new Error(`parse errors: ${errors.map((d) => `${d.span.line}:${d.span.col} ${d.message}`).join("; ")}`);
  const project = new Project(".", { loadContractsFromDisk: false });
  project.setFile(file, src);
  const res = project.check();
  const agent = [...res.agents.values()][0];
  if (!agent) throw new Error("no agent in the source");
  const lowered = lowerAgentIR(agent, res, (f) => f);
  if (lowered.ir === undefined)
    throw new Error(lowered.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`).join("; "));
  if (lowered.ir.agent.withBlocks.length === 0) throw new Error("the agent has no with block");
  return lowered.ir;
}

/** Runs the agent's first with block with `params` bound, through the real evaluator and stdlib. */
export async function runAgentSource(
  src: string,
  params: Record<string, Value> = {},
  budget?: BudgetOptions,
  host: InterpreterHost = new PureHost(),
): Promise<Value> {
  const ir = compileAgentSource(src);
  const interp = new Interpreter({
    program: { file: "agent.symbi", functions: ir.functions },
    host,
    builtins: stdlibRegistry(),
    budget: new Budget(budget),
  });
  const bound = new Map<number, Value>();
  for (const p of ir.agent.params)
    if (Object.hasOwn(params, p.local.name)) bound.set(p.local.slot, params[p.local.name]!);
  return interp.runWith(ir.agent.withBlocks[0]!, bound);
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
