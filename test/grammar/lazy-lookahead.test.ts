/**
 * grammar/lazy-lookahead.ts: each lookahead function is built by the wrapped strategy from the
 * options chevrotain gave, only when first called, once, and called as the parser's method.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import type { ILookaheadStrategy, IOrAlt, IToken, Rule, TokenType } from "chevrotain";
import { LazyLookahead, gatedAlternatives } from "../../grammar/lazy-lookahead.js";
import { parseText } from "../../grammar/index.js";
import { EOF, LLkLookaheadStrategy, getLookaheadPaths } from "../../grammar/chevrotain.js";
import { SymbiontParser } from "../../grammar/parser.js";
import { ALL_TOKENS } from "../../grammar/tokens.js";
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

/** The parser's alternations that have gates, with their rules (a walk of the recorded grammar). */
function gatedAlternations(): Array<{ rule: Rule; idx: number; maxLookahead: number; alts: number }> {
  const out: Array<{ rule: Rule; idx: number; maxLookahead: number; alts: number }> = [];
  type Prod = {
    definition?: Prod[];
    hasPredicates?: boolean;
    idx?: number;
    maxLookahead?: number;
    referencedRule?: unknown;
  };
  const visit = (rule: Rule, p: Prod) => {
    if (p.hasPredicates === true)
      out.push({ rule, idx: p.idx!, maxLookahead: p.maxLookahead ?? 3, alts: p.definition!.length });
    // A reference to another rule is not walked into (that rule is visited on its own).
    if (p.referencedRule === undefined) for (const d of p.definition ?? []) visit(rule, d);
  };
  for (const rule of Object.values(new SymbiontParser().getGAstProductions())) visit(rule, rule as Prod);
  return out;
}

test("alternations with gates decide as chevrotain's LL(k) strategy does, gates included", () => {
  const ors = gatedAlternations();
  assert.ok(ors.length >= 4, `gated alternations found: ${ors.length}`);
  const types: TokenType[] = [...ALL_TOKENS, EOF];
  const realTypes = scan(
    `policy p { allow: read(x, y = 1) if a.b in [1, "s", c] && !d require: [level = 2, f(g: 3)] for x.y
      deny: h(|a, b| a + b, k => k * 2, T { u: 1 }) audit: { log: true } }
     f(a: b, if c { 1 } else { 2 }, not d, -e, true, x[0](y).z);`,
  ).tokens.map((t) => t.tokenType);
  realTypes.push(EOF, EOF, EOF);
  const token = (type: TokenType): IToken =>
    ({ image: "x", startOffset: 0, tokenType: type, tokenTypeIdx: type.tokenTypeIdx! }) as IToken;
  for (const or of ors) {
    const options = {
      prodOccurrence: or.idx,
      rule: or.rule,
      maxLookahead: or.maxLookahead,
      hasPredicates: true,
      dynamicTokensEnabled: false,
    };
    const theirs = new LLkLookaheadStrategy({ maxLookahead: 3 }).buildLookaheadForAlternation(options);
    const ours = gatedAlternatives(
      getLookaheadPaths({ occurrence: or.idx, rule: or.rule, prodType: "Alternation", maxLookahead: or.maxLookahead }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.constantFrom(...types), { minLength: 4, maxLength: 4 }),
          // Windows of real code, which follow the grammar's longer paths.
          fc.nat(realTypes.length - 4).map((i) => realTypes.slice(i, i + 4)),
        ),
        fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), {
          minLength: or.alts,
          maxLength: or.alts,
        }),
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
          assert.is(ours.call(parser, alts), expected, `${or.rule.name} #${or.idx}`);
          assert.equal(calls, theirCalls, "the same gates are asked, in the same order");
        },
      ),
      { numRuns: 300 },
    );
  }
});

test("a built function replaces its lazy wrapper in the parser's cache", () => {
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
  assert.is(wrapper.call(parser), true);
  const built = parser.lookAheadFuncsCache.get(9);
  assert.ok(built !== wrapper && typeof built === "function");
  assert.is(parser.lookAheadFuncsCache.get(7), other);
  assert.is((built as () => boolean).call(parser), true);
});

test.run();
