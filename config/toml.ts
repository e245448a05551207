/**
 * Reading one configuration file: its bytes (bounded: formats/bounded-read.ts), its TOML (smol-toml, which reports the
 * line and column of a syntax error), and where each key sits (the contracts' locator,
 * formats/toml-locator.ts), so every problem with a value is reported at `file:line:col`.
 */
import { createRequire } from "node:module";
import { readBounded, type BoundedReadError } from "../formats/bounded-read.js";
import { TomlLocator } from "../formats/toml-locator.js";

// The parser is loaded when a file is read (CommonJS builds, synchronously): a command run
// where no configuration file exists does not load it.
const require = createRequire(import.meta.url);
let smolToml: typeof import("smol-toml") | undefined;
const toml = (): typeof import("smol-toml") => (smolToml ??= require("smol-toml") as typeof import("smol-toml"));

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
  const l = new TomlLocator(text);
  return (path) => {
    const s = l.key(path);
    return { line: s.line, col: s.col };
  };
}
