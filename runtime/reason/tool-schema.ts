/**
 * Function definitions for the model, generated from what the runtime already knows: a tool's
 * contract (its description and typed arguments) and a peer agent's parameters. The schema is a
 * description for the model, not the enforcement: every proposed call is still validated against
 * the contract by the tool-call pipeline, so a model that ignores the schema gets an
 * `invalid_arguments` result, never a looser check.
 */
import type { ArgSpec, ToolContract } from "../../compiler/contracts/model.js";
import type { TypeRef } from "../../grammar/ast.js";

type Schema = Record<string, unknown>;

function argSchema(a: ArgSpec): Schema {
  // An MCP tool's argument: its own JSON Schema, as pinned (calls are validated against it).
  if (a.schema !== undefined) return a.schema;
  const s: Schema = {};
  switch (a.baseType) {
    case "integer":
      s.type = "integer";
      if (a.min !== undefined) s.minimum = a.min;
      if (a.max !== undefined) s.maximum = a.max;
      break;
    case "number":
      s.type = "number";
      if (a.min !== undefined) s.minimum = a.min;
      if (a.max !== undefined) s.maximum = a.max;
      break;
    case "port":
      s.type = "integer";
      s.minimum = 1;
      s.maximum = 65535;
      break;
    case "boolean":
      s.type = "boolean";
      break;
    case "enum":
      s.type = "string";
      if (a.allowed) s.enum = [...a.allowed];
      break;
    case "duration":
      s.type = "string";
      s.pattern = "^[0-9]+(s|m|h)$";
      break;
    case "url":
      s.type = "string";
      s.format = "uri";
      break;
    default:
      s.type = "string";
      if (a.pattern !== undefined) s.pattern = a.pattern;
  }
  const notes: string[] = [];
  if (a.description) notes.push(a.description);
  if (a.baseType === "path") notes.push("a file path (no `..`)");
  if (a.baseType === "url" && a.schemes) notes.push(`schemes: ${a.schemes.join(", ")}`);
  if (a.type !== a.baseType) notes.push(`type ${a.type}`);
  if (notes.length > 0) s.description = notes.join("; ");
  if (a.default !== undefined) s.default = a.default;
  return s;
}

/** The JSON Schema of a tool's arguments (an object with one property per contract argument). */
export function contractParameters(c: ToolContract): Schema {
  const properties: Schema = {};
  for (const a of c.args) properties[a.name] = argSchema(a);
  const required = c.args.filter((a) => a.required && a.default === undefined).map((a) => a.name);
  return {
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

/** The model's description of a tool: the contract's, plus its risk tier and whether a person approves each call. */
export function contractDescription(c: ToolContract): string {
  const extra = [`risk: ${c.riskTier}`];
  if (c.humanApproval) extra.push("each call needs a person's approval");
  return `${c.description || c.name} (${extra.join("; ")})`;
}

/** A DSL parameter type as JSON Schema (what a peer agent's input accepts). */
export function typeSchema(t: TypeRef): Schema {
  const name = t.name.name;
  const arg = (i: number) => (t.args[i] ? typeSchema(t.args[i]) : {});
  switch (name) {
    case "String":
      return { type: "string" };
    case "int":
      return { type: "integer" };
    case "float":
      return { type: "number" };
    case "bool":
      return { type: "boolean" };
    case "List":
    case "Array":
      return { type: "array", items: arg(0) };
    case "Map":
      return { type: "object", additionalProperties: arg(1) };
    case "Option":
      return arg(0);
    default:
      return {};
  }
}
