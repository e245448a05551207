/**
 * The token vocabulary: the types the parser consumes and the editor features name. Lexing is
 * done by the hand-written scanner (scanner.ts), which implements the lexical grammar of
 * LANGUAGE.md §1.3; no token here carries a pattern of its own (`Lexer.NA`), so there is one
 * definition of what a token is.
 *
 * Keywords are *contextual* (LANGUAGE.md §1.3): every keyword token type belongs to the
 * `IdentifierToken` category, so wherever the parser consumes an identifier a keyword is
 * accepted too, and the parser prefers the keyword only where the keyword can start the
 * construct expected at that point (keyword alternatives come first in each `OR`). The scanner
 * reads every word as an identifier and re-types it to its keyword through a map.
 */
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

export const IdentifierToken = createToken({ name: "Identifier", pattern: Lexer.NA, label: "identifier" });
/** Category of every binary operator token (the expression rule consumes them in one step). */
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA, label: "operator" });
/** Category of the prefix operators `!`, `not` and `-`. */
export const PrefixOperator = createToken({ name: "PrefixOperator", pattern: Lexer.NA, label: "operator" });

function keyword(word: string): TokenType {
  const name = "Kw_" + word;
  const categories =
    word === "in"
      ? [IdentifierToken, BinaryOperator]
      : word === "not"
        ? [IdentifierToken, PrefixOperator]
        : [IdentifierToken];
  return createToken({ name, pattern: Lexer.NA, categories, label: "`" + word + "`" });
}

export const KEYWORD_WORDS = [
  "agent",
  "allow",
  "audit",
  "capabilities",
  "catch",
  "channel",
  "data_classification",
  "deny",
  "else",
  "false",
  "filter",
  "for",
  "function",
  "if",
  "in",
  "let",
  "match",
  "memory",
  "metadata",
  "not",
  "policy",
  "require",
  "return",
  "schedule",
  "search",
  "true",
  "try",
  "type",
  "webhook",
  "with",
  "_",
] as const;
export type KeywordWord = (typeof KEYWORD_WORDS)[number];

export const KEYWORDS: Record<KeywordWord, TokenType> = Object.fromEntries(
  KEYWORD_WORDS.map((w) => [w, keyword(w)]),
) as Record<KeywordWord, TokenType>;

export const Kw = KEYWORDS;

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: Lexer.NA,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const LineComment = createToken({ name: "LineComment", pattern: Lexer.NA, group: "comments" });
export const HashComment = createToken({ name: "HashComment", pattern: Lexer.NA, group: "comments" });
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: Lexer.NA,
  line_breaks: true,
  label: "string",
});
/** A string still open at end of file: lexed as one token so the error is reported once, at the quote. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: Lexer.NA,
  line_breaks: true,
  label: "string",
});
export const VaultRefToken = createToken({
  name: "VaultRef",
  pattern: Lexer.NA,
  label: "vault reference",
});
export const DurationLiteral = createToken({
  name: "DurationLiteral",
  pattern: Lexer.NA,
  label: "duration",
});
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: Lexer.NA, label: "number" });

function punct(name: string, text: string, categories: TokenType[] = []): TokenType {
  return createToken({ name, pattern: Lexer.NA, label: "`" + text + "`", categories });
}
const BIN = [BinaryOperator];

export const FatArrow = punct("FatArrow", "=>");
export const ThinArrow = punct("ThinArrow", "->");
export const EqEq = punct("EqEq", "==", BIN);
export const NotEq = punct("NotEq", "!=", BIN);
export const LtEq = punct("LtEq", "<=", BIN);
export const GtEq = punct("GtEq", ">=", BIN);
export const AndAnd = punct("AndAnd", "&&", BIN);
export const OrOr = punct("OrOr", "||", BIN);
export const PlusEq = punct("PlusEq", "+=");
export const MinusEq = punct("MinusEq", "-=");
export const StarEq = punct("StarEq", "*=");
export const SlashEq = punct("SlashEq", "/=");
export const PercentEq = punct("PercentEq", "%=");
export const Eq = punct("Eq", "=");
export const Lt = punct("Lt", "<", BIN);
export const Gt = punct("Gt", ">", BIN);
export const Plus = punct("Plus", "+", BIN);
export const Minus = punct("Minus", "-", [BinaryOperator, PrefixOperator]);
export const Star = punct("Star", "*", BIN);
export const Slash = punct("Slash", "/", BIN);
export const Percent = punct("Percent", "%", BIN);
export const Bang = punct("Bang", "!", [PrefixOperator]);
export const Pipe = punct("Pipe", "|");
export const Dot = punct("Dot", ".");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");
export const Semi = punct("Semi", ";");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");

/** The token types the scanner produces. */
export const SCANNED_TOKENS: TokenType[] = [
  WhiteSpace,
  LineComment,
  HashComment,
  StringLiteral,
  UnterminatedString,
  VaultRefToken,
  DurationLiteral,
  NumberLiteral,
  IdentifierToken,
  FatArrow,
  ThinArrow,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  AndAnd,
  OrOr,
  PlusEq,
  MinusEq,
  StarEq,
  SlashEq,
  PercentEq,
  Eq,
  Lt,
  Gt,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Bang,
  Pipe,
  Dot,
  Comma,
  Colon,
  Semi,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
];

/** Every token type the parser knows: scanned tokens plus keywords and the operator categories. */
export const ALL_TOKENS: TokenType[] = [...SCANNED_TOKENS, ...Object.values(KEYWORDS), BinaryOperator, PrefixOperator];
