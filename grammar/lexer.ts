/**
 * Lexing: source text → chevrotain tokens + comments + lexical diagnostics (E0001, E0003).
 */
import type { IToken } from "chevrotain";
import type { Comment } from "./ast.js";
import type { Diagnostic } from "./diagnostic.js";
import { syntaxDiagnostic as diagnostic } from "./syntax-codes.js";
import { LineMap } from "./span.js";
import { scan } from "./scanner.js";
import { HashComment, StringLiteral, UnterminatedString } from "./tokens.js";

export interface LexResult {
  tokens: IToken[];
  comments: Comment[];
  diagnostics: Diagnostic[];
  endLine: number;
  endCol: number;
}

/** `reuse` recycles token objects across calls (the parser's private path; see scanner.ts). */
export function lex(text: string, file: string, opts: { reuse?: boolean } = {}): LexResult {
  const result = scan(text, opts);
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

  for (const t of result.tokens) {
    if (t.tokenType === UnterminatedString) {
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

  return { tokens: result.tokens, comments, diagnostics, endLine: result.endLine, endCol: result.endCol };
}
