/**
 * How V8 compiles Cedar's WebAssembly (cedar-wasm) in a short command-line run: with its
 * baseline compiler (Liftoff) only, never tiering up to its optimising compiler (TurboFan).
 *
 * Measured on the quick start (bench/startup.bench.ts): by default V8 optimises the Cedar
 * module in background threads as soon as it is loaded, which was over half of the CPU time of a
 * `symbi exec` of a built bundle and ~70 MiB of its peak memory. Liftoff's code decides ~1.5×
 * slower, which only pays back after ~15,000 decisions in one process; a CLI run makes a few,
 * each next to a tool call that costs milliseconds. Long-lived processes (the language server,
 * the benchmarks and tests that decide in a loop) keep V8's default.
 *
 * The flag only affects WebAssembly compiled after it is set: call this before anything imports
 * cedar-wasm (the CLIs call it first thing; their commands are imported afterwards).
 */
import { setFlagsFromString } from "node:v8";

export function compileWasmForShortRun(): void {
  setFlagsFromString("--liftoff-only");
}
