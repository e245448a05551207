/**
 * The shape of a builtin implementation. Builtins receive their arguments already bound by the
 * stdlib signature (positional and named arguments matched to parameter names, optional ones
 * `undefined` when absent), plus a context to call back into agent code (`map(xs, f)`) and to
 * reach the host (`log`).
 */
import type { Budget } from "../budget.js";
import type { SourceLocation } from "../errors.js";
import type { InterpreterHost } from "../host.js";
import type { Value } from "../values.js";

export interface BuiltinContext {
  /** The call site. */
  readonly loc: SourceLocation;
  readonly host: InterpreterHost;
  readonly budget: Budget;
  /** Calls a function value (a lambda, a user function, a builtin) with positional arguments. */
  call(fn: Value, args: Value[]): Promise<Value>;
}

/**
 * One builtin. `args[i]` is the value of the i-th parameter of its signature (undefined when an
 * optional parameter was not given); a variadic last parameter receives the rest as `rest`.
 */
export type BuiltinImpl = (args: (Value | undefined)[], ctx: BuiltinContext, rest: Value[]) => Value | Promise<Value>;

/** A parameter as the binder needs it (from the stdlib signature). */
export interface ParamSpec {
  name: string;
  optional: boolean;
  rest: boolean;
}

export interface BuiltinFunction {
  readonly name: string;
  readonly params: readonly ParamSpec[];
  readonly impl: BuiltinImpl;
}

/** The builtins the evaluator resolves names, methods and properties against. */
export interface BuiltinRegistry {
  /** A global function (`len`, `format`, `Some`...). */
  func(name: string): BuiltinFunction | undefined;
  /** A global constant (`None`, `null`). */
  constant(name: string): Value | undefined;
  /** A method of a receiver (`xs.map(f)`): the receiver is bound to the first parameter. */
  method(receiver: Value, name: string): BuiltinFunction | undefined;
  /** A property of a receiver that is not a record field (`xs.length`). */
  property(receiver: Value, name: string): Value | undefined;
}
