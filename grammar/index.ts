/**
 * The front end's entry points: bytes or text in, AST and diagnostics out. The one parser
 * instance is reused for every file (building it is the expensive part).
 */
import type { IRecognitionException, IToken, TokenType } from "chevrotain";
import { isRecognitionException } from "./chevrotain.js";
import type { Comment, Program } from "./ast.js";
import { sortDiagnostics, type Diagnostic } from "./diagnostic.js";
import { capDiagnostics } from "./diagnostic-cap.js";
import { syntaxDiagnostic as diagnostic } from "./syntax-codes.js";
import { LineMap, type Span } from "./span.js";
import { lex } from "./lexer.js";
import { SymbiontParser, NestingTooDeep, MAX_NESTING, MAX_SYNTAX_ERRORS, bracketsBalancedFrom } from "./parser.js";
import { attachComments } from "./comments.js";
import { limitDepth, MAX_AST_DEPTH } from "./depth.js";
import * as T from "./tokens.js";

export * from "./ast.js";
export { LineMap, type Span } from "./span.js";
export { childrenOf, walk, nodePathAt, VISITOR_KEYS } from "./visit.js";
export { capDiagnostics, isOmittedSummary, MAX_DIAGNOSTICS_PER_FILE } from "./diagnostic-cap.js";

import { MAX_SOURCE_BYTES } from "./source-limits.js";
export { MAX_SOURCE_BYTES };

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
  /** The decoded text (BOM removed) that spans point into. */
  text: string;
  /** Whether the source started with a UTF-8 byte-order mark (the formatter keeps it). */
  hadBom: boolean;
}

let parserInstance: SymbiontParser | undefined;
function parser(): SymbiontParser {
  return (parserInstance ??= new SymbiontParser());
}

function emptyProgram(text: string): Program {
  const map = new LineMap(text);
  return { kind: "Program", items: [], comments: [], span: map.span(0, text.length) };
}

/** Decodes file bytes as strict UTF-8; invalid bytes give E0002 located at the first bad byte. */
export function decodeSource(
  bytes: Uint8Array,
  file: string,
): { text: string; hadBom: boolean } | { diagnostic: Diagnostic; text: string } {
  if (bytes.length > MAX_SOURCE_BYTES) {
    return {
      text: "",
      diagnostic: diagnostic({
        code: "E0004",
        message: `file is ${(bytes.length / 1048576).toFixed(1)} MiB; the limit is ${MAX_SOURCE_BYTES / 1048576} MiB`,
        file,
        span: { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 },
        help: "split the file, or check that this is really a Symbiont source file",
      }),
    };
  }
  try {
    // TextDecoder drops a leading BOM by itself; detect it on the bytes.
    const hadBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return { text, hadBom };
  } catch {
    // Find the first invalid byte to give a precise location.
    let good = 0;
    const dec = new TextDecoder("utf-8", { fatal: true });
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      try {
        dec.decode(bytes.subarray(0, mid), { stream: true });
        dec.decode();
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    good = lo;
    const prefix = new TextDecoder("utf-8").decode(bytes.subarray(0, good));
    const map = new LineMap(prefix);
    const pos = map.position(prefix.length);
    return {
      // The lossy decoding (U+FFFD for bad bytes) lets the CLI show the line with the problem.
      text: new TextDecoder("utf-8").decode(bytes),
      diagnostic: diagnostic({
        code: "E0002",
        message: `invalid UTF-8 at byte ${good}`,
        file,
        span: {
          start: prefix.length,
          end: prefix.length + 1,
          line: pos.line,
          col: pos.col,
          endLine: pos.line,
          endCol: pos.col + 1,
        },
        help: "save the file as UTF-8",
      }),
    };
  }
}

/** Parses bytes read from a file: decoding, size limit, then `parseText`. */
export function parseBytes(bytes: Uint8Array, file: string): ParseResult {
  const decoded = decodeSource(bytes, file);
  if ("diagnostic" in decoded)
    return {
      program: emptyProgram(decoded.text),
      diagnostics: [decoded.diagnostic],
      text: decoded.text,
      hadBom: false,
    };
  const r = parseText(decoded.text, file);
  r.hadBom = decoded.hadBom;
  return r;
}

function pointSpan(map: LineMap, offset: number): Span {
  return map.span(offset, offset);
}

function recognitionDiagnostic(
  e: IRecognitionException,
  file: string,
  text: string,
  map: () => LineMap,
  endOffset = text.length,
): Diagnostic {
  const [message, help] = e.message.split("\u0000") as [string, string | undefined];
  const tok = e.token;
  let span: Span;
  const isMissingSemi = e.name === "MismatchedTokenException" && message.startsWith("expected `;`");
  const prev = (e as unknown as { previousToken?: { endOffset?: number; startOffset: number } }).previousToken;
  // At the cut where the parser ended a broken statement (parser.ts, "recovery while typing"),
  // the missing piece belongs after the statement's last token too.
  const atCut = (tok as { virtualEnd?: unknown }).virtualEnd !== undefined;
  if ((isMissingSemi || atCut) && prev && !Number.isNaN(prev.startOffset) && prev.endOffset !== undefined) {
    // Point just after the previous token, where the `;` belongs (as rustc does).
    span = pointSpan(map(), prev.endOffset + 1);
  } else if (tok.tokenType === T.StringLiteral || !Number.isNaN(tok.startOffset)) {
    span = Number.isNaN(tok.startOffset)
      ? pointSpan(map(), endOffset)
      : map().span(tok.startOffset, tok.endOffset! + 1);
  } else {
    span = pointSpan(map(), endOffset);
  }
  const isEof = Number.isNaN(tok.startOffset) || tok.image === "";
  const code = isMissingSemi ? "E0011" : isEof && message.includes("end of file") ? "E0013" : "E0010";
  return diagnostic({
    code,
    message,
    file,
    span,
    help: help ?? (code === "E0013" ? "a `{`, `(` or `[` is not closed" : undefined),
  });
}

/** Parses source text. Never throws: every problem is a diagnostic, and a partial AST is returned. */
export function parseText(text: string, file: string): ParseResult {
  if (text.length > MAX_SOURCE_BYTES) {
    return {
      program: emptyProgram(""),
      diagnostics: [
        diagnostic({
          code: "E0004",
          message: `source is larger than ${MAX_SOURCE_BYTES / 1048576} MiB`,
          file,
          span: pointSpan(new LineMap(text), 0),
        }),
      ],
      text,
      hadBom: false,
    };
  }
  const r = parseRange(text, file);
  const program: Program = {
    kind: "Program",
    items: r.items,
    comments: r.comments,
    span: { start: 0, end: text.length, line: 1, col: 1, endLine: r.endLine, endCol: r.endCol },
  };
  attachComments(program, text);
  // At most MAX_DIAGNOSTICS_PER_FILE, the parser's uncounted rest included (all of them errors).
  const stop = r.stoppedAt;
  const stopNote = stop
    ? [
        `parsing stopped at ${Number.isNaN(stop.startOffset) ? "the end of the file" : `${stop.startLine}:${stop.startColumn}`} after too many syntax errors (at most ${MAX_SYNTAX_ERRORS}, fewer when deeply nested); the rest of the file was not read`,
      ]
    : [];
  const capped = capDiagnostics(
    r.diagnostics,
    r.omittedProblems > 0 || stop
      ? new Map([[file, { count: r.omittedProblems, errors: true, notes: stopNote }]])
      : undefined,
  );
  return { program, diagnostics: capped, text, hadBom: false };
}

/** A range of a text parsed on its own (the whole text, or one region for grammar/incremental.ts). */
export interface ParsedRange {
  items: Program["items"];
  /** The comments of the range (not attached: the caller attaches them where they belong). */
  comments: Comment[];
  /** Lexical and syntax diagnostics of the range, sorted. */
  diagnostics: Diagnostic[];
  /** Line and column just past the range. */
  endLine: number;
  endCol: number;
  /** The brackets of the range do not balance (the parser's layout recovery was on). */
  unbalanced: boolean;
  /**
   * The parse depended on where the range ends: a string still open there, recovery at the end
   * of the input, an error at it, or nesting too deep to finish.
   */
  reachedEnd: boolean;
  /** Syntax problems the parser counted without keeping them (past its storage limit). */
  omittedProblems: number;
  /** Where the parser stopped reading after too many syntax errors (the rest was not parsed). */
  stoppedAt?: IToken;
  /** Type of the range's first token and the end offset of its last (none: no tokens). */
  firstToken?: TokenType;
  lastTokenEnd?: number;
  lastToken?: TokenType;
}

/**
 * Lexes and parses `text[range.start, range.end)` (default: all of it) with positions of the
 * whole text; `range.line`/`range.col` are those of `range.start`.
 */
export function parseRange(
  text: string,
  file: string,
  range?: {
    start: number;
    end: number;
    line: number;
    col: number;
    /** The token that follows the range (the parse may look at it, never consume it). */
    next?: { type: TokenType; image: string };
  },
): ParsedRange {
  let lineMap: LineMap | undefined;
  const map = () => (lineMap ??= new LineMap(text));
  const endOffset = range ? range.end : text.length;
  const lexed = lex(
    text,
    file,
    range
      ? { reuse: true, range: { start: range.start, end: range.end, line: range.line, col: range.col } }
      : { reuse: true },
  );
  const first = lexed.tokens[0];
  const last = lexed.tokens[lexed.tokens.length - 1];
  const tokenFacts = {
    ...(first ? { firstToken: first.tokenType } : {}),
    ...(last ? { lastToken: last.tokenType, lastTokenEnd: last.endOffset! + 1 } : {}),
  };
  let reachedEnd = lexed.endsInString;
  const diagnostics: Diagnostic[] = [...lexed.diagnostics];
  const p = parser();
  let stopAt: number | undefined;
  let sentinel: IToken | undefined;
  if (range?.next) {
    const { type, image } = range.next;
    stopAt = lexed.tokens.length;
    lexed.tokens.push(
      (sentinel = {
        image,
        startOffset: endOffset,
        endOffset: endOffset + image.length - 1,
        startLine: lexed.endLine,
        startColumn: lexed.endCol,
        endLine: lexed.endLine,
        endColumn: lexed.endCol + image.length - 1,
        tokenType: type,
        tokenTypeIdx: type.tokenTypeIdx!,
      }),
    );
  }
  p.begin(
    lexed.tokens,
    { offset: endOffset, line: lexed.endLine, col: lexed.endCol },
    stopAt,
    bracketsBalancedFrom(lexed.brackets, sentinel?.tokenType),
  );
  const unbalanced = p.unbalanced;
  let items: Program["items"] = [];
  // Recovery throws and catches an exception per syntax error: without stack traces (never
  // shown) a file of thousands of errors parses several times faster.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    items = p.program() ?? [];
  } catch (err) {
    reachedEnd = true;
    if (err instanceof NestingTooDeep) {
      const t = err.token;
      const off = Number.isNaN(t.startOffset) ? endOffset : t.startOffset;
      diagnostics.push(
        diagnostic({
          code: "E0005",
          message: `expressions or blocks nested more than ${MAX_NESTING} levels deep`,
          file,
          span: map().span(off, off + Math.max(1, t.image.length)),
          help: "split the expression with `let` bindings or helper functions",
        }),
      );
    } else if (err instanceof RangeError) {
      diagnostics.push(
        diagnostic({
          code: "E0005",
          message: "input nested too deeply to parse",
          file,
          span: pointSpan(map(), range ? range.start : 0),
        }),
      );
    } else if (err instanceof Error && isRecognitionException(err)) {
      diagnostics.push(recognitionDiagnostic(err as IRecognitionException, file, text, map, endOffset));
    } else {
      throw err;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (p.recoveredAtEnd || (stopAt !== undefined && p.consumedThrough >= stopAt)) reachedEnd = true;
  // The top rule stopping before the token after a region is not an error: the region ends there.
  const errors = sentinel
    ? p.errors.filter((e) => !(e.token === sentinel && e.name === "NotAllInputParsedException"))
    : p.errors;
  for (const e of errors) {
    if (Number.isNaN(e.token.startOffset) || e.token.image === "") reachedEnd = true;
    const d = recognitionDiagnostic(e, file, text, map, endOffset);
    // Right after an unterminated string, its E0003 already says what is wrong.
    if (lexed.unterminatedEnds.includes(d.span.start)) continue;
    diagnostics.push(d);
  }
  // Several unclosed `{` (a block being typed inside others): one error, at the innermost, which
  // is where the typing is; the errors the end of the input then causes say nothing new.
  // An unclosed `{` with a syntax error inside its block: the inner error is the one being typed.
  const errorStarts = errors.map((e) => e.token.startOffset).filter((o) => !Number.isNaN(o));
  const unclosed = p.notes.filter(
    (n) =>
      n.code === "E0013" && !errorStarts.some((o) => o > n.start) && !lexed.unterminatedEnds.some((o) => o > n.start),
  );
  const innerErrorAfter = (n: { code: string; start: number }) => n.code === "E0013" && !unclosed.includes(n as never);
  for (const n of p.notes) {
    if (innerErrorAfter(n) || (n.code === "E0013" && unclosed.length > 0 && n !== unclosed[unclosed.length - 1]))
      continue;
    const help =
      n.code === "E0013" && unclosed.length > 1
        ? `${n.help}; ${unclosed.length - 1} enclosing \`{\` ${unclosed.length === 2 ? "is" : "are"} not closed either`
        : n.help;
    diagnostics.push(diagnostic({ code: n.code, message: n.message, file, span: map().span(n.start, n.end), help }));
  }
  if (unclosed.length > 0)
    for (let i = diagnostics.length - 1; i >= 0; i--)
      if (diagnostics[i]!.code !== "E0013" && diagnostics[i]!.span.start >= endOffset) diagnostics.splice(i, 1);

  // Only long chains can make the tree deeper than the parser's nesting limit allows.
  if (p.longestChain + MAX_NESTING >= MAX_AST_DEPTH / 2) {
    const cut = limitDepth({
      kind: "Program",
      items,
      comments: [],
      span: { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 },
    });
    if (cut) {
      diagnostics.push(
        diagnostic({
          code: "E0005",
          message: `expression nested more than ${MAX_AST_DEPTH} levels deep (each operator of a chain such as \`a + b + …\` adds a level)`,
          file,
          span: cut.span,
          help: "split long operator chains with `let` bindings",
        }),
      );
    }
  }
  return {
    items,
    comments: lexed.comments,
    diagnostics: dedupe(sortDiagnostics(diagnostics)),
    endLine: lexed.endLine,
    endCol: lexed.endCol,
    unbalanced,
    reachedEnd,
    omittedProblems: p.omittedProblems,
    ...(p.stoppedAt ? { stoppedAt: p.stoppedAt } : {}),
    ...tokenFacts,
  };
}

/** Recovery can report the same problem twice at one place; keep the first. */
function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = `${d.span.start}:${d.code}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
