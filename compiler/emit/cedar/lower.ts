/**
 * Lowers analysed guards (compiler/policy) to Cedar expressions. Every emitted piece records the
 * DSL range it came from, so a Cedar validation error can be shown on the DSL source.
 *
 *   path `user.clearance`          context.user.clearance
 *   binder `f` (value / object)    context.args.<arg> / context.facts.<arg>
 *   runtime-computed sub-term      context.derived.dN
 *   a == b, a != b                 (a == b), (a != b)
 *   a < b (integers)               (a < b)
 *   a < b (levels)                 (rank(a) < rank(b)), rank = if-chain over the levels
 *   a && b, a || b, !a, not a      (a && b), (a || b), (!a)
 *   a + b, a - b, a * b            (a + b) …
 *   x in [1, 2]                    [1, 2].contains(x)
 *   x in s                         s.contains(x)
 *   s.contains(x) (list)           s.contains(x)
 *   s.contains("lit") (string)     s like "*lit*"
 *   s.starts_with("p")             s like "p*"
 *   s.ends_with("p")               s like "*p"
 *   s.is_empty()                   s.isEmpty()   (strings: s == "")
 *
 * Guards have three values (DSL semantics, compiler/emit/README.md "Policy semantics"): a
 * condition that reads something absent is *unknown*, and `&&`, `||`, `!` combine unknowns as
 * Kleene logic does (`unknown || true` is true, `unknown && false` is false). Cedar has two
 * values, so each guard is lowered twice, as "definitely true" (T) and "definitely false" (F):
 *
 *   atom a (a comparison, a test, a flag)   T = D(a) && a        F = D(a) && !a
 *   !x                                      T = F(x)             F = T(x)
 *   x && y                                  T = T(x) && T(y)     F = F(x) || F(y)
 *   x || y                                  T = T(x) || T(y)     F = F(x) && F(y)
 *
 * where D(a) is what the atom needs to be defined (`has` tests, level membership, derived
 * attributes present). An allow applies when T(guard); a deny, require or approval applies unless
 * F(guard) — what stays unknown resolves in the fail-closed direction. Comparisons of an
 * `Option` input with `None` or a literal are always defined, as in agent code.
 */
import type { Expr, Span } from "../../../grammar/ast.js";
import type { AgentPolicyModel, DefItem, GuardInfo } from "../../policy/model.js";
import { cedarLikePattern, cedarString, contextPath, hasAttr, attrAccess } from "./syntax.js";

/** How a guard is written: definitely true, definitely false, not definitely false, not definitely true. */
export type TruthMode = "T" | "F" | "NF" | "NT";
const NEGATED: Record<TruthMode, TruthMode> = { T: "F", F: "T", NF: "NT", NT: "NF" };

export interface Segment {
  /** UTF-16 offsets into the policy text. */
  start: number;
  end: number;
  span: Span;
}

/** Appends Cedar text and remembers which DSL range each piece came from. */
export class CedarWriter {
  text = "";
  readonly segments: Segment[] = [];

  write(s: string): void {
    this.text += s;
  }

  /** Writes what `body` writes, attributed to `span`. */
  from(span: Span, body: () => void): void {
    const start = this.text.length;
    body();
    this.segments.push({ start, end: this.text.length, span });
  }

  /** The innermost DSL range covering a UTF-16 offset of the text. */
  spanAt(offset: number): Span | undefined {
    let best: Segment | undefined;
    for (const s of this.segments) {
      if (
        s.start <= offset &&
        offset < Math.max(s.end, s.start + 1) &&
        (!best || s.end - s.start < best.end - best.start)
      )
        best = s;
    }
    return best?.span;
  }
}

export class GuardLowering {
  constructor(
    private readonly model: AgentPolicyModel,
    private readonly w: CedarWriter,
  ) {}

  /** The conditions under which the guard is defined, joined with `&&` (nothing written when none). */
  definedness(items: DefItem[]): boolean {
    const parts: Array<{ span: Span; write: () => void }> = [];
    const seen = new Set<string>();
    for (const d of items) {
      if (d.kind === "path") {
        for (let i = 0; i < d.path.segments.length; i++) {
          if (!d.path.optional[i]) continue;
          const text = hasAttr(contextPath(d.path.segments.slice(0, i)), d.path.segments[i]!);
          if (seen.has(text)) continue;
          seen.add(text);
          parts.push({ span: d.expr.span, write: () => this.w.write(text) });
        }
      } else if (d.kind === "derived") {
        for (const text of ["context has derived", hasAttr("context.derived", d.id)]) {
          if (seen.has(text)) continue;
          seen.add(text);
          parts.push({ span: d.expr.span, write: () => this.w.write(text) });
        }
      } else {
        parts.push({
          span: d.expr.span,
          write: () => {
            this.w.write(`[${this.model.levels.map(cedarString).join(", ")}].contains(`);
            this.expr(d.expr);
            this.w.write(")");
          },
        });
      }
    }
    parts.forEach((p, i) => {
      if (i > 0) this.w.write(" && ");
      this.w.from(p.span, p.write);
    });
    return parts.length > 0;
  }

  guard(g: GuardInfo): void {
    this.expr(g.expr);
  }

  /**
   * Writes the guard in one of four modes: "T" (definitely true), "F" (definitely false), "NF"
   * (not definitely false: an allow's complement, what a deny tests) or "NT" (not definitely
   * true). The N modes are written with `if D then a else true` per atom, which reads like the
   * DSL and lets Cedar's validator carry the `has` tests of D into the access.
   */
  truth(g: GuardInfo, mode: TruthMode): void {
    this.tf(g.expr, mode, g.defined);
  }

  private tf(e: Expr, mode: TruthMode, defs: readonly DefItem[]): void {
    const x = e.kind === "Paren" ? e.expr : e;
    const w = this.w;
    if (x.kind === "Unary" && x.op !== "-") return this.tf(x.operand, NEGATED[mode], defs);
    if (x.kind === "Binary" && (x.op === "&&" || x.op === "||")) {
      // T and NF distribute over && as &&; F and NT turn it into ||. For ||, the other way round.
      const andLike = (x.op === "&&") === (mode === "T" || mode === "NF");
      w.write("(");
      this.tf(x.left, mode, defs);
      w.write(andLike ? " && " : " || ");
      this.tf(x.right, mode, defs);
      w.write(")");
      return;
    }
    const positive = mode === "T" || mode === "NF";
    const note = this.model.notes.get(x);
    if (note?.kind === "presence") {
      // Always defined: the truth value is the presence test itself.
      const path = note.path;
      const has = hasAttr(contextPath(path.segments.slice(0, -1)), path.segments[path.segments.length - 1]!);
      w.from(x.span, () => w.write(note.present === positive ? `(${has})` : `(!(${has}))`));
      return;
    }
    if (note?.kind === "optionEq") {
      // Always defined: an absent Option input is None, which equals no literal.
      const path = note.path;
      const has = hasAttr(contextPath(path.segments.slice(0, -1)), path.segments[path.segments.length - 1]!);
      const value = contextPath(path.segments);
      w.from(x.span, () => {
        if (note.equal === positive) {
          w.write(`(${has} && ${value} == `);
          this.expr(note.literal);
          w.write(")");
        } else {
          w.write(`(if ${has} then ${value} != `);
          this.expr(note.literal);
          w.write(" else true)");
        }
      });
      return;
    }
    const local = defs.filter((d) => d.expr.span.start >= x.span.start && d.expr.span.end <= x.span.end);
    const atom = () => {
      if (!positive) w.write("!(");
      this.expr(x);
      if (!positive) w.write(")");
    };
    w.from(x.span, () => {
      if (local.length === 0) return atom(); // nothing it reads can be absent
      if (mode === "T" || mode === "F") {
        w.write("(");
        this.definedness(local);
        w.write(" && ");
        atom();
        w.write(")");
        return;
      }
      w.write("(if ");
      this.definedness(local);
      w.write(" then ");
      atom();
      w.write(" else true)");
    });
  }

  expr(e: Expr): void {
    this.w.from(e.span, () => this.exprInner(e));
  }

  private exprInner(e: Expr): void {
    const w = this.w;
    const note = this.model.notes.get(e);
    if (note?.kind === "derived") {
      w.write(`context.derived${attrAccess(note.id)}`);
      return;
    }
    if (note?.kind === "path") {
      if (!note.ctx) throw new Error(`internal: path without context position at ${e.span.line}:${e.span.col}`);
      w.write(contextPath(note.ctx.segments));
      return;
    }
    switch (e.kind) {
      case "Paren":
        this.expr(e.expr);
        return;
      case "String":
        w.write(cedarString(e.value));
        return;
      case "Number":
        w.write(String(e.value));
        return;
      case "Duration":
        w.write(String(e.millis));
        return;
      case "Bool":
        w.write(e.value ? "true" : "false");
        return;
      case "Array":
        w.write("[");
        e.elements.forEach((x, i) => {
          if (i > 0) w.write(", ");
          this.expr(x);
        });
        w.write("]");
        return;
      case "Unary":
        w.write(e.op === "-" ? "-(" : "!(");
        this.expr(e.operand);
        w.write(")");
        return;
      case "Binary":
        return this.binary(e);
      case "Call":
        return this.call(e);
      default:
        throw new Error(`internal: ${e.kind} reached Cedar lowering at ${e.span.line}:${e.span.col}`);
    }
  }

  private rank(e: Expr): void {
    const inner = e.kind === "Paren" ? e.expr : e;
    const levels = this.model.levels;
    if (inner.kind === "String") {
      this.w.write(String(levels.indexOf(inner.value)));
      return;
    }
    // if x == "l0" then 0 else if x == "l1" then 1 … else n-1 (membership is checked by definedness).
    this.w.write("(");
    for (let i = 0; i < levels.length - 1; i++) {
      this.w.write("if ");
      this.expr(e);
      this.w.write(` == ${cedarString(levels[i]!)} then ${i} else `);
    }
    this.w.write(`${levels.length - 1})`);
  }

  private binary(e: import("../../../grammar/ast.js").BinaryExpr): void {
    const w = this.w;
    const note = this.model.notes.get(e);
    if (e.op === "in") {
      const right = e.right.kind === "Paren" ? e.right.expr : e.right;
      if (note?.kind === "in" && note.form === "list" && right.kind === "Array") {
        this.expr(right);
      } else {
        w.write("(");
        this.expr(e.right);
        w.write(")");
      }
      w.write(".contains(");
      this.expr(e.left);
      w.write(")");
      return;
    }
    if (
      (e.op === "<" || e.op === "<=" || e.op === ">" || e.op === ">=") &&
      note?.kind === "order" &&
      note.on === "level"
    ) {
      w.write("(");
      this.rank(e.left);
      w.write(` ${e.op} `);
      this.rank(e.right);
      w.write(")");
      return;
    }
    if (e.op === "/" || e.op === "%") throw new Error(`internal: ${e.op} reached Cedar lowering`);
    w.write("(");
    this.expr(e.left);
    w.write(` ${e.op} `);
    this.expr(e.right);
    w.write(")");
  }

  private call(e: import("../../../grammar/ast.js").CallExpr): void {
    const w = this.w;
    const note = this.model.notes.get(e);
    if (note?.kind !== "method" || e.callee.kind !== "Member")
      throw new Error(`internal: call reached Cedar lowering at ${e.span.line}:${e.span.col}`);
    const recv = e.callee.object;
    const arg = e.args[0] && (e.args[0].kind === "NamedArg" ? e.args[0].value : e.args[0]);
    w.write("(");
    this.expr(recv);
    w.write(")");
    switch (note.op) {
      case "like":
        w.write(` like ${cedarLikePattern(note.pattern!)}`);
        return;
      case "emptyString":
        w.write(' == ""');
        return;
      case "isEmpty":
        w.write(".isEmpty()");
        return;
      case "contains":
        w.write(`.${note.op}(`);
        this.expr(arg!);
        w.write(")");
        return;
    }
  }
}
