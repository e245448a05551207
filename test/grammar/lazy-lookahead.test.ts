/**
 * grammar/lazy-lookahead.ts: each lookahead function is built by the wrapped strategy from the
 * options chevrotain gave, only when first called, once, and called as the parser's method.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ILookaheadStrategy, Rule } from "chevrotain";
import { LazyLookahead } from "../../grammar/lazy-lookahead.js";
import { parseText } from "../../grammar/index.js";

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

test.run();
