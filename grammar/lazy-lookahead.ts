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
 */
import type { ILookaheadStrategy, ILookaheadValidationError, IOrAlt, Rule, TokenType } from "chevrotain";
import { LLkLookaheadStrategy } from "./chevrotain.js";

type Alternation = Parameters<ILookaheadStrategy["buildLookaheadForAlternation"]>[0];
type Optional = Parameters<ILookaheadStrategy["buildLookaheadForOptional"]>[0];

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

  buildLookaheadForAlternation(options: Alternation): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
    const llk = this.llk;
    let built: ((orAlts?: IOrAlt<unknown>[]) => number | undefined) | undefined;
    // `this` is the parser: chevrotain calls lookahead functions as its methods.
    return function (this: unknown, orAlts) {
      built ??= llk.buildLookaheadForAlternation(options);
      return built.call(this, orAlts);
    };
  }

  buildLookaheadForOptional(options: Optional): () => boolean {
    const llk = this.llk;
    let built: (() => boolean) | undefined;
    return function (this: unknown) {
      built ??= llk.buildLookaheadForOptional(options);
      return built.call(this);
    };
  }
}
