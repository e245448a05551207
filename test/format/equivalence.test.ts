/**
 * The self-check behind every `symbic fmt`: it must notice any change of meaning (a different
 * tree, a lost, changed or reordered comment, output that does not parse) and ignore what
 * formatting may change (positions, comment attachment, optional commas).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseText } from "../../grammar/index.js";
import { astDifference, commentDifference } from "../../compiler/format/equivalence.js";
import { verifyFormatted, firstDifference } from "../../compiler/format/format.js";

const tree = (s: string) => parseText(s, "t.symbi").program;

test("ignores positions, layout, comment attachment and optional commas", () => {
  const a = tree("metadata { a = 1 b: [x, y,] }\nagent g { with t = 1 { f(a,); } }");
  const b = tree("metadata {\n    a = 1,\n    b: [x, y],\n}\n\nagent g {\n    with t = 1 {\n        f(a);\n    }\n}\n");
  assert.is(astDifference(a, b), undefined);
});

test("notices a changed literal, operator, separator, grouping or structure", () => {
  const base = "function f() { let x = (a + b) * c; g(k = 1); }";
  for (const changed of [
    "function f() { let x = (a + b) * d; g(k = 1); }",
    "function f() { let x = (a - b) * c; g(k = 1); }",
    "function f() { let x = a + b * c; g(k = 1); }",
    "function f() { let x = (a + b) * c; g(k: 1); }",
    "function f() { let x = (a + b) * c; }",
    'function f() { let x = (a + b) * c; g(k = "1"); }',
  ]) {
    assert.ok(astDifference(tree(base), tree(changed)) !== undefined, `difference found for ${changed}`);
  }
  assert.match(
    astDifference(tree("metadata { a = 1 }"), tree("metadata { a = 2 }"))!,
    /Program\.items\[0\]\.entries\[0\]\.value/,
  );
});

test("notices a lost, changed or reordered comment", () => {
  const c = (s: string) => tree(s).comments;
  assert.is(commentDifference(c("// a\n# b\nmetadata {}"), c("// a\nmetadata {} # b")), undefined);
  assert.is(
    commentDifference(c("// a   \nmetadata {}"), c("// a\nmetadata {}")),
    undefined,
    "trailing spaces are not content",
  );
  assert.match(commentDifference(c("// a\n// b\nmetadata {}"), c("// a\nmetadata {}"))!, /2 comments became 1/);
  assert.match(commentDifference(c("// a\n// b\nmetadata {}"), c("// b\n// a\nmetadata {}"))!, /comment 1/);
  assert.match(commentDifference(c("// a\nmetadata {}"), c("# a\nmetadata {}"))!, /changed/);
});

test("verifyFormatted: same program, different program, output that does not parse", () => {
  const original = tree("metadata { a = 1 } // c");
  assert.is(verifyFormatted(original, "metadata {\n    a = 1,\n} // c\n"), undefined);
  assert.ok(verifyFormatted(original, "metadata {\n    a = 1,\n}\n") !== undefined, "lost comment");
  assert.match(verifyFormatted(original, "metadata {\n    a = 1,\n")!, /does not parse/);
});

test("firstDifference: the first line that differs", () => {
  const span = firstDifference("a\nb\nc\n", "a\nb\nx\n");
  assert.is(span.line, 3);
  assert.is(span.col, 1);
  assert.is(firstDifference("\uFEFFa\nb\n", "\uFEFFa\nc\n").line, 2);
});

test.run();
