/**
 * How V8 optimises our JavaScript in a short command-line run: later than its default, so that
 * only code that stays hot is compiled by its optimising compiler (TurboFan).
 *
 * V8 counts the bytecode a function runs against an interrupt budget (`--interrupt-budget`,
 * 67,584 in Node 20's V8 11.3) and queues a function for TurboFan once it has spent it a few
 * times. That suits a long-lived process; a CLI run lasts a second or less, and on two cores
 * TurboFan's background thread takes CPU from the run itself. Measured on `symbic test` of the
 * 8,000-row distinct bench file (bench/test.bench.ts): ~150 TurboFan compilations per thread,
 * ~470 ms of CPU on one; with a budget six times larger, the time after the build went from
 * 897 to 769 ms (median of six interleaved runs) and the decisions' CPU from 1,561 to 1,322 ms.
 * Long-lived processes (the language server, the tests and benchmarks that loop) keep V8's
 * default.
 *
 * Set with formats/wasm-tier.ts's flags by formats/short-run.ts (the CLIs first thing, the
 * launcher before it compiles a CLI: V8's code cache holds the hash of the flags it was made under).
 */
import { setFlagsFromString } from "node:v8";

/** Bytecode a function runs before V8 considers optimising it, in a short run. */
export const SHORT_RUN_INTERRUPT_BUDGET = 400_000;

export function optimiseJavaScriptLaterForShortRun(): void {
  setFlagsFromString(`--interrupt-budget=${SHORT_RUN_INTERRUPT_BUDGET}`);
}
