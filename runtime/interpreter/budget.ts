/**
 * Run budgets: a step budget (one step per statement and per expression evaluated), a limit on
 * nested calls (functions, lambdas, builtins calling back into lambdas), and the `with` block's
 * deadline. Evaluation is a chain of async calls that rarely waits on anything, so a JavaScript
 * timer would never get to fire during a long computation: the deadline is checked here, every
 * CHECK_EVERY steps, and tool calls race it separately (runtime/exec).
 */
import { FatalError, type SourceLocation } from "./errors.js";

export const DEFAULT_MAX_STEPS = 10_000_000;
export const DEFAULT_MAX_CALL_DEPTH = 1000;
const CHECK_EVERY = 1024;

export interface BudgetOptions {
  maxSteps?: number;
  maxCallDepth?: number;
  /** Absolute deadline in `performance.now()` milliseconds, if any. */
  deadline?: number;
  /** The `with` timeout as written, for the message ("10s"). */
  timeoutText?: string;
  /** Aborted when the run is cancelled (Ctrl-C) or its deadline passes. */
  signal?: AbortSignal;
}

export class Budget {
  readonly maxSteps: number;
  readonly maxCallDepth: number;
  readonly deadline: number | undefined;
  private readonly timeoutText: string;
  private readonly signal: AbortSignal | undefined;
  steps = 0;
  depth = 0;
  private untilCheck = CHECK_EVERY;

  constructor(options: BudgetOptions = {}) {
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    this.maxCallDepth = options.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH;
    this.deadline = options.deadline;
    this.timeoutText = options.timeoutText ?? "its timeout";
    this.signal = options.signal;
  }

  /** Counts one step; throws when the step budget is spent, the deadline passed or the run was aborted. */
  step(loc: () => SourceLocation | undefined): void {
    if (++this.steps > this.maxSteps) {
      throw new FatalError(
        "StepLimit",
        `the agent used its step budget (${this.maxSteps} steps); it may be looping over too much data or recursing without end`,
        loc(),
      );
    }
    if (--this.untilCheck <= 0) {
      this.untilCheck = CHECK_EVERY;
      this.checkTime(loc);
    }
  }

  checkTime(loc: () => SourceLocation | undefined): void {
    if (this.signal?.aborted) throw this.abortError(loc());
    if (this.deadline !== undefined && performance.now() > this.deadline) throw this.timeoutError(loc());
  }

  timeoutError(loc?: SourceLocation): FatalError {
    return new FatalError("Timeout", `the run exceeded the \`with\` block's timeout (${this.timeoutText})`, loc);
  }

  abortError(loc?: SourceLocation): FatalError {
    const reason = this.signal?.reason;
    if (reason instanceof FatalError) return reason;
    return new FatalError("Aborted", "the run was cancelled", loc);
  }

  /** Milliseconds left before the deadline (Infinity without one). */
  remainingMs(): number {
    return this.deadline === undefined ? Infinity : Math.max(0, this.deadline - performance.now());
  }

  enter(loc: () => SourceLocation | undefined): void {
    if (++this.depth > this.maxCallDepth) {
      this.depth--;
      throw new FatalError(
        "RecursionLimit",
        `calls nested more than ${this.maxCallDepth} deep; the agent recursed without end or too deeply`,
        loc(),
      );
    }
  }

  leave(): void {
    this.depth--;
  }
}
