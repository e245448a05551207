/**
 * `symbic explain`: why one request got its decision, rule by rule, in DSL terms.
 *
 * The decision itself is the gate's (decide.ts). The explanation asks Cedar — with the request
 * the gate built (PolicyGate.cedarRequestOf, whole, as the schema names every part) and the same
 * schema — about the pieces of each rule, written by the compiler's own lowering
 * (compiler/emit/cedar):
 *
 *   the rule     its emitted policy, as a permit: does it apply to this request?
 *   its scope    `permit (principal == A, <actions>, resource)`: is the rule about this action?
 *   literals     each literal argument of the pattern: does the call's argument equal it?
 *   each term    every atom of the guard (and of a requirement's condition) written twice, as
 *                "definitely true" and "definitely false" (lower.ts): true, false, or — neither —
 *                unknown (something it reads is absent); for an unknown term, each thing it
 *                needs (`has` tests, derived values, levels) is asked on its own, to name what
 *                is missing
 *
 * and attributes the answers to DSL ranges through the analysed model (compiler/policy/model.ts).
 * No policy is evaluated outside Cedar.
 */
import { isAuthorized, type AuthorizationAnswer } from "../formats/cedar-wasm.js";
import type { Expr, Span } from "../grammar/ast.js";
import { CedarWriter, GuardLowering } from "../compiler/emit/cedar/lower.js";
import { actionScope, constraintText } from "../compiler/emit/cedar/policies.js";
import { entityRef } from "../compiler/emit/cedar/syntax.js";
import type { AgentPolicyModel, DecisionRule, DefItem, GuardInfo } from "../compiler/policy/model.js";
import { AGENT_TYPE } from "../formats/policies-json.js";
import type { GateRequest, PolicyGate } from "../runtime/gate/gate.js";
import { gateArgs } from "../runtime/exec/tool-call.js";
import { displayLocation, type AgentScope, type CallSpec } from "./resolve.js";
import type { TestedProject } from "./project.js";

export type TermValue = "true" | "false" | "unknown" | "error";

export interface TermExplanation {
  /** The term's DSL text and where it is. */
  text: string;
  location: string;
  /** Part of the `if` guard, or of a requirement's condition. */
  role: "guard" | "condition";
  value: TermValue;
  /** For an unknown term: what it reads that is absent or cannot be computed. */
  missing: string[];
  /** For an error: Cedar's message. */
  error?: string;
}

export interface RuleExplanation {
  id: string;
  verb: string;
  /** permit (allow), forbid (deny, require, capabilities), approval. */
  effect: string;
  text: string;
  location: string;
  /** The rule applies to the request (Cedar, on the emitted policy). */
  matched: boolean;
  /** It is among the rules the decision names. */
  decided: boolean;
  /** The rule is about this action (its scope). */
  inScope: boolean;
  /** Literal arguments of the pattern that the call's arguments do not equal. */
  failedLiterals: string[];
  /** The guard's value (three-valued), when the rule has one and is in scope. */
  guard?: TermValue;
  /** A requirement's condition value. */
  condition?: TermValue;
  terms: TermExplanation[];
  /** Cedar could not evaluate the rule: its message. */
  error?: string;
  /** One sentence: why it matched or did not. */
  why: string;
}

export interface Explanation {
  agent: string;
  action: string;
  /** Set when the request cannot be built (the gate then denies): why. */
  requestError?: string;
  rules: RuleExplanation[];
}

interface Probe {
  id: string;
  text: string;
}

/** The request the explained decision was made on: the tool's own action (as the gate is asked first). */
function gateRequestOf(call: CallSpec): GateRequest {
  if (call.kind === "tool")
    return {
      action: call.action,
      args: gateArgs(call.contract, call.validated),
      ...(call.facts ? { facts: call.facts } : {}),
    };
  return { action: call.action, args: call.args, ...(call.facts ? { facts: call.facts } : {}) };
}

/** The atoms of a guard as lower.ts sees them (under `!`, `&&`, `||` and parentheses). */
function atoms(e: Expr, out: Expr[] = []): Expr[] {
  const x = e.kind === "Paren" ? e.expr : e;
  if (x.kind === "Unary" && x.op !== "-") return atoms(x.operand, out);
  if (x.kind === "Binary" && (x.op === "&&" || x.op === "||")) {
    atoms(x.left, out);
    atoms(x.right, out);
    return out;
  }
  out.push(x);
  return out;
}

/** Kleene's three-valued logic over the term values (as the DSL combines guards). */
function combine(e: Expr, value: Map<Expr, TermValue>): TermValue {
  const x = e.kind === "Paren" ? e.expr : e;
  if (x.kind === "Unary" && x.op !== "-") {
    const v = combine(x.operand, value);
    return v === "true" ? "false" : v === "false" ? "true" : v;
  }
  if (x.kind === "Binary" && (x.op === "&&" || x.op === "||")) {
    const a = combine(x.left, value);
    const b = combine(x.right, value);
    if (a === "error" || b === "error") return "error";
    const dominant = x.op === "&&" ? "false" : "true";
    if (a === dominant || b === dominant) return dominant;
    if (a === "unknown" || b === "unknown") return "unknown";
    return x.op === "&&" ? "true" : "false";
  }
  return value.get(x) ?? "unknown";
}

function write(model: AgentPolicyModel, body: (low: GuardLowering, w: CedarWriter) => void): string {
  const w = new CedarWriter();
  body(new GuardLowering(model, w), w);
  return w.text;
}

/** The items of `defined` that belong to a term (as lower.ts selects them). */
function localDefs(g: GuardInfo, term: Expr): DefItem[] {
  return g.defined.filter((d) => d.expr.span.start >= term.span.start && d.expr.span.end <= term.span.end);
}

function probeRule(model: AgentPolicyModel, rule: DecisionRule, emittedText: string, probes: Probe[]): void {
  const head = `permit (\n  principal == ${entityRef(AGENT_TYPE, model.agent)},\n`;
  // The emitted policy, as a permit: it holds exactly when the rule applies.
  probes.push({
    id: `rule|${rule.id}`,
    text: emittedText.replace(/^((?:@[^\n]*\n)*)(?:permit|forbid) \(\n/, "$1permit (\n"),
  });
  probes.push({ id: `scope|${rule.id}`, text: `${head}  ${actionScope(rule.match)},\n  resource\n);` });
  rule.match.constraints.forEach((c, i) => {
    probes.push({
      id: `lit|${rule.id}|${i}`,
      text: `permit (principal, action, resource) when { ${constraintText(c)} };`,
    });
  });
  const parts: Array<["guard" | "condition", GuardInfo | undefined]> = [
    ["guard", rule.guard],
    ["condition", rule.condition],
  ];
  for (const [role, g] of parts) {
    if (!g) continue;
    atoms(g.expr).forEach((a, j) => {
      const info: GuardInfo = { expr: a, defined: g.defined };
      for (const mode of ["T", "F"] as const)
        probes.push({
          id: `${mode}|${rule.id}|${role}|${j}`,
          text: `permit (principal, action, resource) when { ${write(model, (low) => low.truth(info, mode))} };`,
        });
      localDefs(g, a).forEach((d, k) => {
        probes.push({
          id: `D|${rule.id}|${role}|${j}|${k}`,
          text: `permit (principal, action, resource) when { ${write(model, (low) => low.definedness([d]))} };`,
        });
      });
    });
  }
}

function sourceText(p: TestedProject, file: string, span: Span): string {
  const text = p.build.texts.get(file);
  return text ? text.slice(span.start, span.end) : "";
}

function missingText(p: TestedProject, file: string, d: DefItem): string {
  const t = sourceText(p, file, d.expr.span) || "a value";
  switch (d.kind) {
    case "path":
      return `\`${t}\` is not given`;
    case "derived":
      return `\`${t}\` could not be computed`;
    case "level":
      return `\`${t}\` is not a known level`;
  }
}

/** Explains the decision of one call for an agent whose gate is bound to the case's inputs and records. */
export function explainRequest(
  p: TestedProject,
  scope: AgentScope,
  gate: PolicyGate,
  call: CallSpec,
  decided: readonly string[] = [],
): Explanation {
  const compiled = scope.compiled;
  const model = compiled.cedar.model;
  const emitted = compiled.cedar.emitted;
  const out: Explanation = { agent: scope.agent, action: call.action, rules: [] };
  const req = gate.cedarRequestOf(gateRequestOf(call), { whole: true });
  if ("error" in req) {
    out.requestError = req.error;
    return out;
  }
  const texts = new Map([...(emitted?.main ?? []), ...(emitted?.approval ?? [])].map((e) => [e.id, e.text]));
  const probes: Probe[] = [];
  for (const r of model.rules) {
    const t = texts.get(r.id);
    if (t !== undefined) probeRule(model, r, t, probes);
  }
  const answer: AuthorizationAnswer = isAuthorized({
    principal: req.principal,
    action: req.action,
    resource: req.resource,
    context: req.context as never,
    schema: compiled.cedar.schema as never,
    validateRequest: false,
    policies: { staticPolicies: Object.fromEntries(probes.map((x) => [x.id, x.text])) },
    entities: [],
  });
  if (answer.type === "failure") {
    out.requestError = `cedar could not evaluate the explanation: ${answer.errors.map((e) => e.message).join("; ")}`;
    return out;
  }
  const held = new Set(answer.response.diagnostics.reason);
  const errors = new Map(answer.response.diagnostics.errors.map((e) => [e.policyId, e.error.message]));
  for (const r of model.rules) {
    if (!texts.has(r.id)) continue;
    const inScope = held.has(`scope|${r.id}`);
    const failedLiterals = r.match.constraints
      .filter((_, i) => !held.has(`lit|${r.id}|${i}`))
      .map((c) => sourceText(p, r.file, c.span) || `${c.arg} == ${JSON.stringify(c.value)}`);
    const terms: TermExplanation[] = [];
    const values: Record<"guard" | "condition", Map<Expr, TermValue>> = { guard: new Map(), condition: new Map() };
    for (const role of ["guard", "condition"] as const) {
      const g = role === "guard" ? r.guard : r.condition;
      if (!g) continue;
      atoms(g.expr).forEach((a, j) => {
        const tId = `T|${r.id}|${role}|${j}`;
        const fId = `F|${r.id}|${role}|${j}`;
        const err = errors.get(tId) ?? errors.get(fId);
        const value: TermValue = err ? "error" : held.has(tId) ? "true" : held.has(fId) ? "false" : "unknown";
        values[role].set(a, value);
        const missing =
          value === "unknown"
            ? localDefs(g, a)
                .filter((_, k) => !held.has(`D|${r.id}|${role}|${j}|${k}`))
                .map((d) => missingText(p, r.file, d))
            : [];
        terms.push({
          text: sourceText(p, r.file, a.span),
          location: displayLocation(p.dir, `${r.file}:${a.span.line}:${a.span.col}`),
          role,
          value,
          missing: [...new Set(missing)],
          ...(err ? { error: err } : {}),
        });
      });
    }
    const guard = r.guard ? combine(r.guard.expr, values.guard) : undefined;
    const condition = r.condition ? combine(r.condition.expr, values.condition) : undefined;
    const ruleError = errors.get(`rule|${r.id}`);
    const e: RuleExplanation = {
      id: r.id,
      verb: r.verb,
      effect: r.effect,
      text: r.text,
      location: displayLocation(p.dir, `${r.file}:${r.span.line}:${r.span.col}`),
      matched: held.has(`rule|${r.id}`),
      decided: decided.includes(r.id),
      inScope,
      failedLiterals,
      ...(guard !== undefined && inScope ? { guard } : {}),
      ...(condition !== undefined && inScope ? { condition } : {}),
      terms: inScope ? terms : [],
      ...(ruleError ? { error: ruleError } : {}),
      why: "",
    };
    e.why = why(e, call.action);
    out.rules.push(e);
  }
  return out;
}

function termList(
  terms: readonly TermExplanation[],
  values: readonly TermValue[],
  role: "guard" | "condition",
): string {
  return terms
    .filter((t) => t.role === role && values.includes(t.value))
    .map((t) => `\`${t.text}\` (${t.location}) is ${t.value}${t.missing.length ? `: ${t.missing.join(", ")}` : ""}`)
    .join("; ");
}

function why(e: RuleExplanation, action: string): string {
  if (e.error) return `it could not be evaluated (${e.error}); the gate denies`;
  if (!e.inScope) return `it is not about \`${action}\``;
  if (e.failedLiterals.length > 0)
    return `the call's arguments do not match ${e.failedLiterals.map((l) => `\`${l}\``).join(", ")}`;
  const permit = e.effect === "permit";
  if (e.guard !== undefined) {
    if (permit && e.guard !== "true")
      return `its guard is ${e.guard}: ${termList(e.terms, ["false", "unknown", "error"], "guard")}`;
    if (!permit && e.guard === "false") return `its guard is false: ${termList(e.terms, ["false"], "guard")}`;
  }
  if (e.condition !== undefined) {
    if (e.condition === "true") return `its requirement holds: ${termList(e.terms, ["true"], "condition")}`;
    const c = `its requirement is ${e.condition}: ${termList(e.terms, ["false", "unknown", "error"], "condition")}`;
    return e.guard === "unknown" ? `${c}; its guard is unknown, which applies it (fail closed)` : c;
  }
  if (!permit && e.guard === "unknown")
    return `its guard is unknown, which applies it (fail closed): ${termList(e.terms, ["unknown"], "guard")}`;
  if (e.guard === "true") return `its guard is true: ${termList(e.terms, ["true"], "guard")}`;
  return `it is about \`${action}\``;
}
