/**
 * An MCP tool as a tool of the project: its pinned definition turned into the same ToolContract
 * model a `.clad.toml` produces, so the checker, the policy compiler, the Cedar schema, the gate,
 * the reasoning loop and the audit log treat it like any other tool. Only the execution differs
 * (`contract.mcp`: a `tools/call` on its server instead of a sandboxed argv).
 *
 * - **Name in Symbiont code**: the server's `prefix` followed by the tool's name, each character
 *   that cannot be in an identifier (`-`, `.`, …) written `_`. It must be an identifier; two
 *   tools with one name are an error (compiler/mcp/load.ts).
 * - **Arguments**: the properties of `inputSchema`, in the order the server lists them (pinned
 *   with the definition, so positional calls keep their meaning); required as the schema says;
 *   each typed from its own schema (checker: compiler/check/tools.ts; Cedar: scalars only).
 * - **Result**: the structured result (`structuredContent`), typed by `outputSchema`, when the
 *   tool declares one; otherwise a record `{ text, content }` — the text blocks of the result
 *   joined, and every content block as the server sent it.
 * - **Risk tier, approval, groups**: from the server's table in `symbi.toml` (the operator's
 *   word), never from the server's own annotations (hints a server could set to anything).
 */
import type { McpServerSettings } from "../../config/mcp.js";
import type { Span } from "../../grammar/span.js";
import type { ArgSpec, BuiltinArgType, ToolContract } from "../contracts/model.js";
import type { LockedTool } from "./lock.js";
import { mcpSchemaValidator } from "./schema.js";

/** The result of a tool without `outputSchema`: its text, and its content blocks as sent. */
export const MCP_CONTENT_RESULT_SCHEMA: Record<string, unknown> = {
  type: "object",
  properties: {
    text: { type: "string" },
    content: { type: "array" },
  },
  required: ["text", "content"],
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The tool's name in Symbiont code, or undefined when it cannot be an identifier. */
export function dslToolName(prefix: string, toolName: string): string | undefined {
  const name = prefix + toolName.replace(/[^A-Za-z0-9_]/g, "_");
  return IDENT.test(name) ? name : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The JSON type a property schema names (`string`, `integer`, …; `any` when it names none or several). */
export function jsonTypeOf(schema: Record<string, unknown>): string {
  const t = schema["type"];
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const nonNull = t.filter((x) => x !== "null");
    if (nonNull.length === 1 && typeof nonNull[0] === "string") return nonNull[0];
  }
  if (Array.isArray(schema["enum"]) && schema["enum"].every((x) => typeof x === "string")) return "string";
  return "any";
}

/** The nearest ToolClad type (what messages show; the schema itself is what is enforced). */
function baseTypeOf(schema: Record<string, unknown>): BuiltinArgType {
  switch (jsonTypeOf(schema)) {
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "string":
      return Array.isArray(schema["enum"]) ? "enum" : "string";
    default:
      return "string";
  }
}

/** What a server's table says about each of its tools. */
export type McpToolSettings = Pick<McpServerSettings, "name" | "prefix" | "riskTier" | "humanApproval" | "groups"> & {
  decl: { timeoutSeconds: number };
};

export interface McpContractInput {
  server: McpToolSettings;
  locked: Pick<LockedTool, "definition" | "hash" | "signature">;
  /** The tool's name in Symbiont code when it is known already (a bundle's); default: from `prefix`. */
  name?: string;
  /** `symbi.toml`, as the project names it. */
  file: string;
  /** The server's table in `symbi.toml` (where the tool's problems and definition are shown). */
  span: Span;
}

/** The contract of one pinned MCP tool, or the problems that keep it from being a tool of the project. */
export function mcpToolContract(input: McpContractInput): { contract?: ToolContract; problems: string[] } {
  const { server, locked, file, span } = input;
  const d = locked.definition;
  const problems: string[] = [];
  const name = input.name ?? dslToolName(server.prefix, d.name);
  if (name === undefined)
    problems.push(
      `tool ${JSON.stringify(d.name)} of server \`${server.name}\` has no usable name in Symbiont code; give the server a \`prefix\` or leave the tool out with \`tools = [...]\``,
    );
  const input_ = mcpSchemaValidator(d.inputSchema);
  if (input_ instanceof Error)
    problems.push(`the inputSchema of ${JSON.stringify(d.name)} cannot be used: ${input_.message}`);
  if (d.outputSchema) {
    const out = mcpSchemaValidator(d.outputSchema);
    if (out instanceof Error)
      problems.push(`the outputSchema of ${JSON.stringify(d.name)} cannot be used: ${out.message}`);
  }
  const props = isObject(d.inputSchema["properties"]) ? d.inputSchema["properties"] : {};
  const required = new Set(
    Array.isArray(d.inputSchema["required"])
      ? d.inputSchema["required"].filter((x): x is string => typeof x === "string")
      : [],
  );
  for (const r of required)
    if (!Object.hasOwn(props, r))
      problems.push(`${JSON.stringify(d.name)} requires \`${r}\`, which its inputSchema does not describe`);
  const args: ArgSpec[] = [];
  for (const [argName, raw] of Object.entries(props)) {
    if (!IDENT.test(argName)) {
      problems.push(
        `argument ${JSON.stringify(argName)} of ${JSON.stringify(d.name)} is not an identifier, so no call or policy could name it; leave the tool out with \`tools = [...]\``,
      );
      continue;
    }
    const schema = isObject(raw) ? raw : {};
    const arg: ArgSpec = {
      name: argName,
      position: args.length + 1,
      required: required.has(argName),
      type: jsonTypeOf(schema),
      baseType: baseTypeOf(schema),
      description: typeof schema["description"] === "string" ? schema["description"] : "",
      scopeCheck: false,
      feedsDecision: false,
      span,
      schema,
    };
    const allowed = schema["enum"];
    if (Array.isArray(allowed) && allowed.every((x) => typeof x === "string")) arg.allowed = [...allowed];
    args.push(arg);
  }
  if (problems.length > 0 || name === undefined) return { problems };
  const contract: ToolContract = {
    name,
    description: d.description ?? d.title ?? "",
    binary: "",
    mode: "oneshot",
    timeoutSeconds: server.decl.timeoutSeconds,
    riskTier: server.riskTier,
    humanApproval: server.humanApproval,
    args,
    command: { defaults: {}, mappings: {}, conditionals: [] },
    output: { format: "json", envelope: false, schema: d.outputSchema ?? MCP_CONTENT_RESULT_SCHEMA },
    sandbox: { mounts: [], network: [] },
    file,
    spans: { name: span, tool: span },
    valid: true,
    mcp: {
      server: server.name,
      definition: d,
      hash: locked.hash,
      ...(locked.signature ? { signature: { ...locked.signature } } : {}),
    },
  };
  if (server.groups.length > 0) contract.policy = { groups: [...server.groups] };
  return { contract, problems };
}
