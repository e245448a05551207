/**
 * What the reasoning loop offers the model: the agent's tools (from their contracts) and the
 * peer agents it may delegate to, each as a function definition — minus those the agent's
 * policies can never allow.
 *
 * "Can never allow" is decided by Cedar itself, on the bundle's own policy set and schema, by
 * partial evaluation: the request names the agent, the action and the resource, and leaves the
 * whole context (arguments, inputs, trusted records, facts, derived values) unknown. If Cedar
 * still answers deny — an unconditional forbid applies, or no permit can apply — no call of that
 * action can ever be allowed, and offering it would only invite a denial. Anything else is
 * offered; whether a particular call is allowed is decided, as always, by the gate when the
 * model proposes it. For `invoke_tool` (which only restricts) the tool's description is known
 * (ToolInfo from its contract): a forbid that holds whatever the unknown parts are withholds
 * the tool too.
 *
 * Withholding is a courtesy to the model, never a security boundary: a proposal of a withheld
 * tool still goes through the pipeline and is denied there.
 */
import { isAuthorizedPartial } from "../../formats/cedar-wasm.js";
import type { ToolContract } from "../../compiler/contracts/model.js";
import { splitPolicies } from "../gate/policies.js";
import type { ToolSpec } from "../model/types.js";
import type { PeerAgent, ReasoningAgent, ToolInfoOf } from "./agent.js";
import { contractDescription, contractParameters, typeSchema } from "./tool-schema.js";

/** Peer agents are offered as `agent-<name>`: a hyphen cannot occur in a tool's name, so the two never collide. */
export const PEER_PREFIX = "agent-";

export interface OfferedFunction {
  spec: ToolSpec;
  kind: "tool" | "agent";
  /** The tool or peer agent's name. */
  target: string;
}

export interface Offer {
  functions: OfferedFunction[];
  /** Functions not offered, and why (recorded at the start of each loop). */
  withheld: Array<{ name: string; why: string }>;
}

const NS = "Symbi";

function unknown(name: string): unknown {
  return { __extn: { fn: "unknown", arg: name } };
}

/** The top-level context attributes a bundle's policies may read (all of them unknown here). */
function contextKeys(bundle: ReasoningAgent): string[] {
  const pj = bundle.policies.policiesJson as { context?: { shared?: Record<string, unknown> } } | undefined;
  return [
    ...new Set([
      "args",
      "input",
      "facts",
      "user",
      "session",
      "system",
      "context",
      "derived",
      ...Object.keys(pj?.context?.shared ?? {}),
    ]),
  ];
}

interface ModelType {
  type?: string;
  attributes?: Record<string, ModelType & { required?: boolean }>;
}

/**
 * A known value shaped like the context model declares it (policies.json): only declared
 * attributes, so Cedar's schema-based parsing of the context accepts it; a declared attribute
 * the value lacks is unknown.
 */
function shaped(v: unknown, t: ModelType | undefined, path: string): unknown {
  if (t?.type !== "Record" || typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, at] of Object.entries(t.attributes ?? {})) {
    if (Object.hasOwn(v, k)) out[k] = shaped((v as Record<string, unknown>)[k], at, `${path}.${k}`);
    else if (at.required) out[k] = unknown(`${path}.${k}`);
  }
  return out;
}

type PartialAnswer = { decision: "allow" | "deny" | null; satisfied: string[] } | { error: string };

class PolicyView {
  private readonly policies: Record<string, string>;
  private readonly effect = new Map<string, "permit" | "forbid">();
  private readonly keys: string[];

  constructor(private readonly bundle: ReasoningAgent) {
    const parts = splitPolicies(bundle.policies.policy, "policy.cedar");
    this.policies = Object.fromEntries(parts.map((p) => [p.id, p.text]));
    for (const p of parts) this.effect.set(p.id, p.effect);
    this.keys = contextKeys(bundle);
  }

  private partial(
    action: string,
    resource: { type: string; id: string },
    known: Record<string, unknown>,
  ): PartialAnswer {
    const context: Record<string, unknown> = {};
    for (const k of this.keys) context[k] = unknown(k);
    const pj = this.bundle.policies.policiesJson as
      { context?: { actions?: Record<string, { args?: ModelType }> } } | undefined;
    const argsType = pj?.context?.actions?.[action]?.args;
    // Without the context model a known value could not be shaped for the schema: leave it unknown.
    if (known.args !== undefined && argsType) context.args = shaped(known.args, argsType, "args");
    const r = isAuthorizedPartial({
      principal: { type: `${NS}::Agent`, id: this.bundle.agent },
      action: { type: `${NS}::Action`, id: action },
      resource,
      context: context as never,
      schema: this.bundle.policies.schema as never,
      validateRequest: false,
      policies: { staticPolicies: this.policies },
      entities: [],
    });
    if (r.type === "failure") return { error: r.errors.map((e) => e.message).join("; ") };
    return { decision: r.response.decision, satisfied: r.response.satisfied };
  }

  /**
   * Why no call of `action` on `resource` can be allowed, or undefined when some call might be.
   * `known` fixes parts of the context (the target agent of a delegation); the rest is unknown.
   */
  neverAllowed(
    action: string,
    resource: { type: string; id: string },
    known: Record<string, unknown> = {},
  ): string | undefined {
    const a = this.partial(action, resource, known);
    if ("error" in a) return undefined; // cannot tell: offer it, the gate decides each call
    if (a.decision !== "deny") return undefined;
    const forbids = a.satisfied.filter((id) => this.effect.get(id) === "forbid");
    return forbids.length > 0 ? `denied by ${forbids.sort().join(", ")} whatever its arguments` : "no rule allows it";
  }

  /** Why `invoke_tool` policies refuse every call of this tool, or undefined. */
  invokeToolForbids(c: ToolContract, toolInfo: ToolInfoOf): string | undefined {
    const a = this.partial("invoke_tool", { type: `${NS}::Tool`, id: "invoke_tool" }, { args: { tool: toolInfo(c) } });
    if ("error" in a) return undefined;
    const forbids = a.satisfied.filter((id) => this.effect.get(id) === "forbid");
    return forbids.length > 0
      ? `denied by ${forbids.sort().join(", ")} (invoke_tool) whatever its arguments`
      : undefined;
  }
}

/** A peer's input as the `message` of a delegation: its one String parameter as text, or a record of its parameters. */
function peerParameters(peer: ReasoningAgent): Record<string, unknown> {
  const params = peer.ir.agent.params;
  if (params.length === 1 && params[0]!.type.name.name === "String")
    return {
      type: "object",
      properties: { message: { type: "string", description: `the agent's \`${params[0]!.local.name}\`` } },
      required: ["message"],
      additionalProperties: false,
    };
  const properties: Record<string, unknown> = {};
  for (const p of params) properties[p.local.name] = typeSchema(p.type);
  return {
    type: "object",
    properties: {
      message: {
        type: "object",
        description: "the agent's inputs",
        properties,
        required: params.filter((p) => !p.optional).map((p) => p.local.name),
      },
    },
    required: ["message"],
    additionalProperties: false,
  };
}

function loaded(p: PeerAgent): ReasoningAgent {
  return typeof p === "function" ? p() : p;
}

/**
 * The functions offered to the model of `bundle`'s agent, in a stable order (tools by name, then
 * peers by name) so that the same run makes the same requests.
 */
export function offerFor(
  bundle: ReasoningAgent,
  peers: ReadonlyMap<string, PeerAgent>,
  options: { checkInvokeTool: boolean; toolInfo: ToolInfoOf },
): Offer {
  const view = new PolicyView(bundle);
  const out: Offer = { functions: [], withheld: [] };
  for (const name of [...bundle.contracts.keys()].sort()) {
    const c = bundle.contracts.get(name)!;
    const why =
      view.neverAllowed(name, { type: `${NS}::Tool`, id: name }) ??
      (options.checkInvokeTool ? view.invokeToolForbids(c, options.toolInfo) : undefined);
    if (why !== undefined) {
      out.withheld.push({ name, why });
      continue;
    }
    out.functions.push({
      kind: "tool",
      target: name,
      spec: { name, description: contractDescription(c), parameters: contractParameters(c) },
    });
  }
  for (const name of [...peers.keys()].sort()) {
    if (name === bundle.agent) continue;
    const fn = `${PEER_PREFIX}${name}`;
    // The target is known (AgentInfo, as the gate gives it; the child run's id is not yet).
    const why = view.neverAllowed(
      "delegate",
      { type: `${NS}::Agent`, id: name },
      { args: { agent: { name, id: unknown("agent_id"), agentpin_verified: false } } },
    );
    if (why !== undefined) {
      out.withheld.push({ name: fn, why });
      continue;
    }
    out.functions.push({
      kind: "agent",
      target: name,
      spec: {
        name: fn,
        description: `Delegate a task to agent \`${name}\`: it runs under its own policies and sandbox, and its result is returned.`,
        parameters: peerParameters(loaded(peers.get(name)!)),
      },
    });
  }
  return out;
}
