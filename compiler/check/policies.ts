/**
 * Policies checked as policies (DESIGN §4–§5, README "Policies"):
 * - allow/deny (and non-record audit) take action patterns; every action names a tool, a
 *   built-in action, a capability, an agent or an action group (E0300);
 * - call-form binders are typed from the action's arguments (tool contract args by position,
 *   built-in action binders from the stdlib); literals are equality constraints;
 * - guards and require-conditions are `bool` and use only decision-time data: binders, the
 *   agent's inputs (agent-level policies), the trusted `context`/`user`/`session`/`system`;
 * - record settings of require/audit follow the documented schema (settings-schema.ts).
 */
import { isNode, present } from "./present.js";
import type { Expr, Identifier, PolicyDef, PolicyRule, PolicyVerb } from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import { BUILTIN_ACTIONS, BUILTIN_FUNCTIONS, typeExprOf } from "../../stdlib/index.js";
import { T, assignable, isLoose, isPrim, recordFields, typeToString, withArticle, type Type } from "./types.js";
import { BodyChecker } from "./body-checker.js";
import { Scope } from "./scope.js";
import type { AgentDecl } from "./globals.js";
import { TRUSTED_RECORDS, TRUSTED_RECORD_TYPES, isTrustedRecord } from "../../stdlib/trusted-records.js";
import type { CheckSink } from "./sink.js";
import { fromTypeExpr } from "./stdlib-types.js";
import { argType } from "./tools.js";
import { canonicalFormOf } from "../contracts/canonical.js";
import { closestName, didYouMean, didYouMeanIn } from "../../grammar/suggest.js";
import {
  knownKeys,
  specFor,
  validateSetting,
  REQUIRE_PATTERNS,
  AUDIT_PATTERNS,
  type SettingEntry,
} from "./settings-schema.js";

export type ActionKind = "tool" | "builtin" | "group" | "capability" | "agent";

export interface ActionRef {
  kind: ActionKind;
  name: string;
  /** For groups: `"*"` (every action) or the member actions. */
  members?: "*" | string[];
}

export interface BinderInfo {
  name: string;
  /** 0-based argument position. */
  position: number;
  /** The tool argument's name, for tools. */
  argName?: string;
  type: Type;
  symbolId: string;
  node: Identifier;
  /**
   * Uses in the rule's guard (or require-conditions) that read the deployment's trusted facts
   * about a tool argument's value rather than the value (README "Guards": `data.contains_pii`).
   */
  factUses: Identifier[];
}

export interface LiteralConstraint {
  position: number;
  argName?: string;
  value: string | number | boolean;
  node: Expr;
}

export interface ActionPattern {
  node: Expr;
  action: ActionRef;
  binders: BinderInfo[];
  constraints: LiteralConstraint[];
}

export interface ApprovalRequirement {
  /** The approver role (`supervisor` of `supervisor_approval`, or `approval("supervisor")`). */
  role?: string;
  node: Expr;
}

export interface RuleInfo {
  verb: PolicyVerb;
  node: PolicyRule;
  /** allow/deny/audit: the matched actions; require: the `for` scope (empty = every action in scope). */
  actions: ActionPattern[];
  /** require: boolean conditions that must hold (list elements or the single expression). */
  conditions: Expr[];
  /**
   * require: bare names that are nothing in scope (`require: differential_privacy`): flags of
   * the trusted `context` record that must be true.
   */
  flags: Identifier[];
  /**
   * require: controls a settings record says must be in place (`{ pii_detection: true }`, keys
   * enforced "context" in settings-schema.ts): flags of the trusted `context` record, as `flags`,
   * named by the setting's key (its span is the key's).
   */
  settingFlags: Identifier[];
  approvals: ApprovalRequirement[];
  /** require/audit settings (record form, or `name = value` / bare names in a require list). */
  settings: SettingEntry[];
  guard?: Expr;
}

export interface PolicyInfo {
  name: string;
  file: string;
  node: PolicyDef;
  scope: "agent" | "top" | "channel";
  agent?: string;
  rules: RuleInfo[];
}

const WILDCARDS = new Set(["any", "_"]);

export class PolicyChecker {
  private readonly shadowWarned = new Set<string>();
  /** Binders of patterns whose action did not resolve: still in scope (typed unknown) to avoid cascades. */
  private orphanBinders: BinderInfo[] = [];
  private where: PolicyInfo["scope"] = "agent";
  private policyName = "";

  constructor(
    private readonly sink: CheckSink,
    private readonly agent: AgentDecl | undefined,
  ) {}

  private get env() {
    return this.sink.env;
  }

  check(node: PolicyDef, where: PolicyInfo["scope"]): PolicyInfo {
    this.where = where;
    this.policyName = node.name.name;
    const info: PolicyInfo = { name: node.name.name, file: this.sink.file, node, scope: where, rules: [] };
    if (this.agent) info.agent = this.agent.name;
    const seenSettings = new Map<string, Span>();
    for (const rule of present(node.rules)) {
      const r = this.rule(rule);
      for (const s of r.settings) {
        const key = `${rule.verb}:${s.key}`;
        const first = seenSettings.get(key);
        if (first)
          this.sink.report("E0309", `setting \`${s.key}\` is given twice in policy \`${node.name.name}\``, s.keySpan, {
            related: [{ file: this.sink.file, span: first, message: "first given here" }],
          });
        else seenSettings.set(key, s.keySpan);
      }
      info.rules.push(r);
    }
    return info;
  }

  private rule(rule: PolicyRule): RuleInfo {
    const r: RuleInfo = {
      verb: rule.verb,
      node: rule,
      actions: [],
      conditions: [],
      flags: [],
      settingFlags: [],
      approvals: [],
      settings: [],
    };
    this.orphanBinders = [];
    if (rule.guard) r.guard = rule.guard;
    const a = rule.action;
    if (rule.verb === "require") {
      if (rule.scope) r.actions = this.patterns(rule.scope);
      const scope = this.decisionScope(r.actions, rule.span);
      this.requirement(a, r, scope);
      if (rule.guard) this.guard(rule.guard, scope);
      return r;
    }
    if (rule.verb === "audit" && a.kind === "Record") {
      r.settings = this.enforcedSettings(
        "audit",
        present(a.fields)
          .filter((f) => isNode(f.key))
          .map((f) => ({
            key: f.key.kind === "Identifier" ? f.key.name : f.key.value,
            keySpan: f.key.span,
            value: f.value,
          })),
      );
      if (rule.guard) this.sink.report("E0301", "an `audit` settings record takes no guard", rule.guard.span);
      return r;
    }
    if (a.kind === "Record") {
      this.sink.report("E0307", `\`${rule.verb}\` takes an action pattern, not a settings record`, a.span, {
        help: "settings belong in `require: { ... }` or `audit: { ... }`",
      });
      return r;
    }
    r.actions = this.patterns(a);
    if (rule.scope) r.actions.push(...this.patterns(rule.scope));
    if (rule.verb === "allow") this.outsideCapabilities(r.actions);
    if (rule.verb === "deny") this.unmatchableDenies(r.actions);
    if (rule.verb === "allow" && this.where === "top") this.widensAgents(rule, r.actions);
    if (rule.guard) {
      const scope = this.decisionScope(r.actions, rule.span);
      this.guard(rule.guard, scope);
    }
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // Action patterns
  // -------------------------------------------------------------------------------------------

  patterns(e: Expr): ActionPattern[] {
    if (e.kind === "Array") {
      const out: ActionPattern[] = [];
      for (const el of present(e.elements)) {
        if (el.kind === "Array") {
          this.sink.report("E0301", "action lists do not nest", el.span);
          continue;
        }
        out.push(...this.patterns(el));
      }
      return out;
    }
    if (e.kind === "String" || e.kind === "Identifier") {
      const name = e.kind === "String" ? e.value : e.name;
      const action = this.resolveAction(name, e);
      return action ? [{ node: e, action, binders: [], constraints: [] }] : [];
    }
    if (e.kind === "Call" && e.callee.kind === "Identifier") {
      const action = this.resolveAction(e.callee.name, e.callee);
      const pat = this.callPattern(e as Extract<Expr, { kind: "Call" }>, action);
      if (!action) {
        this.orphanBinders.push(...pat.binders);
        return [];
      }
      return [pat];
    }
    if (e.kind === "Paren") return this.patterns(e.expr);
    this.sink.report("E0301", "not an action pattern", e.span, {
      help: 'write an action name, `"name"`, `["a", "b"]` or `name(binder, ...)`',
    });
    return [];
  }

  private resolveAction(name: string, at: Expr): ActionRef | undefined {
    const env = this.env;
    const ref = (id: string) => this.sink.ref(id, at.kind === "Identifier" ? at : { span: at.span });
    if (env.tools.has(name)) {
      ref(`tool:${name}`);
      return { kind: "tool", name };
    }
    const builtin = BUILTIN_ACTIONS.get(name);
    if (builtin) {
      this.sink.builtin(`action:${name}`, { kind: "action", name, doc: builtin.doc });
      ref(`action:${name}`);
      return { kind: "builtin", name };
    }
    const group = env.groups.get(name);
    if (group) {
      this.sink.builtin(`group:${name}`, {
        kind: "group",
        name,
        doc: group.builtin
          ? group.doc
          : `Action group: ${group.members === "*" ? "every action" : group.members.join(", ")}`,
      });
      ref(`group:${name}`);
      return { kind: "group", name, members: group.members };
    }
    const capOwner = this.capabilityOwner(name);
    if (capOwner) {
      ref(`capability:${capOwner}.${name}`);
      return { kind: "capability", name };
    }
    if (env.agents.has(name)) {
      ref(`agent:${name}`);
      return { kind: "agent", name };
    }
    if (
      BUILTIN_FUNCTIONS.has(name) ||
      env.functions.has(name) ||
      (this.agent && env.agentFunctions.get(this.agent.name)?.has(name))
    ) {
      const what = BUILTIN_FUNCTIONS.has(name) ? "a pure builtin" : "a function";
      this.sink.report("W0301", `\`${name}\` is ${what}, not an action: the policy gate never sees it`, at.span, {
        help: "remove the rule, or name the tool or action this should govern",
      });
      return undefined;
    }
    const shared = env.memo("action-names", () => [
      ...env.tools.keys(),
      ...BUILTIN_ACTIONS.keys(),
      ...env.groups.keys(),
      ...env.agents.keys(),
    ]);
    this.sink.report("E0300", `unknown action \`${name}\``, at.span, {
      help:
        didYouMean(name, this.capabilityNames()) ??
        didYouMeanIn(name, shared) ??
        `declare a tool contract \`tools/${name}.clad.toml\`, add \`${name}\` to the agent's capabilities, or join a tool to the group with \`[tool.policy] groups = ["${name}"]\``,
    });
    return undefined;
  }

  /**
   * W0303: in an agent that declares capabilities, an allow of actions outside them never permits
   * (the compiler forbids every action outside the capabilities, compiler/policy/README.md).
   */
  private outsideCapabilities(patterns: readonly ActionPattern[]): void {
    const agent = this.agent;
    if (!agent || !agent.node.members.some((m) => m.kind === "Capabilities")) return;
    const caps = new Set(agent.capabilities.map((c) => c.name));
    if (caps.has("all_operations")) return;
    const covered = (name: string): boolean => {
      if (caps.has(name)) return true;
      for (const c of caps) {
        const g = this.env.groups.get(c);
        if (g && (g.members === "*" || g.members.includes(name))) return true;
      }
      return false;
    };
    for (const p of patterns) {
      const a = p.action;
      if (a.kind === "group" && a.members === "*") continue;
      const names: readonly string[] =
        a.kind === "group" ? (a.members === "*" ? [] : (a.members ?? [])) : a.kind === "agent" ? [] : [a.name];
      const outside = names.filter((n) => n !== "receive" && n !== "invoke_tool" && !covered(n));
      if (outside.length === 0 || outside.length < names.length) continue;
      this.sink.report(
        "W0303",
        `\`${a.name}\` is outside the capabilities of agent \`${agent.name}\`: this allow never permits it`,
        p.node.span,
        { help: `add it to \`capabilities\`, or remove the rule` },
      );
    }
  }

  /**
   * W0304: a deny of a capability that is no tool, built-in action or group. Nothing performs
   * it, so no request ever names it: the deny looks like protection and never applies.
   */
  private unmatchableDenies(patterns: readonly ActionPattern[]): void {
    for (const p of patterns) {
      if (p.action.kind !== "capability" || !this.capabilityOwner(p.action.name)) continue;
      const name = p.action.name;
      this.sink.report(
        "W0304",
        `no request can match \`${name}\`: it is a capability that no tool, built-in action or group provides, so this deny never applies`,
        p.node.span,
        {
          help: `deny the tools that do it: join their contracts to a group with \`[tool.policy] groups = ["${name}"]\`, or name them`,
        },
      );
    }
  }

  /**
   * W0305: a top-level policy applies to every agent of the project, so an allow there widens
   * agents that never asked for it — one stray file (`vendor/x.symbi` with `allow:
   * all_operations`) would open every agent. Name each agent it widens: those without
   * capabilities, and those whose capabilities cover one of its actions.
   */
  private widensAgents(rule: PolicyRule, patterns: readonly ActionPattern[]): void {
    const names = new Set<string>();
    let every = false;
    for (const p of patterns) {
      const a = p.action;
      if (a.kind === "group") {
        if (a.members === "*") every = true;
        else for (const m of a.members ?? []) names.add(m);
      } else if (a.kind !== "agent") names.add(a.name);
      else names.add("delegate");
    }
    if (!every && names.size === 0) return;
    const widened: string[] = [];
    for (const agent of this.env.agents.values()) {
      const declares = agent.node.members.some((m) => m.kind === "Capabilities");
      const caps = new Set(agent.capabilities.map((c) => c.name));
      const covered = (n: string) =>
        caps.has(n) ||
        [...caps].some((c) => {
          const g = this.env.groups.get(c);
          return g !== undefined && (g.members === "*" || g.members.includes(n));
        });
      if (!declares || caps.has("all_operations") || (every && caps.size > 0) || [...names].some(covered))
        widened.push(agent.name);
    }
    if (widened.length === 0) return;
    widened.sort();
    const list =
      widened.length === 1
        ? `\`${widened[0]}\``
        : `${widened
            .slice(0, -1)
            .map((n) => `\`${n}\``)
            .join(", ")} and \`${widened[widened.length - 1]}\``;
    this.sink.report(
      "W0305",
      `top-level policy \`${this.policyName}\` allows for every agent of the project: it widens ${list}`,
      rule.span,
      {
        help: "allow it in the policies of the agents that need it; keep top-level policies to deny, require and audit",
      },
    );
  }

  /** Agent-level policies see their agent's capabilities; top-level ones see every agent's. */
  private capabilityOwner(name: string): string | undefined {
    if (this.agent) return this.agent.capabilities.some((c) => c.name === name) ? this.agent.name : undefined;
    for (const a of this.env.agents.values()) if (a.capabilities.some((c) => c.name === name)) return a.name;
    return undefined;
  }

  private capabilityNames(): string[] {
    if (this.agent) return this.agent.capabilities.map((c) => c.name);
    return [...this.env.agents.values()].flatMap((a) => a.capabilities.map((c) => c.name));
  }

  private callPattern(e: Extract<Expr, { kind: "Call" }>, resolved: ActionRef | undefined): ActionPattern {
    // An unresolved action still gets its binders (typed unknown), so the guard is not reported twice.
    const action: ActionRef = resolved ?? {
      kind: "capability",
      name: e.callee.kind === "Identifier" ? e.callee.name : "?",
    };
    const pat: ActionPattern = { node: e, action, binders: [], constraints: [] };
    const slots = resolved ? this.slots(action) : [];
    const loose = !resolved;
    const names = new Set<string>();
    let position = 0;
    for (const arg of present(e.args)) {
      let pos = position;
      let value: Expr = arg as Expr;
      if (arg.kind === "NamedArg") {
        const idx = slots?.findIndex((s) => s.name === arg.name.name) ?? -1;
        if (idx < 0) {
          this.sink.report(
            "E0202",
            `\`${action.name}\` has no argument named \`${arg.name.name}\``,
            arg.name.span,
            slots?.length
              ? {
                  help:
                    didYouMean(
                      arg.name.name,
                      slots.map((s) => s.name),
                    ) ?? `arguments: ${slots.map((s) => s.name).join(", ")}`,
                }
              : {},
          );
          continue;
        }
        pos = idx;
        value = arg.value;
      } else position++;
      const slot = loose ? { name: "", type: T.error } : slots?.[pos];
      if (slots && !slot) {
        this.sink.report(
          "E0302",
          `\`${action.name}\` takes ${slots.length} argument${slots.length === 1 ? "" : "s"}; the pattern binds more`,
          value.span,
        );
        continue;
      }
      if (value.kind === "Identifier") {
        if (WILDCARDS.has(value.name)) continue;
        if (names.has(value.name)) {
          this.sink.report("E0109", `binder \`${value.name}\` appears twice in the pattern`, value.span);
          continue;
        }
        names.add(value.name);
        const symbolId = `local:${this.sink.file}:${value.span.start}`;
        const type = slot ? slot.type : T.error;
        const b: BinderInfo = { name: value.name, position: pos, type, symbolId, node: value, factUses: [] };
        if (slot && "argName" in slot && slot.argName) b.argName = slot.argName;
        pat.binders.push(b);
        continue;
      }
      if (value.kind === "String" || value.kind === "Number" || value.kind === "Bool") {
        const c: LiteralConstraint = { position: pos, value: value.value, node: value };
        if (slot && "argName" in slot && slot.argName) c.argName = slot.argName;
        pat.constraints.push(c);
        if (!loose) this.literal(action, slot, value);
        continue;
      }
      this.sink.report("E0301", "an action pattern's arguments are binders (names), `any`, or literals", value.span);
    }
    return pat;
  }

  /** What each argument position of an action is, or undefined when the action has no arguments to bind. */
  private slots(
    action: ActionRef,
  ): Array<{ name: string; type: Type; argName?: string; allowed?: string[]; baseType?: string }> | undefined {
    if (action.kind === "tool") {
      return this.env.tools.get(action.name)!.args.map((a) => ({
        name: a.name,
        type: argType(a),
        argName: a.name,
        baseType: a.baseType,
        ...(a.allowed ? { allowed: a.allowed } : {}),
      }));
    }
    if (action.kind === "builtin") {
      return BUILTIN_ACTIONS.get(action.name)!.binders.map(([name, t]) => ({
        name,
        type: fromTypeExpr(typeExprOf(t)),
      }));
    }
    return undefined;
  }

  private literal(
    action: ActionRef,
    slot: { type: Type; allowed?: string[]; baseType?: string } | undefined,
    lit: Extract<Expr, { kind: "String" | "Number" | "Bool" }>,
  ): void {
    if (!slot) {
      this.sink.report(
        "E0305",
        `\`${action.name}\` is ${action.kind === "group" ? "an action group" : action.kind === "agent" ? "an agent" : "a capability"}: it has no argument a literal could constrain`,
        lit.span,
      );
      return;
    }
    const t = slot.type;
    if (t.k === "named" && t.name === "AgentInfo" && lit.kind === "String") {
      if (this.env.agents.has(lit.value)) this.sink.ref(`agent:${lit.value}`, lit);
      else if (action.name !== "spawn_agent")
        this.sink.report("E0308", `no agent named ${JSON.stringify(lit.value)}`, lit.span, {
          help:
            didYouMeanIn(
              lit.value,
              this.env.memo("agent-names", () => [...this.env.agents.keys()]),
            ) ?? "declare the agent in a file of the project",
        });
      return;
    }
    if (t.k === "named" && t.name === "ToolInfo" && lit.kind === "String") {
      if (this.env.tools.has(lit.value)) this.sink.ref(`tool:${lit.value}`, lit);
      else
        this.sink.report("E0300", `unknown tool ${JSON.stringify(lit.value)}`, lit.span, {
          help: didYouMean(lit.value, this.env.tools.keys()) ?? "add its contract in tools/",
        });
      return;
    }
    const lt =
      lit.kind === "String" ? T.String : lit.kind === "Bool" ? T.bool : Number.isInteger(lit.value) ? T.int : T.float;
    if (!assignable(lt, t, this.sink.env)) {
      this.sink.report("E0310", `${withArticle(lt)} cannot equal the argument of \`${action.name}\``, lit.span, {
        notes: [`expected: ${typeToString(t)}`, `found: ${typeToString(lt)}`],
      });
      return;
    }
    // The gate decides canonical values (compiler/contracts/canonical.ts): a literal in another
    // spelling would never be equal to any argument, and a deny written with it would never apply.
    const canonical =
      lit.kind === "String" && slot.baseType !== undefined ? canonicalFormOf(slot.baseType, lit.value) : undefined;
    if (canonical !== undefined && typeof canonical !== "string") {
      this.sink.report(
        "E0310",
        `${JSON.stringify(lit.value)} can never be an argument of \`${action.name}\`: ${canonical.problem}`,
        lit.span,
      );
      return;
    }
    if (typeof canonical === "string" && canonical !== (lit as { value: string }).value) {
      this.sink.report(
        "E0310",
        `${JSON.stringify(lit.value)} is not how the gate sees this argument of \`${action.name}\`: it decides the canonical form ${JSON.stringify(canonical)}, so this literal would never match`,
        lit.span,
        { help: `write ${JSON.stringify(canonical)}` },
      );
      return;
    }
    if (slot.allowed && lit.kind === "String" && !slot.allowed.includes(lit.value)) {
      this.sink.report(
        "E0310",
        `${JSON.stringify(lit.value)} is not an allowed value of this argument of \`${action.name}\``,
        lit.span,
        {
          help:
            didYouMean(lit.value, slot.allowed) ?? `allowed: ${slot.allowed.map((v) => JSON.stringify(v)).join(", ")}`,
        },
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Guards and requirements
  // -------------------------------------------------------------------------------------------

  private checker(): BodyChecker {
    const agent = this.agent;
    return new BodyChecker(this.sink, {
      ...(agent ? { agent } : {}),
      guard: { available: () => [...TRUSTED_RECORDS, ...(agent ? agent.params.map((p) => p.name) : [])] },
    });
  }

  /** The decision-time scope: the agent's inputs, then the patterns' binders. */
  private decisionScope(patterns: ActionPattern[], extent: { start: number; end: number }): DecisionScope {
    const bc = this.checker();
    const inputs = this.agent
      ? this.agent.params.map((p) => ({ name: p.name, type: p.type, symbolId: p.symbolId, span: p.node.name.span }))
      : [];
    const base = bc.paramScope(inputs, "guard", extent);
    // An input named like a trusted record hides it in guards: say so once per policy and name.
    for (const p of this.agent?.params ?? []) {
      const v = base.vars.get(p.name);
      if (!v || !isTrustedRecord(p.name)) continue;
      v.onUse = (id) => {
        if (this.shadowWarned.has(p.name)) return;
        this.shadowWarned.add(p.name);
        this.sink.report(
          "W0302",
          `\`${p.name}\` here is the agent's input, not the trusted \`${p.name}\` record`,
          id.span,
          {
            help: `rename the input (for example \`${p.name}_data\`) if this guard should read the trusted record`,
            related: [{ file: this.sink.file, span: p.node.name.span, message: "the input" }],
          },
        );
      };
    }
    const scope = new Scope(base, "guard");
    scope.extent = extent;
    const orphans = this.orphanBinders;
    this.orphanBinders = [];
    for (const b of orphans) if (!scope.vars.has(b.name)) bc.declare(scope, b.node, T.error, "binder");
    for (const p of patterns) {
      for (const b of p.binders) {
        if (scope.vars.has(b.name)) continue;
        const v = bc.declare(scope, b.node, b.type, "binder");
        // A tool argument is a scalar; used as a record or collection it denotes the facts the
        // deployment supplies about its value (never the caller's claim) — README "Guards".
        if (p.action.kind === "tool") v.onFactUse = (id) => b.factUses.push(id);
        if (!this.slots(p.action)) {
          v.onUse = (id) =>
            this.sink.report("E0305", "this binder stands for nothing the guard could test", id.span, {
              help: "capabilities, agents and action groups have no single argument list; name the tool or built-in action instead",
            });
        }
      }
    }
    return { bc, scope };
  }

  private guard(e: Expr, ds: DecisionScope): void {
    const t = ds.bc.expr(e, ds.scope);
    if (!isLoose(t) && !isPrim(t, "bool"))
      this.sink.report("E0206", `a guard must be \`bool\`, found \`${typeToString(t)}\``, e.span);
  }

  private requirement(e: Expr, r: RuleInfo, ds: DecisionScope): void {
    const fieldsOf = (rec: Extract<Expr, { kind: "Record" }>) =>
      present(rec.fields)
        .filter((f) => isNode(f.key))
        .map((f) => ({
          key: f.key.kind === "Identifier" ? f.key.name : f.key.value,
          keySpan: f.key.span,
          value: f.value,
        }));
    if (e.kind === "Record") {
      this.requireSettings(fieldsOf(e), r);
      return;
    }
    if (e.kind === "Array") {
      for (const el of present(e.elements)) {
        if (el.kind === "Setting")
          this.requireSettings([{ key: el.name.name, keySpan: el.name.span, value: el.value }], r);
        else if (el.kind === "Record") this.requireSettings(fieldsOf(el), r);
        else this.requirementTerm(el, r, ds);
      }
      return;
    }
    this.requirementTerm(e, r, ds);
  }

  /**
   * `require` settings: validated, then held to how each is enforced (settings-schema.ts
   * SettingEnforcement). A control that must be in place becomes a flag of the trusted context;
   * a setting nothing enforces is E0311 — never accepted and ignored.
   */
  private requireSettings(fields: Array<{ key: string; keySpan: Span; value: Expr }>, r: RuleInfo): void {
    for (const entry of this.enforcedSettings("require", fields)) {
      r.settings.push(entry);
      if (specFor("require", entry.key)?.enforced.by === "context" && entry.value === true) {
        const flag: Identifier = { kind: "Identifier", name: entry.key, span: entry.keySpan };
        r.settingFlags.push(flag);
        this.checkFlagType(flag);
      }
    }
  }

  /** The settings of one record that something enforces; E0311 for the others. */
  private enforcedSettings(
    which: "require" | "audit",
    fields: Array<{ key: string; keySpan: Span; value: Expr }>,
  ): SettingEntry[] {
    const out: SettingEntry[] = [];
    for (const entry of this.settings(which, fields)) {
      const how = specFor(which, entry.key)?.enforced ?? { by: "unsupported" };
      const shown = `\`${entry.key}\``;
      if (how.by === "unsupported") {
        this.sink.report("E0311", `${shown} is not enforced by symbi${how.why ? `: ${how.why}` : ""}`, entry.keySpan, {
          help:
            which === "require"
              ? `remove it; if the deployment guarantees it, say so in the trusted context and require the flag (\`require: ${entry.key}\`), which the runtime enforces`
              : "remove it",
        });
        continue;
      }
      if ((how.by === "always" || how.by === "runtime") && how.values && !how.values.includes(entry.value)) {
        const why = how.otherwise ?? (how.by === "always" ? how.why : undefined);
        this.sink.report(
          "E0311",
          `${shown} = ${JSON.stringify(entry.value)} is not enforced by symbi${why ? `: ${why}` : ""}`,
          entry.valueSpan,
          how.otherwise
            ? {}
            : { help: `write ${how.values.map((v) => JSON.stringify(v)).join(" or ")}, or remove the setting` },
        );
        continue;
      }
      out.push(entry);
    }
    return out;
  }

  /** A required flag names a `bool` field of the trusted context record (when it declares one). */
  private checkFlagType(e: Identifier): void {
    const declared = recordFields(T.named(TRUSTED_RECORD_TYPES.context), this.env)?.fields.get(e.name);
    if (declared && !isLoose(declared) && !isPrim(declared, "bool"))
      this.sink.report(
        "E0206",
        `\`${e.name}\` names a field of the trusted context record of type \`${typeToString(declared)}\`; a required flag is \`bool\``,
        e.span,
        { help: "compare it explicitly: `require: context." + e.name + " == ...`" },
      );
  }

  /**
   * One requirement: a human approval (`approval`, `approval("role")`, `<role>_approval`,
   * `human_approval`, `require_approval(..)`), a flag of the trusted `context` record that must
   * be true (a bare name that is nothing in scope: `require: differential_privacy for ..`), or
   * a condition.
   */
  private requirementTerm(e: Expr, r: RuleInfo, ds: DecisionScope): void {
    const approval = this.approvalForm(e, ds);
    if (approval !== undefined) {
      if (approval !== "invalid") r.approvals.push(approval);
      return;
    }
    if (e.kind === "Identifier" && !ds.scope.lookup(e.name) && !isTrustedRecord(e.name)) {
      // `require: differential_privacy` means `context.differential_privacy == true`: the
      // deployment states it in the trusted context record, the compiler enforces it.
      r.flags.push(e);
      this.checkFlagType(e);
      return;
    }
    r.conditions.push(e);
    const t = ds.bc.expr(e, ds.scope);
    if (!isLoose(t) && !isPrim(t, "bool"))
      this.sink.report("E0206", `a requirement must be \`bool\`, found \`${typeToString(t)}\``, e.span, {
        help: "compare it explicitly, or write settings as `require: { key: value }`",
      });
  }

  /**
   * An approval requirement, "invalid" (reported) for a malformed one, or undefined when `e` is
   * not written as an approval. A name that the guard scope binds is never an approval.
   */
  private approvalForm(e: Expr, ds: DecisionScope): ApprovalRequirement | "invalid" | undefined {
    const inner = e.kind === "Paren" ? e.expr : e;
    if (inner.kind === "Identifier") {
      if (ds.scope.lookup(inner.name) || isTrustedRecord(inner.name)) return undefined;
      if (inner.name === "human_approval") return { role: "human", node: e };
      if (APPROVAL_NAMES.has(inner.name)) return { node: e };
      const m = /^([A-Za-z0-9_]+)_approval$/.exec(inner.name);
      return m ? { role: m[1]!, node: e } : undefined;
    }
    if (inner.kind !== "Call" || inner.callee.kind !== "Identifier" || !APPROVAL_NAMES.has(inner.callee.name))
      return undefined;
    if (ds.scope.lookup(inner.callee.name)) return undefined;
    const args = present(inner.args);
    const first = args[0];
    const v = first?.kind === "NamedArg" ? first.value : first;
    if (args.length > 1 || (v && v.kind !== "String")) {
      this.sink.report("E0306", `\`${inner.callee.name}\` takes one string: the approver's role`, inner.span, {
        help: 'write `approval("supervisor")`',
      });
      return "invalid";
    }
    if (v?.kind === "String") return { role: v.value, node: e };
    return inner.callee.name === "human_approval" ? { role: "human", node: e } : { node: e };
  }

  private settings(
    which: "require" | "audit",
    fields: Array<{ key: string; keySpan: Span; value: Expr }>,
  ): SettingEntry[] {
    const out: SettingEntry[] = [];
    for (const f of fields) {
      const spec = specFor(which, f.key);
      if (!spec) {
        const examples = (which === "require" ? REQUIRE_PATTERNS : AUDIT_PATTERNS).map((p) => p.example);
        const s = closestName(f.key, [...knownKeys(which), ...examples]);
        this.sink.report("W0300", `unknown ${which} setting \`${f.key}\``, f.keySpan, {
          help: s
            ? `did you mean \`${s}\`?`
            : `nothing enforces it; see the settings schema in compiler/check/README.md`,
        });
        continue;
      }
      const v = validateSetting(spec, f.value);
      if ("problem" in v) {
        this.sink.report(
          "E0306",
          `\`${f.key}\`: ${v.problem.message}`,
          f.value.span,
          v.problem.help ? { help: v.problem.help } : {},
        );
        continue;
      }
      out.push({ key: f.key, ...v.entry, keySpan: f.keySpan, valueSpan: f.value.span });
    }
    return out;
  }
}

/** Names and calls that mean "a human must approve" in a `require:` rule. */
const APPROVAL_NAMES: ReadonlySet<string> = new Set([
  "approval",
  "human_approval",
  "require_approval",
  "requires_approval",
]);

interface DecisionScope {
  bc: BodyChecker;
  scope: Scope;
}
