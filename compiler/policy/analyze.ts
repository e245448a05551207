/**
 * The Cedar-specific analysis of one agent's policies, on top of the checker's resolved model
 * (compiler/check: `PolicyInfo`/`RuleInfo` — resolved actions, typed binders, literal
 * constraints, approvals, flags, settings — and the resolution of every name in a guard). Nothing
 * here resolves names, matches patterns or reads approval forms again: it works out what Cedar
 * needs beyond the checker's answers —
 *
 * - what each guard needs to be *defined* (values that may be absent, levels to rank, values the
 *   runtime must compute), so undefinedness can fail closed;
 * - which sub-expressions Cedar cannot evaluate and the runtime computes from the request
 *   (`context.derived`), and when (`run` start, or each `call`);
 * - a Cedar type for every attribute a guard reads. Declared types come from the checker;
 *   values the checker types as dynamic (JSON: undeclared trusted fields, facts, JSON inputs)
 *   get the one type their uses across the agent's rules imply, because a Cedar schema has one
 *   type per attribute (a conflict is E0608).
 *
 * The result (model.ts) is DSL-level: the Cedar emitter lowers it, and the test oracle reads it.
 * A binder is the call's argument value (`context.args.<arg>`) except where the checker recorded
 * the use as reading the deployment's facts about it (`BinderInfo.factUses`:
 * `context.facts.<arg>`).
 */
import type { CallExpr, Expr, Identifier, LambdaExpr, NamedArg, Span } from "../../grammar/ast.js";
import type { PolicyParam } from "./model.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import type { ActionPattern, PolicyInfo, RuleInfo, SettingEntry } from "../check/index.js";
import { ALL_OPERATIONS, type ActionCatalog, type ActionInfo } from "./catalog.js";
import {
  DEFAULT_LEVELS,
  slotKey,
  type AgentPolicyModel,
  type ArgConstraint,
  type CtxPath,
  type DecisionRule,
  type DefItem,
  type DerivedAttr,
  type GuardInfo,
  type JsonValue,
  type MatchSpec,
  type RootRef,
  type RuleSource,
  type SettingRule,
  type TrustedRecord,
} from "./model.js";
import { closestName } from "../../grammar/suggest.js";
import { TRUSTED_RECORDS, isTrustedRecord } from "../../stdlib/trusted-records.js";
import { GUARD_FUNCTIONS, GUARD_METHODS } from "../../stdlib/guard-computable.js";
import {
  TNode,
  UnifyError,
  defaultTo,
  describe,
  fieldOf,
  tBool,
  tLong,
  tOpenRecord,
  tSet,
  tString,
  tVar,
  unifyNodes,
} from "./types.js";

export interface PolicyInScope {
  /** The checker's reading of the policy. */
  policy: PolicyInfo;
  /** A top-level policy (it applies to every agent of the project). */
  topLevel: boolean;
  /** The policy's file as recorded in the output, and that file's text (rule texts are cut from it). */
  file: string;
  text: string;
}

export interface AnalyzeInput {
  agent: string;
  /** The agent's file. */
  file: string;
  /** The policies that apply: the agent's own, then the project's top-level policies. */
  policies: PolicyInScope[];
  /** What each identifier of a guard resolved to (the checker's symbol ids, `CheckResult.resolutionOf`). */
  resolve: (id: Identifier) => string | undefined;
  /** The agent's inputs with their types and the symbol ids of their declarations. */
  params: Array<{ name: string; symbolId: string; node: TNode; optional: boolean; declared: string }>;
  /** Declared types of the trusted records (their fields are optional); others are open records. */
  trusted?: Partial<Record<TrustedRecord, TNode>>;
  catalog: ActionCatalog;
  /** Ordered levels for string comparisons (default DEFAULT_LEVELS, the stdlib's Clearance). */
  levels?: readonly string[];
  /**
   * The agent's `capabilities = [..]`, when it declares them: they bound what it may do (least
   * privilege), whatever its allows say.
   */
  capabilities?: { names: readonly string[]; file: string; span: Span; text: string };
}

export interface AnalyzeResult {
  model: AgentPolicyModel;
  diagnostics: Diagnostic[];
}

/** One problem found while analysing a rule; the rule is skipped (and the build fails). */
class RuleError extends Error {
  file?: string;
  constructor(
    readonly code: string,
    message: string,
    readonly span: Span,
    readonly help?: string,
  ) {
    super(message);
  }
}

/**
 * A rule's binders by the symbol id of their declaration: bound to an action's argument, or (on
 * groups and capabilities) to nothing; `facts` holds the uses the checker read as facts.
 */
type Binders = Map<string, ({ action: ActionInfo; arg: string } | { unbound: string }) & { facts: Set<Identifier> }>;

interface GuardCtx {
  binders: Binders;
  /** Inside a runtime-computed expression. */
  runtime: boolean;
  /** Lambda parameters in scope, by the symbol id of their declaration. */
  lambdas: Array<Map<string, TNode>>;
  /** Cedar mode: what the guard needs to be defined. */
  defined: DefItem[];
  pendingOrders: Array<{ expr: Expr; left: Expr; right: Expr; operand: TNode }>;
  /** Runtime mode: roots of identifiers, for the derived expression's copy. */
  roots?: Map<Identifier, RootRef>;
  deps?: Set<"run" | "call">;
  rule: RuleSource;
}

interface PendingGuard {
  info: GuardInfo;
  pendingOrders: GuardCtx["pendingOrders"];
  file: string;
}

/** Collapses whitespace so a rule fits on one line in policies.json and messages. */
export function ruleText(text: string, span: Span): string {
  return text.slice(span.start, span.end).replace(/\s+/g, " ").trim();
}

class Analyzer {
  readonly diagnostics: Diagnostic[] = [];
  readonly model: AgentPolicyModel;
  private readonly pending: PendingGuard[] = [];
  private readonly pathNotes: Array<{ expr: Expr; node: TNode; rule: RuleSource }> = [];

  /** The file of the rule being analysed (diagnostics point into it). */
  private file: string;
  /** The text of that file (rule texts and unparsed setting values are cut from it). */
  private text = "";
  /** Agent inputs by the symbol id of their declaration. */
  private readonly paramBySymbol = new Map<string, string>();

  constructor(private readonly input: AnalyzeInput) {
    this.file = input.file;
    const trusted = {} as Record<TrustedRecord, TNode>;
    for (const r of TRUSTED_RECORDS) trusted[r] = input.trusted?.[r] ?? tOpenRecord(r);
    const params = new Map<string, PolicyParam>();
    for (const p of input.params) {
      params.set(p.name, { name: p.name, node: p.node, optional: p.optional, declared: p.declared });
      this.paramBySymbol.set(p.symbolId, p.name);
    }
    this.model = {
      agent: input.agent,
      file: input.file,
      rules: [],
      settings: [],
      derived: [],
      params,
      trusted,
      argNodes: new Map(),
      factNodes: new Map(),
      levels: [...(input.levels ?? DEFAULT_LEVELS)],
      notes: new Map(),
      cedarPaths: [],
      actions: [...input.catalog.actions.keys()].sort(),
    };
  }

  run(): void {
    for (const { policy, topLevel, file, text } of this.input.policies) {
      this.file = file;
      this.text = text;
      policy.rules.forEach((rule, i) => {
        const base = topLevel ? `${policy.name}.${i}` : `${this.model.agent}.${policy.name}.${i}`;
        const src: RuleSource = {
          id: base,
          verb: rule.verb,
          policy: policy.name,
          topLevel,
          file,
          span: rule.node.span,
          text: ruleText(text, rule.node.span),
        };
        try {
          this.rule(rule, src);
        } catch (e) {
          if (e instanceof RuleError) this.report(e);
          else throw e;
        }
      });
    }
    this.capabilityBound();
    // `human_approval = true` in a tool contract: every call of the tool needs an approval.
    for (const a of this.input.catalog.actions.values()) {
      if (!a.humanApproval || !a.contract) continue;
      this.model.rules.push({
        id: `tool.${a.name}.human_approval`,
        verb: "contract",
        policy: "tool contract",
        topLevel: true,
        file: a.contract.file,
        span: a.contract.spans.tool,
        text: `human_approval = true (tool ${a.name})`,
        effect: "approval",
        approver: "human",
        match: { form: { kind: "one", action: a.name }, actions: [a.name], constraints: [] },
      });
    }
    this.finish();
  }

  /**
   * Declared capabilities bound what the agent may do: every action outside them is forbidden
   * by one rule (`<agent>.capabilities`), so no allow — the agent's own or a top-level one —
   * can permit it, and a denial names the declaration. A capability names a tool, a built-in
   * action, an action group (its members) or an abstract capability action; `all_operations`
   * lifts the bound. `receive` and `invoke_tool` are not things the agent does (messages it is
   * sent, the check every tool call also passes) and are outside the bound.
   */
  private capabilityBound(): void {
    const caps = this.input.capabilities;
    if (!caps) return;
    const cat = this.input.catalog;
    if (caps.names.includes(ALL_OPERATIONS)) return;
    const covered = new Set<string>(["receive", "invoke_tool"]);
    for (const name of caps.names) {
      if (cat.actions.has(name)) covered.add(name);
      for (const m of cat.groups.get(name) ?? []) covered.add(m);
    }
    const outside = [...cat.actions.keys()].filter((a) => !covered.has(a)).sort();
    if (outside.length === 0) return;
    this.model.rules.push({
      id: `${this.model.agent}.capabilities`,
      verb: "capabilities",
      policy: "capabilities",
      topLevel: false,
      file: caps.file,
      span: caps.span,
      text: caps.text,
      effect: "forbid",
      match: { form: { kind: "list", actions: outside }, actions: outside, constraints: [] },
    });
  }

  private report(e: RuleError): void {
    this.diagnostics.push(
      diagnostic({
        code: e.code,
        message: e.message,
        file: this.file,
        span: e.span,
        ...(e.help ? { help: e.help } : {}),
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Rules, as the checker read them
  // ---------------------------------------------------------------------------------------------

  private rule(rule: RuleInfo, src: RuleSource): void {
    const node = rule.node;
    switch (rule.verb) {
      case "allow":
      case "deny": {
        if (node.scope)
          throw new RuleError(
            "E0600",
            `\`for\` scopes a requirement; \`${rule.verb}:\` names its actions directly`,
            node.scope.span,
            `write \`${rule.verb}: <actions> if <guard>\``,
          );
        const { match, binders } = this.match(rule.actions);
        if (match.actions !== "all" && match.actions.length === 0) return; // names only functions: nothing to gate
        const r: DecisionRule = { ...src, effect: rule.verb === "allow" ? "permit" : "forbid", match };
        if (rule.guard) r.guard = this.guard(rule.guard, binders, src);
        this.model.rules.push(r);
        return;
      }
      case "require":
        return this.requireRule(rule, src);
      case "audit":
        return this.auditRule(rule, src);
    }
  }

  /** The position of a requirement in a `require: [..]` list (its policy id gets `.<k>`), or undefined. */
  private listIndex(rule: RuleInfo, e: Expr): number | undefined {
    const action = rule.node.action.kind === "Paren" ? rule.node.action.expr : rule.node.action;
    if (action.kind !== "Array") return undefined;
    const k = action.elements.indexOf(e);
    return k < 0 ? undefined : k;
  }

  private requireRule(rule: RuleInfo, src: RuleSource): void {
    const scoped = rule.node.scope
      ? this.match(rule.actions)
      : { match: { form: { kind: "all" }, actions: "all", constraints: [] } as MatchSpec, binders: new Map() };
    const match = scoped.match;
    if (rule.settings.length > 0)
      this.model.settings.push(this.settingRule(rule.settings, src, "require", rule.node.scope ? match : undefined));
    if (match.actions !== "all" && match.actions.length === 0) return; // scoped to functions only: nothing to gate
    const part = (e: Expr): RuleSource => {
      const k = this.listIndex(rule, e);
      return k === undefined ? src : { ...src, id: `${src.id}.${k}` };
    };
    const errors: RuleError[] = [];
    const attempt = (f: () => void) => {
      try {
        f();
      } catch (e) {
        if (e instanceof RuleError) errors.push(e);
        else throw e;
      }
    };
    for (const a of rule.approvals) {
      attempt(() => {
        const r: DecisionRule = { ...part(a.node), effect: "approval", match };
        if (a.role !== undefined) r.approver = a.role;
        if (rule.guard) r.guard = this.guard(rule.guard, scoped.binders, src);
        this.model.rules.push(r);
      });
    }
    const conditions: Array<{ e: Expr; flag: boolean; setting?: boolean }> = [
      ...rule.conditions.map((e) => ({ e, flag: false })),
      ...rule.flags.map((e) => ({ e: e as Expr, flag: true })),
      // Controls a settings record requires: one rule per key (`<id>.<key>`).
      ...rule.settingFlags.map((e) => ({ e: e as Expr, flag: true, setting: true })),
    ];
    conditions.sort((x, y) => x.e.span.start - y.e.span.start);
    for (const { e, flag, setting } of conditions) {
      attempt(() => {
        const ps = setting ? { ...src, id: `${part(e).id}.${(e as Identifier).name}` } : part(e);
        const r: DecisionRule = {
          ...ps,
          effect: "forbid",
          match,
          condition: flag ? this.flag(e as Identifier, ps) : this.guard(e, scoped.binders, ps, true),
        };
        if (rule.guard) r.guard = this.guard(rule.guard, scoped.binders, ps);
        this.model.rules.push(r);
      });
    }
    for (const e of errors) this.report(e);
  }

  private auditRule(rule: RuleInfo, src: RuleSource): void {
    const action = rule.node.action.kind === "Paren" ? rule.node.action.expr : rule.node.action;
    if (action.kind === "Record") {
      const s = this.settingRule(rule.settings, src, "audit", undefined);
      if (rule.guard) s.settings["when"] = ruleText(this.text, rule.guard.span);
      this.model.settings.push(s);
      return;
    }
    // `audit: <actions>`: which actions to log in detail.
    const { match } = this.match(rule.actions);
    const s: SettingRule = {
      ...src,
      kind: "audit",
      settings: { actions: match.actions === "all" ? "all" : match.actions },
      match,
      valueSpans: { actions: action.span },
    };
    if (rule.guard) s.settings["when"] = ruleText(this.text, rule.guard.span);
    this.model.settings.push(s);
  }

  /** Record-form settings as the checker validated them (values as written; durations, sizes and rates normalised). */
  private settingRule(
    entries: readonly SettingEntry[],
    src: RuleSource,
    kind: "require" | "audit",
    match: MatchSpec | undefined,
  ): SettingRule {
    const settings: { [k: string]: JsonValue } = {};
    const valueSpans: { [k: string]: Span } = {};
    for (const e of entries) {
      settings[e.key] =
        typeof e.normalized === "number"
          ? {
              value: e.value,
              normalized: e.normalized,
              ...(e.rate ? { count: e.rate.count, window_ms: e.rate.windowMs } : {}),
              ...(e.per !== undefined ? { per: e.per } : {}),
            }
          : (e.value as JsonValue);
      valueSpans[e.key] = e.valueSpan;
    }
    const s: SettingRule = { ...src, kind, settings, valueSpans };
    if (match) s.match = match;
    return s;
  }

  // ---------------------------------------------------------------------------------------------
  // Action patterns, as the checker resolved them
  // ---------------------------------------------------------------------------------------------

  /**
   * What the rule's patterns match, and their binders. The checker resolved each pattern to a
   * tool, built-in action, group, capability or agent; this turns them into the actions of the
   * agent's catalog (the Cedar schema's), literal arguments into constraints.
   */
  private match(patterns: readonly ActionPattern[]): { match: MatchSpec; binders: Binders } {
    const cat = this.input.catalog;
    const binders: Binders = new Map();
    if (patterns.length === 0)
      return { match: { form: { kind: "list", actions: [] }, actions: [], constraints: [] }, binders };
    const names: string[] = [];
    const actions = new Set<string>();
    const constraints: ArgConstraint[] = [];
    let all = false;
    for (const p of patterns) {
      const ref = p.action;
      if (ref.kind === "group" && (ref.members === "*" || ref.name === ALL_OPERATIONS)) {
        all = true;
        for (const b of p.binders) binders.set(b.symbolId, { unbound: ref.name, facts: new Set(b.factUses) });
        continue;
      }
      if (ref.kind === "agent")
        throw new RuleError(
          "E0601",
          `\`${ref.name}\` is an agent; the Cedar compiler does not take an agent as an action`,
          p.node.span,
          `govern calls to it with \`delegate("${ref.name}")\` or \`delegate(a) if a.name == "${ref.name}"\` (or \`ask\`, \`send_to\`)`,
        );
      if (ref.kind === "group") {
        const members = cat.groups.get(ref.name) ?? [];
        names.push(ref.name);
        for (const m of members) actions.add(m);
        for (const b of p.binders) binders.set(b.symbolId, { unbound: ref.name, facts: new Set(b.factUses) });
        continue;
      }
      const action = cat.actions.get(ref.name);
      if (!action)
        throw new RuleError("E0601", `action \`${ref.name}\` is not one this agent can request`, p.node.span);
      names.push(action.name);
      actions.add(action.name);
      if (action.origin === "capability") {
        for (const b of p.binders) binders.set(b.symbolId, { unbound: action.name, facts: new Set(b.factUses) });
        continue;
      }
      if (patterns.length > 1 && (p.binders.length > 0 || p.constraints.length > 0))
        throw new RuleError(
          "E0600",
          "a list of actions names actions only; bind or constrain arguments in a rule of their own",
          p.node.span,
        );
      for (const b of p.binders) {
        const spec = action.args[b.position];
        if (!spec) throw new RuleError("E0602", `\`${action.name}\` has no argument ${b.position + 1}`, b.node.span);
        binders.set(b.symbolId, { action, arg: spec.name, facts: new Set(b.factUses) });
      }
      for (const c of p.constraints) constraints.push(this.constraint(action, c.position, c.value, c.node.span));
    }
    if (all) return { match: { form: { kind: "all" }, actions: "all", constraints: [] }, binders };
    const unique = [...new Set(names)].sort();
    const one = unique.length === 1 && cat.actions.has(unique[0]!);
    const group = unique.length === 1 && !one;
    const form: MatchSpec["form"] = one
      ? { kind: "one", action: unique[0]! }
      : group
        ? { kind: "group", group: unique[0]! }
        : { kind: "list", actions: unique };
    return { match: { form, actions: [...actions].sort(), constraints }, binders };
  }

  /**
   * A literal argument of a call pattern: an equality constraint on the argument. For the
   * built-in inter-agent actions, whose argument is the target agent (`AgentInfo`), a string is
   * the agent's name (`allow: ask("helper")`).
   */
  private constraint(action: ActionInfo, position: number, v: string | number | boolean, span: Span): ArgConstraint {
    const spec = action.args[position];
    if (!spec) throw new RuleError("E0602", `\`${action.name}\` has no argument ${position + 1}`, span);
    if (spec.type === "Record" && typeof v === "string") {
      // The request carries the target's record; the policy reads its name.
      this.model.cedarPaths.push({
        path: { segments: ["args", spec.name, "name"], optional: [false, !spec.always, false], action: action.name },
        node: tString(),
      });
      return { arg: spec.name, field: "name", value: v, optional: !spec.always, span };
    }
    const ok =
      (spec.type === "String" && typeof v === "string") ||
      (spec.type === "Long" && typeof v === "number" && Number.isInteger(v)) ||
      (spec.type === "Bool" && typeof v === "boolean");
    if (!ok)
      throw new RuleError(
        "E0602",
        `argument \`${spec.name}\` of \`${action.name}\` is ${spec.declared}; this literal does not fit`,
        span,
      );
    return { arg: spec.name, value: v, optional: !spec.always, span };
  }

  // ---------------------------------------------------------------------------------------------
  // Guards
  // ---------------------------------------------------------------------------------------------

  private guard(e: Expr, binders: GuardCtx["binders"], rule: RuleSource, isCondition = false): GuardInfo {
    const ctx: GuardCtx = { binders, runtime: false, lambdas: [], defined: [], pendingOrders: [], rule };
    const node = this.infer(e, ctx);
    this.expect(
      node,
      tBool(),
      e,
      isCondition ? "a requirement must be a condition (bool)" : "a guard must be a condition (bool)",
    );
    return this.pend(e, ctx, rule);
  }

  private pend(e: Expr, ctx: GuardCtx, rule: RuleSource): GuardInfo {
    const info: GuardInfo = { expr: e, defined: ctx.defined };
    this.pending.push({ info, pendingOrders: ctx.pendingOrders, file: rule.file });
    return info;
  }

  /** `require: differential_privacy`: the flag `context.differential_privacy` of the trusted record must be true. */
  private flag(id: Identifier, rule: RuleSource): GuardInfo {
    const ctx: GuardCtx = { binders: new Map(), runtime: false, lambdas: [], defined: [], pendingOrders: [], rule };
    const rec = this.model.trusted.context;
    const f = this.member(rec, id.name, id);
    const path: CtxPath = { segments: ["context", id.name], optional: [true, f.optional] };
    this.notePath(id, { kind: "trusted", record: "context" }, [id.name], path, f.node, ctx);
    this.expect(f.node, tBool(), id, "a required flag is a condition (bool)");
    return this.pend(id, ctx, rule);
  }

  private expect(node: TNode, want: TNode, e: Expr, what: string): void {
    try {
      unifyNodes(node, want);
    } catch (err) {
      if (!(err instanceof UnifyError)) throw err;
      throw new RuleError("E0608", `${what}; this is ${describe(node)}`, e.span);
    }
  }

  private unifyAt(a: TNode, b: TNode, e: Expr, what: string): void {
    try {
      unifyNodes(a, b);
    } catch (err) {
      if (!(err instanceof UnifyError)) throw err;
      throw new RuleError(
        "E0608",
        `${what}: ${err.message} do not match`,
        e.span,
        "every value a policy reads has one type across the agent's rules",
      );
    }
  }

  private notePath(
    e: Expr,
    root: RootRef,
    fields: string[],
    path: CtxPath | undefined,
    node: TNode,
    ctx: GuardCtx,
  ): void {
    this.model.notes.set(
      e,
      path ? { kind: "path", root, fields, ctx: path, node } : { kind: "path", root, fields, node },
    );
    if (ctx.runtime) return;
    this.pathNotes.push({ expr: e, node, rule: ctx.rule });
    if (path) this.model.cedarPaths.push({ path, node, rule: ctx.rule.id });
    // One item per occurrence: each atom of the guard needs the values it reads itself (the
    // lowering writes each `has` test once per atom).
    if (path && path.optional.some((o) => o)) ctx.defined.push({ kind: "path", path, expr: e });
  }

  private argNode(action: ActionInfo, arg: string): TNode {
    const key = slotKey(action.name, arg);
    let n = this.model.argNodes.get(key);
    if (!n) {
      const spec = action.args.find((a) => a.name === arg)!;
      n =
        spec.type === "String"
          ? tString()
          : spec.type === "Long"
            ? tLong()
            : spec.type === "Bool"
              ? tBool()
              : spec.type === "Record" && spec.node
                ? spec.node
                : new TNode({ k: "Unsupported", what: spec.declared });
      this.model.argNodes.set(key, n);
    }
    return n;
  }

  private factNode(action: ActionInfo, arg: string): TNode {
    const key = slotKey(action.name, arg);
    let n = this.model.factNodes.get(key);
    if (!n) {
      n = tVar();
      this.model.factNodes.set(key, n);
    }
    return n;
  }

  /**
   * What a root name of a guard denotes, by the checker's resolution: a lambda parameter, a
   * binder (the argument's value, or — where the checker read the use as facts — the facts the
   * runtime holds about it), an agent input, or a trusted record.
   */
  private root(id: Identifier, ctx: GuardCtx): { root: RootRef; node: TNode; path: CtxPath | undefined } {
    const name = id.name;
    const sid = this.input.resolve(id);
    if (sid !== undefined) {
      for (let i = ctx.lambdas.length - 1; i >= 0; i--) {
        const n = ctx.lambdas[i]!.get(sid);
        if (n) return { root: { kind: "lambda", name }, node: n, path: undefined };
      }
    }
    const b = sid === undefined ? undefined : ctx.binders.get(sid);
    if (b && "unbound" in b) {
      throw new RuleError(
        "E0602",
        `\`${name}\` is bound to nothing: \`${b.unbound}\` has no single argument list`,
        id.span,
        "name the tool or built-in action whose argument the guard should test",
      );
    }
    if (b) {
      const spec = b.action.args.find((a) => a.name === b.arg)!;
      ctx.deps?.add("call");
      if (b.facts.has(id) && spec.type !== "Record") {
        return {
          root: { kind: "facts", action: b.action.name, arg: b.arg },
          node: this.factNode(b.action, b.arg),
          path: { segments: ["facts", b.arg], optional: [true, true], action: b.action.name },
        };
      }
      return {
        root: { kind: "arg", action: b.action.name, arg: b.arg },
        // A `number` argument is read by the runtime (Cedar has no floats): numeric there.
        node: ctx.runtime && spec.type === "Unsupported" ? tLong() : this.argNode(b.action, b.arg),
        path: { segments: ["args", b.arg], optional: [false, !spec.always], action: b.action.name },
      };
    }
    const param = sid === undefined ? undefined : this.paramBySymbol.get(sid);
    const p = param === undefined ? undefined : this.model.params.get(param);
    if (p) {
      ctx.deps?.add("run");
      return {
        root: { kind: "input", param: p.name },
        node: p.node,
        path: { segments: ["input", p.name], optional: [false, p.optional] },
      };
    }
    if (sid === `trusted:${name}` && isTrustedRecord(name)) {
      ctx.deps?.add("call");
      return {
        root: { kind: "trusted", record: name },
        node: this.model.trusted[name],
        path: { segments: [name], optional: [true] },
      };
    }
    throw new RuleError(
      "E0604",
      `\`${name}\` in a guard did not resolve to a binder, an input or a trusted record`,
      id.span,
      "fix the errors `symbic check` reports for this rule",
    );
  }

  /** The type a member of `obj` has: an open record gains the field; a closed one must declare it. */
  private member(obj: TNode, name: string, e: Expr): { node: TNode; optional: boolean } {
    const r = obj.find();
    if (!r.ty) r.ty = { k: "Record", fields: new Map(), open: true };
    const t = r.ty;
    if (t.k !== "Record") throw new RuleError("E0608", `\`.${name}\`: ${describe(obj)} has no fields`, e.span);
    const f = fieldOf(r, name);
    if (!f) {
      const dym = closestName(name, t.fields.keys());
      throw new RuleError(
        "E0608",
        `${describe(obj)} has no field \`${name}\``,
        e.span,
        dym
          ? `did you mean \`${dym}\`?`
          : `its fields are ${[...t.fields.keys()].map((k) => `\`${k}\``).join(", ") || "none"}`,
      );
    }
    return f;
  }

  /** A member chain rooted at an identifier, as [root, fields], or undefined. */
  private chain(e: Expr): { root: Identifier; fields: Identifier[] } | undefined {
    const fields: Identifier[] = [];
    let cur: Expr = e;
    while (cur.kind === "Member") {
      fields.unshift(cur.property);
      cur = cur.object;
    }
    return cur.kind === "Identifier" ? { root: cur, fields } : undefined;
  }

  /** The binder an identifier resolved to, if it is one. */
  private binderOf(e: Expr, ctx: GuardCtx): Binders extends Map<string, infer B> ? B | undefined : never {
    if (e.kind !== "Identifier") return undefined;
    const sid = this.input.resolve(e);
    return sid === undefined ? undefined : ctx.binders.get(sid);
  }

  /** A binder of a text argument used as its value (not as facts): string methods apply to it. */
  private isTextValueBinder(e: Expr, ctx: GuardCtx): boolean {
    const b = this.binderOf(e, ctx);
    if (!b || "unbound" in b || b.facts.has(e as Identifier)) return false;
    return b.action.args.find((a) => a.name === b.arg)!.type === "String";
  }

  /** Infers a value used as a collection (or, for string-accepting operations, possibly a string). */
  private collection(e: Expr, ctx: GuardCtx): TNode {
    if (this.binderOf(e, ctx)) {
      const id = e as Identifier;
      const r = this.root(id, ctx);
      ctx.roots?.set(id, r.root);
      this.notePath(id, r.root, [], r.path, r.node, ctx);
      return r.node;
    }
    return this.infer(e, ctx);
  }

  private infer(e: Expr, ctx: GuardCtx): TNode {
    switch (e.kind) {
      case "String":
        return tString();
      case "Bool":
        return tBool();
      case "Duration":
        return tLong();
      case "Number":
        // Inside a runtime-computed value numbers are the language's (floats included); the
        // type is only checked for the value's shape.
        if (e.isFloat && ctx.runtime) return tLong();
        if (e.isFloat)
          throw new RuleError(
            "E0605",
            `\`${e.raw}\` is a floating-point number; Cedar has none`,
            e.span,
            "compare integers (scale the value, e.g. by 100)",
          );
        if (!Number.isSafeInteger(e.value))
          throw new RuleError("E0605", `\`${e.raw}\` is too large for an exact integer`, e.span);
        return tLong();
      case "Paren":
        return this.infer(e.expr, ctx);
      case "Identifier":
      case "Member":
        return this.pathOrDerived(e, ctx);
      case "Unary": {
        if (e.op === "-") {
          const n = this.infer(e.operand, ctx);
          this.expect(n, tLong(), e.operand, "`-` needs an integer");
          return tLong();
        }
        const n = this.infer(e.operand, ctx);
        this.expect(n, tBool(), e.operand, `\`${e.op}\` needs a condition (bool)`);
        return tBool();
      }
      case "Binary":
        return this.binary(e, ctx);
      case "Array": {
        const el = tVar();
        for (const x of e.elements) this.unifyAt(el, this.infer(x, ctx), x, "list elements differ in type");
        return tSet(el);
      }
      case "Call":
        return this.call(e, ctx);
      case "Index":
        if (!ctx.runtime) return this.derive(e, ctx);
        return this.runtimeIndex(e, ctx);
      case "Lambda":
        throw new RuleError(
          "E0603",
          "a lambda can appear only as the function of `any`, `all`, `map` or `filter`",
          e.span,
        );
      case "Setting":
        throw new RuleError(
          "E0603",
          "`name = value` settings belong in a `require: [..]` list, not in a condition",
          e.span,
          "compare with `==`",
        );
      case "Record":
      case "TypeLiteral":
        throw new RuleError("E0603", "a guard cannot build a record", e.span, "compare the record's fields one by one");
      case "IfExpr":
        throw new RuleError(
          "E0603",
          "`if` expressions are not supported in guards",
          e.span,
          "use `(c && a) || (!c && b)`",
        );
      case "Vault":
        throw new RuleError("E0603", "a guard cannot read secrets", e.span);
      case "Error":
        throw new RuleError("E0603", "this guard has a syntax error", e.span);
    }
  }

  private pathOrDerived(e: Identifier | import("../../grammar/ast.js").MemberExpr, ctx: GuardCtx): TNode {
    const ch = this.chain(e);
    if (!ch) {
      // A member of a computed value (`f(x).y`): the runtime computes it.
      if (!ctx.runtime) return this.derive(e, ctx);
      const m = e as import("../../grammar/ast.js").MemberExpr;
      return this.runtimeMember(this.infer(m.object, ctx), m.property.name, m);
    }
    const r = this.root(ch.root, ctx);
    let node = r.node;
    const path: CtxPath | undefined = r.path
      ? { ...r.path, segments: [...r.path.segments], optional: [...r.path.optional] }
      : undefined;
    ctx.roots?.set(ch.root, r.root);
    for (let i = 0; i < ch.fields.length; i++) {
      const f = ch.fields[i]!;
      const t = node.concrete;
      // `.length` of a list or string is computed, not a field.
      if (f.name === "length" && t && (t.k === "Set" || t.k === "String")) {
        if (!ctx.runtime) return this.derive(e, ctx);
        return tLong();
      }
      const m = this.member(node, f.name, f);
      node = m.node;
      path?.segments.push(f.name);
      path?.optional.push(m.optional);
    }
    this.notePath(
      e,
      r.root,
      ch.fields.map((f) => f.name),
      path,
      node,
      ctx,
    );
    const t = node.concrete;
    if (!ctx.runtime && t?.k === "Unsupported") {
      throw new RuleError(
        "E0609",
        `this reads a value of type ${t.what}, which Cedar cannot hold`,
        e.span,
        "compare an integer or string field instead",
      );
    }
    return node;
  }

  /** An identifier the checker resolved to the builtin value `None` / `null`. */
  private isNone(e: Expr): boolean {
    const x = e.kind === "Paren" ? e.expr : e;
    if (x.kind !== "Identifier") return false;
    const sid = this.input.resolve(x);
    return sid === "builtin:None" || sid === "builtin:null";
  }

  /** An `Option` agent input read as a whole (`reviewer`, not `reviewer.name`). */
  private optionalInput(e: Expr, ctx: GuardCtx): { path: CtxPath; node: TNode } | undefined {
    const x = e.kind === "Paren" ? e.expr : e;
    if (x.kind !== "Identifier") return undefined;
    const sid = this.input.resolve(x);
    const name = sid === undefined ? undefined : this.paramBySymbol.get(sid);
    const p = name === undefined ? undefined : this.model.params.get(name);
    if (!p?.optional) return undefined;
    for (const m of ctx.lambdas) if (sid !== undefined && m.has(sid)) return undefined;
    return { path: { segments: ["input", p.name], optional: [false, true] }, node: p.node };
  }

  /**
   * Comparisons in which an `Option` input's absence is the value `None`, as in agent code:
   * `x == None` / `x != None` test presence; `x == "lit"` is false (and `!=` true) when `x` is
   * None. Undefined for other forms (an absent value then makes the comparison unknown).
   */
  private optionComparison(e: import("../../grammar/ast.js").BinaryExpr, ctx: GuardCtx): TNode | undefined {
    const sides: Array<[Expr, Expr]> = [
      [e.left, e.right],
      [e.right, e.left],
    ];
    for (const [a, b] of sides) {
      const opt = this.optionalInput(a, ctx);
      if (this.isNone(b)) {
        if (!opt)
          throw new RuleError(
            "E0609",
            "a policy can compare with `None` only an `Option` input of the agent",
            e.span,
            'test a trusted value\'s presence with its own field (`user.role == "x"` is unknown when absent)',
          );
        this.model.notes.set(e, { kind: "presence", path: opt.path, present: e.op === "!=" });
        this.model.cedarPaths.push({ path: opt.path, node: opt.node, rule: ctx.rule.id });
        return tBool();
      }
      const lit = b.kind === "Paren" ? b.expr : b;
      if (opt && (lit.kind === "String" || lit.kind === "Bool" || (lit.kind === "Number" && !lit.isFloat))) {
        const litNode = this.infer(lit, ctx);
        this.unifyAt(opt.node, litNode, e, `\`${e.op}\` compares values of one type`);
        this.model.notes.set(e, { kind: "optionEq", path: opt.path, equal: e.op === "==", literal: lit });
        this.model.cedarPaths.push({ path: opt.path, node: opt.node, rule: ctx.rule.id });
        this.pathNotes.push({ expr: a, node: opt.node, rule: ctx.rule });
        return tBool();
      }
    }
    return undefined;
  }

  /** Whether a comparison uses arithmetic Cedar lacks: a float, a `number` argument, `/` or `%`. */
  private needsRuntimeNumbers(e: Expr, ctx: GuardCtx): boolean {
    switch (e.kind) {
      case "Number":
        return e.isFloat;
      case "Paren":
        return this.needsRuntimeNumbers(e.expr, ctx);
      case "Unary":
        return this.needsRuntimeNumbers(e.operand, ctx);
      case "Binary":
        return (
          e.op === "/" ||
          e.op === "%" ||
          this.needsRuntimeNumbers(e.left, ctx) ||
          this.needsRuntimeNumbers(e.right, ctx)
        );
      case "Identifier": {
        const b = this.binderOf(e, ctx);
        return !!b && !("unbound" in b) && b.action.args.find((a) => a.name === b.arg)?.type === "Unsupported";
      }
      default:
        return false;
    }
  }

  private binary(e: import("../../grammar/ast.js").BinaryExpr, ctx: GuardCtx): TNode {
    switch (e.op) {
      case "&&":
      case "||":
        this.expect(this.infer(e.left, ctx), tBool(), e.left, `\`${e.op}\` needs conditions (bool)`);
        this.expect(this.infer(e.right, ctx), tBool(), e.right, `\`${e.op}\` needs conditions (bool)`);
        return tBool();
      case "==":
      case "!=": {
        if (!ctx.runtime) {
          const option = this.optionComparison(e, ctx);
          if (option) return option;
          if (this.needsRuntimeNumbers(e, ctx)) return this.derive(e, ctx);
        }
        const l = this.infer(e.left, ctx);
        const r = this.infer(e.right, ctx);
        this.unifyAt(l, r, e, `\`${e.op}\` compares values of one type`);
        if (!ctx.runtime && l.concrete?.k === "Record")
          throw new RuleError(
            "E0609",
            "Cedar policies compare records field by field, not as a whole",
            e.span,
            "compare the fields that matter",
          );
        return tBool();
      }
      case "<":
      case "<=":
      case ">":
      case ">=": {
        // Floats, `number` arguments, `/` and `%` are the language's arithmetic, which Cedar
        // lacks: the runtime computes the comparison from the request (`context.derived`).
        if (!ctx.runtime && this.needsRuntimeNumbers(e, ctx)) return this.derive(e, ctx);
        const l = this.infer(e.left, ctx);
        const r = this.infer(e.right, ctx);
        this.unifyAt(l, r, e, `\`${e.op}\` compares values of one type`);
        if (!ctx.runtime) ctx.pendingOrders.push({ expr: e, left: e.left, right: e.right, operand: l });
        return tBool();
      }
      case "+": {
        const l = this.infer(e.left, ctx);
        const r = this.infer(e.right, ctx);
        if (ctx.runtime && (l.concrete?.k === "String" || r.concrete?.k === "String")) {
          this.unifyAt(l, tString(), e.left, "`+` joins strings");
          this.unifyAt(r, tString(), e.right, "`+` joins strings");
          return tString();
        }
        if (!ctx.runtime && (l.concrete?.k === "String" || r.concrete?.k === "String")) return this.derive(e, ctx);
        this.expect(l, tLong(), e.left, "`+` needs integers");
        this.expect(r, tLong(), e.right, "`+` needs integers");
        return tLong();
      }
      case "-":
      case "*":
        this.expect(this.infer(e.left, ctx), tLong(), e.left, `\`${e.op}\` needs integers`);
        this.expect(this.infer(e.right, ctx), tLong(), e.right, `\`${e.op}\` needs integers`);
        return tLong();
      case "/":
      case "%":
        if (!ctx.runtime)
          throw new RuleError(
            "E0606",
            `Cedar has no \`${e.op}\` operator`,
            e.span,
            e.op === "/" ? "multiply the other side instead: `a < b * 2` rather than `a / 2 < b`" : undefined,
          );
        this.expect(this.infer(e.left, ctx), tLong(), e.left, `\`${e.op}\` needs integers`);
        this.expect(this.infer(e.right, ctx), tLong(), e.right, `\`${e.op}\` needs integers`);
        return tLong();
      case "in": {
        const l = this.infer(e.left, ctx);
        const right = e.right.kind === "Paren" ? e.right.expr : e.right;
        if (right.kind === "Array") {
          for (const x of right.elements) this.unifyAt(l, this.infer(x, ctx), x, "`in` compares values of one type");
          if (!ctx.runtime) this.model.notes.set(e, { kind: "in", form: "list" });
          return tBool();
        }
        const r = this.collection(e.right, ctx);
        this.unifyAt(r, tSet(l), e, "`in` looks a value up in a list");
        if (!ctx.runtime) this.model.notes.set(e, { kind: "in", form: "set" });
        return tBool();
      }
    }
  }

  private call(e: CallExpr, ctx: GuardCtx): TNode {
    const callee = e.callee;
    if (callee.kind === "Member") {
      const method = callee.property.name;
      const args = e.args.map((a) => (a.kind === "NamedArg" ? a.value : a));
      if (!ctx.runtime) {
        const native = this.nativeMethod(e, method, callee.object, args, ctx);
        if (native) return native;
        if (GUARD_METHODS.has(method)) return this.derive(e, ctx);
        throw new RuleError(
          "E0603",
          `\`.${method}()\` cannot be evaluated by Cedar or computed by the runtime`,
          callee.property.span,
          `the runtime computes only pure built-ins: ${[...GUARD_METHODS].map((m) => `.${m}()`).join(", ")}`,
        );
      }
      return this.runtimeMethod(e, method, callee.object, args, ctx);
    }
    if (callee.kind === "Identifier") {
      if (!GUARD_FUNCTIONS.has(callee.name)) {
        throw new RuleError(
          "E0603",
          `a guard cannot call \`${callee.name}\`: Cedar has no functions, and the runtime precomputes only pure built-ins`,
          e.span,
          `compute the value before the decision (an input, or a trusted context field), or use ${[...GUARD_FUNCTIONS].map((f) => `\`${f}\``).join(", ")}`,
        );
      }
      if (!ctx.runtime) return this.derive(e, ctx);
      return this.runtimeFunction(e, callee.name, ctx);
    }
    throw new RuleError("E0603", "a guard can call only built-in functions by name", e.span);
  }

  /** Methods Cedar evaluates itself; undefined when this call needs the runtime. */
  private nativeMethod(e: CallExpr, method: string, obj: Expr, args: Expr[], ctx: GuardCtx): TNode | undefined {
    const strLit = (x: Expr | undefined) => (x && x.kind === "String" ? x.value : undefined);
    switch (method) {
      case "contains": {
        if (args.length !== 1) throw new RuleError("E0608", "`.contains` takes one argument", e.span);
        if (this.isTextValueBinder(obj, ctx)) {
          const lit = strLit(args[0]);
          if (lit === undefined) return undefined;
          this.infer(obj, ctx);
          this.model.notes.set(e, { kind: "method", op: "like", pattern: `*${likeEscape(lit)}*` });
          return tBool();
        }
        const recv = this.collection(obj, ctx);
        if (recv.concrete?.k === "String") {
          const lit = strLit(args[0]);
          if (lit === undefined) return undefined;
          this.model.notes.set(e, { kind: "method", op: "like", pattern: `*${likeEscape(lit)}*` });
          return tBool();
        }
        const x = this.infer(args[0]!, ctx);
        this.unifyAt(recv, tSet(x), e, "`.contains` looks a value up in a list");
        this.model.notes.set(e, { kind: "method", op: "contains" });
        return tBool();
      }
      case "starts_with":
      case "ends_with": {
        const lit = strLit(args[0]);
        if (args.length !== 1 || lit === undefined) return undefined;
        const recv = this.infer(obj, ctx);
        this.expect(recv, tString(), obj, `\`.${method}\` needs a string`);
        this.model.notes.set(e, {
          kind: "method",
          op: "like",
          pattern: method === "starts_with" ? `${likeEscape(lit)}*` : `*${likeEscape(lit)}`,
        });
        return tBool();
      }
      case "is_empty": {
        if (args.length !== 0) throw new RuleError("E0608", "`.is_empty` takes no argument", e.span);
        const recv = this.collection(obj, ctx);
        if (recv.concrete?.k === "String") {
          this.model.notes.set(e, { kind: "method", op: "emptyString" });
          return tBool();
        }
        this.unifyAt(recv, tSet(tVar()), e, "`.is_empty` needs a list or a string");
        this.model.notes.set(e, { kind: "method", op: "isEmpty" });
        return tBool();
      }
      default:
        return undefined;
    }
  }

  /**
   * A sub-expression Cedar cannot evaluate, computed by the runtime from the request and passed
   * as `context.derived.<id>`.
   */
  private derive(e: Expr, ctx: GuardCtx): TNode {
    const rctx: GuardCtx = {
      binders: ctx.binders,
      runtime: true,
      lambdas: [],
      defined: [],
      pendingOrders: [],
      roots: new Map(),
      deps: new Set(),
      rule: ctx.rule,
    };
    const node = this.infer(e, rctx);
    const id = `d${this.model.derived.length}`;
    const names: { [name: string]: RootRef } = {};
    for (const [ident, root] of rctx.roots!) if (root.kind !== "lambda") names[ident.name] = root;
    const attr: DerivedAttr = {
      id,
      expr: annotate(e, rctx.roots!),
      names,
      node,
      stage: rctx.deps!.has("call") ? "call" : "run",
      rule: ctx.rule.id,
      file: ctx.rule.file,
      span: e.span,
    };
    this.model.derived.push(attr);
    this.model.notes.set(e, { kind: "derived", id });
    ctx.defined.push({ kind: "derived", id, expr: e });
    this.pathNotes.push({ expr: e, node, rule: ctx.rule });
    return node;
  }

  // ---------------------------------------------------------------------------------------------
  // Runtime-computed expressions (typing only: the evaluator computes them)
  // ---------------------------------------------------------------------------------------------

  private runtimeMember(obj: TNode, name: string, e: Expr): TNode {
    const t = obj.concrete;
    if (name === "length" && t && (t.k === "Set" || t.k === "String")) return tLong();
    return this.member(obj, name, e).node;
  }

  private runtimeIndex(e: import("../../grammar/ast.js").IndexExpr, ctx: GuardCtx): TNode {
    const obj = this.collection(e.object, ctx);
    if (e.index.kind === "String") return this.member(obj, e.index.value, e.index).node;
    this.expect(this.infer(e.index, ctx), tLong(), e.index, "a list index is an integer");
    const t = obj.concrete;
    if (t?.k === "String") return tString();
    const el = tVar();
    this.unifyAt(obj, tSet(el), e.object, "indexing needs a list");
    return el;
  }

  private lambda(arg: Expr | NamedArg | undefined, el: TNode, ctx: GuardCtx, e: Expr): TNode {
    const f = arg && arg.kind !== "NamedArg" ? arg : arg?.value;
    if (!f || f.kind !== "Lambda")
      throw new RuleError(
        "E0603",
        "expected a function such as `|d| d.level > 2` or `d => d.level > 2`",
        f?.span ?? e.span,
      );
    const lam = f as LambdaExpr;
    if (lam.params.length !== 1) throw new RuleError("E0603", "this function takes one parameter", lam.span);
    const param = lam.params[0]!;
    const sid = this.input.resolve(param);
    if (sid === undefined) throw new RuleError("E0604", `the parameter \`${param.name}\` did not resolve`, param.span);
    ctx.lambdas.push(new Map([[sid, el]]));
    try {
      return this.infer(lam.body, ctx);
    } finally {
      ctx.lambdas.pop();
    }
  }

  private runtimeFunction(e: CallExpr, name: string, ctx: GuardCtx): TNode {
    const args = e.args;
    const first = args[0] && args[0].kind !== "NamedArg" ? args[0] : undefined;
    switch (name) {
      case "any":
      case "all": {
        if (args.length !== 2 || !first)
          throw new RuleError("E0603", `\`${name}\` takes a list and a function`, e.span);
        const list = this.collection(first, ctx);
        const el = tVar();
        this.unifyAt(list, tSet(el), first, `\`${name}\` needs a list`);
        this.expect(
          this.lambda(args[1], el, ctx, e),
          tBool(),
          e,
          `the function given to \`${name}\` must return a condition`,
        );
        return tBool();
      }
      case "len": {
        if (args.length !== 1 || !first) throw new RuleError("E0603", "`len` takes one argument", e.span);
        this.collection(first, ctx);
        return tLong();
      }
      default: {
        if (args.length !== 1 || !first) throw new RuleError("E0603", `\`${name}\` takes one argument`, e.span);
        this.expect(this.infer(first, ctx), tString(), first, `\`${name}\` needs a string`);
        return tString();
      }
    }
  }

  private runtimeMethod(e: CallExpr, method: string, obj: Expr, args: Expr[], ctx: GuardCtx): TNode {
    const listOf = (): { list: TNode; el: TNode } => {
      const list = this.collection(obj, ctx);
      const el = tVar();
      this.unifyAt(list, tSet(el), obj, `\`.${method}\` needs a list`);
      return { list, el };
    };
    switch (method) {
      case "map": {
        const { el } = listOf();
        return tSet(this.lambda(e.args[0], el, ctx, e));
      }
      case "filter": {
        const { list, el } = listOf();
        this.expect(
          this.lambda(e.args[0], el, ctx, e),
          tBool(),
          e,
          "the function given to `.filter` must return a condition",
        );
        return list;
      }
      case "any":
      case "all": {
        const { el } = listOf();
        this.expect(
          this.lambda(e.args[0], el, ctx, e),
          tBool(),
          e,
          `the function given to \`.${method}\` must return a condition`,
        );
        return tBool();
      }
      case "len":
      case "length":
      case "count":
        this.collection(obj, ctx);
        return tLong();
      case "lower":
      case "upper":
      case "to_lowercase":
      case "to_uppercase":
      case "trim":
        this.expect(this.infer(obj, ctx), tString(), obj, `\`.${method}\` needs a string`);
        return tString();
      case "starts_with":
      case "ends_with":
      case "contains_pattern":
        this.expect(this.infer(obj, ctx), tString(), obj, `\`.${method}\` needs a string`);
        if (args[0]) this.expect(this.infer(args[0], ctx), tString(), args[0], `\`.${method}\` needs a string`);
        return tBool();
      case "contains": {
        const recv = this.collection(obj, ctx);
        const x = args[0] ? this.infer(args[0], ctx) : tVar();
        if (recv.concrete?.k === "String")
          this.expect(x, tString(), args[0] ?? e, "`.contains` on a string needs a string");
        else this.unifyAt(recv, tSet(x), e, "`.contains` looks a value up in a list");
        return tBool();
      }
      case "is_empty":
        this.collection(obj, ctx);
        return tBool();
      default:
        throw new RuleError(
          "E0603",
          `\`.${method}()\` is not a pure built-in the runtime can compute`,
          e.span,
          `use ${[...GUARD_METHODS].map((m) => `.${m}()`).join(", ")}`,
        );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // After all rules: orderings, defaults, what each guard needs to be defined
  // ---------------------------------------------------------------------------------------------

  private finish(): void {
    const levelSet = new Set(this.model.levels);
    for (const pg of this.pending) {
      const levelItems: DefItem[] = [];
      for (const o of pg.pendingOrders) {
        const t = o.operand.concrete;
        if (!t) defaultTo(o.operand, { k: "Long" });
        const k = o.operand.concrete!.k;
        if (k === "Long") {
          this.model.notes.set(o.expr, { kind: "order", on: "long", operand: o.operand });
          continue;
        }
        if (k !== "String") {
          this.diagnostics.push(
            diagnostic({
              code: "E0608",
              message: `\`<\`, \`<=\`, \`>\`, \`>=\` compare integers or ordered levels, not ${describe(o.operand)}`,
              file: pg.file,
              span: o.expr.span,
            }),
          );
          continue;
        }
        this.model.notes.set(o.expr, { kind: "order", on: "level", operand: o.operand });
        for (const side of [o.left, o.right]) {
          const s = side.kind === "Paren" ? side.expr : side;
          if (s.kind === "String") {
            if (!levelSet.has(s.value)) {
              this.diagnostics.push(
                diagnostic({
                  code: "E0607",
                  message: `"${s.value}" is not an ordered level`,
                  file: pg.file,
                  span: s.span,
                  help: `the levels, lowest first, are ${this.model.levels.map((l) => `"${l}"`).join(", ")}`,
                }),
              );
            }
          } else if (!levelItems.some((d) => d.kind === "level" && d.expr === s)) {
            levelItems.push({ kind: "level", expr: s });
          }
        }
      }
      const rank = (d: DefItem) => (d.kind === "path" ? 0 : d.kind === "derived" ? 1 : 2);
      pg.info.defined = [...pg.info.defined, ...levelItems].sort((a, b) => rank(a) - rank(b));
    }
    // Everything Cedar reads needs a Cedar type; unconstrained values default to String.
    for (const { expr, node, rule } of this.pathNotes) {
      defaultDeep(node);
      const bad = cedarTypeProblem(node);
      if (bad) {
        this.diagnostics.push(
          diagnostic({
            code: "E0609",
            message: `this value is ${bad}, which a Cedar policy cannot read`,
            file: rule.file,
            span: expr.span,
            help: "compare its scalar fields instead",
          }),
        );
      }
    }
    for (const d of this.model.derived) defaultDeep(d.node);
  }
}

function likeEscape(s: string): string {
  return s.replace(/\*/g, "\\*");
}

function defaultDeep(n: TNode, depth = 0): void {
  if (depth > 16) return;
  const t = n.concrete;
  if (!t) {
    defaultTo(n, { k: "String" });
    return;
  }
  if (t.k === "Set") defaultDeep(t.el, depth + 1);
  if (t.k === "Record") for (const f of t.fields.values()) defaultDeep(f.node, depth + 1);
}

/** Why Cedar cannot read a value of this type as a whole (records are read field by field). */
function cedarTypeProblem(n: TNode): string | undefined {
  const t = n.concrete!;
  if (t.k === "Unsupported") return `of type ${t.what}`;
  if (t.k === "Record") return "a whole record";
  if (t.k === "Set") {
    const e = t.el.concrete!;
    if (e.k === "Record") return "a list of records";
    if (e.k === "Set") return "a list of lists";
    if (e.k === "Unsupported") return `a list of ${e.what}`;
  }
  return undefined;
}

/**
 * A copy of a runtime-computed expression for policies.json: no comments, and every identifier
 * that reads the request carries `root` (what it denotes), so the runtime needs no name resolution.
 */
function annotate(e: Expr, roots: Map<Identifier, RootRef>): Expr {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === "leadingComments" || k === "trailingComments" || k === "innerComments") continue;
      out[k] = copy(x);
    }
    const root = roots.get(v as Identifier);
    if (root) out["root"] = root;
    return out;
  };
  return copy(e) as Expr;
}

/** Analyses the policies that apply to one agent. */
export function analyzeAgentPolicies(input: AnalyzeInput): AnalyzeResult {
  const a = new Analyzer(input);
  a.run();
  return { model: a.model, diagnostics: a.diagnostics };
}
