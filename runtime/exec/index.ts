/** Running compiled agents: bundles, inputs, the tool-call pipeline, governed actions, run orchestration. */
export {
  execAgent,
  ContextError,
  MAX_DELEGATION_DEPTH,
  type ExecOptions,
  type ExecResult,
  type RunStatus,
} from "./run.js";
export { loadBundleDir, bundleFromFiles, parseIr, isBundleDir, type Bundle } from "./bundle.js";
export { validateInputs, InputError } from "./inputs.js";
export { resolveTarget, TargetError, type ResolvedTarget } from "./resolve.js";
export { compileToBundles, type CompiledProject } from "./compile.js";
export { CompileError } from "./compile-error.js";
export { readJsonArgument, JsonArgumentError } from "./json-argument.js";
export { ToolCaller, type ToolCallerOptions } from "./tool-call.js";
export { ActionRunner, GOVERNED_BUILTINS, type PeerRunner } from "./actions.js";
export { SandboxPool, SandboxSetupError } from "./sandboxes.js";
export { LogSink, NO_AUDIT, type AuditSink } from "./audit-sink.js";
