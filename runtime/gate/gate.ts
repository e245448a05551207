/**
 * The policy gate (DESIGN §5, §8): every tool call is decided by cedar-wasm against the bundle's
 * compiled policy set, parsed once per run (`preparsePolicySet` + `statefulIsAuthorized`).
 *
 *   principal Symbi::Agent::"<agent>"   action Symbi::Action::"<tool>"   resource Symbi::Tool::"<tool>"
 *   context   { args: {...validated call arguments}, input: {...the agent's inputs}, <trusted --context keys> }
 *
 * Decision:
 * 1. The main set (`policy.cedar`): Cedar's semantics — allowed when some permit matches and no
 *    forbid does. If any policy fails to evaluate (a missing attribute, a type error), the
 *    answer is deny: Cedar skips erroring policies, which for a `forbid` would fail open.
 * 2. If allowed, the approval set (`approval.cedar`, policies whose match means "a human must
 *    approve"): a match turns the answer into require_approval. It is only queried when one of
 *    its policies can match the action.
 * Anything that goes wrong — a request the schema does not accept, a cedar-wasm failure, an
 * exception — is a deny with the reason (fail closed). `decide` never throws.
 *
 * Building the request: with the bundle's policies.json (the compiler's context model), the
 * context is built exactly as the compiler specifies (compiler/emit/cedar/request.ts: each part
 * projected onto the shape the policies read, `context.derived.<id>` computed from the request
 * by the DSL evaluator). Without it (hand-written policy sets) the context is validated and
 * converted against the schema's context type (cedar-values.ts). Either way the context has the
 * schema's shape, so cedar-wasm runs with `validateRequest: false` but still gets the schema
 * (for the action hierarchy); that halves the cost of a decision.
 */
import {
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  type AuthorizationAnswer,
} from "@cedar-policy/cedar-wasm/nodejs";
import { cedarRequest } from "../../compiler/emit/cedar/request.js";
import type { PoliciesJson } from "../../compiler/emit/cedar/policies-json.js";
import type { PolicyRequest } from "../../compiler/policy/evaluate.js";
import { randomBytes } from "node:crypto";
import { CedarValueError, toCedar, toCedarUntyped, type CedarJson } from "./cedar-values.js";
import { splitPolicies, PolicyLoadError, type PolicyInfo } from "./policies.js";
import { CedarSchema, SchemaError, type CedarType } from "./schema.js";

export type DecisionKind = "allow" | "deny" | "require_approval";

export interface GateDecision {
  decision: DecisionKind;
  /** Ids of the policies (DSL rules) that produced the decision; empty for the default deny. */
  rules: string[];
  /** `file:line:col` of those rules, where known (same order as `rules`). */
  locations: string[];
  /** One sentence for people: why. */
  reason: string;
  /** Set when the gate failed closed (evaluation error, bad request, engine failure). */
  error?: string;
}

export interface GateRequest {
  /** The tool or action name (`Symbi::Action::"<action>"`). */
  action: string;
  /** Trusted facts about the arguments' values, by argument name (`context.facts`). */
  facts?: Record<string, unknown>;
  /** Default: `Symbi::Tool::"<action>"`. */
  resource?: { type: string; id: string };
  /** The call's validated arguments. */
  args: Record<string, unknown>;
}

export interface GateOptions {
  agent: string;
  /** Text of the main policy set (`policy.cedar`). */
  policies: string;
  /** Text of the approval policy set (`approval.cedar`), if any. */
  approvals?: string;
  /** The Cedar schema in JSON form (object or text). Without it the context is converted by shape. */
  schema?: unknown;
  /** The agent's inputs as JSON (`context.input`). */
  input: Record<string, unknown>;
  /** The trusted context (`--context`): each key becomes a context attribute. */
  trusted?: Record<string, unknown>;
  /** Rule text per policy id (from policies.json), used in reasons. */
  ruleText?: ReadonlyMap<string, string>;
  /**
   * The bundle's policies.json (format symbi-policies/v1): when given, requests are built from
   * its context model, including the derived attributes.
   */
  policiesJson?: unknown;
  /** Cedar namespace of the model (default "Symbi"). */
  namespace?: string;
}

/** The bundle's policies or schema cannot be loaded: the run must not start. */
export class GateLoadError extends Error {
  override readonly name = "GateLoadError";
}

/** Context keys the runtime fills itself; `--context` may not set them. */
export const RESERVED_CONTEXT_KEYS: ReadonlySet<string> = new Set(["args", "input"]);

let setCounter = 0;

/** The trusted records a policies.json context model reads (compiler/policy/model.ts TRUSTED_RECORDS). */
const TRUSTED_RECORDS = ["user", "session", "system", "context"] as const;

/** Checks the parts of policies.json the gate relies on; a malformed file refuses to load. */
function checkPoliciesJson(v: unknown): PoliciesJson {
  const o = v as Partial<PoliciesJson> | null;
  if (typeof o !== "object" || o === null || o.format !== "symbi-policies/v1")
    throw new GateLoadError('policies.json must have format "symbi-policies/v1"');
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

interface ActionPlan {
  /** The converted fixed part of the context (input + trusted), or the error converting it. */
  base: { [key: string]: CedarJson } | CedarValueError;
  argsType: CedarType | undefined;
  /** Whether the context type declares `args` (or has no schema type at all). */
  argsDeclared: boolean;
  needsApproval: boolean;
}

export class PolicyGate {
  readonly agent: string;
  private readonly ns: string;
  private readonly mainId: string;
  private readonly approvalId: string | undefined;
  private readonly schemaName: string | undefined;
  private readonly schema: CedarSchema | undefined;
  private readonly info = new Map<string, PolicyInfo>();
  private readonly approvalPolicies: PolicyInfo[];
  private readonly input: Record<string, unknown>;
  private readonly trusted: Record<string, unknown>;
  private readonly ruleText: ReadonlyMap<string, string>;
  private readonly plans = new Map<string, ActionPlan>();
  private readonly pj: PoliciesJson | undefined;
  /** The request parts that do not change during a run (the same object each time: derived "run" values are cached on it). */
  private readonly fixedRequest: Omit<PolicyRequest, "action" | "args" | "facts">;

  private constructor(o: GateOptions) {
    this.agent = o.agent;
    this.ns = o.namespace ?? "Symbi";
    this.input = o.input;
    this.trusted = o.trusted ?? {};
    this.ruleText = o.ruleText ?? new Map();
    const unique = `${process.pid}-${++setCounter}-${randomBytes(4).toString("hex")}`;

    for (const k of Object.keys(this.trusted)) {
      if (RESERVED_CONTEXT_KEYS.has(k))
        throw new GateLoadError(`the trusted context may not set \`${k}\`: the runtime fills context.${k} itself`);
    }
    this.pj = o.policiesJson === undefined ? undefined : checkPoliciesJson(o.policiesJson);
    const fixed: Record<string, unknown> = { input: this.input };
    for (const r of TRUSTED_RECORDS) if (this.trusted[r] !== undefined) fixed[r] = this.trusted[r];
    this.fixedRequest = fixed as Omit<PolicyRequest, "action" | "args" | "facts">;
    try {
      const main = splitPolicies(o.policies, "policy.cedar");
      const approvals = o.approvals !== undefined ? splitPolicies(o.approvals, "approval.cedar") : [];
      for (const p of [...main, ...approvals]) {
        if (this.info.has(p.id))
          throw new GateLoadError(`policy id ${JSON.stringify(p.id)} is used in both policy.cedar and approval.cedar`);
        this.info.set(p.id, p);
      }
      this.approvalPolicies = approvals;
      if (o.schema !== undefined) {
        this.schema = CedarSchema.parse(o.schema);
        this.schemaName = `symbi-schema-${unique}`;
        const s = preparseSchema(
          this.schemaName,
          typeof o.schema === "string" ? JSON.parse(o.schema) : (o.schema as never),
        );
        if (s.type === "failure")
          throw new GateLoadError(`the Cedar schema does not parse: ${s.errors.map((e) => e.message).join("; ")}`);
      }
      this.mainId = `symbi-policies-${unique}`;
      const r = preparsePolicySet(this.mainId, { staticPolicies: Object.fromEntries(main.map((p) => [p.id, p.text])) });
      if (r.type === "failure")
        throw new GateLoadError(`policy.cedar does not parse: ${r.errors.map((e) => e.message).join("; ")}`);
      if (approvals.length > 0) {
        // Approval policies are permits that mean "ask"; a forbid there would be meaningless.
        const bad = approvals.find((p) => p.effect !== "permit");
        if (bad)
          throw new GateLoadError(`approval.cedar: policy ${bad.id} is a forbid; approval policies must be permits`);
        this.approvalId = `symbi-approvals-${unique}`;
        const a = preparsePolicySet(this.approvalId, {
          staticPolicies: Object.fromEntries(approvals.map((p) => [p.id, p.text])),
        });
        if (a.type === "failure")
          throw new GateLoadError(`approval.cedar does not parse: ${a.errors.map((e) => e.message).join("; ")}`);
      }
    } catch (e) {
      if (e instanceof PolicyLoadError || e instanceof SchemaError) throw new GateLoadError(e.message);
      throw e;
    }
  }

  /** Parses and caches the policy sets and schema. Throws GateLoadError when they cannot be used. */
  static load(options: GateOptions): PolicyGate {
    return new PolicyGate(options);
  }

  /** The policies of both sets, by id. */
  policy(id: string): PolicyInfo | undefined {
    return this.info.get(id);
  }

  /**
   * Checks that the fixed part of the context (inputs and trusted context) is acceptable for
   * each of `actions` under the schema, so a bad `--context` is reported before the run starts
   * instead of denying every call. Throws CedarValueError naming the first bad value.
   */
  checkContextFor(actions: Iterable<string>): void {
    if (this.pj) return; // the context model projects: values of the wrong shape are dropped, and guards reading them fail closed
    for (const a of actions) {
      const plan = this.plan(a);
      if (plan.base instanceof CedarValueError) throw plan.base;
    }
  }

  /** Decides one request. Never throws: failures deny. */
  decide(req: GateRequest): GateDecision {
    try {
      return this.decideOrThrow(req);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return this.failClosed(`the policy gate failed: ${msg}`);
    }
  }

  private failClosed(error: string): GateDecision {
    return { decision: "deny", rules: [], locations: [], reason: `${error}; the gate fails closed (deny)`, error };
  }

  private plan(action: string): ActionPlan {
    let p = this.plans.get(action);
    if (p) return p;
    const fixed: Record<string, unknown> = { ...this.trusted, input: this.input };
    let base: ActionPlan["base"];
    let argsType: CedarType | undefined;
    let argsDeclared = true;
    const ctxType = this.pj ? undefined : this.schema?.contextType(this.ns, action);
    try {
      if (ctxType === undefined) {
        base = toCedarUntyped(fixed, "context") as { [key: string]: CedarJson };
      } else if (ctxType.kind !== "Record") {
        throw new CedarValueError("context", `the schema's context type for ${action} is not a record`);
      } else {
        const attrs = new Map(ctxType.attributes);
        const a = attrs.get("args");
        argsType = a?.type;
        argsDeclared = a !== undefined || ctxType.open;
        attrs.delete("args");
        base = toCedar(fixed, { kind: "Record", attributes: attrs, open: ctxType.open }, "context") as {
          [key: string]: CedarJson;
        };
      }
    } catch (e) {
      if (!(e instanceof CedarValueError)) throw e;
      base = e;
    }
    const key = `${this.ns}::${action}`;
    const groups = this.schema?.groupsOf(this.ns, action) ?? new Set<string>();
    const needsApproval =
      this.approvalId !== undefined &&
      this.approvalPolicies.some(
        (ap) => ap.actions === "any" || ap.actions.some((k) => k === key || groups.has(k) || !this.schema),
      );
    p = { base, argsType, argsDeclared, needsApproval };
    this.plans.set(action, p);
    return p;
  }

  /** The request with the context built from policies.json, or the reason it cannot be built. */
  private modelRequest(
    pj: PoliciesJson,
    req: GateRequest,
  ): { principal: unknown; action: unknown; resource: unknown; context: Record<string, unknown> } | GateDecision {
    const built = cedarRequest(pj, {
      ...this.fixedRequest,
      action: req.action,
      args: req.args as PolicyRequest["args"],
      ...(req.facts ? { facts: req.facts as PolicyRequest["facts"] } : {}),
    });
    if ("error" in built) return this.failClosed(built.error);
    // The caller knows the resource (the target agent of an inter-agent call) better than a
    // projection of the arguments does.
    return req.resource ? { ...built, resource: req.resource } : built;
  }

  private decideOrThrow(req: GateRequest): GateDecision {
    if (this.pj) {
      const built = this.modelRequest(this.pj, req);
      if ("decision" in built) return built;
      return this.evaluate(
        req.action,
        {
          ...built,
          entities: [],
          validateRequest: false,
          ...(this.schemaName !== undefined ? { preparsedSchemaName: this.schemaName } : {}),
        },
        this.plan(req.action).needsApproval,
      );
    }
    if (this.schema && !this.schema.hasAction(this.ns, req.action)) {
      return this.failClosed(`the action \`${req.action}\` is not declared in the policy schema`);
    }
    const plan = this.plan(req.action);
    if (plan.base instanceof CedarValueError)
      return this.failClosed(`the request context does not match the policy schema (${plan.base.message})`);
    let context: { [key: string]: CedarJson };
    try {
      // A schema whose context for this action has no `args` gets none (no policy can read them).
      context = plan.argsDeclared
        ? { ...plan.base, args: toCedar(req.args, plan.argsType, "context.args") }
        : plan.base;
    } catch (e) {
      if (e instanceof CedarValueError)
        return this.failClosed(`the call's arguments do not match the policy schema (${e.message})`);
      throw e;
    }
    const call = {
      principal: { type: `${this.ns}::Agent`, id: this.agent },
      action: { type: `${this.ns}::Action`, id: req.action },
      resource: req.resource ?? { type: `${this.ns}::Tool`, id: req.action },
      context,
      entities: [],
      validateRequest: false,
      ...(this.schemaName !== undefined ? { preparsedSchemaName: this.schemaName } : {}),
    };
    return this.evaluate(req.action, call, plan.needsApproval);
  }

  /** Runs the main set, then (if allowed and it can apply) the approval set. */
  private evaluate(action: string, call: Record<string, unknown>, needsApproval: boolean): GateDecision {
    const req = { action };
    const main = statefulIsAuthorized({ ...call, preparsedPolicySetId: this.mainId } as never);
    const mainFailure = this.failure(main, "policy.cedar");
    if (mainFailure) return mainFailure;
    const resp = (main as Extract<AuthorizationAnswer, { type: "success" }>).response;
    if (resp.decision === "deny") {
      const rules = [...resp.diagnostics.reason].sort();
      if (rules.length === 0)
        return {
          decision: "deny",
          rules,
          locations: [],
          reason: `no policy allows \`${req.action}\` for agent \`${this.agent}\` (default deny)`,
        };
      return {
        decision: "deny",
        rules,
        locations: this.locations(rules),
        reason: `denied by ${this.describeRules(rules)}`,
      };
    }
    const allowRules = [...resp.diagnostics.reason].sort();
    if (needsApproval) {
      const ap = statefulIsAuthorized({ ...call, preparsedPolicySetId: this.approvalId! } as never);
      const apFailure = this.failure(ap, "approval.cedar");
      if (apFailure) return apFailure;
      const apResp = (ap as Extract<AuthorizationAnswer, { type: "success" }>).response;
      if (apResp.decision === "allow") {
        const rules = [...apResp.diagnostics.reason].sort();
        return {
          decision: "require_approval",
          rules,
          locations: this.locations(rules),
          reason: `a person must approve this call (${this.describeRules(rules)})`,
        };
      }
    }
    return {
      decision: "allow",
      rules: allowRules,
      locations: this.locations(allowRules),
      reason: `allowed by ${this.describeRules(allowRules)}`,
    };
  }

  /** A failed answer, or an answer in which some policy could not be evaluated, as a deny. */
  private failure(a: AuthorizationAnswer, set: string): GateDecision | undefined {
    if (a.type === "failure")
      return this.failClosed(`cedar could not decide (${set}): ${a.errors.map((e) => e.message).join("; ")}`);
    const errs = a.response.diagnostics.errors;
    if (errs.length === 0) return undefined;
    const first = errs[0]!;
    const where = this.info.get(first.policyId)?.dsl;
    const d = this.failClosed(
      `policy ${first.policyId}${where ? ` (${where})` : ""} could not be evaluated: ${first.error.message}`,
    );
    d.rules = [...new Set(errs.map((e) => e.policyId))].sort();
    d.locations = this.locations(d.rules);
    return d;
  }

  private locations(ids: string[]): string[] {
    return ids.map((id) => {
      const e = this.pj?.policies.find((p) => p.id === id);
      return e ? `${e.file}:${e.line}:${e.col}` : (this.info.get(id)?.dsl ?? "");
    });
  }

  private describeRules(ids: string[]): string {
    return ids
      .map((id) => {
        const e = this.pj?.policies.find((p) => p.id === id);
        const where = e ? `${e.file}:${e.line}:${e.col}` : this.info.get(id)?.dsl;
        const text = e?.text ?? this.ruleText.get(id);
        const detail = [where, text ? `\`${text}\`` : undefined].filter(Boolean).join(" ");
        return `rule ${id}${detail ? ` (${detail})` : ""}`;
      })
      .join(", ");
  }
}
