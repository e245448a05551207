/**
 * Finds where a table or key path sits in TOML source text, so contract diagnostics and `symbic
 * test` results point at the exact key or value. smol-toml (our parser for values) keeps no
 * positions; toml-scan.ts reads where each part is written. It runs only after smol-toml accepted
 * the text; if it ever cannot follow it, spans degrade to the start of the file rather than
 * failing.
 *
 * The work is done when asked, not up front: the text is scanned on the first question, and the
 * parts of an array or inline table are scanned when a path below that value is first asked. A
 * value written in TOML is complete where it is written (nothing outside it can add to it), so
 * indexing it later gives the same answers as indexing it with the rest; a `symbic test` file of
 * thousands of rows then indexes each row, not each key of each row (test/formats/toml-locator-lazy.test.ts
 * compares the answers with an index of every path made up front from toml-eslint-parser's tree).
 */
import { LineMap, type Span } from "../grammar/span.js";
import {
  scanArray,
  scanInlineTable,
  scanToml,
  type Range,
  type ScannedKeyValue,
  type ScannedValue,
} from "./toml-scan.js";

export type TomlPath = readonly (string | number)[];

interface Entry {
  /** The key (or table header) that names the path. */
  key: Range;
  /** The value, when the path names a key/value pair (absent for `[table]` headers). */
  value?: Range;
  /** The value is a plain one-line string whose source text equals its decoded text. */
  verbatimString?: boolean;
}

/** A path's place in the index: its entry, the paths below it, and a value not yet indexed. */
interface PathNode {
  entry?: Entry;
  /** By path segment, numbers as strings (an array index and a quoted key of digits are one segment). */
  children?: Map<string, PathNode>;
  /** An array or inline table whose parts are indexed when a path below it is asked. */
  pending?: ScannedValue;
}

function child(n: PathNode, segment: string | number): PathNode {
  const children = (n.children ??= new Map());
  const s = String(segment);
  let c = children.get(s);
  if (!c) children.set(s, (c = {}));
  return c;
}

export class TomlLocator {
  readonly lines: LineMap;
  /** The index's root (the empty path); undefined until the first question. */
  private root: PathNode | undefined;

  constructor(readonly text: string) {
    this.lines = new LineMap(text);
  }

  /** The text scanned and its tables and top-level keys indexed (once). */
  private index(): PathNode {
    if (this.root) return this.root;
    const root: PathNode = {};
    this.root = root;
    let doc;
    try {
      doc = scanToml(this.text);
    } catch {
      return root;
    }
    for (const kv of doc.body) this.keyValue(root, kv);
    for (const table of doc.tables) {
      const path = table.path;
      // Implicit super-tables (`[a.b.c]` defines `a` and `a.b`) point at their first mention;
      // `[[x]]` also names the array itself (`x`) at its first header.
      let n = root;
      for (let i = 0; i < path.length - 1; i++) {
        n = child(n, path[i]!);
        n.entry ??= { key: table.header };
      }
      if (path.length === 1 && table.kind === "array-of-tables") root.entry ??= { key: table.header };
      n = child(n, path[path.length - 1]!);
      n.entry = { key: table.header };
      for (const kv of table.body) this.keyValue(n, kv);
    }
    return root;
  }

  private keyValue(table: PathNode, kv: ScannedKeyValue): void {
    const parts = kv.key.parts;
    let n = table;
    // A dotted key's prefixes (`a.b = 1` defines table `a`) point at their first mention.
    for (let i = 0; i < parts.length - 1; i++) {
      n = child(n, parts[i]!.name);
      n.entry ??= { key: [parts[0]!.range[0], parts[i]!.range[1]] };
    }
    this.content(child(n, parts[parts.length - 1]!.name), kv.key.range, kv.value);
  }

  private content(n: PathNode, key: Range, value: ScannedValue): void {
    const entry: Entry = { key, value: value.range };
    if (value.kind === "string") entry.verbatimString = value.verbatim === true;
    n.entry = entry;
    if (value.kind === "inline-table" || value.kind === "array") n.pending = value;
  }

  /** The node below `n` for `segment`, indexing `n`'s value first if it has not been. */
  private below(n: PathNode, segment: string | number): PathNode | undefined {
    const v = n.pending;
    if (v) {
      n.pending = undefined;
      try {
        if (v.kind === "inline-table") for (const kv of scanInlineTable(this.text, v)) this.keyValue(n, kv);
        else scanArray(this.text, v).forEach((el, i) => this.content(child(n, i), el.range, el));
      } catch {
        /* what could not be scanned falls back to the value's own span */
      }
    }
    return n.children?.get(String(segment));
  }

  /** The entry written for exactly this path. */
  private entry(path: TomlPath): Entry | undefined {
    let n: PathNode | undefined = this.index();
    for (let i = 0; n && i < path.length; i++) n = this.below(n, path[i]!);
    return n?.entry;
  }

  /** Is this path written in the source? */
  has(path: TomlPath): boolean {
    return this.entry(path) !== undefined;
  }

  /** The nearest written entry: the path itself or its closest ancestor. */
  private nearest(path: TomlPath): Entry | undefined {
    let n: PathNode | undefined = this.index();
    let found: Entry | undefined;
    for (let i = 0; n && i < path.length; i++) {
      n = this.below(n, path[i]!);
      if (n?.entry) found = n.entry;
    }
    return found;
  }

  private toSpan(r: [number, number] | undefined): Span {
    return r ? this.lines.span(r[0], r[1]) : this.lines.span(0, 0);
  }

  /** The span of the key (or table header) naming the path; falls back to the nearest ancestor. */
  key(path: TomlPath): Span {
    return this.toSpan(this.nearest(path)?.key);
  }

  /** The span of the value at the path; falls back to its key, then to the nearest ancestor. */
  value(path: TomlPath): Span {
    const e = this.nearest(path);
    return this.toSpan(e?.value ?? e?.key);
  }

  /**
   * The span of `length` characters at `offset` inside a string value (for an error inside a
   * template or condition). Exact when the string is written without escapes; otherwise the
   * whole value.
   */
  inString(path: TomlPath, offset: number, length = 1): Span {
    const e = this.entry(path);
    if (e?.value && e.verbatimString) {
      const start = e.value[0] + 1 + offset;
      const end = Math.min(start + Math.max(1, length), e.value[1] - 1);
      return this.lines.span(start, Math.max(start, end));
    }
    return this.value(path);
  }

  /** The span of one character at a 1-based line/column (as reported by smol-toml). */
  at(line: number, column: number): Span {
    const lineStart = this.lines.lineStarts[line - 1] ?? this.text.length;
    const start = Math.min(lineStart + column - 1, this.text.length);
    return this.lines.span(start, Math.min(start + 1, this.text.length));
  }
}
