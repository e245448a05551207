/**
 * The typed model of a tool contract (`tools/<name>.clad.toml`, the reference's ToolClad format,
 * see TOOLCLAD.md and DESIGN.md §6). The loader builds it; the type checker reads names, argument
 * types and the output schema; the Cedar emitter reads argument types, risk tier and approval; the
 * runtime validates arguments, builds the argv and parses output from it.
 *
 * Everything here is plain data (JSON-serialisable), so a compiled bundle can carry contracts.
 */
import type { Span } from "../../grammar/span.js";
import type { McpToolDefinition } from "../../formats/mcp.js";

/** The built-in ToolClad argument types. */
export const BUILTIN_ARG_TYPES = [
  "string",
  "integer",
  "number",
  "port",
  "boolean",
  "enum",
  "url",
  "path",
  "ip_address",
  "cidr",
  "scope_target",
  "duration",
  "regex_match",
  "credential_file",
  "agent_summary",
] as const;

export type BuiltinArgType = (typeof BUILTIN_ARG_TYPES)[number];

export function isBuiltinArgType(name: string): name is BuiltinArgType {
  return (BUILTIN_ARG_TYPES as readonly string[]).includes(name);
}

/**
 * Types whose validated value is text that reaches the tool (everything but numbers and booleans).
 * Every such value is checked for shell metacharacters.
 */
export const STRING_ARG_TYPES: ReadonlySet<BuiltinArgType> = new Set<BuiltinArgType>([
  "string",
  "enum",
  "url",
  "path",
  "ip_address",
  "cidr",
  "scope_target",
  "regex_match",
  "credential_file",
  "agent_summary",
]);

/**
 * Types that carry free text chosen by the caller (an LLM, usually). Marking one of them
 * `feeds_decision = true` is a warning: privileged decisions should rest on an `enum` plus a
 * policy over trusted context, never on free text.
 */
export const FREE_TEXT_ARG_TYPES: ReadonlySet<BuiltinArgType> = new Set<BuiltinArgType>(["string", "agent_summary"]);

export const OUTPUT_FORMATS = ["json", "jsonl", "csv", "xml", "text"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const RISK_TIERS = ["low", "medium", "high"] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

export type ToolMode = "oneshot" | "session" | "browser";

/** A scalar TOML value as it may appear in defaults. */
export type ScalarValue = string | number | boolean;

export interface ArgSpec {
  name: string;
  /** argv order (1-based); arguments without a `position` come after, in file order. */
  position: number;
  required: boolean;
  /** The ToolClad type name as written (`scope_target`, or a custom type from `toolclad.toml`). */
  type: string;
  /** The built-in type after custom-type resolution. */
  baseType: BuiltinArgType;
  description: string;
  default?: ScalarValue;
  allowed?: string[];
  pattern?: string;
  min?: number;
  max?: number;
  clamp?: boolean;
  schemes?: string[];
  /** `scope_check = true`: the runtime checks the target against the project scope. */
  scopeCheck: boolean;
  /** `feeds_decision = true`: the argument drives a privileged decision. */
  feedsDecision: boolean;
  /**
   * For a tool served by an MCP server: the argument's JSON Schema (a property of the tool's
   * `inputSchema`). Calls are validated against the whole pinned `inputSchema`, not the ToolClad
   * rules, and the value is passed as JSON, never through an argv.
   */
  schema?: Record<string, unknown>;
  /** The span of the `[args.<name>]` header (or the key that declares it). */
  span: Span;
}

export interface ConditionalSpec {
  name: string;
  /** The `when` expression as written. */
  when: string;
  /** The parsed expression (see when.ts). */
  whenExpr: WhenExpr;
  /** The fragment template, e.g. `-H '{headers}'`. */
  template: string;
}

export interface CommandSpec {
  /** `template = "..."`: a command line split into words (quotes allowed) before substitution. */
  template?: string;
  /** `exec = [...]`: one argv element per entry (the reference's preferred form). */
  exec?: string[];
  /** `[command.defaults]`: values for template variables that are not arguments. */
  defaults: Record<string, ScalarValue>;
  /** `[command.mappings.<arg>]`: enum value → flag text. */
  mappings: Record<string, Record<string, string>>;
  /** `[command.conditionals.<name>]`, in file order. */
  conditionals: ConditionalSpec[];
}

export interface OutputSpec {
  format: OutputFormat;
  /** Wrap results in an evidence envelope (status, argv, exit code, hash, ...). Default true, as in ToolClad. */
  envelope: boolean;
  /** The JSON Schema of the parsed result (`[output.schema]`), if declared. */
  schema?: Record<string, unknown>;
}

export interface SandboxMount {
  source: string;
  target: string;
  /** Always true: contracts may only add read-only mounts. */
  readOnly: true;
}

export interface NetworkAllow {
  host: string;
  port: number;
}

/** Our extension `[tool.sandbox]`: how the tool runs in its container. */
export interface SandboxSpec {
  image?: string;
  user?: string;
  workdir?: string;
  mounts: SandboxMount[];
  /** Hosts the tool may reach; empty means no network at all (the default). */
  network: NetworkAllow[];
  /** `fresh = true`: each call of this tool gets its own container (no warm container). */
  fresh?: boolean;
}

/**
 * Our extension `[tool.policy]`: how policies see the tool. `groups` are the action groups the
 * tool joins (`deny: network_access` then matches every tool in the `network_access` group).
 */
export interface PolicySpec {
  groups: string[];
}

export interface CedarSpec {
  resource?: string;
  action?: string;
}

export interface EvidenceSpec {
  outputDir?: string;
  capture: boolean;
  hash: string;
}

export interface ContractSpans {
  /** The value of `[tool] name` (go-to-definition target for calls of the tool). */
  name: Span;
  /** The `[tool]` header. */
  tool: Span;
  /** `[output.schema]`, when present. */
  outputSchema?: Span;
}

export interface ToolContract {
  name: string;
  version?: string;
  description: string;
  binary: string;
  mode: ToolMode;
  timeoutSeconds: number;
  riskTier: RiskTier;
  humanApproval: boolean;
  cedar?: CedarSpec;
  /** `[tool.policy]`, when present. */
  policy?: PolicySpec;
  evidence?: EvidenceSpec;
  /** Ordered by position. */
  args: ArgSpec[];
  command: CommandSpec;
  output: OutputSpec;
  sandbox: SandboxSpec;
  /** The contract file, as given to the loader. */
  file: string;
  spans: ContractSpans;
  /** False when the file had error diagnostics: the checker may use it, the runtime must not run it. */
  valid: boolean;
  /**
   * Present for a tool served by an MCP server (compiler/mcp): the tool is called with the
   * server's `tools/call`, not run as an argv; everything else — typing, policies, the gate,
   * approval, audit — treats it like any contract.
   */
  mcp?: McpToolBinding;
}

/** How a tool of the project is served by an MCP server: its pinned definition. */
export interface McpToolBinding {
  /** The server's name (`[mcp.servers.NAME]`). */
  server: string;
  /** The definition as pinned (`definition.name` is the server's name of the tool). */
  definition: McpToolDefinition;
  /** `sha256:` hash of the definition (formats/mcp.ts). */
  hash: string;
  /** The SchemaPin signer when the tool was pinned with a verified signature. */
  signature?: { domain: string; fingerprint: string };
}

/** A custom type from `toolclad.toml` `[types.<name>]`. */
export interface CustomTypeSpec {
  name: string;
  base: BuiltinArgType;
  description?: string;
  allowed?: string[];
  pattern?: string;
  min?: number;
  max?: number;
  clamp?: boolean;
  schemes?: string[];
  scopeCheck?: boolean;
  file: string;
  span: Span;
}

export type CustomTypes = ReadonlyMap<string, CustomTypeSpec>;

/** `when` expressions of conditionals: a closed grammar, evaluated without eval. */
export type WhenExpr =
  | { kind: "or"; left: WhenExpr; right: WhenExpr }
  | { kind: "and"; left: WhenExpr; right: WhenExpr }
  | { kind: "not"; operand: WhenExpr }
  | { kind: "compare"; op: "==" | "!="; left: WhenOperand; right: WhenOperand }
  /** A bare name: true when its value is neither empty nor `false`. */
  | { kind: "truthy"; name: string };

export type WhenOperand = { kind: "name"; name: string } | { kind: "literal"; value: string };

/** A contract's SchemaPin signature sits beside it: `tools/NAME.clad.toml.sig` (runtime/tools/contract-signature.ts). */
export const CONTRACT_SIGNATURE_SUFFIX = ".sig";

/** Variables the runtime provides to templates (never supplied by the caller). */
export const RUNTIME_TEMPLATE_VARS = ["_output_file", "_scan_id", "_evidence_dir"] as const;
