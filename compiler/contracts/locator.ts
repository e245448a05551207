/**
 * Finds where a table or key path sits in TOML source text, so contract diagnostics point at the
 * exact key or value. smol-toml (our parser for values) keeps no positions; toml-eslint-parser
 * (a well-kept TOML parser producing an AST with ranges) supplies them. It runs only after
 * smol-toml accepted the text; if it ever disagrees, spans degrade to the start of the file
 * rather than failing.
 *
 * The work is done when asked, not up front: the text is parsed on the first question, and the
 * parts of an array or inline table are indexed when a path below that value is first asked. A
 * value written in TOML is complete where it is written (nothing outside it can add to it), so
 * indexing it later gives the same answers as indexing it with the rest; a `symbic test` file of
 * thousands of rows then indexes each row, not each key of each row (test/contracts/locator.test.ts
 * compares the answers with an index of every path made up front).
 */
import { createRequire } from "node:module";
import type { AST } from "toml-eslint-parser";
import { LineMap, type Span } from "../../grammar/span.js";

// Loaded on first use (see toml-source.ts): a command that locates nothing does not load it.
const require = createRequire(import.meta.url);
let parser: typeof import("toml-eslint-parser") | undefined;
const parseTOML = (text: string): AST.TOMLProgram =>
  (parser ??= require("toml-eslint-parser") as typeof import("toml-eslint-parser")).parseTOML(text);

export type TomlPath = readonly (string | number)[];

interface Entry {
  /** The key (or table header) that names the path. */
  key: [number, number];
  /** The value, when the path names a key/value pair (absent for `[table]` headers). */
  value?: [number, number];
  /** The value is a plain one-line string whose source text equals its decoded text. */
  verbatimString?: boolean;
}

/** A path's place in the index: its entry, the paths below it, and a value not yet indexed. */
interface PathNode {
  entry?: Entry;
  /** By path segment, numbers as strings (an array index and a quoted key of digits are one segment). */
  children?: Map<string, PathNode>;
  /** An array or inline table whose parts are indexed when a path below it is asked. */
  pending?: AST.TOMLArray | AST.TOMLInlineTable;
}

function keyName(k: AST.TOMLBare | AST.TOMLQuoted): string {
  return k.type === "TOMLBare" ? k.name : k.value;
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

  /** The text parsed and its tables and top-level keys indexed (once). */
  private index(): PathNode {
    if (this.root) return this.root;
    const root: PathNode = {};
    this.root = root;
    let ast: AST.TOMLProgram | undefined;
    try {
      ast = parseTOML(this.text);
    } catch {
      ast = undefined;
    }
    if (!ast) return root;
    for (const node of ast.body[0].body) {
      if (node.type === "TOMLKeyValue") {
        this.keyValue(root, node);
        continue;
      }
      const header = this.headerRange(node);
      const path = node.resolvedKey;
      // Implicit super-tables (`[a.b.c]` defines `a` and `a.b`) point at their first mention;
      // `[[x]]` also names the array itself (`x`) at its first header.
      let n = root;
      for (let i = 0; i < path.length - 1; i++) {
        n = child(n, path[i]!);
        n.entry ??= { key: header };
      }
      if (path.length === 1 && node.kind === "array") root.entry ??= { key: header };
      n = child(n, path[path.length - 1]!);
      n.entry = { key: header };
      for (const kv of node.body) this.keyValue(n, kv);
    }
    return root;
  }

  /** `[a.b]` → the range from `[` to the closing `]` (or `]]`). */
  private headerRange(table: AST.TOMLTable): [number, number] {
    const start = table.range[0];
    let end = table.key.range[1];
    const closer = table.kind === "array" ? "]]" : "]";
    const at = this.text.indexOf(closer, end);
    if (at >= 0) end = at + closer.length;
    return [start, end];
  }

  private keyValue(table: PathNode, kv: AST.TOMLKeyValue): void {
    const keys = kv.key.keys;
    let n = table;
    // A dotted key's prefixes (`a.b = 1` defines table `a`) point at their first mention.
    for (let i = 0; i < keys.length - 1; i++) {
      n = child(n, keyName(keys[i]!));
      n.entry ??= { key: [keys[0]!.range[0], keys[i]!.range[1]] };
    }
    this.content(child(n, keyName(keys[keys.length - 1]!)), kv.key.range, kv.value);
  }

  private content(n: PathNode, key: [number, number], value: AST.TOMLContentNode): void {
    const entry: Entry = { key, value: value.range };
    if (value.type === "TOMLValue" && value.kind === "string") {
      const raw = this.text.slice(value.range[0], value.range[1]);
      entry.verbatimString = raw.length === value.value.length + 2 && raw.slice(1, -1) === value.value;
    }
    n.entry = entry;
    if (value.type === "TOMLInlineTable" || value.type === "TOMLArray") n.pending = value;
  }

  /** The node below `n` for `segment`, indexing `n`'s value first if it has not been. */
  private below(n: PathNode, segment: string | number): PathNode | undefined {
    const v = n.pending;
    if (v) {
      n.pending = undefined;
      if (v.type === "TOMLInlineTable") for (const kv of v.body) this.keyValue(n, kv);
      else v.elements.forEach((el, i) => this.content(child(n, i), el.range, el));
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
