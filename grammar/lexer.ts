/**
 * Lexing: source text → chevrotain tokens + comments + lexical diagnostics (E0001, E0003).
 */
import type { IToken } from "chevrotain";
import type { Comment } from "./ast.js";
import type { Diagnostic } from "./diagnostic.js";
import { syntaxDiagnostic as diagnostic } from "./syntax-codes.js";
import { LineMap } from "./span.js";
import { scan, type ScanResult } from "./scanner.js";
import { HashComment, StringLiteral, UnterminatedString } from "./tokens.js";

export interface LexResult {
  tokens: IToken[];
  comments: Comment[];
  diagnostics: Diagnostic[];
  endLine: number;
  endCol: number;
  /** Where each unterminated string ends (its E0003 says what a parse error right there would). */
  unterminatedEnds: number[];
  /**
   * The scan ended inside a string: a quote is unpaired (before the end-of-line recovery below).
   * Lexing a range of a text, that means the string may go on past the range.
   */
  endsInString: boolean;
  /** The scanner's bracket counts of `tokens`. */
  brackets: ScanResult["brackets"];
}

/**
 * Strings may span lines, so a `"` typed without its closer pairs with the next quote of the
 * file and turns the rest inside out (code read as strings, strings as code), ending in an
 * unterminated string at the end. When the scan ends that way, the quote that was most likely
 * left open is taken to end at the end of its line: the first string spanning lines whose
 * closing quote is directly followed by a letter, digit, `_` or another quote (the opening
 * quote of a string that follows, seen from inside out), else the unterminated one. Returns its
 * offset, or undefined when the scan ended cleanly.
 */
function unclosedStringStart(tokens: readonly IToken[], text: string): number | undefined {
  const last = tokens[tokens.length - 1];
  if (!last || last.tokenType !== UnterminatedString) return undefined;
  // An indexed loop: `for…of` allocated an iterator result per token (this code runs once per
  // file and is not optimized).
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.tokenType !== StringLiteral || t.startLine === t.endLine) continue;
    const after = text.charCodeAt(t.endOffset! + 1);
    if (after === 34 || after === 95 || (after >= 48 && after <= 57) || ((after | 32) >= 97 && (after | 32) <= 122))
      return t.startOffset;
  }
  return last.startLine === last.endLine ? undefined : last.startOffset;
}

/**
 * `reuse` recycles token objects across calls (the parser's private path; see scanner.ts);
 * `range` lexes only part of the text (scanner.ts), positions staying those of the whole text.
 */
export function lex(
  text: string,
  file: string,
  opts: { reuse?: boolean; range?: { start: number; end: number; line: number; col: number } } = {},
): LexResult {
  let result = scan(text, opts);
  const last = result.tokens[result.tokens.length - 1];
  const endsInString = last !== undefined && last.tokenType === UnterminatedString;
  const cut = unclosedStringStart(result.tokens, text);
  if (cut !== undefined) result = scan(text, { ...opts, cutStringAt: cut });
  const diagnostics: Diagnostic[] = [];
  let lineMap: LineMap | undefined;
  const map = () => (lineMap ??= new LineMap(text));

  for (const err of result.errors) {
    const bad = text.substr(err.offset, err.length);
    const shown = bad.length > 20 ? bad.slice(0, 20) + "…" : bad;
    const printable = /^[\x20-\x7e]+$/.test(shown) ? `\`${shown}\`` : JSON.stringify(shown);
    diagnostics.push(
      diagnostic({
        code: "E0001",
        message: err.length > 1 ? `unexpected characters ${printable}` : `unexpected character ${printable}`,
        file,
        span: map().span(err.offset, err.offset + err.length),
        help: bad.startsWith("'")
          ? 'strings use double quotes: "..."'
          : bad.startsWith("/*")
            ? "block comments are not supported; use `//` or `#` line comments"
            : undefined,
      }),
    );
  }

  const unterminatedEnds: number[] = [];
  // The scanner lists the unterminated strings (one running to the end of the text, one cut at
  // its line end): no pass over every token here.
  for (const t of result.unterminated) {
    unterminatedEnds.push(t.endOffset! + 1);
    diagnostics.push(
      diagnostic({
        code: "E0003",
        message: "unterminated string literal",
        file,
        span: map().span(t.startOffset, t.startOffset + 1),
        help: 'add the closing `"`',
      }),
    );
    // Continue as if the string were closed at end of file, so parsing goes on.
    t.tokenType = StringLiteral;
    t.tokenTypeIdx = StringLiteral.tokenTypeIdx!;
  }

  const comments: Comment[] = result.comments.map((c) => ({
    kind: "Comment",
    style: c.tokenType === HashComment ? "#" : "//",
    text: c.image,
    span: {
      start: c.startOffset,
      end: c.endOffset! + 1,
      line: c.startLine!,
      col: c.startColumn!,
      endLine: c.endLine!,
      endCol: c.endColumn! + 1,
    },
  }));

  return {
    tokens: result.tokens,
    comments,
    diagnostics,
    endLine: result.endLine,
    endCol: result.endCol,
    unterminatedEnds,
    endsInString,
    brackets: result.brackets,
  };
}
