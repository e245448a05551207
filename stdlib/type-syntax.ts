/**
 * The small type syntax the stdlib table writes its signatures in, and its parser. It is data,
 * not checker types: the type checker turns it into its own types (compiler/check/types.ts),
 * the language server prints it as written, the runtime reads parameter names and arity.
 *
 *   type     = union
 *   union    = primary { "|" primary }                     (only in parameter positions)
 *   primary  = NAME [ "<" type { "," type } ">" ]          String, int, List<T>, Map<K, V>, Option<T>
 *            | "fn" "(" [ param { "," param } ] ")" "->" type
 *            | "{" [ field { "," field } ] [ "," ".." ] "}"   a record; `..` = open (more fields allowed)
 *   param    = [ "..." ] NAME [ "?" ] ":" type              `...rest: any` variadic, `limit?: int` optional
 *            | type                                        unnamed, in function types: `fn(T) -> bool`
 *   field    = NAME [ "?" ] ":" type
 *   sig      = [ "<" NAME { "," NAME } ">" ] type            type parameters of a generic signature
 *
 * Special names: `any` (a value of any type, unchecked), `never` (the call does not return:
 * `error`), `unit` (no useful value: `log`), `null`.
 */

export type TypeExpr =
  | { kind: "name"; name: string; args: TypeExpr[] }
  | { kind: "fn"; params: ParamExpr[]; result: TypeExpr }
  | { kind: "record"; fields: FieldExpr[]; open: boolean }
  | { kind: "union"; options: TypeExpr[] };

export interface ParamExpr {
  name: string;
  type: TypeExpr;
  optional: boolean;
  rest: boolean;
}

export interface FieldExpr {
  name: string;
  type: TypeExpr;
  optional: boolean;
}

export interface Signature {
  /** Type parameters (`<T, U>`), in order. */
  typeParams: string[];
  type: TypeExpr;
}

export class TypeSyntaxError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset} in \`${source}\``);
  }
}

const TOKEN = /\s*(\.\.\.|\.\.|->|[A-Za-z_][A-Za-z0-9_]*|[<>(),:{}?|])/y;

function tokenize(src: string): Array<{ text: string; at: number }> {
  const out: Array<{ text: string; at: number }> = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new TypeSyntaxError("unexpected character", src, pos);
    out.push({ text: m[1]!, at: m.index + m[0].length - m[1]!.length });
    pos = TOKEN.lastIndex;
  }
  return out;
}

class Parser {
  private i = 0;
  private readonly toks: Array<{ text: string; at: number }>;
  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }
  private peek(): string | undefined {
    return this.toks[this.i]?.text;
  }
  private fail(msg: string): never {
    throw new TypeSyntaxError(msg, this.src, this.toks[this.i]?.at ?? this.src.length);
  }
  private eat(text: string): void {
    if (this.peek() !== text) this.fail(`expected \`${text}\``);
    this.i++;
  }
  private name(): string {
    const t = this.peek();
    if (t === undefined || !/^[A-Za-z_]/.test(t)) this.fail("expected a name");
    this.i++;
    return t;
  }
  end(): void {
    if (this.i < this.toks.length) this.fail("unexpected text");
  }
  signature(): Signature {
    const typeParams: string[] = [];
    if (this.peek() === "<") typeParams.push(...this.angleList(() => this.name()));
    return { typeParams, type: this.type() };
  }
  type(): TypeExpr {
    const first = this.primary();
    if (this.peek() !== "|") return first;
    const options = [first];
    while (this.peek() === "|") {
      this.eat("|");
      options.push(this.primary());
    }
    return { kind: "union", options };
  }
  private primary(): TypeExpr {
    const t = this.peek();
    if (t === "{") return this.record();
    if (t === "fn" && this.toks[this.i + 1]?.text === "(") return this.fn();
    const name = this.name();
    const args: TypeExpr[] = this.peek() === "<" ? this.angleList(() => this.type()) : [];
    return { kind: "name", name, args };
  }
  /** `<item, item, ...>`: type parameters of a signature, type arguments of a name. */
  private angleList<T>(item: () => T): T[] {
    this.eat("<");
    const out = [item()];
    while (this.peek() === ",") {
      this.eat(",");
      out.push(item());
    }
    this.eat(">");
    return out;
  }
  private fn(): TypeExpr {
    this.eat("fn");
    this.eat("(");
    const params: ParamExpr[] = [];
    while (this.peek() !== ")") {
      let rest = false;
      if (this.peek() === "...") {
        this.eat("...");
        rest = true;
      }
      // Parameter names are optional in function *types* (`fn(T) -> bool`).
      const next = this.toks[this.i + 1]?.text;
      if (!rest && next !== ":" && next !== "?") {
        params.push({ name: `_${params.length}`, type: this.type(), optional: false, rest: false });
        if (this.peek() !== ")") this.eat(",");
        continue;
      }
      const name = this.name();
      let optional = false;
      if (this.peek() === "?") {
        this.eat("?");
        optional = true;
      }
      this.eat(":");
      params.push({ name, type: this.type(), optional, rest });
      if (this.peek() !== ")") this.eat(",");
    }
    this.eat(")");
    this.eat("->");
    return { kind: "fn", params, result: this.type() };
  }
  private record(): TypeExpr {
    this.eat("{");
    const fields: FieldExpr[] = [];
    let open = false;
    while (this.peek() !== "}") {
      if (this.peek() === "..") {
        this.eat("..");
        open = true;
        break;
      }
      const name = this.name();
      let optional = false;
      if (this.peek() === "?") {
        this.eat("?");
        optional = true;
      }
      this.eat(":");
      fields.push({ name, type: this.type(), optional });
      if (this.peek() !== "}") this.eat(",");
    }
    this.eat("}");
    return { kind: "record", fields, open };
  }
}

/** Parses `[<T, ...>] type`; throws TypeSyntaxError on malformed input (the table is tested). */
export function parseSignature(src: string): Signature {
  const p = new Parser(src);
  const sig = p.signature();
  p.end();
  return sig;
}

export function parseTypeExpr(src: string): TypeExpr {
  const p = new Parser(src);
  const t = p.type();
  p.end();
  return t;
}

/** Prints a type expression back in the table's syntax (hover and completion details). */
export function printTypeExpr(t: TypeExpr): string {
  switch (t.kind) {
    case "name":
      return t.args.length ? `${t.name}<${t.args.map(printTypeExpr).join(", ")}>` : t.name;
    case "union":
      return t.options.map(printTypeExpr).join(" | ");
    case "record": {
      const fs = t.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${printTypeExpr(f.type)}`);
      if (t.open) fs.push("..");
      return `{ ${fs.join(", ")} }`;
    }
    case "fn":
      return `fn(${t.params
        .map((p) =>
          p.name.startsWith("_") && !p.rest && !p.optional
            ? printTypeExpr(p.type)
            : `${p.rest ? "..." : ""}${p.name}${p.optional ? "?" : ""}: ${printTypeExpr(p.type)}`,
        )
        .join(", ")}) -> ${printTypeExpr(t.result)}`;
  }
}
