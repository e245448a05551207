/**
 * The lexer: a hand-written scanner producing chevrotain tokens (the chevrotain parser accepts
 * any token stream) of the types in tokens.ts. It implements the lexical grammar of LANGUAGE.md
 * §1.3, longest-match quirks included (`100ms` is one duration, `2min` is `2m` then `in`), and is
 * about three times faster than a regex lexer, which matters for the front end's throughput.
 * test/grammar/scanner.test.ts pins the token stream on the corpus and on random input.
 */
import type { IToken, TokenType } from "chevrotain";
import * as T from "./tokens.js";
import { countBracket, noBrackets, type BracketCounts } from "./brackets.js";

export interface ScanError {
  offset: number;
  length: number;
  line: number;
  column: number;
}

export interface ScanResult {
  tokens: IToken[];
  comments: IToken[];
  errors: ScanError[];
  /**
   * The brackets of the tokens, counted while scanning (parser.ts's `bracketsBalancedFrom` then
   * needs no pass over the tokens): the final depths of `(`, `[` and `{`, and whether a closer
   * came before its opener.
   */
  brackets: BracketCounts;
  /** The `UnterminatedString` tokens, in order (lexer.ts reports them without a pass over all tokens). */
  unterminated: IToken[];
  /** 1-based line and column just past the end of the text. */
  endLine: number;
  endCol: number;
}

interface Word {
  image: string;
  type: TokenType;
}

/**
 * Every word the scanner has met (keywords up front), with its token type and one shared copy
 * of its text, in an open-addressing hash table keyed by the characters in the source: a word
 * seen before is found without cutting a string out of the text, and tokens and AST share the
 * one copy instead of each holding a fresh string that the garbage collector must copy and
 * promote (a file repeats a few hundred names thousands of times). Bounded: past MAX_WORDS
 * entries (or for long words) a word gets a string of its own, so no input makes the table
 * grow without limit; and a lookup or insertion looks at MAX_PROBES slots at most, so words
 * crafted to share a hash (easy with this hash) cost a few comparisons each, never a walk along
 * a long chain — such a word simply gets a string of its own.
 */
const TABLE_BITS = 15;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const MAX_WORDS = 20_000;
const MAX_SHARED_WORD_LENGTH = 64;
const MAX_PROBES = 8;
const wordTable: Array<Word | undefined> = new Array<Word | undefined>(1 << TABLE_BITS).fill(undefined);
let wordCount = 0;

/** The hash the scanner computes while reading a word (see `scan`). */
function hashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + c) | 0;
}

function hashOf(word: string): number {
  let h = 0;
  for (let i = 0; i < word.length; i++) h = hashStep(h, word.charCodeAt(i));
  return h;
}

/** Stores `w` in the first free slot of its probe window; false when the window is full. */
function insertWord(w: Word, hash: number): boolean {
  for (let k = 0, i = hash & TABLE_MASK; k < MAX_PROBES; k++, i = (i + 1) & TABLE_MASK) {
    if (wordTable[i] === undefined) {
      wordTable[i] = w;
      wordCount++;
      return true;
    }
  }
  return false;
}

// Keywords go in first, into an empty table: each must be findable (a lookup's window).
for (const [w, type] of Object.entries(T.KEYWORDS))
  if (!insertWord({ image: w, type }, hashOf(w))) throw new Error(`keyword \`${w}\` does not fit the word table`);

/** The word `text[start, end)`, whose `hashOf` is `hash`. */
function word(text: string, start: number, end: number, hash: number): Word {
  const length = end - start;
  let free = -1;
  for (let k = 0, i = hash & TABLE_MASK; k < MAX_PROBES; k++, i = (i + 1) & TABLE_MASK) {
    const w = wordTable[i];
    if (w === undefined) {
      free = i;
      break;
    }
    if (w.image.length === length && text.startsWith(w.image, start)) return w;
  }
  const image = text.slice(start, end);
  if (free < 0 || wordCount >= MAX_WORDS || length > MAX_SHARED_WORD_LENGTH) return { image, type: T.IdentifierToken };
  // A copy of its own: a longer slice is a view that would keep the whole source text alive.
  const w: Word = { image: Array.from(image).join(""), type: T.IdentifierToken };
  wordTable[free] = w;
  wordCount++;
  return w;
}

/** Character classes of ASCII (the rest is handled by `isWhitespace` and the error path). */
const WS = 1,
  IDENT_START = 2,
  IDENT_PART = 4;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c === 32 || (c >= 9 && c <= 13)) CHAR_CLASS[c] = WS;
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) CHAR_CLASS[c] = IDENT_START | IDENT_PART;
  if (c >= 48 && c <= 57) CHAR_CLASS[c] = IDENT_PART;
}

const C_NL = 10,
  C_CR = 13,
  C_QUOTE = 34,
  C_BACKSLASH = 92,
  C_SLASH = 47,
  C_HASH = 35;

function isWhitespace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isVaultChar(c: number): boolean {
  return isIdentPart(c) || c === 45 || c === 47 || c === 46;
}

const DURATION_RE = /\d+(?:\.\d+)?(?:\.seconds|\.minutes|\.hours|months|ms|s|m|h|d|w|y)/y;
const NUMBER_RE = /\d+(?:_\d+)*(?:\.\d+)?/y;

/** Two-character operators first (longest match), then one-character ones, by first char. */
const TWO_CHAR = new Map<string, TokenType>([
  ["=>", T.FatArrow],
  ["->", T.ThinArrow],
  ["==", T.EqEq],
  ["!=", T.NotEq],
  ["<=", T.LtEq],
  [">=", T.GtEq],
  ["&&", T.AndAnd],
  ["||", T.OrOr],
  ["+=", T.PlusEq],
  ["-=", T.MinusEq],
  ["*=", T.StarEq],
  ["/=", T.SlashEq],
  ["%=", T.PercentEq],
]);
// A dense array (filled up front) so lookups stay fast element accesses.
const ONE_CHAR: Array<TokenType | undefined> = new Array<TokenType | undefined>(128).fill(undefined);
for (const [ch, tt] of [
  ["=", T.Eq],
  ["<", T.Lt],
  [">", T.Gt],
  ["+", T.Plus],
  ["-", T.Minus],
  ["*", T.Star],
  ["/", T.Slash],
  ["%", T.Percent],
  ["!", T.Bang],
  ["|", T.Pipe],
  [".", T.Dot],
  [",", T.Comma],
  [":", T.Colon],
  [";", T.Semi],
  ["(", T.LParen],
  [")", T.RParen],
  ["{", T.LBrace],
  ["}", T.RBrace],
  ["[", T.LBracket],
  ["]", T.RBracket],
] as Array<[string, TokenType]>) {
  ONE_CHAR[ch.charCodeAt(0)] = tt;
}
const ONE_CHAR_TEXT: string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));
const TWO_CHAR_FIRST = new Uint8Array(128);
for (const k of TWO_CHAR.keys()) TWO_CHAR_FIRST[k.charCodeAt(0)] = 1;
/** TWO_CHAR by the operator's two character codes (`first * 65536 + second`), with its text. */
const TWO_CHAR_BY_CODES = new Map<number, { type: TokenType; image: string }>(
  [...TWO_CHAR].map(([image, type]) => [image.charCodeAt(0) * 65536 + image.charCodeAt(1), { type, image }]),
);

/**
 * Token objects recycled across `scan(text, { reuse: true })` calls. Tokens of a parse are all
 * alive until the parse ends, so allocating them fresh means every one is copied by the young
 * generation GC; reusing them across files (the CLI, the language server re-parsing on each
 * keystroke) removes that cost. Only the parser's private path reuses tokens: callers of
 * `scan()`/`lex()` get fresh objects they may keep.
 */
const pool: IToken[] = [];
/**
 * The array of those tokens, recycled the same way: growing a fresh array to a megabyte's
 * hundred thousand tokens copied it a dozen times (2.6 MB of garbage per parse).
 */
const pooledTokens: IToken[] = [];

/**
 * The scanner's tokens have a hidden class of their own. As plain object literals they shared
 * V8's shape with chevrotain's tokens (same first fields), and chevrotain creates its EOF and
 * inserted tokens with NaN positions, which turned those fields into boxed doubles: every
 * offset and line of every token, and of every AST span copied from them, was then a separate
 * heap number (a third of the parse time went to the garbage collector). Here they stay small
 * integers.
 */
class ScannedToken implements IToken {
  image = "";
  startOffset = 0;
  endOffset = 0;
  startLine = 0;
  startColumn = 0;
  endLine = 0;
  endColumn = 0;
  tokenType: TokenType = T.IdentifierToken;
  tokenTypeIdx = 0;
}

function fresh(): IToken {
  return new ScannedToken();
}

export function scan(
  text: string,
  opts: {
    reuse?: boolean;
    /**
     * The offset of an opening quote whose string is taken to end at the end of its line (as
     * an unterminated string): lexer.ts's recovery for a quote typed without its closer.
     */
    cutStringAt?: number;
    /**
     * Scan only `text[start, end)`, where `start` is at 1-based `line` and `col` (incremental
     * re-parsing, grammar/incremental.ts): positions stay those of the whole text.
     */
    range?: { start: number; end: number; line: number; col: number };
  } = {},
): ScanResult {
  const reuse = opts.reuse === true;
  const tokens: IToken[] = reuse ? pooledTokens : [];
  let count = 0;
  const add = (t: IToken): void => {
    tokens[count++] = t;
  };
  const take = (): IToken => {
    if (!reuse) return fresh();
    const i = count;
    return i < pool.length ? pool[i]! : (pool[i] = fresh());
  };
  const comments: IToken[] = [];
  const errors: ScanError[] = [];
  const unterminated: IToken[] = [];
  const brackets = noBrackets();
  const range = opts.range;
  const n = range ? range.end : text.length;
  let pos = range ? range.start : 0;
  let line = range ? range.line : 1;
  let lineStart = range ? range.start - (range.col - 1) : 0;

  const fill = (
    t: IToken,
    tt: TokenType,
    start: number,
    end: number,
    sLine: number,
    sCol: number,
    eLine: number,
    eCol: number,
    image: string,
  ): IToken => {
    t.image = image;
    t.startOffset = start;
    t.endOffset = end - 1;
    t.startLine = sLine;
    t.startColumn = sCol;
    t.endLine = eLine;
    t.endColumn = eCol;
    t.tokenType = tt;
    t.tokenTypeIdx = tt.tokenTypeIdx!;
    return t;
  };
  const make = (tt: TokenType, start: number, end: number, sLine: number, sCol: number): IToken =>
    fill(take(), tt, start, end, sLine, sCol, line, end - lineStart, text.slice(start, end));

  /** Advances over [from, to) counting line breaks (`\n`, `\r\n`, lone `\r`). */
  const advanceLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === C_NL) {
        line++;
        lineStart = i + 1;
      } else if (c === C_CR) {
        if (text.charCodeAt(i + 1) === C_NL) i++;
        line++;
        lineStart = i + 1;
      }
    }
  };

  let errorStart = -1;
  let errorLine = 0;
  let errorCol = 0;
  const flushError = () => {
    if (errorStart >= 0) {
      errors.push({ offset: errorStart, length: pos - errorStart, line: errorLine, column: errorCol });
      errorStart = -1;
    }
  };

  while (pos < n) {
    const c = text.charCodeAt(pos);
    const sLine = line;
    const sCol = pos - lineStart + 1;
    const start = pos;

    if (c < 128 ? CHAR_CLASS[c] === WS : isWhitespace(c)) {
      flushError();
      // One pass over the run of whitespace, counting line breaks as advanceLines does.
      let end = pos;
      while (end < n) {
        const d = text.charCodeAt(end);
        if (d === C_NL) {
          line++;
          lineStart = end + 1;
        } else if (d === C_CR) {
          if (text.charCodeAt(end + 1) === C_NL) end++;
          line++;
          lineStart = end + 1;
        } else if (d < 128 ? CHAR_CLASS[d] !== WS : !isWhitespace(d)) break;
        end++;
      }
      pos = end;
      continue;
    }
    if (isIdentStart(c)) {
      flushError();
      let end = pos + 1;
      let hash = hashStep(0, c);
      while (end < n) {
        const d = text.charCodeAt(end);
        if (d >= 128 || (CHAR_CLASS[d]! & IDENT_PART) === 0) break;
        hash = hashStep(hash, d);
        end++;
      }
      // `vault://...` is one token.
      if (end - pos === 5 && pos + 8 < n && text.startsWith("vault://", pos) && isVaultChar(text.charCodeAt(pos + 8))) {
        let v = pos + 8;
        while (v < n && isVaultChar(text.charCodeAt(v))) v++;
        pos = v;
        add(make(T.VaultRefToken, start, v, sLine, sCol));
        continue;
      }
      pos = end;
      const w = word(text, start, end, hash);
      add(fill(take(), w.type, start, end, sLine, sCol, sLine, sCol + (end - start) - 1, w.image));
      continue;
    }
    if (isDigit(c)) {
      flushError();
      DURATION_RE.lastIndex = pos;
      let m = DURATION_RE.exec(text);
      let tt: TokenType = T.DurationLiteral;
      if (!m) {
        NUMBER_RE.lastIndex = pos;
        m = NUMBER_RE.exec(text)!;
        tt = T.NumberLiteral;
      }
      pos += m[0].length;
      add(make(tt, start, pos, sLine, sCol));
      continue;
    }
    if (c === C_QUOTE) {
      flushError();
      let end = pos + 1;
      let closed = false;
      const cut = pos === opts.cutStringAt;
      while (end < n) {
        const d = text.charCodeAt(end);
        if (cut && (d === C_NL || d === C_CR)) break;
        if (d === C_BACKSLASH) {
          end += 2;
          continue;
        }
        end++;
        if (d === C_QUOTE) {
          closed = true;
          break;
        }
      }
      if (end > n) end = n;
      advanceLines(pos, end);
      pos = end;
      const t = make(closed ? T.StringLiteral : T.UnterminatedString, start, end, sLine, sCol);
      add(t);
      if (!closed) unterminated.push(t);
      continue;
    }
    if ((c === C_SLASH && text.charCodeAt(pos + 1) === C_SLASH) || c === C_HASH) {
      flushError();
      let end = pos + 1;
      while (end < n) {
        const d = text.charCodeAt(end);
        if (d === C_NL || d === C_CR) break;
        end++;
      }
      pos = end;
      comments.push(
        fill(
          fresh(),
          c === C_HASH ? T.HashComment : T.LineComment,
          start,
          end,
          sLine,
          sCol,
          line,
          end - lineStart,
          text.slice(start, end),
        ),
      );
      continue;
    }
    if (c < 128 && TWO_CHAR_FIRST[c] === 1 && pos + 1 < n) {
      // Looked up by character codes: no two-character string cut out to ask.
      const two = TWO_CHAR_BY_CODES.get(c * 65536 + text.charCodeAt(pos + 1));
      if (two) {
        flushError();
        pos += 2;
        add(fill(take(), two.type, start, pos, sLine, sCol, sLine, sCol + 1, two.image));
        continue;
      }
    }
    const one = c < 128 ? ONE_CHAR[c] : undefined;
    if (one) {
      flushError();
      pos += 1;
      countBracket(brackets, one);
      // The image is a shared constant: no string allocation for punctuation.
      add(fill(take(), one, start, pos, sLine, sCol, sLine, sCol, ONE_CHAR_TEXT[c]!));
      continue;
    }
    // Unexpected character: group a run of them into one error, as chevrotain's lexer does.
    if (errorStart < 0) {
      errorStart = pos;
      errorLine = sLine;
      errorCol = sCol;
    }
    // Keep surrogate pairs together so an error never splits a character.
    pos += c >= 0xd800 && c <= 0xdbff && pos + 1 < n ? 2 : 1;
  }
  flushError();
  // A reused array still holds the previous scan's tail past `count`.
  if (tokens.length !== count) tokens.length = count;
  return {
    tokens,
    comments,
    errors,
    brackets,
    unterminated,
    endLine: line,
    endCol: n - lineStart + 1,
  };
}
