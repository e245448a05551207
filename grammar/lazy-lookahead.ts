/**
 * Chevrotain's LL(k) lookahead, each function built the first time the parser needs it.
 *
 * `performSelfAnalysis` builds a lookahead function for every alternation, option and repetition
 * of the grammar up front: about half of the parser's construction, which every `symbic` run and
 * every `symbi exec` of a `.symbi` file pays before reading a line, although a small file takes
 * few of the grammar's branches. Here each function is built by chevrotain's own strategy from
 * the same options, on the first call, and kept: the parser decides exactly as with the eager
 * strategy (the grammar tests parse the whole grammar, and the validations, which run in the test
 * suite, are the LL(k) strategy's).
 *
 * A decision made HOT_CALLS times gets its final function, which takes the place of its lazy
 * wrapper in the parser's cache of lookahead functions, so later decisions call it directly.
 * Where chevrotain's function would try lookahead paths one by one (paths longer than one
 * token), and for alternatives with a `GATE` (whose gates chevrotain copies into a new array on
 * every call), the final function is ours and decides the same way (`pathMatcher`,
 * `alternativesLookahead`; test/grammar/lazy-lookahead.test.ts compares them with chevrotain's
 * on every decision of the grammar).
 */
import type {
  ILookaheadStrategy,
  ILookaheadValidationError,
  IOrAlt,
  IToken,
  LookaheadSequence,
  Rule,
  TokenType,
} from "chevrotain";
import { LLkLookaheadStrategy, getLookaheadPaths } from "./chevrotain.js";

type Alternation = Parameters<ILookaheadStrategy["buildLookaheadForAlternation"]>[0];
type Optional = Parameters<ILookaheadStrategy["buildLookaheadForOptional"]>[0];
type AlternationFunction = (orAlts?: IOrAlt<unknown>[]) => number | undefined;

/** The parser fields a lookahead function uses (not in chevrotain's type declarations). */
interface ParserInternals {
  LA_FAST(k: number): IToken;
  lookAheadFuncsCache?: Map<number, unknown>;
}

/** Puts `built` where `wrapper` is in the parser's lookahead cache (one scan per function). */
function replaceInCache(parser: unknown, wrapper: unknown, built: unknown): void {
  const cache = (parser as ParserInternals).lookAheadFuncsCache;
  if (!(cache instanceof Map)) return;
  for (const [key, f] of cache)
    if (f === wrapper) {
      cache.set(key, built);
      return;
    }
}

/** Whether token `t` matches `type`, categories included (chevrotain's `tokenStructuredMatcher`). */
function matches(t: IToken, type: TokenType): boolean {
  return (
    t.tokenTypeIdx === type.tokenTypeIdx ||
    (type.isParent === true && type.categoryMatchesMap![t.tokenTypeIdx] === true)
  );
}

/** Token-type indexes below this fit the memo keys of `pathMatcher` (the grammar has about 80). */
const KEY_BASE = 1024;
/** Memo entries kept per matcher: hostile input cannot make a memo grow without bound. */
const MAX_MEMO = 4096;

type Matcher = (parser: ParserInternals) => boolean;

/**
 * Whether the next tokens follow one of `paths` (a production's lookahead paths), as chevrotain's
 * LL(k) functions test it: every token of some path matches the token at its position. The paths
 * are indexed by the token types their first token matches, and for the longer paths the answer
 * is remembered per types of the next tokens (it depends on nothing else): an expression starts
 * more than a hundred paths, which chevrotain tries one by one on every decision.
 * (Where no path token has categories, chevrotain's simpler matcher answers the same as `matches`.)
 */
export function pathMatcher(paths: TokenType[][]): Matcher {
  if (paths.some((path) => path.length === 0)) return () => true;
  const byFirst: Array<TokenType[][] | undefined> = [];
  let longest = 1;
  for (const path of paths) {
    const first = path[0]!;
    const starts = first.isParent === true ? [first.tokenTypeIdx!, ...first.categoryMatches!] : [first.tokenTypeIdx!];
    for (const idx of new Set(starts)) (byFirst[idx] ??= []).push(path);
    longest = Math.max(longest, path.length);
  }
  if (longest === 1) return (parser) => byFirst[parser.LA_FAST(1).tokenTypeIdx] !== undefined;
  const test = (parser: ParserInternals, candidates: TokenType[][]): boolean => {
    nextPath: for (let j = 0; j < candidates.length; j++) {
      const path = candidates[j]!;
      for (let i = 1; i < path.length; i++) if (!matches(parser.LA_FAST(i + 1), path[i]!)) continue nextPath;
      return true;
    }
    return false;
  };
  // A memo key holds three tokens' types: a longer path (the parser's LL(k) is 3) is tested each time.
  if (longest > 3)
    return (parser) => {
      const candidates = byFirst[parser.LA_FAST(1).tokenTypeIdx];
      return candidates !== undefined && test(parser, candidates);
    };
  const memo = new Map<number, boolean>();
  return (parser) => {
    const first = parser.LA_FAST(1).tokenTypeIdx;
    const candidates = byFirst[first];
    if (candidates === undefined) return false;
    if (candidates.length <= 2) return test(parser, candidates);
    const second = parser.LA_FAST(2).tokenTypeIdx;
    const third = longest > 2 ? parser.LA_FAST(3).tokenTypeIdx : 0;
    if (first >= KEY_BASE || second >= KEY_BASE || third >= KEY_BASE) return test(parser, candidates);
    const key = (first * KEY_BASE + second) * KEY_BASE + third;
    let answer = memo.get(key);
    if (answer === undefined) {
      answer = test(parser, candidates);
      if (memo.size < MAX_MEMO) memo.set(key, answer);
    }
    return answer;
  };
}

/**
 * The decision of an alternation, as chevrotain's LL(k) strategy makes it: the first alternative
 * whose gate (if any) does not return false and whose lookahead paths match the next tokens.
 */
export function alternativesLookahead(paths: LookaheadSequence[]): AlternationFunction {
  const alts = paths.map(pathMatcher);
  return function (this: unknown, orAlts) {
    const parser = this as ParserInternals;
    for (let t = 0; t < alts.length; t++) {
      const gate = orAlts?.[t]?.GATE;
      if (gate !== undefined && gate.call(this) === false) continue;
      if (alts[t]!(parser)) return t;
    }
    return undefined;
  };
}

/**
 * Calls of a decision after which it gets its final function: ours where chevrotain's would try
 * paths one by one, else chevrotain's, either one put in the parser's cache in place of the
 * wrapper. Until then chevrotain's function decides. Ours needs the decision's lookahead paths
 * computed once more (chevrotain's builder computes them and keeps them to itself), which made a
 * small file's parse slower: most of its decisions are made a few times, and each was built twice.
 */
export const HOT_CALLS = 32;

export class LazyLookahead implements ILookaheadStrategy {
  /**
   * Whether decisions that chevrotain's LL(k) strategy would make by trying paths one by one are
   * made by `pathMatcher`/`alternativesLookahead` instead, once hot (only for that strategy,
   * whose decisions they reproduce).
   */
  private readonly ownFunctions: boolean;

  /**
   * `llk`: the strategy that builds the functions (chevrotain's LL(k); tests pass a spy).
   * `hotCalls`: HOT_CALLS (tests pass 1 to have our functions decide from the first call).
   */
  constructor(
    maxLookahead: number,
    private readonly llk: ILookaheadStrategy = new LLkLookaheadStrategy({ maxLookahead }),
    private readonly hotCalls: number = HOT_CALLS,
  ) {
    this.ownFunctions = llk instanceof LLkLookaheadStrategy;
  }

  validate(options: { rules: Rule[]; tokenTypes: TokenType[]; grammarName: string }): ILookaheadValidationError[] {
    return this.llk.validate(options);
  }

  initialize(options: { rules: Rule[] }): void {
    this.llk.initialize?.(options);
  }

  buildLookaheadForAlternation(options: Alternation): AlternationFunction {
    return tiered(
      this.hotCalls,
      () => this.llk.buildLookaheadForAlternation(options),
      () => {
        if (!this.ownFunctions) return undefined;
        const paths = lookaheadPaths(options, "Alternation");
        // chevrotain's own function where it is a lookup by the next token's type already.
        return options.hasPredicates || !oneToken(paths) ? alternativesLookahead(paths) : undefined;
      },
    );
  }

  buildLookaheadForOptional(options: Optional): () => boolean {
    return tiered(
      this.hotCalls,
      () => this.llk.buildLookaheadForOptional(options),
      () => {
        if (!this.ownFunctions) return undefined;
        const paths = lookaheadPaths(options, options.prodType)[0]!;
        if (oneToken([paths])) return undefined;
        const matcher = pathMatcher(paths);
        return function (this: unknown) {
          return matcher(this as ParserInternals);
        };
      },
    );
  }
}

/**
 * A decision's lookahead function as the parser calls it (`this` is the parser): chevrotain's,
 * built on the first call, until the `hot`-th call; then `final()` (ours, or undefined to keep
 * chevrotain's) takes the wrapper's place in the parser's cache.
 */
function tiered<A extends unknown[], R>(
  hot: number,
  chevrotains: () => (...args: A) => R,
  final: () => ((...args: A) => R) | undefined,
): (...args: A) => R {
  let built: ((...args: A) => R) | undefined;
  let calls = 0;
  const lazy = function (this: unknown, ...args: A): R {
    built ??= chevrotains();
    if (++calls === hot) {
      built = final() ?? built;
      replaceInCache(this, lazy, built);
    }
    return built.apply(this, args);
  };
  return lazy;
}

/** A decision's lookahead paths, as chevrotain's LL(k) strategy computes them for its function. */
function lookaheadPaths(
  options: Alternation | Optional,
  prodType: Parameters<typeof getLookaheadPaths>[0]["prodType"],
): LookaheadSequence[] {
  return getLookaheadPaths({
    occurrence: options.prodOccurrence,
    rule: options.rule,
    prodType,
    maxLookahead: options.maxLookahead,
  });
}

/** Whether every lookahead path is one token long (chevrotain then decides by a table lookup). */
function oneToken(paths: LookaheadSequence[]): boolean {
  return paths.every((alt) => alt.every((path) => path.length === 1));
}
