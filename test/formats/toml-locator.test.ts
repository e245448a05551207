/** The TOML locator: spans of tables, keys, values, inline tables, arrays and string offsets. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TomlLocator } from "../../formats/toml-locator.js";

const src = `# comment
[tool]
name = "nmap"   # trailing comment
"quoted key" = 1

[args.target]
type = "scope_target"
dotted.key = true

[command.conditionals]
hdr = { when = "h != ''", template = "-H '{h}'" }

[output.schema.properties.hosts.items]
type = "object"

[[runs]]
id = 1
[[runs]]
id = 2

list = ["a", "b"]
`;

const loc = new TomlLocator(src);
const text = (s: { start: number; end: number }) => src.slice(s.start, s.end);

test("table headers", () => {
  assert.is(text(loc.key(["tool"])), "[tool]");
  assert.is(loc.key(["tool"]).line, 2);
  assert.is(text(loc.key(["args", "target"])), "[args.target]");
  assert.is(loc.key(["args", "target"]).line, 6);
});

test("keys and values", () => {
  assert.is(text(loc.key(["tool", "name"])), "name");
  assert.is(text(loc.value(["tool", "name"])), '"nmap"');
  assert.equal([loc.value(["tool", "name"]).line, loc.value(["tool", "name"]).col], [3, 8]);
  assert.is(text(loc.key(["tool", "quoted key"])), '"quoted key"');
  assert.is(text(loc.value(["args", "target", "dotted", "key"])), "true");
  assert.is(text(loc.key(["args", "target", "dotted"])), "dotted");
});

test("inline tables and their keys", () => {
  assert.is(text(loc.key(["command", "conditionals", "hdr"])), "hdr");
  assert.is(text(loc.value(["command", "conditionals", "hdr", "when"])), `"h != ''"`);
  assert.is(loc.value(["command", "conditionals", "hdr", "template"]).line, 11);
});

test("implicit super-tables point at their first mention", () => {
  assert.is(loc.key(["output", "schema"]).line, 13);
  assert.is(text(loc.value(["output", "schema", "properties", "hosts", "items", "type"])), '"object"');
});

test("arrays of tables and array elements", () => {
  assert.is(loc.value(["runs", 0, "id"]).line, 17);
  assert.is(loc.value(["runs", 1, "id"]).line, 19);
  assert.is(text(loc.value(["runs", 1, "list", 1])), '"b"');
});

test("unknown paths fall back to the nearest written ancestor, then to the file start", () => {
  assert.is(text(loc.key(["args", "target", "nope"])), "[args.target]");
  assert.is(text(loc.value(["tool", "name", "deeper"])), '"nmap"');
  const none = loc.key(["missing"]);
  assert.equal([none.line, none.col, none.start], [1, 1, 0]);
  assert.is(loc.has(["tool", "name"]), true);
  assert.is(loc.has(["tool", "version"]), false);
});

test("offsets inside verbatim strings are exact; strings with escapes give the whole value", () => {
  const s = loc.inString(["command", "conditionals", "hdr", "template"], 4, 3);
  assert.is(text(s), "{h}");
  const esc = new TomlLocator('t = "a\\tb {x}"\n');
  assert.is(esc.text.slice(esc.inString(["t"], 5).start, esc.inString(["t"], 5).end), '"a\\tb {x}"');
});

test("line/column positions from the TOML parser", () => {
  const s = loc.at(3, 8);
  assert.is(text(s), '"');
  assert.equal([s.line, s.col], [3, 8]);
});

test("text the position parser cannot read degrades to the file start", () => {
  const bad = new TomlLocator("[unclosed\n");
  assert.equal([bad.key(["unclosed"]).line, bad.key(["unclosed"]).col], [1, 1]);
});

test("CRLF line endings", () => {
  const crlf = new TomlLocator('[tool]\r\nname = "x"\r\nbinary = "y"\r\n');
  assert.equal([crlf.value(["tool", "binary"]).line, crlf.value(["tool", "binary"]).col], [3, 10]);
});

test.run();
