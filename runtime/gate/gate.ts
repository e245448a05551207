/**
 * The policy gate (DESIGN §5, §8) — the one place a request is decided. `symbi exec`, the
 * reasoning loop, `symbic test` and every test that proves faithfulness decide through it.
 *
 * A `PolicySet` is loaded once from a bundle's four policy files, all required (a bundle without
 * one of them is refused; there is no weaker mode):
 *
 *   policy.cedar              permits and forbids (Cedar's semantics: allowed when some permit
 *                             matches and no forbid does)
 *   approval.cedar            permits that mean "a person must approve"
 *   schema.cedarschema.json   the schema both sets were validated against by the compiler (its
 *                             action groups reach every decision; schema-free.ts)
 *   policies.json             the context model, derived values, rule table (formats/policies-json.ts)
 *
 * A `PolicyGate` is the set bound to one run (the agent's inputs and the operator's trusted
 * records), cheap to make. `decide` builds the request from policies.json (request.ts: each part
 * projected onto the shapes the policies read, derived values computed) and asks cedar-wasm —
 * without the schema where schema-free.ts shows that changes nothing, and with only the policies
 * whose scope can match the action (action-slices.ts):
 *
 * 1. the main set; if any policy fails to evaluate the answer is deny (Cedar skips erroring
 *    policies, which for a forbid would fail open);
 * 2. if allowed, the approval set, when one of its policies can match the action: a match turns
 *    the answer into require_approval, an evaluation error into deny.
 *
 * Where the approval set can match, both are asked in one Cedar call, whose answer gives the
 * same decision (decideBothAtOnce says why): one Cedar call instead of two for every call that
 * needs approval.
 *
 * A request that cannot be built, a cedar-wasm failure or an exception is a deny with the reason
 * (fail closed). `decide` never throws.
 *
 * Answers are remembered per PolicySet, keyed by the JSON text of the Cedar request
 * (decision-cache.ts says why a hit is the answer Cedar would give); callers audit every
 * decision, remembered or not.
 */
import {
  preparseSchema,
  statefulIsAuthorized,
  type AuthorizationAnswer,
  type EntityJson,
} from "../../formats/cedar-wasm.js";
import { randomBytes } from "node:crypto";
import { POLICIES_FORMAT, type PoliciesJson, type PolicyEntry } from "../../formats/policies-json.js";
import { TRUSTED_RECORDS } from "../../stdlib/trusted-records.js";
import { cedarRequest, type CedarRequest, type PolicyRequest } from "./request.js";
import { splitPolicies, PolicyLoadError } from "./policies.js";
import { DecisionCache, DECISION_CACHE_ENTRIES } from "./decision-cache.js";
import { actionAncestors, schemaFreeEntities } from "./schema-free.js";
import { ActionSlices } from "./action-slices.js";
import { unionOfReads, type ContextRead } from "./context-read.js";

export type DecisionKind = "allow" | "deny" | "require_approval";

export interface GateDecision {
  decision: DecisionKind;
  /**
   * Ids of the policies (DSL rules) that produced the decision, never empty: `default-deny`
   * when nothing allowed, `gate-error` when the gate failed closed without a policy to blame.
   */
  rules: string[];
  /** `file:line:col` of those rules, where known (same order as `rules`). */
  locations: string[];
  /** One sentence for people: why. */
  reason: string;
  /** Set when the gate failed closed (evaluation error, bad request, engine failure). */
  error?: string;
  /** For require_approval: the policies that allowed the call before it needed approval (rule coverage counts them). */
  allowedBy?: string[];
}

/** The rule id a decision names when no policy allowed the request. */
export const DEFAULT_DENY = "default-deny";

/** The rule id a decision names when the gate failed closed without a policy to blame. */
export const GATE_ERROR = "gate-error";

/** A deny only because nothing allowed (no rule forbade, nothing failed). */
export function isDefaultDeny(d: GateDecision): boolean {
  return d.decision === "deny" && d.error === undefined && d.rules.length === 1 && d.rules[0] === DEFAULT_DENY;
}

export interface GateRequest {
  /** The tool or action name (`Symbi::Action::"<action>"`). */
  action: string;
  /** The call's validated arguments. */
  args: Record<string, unknown>;
  /** Trusted facts about the arguments' values, by argument name (`context.facts`). */
  facts?: Record<string, unknown>;
  /** Default: `Symbi::Tool::"<action>"`, or the target agent for inter-agent actions. */
  resource?: { type: string; id: string };
}

/** The compiled policy files of a bundle, as text (policies.json and the schema as parsed JSON or text). */
export interface CompiledPolicies {
  policy: string;
  approval: string;
  schema: unknown;
  policiesJson: unknown;
}

/** The run's fixed request parts. */
export interface RunContext {
  /** The agent's inputs as JSON (`context.input`). */
  input: Record<string, unknown>;
  /** The trusted records (`--context`): `user`, `session`, `system`, `context`. */
  trusted?: Record<string, unknown>;
}

/** The bundle's policies cannot be used: the run must not start. */
export class GateLoadError extends Error {
  override readonly name = "GateLoadError";
}

/** Context keys the runtime fills itself; `--context` may not set them. */
export const RESERVED_CONTEXT_KEYS: ReadonlySet<string> = new Set(["args", "input", "facts", "derived"]);

let setCounter = 0;

function parseJsonPart(v: unknown, what: string): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new GateLoadError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Checks the parts of policies.json the gate relies on; a malformed file refuses to load. */
function checkPoliciesJson(v: unknown): PoliciesJson {
  const o = v as Partial<PoliciesJson> | null;
  if (typeof o !== "object" || o === null || o.format !== POLICIES_FORMAT)
    throw new GateLoadError(`policies.json must have format "${POLICIES_FORMAT}"`);
  if (
    typeof o.agent !== "string" ||
    !Array.isArray(o.policies) ||
    !Array.isArray(o.derived) ||
    !Array.isArray(o.levels)
  )
    throw new GateLoadError("policies.json lacks agent, policies, derived or levels");
  const c = o.context as PoliciesJson["context"] | undefined;
  if (
    typeof c !== "object" ||
    c === null ||
    typeof c.actions !== "object" ||
    typeof c.shared !== "object" ||
    c.shared === null
  )
    throw new GateLoadError("policies.json has no context model");
  for (const p of o.policies)
    if (typeof p?.id !== "string" || typeof p.file !== "string" || typeof p.line !== "number")
      throw new GateLoadError("policies.json: every policy entry needs id, file and line");
  return o as PoliciesJson;
}

export interface PolicySetOptions {
  /** Decisions remembered (default DECISION_CACHE_ENTRIES; 0 decides every request with Cedar). */
  decisionCacheEntries?: number;
  /**
   * Hand Cedar the schema with every request, even where schema-free.ts shows that changes no
   * decision (the tests decide both ways and compare).
   */
  passSchema?: boolean;
  /**
   * Hand Cedar every policy with every request, even where action-slices.ts shows that changes
   * no decision (the tests decide both ways and compare).
   */
  wholeSets?: boolean;
  /**
   * Ask Cedar about the approval set in a call of its own, after the main set allowed, even
   * where one call with both sets gives the same decision (the tests decide both ways and
   * compare; see decideWithCedar).
   */
  separateApproval?: boolean;
}

/** One agent's compiled policies, parsed once. */
export class PolicySet {
  readonly agent: string;
  readonly policiesJson: PoliciesJson;
  /** @internal (PolicyGate) Decisions by request; see decision-cache.ts. */
  readonly decisions: DecisionCache;
  private readonly main: ActionSlices;
  private readonly approvals: ActionSlices;
  /** Both files' policies, for one call where the approval set can match (undefined: separateApproval). */
  private readonly both: ActionSlices | undefined;
  /** @internal (PolicyGate) The ids of approval.cedar's policies. */
  readonly approvalIds = new Set<string>();
  /** The preparsed schema, where decisions pass it (schema-free.ts says when they need not). */
  private readonly schemaName: string | undefined;
  /** The entities passed with a request for each action, where decisions do not pass the schema. */
  private readonly entitiesOf: Map<string, EntityJson[]> | undefined;
  /** Why decisions pass the schema (undefined: they do not). */
  readonly schemaNeeded: string | undefined;
  private readonly entries = new Map<string, PolicyEntry>();
  private readonly contextNeededBy = new Map<string, ContextRead>();

  private constructor(parts: CompiledPolicies, options: PolicySetOptions) {
    this.decisions = new DecisionCache(options.decisionCacheEntries ?? DECISION_CACHE_ENTRIES);
    this.policiesJson = checkPoliciesJson(parseJsonPart(parts.policiesJson, "policies.json"));
    this.agent = this.policiesJson.agent;
    for (const e of this.policiesJson.policies) this.entries.set(e.id, e);
    const unique = `${process.pid}-${++setCounter}-${randomBytes(4).toString("hex")}`;
    try {
      const main = splitPolicies(parts.policy, "policy.cedar");
      const approvals = splitPolicies(parts.approval, "approval.cedar");
      const seen = new Set<string>();
      for (const p of [...main, ...approvals]) {
        if (seen.has(p.id))
          throw new GateLoadError(`policy id ${JSON.stringify(p.id)} is used twice in policy.cedar and approval.cedar`);
        seen.add(p.id);
        // Every decision must name its DSL rule: a policy policies.json does not describe is foreign.
        if (!this.entries.has(p.id))
          throw new GateLoadError(`policy ${JSON.stringify(p.id)} is not described in policies.json`);
      }
      const bad = approvals.find((p) => p.effect !== "permit");
      if (bad)
        throw new GateLoadError(`approval.cedar: policy ${bad.id} is a forbid; approval policies must be permits`);
      const schema = parseJsonPart(parts.schema, "schema.cedarschema.json");
      const free = options.passSchema
        ? { unusable: "asked to pass the schema" }
        : schemaFreeEntities(schema, this.policiesJson);
      if ("entitiesOf" in free) {
        this.entitiesOf = free.entitiesOf;
        this.schemaName = undefined;
        this.schemaNeeded = undefined;
      } else {
        this.entitiesOf = undefined;
        this.schemaNeeded = free.unusable;
        this.schemaName = `symbi-schema-${unique}`;
        const s = preparseSchema(this.schemaName, schema as never);
        if (s.type === "failure")
          throw new GateLoadError(`the Cedar schema does not parse: ${s.errors.map((e) => e.message).join("; ")}`);
      }
      // splitPolicies parsed every policy with Cedar's parser; each action's slice is preparsed
      // when the first request for the action is decided.
      const hierarchy = options.wholeSets ? undefined : actionAncestors(schema, this.policiesJson);
      const ancestorsOf = hierarchy && "ancestorsOf" in hierarchy ? hierarchy.ancestorsOf : undefined;
      this.main = new ActionSlices(main, ancestorsOf);
      this.approvals = new ActionSlices(approvals, ancestorsOf);
      this.both = options.separateApproval ? undefined : new ActionSlices([...main, ...approvals], ancestorsOf);
      for (const p of approvals) this.approvalIds.add(p.id);
    } catch (e) {
      if (e instanceof PolicyLoadError) throw new GateLoadError(e.message);
      throw e;
    }
  }

  /** Parses the policy sets and schema. Throws GateLoadError when they cannot be used. */
  static load(parts: CompiledPolicies, options: PolicySetOptions = {}): PolicySet {
    return new PolicySet(parts, options);
  }

  /** The rule table entry of a policy id. */
  entry(id: string): PolicyEntry | undefined {
    return this.entries.get(id);
  }

  /** The set bound to one run's inputs and trusted records. Throws GateLoadError for reserved keys. */
  gate(run: RunContext): PolicyGate {
    for (const k of Object.keys(run.trusted ?? {})) {
      if (RESERVED_CONTEXT_KEYS.has(k))
        throw new GateLoadError(`the trusted context may not set \`${k}\`: the runtime fills context.${k} itself`);
    }
    return new PolicyGate(this, run);
  }

  /**
   * @internal (PolicyGate) `action` is `call.action`'s id. `set` "both": the two files' policies
   * in one call (only where the set was loaded without separateApproval).
   */
  authorize(call: CedarRequest, action: string, set: "main" | "approval" | "both"): AuthorizationAnswer {
    // With the schema, Cedar adds the action entities itself. Only actions policies.json
    // declares get this far (request.ts refuses the others).
    const entities = this.entitiesOf ? this.entitiesOf.get(action) : [];
    if (entities === undefined) throw new Error(`no action entity for \`${action}\``);
    return statefulIsAuthorized({
      ...call,
      entities,
      validateRequest: false,
      ...(this.schemaName !== undefined ? { preparsedSchemaName: this.schemaName } : {}),
      preparsedPolicySetId: this.slices(set).preparsedFor(action),
    } as never);
  }

  /**
   * @internal (PolicyGate) What Cedar needs of a request for `action`: what the policies that
   * can match it read (both files; context-read.ts), or undefined for all of it — always where
   * decisions pass the schema, whose context types name every part.
   */
  contextNeeded(action: string): ContextRead | undefined {
    if (this.schemaNeeded !== undefined) return undefined;
    let r = this.contextNeededBy.get(action);
    if (!r) {
      r = unionOfReads([this.main.contextRead(action), this.approvals.contextRead(action)]);
      this.contextNeededBy.set(action, r);
    }
    return r;
  }

  private slices(set: "main" | "approval" | "both"): ActionSlices {
    if (set === "main") return this.main;
    if (set === "approval") return this.approvals;
    if (!this.both) throw new Error("the approval set is decided in calls of its own (separateApproval)");
    return this.both;
  }

  /** @internal (PolicyGate) */
  approvalCanMatch(action: string): boolean {
    return this.approvals.canMatch(action);
  }

  /** @internal (PolicyGate) Whether one Cedar call decides both files (not separateApproval). */
  get decidesBothAtOnce(): boolean {
    return this.both !== undefined;
  }
}

/** A policy set bound to one run. */
export class PolicyGate {
  readonly agent: string;
  /** The request parts that do not change during a run (the same object each time: derived "run" values are cached on it). */
  private readonly fixed: Omit<PolicyRequest, "action" | "args" | "facts">;

  constructor(
    readonly policies: PolicySet,
    /** The run's inputs and trusted records it decides under (`symbic test`'s worker threads bind their own gates to them). */
    readonly run: RunContext,
  ) {
    this.agent = policies.agent;
    const fixed: Record<string, unknown> = { input: run.input };
    for (const r of TRUSTED_RECORDS) if (run.trusted?.[r] !== undefined) fixed[r] = run.trusted[r];
    this.fixed = fixed as Omit<PolicyRequest, "action" | "args" | "facts">;
  }

  /** Decides one request. Never throws: failures deny. */
  decide(req: GateRequest): GateDecision {
    try {
      return this.decideOrThrow(req);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return failClosed(`the policy gate failed: ${msg}`);
    }
  }

  /**
   * The Cedar request `decide` makes for `req`, or why it cannot be built. Throws only where
   * `decide` would fail closed. `whole` keeps the parts and arguments no policy reads, for a
   * caller that hands Cedar the schema (explanations: the schema's context types name them all).
   */
  cedarRequestOf(
    req: GateRequest,
    options: { whole?: boolean } = {},
  ): CedarRequest | { error: string; unknownAction?: boolean } {
    const built = cedarRequest(
      this.policies.policiesJson,
      {
        ...this.fixed,
        action: req.action,
        args: req.args as PolicyRequest["args"],
        ...(req.facts ? { facts: req.facts as PolicyRequest["facts"] } : {}),
      },
      // Without the schema, Cedar needs only what the action's policies read (request.ts): a
      // part or an argument no policy that can match the action reads cannot change the answer,
      // and requests that differ only there are one request to the decision cache.
      {
        onlyWhatIsRead: this.policies.schemaNeeded === undefined,
        ...(options.whole ? {} : { reads: this.policies.contextNeeded(req.action) }),
      },
    );
    if ("error" in built) return built;
    // The caller knows the resource (the target agent of an inter-agent call) better than a
    // projection of the arguments does.
    return req.resource ? { ...built, resource: req.resource } : built;
  }

  private decideOrThrow(req: GateRequest): GateDecision {
    const built = this.cedarRequestOf(req);
    if ("error" in built) {
      const d = failClosed(built.error);
      if (built.unknownAction) {
        d.rules = [DEFAULT_DENY];
        d.locations = [""];
        d.reason = `no policy of agent \`${this.agent}\` can allow \`${req.action}\` (default deny): ${built.error}`;
      }
      return d;
    }
    // The same text cedar-wasm is given (its binding serialises the call with JSON.stringify).
    const key = JSON.stringify(built);
    const known = this.policies.decisions.get(key);
    if (known) return known;
    const d = this.decideWithCedar(built, req.action); // req.action is built.action.id: in the key
    this.policies.decisions.set(key, d);
    return d;
  }

  /** The decision for a built request: the main set, then the approval set (see the top of this file). */
  private decideWithCedar(call: CedarRequest, action: string): GateDecision {
    const approvalCanMatch = this.policies.approvalCanMatch(action);
    if (approvalCanMatch && this.policies.decidesBothAtOnce) return this.decideBothAtOnce(call, action);
    const main = this.policies.authorize(call, action, "main");
    const mainFailure = this.failure(main, "policy.cedar");
    if (mainFailure) return mainFailure;
    const resp = (main as Extract<AuthorizationAnswer, { type: "success" }>).response;
    if (resp.decision === "deny") return this.denied(resp.diagnostics.reason, action);
    const allowRules = [...resp.diagnostics.reason].sort();
    if (approvalCanMatch) {
      const ap = this.policies.authorize(call, action, "approval");
      const apFailure = this.failure(ap, "approval.cedar");
      if (apFailure) return apFailure;
      const apResp = (ap as Extract<AuthorizationAnswer, { type: "success" }>).response;
      if (apResp.decision === "allow") return this.approvalRequired([...apResp.diagnostics.reason].sort(), allowRules);
    }
    return this.allowed(allowRules);
  }

  /**
   * Both files in one Cedar call, with the answer of the two calls above. Cedar decides each
   * policy on its own: whether it is satisfied, or fails to evaluate, does not depend on the other
   * policies of the set. Its answer names every policy that failed, and as reasons, for a deny,
   * the satisfied forbids — all of policy.cedar, as approval.cedar holds permits only
   * (PolicySet.load refuses it otherwise) — and for an allow, every satisfied permit of either
   * file. So:
   * - a policy of policy.cedar failed: the main call's failure;
   * - deny: the main call's deny, by its forbids, or by default;
   * - allow with no permit of policy.cedar among the reasons (only approval permits were
   *   satisfied): the main call's default deny;
   * - otherwise the main call allowed, by the reasons of policy.cedar; then an approval policy
   *   that failed is the approval call's failure, and satisfied ones its require_approval.
   * test/runtime/gate-schema-free.test.ts decides random requests both ways and compares.
   */
  private decideBothAtOnce(call: CedarRequest, action: string): GateDecision {
    const both = this.policies.authorize(call, action, "both");
    if (both.type === "failure") return this.failure(both, "policy.cedar")!;
    const approvalIds = this.policies.approvalIds;
    const errors = both.response.diagnostics.errors;
    const mainErrors = errors.filter((e) => !approvalIds.has(e.policyId));
    if (mainErrors.length > 0) return this.evaluationFailure(mainErrors);
    const reasons = both.response.diagnostics.reason;
    if (both.response.decision === "deny") return this.denied(reasons, action);
    const allowRules = reasons.filter((id) => !approvalIds.has(id)).sort();
    if (allowRules.length === 0) return this.denied([], action);
    const approvalErrors = errors.filter((e) => approvalIds.has(e.policyId));
    if (approvalErrors.length > 0) return this.evaluationFailure(approvalErrors);
    const approvalRules = reasons.filter((id) => approvalIds.has(id)).sort();
    return approvalRules.length > 0 ? this.approvalRequired(approvalRules, allowRules) : this.allowed(allowRules);
  }

  /** The main set's deny: by these forbids, or by default when there are none. */
  private denied(forbids: readonly string[], action: string): GateDecision {
    const rules = [...forbids].sort();
    if (rules.length === 0)
      return {
        decision: "deny",
        rules: [DEFAULT_DENY],
        locations: [""],
        reason: `no policy allows \`${action}\` for agent \`${this.agent}\` (default deny)`,
      };
    return { decision: "deny", rules, locations: this.locations(rules), reason: `denied by ${this.describe(rules)}` };
  }

  private approvalRequired(rules: string[], allowedBy: string[]): GateDecision {
    return {
      decision: "require_approval",
      rules,
      locations: this.locations(rules),
      reason: `a person must approve this call (${this.describe(rules)})`,
      allowedBy,
    };
  }

  private allowed(rules: string[]): GateDecision {
    return { decision: "allow", rules, locations: this.locations(rules), reason: `allowed by ${this.describe(rules)}` };
  }

  /** A failed answer, or an answer in which some policy could not be evaluated, as a deny. */
  private failure(a: AuthorizationAnswer, set: string): GateDecision | undefined {
    if (a.type === "failure")
      return failClosed(`cedar could not decide (${set}): ${a.errors.map((e) => e.message).join("; ")}`);
    const errs = a.response.diagnostics.errors;
    return errs.length === 0 ? undefined : this.evaluationFailure(errs);
  }

  /** Policies that could not be evaluated: a deny naming them, with the first (by id) one's error. */
  private evaluationFailure(errs: ReadonlyArray<{ policyId: string; error: { message: string } }>): GateDecision {
    const first = [...errs].sort((a, b) => (a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0))[0]!;
    const e = this.policies.entry(first.policyId);
    const d = failClosed(
      `policy ${first.policyId}${e ? ` (${e.file}:${e.line}:${e.col})` : ""} could not be evaluated: ${first.error.message}`,
    );
    d.rules = [...new Set(errs.map((x) => x.policyId))].sort();
    d.locations = this.locations(d.rules);
    return d;
  }

  private locations(ids: string[]): string[] {
    return ids.map((id) => {
      const e = this.policies.entry(id);
      return e ? `${e.file}:${e.line}:${e.col}` : "";
    });
  }

  private describe(ids: string[]): string {
    return ids
      .map((id) => {
        const e = this.policies.entry(id);
        return e ? `rule ${id} (${e.file}:${e.line}:${e.col} \`${e.text}\`)` : `rule ${id}`;
      })
      .join(", ");
  }
}

function failClosed(error: string): GateDecision {
  return {
    decision: "deny",
    rules: [GATE_ERROR],
    locations: [""],
    reason: `${error}; the gate fails closed (deny)`,
    error,
  };
}
