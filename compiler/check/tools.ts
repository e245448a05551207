/**
 * Tool contracts seen as functions: each `[args.*]` (in position order) is a parameter typed by
 * the kind of value it carries after validation (strings, integers, numbers, booleans), and the
 * result is the type of the contract's output schema (wrapped in the evidence envelope unless
 * `[output] envelope = false`), via compiler/contracts' `returnSchema`. An MCP tool's arguments
 * are typed from their JSON Schemas (objects are records, arrays lists), its result from its
 * `outputSchema` (compiler/mcp/contract.ts).
 */
import { argValueKind, returnSchema, type ArgSpec, type ToolContract } from "../contracts/index.js";
import { BUILTIN_TYPES } from "../../stdlib/index.js";
import { T, type FnParam, type Type } from "./types.js";

export interface ToolSignature {
  contract: ToolContract;
  type: Extract<Type, { k: "fn" }>;
  /** The arguments in call order (what action-pattern binders bind, by position). */
  args: ArgSpec[];
}

export function argType(arg: ArgSpec): Type {
  // An MCP tool's argument: the type its own JSON Schema describes (schemaType below).
  if (arg.schema !== undefined) return schemaType(arg.schema, 0);
  // An argument of a toolclad.toml custom type named like an ordered level type (`Clearance`)
  // carries that type, so policies can compare it (`level <= user.clearance`).
  const custom = arg.type !== arg.baseType ? BUILTIN_TYPES.get(arg.type) : undefined;
  if (custom?.shape === "levels") return { k: "levels", name: custom.name, levels: custom.levels ?? [] };
  // A duration is a Duration in policies (`d <= 30s`); the gate sees it in milliseconds.
  if (arg.baseType === "duration") return T.Duration;
  switch (argValueKind(arg.baseType)) {
    case "integer":
      return T.int;
    case "number":
      return T.float;
    case "boolean":
      return T.bool;
    default:
      return T.String;
  }
}

/**
 * What a call may pass for an argument: its value type, except that a `duration` argument takes
 * a duration literal, a duration string ("15m") or a number of seconds, as the runtime accepts.
 */
export function callArgType(arg: ArgSpec): Type {
  if (arg.baseType === "duration") return { k: "union", options: [T.Duration, T.String, T.int] };
  return argType(arg);
}

export function toolSignature(contract: ToolContract): ToolSignature {
  const args = [...contract.args];
  const params: FnParam[] = args.map((a) => ({
    name: a.name,
    type: callArgType(a),
    optional: !a.required || a.default !== undefined,
    rest: false,
    ...(a.allowed ? { allowed: a.allowed } : {}),
  }));
  const result = schemaType(returnSchema(contract), 0);
  return { contract, type: { k: "fn", params, result }, args };
}

const MAX_SCHEMA_DEPTH = 32;

/**
 * A JSON Schema as a type: objects with `properties` are closed records (the schema is the
 * contract; the runtime validates outputs against it), arrays are lists, a `["T", "null"]` type
 * is `Option<T>`, anything without a `type` is JSON.
 */
export function schemaType(schema: unknown, depth: number): Type {
  if (depth > MAX_SCHEMA_DEPTH || typeof schema !== "object" || schema === null || Array.isArray(schema)) return T.JSON;
  const s = schema as Record<string, unknown>;
  let type = s["type"];
  let nullable = false;
  if (Array.isArray(type)) {
    const nonNull = type.filter((x) => x !== "null");
    nullable = nonNull.length < type.length;
    type = nonNull.length === 1 ? nonNull[0] : undefined;
  }
  let t: Type;
  switch (type) {
    case "string":
      t = T.String;
      break;
    case "integer":
      t = T.int;
      break;
    case "number":
      t = T.float;
      break;
    case "boolean":
      t = T.bool;
      break;
    case "null":
      t = T.null;
      break;
    case "array":
      t = T.list(s["items"] !== undefined ? schemaType(s["items"], depth + 1) : T.JSON);
      break;
    case "object": {
      const props = s["properties"];
      if (typeof props !== "object" || props === null || Array.isArray(props)) {
        t = T.JSON;
        break;
      }
      const fields = new Map<string, Type>();
      for (const [k, v] of Object.entries(props as Record<string, unknown>)) fields.set(k, schemaType(v, depth + 1));
      t = T.record(fields, s["additionalProperties"] === true);
      break;
    }
    default:
      t = T.JSON;
  }
  return nullable && t.k !== "null" ? T.option(t) : t;
}
