/**
 * Finds where a table or key path sits in TOML source text, so contract diagnostics point at the
 * exact key or value. smol-toml (our parser for values) keeps no positions; toml-eslint-parser
 * (a well-kept TOML parser producing an AST with ranges) supplies them. It runs only after
 * smol-toml accepted the text; if it ever disagrees, spans degrade to the start of the file
 * rather than failing.
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

/** A map key for a path (cheaper than JSON; a NUL inside a quoted key could at worst merge two spans). */
function pathId(path: TomlPath): string {
  return path.join("\u0000");
}

function keyName(k: AST.TOMLBare | AST.TOMLQuoted): string {
  return k.type === "TOMLBare" ? k.name : k.value;
}

export class TomlLocator {
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
    if (ast) this.index(ast);
  }

  private set(path: TomlPath, entry: Entry, overwrite = true): void {
    const id = pathId(path);
    if (!overwrite && this.entries.has(id)) return;
    this.entries.set(id, entry);
  }

  private index(ast: AST.TOMLProgram): void {
    for (const node of ast.body[0].body) {
      if (node.type === "TOMLKeyValue") {
        this.keyValue([], node);
        continue;
      }
      const header = this.headerRange(node);
      const path = node.resolvedKey;
      // Implicit super-tables (`[a.b.c]` defines `a` and `a.b`) point at their first mention.
      for (let i = 1; i < path.length; i++) this.set(path.slice(0, i), { key: header }, false);
      this.set(path, { key: header });
      if (node.kind === "array") {
        // `[[x]]` also names the array itself (`x`) at its first header.
        this.set(path.slice(0, -1), { key: header }, false);
      }
      for (const kv of node.body) this.keyValue(path, kv);
    }
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

  private keyValue(prefix: TomlPath, kv: AST.TOMLKeyValue): void {
    const keys = kv.key.keys;
    for (let i = 0; i < keys.length - 1; i++) {
      const p = [...prefix, ...keys.slice(0, i + 1).map(keyName)];
      this.set(p, { key: [keys[0]!.range[0], keys[i]!.range[1]] }, false);
    }
    const path = [...prefix, ...keys.map(keyName)];
    this.content(path, kv.key.range, kv.value);
  }

  private content(path: TomlPath, key: [number, number], value: AST.TOMLContentNode): void {
    const entry: Entry = { key, value: value.range };
    if (value.type === "TOMLValue" && value.kind === "string") {
      const raw = this.text.slice(value.range[0], value.range[1]);
      entry.verbatimString = raw.length === value.value.length + 2 && raw.slice(1, -1) === value.value;
    }
    this.set(path, entry);
    if (value.type === "TOMLInlineTable") {
      for (const kv of value.body) this.keyValue(path, kv);
    } else if (value.type === "TOMLArray") {
      value.elements.forEach((el, i) => this.content([...path, i], el.range, el));
    }
  }

  /** Is this path written in the source? */
  has(path: TomlPath): boolean {
    return this.entries.has(pathId(path));
  }

  /** The nearest written entry: the path itself or its closest ancestor. */
  private nearest(path: TomlPath): Entry | undefined {
    for (let n = path.length; n > 0; n--) {
      const e = this.entries.get(pathId(path.slice(0, n)));
      if (e) return e;
    }
    return undefined;
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
    const e = this.entries.get(pathId(path));
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
