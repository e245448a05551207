/**
 * The actions a policy can name, for one agent: the project's tools (tool contracts), the
 * agent's declared capabilities, the inter-agent builtins, and the action groups.
 *
 * - A tool's arguments, in argv order, are what call-form binders bind (`read(file)` binds the
 *   first argument). Their types come from the contract: integers and ports are `int`, booleans
 *   `bool`, `number` is a float (Cedar has none: reading it in a guard is an error), every other
 *   ToolClad type is text.
 * - Action groups: `all_operations` (every action), and the groups a contract puts its tool in
 *   with `[tool.policy] groups = [...]` (our extension). The reference's `[tool.cedar] action`
 *   names the Cedar action it used for the tool (`execute_tool`); it is a group here too, so the
 *   reference's contracts keep their meaning.
 */
import type { NetworkAllow, ToolContract } from "../contracts/model.js";

export type ArgType = "String" | "Long" | "Bool" | "Unsupported";

export interface ActionArg {
  name: string;
  /** 0-based position (argv order). */
  position: number;
  type: ArgType;
  /** What the ToolClad type was, for messages. */
  declared: string;
  /** Present in every validated call: required, or filled from a default. */
  always: boolean;
}

export type ActionOrigin = "tool" | "capability" | "builtin";

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
  /** Cedar resource type of a call: the tool, or the target agent for inter-agent calls. */
  resourceType: "Tool" | "Agent";
  contract?: ToolContract;
}

export interface ActionCatalog {
  actions: Map<string, ActionInfo>;
  /** Group name → member action names (sorted). */
  groups: Map<string, string[]>;
}

/** The group every action belongs to. */
export const ALL_OPERATIONS = "all_operations";

/**
 * Inter-agent calls (DESIGN §8): the runtime gates them like tool calls, with the target agent
 * as the Cedar resource. Their first argument is the target agent's name.
 */
export const INTER_AGENT_ACTIONS = ["ask", "delegate", "send_to"] as const;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function argType(t: string): ArgType {
  if (t === "integer" || t === "port") return "Long";
  if (t === "boolean") return "Bool";
  if (t === "number") return "Unsupported";
  return "String";
}

export function toolAction(c: ToolContract): ActionInfo {
  const info: ActionInfo = {
    name: c.name,
    origin: "tool",
    args: c.args.map((a, i) => ({ name: a.name, position: i, type: argType(a.baseType), declared: a.type, always: a.required || a.default !== undefined })),
    groups: [],
    humanApproval: c.humanApproval,
    network: c.sandbox.network.map((n) => ({ ...n })),
    resourceType: "Tool",
    contract: c,
  };
  const groups = new Set<string>(c.policy?.groups ?? []);
  const g = c.cedar?.action;
  if (g && g !== c.name && IDENT.test(g)) groups.add(g);
  groups.delete(c.name);
  info.groups = [...groups].sort();
  return info;
}

/**
 * The catalog for an agent: every tool contract, the agent's capabilities that are not tools
 * (argument-less actions), and the inter-agent builtins.
 */
export function buildCatalog(contracts: ReadonlyMap<string, ToolContract>, capabilities: readonly string[]): ActionCatalog {
  const actions = new Map<string, ActionInfo>();
  for (const name of [...contracts.keys()].sort()) actions.set(name, toolAction(contracts.get(name)!));
  for (const cap of [...capabilities].sort()) {
    if (!actions.has(cap) && IDENT.test(cap)) actions.set(cap, { name: cap, origin: "capability", args: [], groups: [], humanApproval: false, network: [], resourceType: "Tool" });
  }
  for (const name of INTER_AGENT_ACTIONS) {
    if (!actions.has(name)) {
      actions.set(name, {
        name,
        origin: "builtin",
        args: [{ name: "agent", position: 0, type: "String", declared: "agent name", always: true }],
        groups: [],
        humanApproval: false,
        network: [],
        resourceType: "Agent",
      });
    }
  }
  const groups = new Map<string, string[]>();
  for (const a of actions.values()) {
    for (const g of a.groups) {
      const list = groups.get(g) ?? [];
      list.push(a.name);
      groups.set(g, list);
    }
  }
  for (const list of groups.values()) list.sort();
  return { actions, groups };
}
