/**
 * The Symbiont AST. It is our own tree, not tree-sitter's CST: binary and unary operators are
 * real nodes, every node has a span, and comments are kept (in `Program.comments`, and attached
 * to the nearest list-level node as `leadingComments` / `trailingComments`, see comments.ts).
 *
 * Conventions:
 * - `kind` discriminates every node. Node kinds are unique across the whole tree.
 * - Optional children are `undefined` when absent (never `null`), so JSON output omits them.
 * - A node that the parser had to recover from holds an `ErrorNode` where a child is missing.
 */
import type { Span } from "./span.js";

export type { Span } from "./span.js";

export interface Comment {
  kind: "Comment";
  /** `//` or `#`. */
  style: "//" | "#";
  /** Full comment text including its marker, without the line terminator. */
  text: string;
  span: Span;
}

export interface NodeBase {
  span: Span;
  leadingComments?: Comment[];
  trailingComments?: Comment[];
  /** Comments inside an otherwise empty container (`{ // nothing yet }`). */
  innerComments?: Comment[];
}

/** Placeholder the parser inserts where it recovered from a syntax error. */
export interface ErrorNode extends NodeBase {
  kind: "Error";
}

// ---------------------------------------------------------------------------------------------
// Program and declarations
// ---------------------------------------------------------------------------------------------

export interface Program extends NodeBase {
  kind: "Program";
  items: Item[];
  /** Every comment of the file, in source order. */
  comments: Comment[];
}

export type Item =
  MetadataBlock | AgentDef | PolicyDef | TypeDef | FunctionDef | ScheduleDef | ChannelDef | MemoryDef | WebhookDef;

export interface Identifier extends NodeBase {
  kind: "Identifier";
  name: string;
}

/** Key/value separator as written; `null` where the construct juxtaposes key and value. */
export type Separator = "=" | ":" | null;

/**
 * A literal-valued entry of a declarative block (metadata, schedule, channel, memory, webhook,
 * search, filter). Values are never general expressions.
 */
export interface Property extends NodeBase {
  kind: "Property";
  key: Identifier;
  separator: Separator;
  value: DeclValue;
  /** Whether a `,` followed the entry in the source (kept for faithful formatting). */
  comma: boolean;
}

/** What declarative positions accept: literals, identifiers, arrays, and (metadata only) records. */
export type DeclValue = Literal | Identifier | ArrayExpr | RecordExpr | ErrorNode;

export interface MetadataBlock extends NodeBase {
  kind: "Metadata";
  entries: Property[];
}

export interface AgentDef extends NodeBase {
  kind: "Agent";
  name: Identifier;
  /** `undefined` when the agent has no parameter list at all (`agent x {}`). */
  params?: Param[];
  returnType?: TypeRef;
  members: AgentMember[];
}

export type AgentMember = CapabilitiesDecl | PolicyDef | FunctionDef | WithBlock;

export interface CapabilitiesDecl extends NodeBase {
  kind: "Capabilities";
  separator: "=" | ":";
  list: ArrayExpr;
}

export interface PolicyDef extends NodeBase {
  kind: "Policy";
  name: Identifier;
  rules: PolicyRule[];
}

export type PolicyVerb = "allow" | "deny" | "require" | "audit";

export interface PolicyRule extends NodeBase {
  kind: "PolicyRule";
  verb: PolicyVerb;
  /** The action pattern (allow/deny) or the requirement / audit setting (require/audit). */
  action: Expr;
  /** `require: X for Y` (our addition): the actions the requirement applies to. */
  scope?: Expr;
  /** `if <guard>`. */
  guard?: Expr;
}

export interface FunctionDef extends NodeBase {
  kind: "Function";
  name: Identifier;
  params: Param[];
  returnType?: TypeRef;
  body: Block;
}

export interface Param extends NodeBase {
  kind: "Param";
  name: Identifier;
  type: TypeRef;
}

export interface WithBlock extends NodeBase {
  kind: "With";
  attributes: WithAttribute[];
  body: Block;
}

export interface WithAttribute extends NodeBase {
  kind: "WithAttribute";
  name: Identifier;
  /** Literal, identifier or array; `500.milliseconds`-style member values are a syntax error. */
  value: DeclValue;
  comma: boolean;
}

export interface TypeDef extends NodeBase {
  kind: "TypeDef";
  name: Identifier;
  /**
   * A struct (`{ a: int }`) or an alias of a plain type name (`= Other`); an Error node where the
   * parser recovered (`type S = { a }`): the name stays declared, its meaning unknown.
   */
  definition: StructType | TypeRef | ErrorNode;
}

export interface StructType extends NodeBase {
  kind: "StructType";
  fields: FieldDecl[];
}

export interface FieldDecl extends NodeBase {
  kind: "FieldDecl";
  name: Identifier;
  type: TypeRef;
}

/** `String`, `int`, `Foo`, `List<T>`, `Map<K, V>`. */
export interface TypeRef extends NodeBase {
  kind: "TypeRef";
  name: Identifier;
  args: TypeRef[];
}

export interface ScheduleDef extends NodeBase {
  kind: "Schedule";
  name: Identifier;
  entries: Property[];
}

export interface ChannelDef extends NodeBase {
  kind: "Channel";
  name: Identifier;
  members: ChannelMember[];
}

export type ChannelMember = Property | PolicyDef | DataClassification;

export interface DataClassification extends NodeBase {
  kind: "DataClassification";
  rules: ClassificationRule[];
}

export interface ClassificationRule extends NodeBase {
  kind: "ClassificationRule";
  category: Identifier;
  action: Identifier;
  comma: boolean;
}

export interface MemoryDef extends NodeBase {
  kind: "Memory";
  name: Identifier;
  members: Array<Property | SubBlock>;
}

export interface WebhookDef extends NodeBase {
  kind: "Webhook";
  name: Identifier;
  members: Array<Property | SubBlock>;
}

/** `search { ... }` inside memory, `filter { ... }` inside webhook. */
export interface SubBlock extends NodeBase {
  kind: "SubBlock";
  keyword: "search" | "filter";
  entries: Property[];
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

export interface Block extends NodeBase {
  kind: "Block";
  statements: Stmt[];
  /**
   * The trailing expression without `;`, the block's value. A trailing `if`/`match` statement
   * is kept in `statements`; its value is the block's value too (see LANGUAGE.md §1.4.2).
   */
  tail?: Expr;
}

export type Stmt = LetStmt | AssignStmt | ReturnStmt | IfStmt | ForStmt | MatchStmt | TryStmt | ExprStmt;

export interface LetStmt extends NodeBase {
  kind: "Let";
  name: Identifier;
  init: Expr;
}

export type AssignOp = "=" | "+=" | "-=" | "*=" | "/=" | "%=";

export interface AssignStmt extends NodeBase {
  kind: "Assign";
  /** An Identifier, Member or Index expression (anything else is reported by the parser). */
  target: Expr;
  op: AssignOp;
  value: Expr;
}

export interface ReturnStmt extends NodeBase {
  kind: "Return";
  value?: Expr;
}

/** `if` as a statement. The same shape is used for `if` expressions (`IfExpr`). */
export interface IfStmt extends NodeBase {
  kind: "If";
  condition: Expr | LetCondition;
  then: Block;
  else?: Block | IfStmt;
}

/** `if let Some(x) = value`. */
export interface LetCondition extends NodeBase {
  kind: "LetCondition";
  pattern: Pattern;
  value: Expr;
}

/** `IDENT`, `IDENT(p, ...)` or `_`. */
export type Pattern = BindingPattern | ConstructorPattern | WildcardPattern;

export interface BindingPattern extends NodeBase {
  kind: "BindingPattern";
  name: Identifier;
}

export interface ConstructorPattern extends NodeBase {
  kind: "ConstructorPattern";
  name: Identifier;
  args: Pattern[];
}

export interface WildcardPattern extends NodeBase {
  kind: "WildcardPattern";
}

export interface ForStmt extends NodeBase {
  kind: "For";
  binder: Identifier;
  iterable: Expr;
  body: Block;
}

export interface MatchStmt extends NodeBase {
  kind: "Match";
  scrutinee: Expr;
  arms: MatchArm[];
}

export interface MatchArm extends NodeBase {
  kind: "MatchArm";
  /** String, Number or Bool literal, an identifier, or `_` (WildcardPattern). */
  pattern: StringLit | NumberLit | BoolLit | Identifier | WildcardPattern;
  body: Expr | Block;
  comma: boolean;
}

export interface TryStmt extends NodeBase {
  kind: "Try";
  body: Block;
  catches: CatchClause[];
}

export interface CatchClause extends NodeBase {
  kind: "Catch";
  /** `catch (APIError e)`: the error type filter. */
  errorType?: Identifier;
  binder: Identifier;
  body: Block;
}

export interface ExprStmt extends NodeBase {
  kind: "ExprStmt";
  expr: Expr;
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

export type Expr =
  | BinaryExpr
  | UnaryExpr
  | MemberExpr
  | CallExpr
  | IndexExpr
  | TypeLiteral
  | RecordExpr
  | ArrayExpr
  | LambdaExpr
  | IfExpr
  | ParenExpr
  | Identifier
  | Literal
  | VaultRef
  | SettingExpr
  | ErrorNode;

export type Literal = StringLit | NumberLit | DurationLit | BoolLit;

export type BinaryOp = "||" | "&&" | "==" | "!=" | "in" | "<" | ">" | "<=" | ">=" | "+" | "-" | "*" | "/" | "%";

export interface BinaryExpr extends NodeBase {
  kind: "Binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
}

export type UnaryOp = "!" | "not" | "-";

export interface UnaryExpr extends NodeBase {
  kind: "Unary";
  op: UnaryOp;
  operand: Expr;
}

export interface MemberExpr extends NodeBase {
  kind: "Member";
  object: Expr;
  property: Identifier;
}

export interface CallExpr extends NodeBase {
  kind: "Call";
  callee: Expr;
  args: Array<Expr | NamedArg>;
}

/** `name = value` or `name: value` in a call's argument list. */
export interface NamedArg extends NodeBase {
  kind: "NamedArg";
  name: Identifier;
  separator: "=" | ":";
  value: Expr;
}

export interface IndexExpr extends NodeBase {
  kind: "Index";
  object: Expr;
  index: Expr;
}

/** `TypeName { field: value, ... }`. */
export interface TypeLiteral extends NodeBase {
  kind: "TypeLiteral";
  typeName: Identifier;
  fields: RecordField[];
}

export interface RecordExpr extends NodeBase {
  kind: "Record";
  fields: RecordField[];
}

export interface RecordField extends NodeBase {
  kind: "RecordField";
  key: Identifier | StringLit;
  value: Expr;
}

export interface ArrayExpr extends NodeBase {
  kind: "Array";
  elements: Expr[];
}

/** `x => body` (the reference's lambda) or `|a, b| body` (our closure addition). */
export interface LambdaExpr extends NodeBase {
  kind: "Lambda";
  style: "arrow" | "closure";
  params: Identifier[];
  body: Expr;
}

/** `if c { a } else { b }` used as an expression (the `else` is mandatory). */
export interface IfExpr extends NodeBase {
  kind: "IfExpr";
  condition: Expr;
  then: Block;
  else: Block | IfExpr;
}

export interface ParenExpr extends NodeBase {
  kind: "Paren";
  expr: Expr;
}

export interface StringLit extends NodeBase {
  kind: "String";
  /** The source text including quotes. */
  raw: string;
  /** The value with escapes interpreted (`\n`, `\t`, `\r`, `\0`, `\\`, `\"`; others keep the char). */
  value: string;
}

export interface NumberLit extends NodeBase {
  kind: "Number";
  raw: string;
  value: number;
  /** Written with a fractional part (`1.5`). */
  isFloat: boolean;
}

export type DurationUnit = "ms" | "s" | "m" | "h" | "d" | "w" | "months" | "y";

export interface DurationLit extends NodeBase {
  kind: "Duration";
  raw: string;
  /** The count as written (`1.5` in `1.5h`). */
  amount: number;
  unit: DurationUnit;
  /** The duration in milliseconds (months = 30 days, years = 365 days). */
  millis: number;
}

export interface BoolLit extends NodeBase {
  kind: "Bool";
  value: boolean;
}

/** `vault://path/to/secret`. */
export interface VaultRef extends NodeBase {
  kind: "Vault";
  /** The part after `vault://`. */
  path: string;
  raw: string;
}

/** `name = value` inside a `require: [ ... ]` list (our addition, DESIGN §3). */
export interface SettingExpr extends NodeBase {
  kind: "Setting";
  name: Identifier;
  value: Expr;
}

export type Node =
  | Program
  | Item
  | AgentMember
  | Property
  | PolicyRule
  | Param
  | WithAttribute
  | StructType
  | FieldDecl
  | TypeRef
  | DataClassification
  | ClassificationRule
  | SubBlock
  | Block
  | Stmt
  | LetCondition
  | Pattern
  | MatchArm
  | CatchClause
  | Expr
  | NamedArg
  | RecordField;

export type NodeKind = Node["kind"];
