/**
 * The locator indexes on demand (formats/toml-locator.ts); these tests compare its answers
 * with an index of every path made up front (the locator as it was before, kept here as the
 * reference) on TOML written in every way a path can be: dotted and quoted keys, implicit and
 * explicit tables, arrays of tables (nested), inline tables, arrays of arrays, multi-line strings
 * holding text that looks like headers, comments, CRLF.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "smol-toml";
import { TomlLocator } from "../../formats/toml-locator.js";
import { EagerLocator, pathsOf, spanOf } from "./eager-locator.js";

const INPUTS: Record<string, string> = {
  "dotted and quoted keys": `a.b.c = 1
"quoted.key" = "x"
'literal key'.inner = true
a . "b" . d = "spaced dots"
"" = "empty key"
site."google.com" = { ok = true }
`,
  "implicit and explicit tables": `[x.y.z]
v = 1
[x]
w = 2
[x.y]
u = "later explicit"
[fruit]
apple.color = "red"
apple.taste.sweet = true
[fruit.apple.texture]
smooth = true
`,
  "arrays of tables, nested": `[[a]]
n = 1
[[a.b]]
m = "a0b0"
[[a.b]]
m = "a0b1"
[a.c]
k = "a0c"
[[a]]
n = 2
[[a.b]]
m = "a1b0"
`,
  "inline tables and arrays": `point = { x = 1, y = { z = [1, 2, { w = "deep" }] }, "q k" = 'lit' }
matrix = [[1, 2], [3, [4, 5]], []]
empty = {}
mixed = [ { a = 1 }, { a.b.c = 2, a.b.d = 3 } ]
`,
  "multi-line strings holding headers": `[[case]]
name = """
[[case]]
name = "not a case"
"""
tool = 'read'
text = '''
[table]
x = 1
'''
esc = "a\\tb"
[[case]]
name = "second"
rows = [
  { path = "/a", n = 1 }, # a comment [[case]]
  { path = """/b""", n = 2 },
  { path = "/c", "quoted arg" = 3 },
]
`,
  "a test file": `agent = "a"
[context]
user = { id = "u", need_to_know = ["/x", "/y"], background_check = { current = true } }

[[case]]
name = "reads"
tool = "read"
expect = "allow"
rows = [
  { path = "/data/q3.csv", classification = "public" },
  { path = "/data/q3.csv", classification = "internal" },
]

[[case]]
name = "facts"
tool = "read"
args = { path = "/x" }
facts.path = { sensitive = true }
expect = "deny"

[case.context]
session = { mfa_verified = true }
`,
  CRLF: '[tool]\r\nname = "x"\r\nlist = [\r\n  "a",\r\n  { b = 1 },\r\n]\r\n[[runs]]\r\nid = 1\r\n',
};

for (const [name, text] of Object.entries(INPUTS)) {
  test(`the lazy index answers as the eager one: ${name}`, () => {
    const eager = new EagerLocator(text);
    // A fresh lazy locator per question order: answers must not depend on what was asked before.
    const paths = pathsOf(parse(text));
    for (const order of [paths, [...paths].reverse()]) {
      const lazy = new TomlLocator(text);
      for (const p of order) {
        const at = JSON.stringify(p);
        assert.is(lazy.has(p), eager.has(p), `has ${at}`);
        assert.equal(spanOf(lazy.key(p)), spanOf(eager.key(p)), `key ${at}`);
        assert.equal(spanOf(lazy.value(p)), spanOf(eager.value(p)), `value ${at}`);
        assert.equal(spanOf(lazy.inString(p, 1, 2)), spanOf(eager.inString(p, 1, 2)), `inString ${at}`);
        // An array index given as a string names the same element.
        const asStrings = p.map(String);
        assert.equal(
          spanOf(lazy.value(asStrings)),
          spanOf(eager.value(asStrings)),
          `value ${JSON.stringify(asStrings)}`,
        );
      }
    }
  });
}

test.run();
