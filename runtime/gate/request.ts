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
  type Shape,
} from "../../formats/policies-json.js";
import { TRUSTED_RECORDS } from "../../stdlib/trusted-records.js";
import { computeDerived } from "./derived.js";
import { argumentsKept, readsPart, type ContextRead } from "./context-read.js";

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

export interface CedarRequestOptions {
  /**
   * Leave out the shared parts no rule that can match the action reads (policies.json
   * `sharedRead`). Only for a Cedar call without the schema: the schema's context types name
   * every part (runtime/gate/README.md, "What a request holds").
   */
  onlyWhatIsRead?: boolean;
  /**
   * Leave out, too, the top-level parts and the arguments these reads do not name: what the
   * policies that can match the action read, found in their Cedar text (context-read.ts). Also
   * only for a call without the schema.
   */
  reads?: ContextRead;
}

export function cedarRequest(
  pj: PoliciesJson,
  req: PolicyRequest,
  options: CedarRequestOptions = {},
): CedarRequest | { error: string; unknownAction?: boolean } {
  const a = pj.context.actions[req.action];
  if (!a) return { error: `the action \`${req.action}\` is not declared in the policy schema`, unknownAction: true };
  const args = project(req.args ?? {}, a.args);
  if (args === undefined) return { error: `the arguments of \`${req.action}\` do not match its contract` };
  // Projected onto the shapes of all the agent's policies first, so a value missing or of the
  // wrong type anywhere has the same effect as before the parts are cut down.
  const read = options.onlyWhatIsRead ? a.sharedRead : undefined;
  const reads = options.reads;
  const wanted = (part: string) => reads === undefined || readsPart(reads, part);
  const input = project(req.input ?? {}, pj.context.shared.input);
  if (input === undefined) return { error: "the agent's inputs do not match the types its policies read" };
  const context: Record<string, unknown> = {};
  if (wanted("args")) context["args"] = reads ? argumentsKept(args as Record<string, unknown>, reads) : args;
  if (wanted("input")) context["input"] = read ? keepRead(input, read.input) : input;
  if (req.facts !== undefined && wanted("facts")) {
    const f = project(req.facts, a.facts);
    if (f !== undefined) context["facts"] = f;
  }
  for (const r of TRUSTED_RECORDS) {
    const v = req[r];
    if (v === undefined || !wanted(r)) continue;
    if (read && !read[r]) continue;
    const p = project(v, pj.context.shared[r]);
    if (p !== undefined) context[r] = read ? keepRead(p, read[r]) : p;
  }
  if (wanted("derived")) context["derived"] = derivedValues(pj, req, read);
  const target = a.resource === "Agent" ? agentName((req.args ?? {})["agent"]) : req.action;
  return {
    principal: { type: AGENT_TYPE, id: pj.agent },
    action: { type: ACTION_TYPE, id: req.action },
    resource: { type: a.resource === "Agent" ? AGENT_TYPE : TOOL_TYPE, id: target },
    context,
  };
}

/** `context.derived`: the derived values the policies read (all of them without `read`). */
function derivedValues(
  pj: PoliciesJson,
  req: PolicyRequest,
  read: PoliciesJson["context"]["actions"][string]["sharedRead"],
): Record<string, unknown> {
  const derived: Record<string, unknown> = {};
  let perPolicies = runCache.get(pj);
  if (!perPolicies) runCache.set(pj, (perPolicies = new WeakMap()));
  let cache = req.input ? perPolicies.get(req.input) : undefined;
  for (const d of pj.derived) {
    if (read && !read.derived?.attributes[d.id]) continue;
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
  return derived;
}

/**
 * A projected value cut down to the attributes `shape` names (all of a value that is not a
 * record, or that `shape` does not describe as one); undefined `shape`: nothing is read.
 */
function keepRead(v: unknown, shape: Shape | undefined): unknown {
  if (shape === undefined) return {};
  if (shape.type !== "Record" || typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(shape.attributes))
    if (Object.prototype.hasOwnProperty.call(o, k)) out[k] = keepRead(o[k], s);
  return out;
}

/** The target agent of an inter-agent call: its name, given as a string or an agent record. */
function agentName(v: unknown): string {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as { name?: unknown }).name === "string")
    return (v as { name: string }).name;
  return "";
}
