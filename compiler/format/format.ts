/**
 * Formatting as a library call, for the CLI, the language server and tests: source in, formatted
 * text or diagnostics out. It runs prettier with our plugin and the house style, then checks its
 * own output (same tree, same comments; equivalence.ts) unless told not to, so that a formatter
 * bug can never silently change a program: the caller gets E0701 and keeps the original.
 */
import * as prettier from "prettier";
import { decodeSource, parseText, type Program } from "../../grammar/index.js";
import { LineMap, type Span } from "../../grammar/span.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import plugin from "./plugin.js";
import { HOUSE_STYLE } from "./style.js";
import { astDifference, commentDifference } from "./equivalence.js";

export interface Formatted {
  ok: true;
  /** The formatted text (with the source's BOM, if it had one, and its line-ending style). */
  output: string;
  /** Whether `output` differs from the source text. */
  changed: boolean;
}

export interface NotFormatted {
  ok: false;
  /** `syntax`: the source has errors (E00xx diagnostics); `internal`: the formatter failed (E0701/E0702). */
  reason: "syntax" | "internal";
  diagnostics: Diagnostic[];
}

export type FormatOutcome = Formatted | NotFormatted;

export interface FormatOptions {
  /** Re-parse the output and compare it with the source (default true). */
  verify?: boolean;
}

const BOM = "\uFEFF";

const PRETTIER_OPTIONS: prettier.Options = { ...HOUSE_STYLE, parser: "symbiont", plugins: [plugin] };

function startSpan(): Span {
  return { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
}

/** Formats decoded source text (which may start with a BOM). `file` is only used in diagnostics. */
export async function formatText(source: string, file = "<input>", opts: FormatOptions = {}): Promise<FormatOutcome> {
  const hadBom = source.startsWith(BOM);
  const text = hadBom ? source.slice(1) : source;
  const parsed = parseText(text, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { ok: false, reason: "syntax", diagnostics: parsed.diagnostics };
  return formatParsed(source, text, parsed.program, file, opts);
}

/** Formats file bytes: strict UTF-8 (E0002), size limit (E0004), then `formatText`. */
export async function formatBytes(bytes: Uint8Array, file: string, opts: FormatOptions = {}): Promise<FormatOutcome> {
  const decoded = decodeSource(bytes, file);
  if ("diagnostic" in decoded) return { ok: false, reason: "syntax", diagnostics: [decoded.diagnostic] };
  return formatText(decoded.hadBom ? BOM + decoded.text : decoded.text, file, opts);
}

async function formatParsed(source: string, text: string, program: Program, file: string, opts: FormatOptions): Promise<FormatOutcome> {
  let output: string;
  try {
    output = await prettier.format(source, { ...PRETTIER_OPTIONS, filepath: file });
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    return {
      ok: false,
      reason: "internal",
      diagnostics: [diagnostic({ code: "E0702", message: `formatter failed: ${message}`, file, span: startSpan(), help: "the file was left untouched; please report this with the file" })],
    };
  }
  if (opts.verify !== false) {
    const problem = verifyFormatted(program, output.startsWith(BOM) ? output.slice(1) : output, file);
    if (problem) {
      return {
        ok: false,
        reason: "internal",
        diagnostics: [diagnostic({ code: "E0701", message: `formatting would change the program (${problem})`, file, span: startSpan(), help: "the file was left untouched; please report this with the file" })],
      };
    }
  }
  return { ok: true, output, changed: output !== source };
}

/** Why `formatted` is not the same program as `original` (tree and comments), or undefined. */
export function verifyFormatted(original: Program, formatted: string, file = "<formatted>"): string | undefined {
  const again = parseText(formatted, file);
  const err = again.diagnostics.find((d) => d.severity === "error");
  if (err) return `the output does not parse: ${err.message} at ${err.span.line}:${err.span.col}`;
  return astDifference(original, again.program) ?? commentDifference(original.comments, again.program.comments);
}

/** The span of the first line where `formatted` differs from `source` (for E0700). */
export function firstDifference(source: string, formatted: string): Span {
  let i = 0;
  const n = Math.min(source.length, formatted.length);
  while (i < n && source.charCodeAt(i) === formatted.charCodeAt(i)) i++;
  const text = source.startsWith(BOM) ? source.slice(1) : source;
  const offset = Math.max(0, Math.min(text.length, i - (source.length - text.length)));
  const map = new LineMap(text);
  const lineStart = map.lineStarts[map.position(offset).line - 1] ?? 0;
  const lineEnd = lineStart + map.lineText(map.position(offset).line).length;
  return map.span(lineStart, lineEnd);
}

/** E0700 for a file whose formatting differs from the house style. */
export function notFormattedDiagnostic(file: string, source: string, formatted: string): Diagnostic {
  return diagnostic({
    code: "E0700",
    message: "file is not formatted",
    file,
    span: firstDifference(source, formatted),
    help: "run `symbic fmt --write` on it",
  });
}
