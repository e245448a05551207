/**
 * `when` conditions of `[command.conditionals]`: a closed grammar parsed and evaluated here,
 * never with eval. The reference writes `headers != ''`, `port != 0` and
 * `username != '' and username_file == ''`; we also accept `&&`, `||`, `or`, `!`/`not` and
 * parentheses.
 *
 *   expr    := and (("||" | "or") and)*
 *   and     := unary (("&&" | "and") unary)*
 *   unary   := ("!" | "not") unary | primary
 *   primary := "(" expr ")" | operand (("==" | "!=") operand)?
 *   operand := name | 'text' | "text" | number | true | false
 *
 * Values compare as strings (an unset argument is `''`). A bare name is true when its value is
 * neither empty nor `false`.
 */
import type { WhenExpr, WhenOperand } from "./model.js";

type Token =
  | { t: "name"; v: string; at: number }
  | { t: "lit"; v: string; at: number }
  | { t: "op"; v: "==" | "!=" | "&&" | "||" | "!" | "(" | ")"; at: number }
  | { t: "end"; at: number };

export interface WhenError {
  message: string;
  offset: number;
}

function lex(src: string): Token[] | WhenError {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === "==" || two === "!=" || two === "&&" || two === "||") {
      out.push({ t: "op", v: two, at: i });
      i += 2;
      continue;
    }
    if (c === "!" || c === "(" || c === ")") {
      out.push({ t: "op", v: c, at: i });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const close = src.indexOf(c, i + 1);
      if (close < 0) return { message: `unclosed string starting with ${c}`, offset: i };
      out.push({ t: "lit", v: src.slice(i + 1, close), at: i });
      i = close + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "lit", v: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (word) {
      const w = word[0];
      if (w === "and") out.push({ t: "op", v: "&&", at: i });
      else if (w === "or") out.push({ t: "op", v: "||", at: i });
      else if (w === "not") out.push({ t: "op", v: "!", at: i });
      else if (w === "true" || w === "false") out.push({ t: "lit", v: w, at: i });
      else out.push({ t: "name", v: w, at: i });
      i += w.length;
      continue;
    }
    return { message: `unexpected character \`${c}\``, offset: i };
  }
  out.push({ t: "end", at: src.length });
  return out;
}

class WhenParser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.v === v;
  }
  private fail(message: string, at = this.peek().at): never {
    throw { message, offset: at } satisfies WhenError;
  }

  parse(): WhenExpr {
    if (this.peek().t === "end") this.fail("empty condition");
    const e = this.or();
    const t = this.peek();
    if (t.t !== "end") this.fail(`unexpected ${describe(t)} after the condition`);
    return e;
  }
  private or(): WhenExpr {
    let left = this.and();
    while (this.isOp("||")) {
      this.i++;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }
  private and(): WhenExpr {
    let left = this.unary();
    while (this.isOp("&&")) {
      this.i++;
      left = { kind: "and", left, right: this.unary() };
    }
    return left;
  }
  private unary(): WhenExpr {
    if (this.isOp("!")) {
      this.i++;
      return { kind: "not", operand: this.unary() };
    }
    return this.primary();
  }
  private primary(): WhenExpr {
    if (this.isOp("(")) {
      this.i++;
      const e = this.or();
      if (!this.isOp(")")) this.fail(`expected \`)\`, found ${describe(this.peek())}`);
      this.i++;
      return e;
    }
    const left = this.operand();
    const t = this.peek();
    if (t.t === "op" && (t.v === "==" || t.v === "!=")) {
      this.i++;
      return { kind: "compare", op: t.v, left, right: this.operand() };
    }
    if (left.kind === "name") return { kind: "truthy", name: left.name };
    return this.fail("a literal alone is not a condition; compare it with `==` or `!=`", t.at);
  }
  private operand(): WhenOperand {
    const t = this.peek();
    if (t.t === "name") {
      this.i++;
      return { kind: "name", name: t.v };
    }
    if (t.t === "lit") {
      this.i++;
      return { kind: "literal", value: t.v };
    }
    return this.fail(`expected a name or a value, found ${describe(t)}`);
  }
}

function describe(t: Token): string {
  if (t.t === "end") return "the end of the condition";
  if (t.t === "op") return `\`${t.v}\``;
  if (t.t === "lit") return `value \`${t.v}\``;
  return `name \`${t.v}\``;
}

export function parseWhen(src: string): { ok: true; expr: WhenExpr } | { ok: false; error: WhenError } {
  const toks = lex(src);
  if (!Array.isArray(toks)) return { ok: false, error: toks };
  try {
    return { ok: true, expr: new WhenParser(toks).parse() };
  } catch (e) {
    if (e && typeof e === "object" && "offset" in e) return { ok: false, error: e as WhenError };
    throw e;
  }
}

/** The names a condition reads. */
export function whenNames(expr: WhenExpr): string[] {
  switch (expr.kind) {
    case "or":
    case "and":
      return [...whenNames(expr.left), ...whenNames(expr.right)];
    case "not":
      return whenNames(expr.operand);
    case "truthy":
      return [expr.name];
    case "compare":
      return [expr.left, expr.right].flatMap((o) => (o.kind === "name" ? [o.name] : []));
  }
}

/** Evaluates a condition; `valueOf` returns a variable's value as text (`''` when unset). */
export function evaluateWhen(expr: WhenExpr, valueOf: (name: string) => string): boolean {
  switch (expr.kind) {
    case "or":
      return evaluateWhen(expr.left, valueOf) || evaluateWhen(expr.right, valueOf);
    case "and":
      return evaluateWhen(expr.left, valueOf) && evaluateWhen(expr.right, valueOf);
    case "not":
      return !evaluateWhen(expr.operand, valueOf);
    case "truthy": {
      const v = valueOf(expr.name);
      return v !== "" && v !== "false";
    }
    case "compare": {
      const l = expr.left.kind === "name" ? valueOf(expr.left.name) : expr.left.value;
      const r = expr.right.kind === "name" ? valueOf(expr.right.name) : expr.right.value;
      return expr.op === "==" ? l === r : l !== r;
    }
  }
}
