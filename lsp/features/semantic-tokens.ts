/**
 * Semantic tokens: what each word *is*, which the TextMate grammar cannot know — contextual
 * keywords (`agent agent {}`), declarations versus uses, parameters versus variables, built-ins
 * (`defaultLibrary`), policy binders. Comments, strings, numbers and operators are included so
 * that editors without the TextMate grammar still get full highlighting.
 *
 * Classification: every Identifier node of the AST is classified by its position (and, for
 * names used in expressions, by what it resolves to); a keyword-looking token that the AST does
 * not hold as an identifier is a keyword.
 */
import type { IToken } from "chevrotain";
import type { SemanticTokens, SemanticTokensLegend } from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import { VISITOR_KEYS } from "../../grammar/visit.js";
import * as T from "../../grammar/tokens.js";
import { scan } from "../../grammar/scanner.js";
import {
  BUILTIN_FUNCTIONS,
  BUILTIN_TYPES,
  BUILTIN_VALUES,
  BUILTIN_GROUPS,
  BUILTIN_ACTIONS,
} from "../../stdlib/index.js";
import type { SymbolInfo } from "../../compiler/check/symbols.js";
import type { SourceDocument } from "../core/document.js";
import type { CheckView } from "../core/semantic.js";

export const TOKEN_TYPES = [
  "namespace",
  "type",
  "struct",
  "class",
  "parameter",
  "variable",
  "property",
  "function",
  "method",
  "keyword",
  "comment",
  "string",
  "number",
  "operator",
  "event",
  "enumMember",
] as const;
export const TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary"] as const;

type TokenType = (typeof TOKEN_TYPES)[number];
type Modifier = (typeof TOKEN_MODIFIERS)[number];

export const SEMANTIC_TOKENS_LEGEND: SemanticTokensLegend = {
  tokenTypes: [...TOKEN_TYPES],
  tokenModifiers: [...TOKEN_MODIFIERS],
};

const TYPE_INDEX = new Map<string, number>(TOKEN_TYPES.map((t, i) => [t, i]));
const MOD_BIT = new Map<string, number>(TOKEN_MODIFIERS.map((m, i) => [m, 1 << i]));

interface Classified {
  type: TokenType;
  mods: Modifier[];
}

const ok = (n: unknown): n is A.Node =>
  !!n && typeof n === "object" && typeof (n as A.Node).kind === "string" && (n as A.Node).kind !== "Error";

/** Keys whose Identifier child is a name being used (an expression), per parent kind. */
const EXPR_KEYS: Partial<Record<A.NodeKind, ReadonlySet<string>>> = {
  Binary: new Set(["left", "right"]),
  Unary: new Set(["operand"]),
  Member: new Set(["object"]),
  Call: new Set(["callee", "args"]),
  Index: new Set(["object", "index"]),
  RecordField: new Set(["value"]),
  Array: new Set(["elements"]),
  Lambda: new Set(["body"]),
  IfExpr: new Set(["condition"]),
  Paren: new Set(["expr"]),
  ExprStmt: new Set(["expr"]),
  Let: new Set(["init"]),
  Assign: new Set(["target", "value"]),
  Return: new Set(["value"]),
  If: new Set(["condition"]),
  For: new Set(["iterable"]),
  Match: new Set(["scrutinee"]),
  MatchArm: new Set(["body"]),
  PolicyRule: new Set(["action", "scope", "guard"]),
  NamedArg: new Set(["value"]),
  Setting: new Set(["value"]),
  LetCondition: new Set(["value"]),
  Block: new Set(["tail"]),
};

/** Whether an identifier at `parent[key]` is a name used as an expression. */
function isReferencePosition(parent: A.Node | undefined, key: string): boolean {
  return parent ? (EXPR_KEYS[parent.kind]?.has(key) ?? false) : false;
}

/** How a name the checker resolved is shown. */
function fromSymbol(s: SymbolInfo, declaration: boolean, callee: boolean): Classified | undefined {
  const mods: Modifier[] = declaration ? ["declaration"] : [];
  switch (s.kind) {
    case "agent":
      return { type: "class", mods };
    case "function":
    case "tool":
      return { type: "function", mods };
    case "type":
      return { type: "type", mods };
    case "memory":
      return { type: "variable", mods: [...mods, "readonly"] };
    case "param":
      return { type: "parameter", mods };
    case "binder":
      return { type: "parameter", mods: [...mods, "readonly"] };
    case "variable":
      return { type: callee ? "function" : "variable", mods };
    case "builtin":
      return callee ? { type: "function", mods: ["defaultLibrary"] } : undefined;
    case "group":
    case "action":
      return { type: "event", mods: ["defaultLibrary"] };
    case "capability":
      return { type: "enumMember", mods: [] };
    case "field":
      return { type: "property", mods: [] };
    case "policy":
      return { type: "namespace", mods: [] };
    default:
      return undefined;
  }
}

/** Classification of every identifier under `root`, keyed by start offset. */
function classifyIdentifiers(root: A.Node, view: CheckView | undefined): Map<number, Classified> {
  const out = new Map<number, Classified>();
  const put = (id: unknown, c: Classified) => {
    if (ok(id) && id.kind === "Identifier" && id.name) out.set(id.span.start, c);
  };
  const decl = (type: TokenType, extra: Modifier[] = []): Classified => ({ type, mods: ["declaration", ...extra] });

  type Frame = [A.Node, A.Node | undefined, string];
  const stack: Frame[] = [[root, undefined, ""]];
  while (stack.length > 0) {
    const [node, parent, key] = stack.pop()!;
    if (!ok(node)) continue;
    switch (node.kind) {
      case "Agent":
        put(node.name, decl("class"));
        break;
      case "Function":
        put(node.name, decl("function"));
        break;
      case "Param":
        put(node.name, decl("parameter"));
        break;
      case "TypeDef":
        put(node.name, decl(ok(node.definition) && node.definition.kind === "StructType" ? "struct" : "type"));
        break;
      case "TypeRef":
        put(node.name, {
          type: "type",
          mods: ok(node.name) && BUILTIN_TYPES.has((node.name as A.Identifier).name) ? ["defaultLibrary"] : [],
        });
        break;
      case "FieldDecl":
        put(node.name, decl("property"));
        break;
      case "Policy":
        put(node.name, decl("namespace"));
        break;
      case "Schedule":
      case "Channel":
      case "Webhook":
        put(node.name, decl("namespace"));
        break;
      case "Memory":
        put(node.name, decl("variable", ["readonly"]));
        break;
      case "Property":
        put(node.key, { type: "property", mods: [] });
        break;
      case "WithAttribute":
        put(node.name, { type: "property", mods: [] });
        break;
      case "ClassificationRule":
        put(node.category, { type: "property", mods: [] });
        put(node.action, { type: "enumMember", mods: [] });
        break;
      case "Let":
        put(node.name, decl("variable"));
        break;
      case "For":
        put(node.binder, decl("variable"));
        break;
      case "Catch":
        put(node.binder, decl("variable"));
        put(node.errorType, { type: "type", mods: [] });
        break;
      case "Lambda":
        for (const p of node.params ?? []) put(p, decl("parameter"));
        break;
      case "BindingPattern":
        put(node.name, decl("variable"));
        break;
      case "ConstructorPattern":
        put(node.name, { type: "function", mods: BUILTIN_FUNCTIONS.has(node.name?.name) ? ["defaultLibrary"] : [] });
        break;
      case "Member": {
        const isCallee = parent?.kind === "Call" && key === "callee";
        put(node.property, { type: isCallee ? "method" : "property", mods: [] });
        break;
      }
      case "NamedArg":
        put(node.name, { type: "parameter", mods: [] });
        break;
      case "RecordField":
        if (ok(node.key) && node.key.kind === "Identifier") put(node.key, { type: "property", mods: [] });
        break;
      case "TypeLiteral":
        put(node.typeName, { type: "type", mods: [] });
        break;
      case "Setting":
        put(node.name, { type: "property", mods: [] });
        break;
      case "Identifier": {
        if (!isReferencePosition(parent, key)) break;
        if (out.has(node.span.start)) break;
        const isCallee = parent?.kind === "Call" && key === "callee";
        // What the checker resolved the name to (its scopes; no second resolver here).
        const sid = view?.resolvedId(node);
        const symbol = sid === undefined ? undefined : view!.symbols.get(sid);
        const c = symbol && fromSymbol(symbol, symbol.span?.start === node.span.start, isCallee);
        if (c) out.set(node.span.start, c);
        else if (BUILTIN_FUNCTIONS.has(node.name) && (isCallee || parent?.kind === "PolicyRule"))
          out.set(node.span.start, { type: "function", mods: ["defaultLibrary"] });
        else if (BUILTIN_VALUES.has(node.name))
          out.set(node.span.start, { type: "variable", mods: ["readonly", "defaultLibrary"] });
        else if (parent?.kind === "PolicyRule" && (BUILTIN_GROUPS.has(node.name) || BUILTIN_ACTIONS.has(node.name)))
          out.set(node.span.start, { type: "event", mods: ["defaultLibrary"] });
        else if (isCallee) out.set(node.span.start, { type: "function", mods: [] });
        else out.set(node.span.start, { type: "variable", mods: [] });
        break;
      }
      default:
        break;
    }
    const rec = node as unknown as Record<string, unknown>;
    const kids: Frame[] = [];
    for (const k of VISITOR_KEYS[node.kind] ?? []) {
      const v = rec[k];
      if (Array.isArray(v)) {
        for (const c of v) if (ok(c)) kids.push([c, node, k]);
      } else if (ok(v)) kids.push([v, node, k]);
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}

const KEYWORD_TYPES = new Set<string>(Object.values(T.KEYWORDS).map((t) => t.name));

function tokenClass(t: IToken, ids: Map<number, Classified>): Classified | undefined {
  const byAst = ids.get(t.startOffset);
  if (byAst) return byAst;
  const tt = t.tokenType;
  if (KEYWORD_TYPES.has(tt.name)) return { type: "keyword", mods: [] };
  if (tt === T.StringLiteral || tt === T.UnterminatedString || tt === T.VaultRefToken)
    return { type: "string", mods: [] };
  if (tt === T.NumberLiteral || tt === T.DurationLiteral) return { type: "number", mods: [] };
  if (tt === T.IdentifierToken) return undefined; // a name the AST does not hold (syntax error): leave it to the grammar
  if (/^[=!<>&|+\-*/%]+$|^=>$|^->$/.test(t.image)) return { type: "operator", mods: [] };
  return undefined;
}

/**
 * The tokens of `text[from, to)` — one top-level item, or the text between two — as flat
 * quintuples (line, character, length, type, modifiers), lines and characters 0-based and
 * relative to `origin` (the position of `from`): the line counted from `origin.line`, the
 * character from `origin.col` on that first line. A token spanning lines (a multi-line string)
 * is split into one per line, as the protocol requires.
 */
function rangeTokens(
  text: string,
  from: number,
  to: number,
  origin: { line: number; col: number },
  ids: Map<number, Classified> | undefined,
): number[] {
  const scanned = scan(text, { range: { start: from, end: to, line: origin.line, col: origin.col } });
  const items: Array<[IToken, Classified]> = [];
  const none = new Map<number, Classified>();
  for (const t of scanned.tokens) {
    const c = tokenClass(t, ids ?? none);
    if (c) items.push([t, c]);
  }
  for (const c of scanned.comments) items.push([c, { type: "comment", mods: [] }]);
  items.sort((a, b) => a[0].startOffset - b[0].startOffset);
  const out: number[] = [];
  for (const [t, c] of items) {
    let mods = 0;
    for (const m of c.mods) mods |= MOD_BIT.get(m) ?? 0;
    const type = TYPE_INDEX.get(c.type)!;
    let line = t.startLine! - origin.line;
    let char = line === 0 ? t.startColumn! - origin.col : t.startColumn! - 1;
    let s = t.startOffset;
    const end = t.endOffset! + 1;
    while (s < end) {
      // one piece per line, without its line terminator
      let e = s;
      while (e < end && text.charCodeAt(e) !== 10 && text.charCodeAt(e) !== 13) e++;
      if (e > s) out.push(line, char, e - s, type, mods);
      if (e >= end) break;
      e += text.charCodeAt(e) === 13 && text.charCodeAt(e + 1) === 10 ? 2 : 1;
      s = e;
      line++;
      char = 0;
    }
  }
  return out;
}

/**
 * Tokens of a top-level item, cached on the item node and on what the checker said about it
 * (`itemResultKey`): an edit re-computes the items it touched only; the others, moved or not,
 * are re-used (their positions are kept relative to the item's start).
 */
const itemCache = new WeakMap<A.Item, { key: object | null; tokens: number[] }>();

function itemTokens(doc: SourceDocument, item: A.Item, view: CheckView | undefined): number[] {
  const key = view?.itemResultKey(item) ?? null;
  const hit = itemCache.get(item);
  if (hit && hit.key === key) return hit.tokens;
  const tokens = rangeTokens(
    doc.text,
    item.span.start,
    item.span.end,
    { line: item.span.line, col: item.span.col },
    classifyIdentifiers(item, view),
  );
  itemCache.set(item, { key, tokens });
  return tokens;
}

/** Every token of the document, in order, as absolute quintuples (0-based line and character). */
function documentTokens(doc: SourceDocument, view: CheckView | undefined): number[] {
  const out: number[] = [];
  const add = (rel: number[], origin: { line: number; col: number }) => {
    for (let i = 0; i < rel.length; i += 5) {
      const line = rel[i]!;
      out.push(
        origin.line - 1 + line,
        line === 0 ? origin.col - 1 + rel[i + 1]! : rel[i + 1]!,
        rel[i + 2]!,
        rel[i + 3]!,
        rel[i + 4]!,
      );
    }
  };
  let pos = 0;
  let at = { line: 1, col: 1 };
  for (const item of doc.program.items) {
    if (!ok(item)) continue;
    if (item.span.start > pos) add(rangeTokens(doc.text, pos, item.span.start, at, undefined), at);
    add(itemTokens(doc, item, view), { line: item.span.line, col: item.span.col });
    pos = item.span.end;
    at = { line: item.span.endLine, col: item.span.endCol };
  }
  if (pos < doc.text.length) add(rangeTokens(doc.text, pos, doc.text.length, at, undefined), at);
  return out;
}

export function semanticTokens(
  doc: SourceDocument,
  /** The checker's view, when it describes exactly this document's tree. */
  view?: CheckView,
  /** Only the tokens of this range (offsets). */
  range?: { start: number; end: number },
): SemanticTokens {
  const all = documentTokens(doc, view);
  const first = range ? doc.lineMap.position(range.start) : undefined;
  const last = range ? doc.lineMap.position(range.end) : undefined;
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  for (let i = 0; i < all.length; i += 5) {
    const line = all[i]!;
    const char = all[i + 1]!;
    const length = all[i + 2]!;
    if (first && last) {
      // Outside the range: ends before its start or starts at or after its end.
      if (line + 1 < first.line || (line + 1 === first.line && char + length <= first.col - 1)) continue;
      if (line + 1 > last.line || (line + 1 === last.line && char >= last.col - 1)) continue;
    }
    data.push(line - prevLine, line === prevLine ? char - prevChar : char, length, all[i + 3]!, all[i + 4]!);
    prevLine = line;
    prevChar = char;
  }
  return { data };
}

/**
 * The edits that turn `previous` token data into `next` (`semanticTokens/full/delta`): after an
 * edit the encoded data differ in a short stretch only (the encoding is relative), so one edit
 * replaces what lies between their common start and common end.
 */
export function semanticTokensEdits(
  previous: readonly number[],
  next: readonly number[],
): Array<{ start: number; deleteCount: number; data: number[] }> {
  // Whole tokens (five integers each) are compared, from both ends.
  const same = (i: number, j: number) => {
    for (let k = 0; k < 5; k++) if (previous[i + k] !== next[j + k]) return false;
    return true;
  };
  let start = 0;
  const max = Math.min(previous.length, next.length);
  while (start < max && same(start, start)) start += 5;
  if (start === previous.length && start === next.length) return [];
  let endPrev = previous.length;
  let endNext = next.length;
  while (endPrev > start && endNext > start && same(endPrev - 5, endNext - 5)) {
    endPrev -= 5;
    endNext -= 5;
  }
  return [{ start, deleteCount: endPrev - start, data: next.slice(start, endNext) }];
}

/** Decodes the protocol's relative encoding (for tests and debugging). */
export function decodeSemanticTokens(
  data: number[],
  legend: SemanticTokensLegend = SEMANTIC_TOKENS_LEGEND,
): Array<{ line: number; char: number; length: number; type: string; modifiers: string[] }> {
  const out = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i + 4 < data.length + 1; i += 5) {
    const dl = data[i]!;
    line += dl;
    char = dl === 0 ? char + data[i + 1]! : data[i + 1]!;
    const mods = data[i + 4]!;
    out.push({
      line,
      char,
      length: data[i + 2]!,
      type: legend.tokenTypes[data[i + 3]!]!,
      modifiers: legend.tokenModifiers.filter((_, b) => mods & (1 << b)),
    });
  }
  return out;
}
