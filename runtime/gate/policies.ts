/**
 * A Cedar policy file split into policies keyed by their `@id` annotation, so decisions name
 * the ids the compiler gave (`<agent>.<policy>.<n>`), plus what each policy says about itself:
 * `@dsl("file:line:col")` (where its DSL rule is), `@rule("allow")` (the DSL verb) and which
 * actions its scope can match (used to skip the approval query for actions no approval policy
 * can match).
 */
import { policySetTextToParts, policyToJson, type EntityUidJson } from "../../formats/cedar-wasm.js";

export interface CedarPolicyText {
  id: string;
  text: string;
  effect: "permit" | "forbid";
  annotations: Record<string, string>;
  /** `file:line:col` of the DSL rule (the `@dsl` annotation), if given. */
  dsl?: string;
  /** Action ids (`Symbi::Action::"x"` → `Symbi::x`) the scope names; "any" for an unconstrained action. */
  actions: string[] | "any";
}

export class PolicyLoadError extends Error {
  override readonly name = "PolicyLoadError";
}

function uidKey(e: EntityUidJson): string {
  const u = "__entity" in e ? e.__entity : e;
  return `${u.type.replace(/::Action$/, "").replace(/^Action$/, "")}::${u.id}`.replace(/^::/, "");
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
    const a = j.json.action;
    const actions =
      a.op === "All"
        ? "any"
        : a.op === "=="
          ? "entity" in a
            ? [uidKey(a.entity)]
            : "any"
          : "entity" in a
            ? [uidKey(a.entity)]
            : a.entities.map(uidKey);
    const info: CedarPolicyText = { id, text: p, effect: j.json.effect, annotations, actions };
    if (annotations.dsl !== undefined) info.dsl = annotations.dsl;
    out.push(info);
  });
  return out;
}
