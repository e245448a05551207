/**
 * Where the keys, table headers and values of a TOML text are written: its structure with source
 * ranges, never what a value means (smol-toml reads the values). The locator (locator.ts) asks it
 * for the spans diagnostics and `symbic test` results point at.
 *
 * Why not a TOML parser that keeps positions: toml-eslint-parser, the well-kept one, builds a full
 * syntax tree with tokens and line/column objects for every part — ~0.5–1 ms a KB, the largest
 * cost of `symbic test` on a file of thousands of rows (bench/test.bench.ts), where every row's
 * place is reported. This scanner reads the same text in one pass at the character level, and
 * scans an array's or inline table's contents only when asked (scanArray, scanInlineTable).
 *
 * It runs only on text smol-toml accepted, so it does not check TOML: it assumes a valid text
 * (TOML 1.1, as smol-toml reads it) and throws TomlScanError where a text is not what it expects;
 * the locator then points at the start of the file rather than guessing.
 * test/formats/toml-scan.test.ts compares every range with toml-eslint-parser's on TOML written
 * in every way a path can be, and on generated TOML.
 */

export type Range = [number, number];

/** One part of a (dotted) key: its name, unescaped, and where it is written (quotes included). */
export interface ScannedKeyPart {
  name: string;
  range: Range;
}

/** A key as written: `a . "b.c"` has two parts; its range runs from the first to the last. */
export interface ScannedKey {
  parts: ScannedKeyPart[];
  range: Range;
}

/**
 * A value: its kind and range (quotes and brackets included). An array's or inline table's
 * contents are scanned when asked (scanArray, scanInlineTable).
 */
export interface ScannedValue {
  kind: "string" | "scalar" | "array" | "inline-table";
  range: Range;
  /** A string written on one line whose text between the quotes is its value (no escapes). */
  verbatim?: boolean;
}

export interface ScannedKeyValue {
  key: ScannedKey;
  value: ScannedValue;
}

export interface ScannedTable {
  kind: "table" | "array-of-tables";
  /** From `[` to after the closing `]` (`]]`). */
  header: Range;
  /** The table's path, array-of-tables elements by their index: `[[a.b]]` → ["a", 0, "b", 1]. */
  path: Array<string | number>;
  body: ScannedKeyValue[];
}

export interface ScannedDocument {
  /** The key/value pairs before the first table header. */
  body: ScannedKeyValue[];
  tables: ScannedTable[];
}

export class TomlScanError extends Error {
  override readonly name = "TomlScanError";
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const DOT = 0x2e;
const EQUALS = 0x3d;

/** Characters that end a bare key, a number, a boolean or a date. */
function endsWord(c: number): boolean {
  return (
    c === SPACE ||
    c === TAB ||
    c === LF ||
    c === CR ||
    c === HASH ||
    c === COMMA ||
    c === DOT ||
    c === EQUALS ||
    c === OPEN_BRACKET ||
    c === CLOSE_BRACKET ||
    c === OPEN_BRACE ||
    c === CLOSE_BRACE ||
    c === QUOTE ||
    c === APOSTROPHE ||
    Number.isNaN(c)
  );
}

/** A scalar (number, boolean, date, time) ends where a word does, but holds dots (`1.5`, `07:32:00.999`). */
function endsScalar(c: number): boolean {
  return c !== DOT && endsWord(c);
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_START = /^\d{2}:/;

const ESCAPES: Record<string, string> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  e: "\x1b",
  '"': '"',
  "\\": "\\",
};

/** The value of a one-line basic string's text between its quotes (a quoted key's name). */
function unescapeBasic(raw: string): string {
  if (!raw.includes("\\")) return raw;
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    const c = ESCAPES[e];
    if (c === undefined) throw new TomlScanError(`unknown escape \\${e}`);
    return c;
  });
}

class Scanner {
  pos = 0;
  /** Whether the last one-line basic string scanned (endOfBasic) held a backslash. */
  private escaped = false;

  constructor(readonly text: string) {}

  private fail(what: string): never {
    throw new TomlScanError(`${what} at offset ${this.pos}`);
  }

  private code(at = this.pos): number {
    return this.text.charCodeAt(at);
  }

  skipSpaces(): void {
    let c = this.code();
    while (c === SPACE || c === TAB) c = this.code(++this.pos);
  }

  /** Spaces, line ends and comments (inside arrays and inline tables, and between lines). */
  skipBlank(): void {
    for (;;) {
      this.skipSpaces();
      const c = this.code();
      if (c === LF) this.pos++;
      else if (c === CR && this.code(this.pos + 1) === LF) this.pos += 2;
      else if (c === HASH) this.skipComment();
      else return;
    }
  }

  private skipComment(): void {
    const lf = this.text.indexOf("\n", this.pos);
    this.pos = lf < 0 ? this.text.length : lf;
  }

  /** After a key/value pair or a header: spaces, perhaps a comment, then a line end or the end. */
  endOfLine(): void {
    this.skipSpaces();
    if (this.code() === HASH) this.skipComment();
    const c = this.code();
    if (c === LF) this.pos++;
    else if (c === CR && this.code(this.pos + 1) === LF) this.pos += 2;
    else if (this.pos < this.text.length) this.fail("expected the end of the line");
  }

  /** The end of a one-line basic string starting at `start` (its opening quote). */
  private endOfBasic(start: number): number {
    let p = start + 1;
    this.escaped = false;
    for (;;) {
      const c = this.code(p);
      if (c === QUOTE) return p + 1;
      if (c === BACKSLASH) {
        this.escaped = true;
        p += 2;
      } else if (c === LF || Number.isNaN(c)) {
        this.pos = p;
        this.fail("unfinished string");
      } else p++;
    }
  }

  /**
   * The end of a multi-line string starting at `start` (its three opening quotes `q`): the first
   * three closing quotes not escaped, and up to two more quotes right after them, which belong to
   * the string (`"""a"""""` is `a""`).
   */
  private endOfMultiline(start: number, q: number): number {
    const delimiter = q === QUOTE ? '"""' : "'''";
    let p = start + 3;
    for (;;) {
      const c = this.code(p);
      if (Number.isNaN(c)) {
        this.pos = p;
        this.fail("unfinished multi-line string");
      }
      if (c === BACKSLASH && q === QUOTE) p += 2;
      else if (c === q && this.text.startsWith(delimiter, p)) {
        let end = p + 3;
        for (let extra = 0; extra < 2 && this.code(end) === q; extra++) end++;
        return end;
      } else p++;
    }
  }

  private endOfLiteral(start: number): number {
    const close = this.text.indexOf("'", start + 1);
    if (close < 0) this.fail("unfinished string");
    return close + 1;
  }

  /** The end of an array or inline table starting at `start`, its contents skipped. */
  private endOfCompound(start: number): number {
    let depth = 0;
    let p = start;
    for (;;) {
      const c = this.code(p);
      if (c === OPEN_BRACKET || c === OPEN_BRACE) {
        depth++;
        p++;
      } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
        p++;
        if (--depth === 0) return p;
      } else if (c === QUOTE || c === APOSTROPHE) {
        p = this.text.startsWith(c === QUOTE ? '"""' : "'''", p)
          ? this.endOfMultiline(p, c)
          : c === QUOTE
            ? this.endOfBasic(p)
            : this.endOfLiteral(p);
      } else if (c === HASH) {
        const lf = this.text.indexOf("\n", p);
        p = lf < 0 ? this.text.length : lf;
      } else if (Number.isNaN(c)) {
        this.pos = p;
        this.fail("unclosed array or inline table");
      } else p++;
    }
  }

  private keyPart(): ScannedKeyPart {
    const start = this.pos;
    const c = this.code();
    if (c === QUOTE) {
      this.pos = this.endOfBasic(start);
      return { name: unescapeBasic(this.text.slice(start + 1, this.pos - 1)), range: [start, this.pos] };
    }
    if (c === APOSTROPHE) {
      this.pos = this.endOfLiteral(start);
      return { name: this.text.slice(start + 1, this.pos - 1), range: [start, this.pos] };
    }
    while (!endsWord(this.code())) this.pos++;
    if (this.pos === start) this.fail("expected a key");
    return { name: this.text.slice(start, this.pos), range: [start, this.pos] };
  }

  key(): ScannedKey {
    const parts = [this.keyPart()];
    for (;;) {
      const before = this.pos;
      this.skipSpaces();
      if (this.code() !== DOT) {
        this.pos = before;
        break;
      }
      this.pos++;
      this.skipSpaces();
      parts.push(this.keyPart());
    }
    return { parts, range: [parts[0]!.range[0], parts[parts.length - 1]!.range[1]] };
  }

  value(): ScannedValue {
    const start = this.pos;
    const c = this.code();
    if (c === QUOTE || c === APOSTROPHE) {
      if (this.text.startsWith(c === QUOTE ? '"""' : "'''", start)) {
        this.pos = this.endOfMultiline(start, c);
        return { kind: "string", range: [start, this.pos], verbatim: false };
      }
      if (c === APOSTROPHE) {
        this.pos = this.endOfLiteral(start);
        return { kind: "string", range: [start, this.pos], verbatim: true };
      }
      this.pos = this.endOfBasic(start);
      return { kind: "string", range: [start, this.pos], verbatim: !this.escaped };
    }
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      this.pos = this.endOfCompound(start);
      return { kind: c === OPEN_BRACKET ? "array" : "inline-table", range: [start, this.pos] };
    }
    while (!endsScalar(this.code())) this.pos++;
    if (this.pos === start) this.fail("expected a value");
    // A date and a time may be written apart by a space: `1979-05-27 07:32:00Z`.
    if (
      this.code() === SPACE &&
      LOCAL_DATE.test(this.text.slice(start, this.pos)) &&
      TIME_START.test(this.text.slice(this.pos + 1, this.pos + 4))
    ) {
      this.pos++;
      while (!endsScalar(this.code())) this.pos++;
    }
    return { kind: "scalar", range: [start, this.pos] };
  }

  keyValue(): ScannedKeyValue {
    const key = this.key();
    this.skipSpaces();
    if (this.code() !== EQUALS) this.fail("expected `=`");
    this.pos++;
    this.skipSpaces();
    return { key, value: this.value() };
  }
}

/** Array-of-tables paths to the number of elements written so far (`[[a]]` twice: 2). */
class TablePaths {
  private readonly counts = new Map<string, number>();

  /** A header's path, each array of tables it passes through at its latest element. */
  resolve(names: readonly string[], arrayOfTables: boolean): Array<string | number> {
    const path: Array<string | number> = [];
    names.forEach((name, i) => {
      path.push(name);
      const id = JSON.stringify(path);
      const count = this.counts.get(id);
      if (i < names.length - 1) {
        if (count !== undefined) path.push(count - 1);
      } else if (arrayOfTables) {
        this.counts.set(id, (count ?? 0) + 1);
        path.push(count ?? 0);
      }
    });
    return path;
  }
}

/** The document's top-level key/value pairs and tables; their arrays and inline tables unscanned. */
export function scanToml(text: string): ScannedDocument {
  const s = new Scanner(text);
  if (text.charCodeAt(0) === 0xfeff) s.pos = 1;
  const doc: ScannedDocument = { body: [], tables: [] };
  const paths = new TablePaths();
  let body = doc.body;
  for (;;) {
    s.skipBlank();
    if (s.pos >= text.length) return doc;
    if (text.charCodeAt(s.pos) === OPEN_BRACKET) {
      const start = s.pos;
      const arrayOfTables = text.startsWith("[[", start);
      s.pos += arrayOfTables ? 2 : 1;
      s.skipSpaces();
      const key = s.key();
      s.skipSpaces();
      const closer = arrayOfTables ? "]]" : "]";
      if (!text.startsWith(closer, s.pos)) throw new TomlScanError(`expected \`${closer}\` at offset ${s.pos}`);
      s.pos += closer.length;
      const table: ScannedTable = {
        kind: arrayOfTables ? "array-of-tables" : "table",
        header: [start, s.pos],
        path: paths.resolve(
          key.parts.map((p) => p.name),
          arrayOfTables,
        ),
        body: [],
      };
      doc.tables.push(table);
      body = table.body;
    } else body.push(s.keyValue());
    s.endOfLine();
  }
}

/**
 * The items of an array or inline table starting at `start`, each read by `item`: blank lines
 * and comments between them, a comma after each but perhaps the last, then `close`.
 */
function scanItems<T>(text: string, start: number, close: number, item: (s: Scanner) => T): T[] {
  const s = new Scanner(text);
  s.pos = start + 1;
  const out: T[] = [];
  for (;;) {
    s.skipBlank();
    if (text.charCodeAt(s.pos) === close) return out;
    out.push(item(s));
    s.skipBlank();
    const c = text.charCodeAt(s.pos);
    if (c === COMMA) s.pos++;
    else if (c !== close)
      throw new TomlScanError(`expected \`,\` or \`${String.fromCharCode(close)}\` at offset ${s.pos}`);
  }
}

/** The elements of an array value (scanned by scanToml, scanArray or scanInlineTable). */
export function scanArray(text: string, array: ScannedValue): ScannedValue[] {
  return scanItems(text, array.range[0], CLOSE_BRACKET, (s) => s.value());
}

/** The key/value pairs of an inline table value. */
export function scanInlineTable(text: string, table: ScannedValue): ScannedKeyValue[] {
  return scanItems(text, table.range[0], CLOSE_BRACE, (s) => s.keyValue());
}
