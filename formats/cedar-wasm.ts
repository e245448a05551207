/**
 * cedar-wasm (the package's Node build) as every module of ours imports it, with one V8 setting
 * made before any of our code that calls it is optimised.
 *
 * Node 20's V8 (11.3) inlines calls from optimised JavaScript into WebAssembly
 * (`--turbo-inline-js-wasm-calls`, on by default). cedar-wasm's functions return JavaScript
 * references and call back into JavaScript while they run (JSON.parse, JSON.stringify). When a
 * callback invalidates the optimised caller's code, V8 deoptimises that caller lazily, still
 * inside the WebAssembly call, and aborts the whole process in doing so: "Fatal error …
 * unreachable code" in `Deoptimizer::DoComputeBuiltinContinuation`. It killed a test process
 * in CI, and a loop of gate decisions under tsx reproduces it nearly every time
 * (test/runtime/v8-wasm-inlining.test.ts). Without the inlining the call goes through V8's
 * generic wrapper, which deoptimises safely; the difference is not measurable next to a Cedar
 * call (~60 µs).
 *
 * The flag is read when V8 optimises a function, so setting it as this module is evaluated —
 * after cedar-wasm is loaded, before anything has called it — covers every caller.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--no-turbo-inline-js-wasm-calls");

export * from "@cedar-policy/cedar-wasm/nodejs";
