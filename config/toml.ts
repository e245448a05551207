/**
 * Reading one configuration file: its bytes (bounded: formats/bounded-read.ts), its TOML (smol-toml, which reports the
 * line and column of a syntax error), and where each key sits (toml-eslint-parser's syntax tree),
 * so every problem with a value is reported at `file:line:col`.
 */
import { createRequire } from "node:module";
import type { AST } from "toml-eslint-parser";
import { readBounded, type BoundedReadError } from "../formats/bounded-read.js";

// The parsers are loaded when a file is read (CommonJS builds, synchronously): a command run
// where no configuration file exists loads neither.
const require = createRequire(import.meta.url);
let smolToml: typeof import("smol-toml") | undefined;
let eslintToml: typeof import("toml-eslint-parser") | undefined;
const toml = (): typeof import("smol-toml") => (smolToml ??= require("smol-toml") as typeof import("smol-toml"));
const parseTOML = (text: string): AST.TOMLProgram =>
  (eslintToml ??= require("toml-eslint-parser") as typeof import("toml-eslint-parser")).parseTOML(text);

/** A configuration file is small; anything larger is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface Position {
  line: number;
  col: number;
}

export type ReadResult =
  | { ok: true; data: Record<string, unknown>; locate: (path: readonly string[]) => Position }
  | { ok: false; io: boolean; position: Position; message: string };

/** Reads and parses a TOML file; a missing file is `io: true` like any other unreadable one. */
export function readTomlFile(path: string): ReadResult {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(readBounded(path, MAX_CONFIG_BYTES));
  } catch (err) {
    if (err instanceof TypeError)
      return { ok: false, io: false, position: { line: 1, col: 1 }, message: "not valid UTF-8" };
    const e = err as BoundedReadError;
    return {
      ok: false,
      io: true,
      position: { line: 1, col: 1 },
      message: e.code === "TOO_LARGE" ? `larger than ${MAX_CONFIG_BYTES} bytes` : `cannot read: ${e.reason}`,
    };
  }
  let data: Record<string, unknown>;
  try {
    data = toml().parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof toml().TomlError) {
      const first = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      return {
        ok: false,
        io: false,
        position: { line: err.line, col: err.column },
        message: `not valid TOML: ${first}`,
      };
    }
    throw err;
  }
  return { ok: true, data, locate: locator(text) };
}

/** Maps a key path (`["security", "audit_enabled"]`) to where its key is written; unknown paths fall back to their nearest written ancestor. */
function locator(text: string): (path: readonly string[]) => Position {
  const at = new Map<string, Position>();
  const id = (p: readonly string[]) => p.join("\u0000");
  const pos = (n: { loc: { start: { line: number; column: number } } }): Position => ({
    line: n.loc.start.line,
    col: n.loc.start.column + 1,
  });
  const name = (k: AST.TOMLBare | AST.TOMLQuoted) => (k.type === "TOMLBare" ? k.name : k.value);
  const keyValue = (prefix: string[], kv: AST.TOMLKeyValue) => {
    const keys = kv.key.keys.map(name);
    for (let i = 1; i <= keys.length; i++) {
      const p = [...prefix, ...keys.slice(0, i)];
      if (!at.has(id(p))) at.set(id(p), pos(kv));
    }
    if (kv.value.type === "TOMLInlineTable") for (const inner of kv.value.body) keyValue([...prefix, ...keys], inner);
  };
  try {
    const ast = parseTOML(text);
    for (const node of ast.body[0].body) {
      if (node.type === "TOMLKeyValue") keyValue([], node);
      else {
        const p = node.resolvedKey.map(String);
        for (let i = 1; i <= p.length; i++) if (!at.has(id(p.slice(0, i)))) at.set(id(p.slice(0, i)), pos(node));
        for (const kv of node.body) keyValue(p, kv);
      }
    }
  } catch {
    /* smol-toml accepted the text; without positions, problems point at the file's start */
  }
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const p = at.get(id(path.slice(0, n)));
      if (p) return p;
    }
    return { line: 1, col: 1 };
  };
}
