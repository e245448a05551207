/**
 * What the interpreter needs from the world. Agent code has no ambient authority: it cannot
 * read files, the environment, the clock's effects or the network by itself. Its only effects
 * go through this interface — tool calls (gated, sandboxed and audited by runtime/exec) and
 * log lines — and through nothing else.
 */
import type { SourceLocation } from "./errors.js";
import type { Value } from "./values.js";
import type { TrustedRecord } from "../../stdlib/trusted-records.js";

export interface ToolCallArgs {
  /** Arguments in call order (mapped to the contract's arguments in `position` order). */
  positional: Value[];
  /** `name = value` arguments. */
  named: Map<string, Value>;
}

/** A call of a governed builtin (`delegate`, `llm_call`, `memory_search`...: the table's `action` entries). */
export interface ActionCall {
  /** The builtin called. */
  builtin: string;
  /** The policy action it is gated as (stdlib table `action`). */
  action: string;
  /** The value of the parameter the action's binder stands for (stdlib table `target`). */
  target: Value | undefined;
  /** Parameter name → value, for the call's arguments as bound by the signature. */
  args: Map<string, Value>;
}

export interface InterpreterHost {
  /** Runs one tool call through the whole pipeline; resolves to the typed result or throws a DslError / FatalError. */
  callTool(name: string, args: ToolCallArgs, loc: SourceLocation): Promise<Value>;
  /** Runs a governed builtin: gate, audit, then the action itself (or a clear error if this runtime cannot perform it). */
  callAction(call: ActionCall, loc: SourceLocation): Promise<Value>;
  /** A log line from agent code (`log`, `print`). */
  log(level: string, message: string, loc: SourceLocation): void;
  /** The current time in milliseconds since the epoch (`now()`); a host may fix it for reproducible runs. */
  now(): number;
  /** The run's trusted record (`user`, `session`, `system`, `context`), or undefined when the operator gave none. */
  trusted(record: TrustedRecord): Value | undefined;
}
