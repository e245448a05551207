/**
 * The agent IR (`agent.ir.json`, docs/bundle.md): the code `symbi exec` interprets, written by
 * `symbic build` from the checker's resolved program (compiler/emit/ir.ts).
 *
 * It is not the syntax tree: every name already points at what the checker resolved it to, so
 * the interpreter resolves nothing.
 *
 * - A use of a name is a `Name` node whose `ref` says what it is: a local (a variable,
 *   parameter, loop or catch binder, pattern binding or lambda parameter, identified by a
 *   `slot` unique within the IR), a function of the project, a tool, a builtin function, a
 *   builtin value (`None`, `null`), a trusted record or a memory store.
 * - A declaration (`let`, parameters, binders) carries the slot it introduces. Slots are unique
 *   per declaration, so shadowing needs no name lookup.
 * - `break;` / `continue;` are statements; `(e)` is just `e`; `catch (K e)` names its error kind.
 * - Spans stay on every node (runtime errors point at DSL lines); comments are gone.
 *
 * Types of the agent's inputs keep their declared form (`TypeRef`, `TypeDef`): they describe
 * data the runtime validates, and every type name in them is one the checker resolved to a
 * built-in or to a declaration in `types`.
 */
import type { AssignOp, BinaryOp, Span, TypeDef, TypeRef, UnaryOp } from "../grammar/ast.js";
import type { TrustedRecord } from "../stdlib/trusted-records.js";

export const IR_FORMAT = "symbi-ir/v2";
/** Earlier IR formats: refused with a message that says to rebuild. */
export const OLD_IR_FORMATS: readonly string[] = ["symbi-ir/v1"];

export type Ref =
  | { to: "local"; slot: number }
  | { to: "function"; fn: string }
  | { to: "tool"; tool: string }
  | { to: "builtin"; builtin: string }
  | { to: "value"; value: "None" | "null" }
  | { to: "trusted"; record: TrustedRecord }
  | { to: "memory"; memory: string };

interface At {
  span: Span;
}

/** A declaration: the name as written and the slot it introduces. */
export interface IrLocal extends At {
  name: string;
  slot: number;
}

export type IrExpr =
  | IrString
  | IrNumber
  | IrBool
  | IrDuration
  | IrName
  | IrArray
  | IrRecord
  | IrBinary
  | IrUnary
  | IrMember
  | IrIndex
  | IrCall
  | IrMethodCall
  | IrLambda
  | IrIfExpr
  | IrVault;

export interface IrString extends At {
  kind: "String";
  value: string;
}
export interface IrNumber extends At {
  kind: "Number";
  value: number;
  isFloat: boolean;
  raw: string;
}
export interface IrBool extends At {
  kind: "Bool";
  value: boolean;
}
export interface IrDuration extends At {
  kind: "Duration";
  millis: number;
}
export interface IrName extends At {
  kind: "Name";
  /** As written (messages only). */
  name: string;
  ref: Ref;
}
export interface IrArray extends At {
  kind: "Array";
  elements: IrExpr[];
}
/** A record literal; `typeName` for a type literal `T { .. }`. */
export interface IrRecord extends At {
  kind: "Record";
  typeName?: string;
  fields: Array<{ key: string; value: IrExpr }>;
}
export interface IrBinary extends At {
  kind: "Binary";
  op: BinaryOp;
  left: IrExpr;
  right: IrExpr;
}
export interface IrUnary extends At {
  kind: "Unary";
  op: UnaryOp;
  operand: IrExpr;
}
export interface IrMember extends At {
  kind: "Member";
  object: IrExpr;
  property: string;
  propertySpan: Span;
}
export interface IrIndex extends At {
  kind: "Index";
  object: IrExpr;
  index: IrExpr;
}
export interface IrArg {
  /** For `name = value` arguments. */
  name?: string;
  nameSpan?: Span;
  value: IrExpr;
}
/** A call of a resolved name (`f(x)`, `tool(x)`, `len(x)`, a closure in a local) or of a computed value. */
export interface IrCall extends At {
  kind: "Call";
  callee: IrExpr;
  args: IrArg[];
}
/** `x.m(..)`: a function stored in the record field `m`, else the builtin method `m` of the receiver's kind. */
export interface IrMethodCall extends At {
  kind: "MethodCall";
  object: IrExpr;
  method: string;
  methodSpan: Span;
  args: IrArg[];
}
export interface IrLambda extends At {
  kind: "Lambda";
  params: IrLocal[];
  body: IrExpr;
}
export interface IrIfExpr extends At {
  kind: "IfExpr";
  condition: IrExpr;
  then: IrBlock;
  else: IrBlock | IrIfExpr;
}
export interface IrVault extends At {
  kind: "Vault";
  raw: string;
}

export interface IrBlock extends At {
  kind: "Block";
  statements: IrStmt[];
  /** The block's value: the trailing expression (a trailing if/match/try statement's value otherwise). */
  tail?: IrExpr;
}

export type IrStmt = IrLet | IrAssign | IrReturn | IrIf | IrFor | IrMatch | IrTry | IrExprStmt | IrBreak | IrContinue;

export interface IrLet extends At {
  kind: "Let";
  local: IrLocal;
  init: IrExpr;
}
export type IrAssignTarget = IrName | IrMember | IrIndex;
export interface IrAssign extends At {
  kind: "Assign";
  target: IrAssignTarget;
  op: AssignOp;
  value: IrExpr;
  /** `x = v` where no `x` is in scope: the assignment declares `x` (the language allows it, W0101). */
  declares?: boolean;
}
export interface IrReturn extends At {
  kind: "Return";
  value?: IrExpr;
}
export interface IrIf extends At {
  kind: "If";
  condition: IrExpr | IrLetCondition;
  then: IrBlock;
  else?: IrBlock | IrIf;
}
export interface IrLetCondition extends At {
  kind: "LetCondition";
  pattern: IrPattern;
  value: IrExpr;
}
/** `if let` patterns. */
export type IrPattern =
  | (At & { kind: "Wildcard" })
  | (At & { kind: "Bind"; local: IrLocal })
  | (At & { kind: "Constructor"; name: "Some" | "Ok" | "Err" | "None"; args: IrPattern[] });
export interface IrFor extends At {
  kind: "For";
  binder: IrLocal;
  iterable: IrExpr;
  body: IrBlock;
}
/** `match` arm patterns. */
export type IrArmPattern =
  | (At & { kind: "Wildcard" })
  | (At & { kind: "Literal"; value: string | boolean | number; isFloat?: boolean })
  | (At & { kind: "Bind"; local: IrLocal })
  | (At & { kind: "Absent"; value: "None" | "null" });
export interface IrMatch extends At {
  kind: "Match";
  scrutinee: IrExpr;
  arms: Array<{ pattern: IrArmPattern; body: IrExpr | IrBlock; span: Span }>;
}
export interface IrTry extends At {
  kind: "Try";
  body: IrBlock;
  /** `errorKind`: the error kind a `catch (K e)` catches (`Error` catches every error); absent: every error. */
  catches: Array<{ errorKind?: string; binder: IrLocal; body: IrBlock; span: Span }>;
}
export interface IrExprStmt extends At {
  kind: "ExprStmt";
  expr: IrExpr;
}
export interface IrBreak extends At {
  kind: "Break";
}
export interface IrContinue extends At {
  kind: "Continue";
}

export interface IrParam extends At {
  local: IrLocal;
  /** Declared `Option<..>`/`Maybe<..>`: may be left out by a caller (it is then `None`). */
  optional: boolean;
}

export interface IrFunction extends At {
  /** The key `Ref.fn` names (the checker's symbol id). */
  id: string;
  name: string;
  /** Project-relative file the spans point into. */
  file: string;
  params: IrParam[];
  /** Falling off the end returns `None` (the declared return type is an Option). */
  returnsOption: boolean;
  body: IrBlock;
}

export interface IrWithBlock extends At {
  kind: "With";
  body: IrBlock;
}

export interface IrAgent extends At {
  name: string;
  params: Array<IrParam & { type: TypeRef }>;
  returnType?: TypeRef;
  /** The names listed in `capabilities = [..]`. */
  capabilities: string[];
  withBlocks: IrWithBlock[];
}

export interface AgentIR {
  format: typeof IR_FORMAT;
  /** The agent's source file (project-relative): the agent's spans point into it. */
  sourceFile: string;
  agent: IrAgent;
  functions: IrFunction[];
  /** The project's type declarations (inputs are validated against them), each with its file. */
  types: Array<TypeDef & { file: string }>;
  /** How many slots the IR's declarations use (`IrLocal.slot` < slots). */
  slots: number;
}

const NODE_KINDS: ReadonlySet<string> = new Set([
  "String",
  "Number",
  "Bool",
  "Duration",
  "Name",
  "Array",
  "Record",
  "Binary",
  "Unary",
  "Member",
  "Index",
  "Call",
  "MethodCall",
  "Lambda",
  "IfExpr",
  "Vault",
  "Block",
  "Let",
  "Assign",
  "Return",
  "If",
  "LetCondition",
  "For",
  "Match",
  "Try",
  "ExprStmt",
  "Break",
  "Continue",
  "Wildcard",
  "Bind",
  "Constructor",
  "Literal",
  "Absent",
  "With",
]);

const REF_FIELDS: Record<Ref["to"], string> = {
  local: "slot",
  function: "fn",
  tool: "tool",
  builtin: "builtin",
  value: "value",
  trusted: "record",
  memory: "memory",
};

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Why a parsed `agent.ir.json` is not an IR this runtime can run, or undefined. Every node must
 * be a known kind with a span, every reference a known kind, every slot within `slots`, every
 * function reference a function of the IR — so the interpreter never meets a shape it does not
 * know. Type declarations (`types`, parameter and return types) are data, not code: they are
 * checked by the input validator.
 */
export function irProblem(ir: unknown): string | undefined {
  if (!isObj(ir)) return "it is not a JSON object";
  if (OLD_IR_FORMATS.includes(ir.format as string))
    return `it has the older format ${JSON.stringify(ir.format)}; rebuild the bundle with this version's symbic build`;
  if (ir.format !== IR_FORMAT) return `its format must be ${JSON.stringify(IR_FORMAT)}`;
  if (typeof ir.sourceFile !== "string") return '"sourceFile" must be a path';
  if (typeof ir.slots !== "number" || !Number.isSafeInteger(ir.slots) || ir.slots < 0) return '"slots" must be a count';
  if (!Array.isArray(ir.functions) || !Array.isArray(ir.types) || !isObj(ir.agent))
    return '"agent", "functions" and "types" are required';
  const slots = ir.slots;
  const fnIds = new Set<string>();
  for (const f of ir.functions) {
    if (!isObj(f) || typeof f.id !== "string" || typeof f.name !== "string" || typeof f.file !== "string")
      return "every function needs id, name and file";
    if (fnIds.has(f.id)) return `function ${JSON.stringify(f.id)} is defined twice`;
    fnIds.add(f.id);
  }
  const a = ir.agent;
  if (
    typeof a.name !== "string" ||
    !Array.isArray(a.params) ||
    !Array.isArray(a.withBlocks) ||
    !Array.isArray(a.capabilities)
  )
    return "the agent needs name, params, capabilities and withBlocks";
  let problem: string | undefined;
  const walk = (v: unknown, path: string, depth: number): void => {
    if (problem !== undefined) return;
    if (depth > 4000) {
      problem = `${path} is nested too deeply`;
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
      return;
    }
    if (!isObj(v)) return;
    if (typeof v.kind === "string") {
      if (!NODE_KINDS.has(v.kind)) {
        problem = `${path} has the unknown node kind ${JSON.stringify(v.kind)}`;
        return;
      }
      const s = v.span;
      if (!isObj(s) || typeof s.line !== "number" || typeof s.col !== "number") {
        problem = `${path} has no source span`;
        return;
      }
      if (v.kind === "Name") {
        const r = v.ref;
        const field = isObj(r) ? REF_FIELDS[r.to as Ref["to"]] : undefined;
        if (!isObj(r) || field === undefined || r[field] === undefined) {
          problem = `${path} has no valid reference`;
          return;
        }
        if (r.to === "function" && !fnIds.has(r.fn as string)) problem = `${path} refers to a function the IR lacks`;
        if (
          r.to === "local" &&
          !(Number.isSafeInteger(r.slot) && (r.slot as number) >= 0 && (r.slot as number) < slots)
        )
          problem = `${path} refers to slot ${String(r.slot)}, outside the IR's ${slots}`;
      }
    }
    if (typeof v.slot === "number" && !(Number.isSafeInteger(v.slot) && v.slot >= 0 && v.slot < slots)) {
      problem = `${path} declares slot ${v.slot}, outside the IR's ${slots}`;
      return;
    }
    for (const [k, x] of Object.entries(v))
      if (k !== "span" && k !== "type" && k !== "returnType") walk(x, `${path}.${k}`, depth + 1);
  };
  walk(a.withBlocks, "agent.withBlocks", 0);
  walk(a.params, "agent.params", 0);
  ir.functions.forEach((f, i) => walk(f, `functions[${i}]`, 0));
  return problem;
}
