/**
 * A Cedar policy file split into policies keyed by their `@id` annotation, so decisions name
 * the ids the compiler gave (`<agent>.<policy>.<n>`), plus what each policy says about itself:
 * `@dsl("file:line:col")` (where its DSL rule is), `@rule("allow")` (the DSL verb) and which
 * actions its scope names (action-slices.ts: which policies Cedar can match for an action).
 */
import { contextRead, type ContextRead } from "./context-read.js";
import { policySetTextToParts, policyToJson, type EntityUidJson } from "../../formats/cedar-wasm.js";

export interface CedarPolicyText {
  id: string;
  text: string;
  effect: "permit" | "forbid";
  annotations: Record<string, string>;
  /** `file:line:col` of the DSL rule (the `@dsl` annotation), if given. */
  dsl?: string;
  /**
   * The action entities the scope names (`action == A`, `action in A`, `action in [A, …]`), as
   * actionKey()s; "any" for an unconstrained action.
   */
  actions: string[] | "any";
  /** What its conditions read of the context and of the arguments (context-read.ts). */
  contextRead: ContextRead;
}

/** One key per action entity uid, exact in type and id (`Symbi::Action::"read"`). */
export function actionKey(type: string, id: string): string {
  return `${type}::${JSON.stringify(id)}`;
}

export class PolicyLoadError extends Error {
  override readonly name = "PolicyLoadError";
}

function uidKey(e: EntityUidJson): string {
  const u = "__entity" in e ? e.__entity : e;
  return actionKey(u.type, u.id);
}

/** Splits and annotates a policy set text. Throws PolicyLoadError (naming `what`) if it does not parse or ids repeat. */
export function splitPolicies(text: string, what: string): CedarPolicyText[] {
  const parts = policySetTextToParts(text);
  if (parts.type === "failure") {
    throw new PolicyLoadError(`${what} does not parse: ${parts.errors.map((e) => e.message).join("; ")}`);
  }
  if (parts.policy_templates.length > 0)
    throw new PolicyLoadError(`${what} contains policy templates, which the runtime does not link`);
  const out: CedarPolicyText[] = [];
  const seen = new Set<string>();
  parts.policies.forEach((p, i) => {
    const j = policyToJson(p);
    if (j.type === "failure")
      throw new PolicyLoadError(
        `${what}: policy ${i + 1} does not parse: ${j.errors.map((e) => e.message).join("; ")}`,
      );
    const annotations = { ...(j.json.annotations ?? {}) } as Record<string, string>;
    const id = annotations.id ?? `policy${i}`;
    if (seen.has(id)) throw new PolicyLoadError(`${what}: two policies have the id ${JSON.stringify(id)}`);
    seen.add(id);
    const actions = scopeActions(j.json.action as Record<string, unknown>);
    const info: CedarPolicyText = {
      id,
      text: p,
      effect: j.json.effect,
      annotations,
      actions,
      contextRead: contextRead(j.json.conditions),
    };
    if (annotations.dsl !== undefined) info.dsl = annotations.dsl;
    out.push(info);
  });
  return out;
}

/**
 * The action entities an action scope names. Any form this does not know reads as "any": the
 * gate then gives Cedar the policy for every action, which can only cost time (action-slices.ts).
 */
function scopeActions(a: Record<string, unknown>): string[] | "any" {
  if ((a.op === "==" || a.op === "in") && typeof a.entity === "object" && a.entity !== null)
    return [uidKey(a.entity as EntityUidJson)];
  if (a.op === "in" && Array.isArray(a.entities)) return (a.entities as EntityUidJson[]).map(uidKey);
  return "any";
}
