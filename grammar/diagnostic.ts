/**
 * The one diagnostics model. The parser, the checker, the emitters, the CLIs and the language
 * server all produce and consume these objects; renderers turn them into pretty text, JSON,
 * SARIF or GitHub annotations, and the language server maps them to LSP diagnostics.
 *
 * It lives in grammar/ because the parser is its first producer and grammar/ imports nothing
 * outside itself (DESIGN §2); compiler/diagnostics holds the full code table and re-exports it.
 */
import type { Span } from "./span.js";

export type Severity = "error" | "warning" | "info";

/** A text edit proposed by a quick fix: replace `span` in `file` by `newText`. */
export interface TextEdit {
  file: string;
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface RelatedInfo {
  file: string;
  span: Span;
  message: string;
}

export interface Diagnostic {
  /** Stable code: `E0xxx` for errors, `W0xxx` for warnings (see codes/). */
  code: string;
  severity: Severity;
  message: string;
  /** The file the span points into: a path as the user gave it, or a URI in the editor. */
  file: string;
  span: Span;
  /** One actionable sentence: what to do about it. */
  help?: string;
  /** Extra context lines (e.g. "expected `int`, found `String`"). */
  notes?: string[];
  related?: RelatedInfo[];
  /** Machine-applicable fix, offered as a quick fix by the language server. */
  fix?: Fix;
  /**
   * Set only on the E0009/W0009 summary that ends a file's capped list (diagnostic-cap.ts): how
   * many diagnostics of the file it stands for.
   */
  omitted?: number;
}

export interface DiagnosticInit {
  code: string;
  message: string;
  file: string;
  span: Span;
  help?: string;
  notes?: string[];
  related?: RelatedInfo[];
  fix?: Fix;
  /** Overrides the code's default severity (rarely needed). */
  severity?: Severity;
}

/** One row of a code table: the code's default severity, a short title and a longer explanation. */
export interface CodeInfo {
  severity: Severity;
  title: string;
  explanation: string;
}

export type CodeTable = Record<string, CodeInfo>;

/** Builds a diagnostic, taking its severity from `table` so codes and severities never disagree. */
export function diagnosticFrom(table: CodeTable, init: DiagnosticInit): Diagnostic {
  const info = table[init.code] ?? fallbackInfo(init.code);
  const d: Diagnostic = {
    code: init.code,
    severity: init.severity ?? info.severity,
    message: init.message,
    file: init.file,
    span: init.span,
  };
  if (init.help !== undefined) d.help = init.help;
  if (init.notes !== undefined && init.notes.length > 0) d.notes = init.notes;
  if (init.related !== undefined && init.related.length > 0) d.related = init.related;
  if (init.fix !== undefined) d.fix = init.fix;
  return d;
}

/**
 * An unregistered code is a programming error; fall back on the code's letter so that a
 * diagnostic is still shown rather than lost.
 */
export function fallbackInfo(code: string): CodeInfo {
  return { severity: code.startsWith("W") ? "warning" : "error", title: code, explanation: "" };
}

/** Deterministic order: file, then position, then code, then message. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.span.start !== b.span.start) return a.span.start - b.span.start;
  if (a.span.end !== b.span.end) return a.span.end - b.span.end;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(compareDiagnostics);
}

export function hasErrors(list: readonly Diagnostic[]): boolean {
  return list.some((d) => d.severity === "error");
}
