/**
 * The locator reads where TOML's parts are written with its own scanner
 * (formats/toml-scan.ts). These tests hold it to toml-eslint-parser's positions
 * (eager-locator.ts) on generated documents: every way of writing keys (bare, quoted, literal,
 * dotted with spaces, escapes), tables and arrays of tables (nested, implicit), every kind of value
 * (the four strings with text that looks like TOML inside, numbers, dates written with a space,
 * arrays over lines with comments, inline tables), blank lines, comments, tabs, CRLF.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { createRequire } from "node:module";
import { parse } from "smol-toml";
import { TomlLocator } from "../../formats/toml-locator.js";
import { scanArray, scanInlineTable, scanToml, TomlScanError } from "../../formats/toml-scan.js";
import { EagerLocator, pathsOf, spanOf } from "./eager-locator.js";
import { rng } from "../fuzz/mutate.js";

const { parseTOML } = createRequire(import.meta.url)("toml-eslint-parser") as typeof import("toml-eslint-parser");

class Writer {
  private next = 0;
  constructor(
    private readonly r: () => number,
    readonly nl: string,
  ) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  int(max: number): number {
    return Math.floor(this.r() * max);
  }
  ws(): string {
    return this.pick(["", " ", "  ", "\t", " \t"]);
  }

  /** A key part with a name no other part of its table has (a counter), spelt one of the ways it can be. */
  keyPart(): string {
    const n = this.next++;
    const base = this.pick(["k", "key-", "k_", "a.b", "x y", "é", 'q"', "[t]", "#", "7", ""]);
    const name = `${base}${n}`;
    if (/^[A-Za-z0-9_-]+$/.test(name) && this.chance(0.6)) return name;
    if (!name.includes("'") && this.chance(0.3)) return `'${name}'`;
    const escaped = name.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    return `"${this.chance(0.3) ? escaped.replace(/é/g, "\\u00e9").replace(/k/g, "\\u006b") : escaped}"`;
  }

  key(): string {
    const parts = [this.keyPart()];
    while (this.chance(0.25)) parts.push(this.keyPart());
    return parts.join(this.pick([".", " . ", ".\t"]));
  }

  string(multiLineAllowed: boolean): string {
    const content = this.pick(["x", "[[case]]", "{ a = 1 }", "] }", "# no comment", "a,b", "tab\there", "é", ""]);
    const kind = this.int(multiLineAllowed ? 4 : 2);
    switch (kind) {
      case 0:
        return `"${this.pick(["", '\\"', "\\\\", "\\u00e9", "\\t", "'"])}${content}${this.pick(["", '\\"', "\\n"])}"`;
      case 1:
        return `'${content.replace(/'/g, "")}${this.pick(["", '"', "\\"])}'`;
      case 2:
        return `"""${this.pick(["", this.nl])}${content}${this.nl}${this.pick(["", '"', '""', '\\"""', `\\${this.nl}  `])}${content}${this.pick(["", '"', '""'])}"""`;
      default:
        return `'''${this.pick(["", this.nl])}${content}${this.nl}${this.pick(["", '"""', "'", "''"])}${content}${this.pick(["", "'", "''"])}'''`;
    }
  }

  scalar(): string {
    return this.pick([
      "42",
      "-17",
      "+7",
      "1_000",
      "0x1F",
      "0o17",
      "0b101",
      "3.14",
      "-0.5e-3",
      "6.626e-34",
      "inf",
      "-inf",
      "nan",
      "true",
      "false",
      "1979-05-27",
      "1979-05-27T07:32:00Z",
      "1979-05-27 07:32:00.999-07:00",
      "1979-05-27 07:32:00",
      "07:32:00",
      "07:32:00.5",
    ]);
  }

  value(depth: number, multiLineAllowed = true): string {
    const k = depth > 2 ? this.int(2) : this.int(4);
    if (k === 0) return this.scalar();
    if (k === 1) return this.string(multiLineAllowed);
    if (k === 2) return this.array(depth + 1);
    return this.inlineTable(depth + 1);
  }

  array(depth: number): string {
    const n = this.int(4);
    const sep = () => this.pick([",", ", ", " ,", `,${this.nl}  `, `, # ] } "${this.nl}`]);
    const items = Array.from({ length: n }, () => this.value(depth));
    const open = this.pick(["[", "[ ", `[${this.nl}  `, `[ # [${this.nl}`]);
    const close = this.pick(["]", " ]", `${this.nl}]`]);
    const trailing = n > 0 && this.chance(0.3) ? "," : "";
    return `${open}${items.map((v, i) => (i > 0 ? sep() : "") + v).join("")}${trailing}${close}`;
  }

  /** TOML 1.0 inline tables (one line), which both parsers read. */
  inlineTable(depth: number): string {
    const n = this.int(4);
    const kvs = Array.from({ length: n }, () => `${this.key()}${this.ws()}=${this.ws()}${this.value(depth, false)}`);
    return n === 0 ? this.pick(["{}", "{ }"]) : `{${this.ws()}${kvs.join(`,${this.ws()}`)}${this.ws()}}`;
  }

  keyValues(): string {
    const n = this.int(4);
    let out = "";
    for (let i = 0; i < n; i++) {
      if (this.chance(0.2)) out += `${this.ws()}# comment [x] = 1${this.nl}`;
      if (this.chance(0.2)) out += this.nl;
      out += `${this.ws()}${this.key()}${this.ws()}=${this.ws()}${this.value(0)}${this.chance(0.3) ? `${this.ws()} # after` : this.ws()}${this.nl}`;
    }
    return out;
  }

  document(): string {
    let out = this.keyValues();
    const arrays: string[] = [];
    const tables = this.int(5);
    for (let i = 0; i < tables; i++) {
      const kind = this.int(4);
      let header: string;
      if (kind === 0 || arrays.length === 0) {
        const name = this.key();
        const isArray = this.chance(0.5);
        if (isArray) arrays.push(name);
        header = isArray ? `[[${this.ws()}${name}${this.ws()}]]` : `[${this.ws()}${name}${this.ws()}]`;
      } else if (kind === 1) header = `[[${this.pick(arrays)}]]`;
      else if (kind === 2) {
        const name = `${this.pick(arrays)}.${this.keyPart()}`;
        header = this.chance(0.5) ? `[${name}]` : `[[${name}]]`;
      } else header = `[[${this.pick(arrays)}]]`;
      out += `${this.ws()}${header}${this.chance(0.3) ? " # header" : ""}${this.nl}${this.keyValues()}`;
    }
    return out;
  }
}

const checked = { documents: 0, rejected: 0 };

test("the locator's spans are toml-eslint-parser's, on generated documents", () => {
  fc.assert(
    fc.property(fc.integer(), fc.boolean(), (seed, crlf) => {
      const text = new Writer(rng(seed), crlf ? "\r\n" : "\n").document();
      let value: unknown;
      try {
        value = parse(text);
        parseTOML(text);
      } catch {
        checked.rejected++; // a collision the generator did not avoid: not a document to compare on
        return true;
      }
      checked.documents++;
      const eager = new EagerLocator(text);
      const lazy = new TomlLocator(text);
      for (const p of pathsOf(value)) {
        const at = `${JSON.stringify(p)} in ${JSON.stringify(text)}`;
        assert.equal(spanOf(lazy.key(p)), spanOf(eager.key(p)), `key ${at}`);
        assert.equal(spanOf(lazy.value(p)), spanOf(eager.value(p)), `value ${at}`);
        assert.equal(spanOf(lazy.inString(p, 0, 1)), spanOf(eager.inString(p, 0, 1)), `inString ${at}`);
      }
      return true;
    }),
    { numRuns: 400, seed: 20261207 },
  );
  // The generator writes valid TOML nearly always: the comparison is not vacuous.
  assert.ok(checked.documents >= 360, `${checked.documents} documents compared, ${checked.rejected} rejected`);
});

test("text it cannot follow throws TomlScanError, and the locator falls back to the file's start", () => {
  for (const text of ['a = "unfinished', "a = [1, 2", "[t\nx = 1", 'a = """never closed', "= 1", "a = 1 b = 2"]) {
    assert.throws(
      () => {
        const doc = scanToml(text);
        for (const kv of doc.body)
          if (kv.value.kind === "array") scanArray(text, kv.value);
          else if (kv.value.kind === "inline-table") scanInlineTable(text, kv.value);
      },
      (e: unknown) => e instanceof TomlScanError,
      text,
    );
    assert.equal(spanOf(new TomlLocator(text).value(["a"])), [0, 0, 1, 1, 1, 1], text);
  }
});

test("a date and a time written apart by a space are one value", () => {
  const text = "when = 1979-05-27 07:32:00Z # a comment\nday = 1979-05-27 # no time\n";
  const l = new TomlLocator(text);
  assert.is(text.slice(l.value(["when"]).start, l.value(["when"]).end), "1979-05-27 07:32:00Z");
  assert.is(text.slice(l.value(["day"]).start, l.value(["day"]).end), "1979-05-27");
});

test("TOML 1.1 inline tables over several lines are located (smol-toml reads them)", () => {
  const text = "a = {\n  b = 1, # one\n  c = { d = 'x' },\n}\n";
  parse(text);
  const l = new TomlLocator(text);
  assert.is(text.slice(l.key(["a", "c", "d"]).start, l.key(["a", "c", "d"]).end), "d");
  assert.is(text.slice(l.value(["a", "c", "d"]).start, l.value(["a", "c", "d"]).end), "'x'");
});

test.run();
