/**
 * Bad and unusual input: syntax errors, invalid UTF-8, CRLF and CR line ends (kept), mixed line
 * ends, tabs, a BOM (kept), no final newline (added), empty and comment-only files, nesting at
 * the parser's limit.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatBytes, formatText } from "../../compiler/format/format.js";
import { MAX_NESTING } from "../../grammar/parser.js";
import { parseText } from "../../grammar/index.js";
import { assertGuarantees, fmt } from "./helpers.js";

test("syntax errors: refused with the parser's diagnostics (located), nothing formatted", async () => {
  const text = 'agent a {\n    with sandbox = "x" {\n        let y = ;\n    }\n}\n';
  const r = await formatText(text, "bad.symbi");
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.is(r.reason, "syntax");
  assert.equal(r.diagnostics, parseText(text, "bad.symbi").diagnostics);
  assert.is(r.diagnostics[0]!.file, "bad.symbi");
  assert.is(r.diagnostics[0]!.span.line, 3);
});

test("syntax errors in a CRLF file: diagnostics point into the file as written", async () => {
  const text = "metadata {\r\n    a = 1\r\n}\r\nagent {\r\n}\r\n";
  const r = await formatText(text, "bad.symbi");
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.equal(r.diagnostics, parseText(text, "bad.symbi").diagnostics);
  assert.is(r.diagnostics[0]!.span.line, 4);
});

test("invalid UTF-8: E0002 at the first bad byte", async () => {
  const bytes = new Uint8Array([...Buffer.from('metadata { a = "x'), 0xff, 0xfe, ...Buffer.from('" }\n')]);
  const r = await formatBytes(bytes, "bin.symbi");
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.is(r.diagnostics[0]!.code, "E0002");
  assert.is(r.diagnostics[0]!.span.col, 18); // the byte after `metadata { a = "x`
});

test("CRLF files stay CRLF, CR files stay CR; string contents keep their line ends", async () => {
  const crlf = await fmt('metadata {\r\n  a = "two\r\nlines"\r\n}');
  assert.is(crlf, 'metadata {\r\n    a = "two\r\nlines",\r\n}\r\n');
  const cr = await fmt("metadata {\r  a = 1\r}\r");
  assert.is(cr, "metadata {\r    a = 1,\r}\r");
  await assertGuarantees(
    'agent a {\r\n    with {\r\n        // c\r\n        f("x\r\ny");\r\n    }\r\n}\r\n',
    "crlf.symbi",
  );
});

test("mixed line ends: normalised to the first line end's style, unless a string spanning lines would change (E0703)", async () => {
  assert.is(await fmt("metadata {\r\n  a = 1\n  b = 2\n}\n"), "metadata {\r\n    a = 1,\r\n    b = 2,\r\n}\r\n");
  const r = await formatText('metadata {\r\n  a = "two\nlines"\r\n}\r\n', "mixed.symbi");
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.is(r.reason, "input");
  assert.is(r.diagnostics[0]!.code, "E0703");
});

test("tabs: indentation becomes spaces, tabs inside strings and comments are kept", async () => {
  assert.is(
    await fmt('agent a {\n\twith sandbox = "x" {\n\t\tlet y = "\ttab"; //\tnote\n\t}\n}'),
    'agent a {\n    with sandbox = "x" {\n        let y = "\ttab"; //\tnote\n    }\n}\n',
  );
});

test("a BOM is kept (text and bytes)", async () => {
  assert.is(await fmt("\uFEFFmetadata { a = 1 }"), "\uFEFFmetadata {\n    a = 1,\n}\n");
  const r = await formatBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from("metadata { a = 1 }")]), "bom.symbi");
  assert.ok(r.ok);
  if (r.ok) assert.is(r.output, "\uFEFFmetadata {\n    a = 1,\n}\n");
});

test("no final newline: one is added; trailing blank lines are removed", async () => {
  assert.is(await fmt("metadata { a = 1 }"), "metadata {\n    a = 1,\n}\n");
  assert.is(await fmt("metadata { a = 1 }\n\n\n\n"), "metadata {\n    a = 1,\n}\n");
  assert.is(await fmt("metadata { a = 1 } // last"), "metadata {\n    a = 1,\n} // last\n");
});

test("empty, blank and comment-only files", async () => {
  assert.is(await fmt(""), "");
  assert.is(await fmt("  \n\t\n"), "");
  assert.is(await fmt("// a\n\n\n# b"), "// a\n\n# b\n");
  const r = await formatText("", "empty.symbi");
  assert.ok(r.ok && r.changed === false);
});

test("nesting at the parser's limit formats; beyond it is the parser's E0005", async () => {
  const nested = (n: number) =>
    `function f() { let x = ${"(".repeat(n)}1${")".repeat(n)}; if a {${"if b {".repeat(n)}${"}".repeat(n)}} }`;
  await assertGuarantees(nested(MAX_NESTING - 10), "deep.symbi");
  const r = await formatText(nested(MAX_NESTING + 10), "deeper.symbi");
  assert.is(r.ok, false);
  if (!r.ok) assert.ok(r.diagnostics.some((d) => d.code === "E0005"));
});

test("a long file formats (no quadratic behaviour in practice)", async () => {
  const item = "agent a {\n    with {\n        let x = f(a, { b: 1 }); // c\n    }\n}\n\n";
  const text = item.repeat(2000);
  const t0 = Date.now();
  const out = await fmt(text);
  assert.ok(out.length > 100_000);
  assert.ok(Date.now() - t0 < 20_000, "formats in reasonable time");
});

test.run();
