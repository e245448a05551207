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
 * Once built, a function takes the place of its lazy wrapper in the parser's cache of lookahead
 * functions, so later decisions call it directly. Alternations with a `GATE` get a function of
 * ours (`gatedAlternatives`) that decides as chevrotain's does without allocating: chevrotain's
 * copies the alternatives' gates into a new array on every call.
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

/**
 * The decision of an alternation with gates, as chevrotain's LL(k) strategy makes it: the first
 * alternative whose gate (if any) does not return false and one of whose lookahead paths matches
 * the next tokens. (Where no path token has categories, chevrotain's simpler matcher answers the
 * same as `matches`.) The paths of each alternative are indexed by the token types their first
 * token matches: an expression alternative has over a hundred paths, which chevrotain tries one
 * by one.
 */
export function gatedAlternatives(paths: LookaheadSequence[]): AlternationFunction {
  // Per alternative: token-type index of the next token -> the paths that can start with it;
  // `true` when the alternative has an empty path (it matches whatever follows).
  const byFirst: Array<Array<TokenType[][] | undefined> | true> = paths.map((alt) => {
    if (alt.some((path) => path.length === 0)) return true;
    const table: Array<TokenType[][] | undefined> = [];
    for (const path of alt) {
      const first = path[0]!;
      const starts = first.isParent === true ? [first.tokenTypeIdx!, ...first.categoryMatches!] : [first.tokenTypeIdx!];
      for (const idx of new Set(starts)) (table[idx] ??= []).push(path);
    }
    return table;
  });
  return function (this: unknown, orAlts) {
    const parser = this as ParserInternals;
    const next = parser.LA_FAST(1).tokenTypeIdx;
    for (let t = 0; t < byFirst.length; t++) {
      const gate = orAlts?.[t]?.GATE;
      if (gate !== undefined && gate.call(this) === false) continue;
      const table = byFirst[t]!;
      if (table === true) return t;
      const candidates = table[next];
      if (candidates === undefined) continue;
      nextPath: for (let j = 0; j < candidates.length; j++) {
        const path = candidates[j]!;
        for (let i = 1; i < path.length; i++) if (!matches(parser.LA_FAST(i + 1), path[i]!)) continue nextPath;
        return t;
      }
    }
    return undefined;
  };
}

export class LazyLookahead implements ILookaheadStrategy {
  /** `llk`: the strategy that builds the functions (chevrotain's LL(k); tests pass a spy). */
  constructor(
    maxLookahead: number,
    private readonly llk: ILookaheadStrategy = new LLkLookaheadStrategy({ maxLookahead }),
  ) {}

  validate(options: { rules: Rule[]; tokenTypes: TokenType[]; grammarName: string }): ILookaheadValidationError[] {
    return this.llk.validate(options);
  }

  initialize(options: { rules: Rule[] }): void {
    this.llk.initialize?.(options);
  }

  buildLookaheadForAlternation(options: Alternation): AlternationFunction {
    const llk = this.llk;
    let built: AlternationFunction | undefined;
    // `this` is the parser: chevrotain calls lookahead functions as its methods.
    const lazy = function (this: unknown, orAlts?: IOrAlt<unknown>[]) {
      if (built === undefined) {
        built = options.hasPredicates
          ? gatedAlternatives(
              getLookaheadPaths({
                occurrence: options.prodOccurrence,
                rule: options.rule,
                prodType: "Alternation",
                maxLookahead: options.maxLookahead,
              }),
            )
          : llk.buildLookaheadForAlternation(options);
        replaceInCache(this, lazy, built);
      }
      return built.call(this, orAlts);
    };
    return lazy;
  }

  buildLookaheadForOptional(options: Optional): () => boolean {
    const llk = this.llk;
    let built: (() => boolean) | undefined;
    const lazy = function (this: unknown) {
      if (built === undefined) {
        built = llk.buildLookaheadForOptional(options);
        replaceInCache(this, lazy, built);
      }
      return built.call(this);
    };
    return lazy;
  }
}
