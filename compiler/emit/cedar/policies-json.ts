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
import type { Span } from "../../../grammar/ast.js";
import type { AgentPolicyModel, DecisionRule, MatchSpec, SettingRule } from "../../policy/model.js";
import { shapeOf } from "../../policy/shape.js";
import {
  POLICIES_FORMAT,
  type ContextModel,
  type PoliciesJson,
  type PolicyEntry,
  type PolicySettingEntry,
} from "../../../formats/policies-json.js";

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

function settingEntry(s: SettingRule): PolicySettingEntry {
  const e: PolicySettingEntry = {
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
