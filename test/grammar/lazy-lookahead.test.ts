/**
 * grammar/lazy-lookahead.ts: each lookahead function is built by the wrapped strategy from the
 * options chevrotain gave, only when first called, once, and called as the parser's method.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import type { ILookaheadStrategy, IOrAlt, IToken, LookaheadProductionType, Rule, TokenType } from "chevrotain";
import { HOT_CALLS, LazyLookahead, pathMatcher } from "../../grammar/lazy-lookahead.js";
import { parseText } from "../../grammar/index.js";
import {
  Alternation,
  EOF,
  LLkLookaheadStrategy,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
} from "../../grammar/chevrotain.js";
import { SymbiontParser } from "../../grammar/parser.js";
import { ALL_TOKENS, Kw } from "../../grammar/tokens.js";
import * as T from "../../grammar/tokens.js";
import { scan } from "../../grammar/scanner.js";

function spy() {
  const built: unknown[] = [];
  const calls: unknown[] = [];
  const inner: ILookaheadStrategy = {
    validate: () => [],
    buildLookaheadForAlternation(options) {
      built.push(options);
      return function (this: unknown, alts) {
        calls.push([this, alts]);
        return 1;
      };
    },
    buildLookaheadForOptional(options) {
      built.push(options);
      return function (this: unknown) {
        calls.push([this]);
        return true;
      };
    },
  };
  return { inner, built, calls };
}

const rule = {} as Rule;

test("nothing is built until a function is called; then once, from the same options", () => {
  const { inner, built, calls } = spy();
  const lazy = new LazyLookahead(3, inner);
  const altOptions = { prodOccurrence: 1, rule, maxLookahead: 3, hasPredicates: false, dynamicTokensEnabled: false };
  const optOptions = {
    prodOccurrence: 2,
    prodType: "Option" as const,
    rule,
    maxLookahead: 3,
    dynamicTokensEnabled: false,
  };
  const alt = lazy.buildLookaheadForAlternation(altOptions);
  const opt = lazy.buildLookaheadForOptional(optOptions);
  assert.equal(built, []);
  const parser = { name: "the parser" };
  assert.is(alt.call(parser, []), 1);
  assert.is(alt.call(parser, []), 1);
  assert.is(opt.call(parser), true);
  assert.equal(built.length, 2);
  assert.ok(built[0] === altOptions && built[1] === optOptions, "built from the options chevrotain gave");
  assert.equal(calls, [[parser, []], [parser, []], [parser]]);
});

test("the validations are the wrapped strategy's", () => {
  const { inner } = spy();
  inner.validate = () => [{ message: "ambiguous" }];
  assert.equal(new LazyLookahead(3, inner).validate({ rules: [], tokenTypes: [], grammarName: "g" }), [
    { message: "ambiguous" },
  ]);
});

test("the parser decides with lazily built lookahead: alternatives, options and repetitions parse", () => {
  const r = parseText(
    `agent a(x: String) -> String {\n  capabilities = ["t"]\n  policy p { allow: t(v) if v == "a" }\n  with sandbox = "process" { if x == "b" { return "c"; } else { return x; } }\n}\n`,
    "a.symbi",
  );
  assert.equal(
    r.diagnostics.map((d) => d.message),
    [],
  );
});

type Decision =
  | { kind: "Alternation"; rule: Rule; idx: number; maxLookahead: number; alts: number; gated: boolean }
  | { kind: Exclude<LookaheadProductionType, "Alternation">; rule: Rule; idx: number; maxLookahead: number };

/** Every decision of the parser's grammar (a walk of the recorded grammar), with its rule. */
function decisions(): Decision[] {
  const out: Decision[] = [];
  type Prod = { definition?: Prod[]; idx?: number; maxLookahead?: number; referencedRule?: unknown };
  const optional: Array<[new (...args: never[]) => unknown, Exclude<LookaheadProductionType, "Alternation">]> = [
    [Option, "Option"],
    [Repetition, "Repetition"],
    [RepetitionMandatory, "RepetitionMandatory"],
    [RepetitionWithSeparator, "RepetitionWithSeparator"],
    [RepetitionMandatoryWithSeparator, "RepetitionMandatoryWithSeparator"],
  ];
  const visit = (rule: Rule, p: Prod) => {
    const maxLookahead = p.maxLookahead || 3;
    if (p instanceof Alternation)
      out.push({
        kind: "Alternation",
        rule,
        idx: p.idx,
        maxLookahead,
        alts: p.definition.length,
        gated: (p as { hasPredicates?: boolean }).hasPredicates === true,
      });
    for (const [type, kind] of optional) if (p instanceof type) out.push({ kind, rule, idx: p.idx!, maxLookahead });
    // A reference to another rule is not walked into (that rule is visited on its own).
    if (p.referencedRule === undefined) for (const d of p.definition ?? []) visit(rule, d);
  };
  for (const rule of Object.values(new SymbiontParser().getGAstProductions())) visit(rule, rule as Prod);
  return out;
}

test("every decision of the grammar is the one chevrotain's LL(k) strategy makes, gates included", () => {
  const all = decisions();
  assert.ok(all.filter((d) => d.kind === "Alternation" && d.gated).length >= 4, "gated alternations found");
  assert.ok(all.length >= 60, `decisions found: ${all.length}`);
  const types: TokenType[] = [...ALL_TOKENS, EOF];
  const realTypes = scan(
    `policy p { allow: read(x, y = 1) if a.b in [1, "s", c] && !d require: [level = 2, f(g: 3)] for x.y
      deny: h(|a, b| a + b, k => k * 2, T { u: 1 }) audit: { log: true } }
     f(a: b, if c { 1 } else { 2 }, not d, -e, true, x[0](y).z);
     agent a(x: Map<String, Int>) -> R { with m = 1, n = "s" { let v = match x { "a" => 1, _ => { y } }; } }
     type S = { a: String, b: Array<Int> } memory m { search { k 1 } } webhook w { filter { k "v" } }`,
  ).tokens.map((t) => t.tokenType);
  realTypes.push(EOF, EOF, EOF);
  const token = (type: TokenType): IToken =>
    ({ image: "x", startOffset: 0, tokenType: type, tokenTypeIdx: type.tokenTypeIdx! }) as IToken;
  const windows = fc.oneof(
    fc.array(fc.constantFrom(...types), { minLength: 4, maxLength: 4 }),
    // Windows of real code, which follow the grammar's longer paths.
    fc.nat(realTypes.length - 4).map((i) => realTypes.slice(i, i + 4)),
  );
  const llk = new LLkLookaheadStrategy({ maxLookahead: 3 });
  for (const d of all) {
    const where = `${d.rule.name} ${d.kind} #${d.idx}`;
    if (d.kind === "Alternation") {
      const options = {
        prodOccurrence: d.idx,
        rule: d.rule,
        maxLookahead: d.maxLookahead,
        hasPredicates: d.gated,
        dynamicTokensEnabled: false,
      };
      const theirs = llk.buildLookaheadForAlternation(options);
      const ours = new LazyLookahead(3, undefined, 1).buildLookaheadForAlternation(options);
      const gateValues = d.gated ? [true, false, undefined] : [undefined];
      fc.assert(
        fc.property(
          windows,
          fc.array(fc.constantFrom<boolean | undefined>(...gateValues), { minLength: d.alts, maxLength: d.alts }),
          (next, gates) => {
            const tokens = next.map(token);
            const parser = { LA_FAST: (k: number) => tokens[k - 1]! };
            const calls: number[] = [];
            const alts = gates.map((g, i) => ({
              ALT: () => undefined,
              ...(g === undefined
                ? {}
                : {
                    GATE: () => {
                      calls.push(i);
                      return g;
                    },
                  }),
            })) as IOrAlt<unknown>[];
            const expected = theirs.call(parser, alts);
            const theirCalls = calls.splice(0);
            assert.is(ours.call(parser, alts), expected, where);
            assert.equal(calls, theirCalls, "the same gates are asked, in the same order");
          },
        ),
        { numRuns: 150 },
      );
    } else {
      const options = {
        prodOccurrence: d.idx,
        prodType: d.kind,
        rule: d.rule,
        maxLookahead: d.maxLookahead,
        dynamicTokensEnabled: false,
      };
      const theirs = llk.buildLookaheadForOptional(options);
      const ours = new LazyLookahead(3, undefined, 1).buildLookaheadForOptional(options);
      fc.assert(
        fc.property(windows, (next) => {
          const tokens = next.map(token);
          const parser = { LA_FAST: (k: number) => tokens[k - 1]! };
          assert.is(ours.call(parser), theirs.call(parser), where);
        }),
        { numRuns: 150 },
      );
    }
  }
});

test("decisions are remembered per types of the next tokens, all of them: a long run of windows agrees", () => {
  // policyRule's action alternation has paths of three tokens; a small alphabet makes windows
  // that share their first tokens and differ later.
  const rule = new SymbiontParser().getGAstProductions()["policyRule"]!;
  const options = { prodOccurrence: 2, rule, maxLookahead: 3, hasPredicates: true, dynamicTokensEnabled: false };
  const ours = new LazyLookahead(3, undefined, 1).buildLookaheadForAlternation(options);
  const theirs = new LLkLookaheadStrategy({ maxLookahead: 3 }).buildLookaheadForAlternation(options);
  const types: TokenType[] = [T.IdentifierToken, T.Dot, T.LParen, T.RParen, T.LBracket, T.Comma, T.Semi, Kw.if, EOF];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...types), { minLength: 4, maxLength: 4 }), fc.boolean(), (next, gate) => {
      const tokens = next.map((type) => ({ tokenType: type, tokenTypeIdx: type.tokenTypeIdx! }) as IToken);
      const parser = { LA_FAST: (k: number) => tokens[k - 1]! };
      const alts = [{ ALT: () => undefined, GATE: () => gate }, { ALT: () => undefined }];
      assert.is(ours.call(parser, alts), theirs.call(parser, alts));
    }),
    { numRuns: 3000 },
  );
});

test("paths longer than a memo key's three tokens are tested on every decision, not remembered", () => {
  // Four-token paths that agree on their first three: only the fourth token tells them apart.
  const a = [T.IdentifierToken, T.Dot, T.IdentifierToken, T.LParen];
  const b = [T.IdentifierToken, T.Dot, T.IdentifierToken, T.Semi];
  const c = [T.IdentifierToken, T.Dot, T.IdentifierToken, T.Comma];
  const matcher = pathMatcher([a, b, c]);
  const at = (types: TokenType[]) => {
    const tokens = types.map((type) => ({ tokenType: type, tokenTypeIdx: type.tokenTypeIdx! }) as IToken);
    return { LA_FAST: (k: number) => tokens[k - 1]! };
  };
  assert.is(matcher(at(a)), true);
  assert.is(matcher(at([T.IdentifierToken, T.Dot, T.IdentifierToken, T.RParen])), false);
  assert.is(matcher(at(b)), true);
  assert.is(matcher(at([T.IdentifierToken, T.Dot, T.IdentifierToken, T.LBracket])), false);
});

test("a hot decision's final function replaces its lazy wrapper in the parser's cache", () => {
  const { inner } = spy();
  const lazy = new LazyLookahead(3, inner);
  const wrapper = lazy.buildLookaheadForOptional({
    prodOccurrence: 1,
    prodType: "Option",
    rule,
    maxLookahead: 3,
    dynamicTokensEnabled: false,
  });
  const other = () => false;
  const parser = {
    lookAheadFuncsCache: new Map<number, unknown>([
      [7, other],
      [9, wrapper],
    ]),
  };
  for (let i = 1; i < HOT_CALLS; i++) assert.is(wrapper.call(parser), true);
  assert.is(parser.lookAheadFuncsCache.get(9), wrapper, "chevrotain's function decides until the decision is hot");
  assert.is(wrapper.call(parser), true);
  const built = parser.lookAheadFuncsCache.get(9);
  assert.ok(built !== wrapper && typeof built === "function");
  assert.is(parser.lookAheadFuncsCache.get(7), other);
  assert.is((built as () => boolean).call(parser), true);
});

test.run();
