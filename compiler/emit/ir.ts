/**
 * Lowering to the agent IR (formats/ir.ts): the agent's code, the project's functions and types,
 * with every name replaced by what the checker resolved it to (`CheckResult.resolutionOf`). The
 * interpreter executes the result without resolving anything, so the checker's reading of a
 * name is the one that runs (`catch (error) { error("boom") }` calls the builtin `error`, as
 * compiler/check/README.md documents, because the checker resolved it so).
 *
 * A name the checker did not resolve can only come from a program with checker errors; the
 * lowering reports it (E0620) and the agent gets no bundle.
 */
import type * as A from "../../grammar/ast.js";
import { BUILTIN_VALUES } from "../../stdlib/index.js";
import { isTrustedRecord } from "../../stdlib/trusted-records.js";
import {
  IR_FORMAT,
  type AgentIR,
  type IrArg,
  type IrArmPattern,
  type IrBlock,
  type IrExpr,
  type IrFunction,
  type IrIf,
  type IrIfExpr,
  type IrLocal,
  type IrParam,
  type IrPattern,
  type IrStmt,
  type Ref,
} from "../../formats/ir.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import type { AgentInfo, CheckResult } from "../check/index.js";
import type { FunctionInfo } from "../check/globals.js";

/** A name the lowering cannot place (reported, never guessed). */
class Unresolved extends Error {
  constructor(
    readonly file: string,
    readonly node: { span: A.Span },
    message: string,
  ) {
    super(message);
  }
}

const COMMENT_KEYS = new Set(["leadingComments", "trailingComments", "innerComments"]);

/** A deep copy without comments (for the declared types the IR keeps as written). */
function stripComments<T>(node: T): T {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v === null || typeof v !== "object") return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!COMMENT_KEYS.has(k)) out[k] = copy(x);
    return out;
  };
  return copy(node) as T;
}

function isOptionType(t: A.TypeRef | undefined): boolean {
  return t !== undefined && (t.name.name === "Option" || t.name.name === "Maybe");
}

class Lowering {
  private readonly slots = new Map<string, number>();
  /** The checker's file name of the code being lowered (symbol ids contain it). */
  private file = "";

  constructor(private readonly res: CheckResult) {}

  get slotCount(): number {
    return this.slots.size;
  }

  /** Lowers the code of `file` (the checker's name for it) next. */
  at(file: string): void {
    this.file = file;
  }

  /** The declaration behind a parameter (its symbol id comes from the checker's declaration pass). */
  param(p: A.Param, symbolId: string): IrLocal {
    return { name: p.name.name, slot: this.slotOf(symbolId), span: p.name.span };
  }

  private slotOf(symbolId: string): number {
    let s = this.slots.get(symbolId);
    if (s === undefined) {
      s = this.slots.size;
      this.slots.set(symbolId, s);
    }
    return s;
  }

  private unresolved(node: { span: A.Span }, message: string): Unresolved {
    return new Unresolved(this.file, node, message);
  }

  /** The declaration a declaring name introduces. */
  local(id: A.Identifier): IrLocal {
    const sid = this.res.resolutionOf(id);
    if (sid === undefined || !sid.startsWith("local:"))
      throw this.unresolved(id, `the declaration of \`${id.name}\` was not resolved`);
    return { name: id.name, slot: this.slotOf(sid), span: id.span };
  }

  /** What a name in value or call position denotes. */
  ref(id: A.Identifier): Ref {
    const sid = this.res.resolutionOf(id);
    if (sid === undefined) throw this.unresolved(id, `\`${id.name}\` was not resolved`);
    const colon = sid.indexOf(":");
    const kind = sid.slice(0, colon);
    const name = sid.slice(colon + 1);
    switch (kind) {
      case "local":
        return { to: "local", slot: this.slotOf(sid) };
      case "function":
        return { to: "function", fn: sid };
      case "tool":
        return { to: "tool", tool: name };
      case "builtin":
        if (BUILTIN_VALUES.has(name)) return { to: "value", value: name === "null" ? "null" : "None" };
        return { to: "builtin", builtin: name };
      case "trusted":
        if (isTrustedRecord(name)) return { to: "trusted", record: name };
        break;
      case "memory":
        return { to: "memory", memory: name };
    }
    throw this.unresolved(id, `\`${id.name}\` is ${kind === "agent" ? "an agent" : `a ${kind}`}, not a value`);
  }

  function(f: FunctionInfo, file: string): IrFunction {
    this.file = f.file;
    const params: IrParam[] = f.node.params.map((p, i) => ({
      local: this.param(p, f.params[i]!.symbolId),
      optional: isOptionType(p.type),
      span: p.span,
    }));
    return {
      id: f.symbolId,
      name: f.name,
      file,
      params,
      returnsOption: isOptionType(f.node.returnType),
      body: this.block(f.node.body),
      span: f.node.span,
    };
  }

  block(b: A.Block): IrBlock {
    const out: IrBlock = { kind: "Block", statements: b.statements.map((s) => this.stmt(s)), span: b.span };
    if (b.tail) out.tail = this.expr(b.tail);
    return out;
  }

  private stmt(s: A.Stmt): IrStmt {
    switch (s.kind) {
      case "Let":
        return { kind: "Let", local: this.local(s.name), init: this.expr(s.init), span: s.span };
      case "Assign": {
        const t = s.target;
        if (t.kind === "Identifier") {
          const sid = this.res.resolutionOf(t);
          const declares = sid === `local:${this.file}:${t.span.start}`;
          return {
            kind: "Assign",
            target: { kind: "Name", name: t.name, ref: this.ref(t), span: t.span },
            op: s.op,
            value: this.expr(s.value),
            ...(declares ? { declares } : {}),
            span: s.span,
          };
        }
        const target = this.expr(t);
        if (target.kind !== "Member" && target.kind !== "Index") throw this.unresolved(t, "this cannot be assigned to");
        return { kind: "Assign", target, op: s.op, value: this.expr(s.value), span: s.span };
      }
      case "Return":
        return s.value ? { kind: "Return", value: this.expr(s.value), span: s.span } : { kind: "Return", span: s.span };
      case "If":
        return this.if(s);
      case "For":
        return {
          kind: "For",
          binder: this.local(s.binder),
          iterable: this.expr(s.iterable),
          body: this.block(s.body),
          span: s.span,
        };
      case "Match":
        return {
          kind: "Match",
          scrutinee: this.expr(s.scrutinee),
          arms: s.arms.map((a) => ({
            pattern: this.armPattern(a.pattern),
            body: a.body.kind === "Block" ? this.block(a.body) : this.expr(a.body),
            span: a.span,
          })),
          span: s.span,
        };
      case "Try":
        return {
          kind: "Try",
          body: this.block(s.body),
          catches: s.catches.map((c) => ({
            ...(c.errorType ? { errorKind: c.errorType.name } : {}),
            binder: this.local(c.binder),
            body: this.block(c.body),
            span: c.span,
          })),
          span: s.span,
        };
      case "ExprStmt": {
        const e = s.expr;
        // `break;` / `continue;` are bare names the grammar reads as expressions; the checker
        // treats them as loop control unless a variable has that name.
        if (e.kind === "Identifier" && (e.name === "break" || e.name === "continue")) {
          const sid = this.res.resolutionOf(e);
          if (sid === undefined || !sid.startsWith("local:"))
            return { kind: e.name === "break" ? "Break" : "Continue", span: s.span };
        }
        return { kind: "ExprStmt", expr: this.expr(e), span: s.span };
      }
    }
  }

  private if(s: A.IfStmt): IrIf {
    const c = s.condition;
    const out: IrIf = {
      kind: "If",
      condition:
        c.kind === "LetCondition"
          ? { kind: "LetCondition", pattern: this.pattern(c.pattern), value: this.expr(c.value), span: c.span }
          : this.expr(c),
      then: this.block(s.then),
      span: s.span,
    };
    if (s.else) out.else = s.else.kind === "If" ? this.if(s.else) : this.block(s.else);
    return out;
  }

  private pattern(p: A.Pattern): IrPattern {
    switch (p.kind) {
      case "WildcardPattern":
        return { kind: "Wildcard", span: p.span };
      case "BindingPattern": {
        const sid = this.res.resolutionOf(p.name);
        if (sid?.startsWith("local:")) return { kind: "Bind", local: this.local(p.name), span: p.span };
        if (p.name.name === "None") return { kind: "Constructor", name: "None", args: [], span: p.span };
        throw this.unresolved(p.name, `the pattern \`${p.name.name}\` was not resolved`);
      }
      case "ConstructorPattern": {
        const n = p.name.name;
        if (n !== "Some" && n !== "Ok" && n !== "Err" && n !== "None")
          throw this.unresolved(p.name, `\`${n}\` is not a pattern constructor (Some, Ok, Err, None)`);
        return { kind: "Constructor", name: n, args: p.args.map((x) => this.pattern(x)), span: p.span };
      }
    }
  }

  private armPattern(p: A.MatchArm["pattern"]): IrArmPattern {
    switch (p.kind) {
      case "WildcardPattern":
        return { kind: "Wildcard", span: p.span };
      case "String":
      case "Bool":
        return { kind: "Literal", value: p.value, span: p.span };
      case "Number":
        return { kind: "Literal", value: p.value, isFloat: p.isFloat, span: p.span };
      case "Identifier": {
        const sid = this.res.resolutionOf(p);
        if (sid?.startsWith("local:")) return { kind: "Bind", local: this.local(p), span: p.span };
        if (p.name === "None" || p.name === "null") return { kind: "Absent", value: p.name, span: p.span };
        throw this.unresolved(p, `the pattern \`${p.name}\` was not resolved`);
      }
    }
  }

  private args(args: A.CallExpr["args"]): IrArg[] {
    return args.map((a) =>
      a.kind === "NamedArg"
        ? { name: a.name.name, nameSpan: a.name.span, value: this.expr(a.value) }
        : { value: this.expr(a) },
    );
  }

  private ifExpr(e: A.IfExpr): IrIfExpr {
    return {
      kind: "IfExpr",
      condition: this.expr(e.condition),
      then: this.block(e.then),
      else: e.else.kind === "IfExpr" ? this.ifExpr(e.else) : this.block(e.else),
      span: e.span,
    };
  }

  expr(e: A.Expr): IrExpr {
    switch (e.kind) {
      case "String":
        return { kind: "String", value: e.value, span: e.span };
      case "Number":
        return { kind: "Number", value: e.value, isFloat: e.isFloat, raw: e.raw, span: e.span };
      case "Bool":
        return { kind: "Bool", value: e.value, span: e.span };
      case "Duration":
        return { kind: "Duration", millis: e.millis, span: e.span };
      case "Identifier":
        return { kind: "Name", name: e.name, ref: this.ref(e), span: e.span };
      case "Paren":
        return this.expr(e.expr);
      case "Array":
        return { kind: "Array", elements: e.elements.map((x) => this.expr(x)), span: e.span };
      case "Record":
      case "TypeLiteral":
        return {
          kind: "Record",
          ...(e.kind === "TypeLiteral" ? { typeName: e.typeName.name } : {}),
          fields: e.fields.map((f) => ({
            key: f.key.kind === "Identifier" ? f.key.name : f.key.value,
            value: this.expr(f.value),
          })),
          span: e.span,
        };
      case "Binary":
        return { kind: "Binary", op: e.op, left: this.expr(e.left), right: this.expr(e.right), span: e.span };
      case "Unary":
        return { kind: "Unary", op: e.op, operand: this.expr(e.operand), span: e.span };
      case "Member":
        return {
          kind: "Member",
          object: this.expr(e.object),
          property: e.property.name,
          propertySpan: e.property.span,
          span: e.span,
        };
      case "Index":
        return { kind: "Index", object: this.expr(e.object), index: this.expr(e.index), span: e.span };
      case "Call": {
        const c = e.callee;
        if (c.kind === "Member")
          return {
            kind: "MethodCall",
            object: this.expr(c.object),
            method: c.property.name,
            methodSpan: c.property.span,
            args: this.args(e.args),
            span: e.span,
          };
        return { kind: "Call", callee: this.expr(c), args: this.args(e.args), span: e.span };
      }
      case "Lambda":
        return { kind: "Lambda", params: e.params.map((p) => this.local(p)), body: this.expr(e.body), span: e.span };
      case "IfExpr":
        return this.ifExpr(e);
      case "Vault":
        return { kind: "Vault", raw: e.raw, span: e.span };
      case "Setting":
        throw this.unresolved(e, "a `name = value` setting belongs in a policy's `require: [...]` list");
      case "Error":
        throw this.unresolved(e, "this part of the program did not parse");
    }
  }
}

/**
 * The IR of one agent. `rel` maps a checker file name to the project-relative path the bundle
 * records. Returns the IR, or the diagnostics of the names that did not resolve.
 */
export function lowerAgentIR(
  info: AgentInfo,
  res: CheckResult,
  rel: (file: string) => string,
): { ir: AgentIR; diagnostics: [] } | { ir?: undefined; diagnostics: Diagnostic[] } {
  const l = new Lowering(res);
  try {
    const functions: IrFunction[] = [];
    const own = [...(res.env.agentFunctions.get(info.name)?.values() ?? [])];
    for (const f of [...res.env.functions.values(), ...own]) functions.push(l.function(f, rel(f.file)));
    l.at(info.file);
    const agent = info.node;
    const params = (agent.params ?? []).map((p, i) => ({
      local: l.param(p, info.params[i]!.symbolId),
      optional: isOptionType(p.type),
      type: stripComments(p.type),
      span: p.span,
    }));
    const withBlocks = agent.members
      .filter((m): m is A.WithBlock => m.kind === "With")
      .map((w) => ({ kind: "With" as const, body: l.block(w.body), span: w.span }));
    const types: AgentIR["types"] = [];
    for (const [, d] of res.env.typeDecls) types.push({ ...stripComments(d.node), file: rel(d.file) });
    types.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.span.start - b.span.start));
    const ir: AgentIR = {
      format: IR_FORMAT,
      sourceFile: rel(info.file),
      agent: {
        name: info.name,
        params,
        ...(agent.returnType ? { returnType: stripComments(agent.returnType) } : {}),
        capabilities: [...info.capabilities],
        withBlocks,
        span: agent.span,
      },
      functions,
      types,
      slots: l.slotCount,
    };
    return { ir, diagnostics: [] };
  } catch (e) {
    if (!(e instanceof Unresolved)) throw e;
    return {
      diagnostics: [
        diagnostic({
          code: "E0620",
          message: `${e.message}: the agent's code cannot be compiled`,
          file: rel(e.file),
          span: e.node.span,
          help: "fix the errors `symbic check` reports first",
        }),
      ],
    };
  }
}
