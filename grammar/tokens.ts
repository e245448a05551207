/**
 * Token types. Keywords are *contextual* (LANGUAGE.md §1.3): every keyword token type belongs to
 * the `Identifier` category, so wherever the parser consumes an identifier a keyword is accepted
 * too, and the parser prefers the keyword only where the keyword can start the construct
 * expected at that point (keyword alternatives come first in each `OR`).
 *
 * Words are lexed by one `Identifier` pattern and re-typed to their keyword afterwards through a
 * map (see lexer.ts): much faster than one regex per keyword.
 */
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

export const Identifier = createToken({ name: "Identifier", pattern: /[a-zA-Z_][a-zA-Z0-9_]*/, label: "identifier" });
/** Category of every binary operator token (the expression rule consumes them in one step). */
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA, label: "operator" });
/** Category of the prefix operators `!`, `not` and `-`. */
export const PrefixOperator = createToken({ name: "PrefixOperator", pattern: Lexer.NA, label: "operator" });

function keyword(word: string): TokenType {
  const name = "Kw_" + word;
  // The pattern is never used by the lexer (words are re-typed after lexing) but chevrotain
  // requires one; NA marks the type as produced by other means.
  const categories =
    word === "in" ? [Identifier, BinaryOperator] : word === "not" ? [Identifier, PrefixOperator] : [Identifier];
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

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const HashComment = createToken({ name: "HashComment", pattern: /#[^\n\r]*/, group: "comments" });
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\]|\\[\s\S])*"/,
  line_breaks: true,
  label: "string",
});
/** A string still open at end of file: lexed as one token so the error is reported once, at the quote. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\]|\\[\s\S])*/,
  line_breaks: true,
  label: "string",
});
export const VaultRef = createToken({
  name: "VaultRef",
  pattern: /vault:\/\/[A-Za-z0-9_\-/.]+/,
  label: "vault reference",
});
// Durations before numbers: the lexer takes the first pattern that matches. Unit alternatives are
// ordered so `months` and `ms` win over `m` (longest match, as tree-sitter does).
export const DurationLiteral = createToken({
  name: "DurationLiteral",
  pattern: /\d+(?:\.\d+)?(?:\.seconds|\.minutes|\.hours|months|ms|s|m|h|d|w|y)/,
  label: "duration",
});
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /\d+(?:_\d+)*(?:\.\d+)?/, label: "number" });

function punct(name: string, text: string, categories: TokenType[] = []): TokenType {
  const escaped = text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return createToken({ name, pattern: new RegExp(escaped), label: "`" + text + "`", categories });
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

/** Lexer order matters: first match wins. */
export const LEXER_TOKENS: TokenType[] = [
  WhiteSpace,
  LineComment,
  HashComment,
  StringLiteral,
  UnterminatedString,
  VaultRef,
  DurationLiteral,
  NumberLiteral,
  Identifier,
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

/** Every token type the parser knows: lexer tokens plus keywords. */
export const ALL_TOKENS: TokenType[] = [...LEXER_TOKENS, ...Object.values(KEYWORDS), BinaryOperator, PrefixOperator];
