/**
 * policies.json (docs/bundle.md): what the runtime needs beside the Cedar files.
 *
 * - `policies`: one entry per Cedar policy id — DSL verb, effect, file/line/col, rule text, the
 *   actions it can match — so a decision names the DSL rule that made it;
 * - `context`: the shape of the Cedar context per action (what to pass, see request.ts);
 * - `derived`: the values the runtime computes from each request (the expression, as an AST
 *   whose identifiers say what they read) and passes as `context.derived.<id>`;
 * - `levels`: the ordered levels string comparisons rank by;
 * - `settings`: record-form `require:` entries and `audit:` rules (configuration, not decisions).
 */
import type { Expr, Span } from "../../../grammar/ast.js";
import type { AgentPolicyModel, DecisionRule, JsonValue, MatchSpec, SettingRule } from "../../policy/model.js";
import { shapeOf, type Shape } from "../../policy/shape.js";
import type { ContextModel } from "./context-model.js";

export const POLICIES_FORMAT = "symbi-policies/v1";

export interface PolicyEntry {
  id: string;
  /** Which file holds the policy: policy.cedar or approval.cedar. */
  set: "policy" | "approval";
  verb: string;
  effect: "permit" | "forbid" | "approval";
  policy: string;
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  text: string;
  actions: "all" | string[];
  approver?: string;
}

export interface DerivedEntry {
  id: string;
  /** "run": depends only on the agent's inputs (compute once); "call": recompute for every request. */
  stage: "run" | "call";
  type: Shape;
  /** The expression; identifiers that read the request carry `root` (see compiler/policy/model.ts RootRef). */
  expr: Expr;
  rule: string;
  file: string;
  line: number;
  col: number;
}

export interface SettingEntry {
  id: string;
  kind: "require" | "audit";
  policy: string;
  file: string;
  line: number;
  col: number;
  text: string;
  settings: { [k: string]: JsonValue };
  actions?: "all" | string[];
}

export interface PoliciesJson {
  format: typeof POLICIES_FORMAT;
  agent: string;
  policies: PolicyEntry[];
  context: ContextModel;
  derived: DerivedEntry[];
  levels: string[];
  settings: SettingEntry[];
}

function where(span: Span): { line: number; col: number; endLine: number; endCol: number } {
  return { line: span.line, col: span.col, endLine: span.endLine, endCol: span.endCol };
}

function actionsOf(m: MatchSpec): "all" | string[] {
  return m.actions === "all" ? "all" : [...m.actions];
}

function policyEntry(r: DecisionRule): PolicyEntry {
  const e: PolicyEntry = {
    id: r.id,
    set: r.effect === "approval" ? "approval" : "policy",
    verb: r.verb,
    effect: r.effect,
    policy: r.policy,
    file: r.file,
    ...where(r.span),
    text: r.text,
    actions: actionsOf(r.match),
  };
  if (r.approver !== undefined) e.approver = r.approver;
  return e;
}

function settingEntry(s: SettingRule): SettingEntry {
  const e: SettingEntry = {
    id: s.id,
    kind: s.kind,
    policy: s.policy,
    file: s.file,
    line: s.span.line,
    col: s.span.col,
    text: s.text,
    settings: s.settings,
  };
  if (s.match) e.actions = actionsOf(s.match);
  return e;
}

export function policiesJson(model: AgentPolicyModel, context: ContextModel): PoliciesJson {
  return {
    format: POLICIES_FORMAT,
    agent: model.agent,
    policies: model.rules.map(policyEntry),
    context,
    derived: model.derived.map((d) => ({
      id: d.id,
      stage: d.stage,
      type: shapeOf(d.node),
      expr: d.expr,
      rule: d.rule,
      file: d.file,
      line: d.span.line,
      col: d.span.col,
    })),
    levels: [...model.levels],
    settings: model.settings.map(settingEntry),
  };
}
