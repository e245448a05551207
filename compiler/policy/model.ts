/**
 * The analysed policy model of one agent: what each DSL rule matches, what its guard reads, and
 * the shapes of the values it reads. Produced by analyze.ts; consumed by the DSL evaluator
 * (evaluate.ts), the Cedar emitter (compiler/emit/cedar) and, through policies.json, the runtime.
 */
import type { Expr, PolicyVerb, Span } from "../../grammar/ast.js";
import type { TNode } from "./types.js";
import type { JsonValue } from "../../formats/json.js";
import type { RootRef } from "../../formats/policies-json.js";
import type { TrustedRecord } from "../../stdlib/trusted-records.js";

export type { JsonValue, RootRef, TrustedRecord };

/**
 * A path into the Cedar context: attribute names from `context` down, each with whether it may
 * be absent from its parent record (then Cedar needs `has` before reading it).
 */
export interface CtxPath {
  segments: string[];
  optional: boolean[];
  /** For `args` / `facts` paths: the action whose context type holds them. */
  action?: string;
}

/** Notes the analysis attaches to guard nodes; the evaluator and the emitter read them. */
export type Note =
  /** An identifier or member chain that reads a context value. */
  | { kind: "path"; root: RootRef; fields: string[]; ctx?: CtxPath; node: TNode }
  /** `<`, `<=`, `>`, `>=`: on integers, or on ordered levels (strings ranked by `levels`). */
  | { kind: "order"; on: "long" | "level"; operand: TNode }
  /** `x in [..]` against a literal list, or `x in set`. */
  | { kind: "in"; form: "list" | "set" }
  /** Methods Cedar has: `.contains` on sets, `like` patterns for string tests, `isEmpty`. */
  | { kind: "method"; op: "contains" | "isEmpty" | "emptyString" | "like"; pattern?: string }
  /** A sub-expression the runtime computes and passes as `context.derived.<id>`. */
  | { kind: "derived"; id: string }
  /**
   * `x == None`, `x != None` on an `Option` input: whether the input is present (`!has` / `has`),
   * always defined, as in the language.
   */
  | { kind: "presence"; path: CtxPath; present: boolean }
  /**
   * `x == lit` / `x != lit` on an `Option` input: an absent input is `None`, which equals no
   * literal (as in agent code), so the comparison is defined even then.
   */
  | { kind: "optionEq"; path: CtxPath; equal: boolean; literal: Expr };

export type DefItem =
  | { kind: "path"; path: CtxPath; expr: Expr }
  | { kind: "derived"; id: string; expr: Expr }
  | { kind: "level"; expr: Expr };

/** A guard, requirement condition or approval condition, analysed. */
export interface GuardInfo {
  expr: Expr;
  /**
   * What must be present for the guard to be *defined*. An undefined guard makes an allow rule
   * not apply and a deny / require / approval rule apply (fail closed).
   */
  defined: DefItem[];
}

export type ActionForm =
  | { kind: "all" }
  | { kind: "one"; action: string }
  | { kind: "list"; actions: string[] }
  | { kind: "group"; group: string };

export interface ArgConstraint {
  arg: string;
  /** For record arguments (the target `AgentInfo` of inter-agent actions): the field compared (`name`). */
  field?: string;
  value: string | number | boolean;
  /** The argument may be absent from a call (optional, no default): the constraint then fails. */
  optional: boolean;
  span: Span;
}

export interface MatchSpec {
  form: ActionForm;
  /** The actions matched, expanded (sorted), or "all". */
  actions: "all" | string[];
  constraints: ArgConstraint[];
}

export type Effect = "permit" | "forbid" | "approval";

export interface RuleSource {
  /** Policy id (`<agent>.<policy>.<n>` or `<policy>.<n>` for top-level policies; `.k` for list elements). */
  id: string;
  verb: PolicyVerb | "contract" | "capabilities";
  policy: string;
  topLevel: boolean;
  file: string;
  span: Span;
  /** The rule's source text, for messages and the audit log. */
  text: string;
}

export interface DecisionRule extends RuleSource {
  effect: Effect;
  match: MatchSpec;
  /** The `if` guard (allow, deny, require, approval). */
  guard?: GuardInfo;
  /** A requirement's condition: the action is forbidden unless it holds. */
  condition?: GuardInfo;
  /** For approvals: who approves (`supervisor` for `supervisor_approval`), when named. */
  approver?: string;
}

/** Record-form `require: {..}`, `name = value` list entries, and `audit:` rules: settings, not decisions. */
export interface SettingRule extends RuleSource {
  kind: "require" | "audit";
  settings: { [k: string]: JsonValue };
  /** For `audit: <actions>` and `require: {..} for <actions>`: the actions concerned. */
  match?: MatchSpec;
  /** Span of each setting's value, for contradiction diagnostics. */
  valueSpans: { [k: string]: Span };
}

/** A value the runtime computes from the request before each decision (or once per run). */
export interface DerivedAttr {
  id: string;
  expr: Expr;
  /** What each free name of `expr` denotes. */
  names: { [name: string]: RootRef };
  node: TNode;
  /** "run": reads only agent inputs (computable at run start); "call": reads the call or trusted records. */
  stage: "run" | "call";
  /** The rule it belongs to. */
  rule: string;
  file: string;
  span: Span;
}

export interface PolicyParam {
  name: string;
  node: TNode;
  optional: boolean;
  /** The DSL type as written. */
  declared: string;
}

export interface AgentPolicyModel {
  agent: string;
  file: string;
  rules: DecisionRule[];
  settings: SettingRule[];
  derived: DerivedAttr[];
  params: Map<string, PolicyParam>;
  trusted: Record<TrustedRecord, TNode>;
  /** Type of `context.args.<arg>` / `context.facts.<arg>`, per action (`action\0arg`). */
  argNodes: Map<string, TNode>;
  factNodes: Map<string, TNode>;
  /** Ordered levels for `<`/`>` on strings (lowest first). */
  levels: string[];
  /** Notes on guard nodes. */
  notes: Map<Expr, Note>;
  /** Every action the agent may request (tools, capabilities, inter-agent calls); others are denied. */
  actions: string[];
  /**
   * Every context path a Cedar-side guard reads, with the type of the value read and the id of
   * the rule whose guard reads it (absent: count it as read for every action).
   */
  cedarPaths: Array<{ path: CtxPath; node: TNode; rule?: string }>;
}

/** The default ordering of classification and clearance levels, lowest first. */
export const DEFAULT_LEVELS = ["public", "internal", "confidential", "secret", "top_secret"] as const;

export const slotKey = (action: string, arg: string): string => `${action}\u0000${arg}`;
