/**
 * Incremental re-parsing (the language server, on every edit): only the top-level items an edit
 * touches are lexed and parsed again; every other item keeps its nodes — the items after the
 * edit moved, in place, to their new positions — so results keyed by those nodes (the checker's
 * per-item results, compiler/check/project.ts) stay valid.
 *
 * The result is the parse `parseText` gives for the new text, node for node and span for span
 * (test/grammar/incremental.test.ts checks that on random edits). The region is re-parsed on its
 * own only where that cannot differ from parsing the whole text; otherwise the whole text is
 * parsed, as before:
 * - the previous parse has no syntax error outside the region (errors elsewhere may have been
 *   recovered by looking at tokens that the edit changed, and the "one error per unclosed block"
 *   rule reads the whole file);
 * - the region's brackets balance exactly when they did before (an unbalanced file turns on the
 *   parser's layout recovery for every item, grammar/parser.ts);
 * - nothing in the region depended on where it ends (a string left open, recovery at its end)
 *   and it ends with a `}` before the next item, which starts its own line;
 * - the item before the region ends with `}`, or is followed by a top-level keyword before and
 *   after the edit (its parse may have looked one token ahead).
 *
 * The previous parse is consumed: the nodes it shares with the new one have moved. It is marked
 * superseded (`isSuperseded`) so that holders of it (an older document version in the language
 * server) know its positions no longer match its text.
 */
import type { TokenType } from "chevrotain";
import type { Comment, Node, Program } from "./ast.js";
import type { Span } from "./span.js";
import { MAX_SOURCE_BYTES, parseRange, parseText, type ParseResult } from "./index.js";
import { TOP_LEVEL_STARTS, bracketsBalanced } from "./parser.js";
import { scan } from "./scanner.js";
import { capDiagnostics } from "./diagnostic-cap.js";
import { VISITOR_KEYS } from "./visit.js";
import { attachComments } from "./comments.js";
import * as T from "./tokens.js";

/**
 * How positions moved between two versions of a text: everything at or after offset `from` of
 * the old text moved by `offset` characters and `line` lines; positions on line `fromLine` (of
 * the old text) after `from` also moved by `col` columns.
 */
export interface PositionShift {
  from: number;
  offset: number;
  line: number;
  fromLine: number;
  col: number;
}

/**
 * The shift that last moved a span. Nodes, comments and checker results share span objects, and
 * each must move once per shift: the mark on the span says it did. (A set of the moved spans
 * cost more than the moving itself: every span after the edit moves.) A symbol key: JSON and
 * key listings do not see it.
 */
const MOVED_BY = Symbol("movedBy");

/** An offset of the old text in the new one (offsets before `from` are unchanged). */
export function movedOffset(shift: PositionShift, offset: number): number {
  return offset >= shift.from ? offset + shift.offset : offset;
}

/** Moves a span in place (once, however often it is reached). */
export function moveSpan(shift: PositionShift, span: Span): void {
  const marked = span as Span & { [MOVED_BY]?: PositionShift };
  if (marked[MOVED_BY] === shift) return;
  marked[MOVED_BY] = shift;
  if (span.start >= shift.from) {
    if (span.line === shift.fromLine) span.col += shift.col;
    span.line += shift.line;
    span.start += shift.offset;
  }
  if (span.end >= shift.from) {
    if (span.endLine === shift.fromLine) span.endCol += shift.col;
    span.endLine += shift.line;
    span.end += shift.offset;
  }
}

export interface Reparse {
  parse: ParseResult;
  /**
   * How the kept items after the edit moved; undefined when nothing was kept (the whole text was
   * parsed again) or nothing moved.
   */
  shift?: PositionShift;
  /** Whether items of the previous parse were kept (their nodes are in the new parse). */
  incremental: boolean;
  /** Why the text was parsed whole (for tests and logs). */
  whole?: string;
}

const superseded = new WeakSet<ParseResult>();
/** Characters compared at once while looking for the edited region. */
const CHUNK = 512;

/** Whether `parse` was consumed by `reparseText`: some of its nodes now carry positions of a newer text. */
export function isSuperseded(parse: ParseResult): boolean {
  return superseded.has(parse);
}

/** The parse of `text`, re-using the items of `previous` (a parse of an earlier version of it) that an edit left alone. */
export function reparseText(previous: ParseResult, text: string, file: string): Reparse {
  const whole = (why: string): Reparse => ({ parse: parseText(text, file), incremental: false, whole: why });
  const old = previous.text;
  if (superseded.has(previous)) return whole("the previous parse was consumed");
  if (text.length > MAX_SOURCE_BYTES || old.length > MAX_SOURCE_BYTES) return whole("too large");
  if (old === text) return { parse: previous, incremental: true };

  // The one region where the texts differ: old[start, oldEnd) became text[start, newEnd).
  // Compared in chunks first (a native comparison each), then character by character.
  const max = Math.min(old.length, text.length);
  let start = 0;
  while (start + CHUNK <= max && old.slice(start, start + CHUNK) === text.slice(start, start + CHUNK)) start += CHUNK;
  while (start < max && old.charCodeAt(start) === text.charCodeAt(start)) start++;
  let oldEnd = old.length;
  let newEnd = text.length;
  while (
    oldEnd - CHUNK >= start &&
    newEnd - CHUNK >= start &&
    old.slice(oldEnd - CHUNK, oldEnd) === text.slice(newEnd - CHUNK, newEnd)
  ) {
    oldEnd -= CHUNK;
    newEnd -= CHUNK;
  }
  while (oldEnd > start && newEnd > start && old.charCodeAt(oldEnd - 1) === text.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }

  // The items the edit touches are re-parsed with the gaps around them: from the end of the last
  // item before the edit to the start of the first item after it.
  const items = previous.program.items;
  let before = -1; // index of the last item ending before the edit
  let after = items.length; // index of the first item starting after it
  {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.span.end < start) lo = mid + 1;
      else hi = mid;
    }
    before = lo - 1;
    lo = before + 1;
    hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.span.start <= oldEnd) lo = mid + 1;
      else hi = mid;
    }
    after = lo;
  }
  const L = before >= 0 ? items[before] : undefined;
  const U = after < items.length ? items[after] : undefined;
  const r0 = L ? L.span.end : 0;
  const r1Old = U ? U.span.start : old.length;
  const r1New = U ? r1Old + (text.length - old.length) : text.length;

  for (const d of previous.diagnostics)
    if ((L && d.span.start <= r0) || (U && d.span.start >= r1Old))
      return whole("a syntax error outside the edited items");
  if (U && !firstOnItsLine(old, r1Old)) return whole("the next item does not start its line");

  // What the previous parse saw in the region: whether its brackets balanced, its first token.
  const oldRegion = scan(old, {
    range: { start: r0, end: r1Old, line: L ? L.span.endLine : 1, col: L ? L.span.endCol : 1 },
  });
  const oldUnbalanced = !bracketsBalanced(oldRegion.tokens);
  const oldFirst = oldRegion.tokens[0]?.tokenType;

  // The region is parsed with a copy of the token that follows it (the next item's keyword), so
  // look-ahead and the layout rules see what they see in the whole text.
  let next: { type: TokenType; image: string } | undefined;
  if (U) {
    const t = scan(text, { range: { start: r1New, end: Math.min(text.length, r1New + 32), line: 1, col: 1 } })
      .tokens[0];
    if (!t || t.startOffset !== r1New) return whole("no token after the region");
    next = { type: t.tokenType, image: t.image };
  }
  const region = parseRange(text, file, {
    start: r0,
    end: r1New,
    line: L ? L.span.endLine : 1,
    col: L ? L.span.endCol : 1,
    ...(next ? { next } : {}),
  });
  if (region.reachedEnd) return whole("the region's parse depends on where it ends");
  if (region.omittedProblems > 0 || region.stoppedAt) return whole("too many syntax errors in the region");
  if (region.unbalanced !== oldUnbalanced) return whole("the bracket balance changed");
  if (region.lastTokenEnd !== undefined && region.lastTokenEnd > r1New) return whole("a token runs past the region");
  if (U && region.lastToken !== undefined && region.lastToken !== T.RBrace)
    return whole("the region does not end with `}`");
  if (L && old.charCodeAt(r0 - 1) !== 125 /* } */) {
    const startsItem = (t: TokenType | undefined) => t === undefined || TOP_LEVEL_STARTS.has(t);
    if (!startsItem(region.firstToken) || !startsItem(oldFirst)) return whole("the item before the region may read on");
  }

  // Accepted: from here on the previous parse is consumed.
  superseded.add(previous);
  // The previous comments before, in and after the region (sorted by position; found before anything moves).
  const oldComments = previous.program.comments;
  const firstAtOrAfter = (offset: number) => {
    let lo = 0;
    let hi = oldComments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (oldComments[mid]!.span.start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const commentsBefore = oldComments.slice(0, firstAtOrAfter(r0));
  const commentsAfter = oldComments.slice(firstAtOrAfter(r1Old));
  // The previous region's comments were attached to the items around it (or inside it).
  if (L?.trailingComments) {
    const kept = L.trailingComments.filter((c) => c.span.start < r0);
    if (kept.length) L.trailingComments = kept;
    else delete L.trailingComments;
  }
  if (U?.leadingComments) {
    const kept = U.leadingComments.filter((c) => c.span.start >= r1Old);
    if (kept.length) U.leadingComments = kept;
    else delete U.leadingComments;
  }

  let shift: PositionShift | undefined;
  if (U && (r1New !== r1Old || region.endLine !== U.span.line || region.endCol !== U.span.col)) {
    shift = {
      from: r1Old,
      offset: r1New - r1Old,
      line: region.endLine - U.span.line,
      fromLine: U.span.line,
      col: region.endCol - U.span.col,
    };
    for (let i = after; i < items.length; i++) moveTree(items[i]!, shift);
  }
  if (shift) for (const c of commentsAfter) moveSpan(shift, c.span);
  const comments: Comment[] = [...commentsBefore, ...region.comments, ...commentsAfter];

  const span: Span = U
    ? { ...previous.program.span, end: text.length }
    : { start: 0, end: text.length, line: 1, col: 1, endLine: region.endLine, endCol: region.endCol };
  if (U && shift) {
    if (span.endLine === shift.fromLine) span.endCol += shift.col;
    span.endLine += shift.line;
  }
  const program: Program = {
    kind: "Program",
    items: [...items.slice(0, before + 1), ...region.items, ...items.slice(after)],
    comments,
    span,
  };
  attachComments(program, text, region.comments);
  // Capped as parseText caps them (every syntax diagnostic of the file is in the region).
  const parse: ParseResult = {
    program,
    diagnostics: capDiagnostics(region.diagnostics),
    text,
    hadBom: previous.hadBom,
  };
  return { parse, incremental: true, ...(shift ? { shift } : {}) };
}

/** Moves every span of a kept item (its nodes and attached comments). */
function moveTree(root: Node, shift: PositionShift): void {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    moveSpan(shift, node.span);
    if (node.leadingComments) for (const c of node.leadingComments) moveSpan(shift, c.span);
    if (node.trailingComments) for (const c of node.trailingComments) moveSpan(shift, c.span);
    if (node.innerComments) for (const c of node.innerComments) moveSpan(shift, c.span);
    const rec = node as unknown as Record<string, unknown>;
    for (const key of VISITOR_KEYS[node.kind]) {
      const v = rec[key];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c === "object") stack.push(c as Node);
      } else if (v && typeof v === "object") stack.push(v as Node);
    }
  }
}

/** Whether only spaces and tabs stand between the line break before `offset` and it. */
function firstOnItsLine(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return true;
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
