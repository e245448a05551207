/**
 * Builds the Cedar request for a call from what the runtime knows, using only policies.json:
 *
 *   principal Symbi::Agent::"<agent>"
 *   action    Symbi::Action::"<action>"
 *   resource  Symbi::Tool::"<action>", or Symbi::Agent::"<target>" for inter-agent calls
 *   context   { args, input, facts?, user?, session?, system?, context?, derived }
 *
 * Every part is projected onto the shape the policies read (compiler/policy/shape.ts): values
 * nobody reads are dropped, values of the wrong type are dropped (a guard reading them is then
 * undefined and fails closed). `derived` values are computed here from the request with the DSL
 * evaluator (compiler/policy/evaluate.ts `computeDerived`).
 *
 * A request that cannot be built (unknown action, a required argument or input missing or of the
 * wrong type) is reported as `{ error }`: the caller must deny.
 */
import type { EntityUidJson } from "../../formats/cedar-wasm.js";
import type { JsonValue } from "../../formats/json.js";
import {
  ACTION_TYPE,
  AGENT_TYPE,
  TOOL_TYPE,
  conforms,
  project,
  type PoliciesJson,
} from "../../formats/policies-json.js";
import { TRUSTED_RECORDS } from "../../stdlib/trusted-records.js";
import { computeDerived } from "./derived.js";

export interface PolicyRequest {
  /** The tool or action called. */
  action: string;
  /** The call's validated arguments, by name. */
  args?: { [arg: string]: JsonValue };
  /** Facts the runtime knows about the arguments' values, by argument name (trusted). */
  facts?: { [arg: string]: JsonValue };
  /** The agent's inputs. */
  input?: { [param: string]: JsonValue };
  user?: { [k: string]: JsonValue };
  session?: { [k: string]: JsonValue };
  system?: { [k: string]: JsonValue };
  context?: { [k: string]: JsonValue };
}

export interface CedarRequest {
  principal: EntityUidJson;
  action: EntityUidJson;
  resource: EntityUidJson;
  context: Record<string, unknown>;
}

/** Values of `stage: "run"` derived attributes, computed once per run: per policies.json, per input object. */
const runCache = new WeakMap<PoliciesJson, WeakMap<object, Map<string, unknown>>>();

export function cedarRequest(
  pj: PoliciesJson,
  req: PolicyRequest,
): CedarRequest | { error: string; unknownAction?: boolean } {
  const a = pj.context.actions[req.action];
  if (!a) return { error: `the action \`${req.action}\` is not declared in the policy schema`, unknownAction: true };
  const args = project(req.args ?? {}, a.args);
  if (args === undefined) return { error: `the arguments of \`${req.action}\` do not match its contract` };
  const input = project(req.input ?? {}, pj.context.shared.input);
  if (input === undefined) return { error: "the agent's inputs do not match the types its policies read" };
  const context: Record<string, unknown> = { args, input };
  if (req.facts !== undefined) {
    const f = project(req.facts, a.facts);
    if (f !== undefined) context["facts"] = f;
  }
  for (const r of TRUSTED_RECORDS) {
    const v = req[r];
    if (v === undefined) continue;
    const p = project(v, pj.context.shared[r]);
    if (p !== undefined) context[r] = p;
  }
  const derived: Record<string, unknown> = {};
  let perPolicies = runCache.get(pj);
  if (!perPolicies) runCache.set(pj, (perPolicies = new WeakMap()));
  let cache = req.input ? perPolicies.get(req.input) : undefined;
  for (const d of pj.derived) {
    let v: unknown;
    if (d.stage === "run" && cache?.has(d.id)) v = cache.get(d.id);
    else {
      v = computeDerived(d, req, pj.levels);
      if (v !== undefined && !conforms(v, d.type)) v = undefined;
      if (d.stage === "run" && req.input) {
        if (!cache) perPolicies.set(req.input, (cache = new Map()));
        cache.set(d.id, v);
      }
    }
    if (v !== undefined) derived[d.id] = project(v, d.type);
  }
  context["derived"] = derived;
  const target = a.resource === "Agent" ? agentName((req.args ?? {})["agent"]) : req.action;
  return {
    principal: { type: AGENT_TYPE, id: pj.agent },
    action: { type: ACTION_TYPE, id: req.action },
    resource: { type: a.resource === "Agent" ? AGENT_TYPE : TOOL_TYPE, id: target },
    context,
  };
}

/** The target agent of an inter-agent call: its name, given as a string or an agent record. */
function agentName(v: unknown): string {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as { name?: unknown }).name === "string")
    return (v as { name: string }).name;
  return "";
}
