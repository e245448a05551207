/**
 * The locator indexes on demand (compiler/contracts/locator.ts); these tests compare its answers
 * with an index of every path made up front (the locator as it was before, kept here as the
 * reference) on TOML written in every way a path can be: dotted and quoted keys, implicit and
 * explicit tables, arrays of tables (nested), inline tables, arrays of arrays, multi-line strings
 * holding text that looks like headers, comments, CRLF.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { parse } from "smol-toml";
import type { AST } from "toml-eslint-parser";
import { LineMap, type Span } from "../../grammar/span.js";
import { TomlLocator, type TomlPath } from "../../compiler/contracts/locator.js";

const { parseTOML } = createRequire(import.meta.url)("toml-eslint-parser") as typeof import("toml-eslint-parser");

interface Entry {
  key: [number, number];
  value?: [number, number];
  verbatimString?: boolean;
}

const keyName = (k: AST.TOMLBare | AST.TOMLQuoted) => (k.type === "TOMLBare" ? k.name : k.value);

/** Every path indexed at once, into a map by joined path (the locator's former algorithm). */
class EagerLocator {
  readonly lines: LineMap;
  private readonly entries = new Map<string, Entry>();

  constructor(readonly text: string) {
    this.lines = new LineMap(text);
    let ast: AST.TOMLProgram | undefined;
    try {
      ast = parseTOML(text);
    } catch {
      ast = undefined;
    }
    if (!ast) return;
    for (const node of ast.body[0].body) {
      if (node.type === "TOMLKeyValue") {
        this.keyValue([], node);
        continue;
      }
      const start = node.range[0];
      let end = node.key.range[1];
      const closer = node.kind === "array" ? "]]" : "]";
      const at = text.indexOf(closer, end);
      if (at >= 0) end = at + closer.length;
      const header: [number, number] = [start, end];
      const path = node.resolvedKey;
      for (let i = 1; i < path.length; i++) this.set(path.slice(0, i), { key: header }, false);
      this.set(path, { key: header });
      if (node.kind === "array") this.set(path.slice(0, -1), { key: header }, false);
      for (const kv of node.body) this.keyValue(path, kv);
    }
  }

  private set(path: TomlPath, entry: Entry, overwrite = true): void {
    const id = path.join("\u0000");
    if (!overwrite && this.entries.has(id)) return;
    this.entries.set(id, entry);
  }

  private keyValue(prefix: TomlPath, kv: AST.TOMLKeyValue): void {
    const keys = kv.key.keys;
    for (let i = 0; i < keys.length - 1; i++)
      this.set(
        [...prefix, ...keys.slice(0, i + 1).map(keyName)],
        { key: [keys[0]!.range[0], keys[i]!.range[1]] },
        false,
      );
    this.content([...prefix, ...keys.map(keyName)], kv.key.range, kv.value);
  }

  private content(path: TomlPath, key: [number, number], value: AST.TOMLContentNode): void {
    const entry: Entry = { key, value: value.range };
    if (value.type === "TOMLValue" && value.kind === "string") {
      const raw = this.text.slice(value.range[0], value.range[1]);
      entry.verbatimString = raw.length === value.value.length + 2 && raw.slice(1, -1) === value.value;
    }
    this.set(path, entry);
    if (value.type === "TOMLInlineTable") for (const kv of value.body) this.keyValue(path, kv);
    else if (value.type === "TOMLArray") value.elements.forEach((el, i) => this.content([...path, i], el.range, el));
  }

  has(path: TomlPath): boolean {
    return this.entries.has(path.join("\u0000"));
  }

  private nearest(path: TomlPath): Entry | undefined {
    for (let n = path.length; n > 0; n--) {
      const e = this.entries.get(path.slice(0, n).join("\u0000"));
      if (e) return e;
    }
    return undefined;
  }

  private toSpan(r: [number, number] | undefined): Span {
    return r ? this.lines.span(r[0], r[1]) : this.lines.span(0, 0);
  }

  key(path: TomlPath): Span {
    return this.toSpan(this.nearest(path)?.key);
  }

  value(path: TomlPath): Span {
    const e = this.nearest(path);
    return this.toSpan(e?.value ?? e?.key);
  }

  inString(path: TomlPath, offset: number, length = 1): Span {
    const e = this.entries.get(path.join("\u0000"));
    if (e?.value && e.verbatimString) {
      const start = e.value[0] + 1 + offset;
      const end = Math.min(start + Math.max(1, length), e.value[1] - 1);
      return this.lines.span(start, Math.max(start, end));
    }
    return this.value(path);
  }
}

/**
 * Every path of a parsed value, and for each a few that are not written (a key too many, a
 * sibling). Not the empty path: nobody asks for the whole file, and the eager index stored it
 * under the same id as the key `""` (a joined path).
 */
function pathsOf(v: unknown, prefix: TomlPath = [], out: TomlPath[] = []): TomlPath[] {
  if (prefix.length > 0) out.push(prefix);
  out.push([...prefix, "nope"], [...prefix, 7]);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out));
  else if (typeof v === "object" && v !== null && !(v instanceof Date))
    for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out);
  return out;
}

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

const spanOf = (s: Span) => [s.start, s.end, s.line, s.col, s.endLine, s.endCol];

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

test("text the position parser cannot read answers as before: the file start", () => {
  const text = "a = { b = 1,\n c = 2 }\n"; // newlines in an inline table: TOML 1.1
  const lazy = new TomlLocator(text);
  const eager = new EagerLocator(text);
  for (const p of [["a"], ["a", "b"], []])
    assert.equal(spanOf(lazy.value(p)), spanOf(eager.value(p)), JSON.stringify(p));
});

test.run();
