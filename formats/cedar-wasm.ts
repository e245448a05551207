/**
 * cedar-wasm (the package's Node build) as every module of ours uses it: loaded on the first
 * call, with one V8 setting made before any of our code that calls it is optimised.
 *
 * Loaded on first use: loading the binding compiles Cedar's 4.3 MB WebAssembly module (~20 ms
 * with reading it), which a run that never calls Cedar — `symbic check` compiles its agents
 * without validating their Cedar — no longer pays.
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
 * before anything has called Cedar — covers every caller.
 */
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type * as Cedar from "@cedar-policy/cedar-wasm/nodejs";

/** The V8 setting Cedar's callers need (above); formats/cli-launch.ts sets it before compiling a CLI. */
export const CEDAR_V8_FLAG = "--no-turbo-inline-js-wasm-calls";

setFlagsFromString(CEDAR_V8_FLAG);

export type * from "@cedar-policy/cedar-wasm/nodejs";

const require = createRequire(import.meta.url);

let binding: typeof Cedar | undefined;

/** The binding, loaded on the first call. */
function cedar(): typeof Cedar {
  return (binding ??= require("@cedar-policy/cedar-wasm/nodejs") as typeof Cedar);
}

export const isAuthorized: typeof Cedar.isAuthorized = (call) => cedar().isAuthorized(call);
export const isAuthorizedPartial: typeof Cedar.isAuthorizedPartial = (call) => cedar().isAuthorizedPartial(call);
export const statefulIsAuthorized: typeof Cedar.statefulIsAuthorized = (call) => cedar().statefulIsAuthorized(call);
export const preparsePolicySet: typeof Cedar.preparsePolicySet = (id, policies) =>
  cedar().preparsePolicySet(id, policies);
export const preparseSchema: typeof Cedar.preparseSchema = (name, schema) => cedar().preparseSchema(name, schema);
export const policySetTextToParts: typeof Cedar.policySetTextToParts = (text) => cedar().policySetTextToParts(text);
export const policyToJson: typeof Cedar.policyToJson = (policy) => cedar().policyToJson(policy);
/** The versions of the Cedar language and of the cedar-wasm build in use ("<cedar>/<sdk>"). */
export const cedarVersions = (): string => `${cedar().getCedarVersion()}/${cedar().getCedarSDKVersion()}`;
/** Cedar's `validate` (policies against a schema), named apart from the sandbox manifest's validator. */
export const cedarValidate: typeof Cedar.validate = (call) => cedar().validate(call);
