/**
 * The policies Cedar can match for one action: a decision hands Cedar only those (README.md,
 * "Only the action's policies").
 *
 * Cedar evaluates every policy of the set it is given, and its cost grows with their number
 * (about 2 µs a policy even where the scope excludes the action, measured on cedar-wasm 4.13). A
 * policy whose action scope excludes the request's action changes nothing in Cedar's answer: its
 * scope is tested before its conditions, so it neither matches nor fails to evaluate, and it is
 * neither a reason nor an error. Leaving it out gives the same decision, reasons and errors.
 *
 * A policy can match action A when its scope leaves the action unconstrained, or names A or one
 * of A's ancestors in the action hierarchy (`action in G` matches the members of G,
 * transitively). `action == G` matches G alone; it is kept for G's members too, which costs time,
 * never an answer. The scope is read from the Cedar text itself (policies.ts), any form it does
 * not know as unconstrained, and the hierarchy from the schema Cedar would take it from
 * (schema-free.ts). So a slice can be larger than needed, never smaller. Where the hierarchy
 * cannot be read, every action gets every policy.
 *
 * Slices are preparsed on first use, under a name derived from their content, so policy sets
 * with the same policies (an agent rebuilt by the language server, the same slice of two
 * actions) share one preparsed copy: cedar-wasm offers no way to free one.
 */
import { createHash } from "node:crypto";
import { preparsePolicySet } from "../../formats/cedar-wasm.js";
import { ACTION_TYPE } from "../../formats/policies-json.js";
import { actionKey, type CedarPolicyText } from "./policies.js";
import { unionOfReads, type ContextRead } from "./context-read.js";

/** Names of the policy sets preparsed in this process (this isolate's cedar-wasm instance). */
const preparsed = new Set<string>();

/**
 * How many policy sets this process has preparsed. Every PolicySet.load used to preparse its own
 * copies under fresh names (about 80 KB of cedar-wasm memory each, never freed: a language server
 * or a test run loading the same agent again and again grew without bound); now the count grows
 * only with policies not seen before.
 */
export function preparsedSetCount(): number {
  return preparsed.size;
}

/** The preparsed name of exactly these policies, preparsing them the first time. Throws if Cedar refuses them. */
function preparsedName(policies: readonly CedarPolicyText[]): string {
  const content = JSON.stringify(policies.map((p) => [p.id, p.text]));
  const name = `symbi-policies-${createHash("sha256").update(content).digest("hex")}`;
  if (!preparsed.has(name)) {
    const r = preparsePolicySet(name, { staticPolicies: Object.fromEntries(policies.map((p) => [p.id, p.text])) });
    if (r.type === "failure")
      throw new Error(`the policies do not parse: ${r.errors.map((e) => e.message).join("; ")}`);
    preparsed.add(name);
  }
  return name;
}

interface Slice {
  policies: CedarPolicyText[];
  /** Its preparsed name, once preparsed. */
  name?: string;
  contextRead?: ContextRead;
}

/**
 * A slice that would hold this share of the file or more is the whole file (one array, one
 * preparsed set, for every such action).
 */
const MOSTLY = 3 / 4;

/** One policy file's policies, sliced by action. */
export class ActionSlices {
  private readonly slices = new Map<string, Slice>();
  private whole: Slice | undefined;
  /** Policies preparsed for slices other than the whole file. */
  private preparsedInSlices = 0;

  /**
   * `ancestorsOf`: every action's ancestors in the action hierarchy; undefined (or an action it
   * does not list) gives that action every policy.
   */
  constructor(
    private readonly policies: readonly CedarPolicyText[],
    private readonly ancestorsOf: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  ) {}

  /**
   * How many policies the slices of one file may have preparsed before further actions are
   * decided with the whole file: a file of P policies (most of them unconstrained) and A actions
   * would otherwise keep about A × P policies parsed in cedar-wasm, which frees nothing.
   */
  get preparseBudget(): number {
    return Math.max(4 * this.policies.length, 64);
  }

  /** The policies whose scope can match `action` (`Symbi::Action::"<action>"`), in file order. */
  policiesFor(action: string): readonly CedarPolicyText[] {
    return this.slice(action).policies;
  }

  /** What the policies that can match `action` read of the context (context-read.ts). */
  contextRead(action: string): ContextRead {
    const s = this.slice(action);
    return (s.contextRead ??= unionOfReads(s.policies.map((p) => p.contextRead)));
  }

  /** Whether any policy can match `action`. */
  canMatch(action: string): boolean {
    return this.slice(action).policies.length > 0;
  }

  /**
   * The preparsed policy set to decide `action` with: its slice's, or the whole file's once the
   * budget is spent (a superset never changes the answer). Throws if Cedar refuses the policies.
   */
  preparsedFor(action: string): string {
    const s = this.slice(action);
    if (s.name !== undefined) return s.name;
    if (s !== this.whole && this.preparsedInSlices + s.policies.length > this.preparseBudget) {
      const whole = this.wholeSlice();
      return (s.name = whole.name ??= preparsedName(whole.policies));
    }
    if (s !== this.whole) this.preparsedInSlices += s.policies.length;
    return (s.name = preparsedName(s.policies));
  }

  private wholeSlice(): Slice {
    return (this.whole ??= { policies: [...this.policies] });
  }

  private slice(action: string): Slice {
    let s = this.slices.get(action);
    if (s) return s;
    const ancestors = this.ancestorsOf?.get(action);
    if (ancestors === undefined) s = this.wholeSlice();
    else {
      const names = new Set([action, ...ancestors].map((a) => actionKey(ACTION_TYPE, a)));
      const policies = this.policies.filter((p) => p.actions === "any" || p.actions.some((k) => names.has(k)));
      s = policies.length >= this.policies.length * MOSTLY ? this.wholeSlice() : { policies };
    }
    this.slices.set(action, s);
    return s;
  }
}
