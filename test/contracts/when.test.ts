/** The `when` condition grammar: parsing, errors with offsets, evaluation without eval. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { parseWhen, evaluateWhen, whenNames } from "../../compiler/contracts/when.js";

function evalWith(src: string, vars: Record<string, string>): boolean {
  const r = parseWhen(src);
  if (!r.ok) throw new Error(`${src}: ${r.error.message}`);
  return evaluateWhen(r.expr, (n) => vars[n] ?? "");
}

test("the reference's forms", () => {
  assert.is(evalWith("headers != ''", { headers: "Accept: x" }), true);
  assert.is(evalWith("headers != ''", {}), false);
  assert.is(evalWith("port != 0", { port: "0" }), false);
  assert.is(evalWith("port != 0", { port: "22" }), true);
  assert.is(evalWith("username != '' and username_file == ''", { username: "bob" }), true);
  assert.is(evalWith("username != '' and username_file == ''", { username: "bob", username_file: "f" }), false);
  assert.is(evalWith('mode == "fast"', { mode: "fast" }), true);
});

test("&&, ||, !, not, or, parentheses and precedence", () => {
  const v = { a: "1", b: "", c: "x" };
  assert.is(evalWith("a == 1 || b == 1 && c == 'y'", v), true, "&& binds tighter than ||");
  assert.is(evalWith("(a == 1 || b == 1) && c == 'y'", v), false);
  assert.is(evalWith("!(c == 'x')", v), false);
  assert.is(evalWith("not b", v), true);
  assert.is(evalWith("a or b", v), true);
  assert.is(evalWith("a && !b", v), true);
});

test("bare names are true unless empty or false; literals compare as text", () => {
  assert.is(evalWith("verbose", { verbose: "true" }), true);
  assert.is(evalWith("verbose", { verbose: "false" }), false);
  assert.is(evalWith("verbose", {}), false);
  assert.is(evalWith("flag == true", { flag: "true" }), true);
  assert.is(evalWith("n == -1", { n: "-1" }), true);
  assert.is(evalWith("n == 1.5", { n: "1.5" }), true);
});

test("names read by a condition", () => {
  const r = parseWhen("a != '' and (b == c || !d)");
  assert.ok(r.ok);
  if (r.ok) assert.equal(whenNames(r.expr), ["a", "b", "c", "d"]);
});

test("errors name the problem and its offset", () => {
  const cases: [string, number, string][] = [
    ["", 0, "empty condition"],
    ["a ==", 4, "expected a name or a value"],
    ["a == 'x", 5, "unclosed string"],
    ["(a == 1", 7, "expected `)`"],
    ["a == 1 b", 7, "unexpected name `b`"],
    ["a = 1", 2, "unexpected character `=`"],
    ["'x'", 3, "a literal alone is not a condition"],
    ["a; rm -rf /", 1, "unexpected character `;`"],
  ];
  for (const [src, offset, message] of cases) {
    const r = parseWhen(src);
    assert.not.ok(r.ok, src);
    if (!r.ok) {
      assert.is(r.error.offset, offset, `${src}: ${r.error.message}`);
      assert.ok(r.error.message.includes(message), `${src}: ${r.error.message}`);
    }
  }
});

test("property: parsing arbitrary text never throws", () => {
  const piece = fc.constantFrom(
    "a",
    "b",
    "==",
    "!=",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "'x'",
    '"y"',
    "1",
    " ",
    "and",
    "or",
    "not",
    "'",
    ";",
    "=",
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.array(piece, { maxLength: 15 }).map((a) => a.join(" ")),
      ),
      (s) => {
        const r = parseWhen(s);
        if (r.ok)
          assert.type(
            evaluateWhen(r.expr, () => ""),
            "boolean",
          );
      },
    ),
    { numRuns: 3000 },
  );
});

test.run();
