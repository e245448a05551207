/**
 * The DSL-level policy evaluator, kept only as the independent oracle of the faithfulness tests:
 * it decides a request by evaluating the analysed DSL rules directly (the guard ASTs, with DSL
 * semantics), without Cedar. Decisions users get come from the gate (runtime/gate), never from
 * here.
 */
import type { Expr } from "../../grammar/ast.js";
import type {
  AgentPolicyModel,
  DecisionRule,
  DefItem,
  GuardInfo,
  MatchSpec,
  Note,
} from "../../compiler/policy/model.js";
import { shapeOf } from "../../compiler/policy/shape.js";
import { conforms } from "../../formats/policies-json.js";
import {
  EvalError,
  Undefined,
  checkedI64,
  computeDerived,
  contains,
  isIntegral,
  literal,
  rankOf,
  readFields,
  readRoot,
  stringOrListMethod,
  valueEquals,
} from "../../runtime/gate/derived.js";
import type { PolicyRequest } from "../../runtime/gate/request.js";

export interface PolicyDecision {
  decision: "allow" | "deny";
  /** The request is allowed but a human must approve it first. */
  approval: boolean;
  /** Ids of the allow rules that applied. */
  permits: string[];
  /** Ids of the deny / require rules that applied. */
  forbids: string[];
  /** Ids of the approval rules that applied. */
  approvals: string[];
  /** Ids of rules whose evaluation failed (each one denies). */
  errors: string[];
}

/** Evaluates policy rules against requests for one agent. */
export class PolicyEvaluator {
  private derivedCache = new Map<string, unknown>();
  private req: PolicyRequest = { action: "" };

  constructor(readonly model: AgentPolicyModel) {}

  decide(req: PolicyRequest): PolicyDecision {
    this.req = req;
    this.derivedCache.clear();
    const out: PolicyDecision = {
      decision: "deny",
      approval: false,
      permits: [],
      forbids: [],
      approvals: [],
      errors: [],
    };
    // An action the agent does not know (no contract, capability or builtin) is denied outright.
    if (!this.model.actions.includes(req.action)) return out;
    for (const rule of this.model.rules) {
      if (!matches(rule.match, req)) continue;
      try {
        if (this.applies(rule)) {
          if (rule.effect === "permit") out.permits.push(rule.id);
          else if (rule.effect === "forbid") out.forbids.push(rule.id);
          else out.approvals.push(rule.id);
        }
      } catch (e) {
        if (!(e instanceof EvalError || e instanceof Undefined)) throw e;
        out.errors.push(rule.id);
      }
    }
    const mainErrors = out.errors.filter((id) => this.model.rules.find((r) => r.id === id)!.effect !== "approval");
    const approvalErrors = out.errors.length - mainErrors.length;
    out.decision = out.permits.length > 0 && out.forbids.length === 0 && mainErrors.length === 0 ? "allow" : "deny";
    out.approval = out.decision === "allow" && (out.approvals.length > 0 || approvalErrors > 0);
    return out;
  }

  /** Whether a matched rule applies (see the module comment for undefined guards). */
  /**
   * Whether a matched rule applies. Guards have three values: a condition that reads something
   * absent is unknown, combined by `&&`, `||`, `!` as Kleene logic does; an allow applies when
   * its guard is true, a deny / require / approval unless it is false (fail closed).
   */
  private applies(rule: DecisionRule): boolean {
    const truth = (g: GuardInfo | undefined): boolean | undefined => (g ? this.kleene(g.expr, g.defined) : true);
    switch (rule.effect) {
      case "permit":
        return truth(rule.guard) === true;
      case "approval":
        return truth(rule.guard) !== false;
      case "forbid": {
        if (truth(rule.guard) === false) return false;
        if (!rule.condition) return true;
        return truth(rule.condition) !== true;
      }
    }
  }

  /** The three-valued truth of a guard: true, false, or undefined (unknown). */
  private kleene(e: Expr, defs: readonly DefItem[]): boolean | undefined {
    const x = e.kind === "Paren" ? e.expr : e;
    if (x.kind === "Unary" && x.op !== "-") {
      const v = this.kleene(x.operand, defs);
      return v === undefined ? undefined : !v;
    }
    if (x.kind === "Binary" && (x.op === "&&" || x.op === "||")) {
      const l = this.kleene(x.left, defs);
      const r = this.kleene(x.right, defs);
      const dominant = x.op === "||";
      if (l === dominant || r === dominant) return dominant;
      if (l === undefined || r === undefined) return undefined;
      return !dominant;
    }
    const n = this.model.notes.get(x);
    if (n?.kind === "presence" || n?.kind === "optionEq") {
      // An absent Option input is None, as in agent code.
      const v = readFields(this.req.input ?? {}, n.path.segments.slice(1));
      if (n.kind === "presence") return (v !== undefined) === n.present;
      if (v === undefined) return !n.equal;
      return valueEquals(v, this.value(n.literal)) === n.equal;
    }
    const local = defs.filter((d) => d.expr.span.start >= x.span.start && d.expr.span.end <= x.span.end);
    if (!this.defined(local)) return undefined;
    try {
      return this.bool(x);
    } catch (err) {
      if (err instanceof Undefined) return undefined;
      throw err;
    }
  }

  private defined(items: DefItem[]): boolean {
    for (const d of items) {
      switch (d.kind) {
        case "path": {
          const [first, ...rest] = d.path.segments;
          const base =
            first === "args"
              ? this.req.args
              : first === "facts"
                ? this.req.facts
                : first === "input"
                  ? this.req.input
                  : this.req[first as "user"];
          const v = readFields(base ?? {}, rest);
          // A value of the wrong type counts as absent (the runtime drops it before Cedar sees it).
          const n = this.model.notes.get(d.expr);
          if (v === undefined || (n?.kind === "path" && !conforms(v, shapeOf(n.node)))) return false;
          break;
        }
        case "derived":
          if (this.derivedValue(d.id) === undefined) return false;
          break;
        case "level": {
          const v = this.value(d.expr);
          if (typeof v !== "string" || !this.model.levels.includes(v)) return false;
          break;
        }
      }
    }
    return true;
  }

  private derivedValue(id: string): unknown {
    if (this.derivedCache.has(id)) return this.derivedCache.get(id);
    const attr = this.model.derived.find((d) => d.id === id)!;
    let v = computeDerived(attr, this.req, this.model.levels);
    if (v !== undefined && !conforms(v, shapeOf(attr.node))) v = undefined;
    this.derivedCache.set(id, v);
    return v;
  }

  private note(e: Expr): Note | undefined {
    return this.model.notes.get(e);
  }

  private bool(e: Expr): boolean {
    const v = this.value(e);
    if (typeof v !== "boolean") throw new Undefined();
    return v;
  }

  private int(e: Expr): bigint {
    const v = this.value(e);
    if (!isIntegral(v)) throw new Undefined();
    return BigInt(v);
  }

  /** The value of a guard expression, with the DSL's meaning of each construct. */
  private value(e: Expr): unknown {
    const n = this.note(e);
    if (n?.kind === "derived") {
      const v = this.derivedValue(n.id);
      if (v === undefined) throw new Undefined();
      return v;
    }
    if (n?.kind === "path") {
      const v = readFields(readRoot(this.req, n.root), n.fields);
      if (v === undefined) throw new Undefined();
      return v;
    }
    switch (e.kind) {
      case "Paren":
        return this.value(e.expr);
      case "String":
      case "Number":
      case "Bool":
      case "Duration":
        return literal(e);
      case "Array":
        return e.elements.map((x) => this.value(x));
      case "Unary":
        if (e.op === "-") return checkedI64(-this.int(e.operand));
        return !this.bool(e.operand);
      case "Binary": {
        switch (e.op) {
          case "&&":
            return this.bool(e.left) && this.bool(e.right);
          case "||":
            return this.bool(e.left) || this.bool(e.right);
          case "==":
            return valueEquals(this.value(e.left), this.value(e.right));
          case "!=":
            return !valueEquals(this.value(e.left), this.value(e.right));
          case "<":
          case "<=":
          case ">":
          case ">=": {
            const on = n?.kind === "order" ? n.on : "long";
            const l = on === "level" ? rankOf(this.model.levels, this.value(e.left)) : this.int(e.left);
            const r = on === "level" ? rankOf(this.model.levels, this.value(e.right)) : this.int(e.right);
            return e.op === "<" ? l < r : e.op === "<=" ? l <= r : e.op === ">" ? l > r : l >= r;
          }
          case "+":
            return checkedI64(this.int(e.left) + this.int(e.right));
          case "-":
            return checkedI64(this.int(e.left) - this.int(e.right));
          case "*":
            return checkedI64(this.int(e.left) * this.int(e.right));
          case "in": {
            const x = this.value(e.left);
            return contains(this.value(e.right), x);
          }
          default:
            throw new EvalError(`operator ${e.op} in a Cedar-side guard`);
        }
      }
      case "Call": {
        if (e.callee.kind !== "Member") throw new EvalError("call in a Cedar-side guard");
        const method = e.callee.property.name;
        const recv = this.value(e.callee.object);
        const args = e.args.map((a) => this.value(a.kind === "NamedArg" ? a.value : a));
        return stringOrListMethod(method, recv, args);
      }
      default:
        throw new EvalError(`${e.kind} in a Cedar-side guard`);
    }
  }
}

export function matches(m: MatchSpec, req: PolicyRequest): boolean {
  if (m.actions !== "all" && !m.actions.includes(req.action)) return false;
  for (const c of m.constraints) {
    const arg = req.args?.[c.arg];
    const v = c.field === undefined ? arg : readFields(arg, [c.field]);
    if (v === undefined || !valueEquals(v, c.value)) return false;
  }
  return true;
}
