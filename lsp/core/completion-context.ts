/**
 * What can be typed at a position, worked out from the tokens before it. Half-typed code rarely
 * parses, but its tokens are always there: a stack of open brackets, each classified by what
 * opened it (an agent body, a policy body, a statement block, a record, a declarative block, an
 * argument list...), and the tokens of the current item or statement inside the innermost one,
 * are enough to say "a top-level keyword", "a `with` attribute value for `sandbox`", "a type",
 * "a member of the expression before this dot", and so on.
 */
import type { IToken } from "chevrotain";
import type { SourceDocument } from "./document.js";

export type DeclKind =
  "metadata" | "schedule" | "channel" | "memory" | "webhook" | "search" | "filter" | "data_classification";

type FrameKind =
  "top" | "agent" | "policy" | "block" | "matchArms" | "record" | "struct" | "decl" | "paren" | "bracket";

/** A token, or a closed bracket pair standing for everything inside it. */
interface Unit {
  tok: IToken;
  closed?: Frame;
}

interface Frame {
  kind: FrameKind;
  decl?: DeclKind;
  open?: IToken;
  /** The parent's segment when this frame was opened (its "header": `agent x(...)`, `if cond`). */
  header: Unit[];
  /** Units of the current item / statement / entry inside this frame. */
  units: Unit[];
  /** The previous statement was an `if` (or `else if`) whose block just closed: `else` may follow. */
  afterIf?: boolean;
}

import type { PolicyVerb } from "../../grammar/ast.js";

export type CompletionContext =
  | { kind: "none" }
  | { kind: "topLevel" }
  | { kind: "agentItem" }
  | { kind: "policyVerb"; alsoGuard: boolean }
  | { kind: "policyAction"; verb: PolicyVerb; inString: boolean }
  | { kind: "statement"; afterIf: boolean }
  | { kind: "expression"; policyGuard: boolean }
  | { kind: "member"; dot: number }
  | { kind: "type" }
  | { kind: "withAttrName"; used: string[] }
  | { kind: "withAttrValue"; attr: string; inString: boolean }
  | { kind: "declKey"; decl: DeclKind; used: string[] }
  | { kind: "declValue"; decl: DeclKind; key: string; inString: boolean }
  | { kind: "recordField"; typeName: string | undefined; used: string[] }
  /** A key of the record of a `require:` or `audit:` rule (the checker's settings schema). */
  | { kind: "settingKey"; verb: "require" | "audit" };

export interface CompletionSite {
  context: CompletionContext;
  /** The word being typed (possibly empty) and where it starts; completions replace it. */
  prefix: string;
  prefixStart: number;
  /** For a string being typed: the whole string token (completions replace it, quotes included). */
  stringToken?: { start: number; end: number; text: string };
}

const TOP_WORDS = new Set([
  "metadata",
  "agent",
  "policy",
  "type",
  "function",
  "schedule",
  "channel",
  "memory",
  "webhook",
]);
const DECL_WORDS = new Set<DeclKind>(["metadata", "schedule", "channel", "memory", "webhook"]);
const VERBS = new Set<string>(["allow", "deny", "require", "audit"]);
const WORD = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Statements that end with a block (no `;`): closing that block ends the statement. */
const STATEMENT_HEADS = new Set(["if", "else", "for", "match", "try", "catch"]);

const img = (u: Unit | undefined) => (u && !u.closed ? u.tok.image : undefined);
const isWord = (u: Unit | undefined) => !!u && !u.closed && WORD.test(u.tok.image);

/** How the `{` after `units` (the parent's current segment) opens, by the parent's kind. */
function classifyBrace(parent: Frame, units: Unit[]): { kind: FrameKind; decl?: DeclKind } {
  const first = img(units[0]);
  switch (parent.kind) {
    case "top":
      if (first === "agent") return { kind: "agent" };
      if (first === "policy") return { kind: "policy" };
      if (first === "type") return { kind: "struct" };
      if (first && DECL_WORDS.has(first as DeclKind)) return { kind: "decl", decl: first as DeclKind };
      return { kind: "block" };
    case "agent":
      if (first === "policy") return { kind: "policy" };
      return { kind: "block" };
    case "decl":
      if (parent.decl === "channel" && first === "policy") return { kind: "policy" };
      if (parent.decl === "channel" && first === "data_classification")
        return { kind: "decl", decl: "data_classification" };
      if (parent.decl === "memory" && first === "search") return { kind: "decl", decl: "search" };
      if (parent.decl === "webhook" && first === "filter") return { kind: "decl", decl: "filter" };
      return { kind: "record" };
    case "struct":
      return { kind: "record" };
    default:
      return { kind: expressionBrace(parent, units) };
  }
}

/** In code: is this `{` a block (if/for/match body, else, try, catch), match arms, or a record? */
function expressionBrace(parent: Frame, units: Unit[]): FrameKind {
  const last = units[units.length - 1];
  const lastImg = img(last);
  if (lastImg === "else" || lastImg === "try") return "block";
  if (lastImg === "=>" && parent.kind === "matchArms") return "block";
  if (last?.closed?.kind === "paren" && img(last.closed.header[last.closed.header.length - 1]) === "catch")
    return "block";
  // The first `{` after an `if` / `for` / `match` header at this level opens its body.
  for (let i = units.length - 1; i >= 0; i--) {
    const u = units[i]!;
    if (u.closed && u.closed.kind !== "paren" && u.closed.kind !== "bracket") break;
    const w = img(u);
    if (w === "match") return "matchArms";
    if (w === "if" || w === "for") return "block";
  }
  return "record";
}

/** Whether closing a child frame ends the parent's current item or statement. */
function endsSegment(parent: Frame, closed: Frame): boolean {
  switch (parent.kind) {
    case "top":
      return closed.open?.image === "{";
    case "agent":
      return closed.open?.image === "{" || (closed.kind === "bracket" && img(parent.units[0]) === "capabilities");
    case "decl":
      return closed.open?.image === "{" && closed.kind !== "record";
    case "block":
      return (
        (closed.kind === "block" || closed.kind === "matchArms") && STATEMENT_HEADS.has(img(closed.header[0]) ?? "")
      );
    case "matchArms":
      return closed.kind === "block";
    default:
      return false;
  }
}

/** Scans the tokens before `end` into a frame stack. */
function framesBefore(tokens: IToken[], end: number): Frame[] {
  const stack: Frame[] = [{ kind: "top", header: [], units: [] }];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startOffset >= end) break;
    const top = stack[stack.length - 1]!;
    const image = t.image;
    if (image === "{" || image === "(" || image === "[") {
      const c =
        image === "{" ? classifyBrace(top, top.units) : { kind: (image === "(" ? "paren" : "bracket") as FrameKind };
      const frame: Frame = { kind: c.kind, open: t, header: top.units, units: [] };
      if ("decl" in c && c.decl) frame.decl = c.decl;
      stack.push(frame);
      continue;
    }
    if (image === "}" || image === ")" || image === "]") {
      const want = image === "}" ? "{" : image === ")" ? "(" : "[";
      let j = stack.length - 1;
      while (j > 0 && stack[j]!.open?.image !== want) j--;
      if (j === 0) continue; // stray closer
      const closed = stack[j]!;
      stack.length = j;
      const parent = stack[j - 1]!;
      parent.units = [...closed.header, { tok: closed.open!, closed }];
      parent.afterIf = false;
      if (endsSegment(parent, closed)) {
        parent.afterIf =
          closed.header.some((u) => img(u) === "if") && img(closed.header[closed.header.length - 1]) !== "else";
        parent.units = [];
      }
      continue;
    }
    // Separators that end an item or entry.
    if (image === ";" && (top.kind === "block" || top.kind === "top" || top.kind === "agent")) {
      top.units = [];
      continue;
    }
    if (
      image === "," &&
      (top.kind === "record" ||
        top.kind === "paren" ||
        top.kind === "bracket" ||
        top.kind === "decl" ||
        top.kind === "matchArms" ||
        top.kind === "struct") &&
      !inOpenGeneric(top.units)
    ) {
      top.units = [];
      continue;
    }
    if (top.kind === "policy" && VERBS.has(image) && tokens[i + 1]?.image === ":") top.units = [];
    if (
      top.kind === "top" &&
      TOP_WORDS.has(image) &&
      img(top.units[0]) === "type" &&
      top.units.length >= 4 &&
      img(top.units[top.units.length - 1]) !== "<"
    )
      top.units = [];
    top.units.push({ tok: t });
    top.afterIf = false;
  }
  return stack;
}

function lastIndexOf(units: Unit[], image: string): number {
  for (let i = units.length - 1; i >= 0; i--) if (img(units[i]) === image) return i;
  return -1;
}

/** Whether the units end inside `Name<...` of a type being written (a `,` there separates type arguments). */
function inOpenGeneric(units: Unit[]): boolean {
  let depth = 0;
  for (let i = units.length - 1; i >= 0; i--) {
    const w = img(units[i]);
    if (w === ">") depth--;
    else if (w === "<") {
      if (depth === 0) return isWord(units[i - 1]) && typeStartBefore(units, i - 1) !== undefined;
      depth++;
    } else if (w === ":" || w === "->" || w === "=") return false;
  }
  return false;
}

/**
 * Scanning back over what can be part of a type (names, `<`, `>`, `,`) from `end` (exclusive):
 * the token that starts the type (`:`, `->` or the `=` of a type alias), if any.
 */
function typeStartBefore(units: Unit[], end: number): { at: number; image: string } | undefined {
  for (let i = end - 1; i >= 0; i--) {
    const w = img(units[i]);
    if (w === ":" || w === "->" || w === "=") return { at: i, image: w };
    if (!(isWord(units[i]) || w === "<" || w === ">" || w === ",")) return undefined;
  }
  return undefined;
}

/** Whether the units end where a type is expected: after `x:` in parameters or fields, `->`, inside `<...>`. */
function inTypePosition(frame: Frame, units: Unit[]): boolean {
  const last = img(units[units.length - 1]);
  if (last !== ":" && last !== "->" && last !== "<" && last !== "," && last !== "=") return false;
  if (last === "<" && !isWord(units[units.length - 2])) return false;
  if (last === "," && !inOpenGeneric(units)) return false;
  const start =
    last === ":" || last === "->" || last === "="
      ? { at: units.length - 1, image: last }
      : typeStartBefore(units, units.length);
  if (!start) return false;
  if (start.image === "->") return frame.kind === "paren" ? false : true;
  if (start.image === "=") return frame.kind === "top" && img(units[0]) === "type" && start.at === 2;
  // `:` starts a type in parameter lists of agents and functions and in struct fields.
  if (frame.kind === "struct") return true;
  if (frame.kind === "paren") {
    const kw = img(frame.header[frame.header.length - 2]);
    return (kw === "agent" || kw === "function") && start.at === 1;
  }
  return false;
}

function withHeaderContext(units: Unit[], inString: boolean): CompletionContext {
  // units[0] is `with`; attributes are `name = value`, commas optional.
  const rest = units.slice(1).filter((u) => img(u) !== ",");
  const used: string[] = [];
  for (let i = 0; ; i += 3) {
    const name = rest[i];
    if (!name) return { kind: "withAttrName", used };
    if (!rest[i + 1]) return { kind: "none" };
    if (img(rest[i + 1]) !== "=") return { kind: "none" };
    if (!rest[i + 2])
      return isWord(name) ? { kind: "withAttrValue", attr: name.tok.image, inString } : { kind: "none" };
    used.push(name.tok.image);
  }
}

function declContext(frame: Frame, units: Unit[], inString: boolean): CompletionContext {
  const decl = frame.decl!;
  const juxtaposed = decl === "memory" || decl === "webhook" || decl === "search" || decl === "filter";
  const valueAt = juxtaposed ? 1 : 2;
  const used: string[] = [];
  if (units.length === valueAt && isWord(units[0]) && decl !== "data_classification")
    return { kind: "declValue", decl, key: units[0]!.tok.image, inString };
  if (decl === "data_classification" && units.length === 2 && img(units[1]) === ":")
    return { kind: "declValue", decl, key: units[0]!.tok.image, inString };
  if (units.length === 0 || units.length > valueAt) return { kind: "declKey", decl, used };
  return { kind: "none" };
}

function policyContext(units: Unit[], prefixOnNewLine: boolean): CompletionContext {
  const verb = img(units[0]);
  if (!verb || !VERBS.has(verb) || img(units[1]) !== ":") return { kind: "policyVerb", alsoGuard: false };
  if (units.length === 2) return { kind: "policyAction", verb: verb as PolicyVerb, inString: false };
  const ifAt = lastIndexOf(units, "if");
  const last = units[units.length - 1];
  const endsExpr = !!last && (last.closed !== undefined || /^[A-Za-z0-9_"]/.test(last.tok.image)) && img(last) !== "if";
  if (endsExpr && prefixOnNewLine) return { kind: "policyVerb", alsoGuard: ifAt < 0 };
  if (ifAt >= 0) return { kind: "expression", policyGuard: true };
  if (endsExpr) return { kind: "policyVerb", alsoGuard: true };
  return { kind: "expression", policyGuard: false };
}

export function completionSite(doc: SourceDocument, offset: number): CompletionSite {
  const text = doc.text;
  // The word being typed ends at the cursor.
  let prefixStart = offset;
  while (prefixStart > 0 && /[A-Za-z0-9_]/.test(text[prefixStart - 1]!)) prefixStart--;
  const prefix = text.slice(prefixStart, offset);
  const none: CompletionSite = { context: { kind: "none" }, prefix, prefixStart };

  const index = doc.localTokens(offset);
  const where = index.inCommentOrString(offset);
  if (where === "comment") return none;
  let stringToken: CompletionSite["stringToken"];
  let scanEnd = prefixStart;
  if (where === "string") {
    const t = index.tokenAt(offset)!;
    stringToken = { start: t.startOffset, end: t.endOffset! + 1, text: t.image };
    scanEnd = t.startOffset;
  }
  // A number being typed is not a name.
  if (/^[0-9]/.test(prefix)) return none;

  const stack = framesBefore(index.tokens, scanEnd);
  const frame = stack[stack.length - 1]!;
  const units = frame.units;
  const last = units[units.length - 1];
  const lastImg = img(last);
  const inString = stringToken !== undefined;
  const prefixOnNewLine =
    !!last && doc.lineMap.position(last.tok.endOffset! + 1).line < doc.lineMap.position(scanEnd).line;
  const site = (context: CompletionContext): CompletionSite =>
    stringToken ? { context, prefix, prefixStart, stringToken } : { context, prefix, prefixStart };

  if (!inString && lastImg === "." && last!.tok.endOffset! + 1 === prefixStart)
    return site({ kind: "member", dot: last!.tok.startOffset });
  if (inString) {
    // Strings complete only as `with` values, declarative values and action names.
    if (frame.kind === "agent" && img(units[0]) === "with") {
      const c = withHeaderContext(units, true);
      return c.kind === "withAttrValue" ? site(c) : none;
    }
    if (frame.kind === "decl") {
      const c = declContext(frame, units, true);
      return c.kind === "declValue" ? site(c) : none;
    }
    if (frame.kind === "policy" || (frame.kind === "bracket" && stack[stack.length - 2]?.kind === "policy")) {
      const pu = frame.kind === "policy" ? units : stack[stack.length - 2]!.units;
      const verb = img(pu[0]);
      if (verb && (verb === "allow" || verb === "deny") && (pu.length === 2 || frame.kind === "bracket"))
        return site({ kind: "policyAction", verb, inString: true });
    }
    return none;
  }
  if (inTypePosition(frame, units)) return site({ kind: "type" });

  switch (frame.kind) {
    case "top":
      if (units.length === 0) return site({ kind: "topLevel" });
      return none;
    case "agent":
      if (units.length === 0) return site({ kind: "agentItem" });
      if (img(units[0]) === "with") return site(withHeaderContext(units, false));
      return none;
    case "policy":
      return site(policyContext(units, prefixOnNewLine));
    case "decl":
      return site(declContext(frame, units, false));
    case "struct":
      return none;
    case "record": {
      // `Type { field: ... }` or `{ key: ... }`: a key position offers the type's fields.
      const colon = lastIndexOf(units, ":");
      if (colon < 0 && units.length === 0) {
        const rule = stack[stack.length - 2];
        const verb = rule?.kind === "policy" ? img(rule.units[0]) : undefined;
        if (verb === "require" || verb === "audit") return site({ kind: "settingKey", verb });
        const h = frame.header;
        const typeName =
          isWord(h[h.length - 1]) && /^[A-Z]/.test(h[h.length - 1]!.tok.image) ? h[h.length - 1]!.tok.image : undefined;
        return site({ kind: "recordField", typeName, used: [] });
      }
      return site({ kind: "expression", policyGuard: false });
    }
    case "block": {
      if (units.length === 0) return site({ kind: "statement", afterIf: frame.afterIf === true });
      if (lastImg === "let" || (img(units[0]) === "let" && units.length === 1)) return none;
      if (img(units[0]) === "for" && units.length === 1) return none;
      return site({ kind: "expression", policyGuard: false });
    }
    case "matchArms":
      return site({ kind: "expression", policyGuard: false });
    case "paren": {
      const h = frame.header;
      const kw = img(h[h.length - 2]);
      if ((kw === "agent" || kw === "function") && units.length === 0) return none; // a parameter name
      if (img(h[h.length - 1]) === "catch") return none;
      return site({ kind: "expression", policyGuard: isPolicyGuard(stack) });
    }
    case "bracket": {
      const parent = stack[stack.length - 2];
      if (parent?.kind === "policy") {
        const verb = img(parent.units[0]);
        if ((verb === "allow" || verb === "deny") && parent.units.length === 2)
          return site({ kind: "policyAction", verb, inString: false });
      }
      if (parent?.kind === "agent" && img(parent.units[0]) === "capabilities") return none;
      if (parent?.kind === "agent" && img(parent.units[0]) === "with") return none;
      return site({ kind: "expression", policyGuard: isPolicyGuard(stack) });
    }
  }
  return none;
}

function isPolicyGuard(stack: Frame[]): boolean {
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i]!;
    if (f.kind === "policy") return true;
    if (f.kind === "block" || f.kind === "top" || f.kind === "agent") return false;
  }
  return false;
}

/** For signature help: the innermost open `(` before `offset` whose header ends in a callee, and the argument index. */
export function enclosingCall(
  doc: SourceDocument,
  offset: number,
): { open: number; calleeEnd: number; argIndex: number; namedArg?: string } | undefined {
  const index = doc.localTokens(offset);
  const stack = framesBefore(index.tokens, offset);
  for (let i = stack.length - 1; i >= 1; i--) {
    const f = stack[i]!;
    if (f.kind !== "paren") {
      if (f.kind === "block" || f.kind === "agent" || f.kind === "policy") return undefined;
      continue;
    }
    const h = f.header;
    const callee = h[h.length - 1];
    const beforeCallee = img(h[h.length - 2]);
    if (!callee || beforeCallee === "function" || beforeCallee === "agent" || img(callee) === "catch") return undefined;
    if (!(isWord(callee) || callee.closed)) continue; // grouping parentheses
    // Count top-level commas inside this frame: its units were reset at each comma, so count them from the tokens.
    let argIndex = 0;
    let depth = 0;
    let namedArg: string | undefined;
    let lastWord: string | undefined;
    for (let k = index.indexAfter(f.open!.startOffset + 1); k < index.tokens.length; k++) {
      const t = index.tokens[k]!;
      if (t.startOffset <= f.open!.startOffset) continue;
      if (t.startOffset >= offset) break;
      if (t.image === "(" || t.image === "[" || t.image === "{") depth++;
      else if (t.image === ")" || t.image === "]" || t.image === "}") depth--;
      else if (depth === 0 && t.image === ",") {
        argIndex++;
        namedArg = undefined;
        lastWord = undefined;
      } else if (depth === 0 && (t.image === "=" || t.image === ":") && lastWord && namedArg === undefined)
        namedArg = lastWord;
      if (depth === 0) lastWord = WORD.test(t.image) ? t.image : undefined;
    }
    const out: { open: number; calleeEnd: number; argIndex: number; namedArg?: string } = {
      open: f.open!.startOffset,
      calleeEnd: callee.closed ? callee.closed.open!.startOffset : callee.tok.endOffset! + 1,
      argIndex,
    };
    if (namedArg) out.namedArg = namedArg;
    return out;
  }
  return undefined;
}
