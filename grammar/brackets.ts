/**
 * Counting brackets: whether every `(`, `[` and `{` closes and no closer comes before its opener.
 * The scanner counts them as it makes tokens (scanner.ts), and the parser asks the same of a
 * token list or of a scan followed by one more token (parser.ts); all count with `countBracket`.
 */
import type { TokenType } from "chevrotain";
import * as T from "./tokens.js";

/** The open brackets of each kind, and whether a closer came before its opener. */
export interface BracketCounts {
  paren: number;
  bracket: number;
  brace: number;
  underflow: boolean;
}

export function noBrackets(): BracketCounts {
  return { paren: 0, bracket: 0, brace: 0, underflow: false };
}

/** Counts a token of type `tt` into `c` (a type that is no bracket changes nothing). */
export function countBracket(c: BracketCounts, tt: TokenType | undefined): void {
  if (tt === T.LParen) c.paren++;
  else if (tt === T.RParen) c.underflow ||= --c.paren < 0;
  else if (tt === T.LBracket) c.bracket++;
  else if (tt === T.RBracket) c.underflow ||= --c.bracket < 0;
  else if (tt === T.LBrace) c.brace++;
  else if (tt === T.RBrace) c.underflow ||= --c.brace < 0;
}

/** Whether the counted brackets balance. */
export function bracketsClosed(c: BracketCounts): boolean {
  return !c.underflow && c.paren === 0 && c.bracket === 0 && c.brace === 0;
}
