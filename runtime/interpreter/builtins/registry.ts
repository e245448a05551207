/**
 * The interpreter's view of the stdlib table (stdlib/builtins.ts): every function, method,
 * field and value the table declares, bound to its implementation here. Parameter names,
 * optional and variadic parameters come from the table's signatures, so named arguments
 * (`memory_search(store, query, limit: 10)`) bind exactly as the checker checked them.
 *
 * Governed functions (the table's `action` entries: `delegate`, `llm_call`, ...) are
 * implemented by the host (runtime/exec), which gates and audits them like tool calls.
 */
import {
  BUILTIN_FUNCTIONS,
  BUILTIN_VALUES,
  builtinFields,
  builtinMethods,
  signatureOf,
  type BuiltinFunctionDecl,
} from "../../../stdlib/index.js";
import { NONE, type Value } from "../values.js";
import { valueBytes } from "../memory.js";
import { FUNCTIONS } from "./functions.js";
import { FIELDS, METHODS, receiverOf } from "./methods.js";
import type { BuiltinFunction, BuiltinImpl, BuiltinRegistry, ParamSpec } from "./types.js";

/** The table's values. */
export const CONSTANTS: Readonly<Record<string, Value>> = { None: NONE, null: null };

function paramsOf(signature: string): ParamSpec[] {
  const t = signatureOf(signature).type;
  if (t.kind !== "fn") throw new Error(`stdlib signature is not a function type: ${signature}`);
  return t.params.map((p) => ({ name: p.name, optional: p.optional, rest: p.rest }));
}

function governedImpl(decl: BuiltinFunctionDecl, params: ParamSpec[]): BuiltinImpl {
  const action = decl.action!;
  const targetIndex = decl.target === undefined ? -1 : params.findIndex((p) => p.name === decl.target);
  return (args, ctx, rest) => {
    const named = new Map<string, Value>();
    params.forEach((p, i) => {
      if (p.rest) named.set(p.name, { kind: "list", items: rest });
      else if (args[i] !== undefined) named.set(p.name, args[i]!);
    });
    // What comes back (a delegate's result, a model's answer) is charged to the memory budget.
    return ctx.host
      .callAction(
        { builtin: decl.name, action, target: targetIndex >= 0 ? args[targetIndex] : undefined, args: named },
        ctx.loc,
      )
      .then((v) => {
        ctx.budget.allocate(valueBytes(v, ctx.budget.maxMemory));
        return v;
      });
  };
}

/** What is missing on either side, for the table ↔ implementation test and a load-time check. */
export function implementationGaps(): string[] {
  const gaps: string[] = [];
  for (const d of BUILTIN_FUNCTIONS.values()) {
    if (!d.action && !FUNCTIONS[d.name]) gaps.push(`function ${d.name} has no implementation`);
    if (d.action && FUNCTIONS[d.name])
      gaps.push(`function ${d.name} is governed (action ${d.action}) but has a pure implementation`);
  }
  for (const name of Object.keys(FUNCTIONS)) {
    const d = BUILTIN_FUNCTIONS.get(name);
    if (!d) gaps.push(`function ${name} is implemented but not in the stdlib table`);
  }
  for (const d of BUILTIN_VALUES.values())
    if (!Object.hasOwn(CONSTANTS, d.name)) gaps.push(`value ${d.name} has no implementation`);
  for (const name of Object.keys(CONSTANTS))
    if (!BUILTIN_VALUES.has(name)) gaps.push(`value ${name} is implemented but not in the stdlib table`);
  for (const key of Object.keys(METHODS)) {
    const [recv, name] = key.split(".") as [string, string];
    if (!builtinMethods(recv).has(name)) gaps.push(`method ${key} is implemented but not in the stdlib table`);
  }
  for (const key of Object.keys(FIELDS)) {
    const [recv, name] = key.split(".") as [string, string];
    if (!builtinFields(recv).has(name)) gaps.push(`field ${key} is implemented but not in the stdlib table`);
  }
  for (const recv of ["String", "List", "Map", "Option", "Result", "Duration", "JSON", "Secret", "Memory", "Error"]) {
    for (const name of builtinMethods(recv).keys())
      if (!METHODS[`${recv}.${name}`]) gaps.push(`method ${recv}.${name} has no implementation`);
    for (const name of builtinFields(recv).keys())
      if (!FIELDS[`${recv}.${name}`]) gaps.push(`field ${recv}.${name} has no implementation`);
  }
  return gaps;
}

class StdlibRegistry implements BuiltinRegistry {
  private readonly functions = new Map<string, BuiltinFunction>();
  private readonly methods = new Map<string, BuiltinFunction>();

  constructor() {
    for (const d of BUILTIN_FUNCTIONS.values()) {
      const params = paramsOf(d.signature);
      const impl = d.action
        ? governedImpl(d, params)
        : Object.hasOwn(FUNCTIONS, d.name)
          ? FUNCTIONS[d.name]
          : undefined;
      if (impl) this.functions.set(d.name, { name: d.name, params, impl });
    }
  }

  func(name: string): BuiltinFunction | undefined {
    return this.functions.get(name);
  }

  constant(name: string): Value | undefined {
    return Object.hasOwn(CONSTANTS, name) ? CONSTANTS[name] : undefined;
  }

  method(receiver: Value, name: string): BuiltinFunction | undefined {
    const own = receiverOf(receiver);
    // A plain value where an Option is expected is `Some(value)`: Option's methods apply to it
    // when its own kind has no method of that name.
    const recv =
      own !== undefined && builtinMethods(own).has(name) ? own : builtinMethods("Option").has(name) ? "Option" : own;
    if (recv === undefined) return undefined;
    const key = `${recv}.${name}`;
    let m = this.methods.get(key);
    if (m) return m;
    const decl = builtinMethods(recv).get(name);
    const impl = METHODS[key];
    if (!decl || !impl) return undefined;
    m = {
      name: `${recv}.${name}`,
      params: [{ name: "self", optional: false, rest: false }, ...paramsOf(decl.signature)],
      impl,
    };
    this.methods.set(key, m);
    return m;
  }

  property(receiver: Value, name: string): Value | undefined {
    const recv = receiverOf(receiver);
    if (recv === undefined || !builtinFields(recv).has(name)) return undefined;
    return FIELDS[`${recv}.${name}`]?.(receiver);
  }
}

let shared: StdlibRegistry | undefined;

/** The registry over the stdlib table (built once; it holds no per-run state). */
export function stdlibRegistry(): BuiltinRegistry {
  return (shared ??= new StdlibRegistry());
}
