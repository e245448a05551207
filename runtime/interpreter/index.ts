/** The interpreter for agent code: values, scopes, evaluation, budgets, errors and the stdlib builtins. */
export { Interpreter, bindBuiltinArgs, type InterpreterOptions, type ProgramUnit } from "./evaluator.js";
export { Budget, DEFAULT_MAX_STEPS, DEFAULT_MAX_CALL_DEPTH, type BudgetOptions } from "./budget.js";
export { Environment } from "./environment.js";
export {
  DslError,
  FatalError,
  ReturnSignal,
  describeRunError,
  formatLocation,
  type DslErrorKind,
  type DslErrorInfo,
  type FatalKind,
  type SourceLocation,
} from "./errors.js";
export type { InterpreterHost, ToolCallArgs, ActionCall } from "./host.js";
export { stdlibRegistry, implementationGaps, CONSTANTS } from "./builtins/registry.js";
export type { BuiltinRegistry, BuiltinFunction, BuiltinImpl, BuiltinContext, ParamSpec } from "./builtins/types.js";
export * from "./values.js";
