/**
 * The actions a policy can name, for one agent — the same vocabulary the checker resolves
 * (compiler/check/policies.ts):
 *
 * - the project's tools (tool contracts). A call pattern's binders bind the tool's arguments in
 *   argv order; their types come from the contract: integers and ports are `int`, booleans
 *   `bool`, `number` is a float (Cedar has none: reading it in a guard is an error), every other
 *   ToolClad type is text. An MCP tool's arguments come from its `inputSchema` the same way
 *   (string, integer, boolean; every other JSON type is `Unsupported`, like a contract's `number`);
 * - the built-in actions of the stdlib (`delegate(agent)`, `receive(message)`,
 *   `invoke_tool(tool)`, `use_llm(prompt)`, …): their binders have the stdlib's types (records
 *   such as `AgentInfo`, which the runtime fills in);
 * - the agent's capabilities that are neither (argument-less actions);
 * - action groups: `all_operations` (every action), the stdlib's groups (`all_interactions`,
 *   `invoke_agent`, `message_passing`) and the groups tools join with `[tool.policy] groups`.
 */
import type { NetworkAllow, ToolContract } from "../contracts/model.js";
import type { TypeEnv } from "../check/types.js";
import { fromTypeExpr } from "../check/stdlib-types.js";
import { BUILTIN_ACTIONS, BUILTIN_GROUPS, typeExprOf, type BuiltinActionDecl } from "../../stdlib/index.js";
import { typeNode } from "./checker-types.js";
import type { TNode } from "./types.js";

export type ArgType = "String" | "Long" | "Bool" | "Unsupported" | "Record";

export interface ActionArg {
  name: string;
  /** 0-based position (argv order). */
  position: number;
  type: ArgType;
  /** For record-typed binders of built-in actions: the record's type. */
  node?: TNode;
  /** What the type was declared as, for messages. */
  declared: string;
  /** Present in every request: required, or filled from a default, or supplied by the runtime. */
  always: boolean;
}

export type ActionOrigin = "tool" | "builtin" | "capability";

export interface ActionInfo {
  name: string;
  origin: ActionOrigin;
  args: ActionArg[];
  /** The action groups the action belongs to (sorted). */
  groups: string[];
  /** `human_approval = true` in the contract. */
  humanApproval: boolean;
  /** `[tool.sandbox] network`: destinations the tool needs. */
  network: NetworkAllow[];
  /** Cedar resource type of a call: the tool, or the other agent for inter-agent actions. */
  resourceType: "Tool" | "Agent";
  contract?: ToolContract;
}

export interface ActionCatalog {
  actions: Map<string, ActionInfo>;
  /** Group name → member action names (sorted); `all_operations` is not listed (it is every action). */
  groups: Map<string, string[]>;
  /** Agent names of the project (an agent named as an action gets a specific message). */
  agents: Set<string>;
  /** Function names (DSL and stdlib): never gated, so a pattern naming one matches nothing (the checker warns, W0301). */
  functions: Set<string>;
}

/** The group every action belongs to. */
export const ALL_OPERATIONS = "all_operations";

function argType(t: string): ArgType {
  // Durations reach the gate in milliseconds, as duration literals are lowered (`30s` → 30000).
  if (t === "integer" || t === "port" || t === "duration") return "Long";
  if (t === "boolean") return "Bool";
  if (t === "number") return "Unsupported";
  return "String";
}

/**
 * An MCP tool's argument by its JSON Schema: text, integers and booleans reach Cedar as values;
 * numbers, objects and arrays are `Unsupported`, exactly as a contract's `number` argument.
 */
function schemaArgType(schema: Record<string, unknown>): ArgType {
  const t = schema["type"];
  if (
    t === "string" ||
    (t === undefined && Array.isArray(schema["enum"]) && schema["enum"].every((x) => typeof x === "string"))
  )
    return "String";
  if (t === "integer") return "Long";
  if (t === "boolean") return "Bool";
  return "Unsupported";
}

export function toolAction(c: ToolContract): ActionInfo {
  return {
    name: c.name,
    origin: "tool",
    args: c.args.map((a, i) => ({
      name: a.name,
      position: i,
      type: a.schema !== undefined ? schemaArgType(a.schema) : argType(a.baseType),
      declared: a.type,
      always: a.required || a.default !== undefined,
    })),
    groups: [...new Set(c.policy?.groups ?? [])].filter((g) => g !== c.name).sort(),
    humanApproval: c.humanApproval,
    network: c.sandbox.network.map((n) => ({ ...n })),
    resourceType: "Tool",
    contract: c,
  };
}

function builtinAction(decl: BuiltinActionDecl, env: TypeEnv): ActionInfo {
  const { name, binders } = decl;
  const args: ActionArg[] = binders.map(([bname, tname], i) => {
    const t = fromTypeExpr(typeExprOf(tname));
    const c = typeNode(t, env);
    const k = c.node.concrete?.k;
    const type: ArgType =
      k === "String"
        ? "String"
        : k === "Long"
          ? "Long"
          : k === "Bool"
            ? "Bool"
            : k === "Record"
              ? "Record"
              : "Unsupported";
    return {
      name: bname,
      position: i,
      type,
      ...(type === "Record" ? { node: c.node } : {}),
      declared: tname,
      always: true,
    };
  });
  return {
    name,
    origin: "builtin",
    args,
    groups: [],
    humanApproval: false,
    network: [],
    resourceType: decl.resource === "agent" ? "Agent" : "Tool",
  };
}

export interface CatalogInput {
  /** Valid tool contracts by tool name. */
  contracts: ReadonlyMap<string, ToolContract>;
  capabilities: readonly string[];
  /** Resolves the stdlib's record types (AgentInfo, Message, ToolInfo) for built-in binders. */
  env: TypeEnv;
  agents?: Iterable<string>;
  functions?: Iterable<string>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function buildCatalog(input: CatalogInput): ActionCatalog {
  const actions = new Map<string, ActionInfo>();
  for (const name of [...input.contracts.keys()].sort()) {
    const c = input.contracts.get(name)!;
    if (c.valid) actions.set(name, toolAction(c));
  }
  for (const [name, decl] of [...BUILTIN_ACTIONS].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!actions.has(name)) actions.set(name, builtinAction(decl, input.env));
  }
  // Built-in groups list built-in actions; tools join groups through their contracts.
  for (const g of BUILTIN_GROUPS.values()) {
    if (g.members === "*") continue;
    for (const m of g.members) {
      const a = actions.get(m);
      if (a && !a.groups.includes(g.name)) a.groups = [...a.groups, g.name].sort();
    }
  }
  const groups = new Map<string, string[]>();
  for (const g of BUILTIN_GROUPS.values()) if (g.members !== "*") groups.set(g.name, []);
  for (const a of actions.values()) {
    for (const g of a.groups) {
      const list = groups.get(g) ?? [];
      list.push(a.name);
      groups.set(g, list);
    }
  }
  for (const list of groups.values()) list.sort();
  // Resolution order, as in the checker: tools, built-in actions, groups, capabilities.
  for (const name of actions.keys()) groups.delete(name);
  for (const cap of [...input.capabilities].sort()) {
    if (actions.has(cap) || groups.has(cap) || cap === ALL_OPERATIONS || !IDENT.test(cap)) continue;
    actions.set(cap, {
      name: cap,
      origin: "capability",
      args: [],
      groups: [],
      humanApproval: false,
      network: [],
      resourceType: "Tool",
    });
  }
  return { actions, groups, agents: new Set(input.agents ?? []), functions: new Set(input.functions ?? []) };
}
