/**
 * The reference the locator (formats/toml-locator.ts) is checked against: every path of a
 * TOML text indexed at once from toml-eslint-parser's syntax tree (a well-kept TOML parser that
 * keeps positions; the locator itself reads positions with toml-scan.ts). Test-only.
 */
import { createRequire } from "node:module";
import type { AST } from "toml-eslint-parser";
import { LineMap, type Span } from "../../grammar/span.js";
import type { TomlPath } from "../../formats/toml-locator.js";

const { parseTOML } = createRequire(import.meta.url)("toml-eslint-parser") as typeof import("toml-eslint-parser");

interface Entry {
  key: [number, number];
  value?: [number, number];
  verbatimString?: boolean;
}

const keyName = (k: AST.TOMLBare | AST.TOMLQuoted) => (k.type === "TOMLBare" ? k.name : k.value);

/** Every path indexed at once, into a map by joined path (the locator's former algorithm). */
export class EagerLocator {
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
export function pathsOf(v: unknown, prefix: TomlPath = [], out: TomlPath[] = []): TomlPath[] {
  if (prefix.length > 0) out.push(prefix);
  out.push([...prefix, "nope"], [...prefix, 7]);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out));
  else if (typeof v === "object" && v !== null && !(v instanceof Date))
    for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out);
  return out;
}

/** A span as numbers, for assert.equal. */
export const spanOf = (s: Span): number[] => [s.start, s.end, s.line, s.col, s.endLine, s.endCol];
