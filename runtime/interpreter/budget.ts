/**
 * Run budgets: a step budget (one step per statement and per expression evaluated), a memory
 * budget (the size of the strings, lists and maps the agent's code makes, counted before they
 * are made; `allocate`), a limit on nested calls (functions, lambdas, builtins calling back into
 * lambdas), and the `with` block's deadline. Evaluation is a chain of async calls that rarely waits on anything, so a JavaScript
 * timer would never get to fire during a long computation: the deadline is checked here, every
 * CHECK_EVERY steps, and tool calls race it separately (runtime/exec).
 */
import { DslError, FatalError, type SourceLocation } from "./errors.js";
import { heapInUse, heapLimit, liveHeap } from "./heap.js";

export const DEFAULT_MAX_STEPS = 10_000_000;
export const DEFAULT_MAX_CALL_DEPTH = 1000;
/** The memory budget when none is given: 512 MiB, or half the heap on a smaller Node heap. */
export const DEFAULT_MAX_MEMORY = 512 * 1024 * 1024;
const CHECK_EVERY = 1024;
/**
 * Every step may allocate a little that no estimate counts (a scope, an Option, a closure):
 * this much per step is charged to the memory budget, so that even such allocations alone make
 * the budget look at the heap now and then.
 */
const STEP_BYTES = 64;

/** The default memory budget on this process's heap. */
export function defaultMaxMemory(): number {
  return Math.min(DEFAULT_MAX_MEMORY, Math.floor(heapLimit() / 2));
}

/** The largest memory budget this process can honour: three quarters of its heap. */
export function largestMaxMemory(): number {
  return Math.floor((heapLimit() * 3) / 4);
}

/** How the heap is read (heap.ts; a test passes its own readings). */
export interface HeapReadings {
  inUse(): number;
  live(): number;
}

const HEAP: HeapReadings = { inUse: heapInUse, live: liveHeap };

/**
 * The heap that is not the agent's, taken just before a run with a memory budget of
 * `maxMemory` bytes (default: defaultMaxMemory()): the heap in use, when that is at most an
 * eighth of the budget; else what is still alive after a full collection.
 *
 * Why not always collect: the full collection was ~15-20 ms at the start of every `symbi exec`
 * (a mark-compact of the runtime's ~12 MB), a tenth of a run of a built bundle beyond Node's
 * own start. Why the heap in use is safe as a baseline when it is that small: it counts garbage
 * too, so it can hide at most that much (an eighth of the budget) of the agent's values from
 * the heap measurements of `allocate` — and `allocate` lets an allocation through a
 * measurement only when it leaves an eighth of the budget free. An agent still never holds
 * more than its budget when the heap is measured; with the default 512 MiB and the runtime's
 * ~15 MB heap, the collection is skipped.
 */
export function runHeapBaseline(maxMemory: number = defaultMaxMemory(), heap: HeapReadings = HEAP): number {
  const inUse = heap.inUse();
  return inUse <= maxMemory / 8 ? inUse : heap.live();
}

export interface BudgetOptions {
  maxSteps?: number;
  maxCallDepth?: number;
  /** Absolute deadline in `performance.now()` milliseconds, if any. */
  deadline?: number;
  /** The `with` timeout as written, for the message ("10s"). */
  timeoutText?: string;
  /** Aborted when the run is cancelled (Ctrl-C) or its deadline passes. */
  signal?: AbortSignal;
  /** Bytes the agent's values may take at once (default: defaultMaxMemory()). */
  maxMemory?: number;
  /**
   * The heap that is not the agent's: `runHeapBaseline()` just before the run (what `symbi
   * exec` passes). Without it, the heap in use at construction — garbage included, so an agent
   * may then use that much more before the budget notices.
   */
  heapBaseline?: number;
}

export class Budget {
  readonly maxSteps: number;
  readonly maxCallDepth: number;
  readonly deadline: number | undefined;
  private readonly timeoutText: string;
  private readonly signal: AbortSignal | undefined;
  readonly maxMemory: number;
  steps = 0;
  depth = 0;
  private untilCheck = CHECK_EVERY;
  /** The heap in use when the run started: what is not the agent's. */
  private readonly heapBaseline: number;
  /** The agent's live bytes at the last look at the heap, and the estimates charged since. */
  private live = 0;
  private pending = 0;

  constructor(options: BudgetOptions = {}) {
    this.maxMemory = options.maxMemory ?? defaultMaxMemory();
    this.heapBaseline = options.heapBaseline ?? heapInUse();
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
      this.allocate(CHECK_EVERY * STEP_BYTES, loc);
    }
  }

  /**
   * Charges an allocation of about `bytes` before it is made. While the estimates stay within
   * the budget this is an addition; when they do not, the heap is collected and measured, the
   * estimates are replaced by what is really alive, and only if the allocation still does not
   * fit — or leaves less than an eighth of the budget, which would make the next allocations
   * collect again and again — it fails: a located RuntimeError, before the memory is taken.
   * Builtins call it without a location (the call site is added where they are called).
   */
  allocate(bytes: number, loc?: () => SourceLocation | undefined): void {
    this.pending += bytes;
    if (this.live + this.pending <= this.maxMemory) return;
    if (bytes <= this.maxMemory) {
      this.live = Math.max(0, liveHeap() - this.heapBaseline);
      this.pending = bytes;
      if (this.live + bytes <= this.maxMemory - this.maxMemory / 8) return;
    }
    this.pending -= bytes;
    throw new DslError(
      "RuntimeError",
      `out of memory: this would bring the agent's values to about ${mib(this.live + this.pending + bytes)} MiB; its memory budget is ${mib(this.maxMemory)} MiB (symbi exec --max-memory)`,
      loc?.(),
    );
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

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0);
}
