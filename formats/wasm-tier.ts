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
 * V8 also validates every function of a module when it is compiled, although it compiles each
 * one only when first called (`--wasm-lazy-compilation`, V8's default). Cedar's module is 4.3 MB
 * and a CLI run calls a small part of it: with `--wasm-lazy-validation` a function is validated
 * when it is first compiled instead, before it runs, as every function still is. Measured:
 * compiling the module on the main thread went from ~14 to ~5 ms.
 *
 * Measured and not taken: compiling the whole module up front in V8's background threads, from
 * the start of the run, so that Cedar's first calls (~40 ms of lazy compilation in a `symbi
 * exec`) find their code compiled. V8 does answer cedar-wasm's own compilation of the same bytes
 * with such a module, but on two cores the background compilation (~70 ms of CPU) slowed the
 * main thread's start-up more than it saved: `symbi exec` of a bundle 298 -> 316 ms.
 *
 * The flags only affect WebAssembly compiled after they are set: call this before anything
 * calls Cedar (the CLIs call it first thing; formats/cedar-wasm.ts loads Cedar on first use).
 */
import { setFlagsFromString } from "node:v8";

export function compileWasmForShortRun(): void {
  setFlagsFromString("--liftoff-only");
  setFlagsFromString("--wasm-lazy-validation");
}
