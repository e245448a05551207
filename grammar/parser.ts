/**
 * The Symbiont parser: a chevrotain EmbeddedActionsParser that builds our AST directly (no CST),
 * following the reference tree-sitter grammar (LANGUAGE.md §1) plus the additions of DESIGN §3.
 *
 * Structure notes:
 * - Keywords are contextual (tokens.ts): keyword alternatives come first in each OR and the
 *   identifier alternative last, with IGNORE_AMBIGUITIES where both could match.
 * - Containers whose junk we want to skip with a good message (top level, agent bodies) are
 *   parsed by explicit loops; everything else relies on chevrotain's error recovery
 *   (single-token insertion/deletion and re-synchronisation), so one file reports several errors
 *   and still yields a partial AST.
 * - `noStruct` is Rust's rule: a `T { .. }` type literal cannot start directly in an `if`, `for`
 *   or `match` header, where `{` opens the body (LANGUAGE.md §1.4.3).
 * - Semantic actions run inside ACTION() because chevrotain replays every rule once with
 *   placeholder values while it records the grammar.
 */
import type {
  IToken,
  TokenType,
  IParserErrorMessageProvider,
  IRuleConfig,
  IRecognitionException,
  IOrAlt,
  ParserMethod,
} from "chevrotain";
import { EarlyExitException, EmbeddedActionsParser, EOF, NoViableAltException } from "./chevrotain.js";
import type * as A from "./ast.js";
import type { Span } from "./span.js";
import * as T from "./tokens.js";
import { Kw } from "./tokens.js";
import { MAX_DIAGNOSTICS_PER_FILE } from "./diagnostic-cap.js";
import { LazyLookahead } from "./lazy-lookahead.js";
import { recordOnPrototype } from "./recording.js";
import { bracketsClosed, countBracket, noBrackets, type BracketCounts } from "./brackets.js";

/** Tokens of lookahead the grammar needs (the validations in test/grammar check it suffices). */
const MAX_LOOKAHEAD = 3;

/** How deep expressions and blocks may nest before the parser gives up with E0005. */
export const MAX_NESTING = 200;

export class NestingTooDeep extends Error {
  constructor(readonly token: IToken) {
    super("nesting too deep");
  }
}

/** Where a declarative property appears; decides its separator and which values it accepts. */
type PropertyContext = "metadata" | "schedule" | "channel" | "memory" | "webhook" | "search" | "filter";

/** A diagnostic the parser reports itself (besides chevrotain's recognition errors). */
export interface ParserNote {
  code: string;
  message: string;
  help?: string;
  start: number;
  end: number;
}

const CLOSERS = new Set<TokenType>([T.RBrace, T.RParen, T.RBracket]);

interface BinaryFrame {
  operands: A.Expr[];
  ops: A.BinaryOp[];
}

/** Shared SUBRULE argument objects for `expression(noStruct)`: no allocation per call. */
const STRUCT_OK = { ARGS: [false] as [boolean] };
const NO_STRUCT = { ARGS: [true] as [boolean] };
/** `arrayExpr(allowSettings)` for `require: [ ... ]` lists; also `arrayElement(allowSettings)`. */
const ALLOW_SETTINGS = { ARGS: [true] as [boolean] };
const NO_SETTINGS = { ARGS: [false] as [boolean] };

/** Recovery hooks of chevrotain's parser that its type declarations do not list. */
interface RecoveryInternals {
  canRecoverWithSingleTokenInsertion(this: unknown, expected: TokenType, follows: TokenType[]): boolean;
  isInCurrentRuleReSyncSet(this: unknown, tokenType: TokenType): boolean;
  SAVE_ERROR(this: unknown, error: IRecognitionException): IRecognitionException;
}

/** The depth of chevrotain's rule stack (a field its type declarations do not list). */
interface RuleStackInternals {
  RULE_STACK_IDX: number;
}

/**
 * How many recognition errors and notes the parser stores per file; past it they are only
 * counted (grammar/diagnostic-cap.ts reports the count). Both lists are in source order, so
 * keeping this many of each is enough to report a file's first MAX_DIAGNOSTICS_PER_FILE.
 */
const MAX_STORED_PROBLEMS = MAX_DIAGNOSTICS_PER_FILE;

/**
 * Recovery is not free: chevrotain walks the grammar along the whole rule stack for each syntax
 * error (tens of microseconds per frame). The parser stops reading a file after
 * MAX_SYNTAX_ERRORS errors, or once the errors' rule-stack depths add up to MAX_RECOVERY_WORK
 * (`if x ` 190 times nests each error deeper than the last: seconds of recovery for 1 KB), so
 * that no input makes it slow. The tree keeps the items parsed so far.
 */
export const MAX_SYNTAX_ERRORS = 1000;
export const MAX_RECOVERY_WORK = 20_000;

/** Thrown past MAX_SYNTAX_ERRORS; the program rule catches it and stops. */
class TooManySyntaxErrors extends Error {}
const recoveryInternals = EmbeddedActionsParser.prototype as unknown as RecoveryInternals;

/**
 * Appends a node to a list whose element type excludes Error nodes: a sub-rule that recovered
 * (its value is an Error node) leaves no hole in declaration, statement or entry lists.
 */
function pushNode<T>(list: T[], node: T): void {
  if (node && (node as { kind?: string }).kind !== "Error") list.push(node);
}

/** Tokens that, first on a line, continue the entry above rather than start a new one. */
const CONTINUES_LINE = new Set<TokenType>([
  T.RBrace,
  T.RParen,
  T.RBracket,
  T.Dot,
  T.Comma,
  T.FatArrow,
  T.ThinArrow,
  T.Pipe,
  Kw.else,
  Kw.catch,
]);

function continuesLine(t: IToken): boolean {
  return CONTINUES_LINE.has(t.tokenType) || T.BinaryOperator.categoryMatchesMap![t.tokenTypeIdx] === true;
}

/** A token standing in for the end of input where a list entry is cut (see `withVirtualEnd`). */
type VirtualEnd = IToken & { virtualEnd?: IToken };

/** Whether every `(`, `[` and `{` closes and no closer comes before its opener. */
export function bracketsBalanced(tokens: readonly IToken[]): boolean {
  const c = noBrackets();
  for (let i = 0; i < tokens.length && !c.underflow; i++) countBracket(c, tokens[i]!.tokenType);
  return bracketsClosed(c);
}

/**
 * `bracketsBalanced` of a scan's tokens followed by `next` (the token after a region, index.ts),
 * from the counts the scanner kept (scanner.ts): the same answer without a pass over the tokens.
 */
export function bracketsBalancedFrom(counts: BracketCounts, next?: TokenType): boolean {
  const c = { ...counts };
  countBracket(c, next);
  return bracketsClosed(c);
}

/** List-returning rules recover to an empty list. */
const LIST_RECOVERY = { recoveryValueFunc: () => [] as never[] };

interface TailMarker {
  kind: "Tail";
  expr: A.Expr;
}

/** Tokens that start a top-level item (the top-level loop resynchronises on them). */
export const TOP_LEVEL_STARTS: ReadonlySet<TokenType> = new Set<TokenType>([
  Kw.metadata,
  Kw.agent,
  Kw.policy,
  Kw.type,
  Kw.function,
  Kw.schedule,
  Kw.channel,
  Kw.memory,
  Kw.webhook,
]);
const AGENT_MEMBER_STARTS = new Set<TokenType>([Kw.capabilities, Kw.policy, Kw.function, Kw.with]);
/** Keywords that can start an expression: where one of these stands, it is the keyword. */
const EXPR_START_KEYWORDS = new Set<TokenType>([Kw.if, Kw.not, Kw.true, Kw.false]);
const ASSIGN_OPS = new Map<TokenType, A.AssignOp>([
  [T.Eq, "="],
  [T.PlusEq, "+="],
  [T.MinusEq, "-="],
  [T.StarEq, "*="],
  [T.SlashEq, "/="],
  [T.PercentEq, "%="],
]);

const DURATION_MS: Record<A.DurationUnit, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  months: 2_592_000_000,
  y: 31_536_000_000,
};

// ---------------------------------------------------------------------------------------------
// Error messages: phrased for people, with the rule's context ("after `let` statement").
// The message and a help text travel together, separated by \u0000.
// ---------------------------------------------------------------------------------------------

const RULE_CONTEXT: Record<string, string> = {
  letStatement: "`let` statement",
  returnStatement: "`return` statement",
  exprOrAssignStatement: "expression",
  assignment: "assignment",
};

const RULE_WHAT: Record<string, string> = {
  primary: "an expression",
  operand: "an expression",
  expression: "an expression",
  statement: "a statement",
  declValue: "a value (string, number, duration, boolean, identifier or array)",
  typeRef: "a type",
  pattern: "a pattern",
  matchPattern: "a match pattern (string, number, boolean, identifier or `_`)",
  policyRule: "a policy rule (`allow:`, `deny:`, `require:` or `audit:`)",
  item: "a top-level item",
};

function describeToken(t: IToken): string {
  const cut = (t as VirtualEnd).virtualEnd;
  if (cut) return describeToken(cut);
  if (t.tokenType === EOF) return "end of file";
  const img = t.image.length > 30 ? t.image.slice(0, 30) + "…" : t.image;
  return "`" + img.replace(/\n/g, "\\n") + "`";
}

function tokenLabel(tt: TokenType): string {
  return tt.LABEL ?? tt.name;
}

const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const ctx = RULE_CONTEXT[ruleName];
    if (expected === T.Semi && ctx) {
      return `expected \`;\` after ${ctx}, found ${describeToken(actual)}\u0000add \`;\` at the end of the ${ctx}`;
    }
    if (expected === T.RBrace)
      return `expected \`}\`, found ${describeToken(actual)}\u0000check that every \`{\` has its \`}\``;
    return `expected ${tokenLabel(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName, customUserDescription }) {
    const what = customUserDescription ?? RULE_WHAT[ruleName] ?? "something else";
    return `expected ${what}, found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ actual, ruleName, customUserDescription }) {
    const what = customUserDescription ?? RULE_WHAT[ruleName] ?? "something else";
    return `expected ${what}, found ${describeToken(actual[0]!)}`;
  },
};

// ---------------------------------------------------------------------------------------------

export class SymbiontParser extends EmbeddedActionsParser {
  /** Diagnostics the grammar actions report themselves (reset by `begin`). */
  notes: ParserNote[] = [];
  /** Longest operator/postfix/prefix chain seen: long chains build deep trees (see depth.ts). */
  longestChain = 0;
  /** Recognition errors and notes past MAX_STORED_PROBLEMS: counted, not stored (reset by `begin`). */
  omittedProblems = 0;
  /** Where the parser stopped reading after MAX_SYNTAX_ERRORS (reset by `begin`). */
  stoppedAt: IToken | undefined;
  private storedErrors = 0;
  private recoveryWork = 0;
  private depth = 0;

  constructor() {
    super(T.ALL_TOKENS, {
      recoveryEnabled: true,
      maxLookahead: MAX_LOOKAHEAD,
      lookaheadStrategy: new LazyLookahead(MAX_LOOKAHEAD),
      errorMessageProvider: errorMessages,
      // Validations run in the test suite (see test/grammar); skipping them here halves start-up.
      skipValidations: process.env["SYMBI_PARSER_VALIDATE"] !== "1",
    });
    this.performSelfAnalysis();
  }

  /**
   * Every rule recovers to an Error node unless it says otherwise (list rules recover to []),
   * so a recovered sub-rule never hands `undefined` to its parent's action.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- chevrotain's own RULE signature
  protected override RULE<F extends (...args: any[]) => any>(
    name: string,
    impl: F,
    config?: IRuleConfig<ReturnType<F>>,
  ): ParserMethod<Parameters<F>, ReturnType<F>> {
    return super.RULE(
      name,
      impl,
      config ?? { recoveryValueFunc: (e: IRecognitionException) => this.errorNode(e?.token) as ReturnType<F> },
    );
  }

  /**
   * At end of file, a missing closer is inserted (and reported) instead of abandoning every
   * enclosing rule: chevrotain only inserts a token when something follows it in the same rule,
   * so `agent a { with { let x = 1;` would otherwise lose the whole agent from the tree — and the
   * language server needs that tree while the user is still typing.
   */
  protected canRecoverWithSingleTokenInsertion(expectedTokType: TokenType, follows: TokenType[]): boolean {
    const next = this.LA(1);
    // At the cut of a broken statement (withVirtualEnd) a missing `;` is inserted too: the
    // statement keeps its node (a `let` still declares its name), with one error.
    if (
      next.tokenType === EOF &&
      (CLOSERS.has(expectedTokType) || (expectedTokType === T.Semi && (next as VirtualEnd).virtualEnd))
    ) {
      this.eofRecovered = true;
      return true;
    }
    return recoveryInternals.canRecoverWithSingleTokenInsertion.call(this, expectedTokType, follows);
  }

  /**
   * At end of file every rule may stop where it is (keeping what it parsed), rather than only the
   * top rule: together with the closer insertion above, an unfinished file keeps its structure.
   */
  protected isInCurrentRuleReSyncSet(tokenTypeIdx: TokenType): boolean {
    if (tokenTypeIdx === EOF) {
      this.eofRecovered = true;
      return true;
    }
    return recoveryInternals.isInCurrentRuleReSyncSet.call(this, tokenTypeIdx);
  }

  /**
   * Re-synchronisation after an error skips tokens until one that can follow: chevrotain
   * compares each skipped token with every type of the follow set in turn (a second for 1 MB of
   * `,`). Same answer with one lookup per token: the follow set as a map from token-type index
   * (categories included) to the first type of the set that matches it.
   */
  protected findReSyncTokenType(): TokenType {
    const follows = (this as unknown as { flattenFollowSet(): TokenType[] }).flattenFollowSet();
    const byIndex = new Map<number, TokenType>();
    for (const t of follows) {
      if (!byIndex.has(t.tokenTypeIdx!)) byIndex.set(t.tokenTypeIdx!, t);
      for (const idx of t.categoryMatches ?? []) if (!byIndex.has(idx)) byIndex.set(idx, t);
    }
    // The follow set always holds EOF, which ends the scan.
    for (let k = 1; ; k++) {
      const found = byIndex.get(this.LA(k).tokenTypeIdx);
      if (found) return found;
    }
  }

  /** Stores a recognition error while under MAX_STORED_PROBLEMS; past it, only counts it. */
  protected SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    // After the stop, the unread rest of the file is not an error of its own.
    if (this.stoppedAt) return error;
    this.recoveryWork += (this as unknown as RuleStackInternals).RULE_STACK_IDX + 1;
    if (this.storedErrors + this.omittedProblems >= MAX_SYNTAX_ERRORS || this.recoveryWork > MAX_RECOVERY_WORK) {
      this.stoppedAt = error.token;
      throw new TooManySyntaxErrors();
    }
    if (this.storedErrors >= MAX_STORED_PROBLEMS) {
      this.omittedProblems++;
      return error;
    }
    this.storedErrors++;
    return recoveryInternals.SAVE_ERROR.call(this, error);
  }

  /**
   * chevrotain computes the look-ahead paths of every alternative for each of these errors, to
   * hand them to the message provider; ours does not use them (`errorMessages`), and recovery
   * while typing (an entry parsed twice) made that computation most of the time a broken file
   * took to parse: seconds for some 4 KB inputs. Same messages, same errors, without it.
   */
  protected raiseNoAltException(_occurrence: number, errMsgTypes: string | undefined): never {
    const previous = this.LA(0);
    const message = errorMessages.buildNoViableAltMessage({
      expectedPathsPerAlt: [],
      actual: [this.LA(1)],
      previous,
      ...(errMsgTypes !== undefined ? { customUserDescription: errMsgTypes } : {}),
      ruleName: this.currentRuleName(),
    });
    throw this.SAVE_ERROR(new NoViableAltException(message, this.LA(1), previous));
  }

  protected raiseEarlyExitException(_occurrence: number, _prodType: unknown, userDefinedErrMsg?: string): never {
    const message = errorMessages.buildEarlyExitMessage({
      expectedIterationPaths: [],
      actual: [this.LA(1)],
      previous: this.LA(0),
      ...(userDefinedErrMsg !== undefined ? { customUserDescription: userDefinedErrMsg } : {}),
      ruleName: this.currentRuleName(),
    });
    throw this.SAVE_ERROR(new EarlyExitException(message, this.LA(1), this.LA(0)));
  }

  private currentRuleName(): string {
    return (this as unknown as { getCurrRuleFullName(): string }).getCurrRuleFullName();
  }

  /**
   * Prepares the parser for a new token stream (the instance is reused across files).
   * `balanced`: what `bracketsBalanced(tokens)` answers, when the caller knows it already.
   */
  begin(
    tokens: IToken[],
    end: { offset: number; line: number; col: number },
    stopAt?: number,
    balanced?: boolean,
  ): void {
    this.stopAt = stopAt ?? -1;
    this.textEnd = end;
    this.eofRecovered = false;
    this.indentRecovery = !(balanced ?? bracketsBalanced(tokens));
    this.input = tokens;
    this.notes = [];
    this.longestChain = 0;
    this.omittedProblems = 0;
    this.stoppedAt = undefined;
    this.storedErrors = 0;
    this.recoveryWork = 0;
    this.depth = 0;
  }

  // ---- small helpers -------------------------------------------------------------------------

  private note(code: string, message: string, start: number, end: number, help?: string): void {
    if (this.notes.length >= MAX_STORED_PROBLEMS) {
      this.omittedProblems++;
      return;
    }
    // A token the recovery inserted has no offsets: the note then points at the end of the text.
    if (!Number.isFinite(start)) start = this.textEnd.offset;
    if (!Number.isFinite(end) || end < start) end = start;
    const n: ParserNote = { code, message, start, end };
    if (help !== undefined) n.help = help;
    this.notes.push(n);
  }

  private span(first: IToken, last: IToken | undefined): Span {
    if (Number.isNaN(first.startOffset)) {
      // A token the recovery inserted: give it an empty span after the last real token.
      const prev = this.LA(0);
      if (!prev || Number.isNaN(prev.startOffset)) return { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
      const at = { start: prev.endOffset! + 1, line: prev.endLine!, col: prev.endColumn! + 1 };
      return { start: at.start, end: at.start, line: at.line, col: at.col, endLine: at.line, endCol: at.col };
    }
    const end = last && !Number.isNaN(last.startOffset) && last.startOffset >= first.startOffset ? last : first;
    // `| 0` keeps every span field a small integer in V8's eyes. Tokens that chevrotain makes
    // (the recording phase's, EOF, the region sentinel of index.ts) keep their positions as
    // boxed doubles; one span built from such a token would make V8 store the fields of every
    // span as separate heap numbers (7 objects per span instead of 1, a third of the parse
    // time in the garbage collector). Positions are integers below MAX_SOURCE_BYTES.
    return {
      start: first.startOffset | 0,
      end: (end.endOffset! + 1) | 0,
      line: first.startLine! | 0,
      col: first.startColumn! | 0,
      endLine: end.endLine! | 0,
      endCol: (end.endColumn! + 1) | 0,
    };
  }

  /**
   * Span from `first` to the last consumed token — or to the end of the text once recovery has
   * inserted missing closers there: an unclosed block extends to the end of the file (so the
   * language server finds the cursor inside it).
   */
  private from(first: IToken): Span {
    const s = this.span(first, this.LA(0));
    if (this.eofRecovered) this.extendToEnd(s);
    return s;
  }

  private extendToEnd(s: Span): void {
    const e = this.textEnd;
    s.end = e.offset;
    s.endLine = e.line;
    s.endCol = e.col;
  }

  private textEnd = { offset: 0, line: 1, col: 1 };
  /** Set once recovery has inserted a closer (or stopped a rule) at end of file. */
  private eofRecovered = false;

  /**
   * Parsing a region of a text (grammar/incremental.ts): the index of the token after the region,
   * a copy of the real next token, so the layout rules and the look-ahead see what follows. The
   * top-level loop stops there; -1 when the input is the whole text.
   */
  private stopAt = -1;

  /** The index of the last token the parse consumed (-1: none). */
  get consumedThrough(): number {
    return this.tokenPos;
  }

  /** Whether the brackets of the input do not balance (blocks then also end where the layout says). */
  get unbalanced(): boolean {
    return this.indentRecovery;
  }

  /** Whether the last parse recovered at the end of its input (a closer inserted, a rule stopped there). */
  get recoveredAtEnd(): boolean {
    return this.eofRecovered;
  }
  /**
   * Brackets do not balance: a `{` is unclosed (or a `}` extra). Blocks then also end where the
   * layout says they end (see `blockEnds`), so a `{` being typed costs one error at the brace
   * instead of swallowing the rest of the file. Balanced text — every valid program — never
   * takes this path, so no valid layout can be misread.
   */
  private indentRecovery = false;

  // ---- recovery while typing -------------------------------------------------------------------
  //
  // Half-typed code (a statement keyword alone on a line, an unclosed bracket or string, a missing
  // `;`, a half-typed call) must cost one error at the edit, not a cascade through the rest of the
  // file. Two layout rules, applied only where the text is already wrong:
  // - a statement (or policy rule) that failed to parse ends, at the latest, before the next line
  //   that starts at its own indentation or left of it — unless that line continues it (`}`, `)`,
  //   `]`, `else`, `catch`, a leading operator or `.`). The entry is re-parsed with its tokens cut
  //   there (a virtual end of input), so its errors stay inside it; of the errors at the cut only
  //   the first is kept, reported just after the entry's last token (where the missing piece goes).
  // - with unbalanced brackets, a block ends before a line at or left of the indentation of the
  //   line that opened it (or before a `}` left of it): one E0013 at the `{` that is not closed.

  /** The recognition errors so far (chevrotain's `errors` getter copies the array). */
  private get errorList(): IRecognitionException[] {
    return (this as unknown as { _errors: IRecognitionException[] })._errors;
  }

  /** The index of the last consumed token (-1 before the first). */
  private get tokenPos(): number {
    return (this as unknown as { currIdx: number }).currIdx;
  }

  private seek(i: number): void {
    (this as unknown as { currIdx: number }).currIdx = i;
  }

  private get tokenCount(): number {
    return (this as unknown as { tokVectorLength: number }).tokVectorLength;
  }

  private set tokenCount(n: number) {
    (this as unknown as { tokVectorLength: number }).tokVectorLength = n;
  }

  private tokenAtIdx(i: number): IToken | undefined {
    return i >= 0 && i < this.tokenCount ? this.input[i] : undefined;
  }

  /** The column of the first token on the line of token `i` (the line's indentation). */
  private lineIndentOf(i: number): number {
    const tokens = this.input;
    const line = tokens[i]!.startLine!;
    let j = i;
    while (j > 0 && tokens[j - 1]!.endLine === line && tokens[j - 1]!.startLine === line) j--;
    return tokens[j]!.startColumn!;
  }

  private firstOnLine(i: number): boolean {
    const prev = this.tokenAtIdx(i - 1);
    const t = this.tokenAtIdx(i)!;
    return !prev || prev.endLine! < t.startLine!;
  }

  /**
   * Where a list entry that started at token `start` ends at the latest: the first token in
   * `(start, limit]` that begins a line at or left of the entry's indentation and does not
   * continue it; undefined when there is none.
   */
  private layoutBoundary(start: number, limit: number): number | undefined {
    const indent = this.lineIndentOf(start);
    const last = Math.min(limit, this.tokenCount - 1);
    for (let i = start + 1; i <= last; i++) {
      if (!this.firstOnLine(i)) continue;
      const t = this.input[i]!;
      // A closer left of the entry closes an enclosing block; one at its indentation is its own.
      if (CLOSERS.has(t.tokenType) ? t.startColumn! < indent : t.startColumn! <= indent && !continuesLine(t)) return i;
    }
    return undefined;
  }

  /**
   * Parses one entry of a line-oriented list (a statement, a policy rule) so that its errors
   * stay inside it: normally first; if that reported errors and the layout says the entry ended
   * before where the parse went, again with the tokens cut there.
   */
  private listEntry<R>(parse: () => R): R {
    const start = this.tokenPos + 1;
    const errors = this.errorList.length;
    const notes = this.notes.length;
    const eof = this.eofRecovered;
    const first = parse();
    const failed = this.errorList.length !== errors;
    // With unbalanced brackets an entry may also have "parsed" by swallowing the next line
    // (`allow:` taking the `with` below as its action): the layout decides there too.
    if (!failed && !this.indentRecovery) return first;
    const reached = this.tokenPos + 1;
    const boundary = this.layoutBoundary(start, Math.max(reached, start + 1));
    if (boundary === undefined || (!failed && boundary >= reached)) return first;
    this.errorList.length = errors;
    this.notes.length = notes;
    this.eofRecovered = eof;
    this.seek(start - 1);
    const result = this.withVirtualEnd(boundary, parse);
    // What the entry left unparsed before the boundary belongs to it: skipped quietly.
    while (this.tokenPos + 1 < boundary) this.SKIP_TOKEN();
    return result;
  }

  /** Runs `parse` with the input ending just before token `at`; errors at that end are merged into one. */
  private withVirtualEnd<R>(at: number, parse: () => R): R {
    const tokens = this.input;
    const real = tokens[at]!;
    const prev = tokens[at - 1]!;
    const savedCount = this.tokenCount;
    const savedEnd = this.textEnd;
    const wasEof = this.eofRecovered;
    const end: VirtualEnd = { ...real, tokenType: EOF, tokenTypeIdx: EOF.tokenTypeIdx!, virtualEnd: real };
    const errors = this.errorList.length;
    tokens[at] = end;
    this.tokenCount = at + 1;
    this.textEnd = { offset: prev.endOffset! + 1, line: prev.endLine!, col: prev.endColumn! + 1 };
    this.eofRecovered = false;
    try {
      return parse();
    } finally {
      tokens[at] = real;
      this.tokenCount = savedCount;
      this.textEnd = savedEnd;
      this.eofRecovered = wasEof;
      // Of the errors at the cut, the first (the innermost rule's) says what is missing.
      const list = this.errorList;
      let keptAtEnd = false;
      for (let i = errors; i < list.length;) {
        if ((list[i]!.token as VirtualEnd).virtualEnd) {
          if (keptAtEnd) {
            list.splice(i, 1);
            continue;
          }
          keptAtEnd = true;
        }
        i++;
      }
    }
  }

  /**
   * With unbalanced brackets, whether the block opened by the `{` at token `openIdx` ends before
   * the next token although it is no `}` of its own: a line that starts at or left of the
   * opener's line indentation, or a `}` left of it.
   */
  private blockEnds(openIdx: number): boolean {
    if (!this.indentRecovery || openIdx < 0) return false;
    const next = this.tokenPos + 1;
    const t = this.tokenAtIdx(next);
    if (!t || t.tokenType === EOF || !this.firstOnLine(next)) return false;
    const indent = this.lineIndentOf(openIdx);
    if (t.tokenType === T.RBrace) return t.startColumn! < indent;
    return t.startColumn! <= indent && !continuesLine(t);
  }

  /**
   * The `}` of a block whose `{` is token `openIdx`: consumed when it is there (and the layout
   * agrees); otherwise, with unbalanced brackets or at the end of input, one E0013 at the `{`
   * and the block ends here.
   */
  private closeBrace(openIdx: number, what: string): void {
    if (this.RECORDING_PHASE) {
      this.CONSUME(T.RBrace);
      return;
    }
    if (this.is(T.RBrace) && !this.blockEnds(openIdx)) {
      this.SKIP_TOKEN();
      return;
    }
    if (!this.indentRecovery && !this.is(EOF)) {
      this.CONSUME(T.RBrace); // the usual message and recovery
      return;
    }
    const open = this.input[openIdx]!;
    if (this.is(EOF) && (this.LA(1) as VirtualEnd).virtualEnd === undefined) this.eofRecovered = true;
    this.note(
      "E0013",
      `this \`{\` (${what}) is not closed`,
      open.startOffset,
      open.endOffset! + 1,
      "add the `}` that ends it",
    );
  }

  private spanOfNodes(a: { span: Span }, b: { span: Span }): Span {
    return {
      start: a.span.start,
      end: b.span.end,
      line: a.span.line,
      col: a.span.col,
      endLine: b.span.endLine,
      endCol: b.span.endCol,
    };
  }

  private ident(tok: IToken): A.Identifier {
    return { kind: "Identifier", name: tok.image, span: this.span(tok, tok) };
  }

  private errorNode(tok: IToken | undefined): A.ErrorNode {
    const t = tok && !Number.isNaN(tok.startOffset) ? tok : this.LA(0);
    return {
      kind: "Error",
      span:
        t && !Number.isNaN(t.startOffset)
          ? this.span(t, t)
          : { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 },
    };
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) throw new NestingTooDeep(this.LA(1));
  }

  private leave(): void {
    this.depth--;
  }

  private is(tt: TokenType, k = 1): boolean {
    return this.LA(k).tokenType === tt;
  }

  /** `{` followed by `}` or by `key:` reads as a record, anything else as a block. */
  private looksLikeRecord(): boolean {
    if (!this.is(T.LBrace)) return false;
    const t2 = this.LA(2).tokenType;
    if (t2 === T.RBrace) return false;
    const isKey =
      t2 === T.StringLiteral ||
      T.IdentifierToken.categoryMatchesMap![this.LA(2).tokenTypeIdx] === true ||
      t2 === T.IdentifierToken;
    return isKey && this.is(T.Colon, 3);
  }

  /** Whether the `[` at LA(1) closes before anything that would continue an expression. */
  private bracketEndsAction(): boolean {
    let depth = 0;
    for (let k = 1; ; k++) {
      const t = this.LA(k).tokenType;
      if (t === EOF) return true;
      if (t === T.LBracket || t === T.LParen || t === T.LBrace) depth++;
      else if (t === T.RBracket || t === T.RParen || t === T.RBrace) {
        depth--;
        if (depth === 0) {
          const next = this.LA(k + 1);
          return !(
            T.BinaryOperator.categoryMatchesMap![next.tokenTypeIdx] ||
            next.tokenType === T.Dot ||
            next.tokenType === T.LParen ||
            next.tokenType === T.LBracket
          );
        }
      }
    }
  }

  /** Skips tokens up to (not including) one that `stop` accepts at brace depth 0, or EOF. */
  private skipUntil(stop: (t: IToken) => boolean): void {
    let depth = 0;
    while (!this.is(EOF)) {
      const t = this.LA(1);
      if (depth === 0 && stop(t)) return;
      if (t.tokenType === T.LBrace) depth++;
      else if (t.tokenType === T.RBrace) {
        if (depth === 0) return;
        depth--;
      }
      this.SKIP_TOKEN();
    }
  }

  // ---- program and items ---------------------------------------------------------------------

  public program = this.RULE(
    "program",
    (): A.Item[] => {
      const items: A.Item[] = [];
      if (this.RECORDING_PHASE) {
        this.SUBRULE(this.item);
        return items;
      }
      while (!this.is(EOF) && this.tokenPos + 1 !== this.stopAt) {
        if (TOP_LEVEL_STARTS.has(this.LA(1).tokenType)) {
          const before = this.LA(1);
          let item: A.Item;
          try {
            item = this.SUBRULE(this.item);
          } catch (e) {
            if (e instanceof TooManySyntaxErrors) return items;
            throw e;
          }
          if (item && item.kind !== ("Error" as string)) items.push(item);
          if (this.LA(1) === before) this.SKIP_TOKEN(); // no progress: never loop forever
        } else {
          const bad = this.LA(1);
          const help =
            bad.image === "let" || bad.image === "with"
              ? "`let` and `with` belong inside an agent or function body"
              : "a file holds metadata, agent, policy, type, function, schedule, channel, memory and webhook blocks";
          this.note(
            "E0014",
            `expected a top-level item, found ${describeToken(bad)}`,
            bad.startOffset,
            bad.endOffset! + 1,
            help,
          );
          this.SKIP_TOKEN();
          // One note for the whole run of junk: stray `}` do not start a new one (`}}}}…` is one
          // error, not one per brace).
          for (;;) {
            this.skipUntil((t) => TOP_LEVEL_STARTS.has(t.tokenType));
            if (!this.is(T.RBrace)) break;
            this.SKIP_TOKEN();
          }
        }
      }
      return items;
    },
    LIST_RECOVERY,
  );

  public item = this.RULE(
    "item",
    (): A.Item =>
      this.OR(
        (this.itemAlts ??= [
          { ALT: () => this.SUBRULE(this.metadataBlock) },
          { ALT: () => this.SUBRULE(this.agentDef) },
          { ALT: () => this.SUBRULE(this.policyDef) },
          { ALT: () => this.SUBRULE(this.typeDef) },
          { ALT: () => this.SUBRULE(this.functionDef) },
          { ALT: () => this.SUBRULE(this.scheduleDef) },
          { ALT: () => this.SUBRULE(this.channelDef) },
          { ALT: () => this.SUBRULE(this.memoryDef) },
          { ALT: () => this.SUBRULE(this.webhookDef) },
        ]),
      ),
    { recoveryValueFunc: (e) => this.errorNode(e?.token) as unknown as A.Item },
  );
  private itemAlts?: Array<IOrAlt<A.Item>>;

  public metadataBlock = this.RULE("metadataBlock", (): A.MetadataBlock => {
    const kw = this.CONSUME(Kw.metadata);
    this.CONSUME(T.LBrace);
    const entries: A.Property[] = [];
    this.MANY(() => pushNode(entries, this.SUBRULE(this.property, { ARGS: ["metadata"] })));
    this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "Metadata", entries, span: this.from(kw) }));
  });

  /** A declarative entry; `ctx` decides the separator and the values allowed (LANGUAGE.md §1.1). */
  public property = this.RULE("property", (ctx: PropertyContext): A.Property => {
    const key = this.CONSUME(T.IdentifierToken);
    const juxtaposed = ctx === "memory" || ctx === "webhook" || ctx === "search" || ctx === "filter";
    // An OPTION hands back its action's value (undefined when it did not run).
    const sep = this.OPTION(
      (this.propertySeparator ??= () => this.OR((this.propertySeparatorAlts ??= this.eqOrColonAlts()))),
    );
    let separator: A.Separator = null;
    if (!this.RECORDING_PHASE && sep !== undefined) {
      separator = sep.image as "=" | ":";
      if (juxtaposed) {
        this.note(
          "E0016",
          `${ctx} properties take no \`${sep.image}\`: write the value right after the key`,
          sep.startOffset,
          sep.endOffset! + 1,
          `e.g. \`${key.image} ${ctx === "memory" ? "90d" : '"value"'}\``,
        );
      }
    }
    if (!this.RECORDING_PHASE && !juxtaposed && separator === null) {
      this.note(
        "E0016",
        `expected \`=\` or \`:\` after \`${key.image}\``,
        key.endOffset! + 1,
        key.endOffset! + 1,
        `write \`${key.image} = value\``,
      );
    }
    const value = this.SUBRULE(this.declValue);
    const comma = this.OPTION2((this.propertyComma ??= () => this.CONSUME(T.Comma))) !== undefined;
    if (this.RECORDING_PHASE) return undefined as unknown as A.Property;
    this.checkDeclValue(value, ctx);
    const id = this.ident(key);
    return { kind: "Property", key: id, separator, value, comma, span: this.spanOfNodes(id, value) };
  });
  private propertySeparator?: () => IToken;
  private propertySeparatorAlts?: Array<IOrAlt<IToken>>;
  private propertyComma?: () => IToken;

  private checkDeclValue(value: A.DeclValue, ctx: PropertyContext | "with"): void {
    if (value.kind === "Record" && ctx !== "metadata") {
      this.note(
        "E0017",
        `a record is not allowed as a ${ctx} value`,
        value.span.start,
        value.span.end,
        "only metadata values may be records",
      );
    } else if (value.kind === "Array" && !(ctx === "metadata" || ctx === "channel" || ctx === "with")) {
      this.note("E0017", `an array is not allowed as a ${ctx} value`, value.span.start, value.span.end);
    }
  }

  /** STRING | DURATION | NUMBER | BOOLEAN | IDENT | array | record — never a general expression. */
  public declValue = this.RULE(
    "declValue",
    (): A.DeclValue => {
      const v = this.OR(
        (this.declValueAlts ??= [
          { ALT: () => this.SUBRULE(this.literal) },
          { ALT: () => this.SUBRULE(this.arrayExpr) },
          { ALT: () => this.SUBRULE(this.recordExpr) },
          { ALT: () => this.ident(this.CONSUME(T.IdentifierToken)), IGNORE_AMBIGUITIES: true },
        ]),
      );
      if (!this.RECORDING_PHASE) {
        if (this.is(T.Dot) && (v.kind === "Number" || v.kind === "Identifier")) {
          const unit = this.LA(2).image;
          const help =
            v.kind === "Number" && /^(milliseconds|seconds|minutes|hours|days)$/.test(unit)
              ? `write a duration literal such as \`${v.raw}${({ milliseconds: "ms", seconds: "s", minutes: "m", hours: "h", days: "d" } as Record<string, string>)[unit]}\``
              : "declarative values are literals, identifiers or arrays";
          // `0.` at the end of the file: the note ends at the dot.
          const last = this.is(EOF, 2) ? this.LA(1) : this.LA(2);
          this.note("E0017", "expressions are not allowed here", v.span.start, last.endOffset! + 1, help);
        }
      }
      return v;
    },
    { recoveryValueFunc: (e) => this.errorNode(e?.token) },
  );
  private declValueAlts?: Array<IOrAlt<A.DeclValue>>;

  public agentDef = this.RULE("agentDef", (): A.AgentDef => {
    const kw = this.CONSUME(Kw.agent);
    const name = this.CONSUME(T.IdentifierToken);
    let params: A.Param[] | undefined;
    let returnType: A.TypeRef | undefined;
    this.OPTION(() => {
      params = this.SUBRULE(this.paramList);
    });
    this.OPTION2(() => {
      this.CONSUME(T.ThinArrow);
      returnType = this.SUBRULE(this.typeRef);
    });
    this.CONSUME(T.LBrace);
    const openIdx = this.tokenPos;
    const members = this.SUBRULE(this.agentMembers, { ARGS: [openIdx] });
    this.closeBrace(openIdx, `agent ${name.image}`);
    return this.ACTION(() => {
      const node: A.AgentDef = { kind: "Agent", name: this.ident(name), members, span: this.from(kw) };
      if (params) node.params = params;
      if (returnType) node.returnType = returnType;
      return node;
    });
  });

  public agentMembers = this.RULE(
    "agentMembers",
    (openIdx: number): A.AgentMember[] => {
      const members: A.AgentMember[] = [];
      if (this.RECORDING_PHASE) {
        this.SUBRULE(this.agentMember);
        return members;
      }
      while (!this.is(EOF) && !this.is(T.RBrace) && !this.blockEnds(openIdx)) {
        if (AGENT_MEMBER_STARTS.has(this.LA(1).tokenType)) {
          const before = this.LA(1);
          const m = this.listEntry(() => this.SUBRULE(this.agentMember));
          if (m && (m.kind as string) !== "Error") members.push(m);
          if (this.LA(1) === before) this.SKIP_TOKEN();
        } else if (
          TOP_LEVEL_STARTS.has(this.LA(1).tokenType) &&
          this.LA(1).tokenType !== Kw.policy &&
          this.LA(1).tokenType !== Kw.function
        ) {
          // Probably a missing `}` before the next top-level item: let the caller report it.
          return members;
        } else {
          const bad = this.LA(1);
          const help =
            bad.image === "let" ||
            bad.image === "try" ||
            bad.image === "if" ||
            bad.image === "for" ||
            bad.image === "match"
              ? "statements belong inside a `with { ... }` block or a function body"
              : "an agent body holds capabilities, policy, function and with blocks";
          this.note(
            "E0015",
            `unexpected ${describeToken(bad)} in agent body`,
            bad.startOffset,
            bad.endOffset! + 1,
            help,
          );
          this.SKIP_TOKEN();
          this.skipUntil((t) => AGENT_MEMBER_STARTS.has(t.tokenType));
        }
      }
      return members;
    },
    LIST_RECOVERY,
  );

  public agentMember = this.RULE(
    "agentMember",
    (): A.AgentMember =>
      this.OR(
        (this.agentMemberAlts ??= [
          { ALT: () => this.SUBRULE(this.capabilitiesDecl) },
          { ALT: () => this.SUBRULE(this.policyDef) },
          { ALT: () => this.SUBRULE(this.functionDef) },
          { ALT: () => this.SUBRULE(this.withBlock) },
        ]),
      ),
    { recoveryValueFunc: (e) => this.errorNode(e?.token) as unknown as A.AgentMember },
  );
  private agentMemberAlts?: Array<IOrAlt<A.AgentMember>>;

  public capabilitiesDecl = this.RULE("capabilitiesDecl", (): A.CapabilitiesDecl => {
    const kw = this.CONSUME(Kw.capabilities);
    const sep = this.OR([{ ALT: () => this.CONSUME(T.Eq) }, { ALT: () => this.CONSUME(T.Colon) }]);
    const list = this.SUBRULE(this.arrayExpr);
    return this.ACTION(() => ({ kind: "Capabilities", separator: sep.image as "=" | ":", list, span: this.from(kw) }));
  });

  public paramList = this.RULE(
    "paramList",
    (): A.Param[] => {
      const params: A.Param[] = [];
      this.CONSUME(T.LParen);
      this.MANY(() => {
        const p = this.SUBRULE(this.param);
        this.ACTION(() => (p.kind as string) !== "Error" && params.push(p));
        this.OPTION(() => this.CONSUME(T.Comma));
      });
      this.CONSUME(T.RParen);
      return params;
    },
    LIST_RECOVERY,
  );

  public param = this.RULE("param", (): A.Param => {
    const name = this.CONSUME(T.IdentifierToken);
    this.CONSUME(T.Colon);
    const type = this.SUBRULE(this.typeRef);
    return this.ACTION(() => ({ kind: "Param", name: this.ident(name), type, span: this.from(name) }));
  });

  public typeRef = this.RULE("typeRef", (): A.TypeRef => {
    const name = this.CONSUME(T.IdentifierToken);
    const args: A.TypeRef[] = [];
    this.OPTION(() => {
      this.CONSUME(T.Lt);
      this.enter();
      pushNode(args, this.SUBRULE(this.typeRef));
      this.MANY(() => {
        this.CONSUME(T.Comma);
        pushNode(args, this.SUBRULE2(this.typeRef));
      });
      this.leave();
      this.CONSUME(T.Gt);
    });
    return this.ACTION(() => ({ kind: "TypeRef", name: this.ident(name), args, span: this.from(name) }));
  });

  public policyDef = this.RULE("policyDef", (): A.PolicyDef => {
    const kw = this.CONSUME(Kw.policy);
    const name = this.CONSUME(T.IdentifierToken);
    this.CONSUME(T.LBrace);
    const openIdx = this.tokenPos;
    const rules: A.PolicyRule[] = [];
    const comma = () =>
      this.OPTION(() => {
        const c = this.CONSUME(T.Comma);
        this.ACTION(() =>
          this.note(
            "E0016",
            "policy rules are not separated by `,`",
            c.startOffset,
            c.endOffset! + 1,
            "remove the `,`: put each rule on its own line",
          ),
        );
      });
    if (this.RECORDING_PHASE) {
      this.MANY(() => {
        const rule = this.SUBRULE(this.policyRule);
        this.ACTION(() => (rule.kind as string) !== "Error" && rules.push(rule));
        comma();
      });
    } else {
      while (!this.is(EOF) && !this.is(T.RBrace) && !this.blockEnds(openIdx)) {
        const before = this.tokenPos;
        const rule = this.listEntry(() => this.SUBRULE(this.policyRule));
        if ((rule.kind as string) !== "Error") rules.push(rule);
        comma();
        if (this.tokenPos === before) this.skipLine();
      }
    }
    this.closeBrace(openIdx, `policy ${name.image}`);
    return this.ACTION(() => ({ kind: "Policy", name: this.ident(name), rules, span: this.from(kw) }));
  });

  public policyRule = this.RULE("policyRule", (): A.PolicyRule => {
    const verbTok = this.OR(
      (this.policyVerbAlts ??= [
        { ALT: () => this.CONSUME(Kw.allow) },
        { ALT: () => this.CONSUME(Kw.deny) },
        { ALT: () => this.CONSUME(Kw.require) },
        { ALT: () => this.CONSUME(Kw.audit) },
      ]),
    );
    this.CONSUME(T.Colon);
    const verb = verbTok.image as A.PolicyVerb;
    // The gate reads the verb here: it runs before either alternative parses anything.
    this.policyVerb = verb;
    const action = this.OR2(
      (this.policyActionAlts ??= [
        {
          // A `require: [ ... ]` list may hold `name = value` settings; `[a] + b` stays an expression.
          GATE: () => this.policyVerb === "require" && this.is(T.LBracket) && this.bracketEndsAction(),
          ALT: () => this.SUBRULE(this.arrayExpr, ALLOW_SETTINGS),
        },
        { ALT: () => this.SUBRULE(this.expression, STRUCT_OK) },
      ]),
    );
    // An OPTION hands back its action's value (undefined when it did not run).
    const scope = this.OPTION(
      (this.policyScope ??= () => {
        this.CONSUME(Kw.for);
        return this.SUBRULE2(this.expression, STRUCT_OK);
      }),
    );
    const guard = this.OPTION2(
      (this.policyGuard ??= () => {
        this.CONSUME(Kw.if);
        return this.SUBRULE3(this.expression, STRUCT_OK);
      }),
    );
    if (this.RECORDING_PHASE) return undefined as unknown as A.PolicyRule;
    const rule: A.PolicyRule = { kind: "PolicyRule", verb, action, span: this.from(verbTok) };
    if (scope) rule.scope = scope;
    if (guard) rule.guard = guard;
    return rule;
  });
  private policyVerb: A.PolicyVerb = "allow";
  private policyVerbAlts?: Array<IOrAlt<IToken>>;
  private policyActionAlts?: Array<IOrAlt<A.Expr>>;
  private policyScope?: () => A.Expr;
  private policyGuard?: () => A.Expr;

  public functionDef = this.RULE("functionDef", (): A.FunctionDef => {
    const kw = this.CONSUME(Kw.function);
    const name = this.CONSUME(T.IdentifierToken);
    const params = this.SUBRULE(this.paramList);
    let returnType: A.TypeRef | undefined;
    this.OPTION(() => {
      this.CONSUME(T.ThinArrow);
      returnType = this.SUBRULE(this.typeRef);
    });
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => {
      const f: A.FunctionDef = { kind: "Function", name: this.ident(name), params, body, span: this.from(kw) };
      if (returnType) f.returnType = returnType;
      return f;
    });
  });

  public withBlock = this.RULE("withBlock", (): A.WithBlock => {
    const kw = this.CONSUME(Kw.with);
    const attributes: A.WithAttribute[] = [];
    this.MANY(() => pushNode(attributes, this.SUBRULE(this.withAttribute)));
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => ({ kind: "With", attributes, body, span: this.from(kw) }));
  });

  public withAttribute = this.RULE("withAttribute", (): A.WithAttribute => {
    const name = this.CONSUME(T.IdentifierToken);
    const sep = this.OR(
      (this.withSeparatorAlts ??= [{ ALT: () => this.CONSUME(T.Eq) }, { ALT: () => this.CONSUME(T.Colon) }]),
    );
    if (!this.RECORDING_PHASE && sep.tokenType === T.Colon)
      this.note(
        "E0016",
        "`with` attributes use `=`, not `:`",
        sep.startOffset,
        sep.endOffset! + 1,
        `write \`${name.image} = ...\``,
      );
    const value = this.SUBRULE(this.declValue);
    // An OPTION hands back its action's value (undefined when it did not run).
    const comma = this.OPTION((this.withComma ??= () => this.CONSUME(T.Comma))) !== undefined;
    if (this.RECORDING_PHASE) return undefined as unknown as A.WithAttribute;
    this.checkDeclValue(value, "with");
    const id = this.ident(name);
    return { kind: "WithAttribute", name: id, value, comma, span: this.spanOfNodes(id, value) };
  });
  private withSeparatorAlts?: Array<IOrAlt<IToken>>;
  private withComma?: () => IToken;

  public typeDef = this.RULE("typeDef", (): A.TypeDef => {
    const kw = this.CONSUME(Kw.type);
    const name = this.CONSUME(T.IdentifierToken);
    this.CONSUME(T.Eq);
    const definition = this.OR([
      { ALT: () => this.SUBRULE(this.structType) },
      {
        ALT: () => {
          const t = this.CONSUME2(T.IdentifierToken);
          return this.ACTION((): A.TypeRef => ({
            kind: "TypeRef",
            name: this.ident(t),
            args: [],
            span: this.span(t, t),
          }));
        },
      },
    ]);
    this.ACTION(() => {
      if (this.is(T.Semi)) {
        const s = this.LA(1);
        this.note("E0012", "unexpected `;` after a type definition", s.startOffset, s.endOffset! + 1, "remove the `;`");
        this.SKIP_TOKEN();
      } else if (this.is(T.Lt)) {
        const s = this.LA(1);
        this.note(
          "E0017",
          "generic type aliases are not supported",
          s.startOffset,
          s.endOffset! + 1,
          "declare a struct type, or use the generic type directly where it is needed",
        );
      }
    });
    return this.ACTION(() => ({ kind: "TypeDef", name: this.ident(name), definition, span: this.from(kw) }));
  });

  public structType = this.RULE("structType", (): A.StructType => {
    const open = this.CONSUME(T.LBrace);
    const fields: A.FieldDecl[] = [];
    this.MANY(() => {
      const n = this.CONSUME(T.IdentifierToken);
      this.CONSUME(T.Colon);
      const type = this.SUBRULE(this.typeRef);
      this.OPTION(() => this.CONSUME(T.Comma));
      this.ACTION(() =>
        fields.push({ kind: "FieldDecl", name: this.ident(n), type, span: this.spanOfNodes(this.ident(n), type) }),
      );
    });
    this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "StructType", fields, span: this.from(open) }));
  });

  public scheduleDef = this.RULE("scheduleDef", (): A.ScheduleDef => {
    const kw = this.CONSUME(Kw.schedule);
    const name = this.CONSUME(T.IdentifierToken);
    this.CONSUME(T.LBrace);
    const entries: A.Property[] = [];
    this.MANY(() => pushNode(entries, this.SUBRULE(this.property, { ARGS: ["schedule"] })));
    this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "Schedule", name: this.ident(name), entries, span: this.from(kw) }));
  });

  public channelDef = this.RULE("channelDef", (): A.ChannelDef => {
    const kw = this.CONSUME(Kw.channel);
    const name = this.CONSUME(T.IdentifierToken);
    this.CONSUME(T.LBrace);
    const members: A.ChannelMember[] = [];
    this.MANY(() => {
      // One token decides: `policy` and `data_classification` are keywords here, so a
      // property with those names is an error, as in the reference (LANGUAGE.md §1.3).
      const m = this.OR({
        MAX_LOOKAHEAD: 1,
        IGNORE_AMBIGUITIES: true,
        DEF: [
          { ALT: () => this.SUBRULE(this.policyDef) },
          { ALT: () => this.SUBRULE(this.dataClassification) },
          { ALT: () => this.SUBRULE(this.property, { ARGS: ["channel"] }) },
        ],
      });
      pushNode(members, m);
    });
    this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "Channel", name: this.ident(name), members, span: this.from(kw) }));
  });

  public dataClassification = this.RULE("dataClassification", (): A.DataClassification => {
    const kw = this.CONSUME(Kw.data_classification);
    this.CONSUME(T.LBrace);
    const rules: A.ClassificationRule[] = [];
    this.MANY(() => {
      const cat = this.CONSUME(T.IdentifierToken);
      this.CONSUME(T.Colon);
      const act = this.CONSUME2(T.IdentifierToken);
      let comma = false;
      this.OPTION(() => {
        this.CONSUME(T.Comma);
        comma = true;
      });
      this.ACTION(() =>
        rules.push({
          kind: "ClassificationRule",
          category: this.ident(cat),
          action: this.ident(act),
          comma,
          span: this.span(cat, act),
        }),
      );
    });
    this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "DataClassification", rules, span: this.from(kw) }));
  });

  public memoryDef = this.RULE("memoryDef", (): A.MemoryDef => {
    const kw = this.CONSUME(Kw.memory);
    const name = this.CONSUME(T.IdentifierToken);
    const members = this.SUBRULE(this.subBlockMembers, { ARGS: ["memory"] });
    return this.ACTION(() => ({ kind: "Memory", name: this.ident(name), members, span: this.from(kw) }));
  });

  public webhookDef = this.RULE("webhookDef", (): A.WebhookDef => {
    const kw = this.CONSUME(Kw.webhook);
    const name = this.CONSUME(T.IdentifierToken);
    const members = this.SUBRULE(this.subBlockMembers, { ARGS: ["webhook"] });
    return this.ACTION(() => ({ kind: "Webhook", name: this.ident(name), members, span: this.from(kw) }));
  });

  /** `{ (prop | search {..}) }` for memory, `{ (prop | filter {..}) }` for webhook. */
  public subBlockMembers = this.RULE(
    "subBlockMembers",
    (ctx: "memory" | "webhook"): Array<A.Property | A.SubBlock> => {
      this.CONSUME(T.LBrace);
      const members: Array<A.Property | A.SubBlock> = [];
      this.MANY(() => {
        // One token decides (`search` / `filter` are keywords here), as in the reference.
        const m = this.OR({
          MAX_LOOKAHEAD: 1,
          IGNORE_AMBIGUITIES: true,
          DEF: [
            {
              GATE: () => ctx === "memory",
              ALT: () => this.SUBRULE(this.subBlock, { ARGS: ["search"] }),
            },
            {
              GATE: () => ctx === "webhook",
              ALT: () => this.SUBRULE2(this.subBlock, { ARGS: ["filter"] }),
            },
            { ALT: () => this.SUBRULE(this.property, { ARGS: [ctx] }) },
          ],
        });
        pushNode(members, m);
      });
      this.CONSUME(T.RBrace);
      return members;
    },
    LIST_RECOVERY,
  );

  public subBlock = this.RULE("subBlock", (keyword: "search" | "filter"): A.SubBlock => {
    const kw = this.OR([{ ALT: () => this.CONSUME(Kw.search) }, { ALT: () => this.CONSUME(Kw.filter) }]);
    this.CONSUME(T.LBrace);
    const entries: A.Property[] = [];
    this.MANY(() => pushNode(entries, this.SUBRULE(this.property, { ARGS: [keyword] })));
    this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "SubBlock", keyword, entries, span: this.from(kw) }));
  });

  // ---- statements ----------------------------------------------------------------------------

  public block = this.RULE(
    "block",
    (): A.Block => {
      const open = this.CONSUME(T.LBrace);
      const openIdx = this.tokenPos;
      if (this.RECORDING_PHASE) {
        this.MANY(() => this.SUBRULE(this.statement));
        this.closeBrace(openIdx, "block");
        return undefined as unknown as A.Block;
      }
      this.enter();
      const statements: A.Stmt[] = [];
      let tail: A.Expr | undefined;
      const parseStatement = (this.statementEntry ??= () => this.SUBRULE(this.statement));
      while (!this.is(EOF) && !this.is(T.RBrace) && !this.blockEnds(openIdx)) {
        const before = this.tokenPos;
        const s = this.listEntry(parseStatement);
        if (s && (s as { kind: string }).kind !== "Error") {
          // A value without `;` followed by more statements (recovery) is a statement, not the tail.
          if (tail) {
            statements.push({ kind: "ExprStmt", expr: tail, span: tail.span });
            tail = undefined;
          }
          if (s.kind === "Tail") tail = s.expr;
          else statements.push(s);
        }
        // No progress (a token that starts no statement): skip the rest of its line.
        if (this.tokenPos === before) this.skipLine();
      }
      this.closeBrace(openIdx, "block");
      this.leave();
      const b: A.Block = { kind: "Block", statements, span: this.from(open) };
      if (tail) b.tail = tail;
      return b;
    },
    {
      recoveryValueFunc: (e) => {
        this.depth = Math.max(0, this.depth - 1);
        return { kind: "Block" as const, statements: [], span: this.errorNode(e?.token).span };
      },
    },
  );

  private statementEntry?: () => A.Stmt | TailMarker;

  /** Skips the next token and the rest of its line (never a `}` or the end). */
  private skipLine(): void {
    const first = this.LA(1);
    if (first.tokenType === EOF || first.tokenType === T.RBrace) return;
    this.SKIP_TOKEN();
    while (!this.is(EOF) && !this.is(T.RBrace) && this.LA(1).startLine === first.startLine) this.SKIP_TOKEN();
  }

  public statement = this.RULE(
    "statement",
    (): A.Stmt | TailMarker =>
      // One-token lookahead: statement keywords come first and win over the identifier
      // category (contextual keywords), which lets chevrotain use its token→alternative map.
      this.OR({
        MAX_LOOKAHEAD: 1,
        IGNORE_AMBIGUITIES: true,
        DEF: (this.statementAlts ??= [
          { ALT: () => this.SUBRULE(this.letStatement) },
          { ALT: () => this.SUBRULE(this.ifStatement) },
          { ALT: () => this.SUBRULE(this.forStatement) },
          { ALT: () => this.SUBRULE(this.matchStatement) },
          { ALT: () => this.SUBRULE(this.tryStatement) },
          { ALT: () => this.SUBRULE(this.returnStatement) },
          { ALT: () => this.SUBRULE(this.exprOrAssignStatement) },
        ]),
      }),
    { recoveryValueFunc: (e) => this.errorNode(e?.token) as unknown as A.Stmt },
  );
  private statementAlts?: Array<{ ALT: () => A.Stmt | TailMarker }>;

  public letStatement = this.RULE("letStatement", (): A.LetStmt => {
    const kw = this.CONSUME(Kw.let);
    const name = this.CONSUME(T.IdentifierToken);
    this.CONSUME(T.Eq);
    const init = this.SUBRULE(this.expression, STRUCT_OK);
    this.CONSUME(T.Semi);
    return this.ACTION(() => ({ kind: "Let", name: this.ident(name), init, span: this.from(kw) }));
  });

  public returnStatement = this.RULE("returnStatement", (): A.ReturnStmt => {
    const kw = this.CONSUME(Kw.return);
    let value: A.Expr | undefined;
    this.OPTION(() => {
      value = this.SUBRULE(this.expression, STRUCT_OK);
    });
    this.CONSUME(T.Semi);
    return this.ACTION(() => {
      const r: A.ReturnStmt = { kind: "Return", span: this.from(kw) };
      if (value) r.value = value;
      return r;
    });
  });

  /** Reports a `;` after a statement that takes none, and skips it. */
  private forbidSemicolon(what: string): void {
    if (this.is(T.Semi)) {
      const s = this.LA(1);
      this.note(
        "E0012",
        `unexpected \`;\` after \`${what}\` statement`,
        s.startOffset,
        s.endOffset! + 1,
        "remove the `;`",
      );
      this.SKIP_TOKEN();
    }
  }

  public ifStatement = this.RULE("ifStatement", (): A.IfStmt | A.ExprStmt => {
    const ifs = this.SUBRULE(this.ifChain);
    return this.ACTION(() => {
      if (!this.is(T.Semi)) return ifs;
      // `if c {1} else {2};` is an expression statement; without `else` the `;` is an error.
      const asExpr = toIfExpr(ifs);
      if (asExpr) {
        this.SKIP_TOKEN();
        return {
          kind: "ExprStmt",
          expr: asExpr,
          span: this.spanOfNodes(ifs, { span: this.span(this.LA(0), this.LA(0)) }),
        } as A.ExprStmt;
      }
      this.forbidSemicolon("if");
      return ifs;
    });
  });

  public ifChain = this.RULE("ifChain", (): A.IfStmt => {
    const kw = this.CONSUME(Kw.if);
    const condition = this.OR({
      MAX_LOOKAHEAD: 1,
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            const letKw = this.CONSUME(Kw.let);
            const pattern = this.SUBRULE(this.pattern);
            this.CONSUME(T.Eq);
            const value = this.SUBRULE(this.expression, NO_STRUCT);
            return this.ACTION((): A.LetCondition => ({
              kind: "LetCondition",
              pattern,
              value,
              span: this.from(letKw),
            }));
          },
        },
        { ALT: () => this.SUBRULE2(this.expression, NO_STRUCT) },
      ],
    });
    const then = this.SUBRULE(this.block);
    let elseBranch: A.Block | A.IfStmt | undefined;
    this.OPTION(() => {
      this.CONSUME(Kw.else);
      elseBranch = this.OR2([{ ALT: () => this.SUBRULE(this.ifChain) }, { ALT: () => this.SUBRULE2(this.block) }]);
    });
    return this.ACTION(() => {
      const node: A.IfStmt = { kind: "If", condition, then, span: this.from(kw) };
      if (elseBranch) node.else = elseBranch;
      return node;
    });
  });

  public pattern = this.RULE("pattern", (): A.Pattern =>
    this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(Kw._);
          return this.ACTION((): A.WildcardPattern => ({ kind: "WildcardPattern", span: this.span(t, t) }));
        },
      },
      {
        ALT: () => {
          const name = this.CONSUME(T.IdentifierToken);
          this.CONSUME(T.LParen);
          const args: A.Pattern[] = [];
          this.MANY(() => {
            pushNode(args, this.SUBRULE(this.pattern));
            this.OPTION(() => this.CONSUME(T.Comma));
          });
          this.CONSUME(T.RParen);
          return this.ACTION((): A.ConstructorPattern => ({
            kind: "ConstructorPattern",
            name: this.ident(name),
            args,
            span: this.from(name),
          }));
        },
        IGNORE_AMBIGUITIES: true,
      },
      {
        ALT: () => {
          const name = this.CONSUME2(T.IdentifierToken);
          return this.ACTION((): A.BindingPattern => ({
            kind: "BindingPattern",
            name: this.ident(name),
            span: this.span(name, name),
          }));
        },
        IGNORE_AMBIGUITIES: true,
      },
    ]),
  );

  public forStatement = this.RULE("forStatement", (): A.ForStmt => {
    const kw = this.CONSUME(Kw.for);
    const binder = this.CONSUME(T.IdentifierToken);
    this.CONSUME(Kw.in);
    const iterable = this.SUBRULE(this.expression, NO_STRUCT);
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => {
      const node: A.ForStmt = { kind: "For", binder: this.ident(binder), iterable, body, span: this.from(kw) };
      this.forbidSemicolon("for");
      return node;
    });
  });

  public matchStatement = this.RULE("matchStatement", (): A.MatchStmt => {
    const kw = this.CONSUME(Kw.match);
    const scrutinee = this.SUBRULE(this.expression, NO_STRUCT);
    this.CONSUME(T.LBrace);
    const arms: A.MatchArm[] = [];
    this.MANY(() => pushNode(arms, this.SUBRULE(this.matchArm)));
    this.CONSUME(T.RBrace);
    return this.ACTION(() => {
      const node: A.MatchStmt = { kind: "Match", scrutinee, arms, span: this.from(kw) };
      this.forbidSemicolon("match");
      return node;
    });
  });

  public matchArm = this.RULE("matchArm", (): A.MatchArm => {
    const first = this.LA(1);
    const pattern = this.SUBRULE(this.matchPattern);
    this.CONSUME(T.FatArrow);
    // `{` opens a block unless it reads as a record (`{ key: ...`); one token plus that check
    // decide, so `"a" => { y }` is a block whose value is `y`.
    const body = this.OR({
      MAX_LOOKAHEAD: 1,
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { GATE: () => this.is(T.LBrace) && !this.looksLikeRecord(), ALT: () => this.SUBRULE(this.block) },
        { ALT: () => this.SUBRULE(this.expression, STRUCT_OK) },
      ],
    });
    let comma = false;
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      comma = true;
    });
    return this.ACTION(() => ({ kind: "MatchArm", pattern, body, comma, span: this.from(first) }));
  });

  public matchPattern = this.RULE("matchPattern", (): A.MatchArm["pattern"] =>
    this.OR([
      { ALT: () => this.SUBRULE(this.stringLit) },
      { ALT: () => this.SUBRULE(this.numberLit) },
      { ALT: () => this.SUBRULE(this.boolLit) },
      {
        ALT: () => {
          const t = this.CONSUME(Kw._);
          return this.ACTION((): A.WildcardPattern => ({ kind: "WildcardPattern", span: this.span(t, t) }));
        },
      },
      { ALT: () => this.ident(this.CONSUME(T.IdentifierToken)), IGNORE_AMBIGUITIES: true },
    ]),
  );

  public tryStatement = this.RULE("tryStatement", (): A.TryStmt => {
    const kw = this.CONSUME(Kw.try);
    const body = this.SUBRULE(this.block);
    const catches: A.CatchClause[] = [];
    this.MANY(() => {
      const ck = this.CONSUME(Kw.catch);
      this.CONSUME(T.LParen);
      const first = this.CONSUME(T.IdentifierToken);
      let second: IToken | undefined;
      this.OPTION(() => {
        second = this.CONSUME2(T.IdentifierToken);
      });
      this.CONSUME(T.RParen);
      const cbody = this.SUBRULE2(this.block);
      this.ACTION(() => {
        const c: A.CatchClause = second
          ? {
              kind: "Catch",
              errorType: this.ident(first),
              binder: this.ident(second),
              body: cbody,
              span: this.from(ck),
            }
          : { kind: "Catch", binder: this.ident(first), body: cbody, span: this.from(ck) };
        catches.push(c);
      });
    });
    return this.ACTION(() => {
      const node: A.TryStmt = { kind: "Try", body, catches, span: this.from(kw) };
      this.forbidSemicolon("try");
      return node;
    });
  });

  /** Expression statement, assignment, or the block's trailing expression. */
  public exprOrAssignStatement = this.RULE("exprOrAssignStatement", (): A.Stmt | TailMarker => {
    const first = this.LA(1);
    const expr = this.SUBRULE(this.expression, STRUCT_OK);
    // The cached alternatives read these first thing, before anything nested can replace them.
    this.stmtFirst = first;
    this.stmtExpr = expr;
    return this.OR((this.exprStatementAlts ??= this.buildExprStatementAlts()));
  });
  private stmtFirst: IToken = undefined as unknown as IToken;
  private stmtExpr: A.Expr = undefined as unknown as A.Expr;
  private exprStatementAlts?: Array<IOrAlt<A.Stmt | TailMarker>>;
  private assignOpAlts?: Array<IOrAlt<IToken>>;

  private buildExprStatementAlts(): Array<IOrAlt<A.Stmt | TailMarker>> {
    return [
      {
        ALT: () => {
          const first = this.stmtFirst;
          const expr = this.stmtExpr;
          const opTok = this.OR2(
            (this.assignOpAlts ??= [
              { ALT: () => this.CONSUME(T.Eq) },
              { ALT: () => this.CONSUME(T.PlusEq) },
              { ALT: () => this.CONSUME(T.MinusEq) },
              { ALT: () => this.CONSUME(T.StarEq) },
              { ALT: () => this.CONSUME(T.SlashEq) },
              { ALT: () => this.CONSUME(T.PercentEq) },
            ]),
          );
          const value = this.SUBRULE2(this.expression, STRUCT_OK);
          this.CONSUME(T.Semi);
          if (this.RECORDING_PHASE) return undefined as unknown as A.AssignStmt;
          if (expr.kind !== "Identifier" && expr.kind !== "Member" && expr.kind !== "Index" && expr.kind !== "Error") {
            this.note(
              "E0018",
              "invalid assignment target",
              expr.span.start,
              expr.span.end,
              "assign to a variable, a member (`a.b = ..`) or an index (`a[i] = ..`)",
            );
          }
          return {
            kind: "Assign",
            target: expr,
            op: ASSIGN_OPS.get(opTok.tokenType)!,
            value,
            span: this.from(first),
          } as A.AssignStmt;
        },
      },
      {
        ALT: () => {
          const first = this.stmtFirst;
          const expr = this.stmtExpr;
          this.CONSUME2(T.Semi);
          if (this.RECORDING_PHASE) return undefined as unknown as A.ExprStmt;
          return { kind: "ExprStmt", expr, span: this.from(first) } as A.ExprStmt;
        },
      },
      {
        ALT: (): A.Stmt | TailMarker => {
          if (this.RECORDING_PHASE) return undefined as unknown as A.Stmt;
          const first = this.stmtFirst;
          const expr = this.stmtExpr;
          if (this.is(T.RBrace) || this.is(EOF)) return { kind: "Tail", expr };
          // Missing `;`: report it at the end of the expression and carry on as if it were there.
          const prev = this.LA(0);
          this.note(
            "E0011",
            `expected \`;\` after expression, found ${describeToken(this.LA(1))}`,
            prev.endOffset! + 1,
            prev.endOffset! + 1,
            "add `;` at the end of the statement",
          );
          return { kind: "ExprStmt", expr, span: this.from(first) };
        },
      },
    ];
  }

  // ---- expressions ---------------------------------------------------------------------------

  /**
   * Binary expressions are parsed flat (operand (op operand)*) and folded by precedence
   * climbing: one rule invocation per operand instead of one per precedence level, which is
   * where most of the parser's time went (LANGUAGE.md §1.2 gives the levels).
   */
  public expression = this.RULE(
    "expression",
    (noStruct: boolean): A.Expr => {
      if (!this.RECORDING_PHASE) this.enter();
      // The binary tail works on fields (saved here, restored in `finally`) so that an
      // expression without operators allocates nothing but its operand.
      const savedFrame = this.binFrame;
      const savedLeft = this.binLeft;
      const savedNoStruct = this.binNoStruct;
      try {
        const left = this.SUBRULE(this.operand, noStruct ? NO_STRUCT : STRUCT_OK);
        this.binFrame = undefined;
        this.binLeft = left;
        this.binNoStruct = noStruct;
        this.MANY((this.binaryTail ??= () => this.parseBinaryTail()));
        if (this.RECORDING_PHASE) return left;
        this.leave();
        const frame = this.binFrame as BinaryFrame | undefined;
        if (!frame) return left;
        if (frame.ops.length > this.longestChain) this.longestChain = frame.ops.length;
        return foldBinary(frame.operands, frame.ops);
      } finally {
        this.binFrame = savedFrame;
        this.binLeft = savedLeft;
        this.binNoStruct = savedNoStruct;
      }
    },
    {
      recoveryValueFunc: (e) => {
        this.depth = Math.max(0, this.depth - 1);
        return this.errorNode(e?.token);
      },
    },
  );
  private binFrame: BinaryFrame | undefined;
  private binLeft: A.Expr = undefined as unknown as A.Expr;
  private binNoStruct = false;
  private binaryTail?: () => void;

  /** `op operand`, repeated: collects operands and operators for precedence folding. */
  private parseBinaryTail(): void {
    const op = this.CONSUME(T.BinaryOperator);
    const left = this.binLeft;
    const noStruct = this.binNoStruct;
    let frame = this.binFrame;
    const right = this.SUBRULE2(this.operand, noStruct ? NO_STRUCT : STRUCT_OK);
    if (this.RECORDING_PHASE) return;
    if (!frame) frame = { operands: [left], ops: [] };
    frame.ops.push(op.image as A.BinaryOp);
    frame.operands.push(right);
    this.binFrame = frame;
    this.binLeft = left;
    this.binNoStruct = noStruct;
  }

  /**
   * One operand of a binary expression: prefix operators, a primary, then postfix member /
   * call / index operations. One rule instead of three (unary, postfix, primary) because rule
   * invocations dominate the parser's cost; the alternatives are cached arrays that work on
   * `this.cur` rather than per-call closures, for the same reason.
   */
  public operand = this.RULE("operand", (noStruct: boolean): A.Expr => {
    const savedPrefixes = this.prefixes;
    this.prefixes = undefined;
    this.MANY(
      (this.prefixTail ??= () => {
        const op = this.CONSUME(T.PrefixOperator);
        if (!this.RECORDING_PHASE) (this.prefixes ??= []).push(op);
      }),
    );
    const prefixes = this.prefixes as IToken[] | undefined;
    this.prefixes = savedPrefixes;
    const savedNoStruct = this.noStruct;
    this.noStruct = noStruct;
    const primary = this.OR(
      (this.primaryOr ??= { MAX_LOOKAHEAD: 1, IGNORE_AMBIGUITIES: true, DEF: this.buildPrimaryAlts() }),
    );
    this.noStruct = savedNoStruct;
    const savedCur = this.cur;
    const savedChain = this.chain;
    this.cur = primary;
    this.chain = 0;
    this.MANY2(
      (this.postfixTail ??= () => {
        this.chain++;
        this.OR2((this.postfixAlts ??= this.buildPostfixAlts()));
      }),
    );
    let e = this.cur;
    const chain = this.chain;
    this.cur = savedCur;
    this.chain = savedChain;
    if (this.RECORDING_PHASE) return e;
    if (chain > this.longestChain) this.longestChain = chain;
    if (prefixes) {
      if (prefixes.length > this.longestChain) this.longestChain = prefixes.length;
      for (let i = prefixes.length - 1; i >= 0; i--) {
        const op = prefixes[i]!;
        e = {
          kind: "Unary",
          op: op.image as A.UnaryOp,
          operand: e,
          span: this.spanOfNodes({ span: this.span(op, op) }, e),
        };
      }
    }
    return e;
  });
  /** The expression being extended by postfix operations (see `operand`). */
  private cur: A.Expr = undefined as unknown as A.Expr;
  private chain = 0;
  private prefixes: IToken[] | undefined;
  private prefixTail?: () => void;
  private postfixTail?: () => void;
  private primaryOr?: { MAX_LOOKAHEAD: number; IGNORE_AMBIGUITIES: boolean; DEF: Array<{ ALT: () => A.Expr }> };
  private postfixAlts?: Array<{ ALT: () => void }>;

  /** Span from the start of `node` to the last consumed token. */
  private fromNode(node: A.Expr): Span {
    const last = this.LA(0);
    // Small integers only (see `span`).
    const s = {
      start: node.span.start,
      end: (last.endOffset! + 1) | 0,
      line: node.span.line,
      col: node.span.col,
      endLine: last.endLine! | 0,
      endCol: (last.endColumn! + 1) | 0,
    };
    if (this.eofRecovered) this.extendToEnd(s);
    return s;
  }

  private buildPostfixAlts(): Array<{ ALT: () => void }> {
    return [
      {
        ALT: () => {
          const object = this.cur;
          this.CONSUME(T.Dot);
          const prop = this.CONSUME2(T.IdentifierToken);
          if (!this.RECORDING_PHASE)
            this.cur = { kind: "Member", object, property: this.ident(prop), span: this.fromNode(object) };
        },
      },
      {
        ALT: () => {
          const callee = this.cur;
          const args = this.SUBRULE(this.callArgs);
          if (!this.RECORDING_PHASE) this.cur = { kind: "Call", callee, args, span: this.fromNode(callee) };
        },
      },
      {
        ALT: () => {
          const object = this.cur;
          this.CONSUME(T.LBracket);
          const index = this.SUBRULE2(this.expression, STRUCT_OK);
          this.CONSUME(T.RBracket);
          if (!this.RECORDING_PHASE) this.cur = { kind: "Index", object, index, span: this.fromNode(object) };
        },
      },
    ];
  }

  public callArgs = this.RULE(
    "callArgs",
    (): Array<A.Expr | A.NamedArg> => {
      const args: Array<A.Expr | A.NamedArg> = [];
      this.CONSUME(T.LParen);
      // Commas are required between arguments; one trailing comma is allowed; `g(,)` and
      // `g(a,, b)` are errors (LANGUAGE.md §1.4.10).
      this.list = args;
      this.OPTION((this.callArgsBody ??= () => this.parseCallArgs()));
      this.CONSUME(T.RParen);
      return args;
    },
    LIST_RECOVERY,
  );

  /**
   * The list being filled by the running `callArgs` or `arrayExpr` (their cached closures read it
   * here instead of capturing a per-call array). A nested list replaces it, so every closure reads
   * it before parsing anything and puts it back when done: between the closure calls of one
   * repetition it always holds that repetition's list.
   */
  private list: unknown[] = [];
  private callArgsBody?: () => void;
  private callArgsMore?: { GATE: () => boolean; DEF: () => void };
  private trailingComma?: () => IToken;

  private parseCallArgs(): void {
    const args = this.list;
    args.push(this.SUBRULE(this.callArg));
    this.list = args;
    this.MANY(
      (this.callArgsMore ??= {
        GATE: () => !this.is(T.RParen, 2),
        DEF: () => {
          const args = this.list;
          this.CONSUME(T.Comma);
          args.push(this.SUBRULE2(this.callArg));
          this.list = args;
        },
      }),
    );
    this.OPTION2((this.trailingComma ??= () => this.CONSUME2(T.Comma)));
  }

  public callArg = this.RULE("callArg", (): A.Expr | A.NamedArg =>
    this.OR(
      (this.callArgAlts ??= [
        {
          GATE: () => !EXPR_START_KEYWORDS.has(this.LA(1).tokenType),
          ALT: () => {
            const name = this.CONSUME(T.IdentifierToken);
            const sep = this.OR2((this.namedArgSeparatorAlts ??= this.eqOrColonAlts()));
            const value = this.SUBRULE(this.expression, STRUCT_OK);
            if (this.RECORDING_PHASE) return undefined as unknown as A.NamedArg;
            return {
              kind: "NamedArg",
              name: this.ident(name),
              separator: sep.image as "=" | ":",
              value,
              span: this.from(name),
            };
          },
        },
        { ALT: () => this.SUBRULE2(this.expression, STRUCT_OK), IGNORE_AMBIGUITIES: true },
      ]),
    ),
  );
  private callArgAlts?: Array<IOrAlt<A.Expr | A.NamedArg>>;
  private namedArgSeparatorAlts?: Array<IOrAlt<IToken>>;

  /** Alternatives `=` | `:` (each call site caches its own array). */
  private eqOrColonAlts(): Array<IOrAlt<IToken>> {
    return [{ ALT: () => this.CONSUME(T.Eq) }, { ALT: () => this.CONSUME(T.Colon) }];
  }

  /** Whether the operand being parsed is in an `if`/`for`/`match` header (no type literal there). */
  private noStruct = false;

  /**
   * The primary alternatives of `operand`. All are decided on one token (chevrotain's fast map);
   * after an identifier, `=>` makes it a lambda and `{` (outside `noStruct` headers) a type
   * literal. `noStruct` is kept in a field so the cached alternatives need no per-call closures.
   */
  private buildPrimaryAlts(): Array<{ ALT: () => A.Expr }> {
    return [
      { ALT: () => this.SUBRULE(this.ifExpr) },
      // Literals are consumed right here (no nested OR, no rule call).
      { ALT: () => this.literalFrom(this.CONSUME(T.StringLiteral)) },
      { ALT: () => this.literalFrom(this.CONSUME(T.NumberLiteral)) },
      { ALT: () => this.literalFrom(this.CONSUME(T.DurationLiteral)) },
      { ALT: () => this.literalFrom(this.CONSUME(Kw.true)) },
      { ALT: () => this.literalFrom(this.CONSUME(Kw.false)) },
      { ALT: () => this.SUBRULE(this.closure) },
      {
        ALT: () => {
          const t = this.CONSUME(T.VaultRefToken);
          return this.ACTION((): A.VaultRef => ({
            kind: "Vault",
            path: t.image.slice("vault://".length),
            raw: t.image,
            span: this.span(t, t),
          }));
        },
      },
      { ALT: () => this.SUBRULE(this.arrayExpr) },
      { ALT: () => this.SUBRULE(this.recordExpr) },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          const inner = this.SUBRULE(this.expression, STRUCT_OK);
          this.CONSUME(T.RParen);
          return this.ACTION((): A.ParenExpr => ({ kind: "Paren", expr: inner, span: this.from(open) }));
        },
      },
      {
        // An identifier, a lambda `x => body`, or a type literal `T { .. }` (not in headers).
        // The optional parts are cached closures working on fields, not per-call closures.
        ALT: () => {
          const id = this.CONSUME(T.IdentifierToken);
          this.idTok = id;
          this.idResult = undefined;
          this.OPTION((this.lambdaTail ??= () => this.parseLambdaTail()));
          // The gate is tested here rather than given as the OPTION's GATE, which chevrotain wraps
          // in a new closure on every call: the same decision (an option's gate only guards its
          // lookahead, and the grammar recording ignores it), without the garbage.
          if (this.RECORDING_PHASE || (this.idResult === undefined && !this.noStruct))
            this.OPTION2((this.typeLiteralTail ??= () => this.parseTypeLiteralTail()));
          if (this.RECORDING_PHASE) return undefined as unknown as A.Expr;
          return this.idResult ?? this.ident(id);
        },
      },
    ];
  }

  private literalFrom(t: IToken): A.Expr {
    return this.RECORDING_PHASE ? (undefined as unknown as A.Expr) : literalNode(t, this.span(t, t));
  }

  private idTok: IToken = undefined as unknown as IToken;
  private idResult: A.Expr | undefined;
  private lambdaTail?: () => void;
  private typeLiteralTail?: () => void;

  private parseLambdaTail(): void {
    const param = this.idTok;
    const noStruct = this.noStruct;
    this.CONSUME(T.FatArrow);
    const body = this.SUBRULE3(this.expression, noStruct ? NO_STRUCT : STRUCT_OK);
    if (!this.RECORDING_PHASE)
      this.idResult = { kind: "Lambda", style: "arrow", params: [this.ident(param)], body, span: this.from(param) };
  }

  private parseTypeLiteralTail(): void {
    const name = this.idTok;
    const fields = this.SUBRULE(this.recordBody);
    if (!this.RECORDING_PHASE)
      this.idResult = { kind: "TypeLiteral", typeName: this.ident(name), fields, span: this.from(name) };
  }

  public ifExpr = this.RULE("ifExpr", (): A.IfExpr => {
    const kw = this.CONSUME(Kw.if);
    const condition = this.SUBRULE(this.expression, NO_STRUCT);
    const then = this.SUBRULE(this.block);
    this.CONSUME(Kw.else);
    const elseBranch = this.OR([{ ALT: () => this.SUBRULE(this.ifExpr) }, { ALT: () => this.SUBRULE2(this.block) }]);
    return this.ACTION(() => ({ kind: "IfExpr", condition, then, else: elseBranch, span: this.from(kw) }));
  });

  /** `|a, b| body`, `|| body` (our addition, DESIGN §3). */
  public closure = this.RULE("closure", (): A.LambdaExpr => {
    // Like `x => body`, the body keeps the header rule: in `if |a| b { .. }` the `{` opens the block.
    const noStruct = this.noStruct;
    const first = this.LA(1);
    const params: A.Identifier[] = [];
    this.OR([
      { ALT: () => this.CONSUME(T.OrOr) },
      {
        ALT: () => {
          this.CONSUME(T.Pipe);
          this.OPTION(() => {
            params.push(this.ident(this.CONSUME(T.IdentifierToken)));
            this.MANY(() => {
              this.CONSUME(T.Comma);
              params.push(this.ident(this.CONSUME2(T.IdentifierToken)));
            });
          });
          this.CONSUME2(T.Pipe);
        },
      },
    ]);
    const body = this.SUBRULE(this.expression, noStruct ? NO_STRUCT : STRUCT_OK);
    return this.ACTION(() => ({ kind: "Lambda", style: "closure", params, body, span: this.from(first) }));
  });

  private recordKeyAlts?: Array<{ ALT: () => A.StringLit | A.Identifier }>;

  public recordExpr = this.RULE("recordExpr", (): A.RecordExpr => {
    const open = this.LA(1);
    const fields = this.SUBRULE(this.recordBody);
    return this.ACTION(() => ({ kind: "Record", fields, span: this.from(open) }));
  });

  public recordBody = this.RULE(
    "recordBody",
    (): A.RecordField[] => {
      this.CONSUME(T.LBrace);
      if (!this.RECORDING_PHASE) this.enter();
      const fields: A.RecordField[] = [];
      this.list = fields;
      this.MANY((this.recordField ??= () => this.parseRecordField()));
      this.CONSUME(T.RBrace);
      if (!this.RECORDING_PHASE) this.leave();
      return fields;
    },
    LIST_RECOVERY,
  );
  private recordField?: () => void;
  private recordComma?: () => IToken;

  /** One `key: value,` of a record (the fields list is `list`, read as `parseCallArgs` does). */
  private parseRecordField(): void {
    const fields = this.list as A.RecordField[];
    const key = this.OR(
      (this.recordKeyAlts ??= [
        { ALT: () => this.SUBRULE(this.stringLit) },
        { ALT: () => this.ident(this.CONSUME(T.IdentifierToken)) },
      ]),
    );
    this.CONSUME(T.Colon);
    const value = this.SUBRULE(this.expression, STRUCT_OK);
    this.OPTION((this.recordComma ??= () => this.CONSUME(T.Comma)));
    if (!this.RECORDING_PHASE) fields.push({ kind: "RecordField", key, value, span: this.spanOfNodes(key, value) });
    this.list = fields;
  }

  /** `[a, b, c,]`; with `allowSettings`, elements may be `name = value` (require lists). */
  public arrayExpr = this.RULE("arrayExpr", (allowSettings?: boolean): A.ArrayExpr => {
    const open = this.CONSUME(T.LBracket);
    if (!this.RECORDING_PHASE) this.enter();
    const elements: A.Expr[] = [];
    // The elements' argument object, shared: no allocation per element.
    const element = allowSettings === true ? ALLOW_SETTINGS : NO_SETTINGS;
    const savedElement = this.arrayElementArgs;
    this.arrayElementArgs = element;
    this.list = elements;
    this.OPTION((this.arrayBody ??= () => this.parseArrayElements()));
    this.arrayElementArgs = savedElement;
    this.CONSUME(T.RBracket);
    if (this.RECORDING_PHASE) return undefined as unknown as A.ArrayExpr;
    this.leave();
    return { kind: "Array", elements, span: this.from(open) };
  });
  /** The `arrayElement` argument of the running `arrayExpr` (read like `list`). */
  private arrayElementArgs = NO_SETTINGS;
  private arrayBody?: () => void;
  private arrayMore?: { GATE: () => boolean; DEF: () => void };
  private trailingArrayComma?: () => IToken;

  private parseArrayElements(): void {
    const elements = this.list;
    const args = this.arrayElementArgs;
    elements.push(this.SUBRULE(this.arrayElement, args));
    this.list = elements;
    this.arrayElementArgs = args;
    this.MANY(
      (this.arrayMore ??= {
        GATE: () => !this.is(T.RBracket, 2),
        DEF: () => {
          const elements = this.list;
          const args = this.arrayElementArgs;
          this.CONSUME(T.Comma);
          elements.push(this.SUBRULE2(this.arrayElement, args));
          this.list = elements;
          this.arrayElementArgs = args;
        },
      }),
    );
    this.OPTION2((this.trailingArrayComma ??= () => this.CONSUME2(T.Comma)));
  }

  public arrayElement = this.RULE("arrayElement", (allowSettings: boolean): A.Expr => {
    // The gate reads the argument here: it runs before either alternative parses anything.
    this.allowSettings = allowSettings;
    return this.OR(
      (this.arrayElementAlts ??= [
        {
          GATE: () => this.allowSettings && !EXPR_START_KEYWORDS.has(this.LA(1).tokenType),
          ALT: () => {
            const name = this.CONSUME(T.IdentifierToken);
            this.CONSUME(T.Eq);
            const value = this.SUBRULE(this.expression, STRUCT_OK);
            if (this.RECORDING_PHASE) return undefined as unknown as A.SettingExpr;
            return { kind: "Setting", name: this.ident(name), value, span: this.from(name) } as A.SettingExpr;
          },
        },
        { ALT: () => this.SUBRULE2(this.expression, STRUCT_OK), IGNORE_AMBIGUITIES: true },
      ]),
    );
  });
  private allowSettings = false;
  private arrayElementAlts?: Array<IOrAlt<A.Expr>>;

  // ---- literals ------------------------------------------------------------------------------

  /** One rule for all literals (declarative values); expressions inline the same alternatives. */
  public literal = this.RULE("literal", (): A.Literal => {
    const t = this.OR((this.literalAlts ??= this.buildLiteralTokenAlts()));
    return this.RECORDING_PHASE ? (undefined as unknown as A.Literal) : literalNode(t, this.span(t, t));
  });
  private literalAlts?: Array<{ ALT: () => IToken }>;

  private buildLiteralTokenAlts(): Array<{ ALT: () => IToken }> {
    return [
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.DurationLiteral) },
      { ALT: () => this.CONSUME(Kw.true) },
      { ALT: () => this.CONSUME(Kw.false) },
    ];
  }

  public stringLit = this.RULE("stringLit", (): A.StringLit => {
    const t = this.CONSUME(T.StringLiteral);
    return this.RECORDING_PHASE
      ? (undefined as unknown as A.StringLit)
      : (literalNode(t, this.span(t, t)) as A.StringLit);
  });

  public numberLit = this.RULE("numberLit", (): A.NumberLit => {
    const t = this.CONSUME(T.NumberLiteral);
    return this.RECORDING_PHASE
      ? (undefined as unknown as A.NumberLit)
      : (literalNode(t, this.span(t, t)) as A.NumberLit);
  });

  public boolLit = this.RULE("boolLit", (): A.BoolLit => {
    const t = this.OR(
      (this.boolAlts ??= [{ ALT: () => this.CONSUME(Kw.true) }, { ALT: () => this.CONSUME(Kw.false) }]),
    );
    return this.RECORDING_PHASE ? (undefined as unknown as A.BoolLit) : (literalNode(t, this.span(t, t)) as A.BoolLit);
  });
  private boolAlts?: Array<IOrAlt<IToken>>;
}

// Half of the parser's construction was chevrotain deleting its recording methods (recording.ts).
recordOnPrototype(SymbiontParser);

/** Builds the literal node for a string, number, duration or boolean token. */
function literalNode(t: IToken, span: Span): A.Literal {
  switch (t.tokenType) {
    case T.StringLiteral:
      return { kind: "String", raw: t.image, value: unescapeString(t.image), span };
    case T.NumberLiteral: {
      const text = t.image.indexOf("_") >= 0 ? t.image.replace(/_/g, "") : t.image;
      return { kind: "Number", raw: t.image, value: Number(text), isFloat: text.includes("."), span };
    }
    case T.DurationLiteral: {
      const m = /^(\d+(?:\.\d+)?)(\.seconds|\.minutes|\.hours|months|ms|s|m|h|d|w|y)$/.exec(t.image)!;
      const amount = Number(m[1]);
      const u = m[2]!;
      const unit = (u === ".seconds" ? "s" : u === ".minutes" ? "m" : u === ".hours" ? "h" : u) as A.DurationUnit;
      return { kind: "Duration", raw: t.image, amount, unit, millis: amount * DURATION_MS[unit], span };
    }
    default:
      return { kind: "Bool", value: t.image === "true", span };
  }
}

const PRECEDENCE: Record<A.BinaryOp, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  in: 3,
  "<": 4,
  ">": 4,
  "<=": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

function spanJoin(a: { span: Span }, b: { span: Span }): Span {
  return {
    start: a.span.start,
    end: b.span.end,
    line: a.span.line,
    col: a.span.col,
    endLine: b.span.endLine,
    endCol: b.span.endCol,
  };
}

/** Folds `e0 op0 e1 op1 e2 ...` into a left-associative tree by precedence (shunting-yard). */
export function foldBinary(operands: A.Expr[], ops: A.BinaryOp[]): A.Expr {
  // One operator (the usual case): its node, without the stacks.
  if (ops.length === 1) {
    const left = operands[0]!;
    const right = operands[1]!;
    return { kind: "Binary", op: ops[0]!, left, right, span: spanJoin(left, right) };
  }
  const out: A.Expr[] = [operands[0]!];
  const stack: A.BinaryOp[] = [];
  const reduce = () => {
    const op = stack.pop()!;
    const right = out.pop()!;
    const left = out.pop()!;
    out.push({ kind: "Binary", op, left, right, span: spanJoin(left, right) });
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    while (stack.length > 0 && PRECEDENCE[stack[stack.length - 1]!] >= PRECEDENCE[op]) reduce();
    stack.push(op);
    out.push(operands[i + 1]!);
  }
  while (stack.length > 0) reduce();
  return out[0]!;
}

/** Converts an if statement with a complete else chain into an if expression; undefined otherwise. */
export function toIfExpr(s: A.IfStmt): A.IfExpr | undefined {
  if (s.condition.kind === "LetCondition" || !s.else) return undefined;
  let elseBranch: A.Block | A.IfExpr;
  if (s.else.kind === "If") {
    const inner = toIfExpr(s.else);
    if (!inner) return undefined;
    elseBranch = inner;
  } else {
    elseBranch = s.else;
  }
  const e: A.IfExpr = { kind: "IfExpr", condition: s.condition, then: s.then, else: elseBranch, span: s.span };
  return e;
}

/** Interprets the usual escapes; an unknown escape keeps the escaped character. */
export function unescapeString(raw: string): string {
  // Terminated when the last `"` is not itself escaped (an even run of backslashes before it).
  let terminated = raw.length >= 2 && raw.charCodeAt(raw.length - 1) === 34;
  if (terminated) {
    let slashes = 0;
    for (let i = raw.length - 2; i > 0 && raw.charCodeAt(i) === 92; i--) slashes++;
    terminated = slashes % 2 === 0;
  }
  const body = terminated ? raw.slice(1, -1) : raw.slice(1);
  if (!body.includes("\\")) return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\" || i === body.length - 1) {
      out += c;
      continue;
    }
    const n = body[++i]!;
    switch (n) {
      case "n":
        out += "\n";
        break;
      case "t":
        out += "\t";
        break;
      case "r":
        out += "\r";
        break;
      case "0":
        out += "\0";
        break;
      default:
        out += n;
    }
  }
  return out;
}
