/**
 * Formatting as a library call, for the CLI, the language server and tests: source in, formatted
 * text or diagnostics out. It runs prettier with our plugin and the house style, then checks its
 * own output (same tree, same comments; equivalence.ts) unless told not to, so that a formatter
 * bug can never silently change a program: the caller gets E0701 and keeps the original.
 */
import * as prettier from "prettier";
import { decodeSource, parseText, type Comment, type Program } from "../../grammar/index.js";
import { LineMap, type Span } from "../../grammar/span.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import plugin from "./plugin.js";
import { HOUSE_STYLE } from "./style.js";
import { astDifference, commentDifference } from "./equivalence.js";
import { recordingParses, SymbiontSyntaxError } from "./parse.js";

export interface Formatted {
  ok: true;
  /** The formatted text (with the source's BOM, if it had one, and its line-ending style). */
  output: string;
  /** Whether `output` differs from the source text. */
  changed: boolean;
}

export interface NotFormatted {
  ok: false;
  /**
   * `syntax`: the source has errors (E00xx diagnostics); `input`: the source cannot be formatted
   * without changing it (E0703: mixed line endings in a multi-line string); `internal`: the
   * formatter failed its self-check or crashed (E0701/E0702), a formatter bug.
   */
  reason: "syntax" | "input" | "internal";
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
  const text = source.startsWith(BOM) ? source.slice(1) : source;
  if (text.includes("\r")) {
    // prettier hands the plugin the text with line endings normalised to LF; the self-check
    // must compare with the source as written (a string literal spanning lines keeps its line
    // endings), so this path parses the source itself.
    const parsed = parseText(text, file);
    if (parsed.diagnostics.some((d) => d.severity === "error"))
      return { ok: false, reason: "syntax", diagnostics: parsed.diagnostics };
    return formatParsed(source, parsed.program, parsed.program.comments, file, opts);
  }
  return recordingParses(async (take) => {
    const result = await formatParsed(source, undefined, undefined, file, opts, () => take(text));
    if (!result.ok && result.reason === "syntax") {
      // Diagnostics as the one parser reports them for this text (the plugin's error carries them).
      return { ok: false, reason: "syntax", diagnostics: parseText(text, file).diagnostics };
    }
    return result;
  });
}

/** Formats file bytes: strict UTF-8 (E0002), size limit (E0004), then `formatText`. */
export async function formatBytes(bytes: Uint8Array, file: string, opts: FormatOptions = {}): Promise<FormatOutcome> {
  const decoded = decodeSource(bytes, file);
  if ("diagnostic" in decoded) return { ok: false, reason: "syntax", diagnostics: [decoded.diagnostic] };
  return formatText(decoded.hadBom ? BOM + decoded.text : decoded.text, file, opts);
}

async function formatParsed(
  source: string,
  program: Program | undefined,
  comments: readonly Comment[] | undefined,
  file: string,
  opts: FormatOptions,
  parsedByPlugin?: () => { program: Program; comments: Comment[] } | undefined,
): Promise<FormatOutcome> {
  let output: string;
  try {
    output = await prettier.format(source, { ...PRETTIER_OPTIONS, filepath: file });
  } catch (e) {
    if (e instanceof SymbiontSyntaxError) return { ok: false, reason: "syntax", diagnostics: e.diagnostics };
    const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    return {
      ok: false,
      reason: "internal",
      diagnostics: [
        diagnostic({
          code: "E0702",
          message: `formatter failed: ${message}`,
          file,
          span: startSpan(),
          help: "the file was left untouched; please report this with the file",
        }),
      ],
    };
  }
  if (opts.verify !== false) {
    // prettier parses nothing for a blank file: then the source tree is parsed here.
    const original = (program && comments ? { program, comments } : parsedByPlugin?.()) ?? parseSource(source, file);
    const problem = verifyFormatted(
      original.program,
      output.startsWith(BOM) ? output.slice(1) : output,
      file,
      original.comments,
    );
    if (problem) {
      if (hasMixedLineEndings(source)) {
        return {
          ok: false,
          reason: "input",
          diagnostics: [
            diagnostic({
              code: "E0703",
              message: `the file mixes line endings and formatting would change a string literal that spans lines (${problem})`,
              file,
              span: startSpan(),
              help: "give the file one line-ending style (the formatter writes the style of the file's first line ending)",
            }),
          ],
        };
      }
      return {
        ok: false,
        reason: "internal",
        diagnostics: [
          diagnostic({
            code: "E0701",
            message: `formatting would change the program (${problem})`,
            file,
            span: startSpan(),
            help: "the file was left untouched; please report this with the file",
          }),
        ],
      };
    }
  }
  return { ok: true, output, changed: output !== source };
}

function parseSource(source: string, file: string): { program: Program; comments: Comment[] } {
  const program = parseText(source.startsWith(BOM) ? source.slice(1) : source, file).program;
  return { program, comments: program.comments };
}

/** Whether the text uses more than one of `\r\n`, `\n` and `\r` as line ends. */
function hasMixedLineEndings(text: string): boolean {
  const crlf = /\r\n/.test(text);
  const lf = /(^|[^\r])\n/.test(text);
  const cr = /\r(?!\n)/.test(text);
  return Number(crlf) + Number(lf) + Number(cr) > 1;
}

/** Why `formatted` is not the same program as `original` (tree and comments), or undefined. */
export function verifyFormatted(
  original: Program,
  formatted: string,
  file = "<formatted>",
  comments: readonly Comment[] = original.comments,
): string | undefined {
  const again = parseText(formatted, file);
  const err = again.diagnostics.find((d) => d.severity === "error");
  if (err) return `the output does not parse: ${err.message} at ${err.span.line}:${err.span.col}`;
  return astDifference(original, again.program) ?? commentDifference(comments, again.program.comments);
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
