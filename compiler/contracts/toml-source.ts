/**
 * TOML text → values (smol-toml) plus a locator for spans. A syntax error becomes one E0500
 * diagnostic at the line and column smol-toml reports.
 */
import { createRequire } from "node:module";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import { TomlLocator } from "../../formats/toml-locator.js";
import type { TomlTable } from "./reader.js";

// Loaded on first use (CommonJS build, synchronously): importing this module costs nothing until
// TOML is parsed, so a command that reads no contract or configuration does not load a TOML parser.
const require = createRequire(import.meta.url);
let smolToml: typeof import("smol-toml") | undefined;
const toml = (): typeof import("smol-toml") => (smolToml ??= require("smol-toml") as typeof import("smol-toml"));

export type TomlSource = { ok: true; value: TomlTable; locator: TomlLocator } | { ok: false; diagnostic: Diagnostic };

export function parseTomlSource(text: string, file: string): TomlSource {
  try {
    const value = toml().parse(text) as TomlTable;
    return { ok: true, value, locator: new TomlLocator(text) };
  } catch (e) {
    const loc = new TomlLocator("");
    if (e instanceof toml().TomlError) {
      // smol-toml's message is "Invalid TOML document: <reason>\n\n<code block>": keep the reason.
      const reason = e.message
        .replace(/^Invalid TOML document:\s*/, "")
        .split("\n")[0]!
        .trim();
      const at = new TomlLocator(text).at(e.line, e.column);
      return {
        ok: false,
        diagnostic: diagnostic({ code: "E0500", message: `invalid TOML: ${reason}`, file, span: at }),
      };
    }
    const message = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      diagnostic: diagnostic({ code: "E0500", message: `invalid TOML: ${message}`, file, span: loc.lines.span(0, 0) }),
    };
  }
}
