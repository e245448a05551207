/**
 * A tree for half-typed text. The parser recovers from most errors, but an unbalanced bracket
 * (a `{` typed whose `}` is not there yet) makes it give up on the whole file: the AST is empty,
 * and with it the outline, the scopes completion needs, and semantic highlighting. Editors
 * cope by guessing where the missing closers go; so does this module:
 *
 * - before a top-level keyword at the start of a line (`agent`, `policy`, `type`, ...) while
 *   brackets are still open, the missing closers are inserted (the next item starts there);
 * - at the end of the text, an unterminated string is closed and the open brackets too;
 * - when that still does not parse (a header being typed at the end: `for x in`, `catch (`,
 *   `with sandbox = ...` before its block), the unfinished tail after the last `;`, `{` or `}`
 *   before the first error is replaced by the closers instead.
 *
 * The completed text is parsed and every span is mapped back onto the real text (positions
 * after an edit shift back; positions inside one collapse onto the end of what it replaced, so
 * a block left open extends to the end of the text), so the tree can be used with the real
 * document. Diagnostics never come from here: they are the real
 * parse's, the same as `symbic check`.
 */
import type { IToken } from "chevrotain";
import { parseText } from "../../grammar/index.js";
import type { Comment, Program } from "../../grammar/ast.js";
import type { LineMap, Span } from "../../grammar/span.js";
import { walk } from "../../grammar/visit.js";
import * as T from "../../grammar/tokens.js";

const CLOSER: Record<string, string> = { "{": "}", "(": ")", "[": "]" };
const ITEM_WORDS = new Set([
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

/** `text` replaces `deleted` characters at `offset` of the real text. */
export interface Insertion {
  offset: number;
  deleted: number;
  text: string;
}

/** Where closers (and a closing quote) are missing, judged from the tokens of the text up to `end`. */
export function missingClosers(tokens: readonly IToken[], end: number, textLength = end): Insertion[] {
  const out: Insertion[] = [];
  const stack: string[] = [];
  let last: IToken | undefined;
  for (const t of tokens) {
    if (t.startOffset >= end) break;
    last = t;
    const img = t.image;
    const c = CLOSER[img];
    if (c) {
      stack.push(c);
      continue;
    }
    if (img === "}" || img === ")" || img === "]") {
      const i = stack.lastIndexOf(img);
      if (i >= 0) stack.length = i;
      continue;
    }
    if (stack.length > 0 && t.startColumn === 1 && ITEM_WORDS.has(img)) {
      out.push({ offset: t.startOffset, deleted: 0, text: stack.reverse().join("") + "\n" });
      stack.length = 0;
    }
  }
  let tail = "";
  if (last && last.tokenType === T.UnterminatedString && end === textLength) tail += '"';
  if (stack.length) tail += " " + stack.reverse().join("");
  if (tail || end < textLength) out.push({ offset: end, deleted: textLength - end, text: tail });
  return out;
}

/** Maps an offset of the completed text back onto the real text. */
function mapBack(offset: number, insertions: readonly Insertion[]): number {
  let shift = 0; // completed offset - real offset, before the current edit
  for (const ins of insertions) {
    const at = ins.offset + shift; // where the edit sits in the completed text
    if (offset < at) break;
    if (offset < at + ins.text.length) return ins.offset + ins.deleted;
    shift += ins.text.length - ins.deleted;
  }
  return offset - shift;
}

function remap(span: Span, insertions: readonly Insertion[], map: LineMap): void {
  const start = mapBack(span.start, insertions);
  const end = Math.max(start, mapBack(span.end, insertions));
  const s = map.position(start);
  const e = map.position(end);
  span.start = start;
  span.end = end;
  span.line = s.line;
  span.col = s.col;
  span.endLine = e.line;
  span.endCol = e.col;
}

function apply(text: string, insertions: readonly Insertion[]): string {
  let out = "";
  let from = 0;
  for (const ins of insertions) {
    out += text.slice(from, ins.offset) + ins.text;
    from = ins.offset + ins.deleted;
  }
  return out + text.slice(from);
}

/** Parses the completed text and maps its spans back; also says whether it parsed cleanly. */
function attempt(
  text: string,
  uri: string,
  insertions: readonly Insertion[],
  map: LineMap,
): { program: Program; clean: boolean } {
  const r = parseText(apply(text, insertions), uri);
  const program = r.program;
  const seen = new Set<Span>();
  const fix = (span: Span) => {
    if (seen.has(span)) return;
    seen.add(span);
    remap(span, insertions, map);
  };
  walk(program, (n) => fix(n.span));
  for (const c of program.comments as Comment[]) fix(c.span);
  return { program, clean: !r.diagnostics.some((d) => d.severity === "error") };
}

const SAFE_END = new Set([";", "{", "}"]);

/**
 * The tree of the text completed as described above, mapped onto the real text; undefined when
 * nothing can be completed. `firstError` is the offset of the real parse's first error.
 */
export function repairedProgram(
  text: string,
  uri: string,
  tokens: readonly IToken[],
  map: LineMap,
  firstError: number,
): Program | undefined {
  const closers = missingClosers(tokens, text.length);
  const a = closers.length ? attempt(text, uri, closers, map) : undefined;
  if (a?.clean) return a.program;
  // Cut the unfinished tail: after the last `;`, `{` or `}` before the first error.
  let cut = -1;
  for (const t of tokens) {
    if (t.startOffset >= firstError) break;
    if (SAFE_END.has(t.image)) cut = t.endOffset! + 1;
  }
  if (cut < 0 || cut >= text.length) return a?.program;
  const b = attempt(text, uri, missingClosers(tokens, cut, text.length), map);
  if (!a || b.program.items.length >= a.program.items.length) return b.program;
  return a.program;
}
