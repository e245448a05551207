/**
 * The V8 settings of a short command-line run, in one place: Cedar's WebAssembly by the baseline
 * compiler only (wasm-tier.ts) and our JavaScript optimised later (js-tier.ts). Both CLIs set
 * them first thing, and the launcher before it compiles a CLI (cli-launch.ts): V8's code cache
 * holds the hash of the flags it was made under, and refuses it under any others.
 */
import { compileWasmForShortRun } from "./wasm-tier.js";
import { optimiseJavaScriptLaterForShortRun } from "./js-tier.js";

export function setShortRunFlags(): void {
  compileWasmForShortRun();
  optimiseJavaScriptLaterForShortRun();
}
