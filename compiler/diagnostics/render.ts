/**
 * Renderers for diagnostics: `pretty` (file:line:col, source excerpt, caret underline, help),
 * `json` (the model as is), `sarif` (SARIF 2.1.0 for code-scanning upload) and `github`
 * (workflow-command annotations). All renderers take diagnostics already sorted.
 */
import pc from "picocolors";
import { LineMap } from "../../grammar/span.js";
import { isOmittedSummary } from "../../grammar/diagnostic-cap.js";
import type { Diagnostic } from "./model.js";
import { CODES } from "./codes/index.js";

export type DiagnosticFormat = "pretty" | "json" | "sarif" | "github";
export const DIAGNOSTIC_FORMATS: readonly DiagnosticFormat[] = ["pretty", "json", "sarif", "github"];

/** Source texts by file name, for excerpts. Files missing from the map are rendered without one. */
export type SourceLookup = (file: string) => string | undefined;

export interface PrettyOptions {
  color?: boolean;
}

const lineMaps = new WeakMap<object, Map<string, LineMap>>();

function lineMapFor(cacheKey: object, file: string, text: string): LineMap {
  let byFile = lineMaps.get(cacheKey);
  if (!byFile) {
    byFile = new Map();
    lineMaps.set(cacheKey, byFile);
  }
  let map = byFile.get(file);
  if (!map || map.text !== text) {
    map = new LineMap(text);
    byFile.set(file, map);
  }
  return map;
}

/** Widest source excerpt shown; a longer line is shown as a window around the span. */
export const MAX_EXCERPT_WIDTH = 120;

/**
 * Text from a source file or a message made safe for a terminal: C0 controls and DEL become
 * their one-column Unicode control pictures (␛, ␍, ␀ …), C1 controls and bidirectional
 * overrides U+FFFD, so a hostile file cannot move the cursor, recolour or rewrite the output.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const c = ch.charCodeAt(0);
    if (c < 0x20) return String.fromCharCode(0x2400 + c);
    if (c === 0x7f) return "\u2421";
    return "\ufffd";
  });
}

/** A window of at most MAX_EXCERPT_WIDTH columns of `shown` that holds the caret's start. */
function excerptWindow(shown: string, lead: number, width: number): { text: string; lead: number; width: number } {
  if (shown.length <= MAX_EXCERPT_WIDTH) return { text: shown, lead, width };
  let start = Math.max(0, Math.min(lead - 40, shown.length - MAX_EXCERPT_WIDTH));
  // Never split a surrogate pair at either edge.
  if (start > 0 && /[\udc00-\udfff]/.test(shown[start]!)) start--;
  let end = Math.min(shown.length, start + MAX_EXCERPT_WIDTH);
  if (end < shown.length && /[\ud800-\udbff]/.test(shown[end - 1]!)) end--;
  const before = start > 0 ? "…" : "";
  const after = end < shown.length ? "…" : "";
  const caretStart = lead - start + before.length;
  const caretEnd = Math.min(lead + width, end) - start + before.length;
  return {
    text: before + shown.slice(start, end) + after,
    lead: caretStart,
    width: Math.max(1, caretEnd - caretStart),
  };
}

/** Expands tabs so the caret line stays under the right characters. */
function visualPrefix(line: string, col: number): number {
  let width = 0;
  for (let i = 0; i < col - 1 && i < line.length; i++) width += line[i] === "\t" ? 4 - (width % 4) : 1;
  return width;
}

export function renderPretty(diags: readonly Diagnostic[], sources: SourceLookup, opts: PrettyOptions = {}): string {
  const c = pc.createColors(opts.color ?? false);
  const cacheKey = sources as unknown as object;
  const out: string[] = [];
  for (const d of diags) {
    const sev =
      d.severity === "error"
        ? c.red(c.bold(`error[${d.code}]`))
        : d.severity === "warning"
          ? c.yellow(c.bold(`warning[${d.code}]`))
          : c.blue(`info[${d.code}]`);
    out.push(
      `${c.bold(`${terminalSafe(d.file)}:${d.span.line}:${d.span.col}`)}: ${sev}: ${c.bold(terminalSafe(d.message))}`,
    );
    const text = sources(d.file);
    if (text !== undefined) {
      const map = lineMapFor(cacheKey, d.file, text);
      const lineText = map.lineText(d.span.line);
      const gutter = String(d.span.line).length;
      const pad = " ".repeat(gutter);
      out.push(`${pad} ${c.blue("|")}`);
      const startCol = d.span.col;
      const endCol =
        d.span.endLine === d.span.line
          ? Math.max(d.span.endCol, startCol + 1)
          : lineText.length + 1 + (lineText.length + 1 <= startCol ? 1 : 0);
      const lead = visualPrefix(lineText, startCol);
      const width = Math.max(1, visualPrefix(lineText, endCol) - lead);
      const shown = excerptWindow(terminalSafe(lineText.replace(/\t/g, "    ")), lead, width);
      out.push(`${c.blue(String(d.span.line))} ${c.blue("|")} ${shown.text}`);
      const caret = "^".repeat(shown.width);
      out.push(
        `${pad} ${c.blue("|")} ${" ".repeat(shown.lead)}${d.severity === "error" ? c.red(caret) : c.yellow(caret)}`,
      );
    }
    for (const note of d.notes ?? []) out.push(`  = note: ${terminalSafe(note)}`);
    if (d.help) out.push(`  = ${c.cyan("help")}: ${terminalSafe(d.help)}`);
    for (const r of d.related ?? [])
      out.push(`  = ${terminalSafe(r.file)}:${r.span.line}:${r.span.col}: ${terminalSafe(r.message)}`);
    out.push("");
  }
  return out.join("\n");
}

export function summaryLine(diags: readonly Diagnostic[], files: number): string {
  const shown = diags.filter((d) => !isOmittedSummary(d));
  const errors = shown.filter((d) => d.severity === "error").length;
  const warnings = shown.filter((d) => d.severity === "warning").length;
  const omitted = diags.reduce((n, d) => n + (isOmittedSummary(d) ? d.omitted! : 0), 0);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const more = omitted > 0 ? ` (and ${omitted} more not shown)` : "";
  return `${plural(files, "file")} checked: ${plural(errors, "error")}, ${plural(warnings, "warning")}${more}`;
}

export function renderJson(diags: readonly Diagnostic[]): string {
  return JSON.stringify({ version: 1, diagnostics: diags }, null, 2) + "\n";
}

function sarifLevel(d: Diagnostic): "error" | "warning" | "note" {
  return d.severity === "info" ? "note" : d.severity;
}

export function renderSarif(diags: readonly Diagnostic[], toolVersion: string): string {
  const usedCodes = [...new Set(diags.map((d) => d.code))].sort();
  const rules = usedCodes.map((code) => {
    const info = CODES[code];
    return {
      id: code,
      name: info?.title ?? code,
      shortDescription: { text: info?.title ?? code },
      fullDescription: { text: info?.explanation || info?.title || code },
      defaultConfiguration: {
        level: info?.severity === "warning" ? "warning" : info?.severity === "info" ? "note" : "error",
      },
    };
  });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "symbic",
            version: toolVersion,
            informationUri: "https://github.com/ThirdKeyAI/Symbiont",
            rules,
          },
        },
        results: diags.map((d) => ({
          ruleId: d.code,
          ruleIndex: usedCodes.indexOf(d.code),
          level: sarifLevel(d),
          message: { text: d.help ? `${d.message}\nhelp: ${d.help}` : d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: d.file.replace(/\\/g, "/") },
                region: {
                  startLine: d.span.line,
                  startColumn: d.span.col,
                  endLine: d.span.endLine,
                  endColumn: d.span.endCol,
                },
              },
            },
          ],
        })),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

/** GitHub Actions workflow commands; message text must escape %, CR and LF. */
function ghEscapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function ghEscapeProp(s: string): string {
  return ghEscapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function renderGithub(diags: readonly Diagnostic[]): string {
  return diags
    .map((d) => {
      const kind = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "notice";
      const props = `file=${ghEscapeProp(d.file)},line=${d.span.line},col=${d.span.col},endLine=${d.span.endLine},endColumn=${d.span.endCol},title=${ghEscapeProp(d.code)}`;
      const msg = d.help ? `${d.message} (help: ${d.help})` : d.message;
      return `::${kind} ${props}::${ghEscapeData(msg)}\n`;
    })
    .join("");
}

export function renderDiagnostics(
  format: DiagnosticFormat,
  diags: readonly Diagnostic[],
  sources: SourceLookup,
  opts: PrettyOptions & { toolVersion: string },
): string {
  switch (format) {
    case "pretty":
      return renderPretty(diags, sources, opts);
    case "json":
      return renderJson(diags);
    case "sarif":
      return renderSarif(diags, opts.toolVersion);
    case "github":
      return renderGithub(diags);
  }
}
