/**
 * At most MAX_DIAGNOSTICS_PER_FILE diagnostics per file: a file of 50 KB of `}` must not print
 * megabytes of errors, nor exhaust memory in the language server or the CLI. The first ones (in
 * source order) are kept and one summary at the end counts the rest: E0009 when an error is among
 * them (so a capped file still fails the check), W0009 when they are all warnings. Nothing is
 * dropped silently.
 *
 * Capping is idempotent: a list that already holds a summary (the parser caps its own list,
 * the checker caps the file's whole list again) keeps one summary whose count covers both.
 */
import { compareDiagnostics, type Diagnostic } from "./diagnostic.js";
import { syntaxDiagnostic } from "./syntax-codes.js";

export const MAX_DIAGNOSTICS_PER_FILE = 100;

const SUMMARY_CODES = new Set(["E0009", "W0009"]);

/** Whether `d` is the summary that stands for a file's omitted diagnostics. */
export function isOmittedSummary(d: Diagnostic): boolean {
  return d.omitted !== undefined && SUMMARY_CODES.has(d.code);
}

export interface Omitted {
  count: number;
  errors: boolean;
  /** Shown with the summary (e.g. where the parser stopped reading). */
  notes?: string[];
}

/**
 * Caps each file's diagnostics (sorted, as every producer hands them out). `before` adds
 * diagnostics a producer counted without keeping (the parser past its storage limit), per file.
 */
export function capDiagnostics(
  list: readonly Diagnostic[],
  before: ReadonlyMap<string, Omitted> = new Map(),
): Diagnostic[] {
  const byFile = new Map<string, { kept: Diagnostic[]; omitted: Omitted; last?: Diagnostic }>();
  const fileState = (file: string) => {
    let st = byFile.get(file);
    if (!st) {
      const b = before.get(file);
      byFile.set(
        file,
        (st = {
          kept: [],
          omitted: { count: b?.count ?? 0, errors: b?.errors ?? false, notes: [...(b?.notes ?? [])] },
        }),
      );
    }
    return st;
  };
  for (const f of before.keys()) fileState(f);
  for (const d of [...list].sort(compareDiagnostics)) {
    const st = fileState(d.file);
    if (isOmittedSummary(d)) {
      st.omitted.count += d.omitted!;
      st.omitted.errors ||= d.severity === "error";
      st.omitted.notes!.push(...(d.notes ?? []));
    } else if (st.kept.length < MAX_DIAGNOSTICS_PER_FILE) {
      st.kept.push(d);
    } else {
      st.omitted.count++;
      st.omitted.errors ||= d.severity === "error";
      st.last = d;
    }
  }
  const out: Diagnostic[] = [];
  for (const [file, st] of byFile) {
    for (const d of st.kept) out.push(d);
    if (st.omitted.count > 0) out.push(summary(file, st));
  }
  return out;
}

function summary(file: string, st: { kept: Diagnostic[]; omitted: Omitted; last?: Diagnostic }): Diagnostic {
  const { count, errors } = st.omitted;
  // Placed after the last kept diagnostic, so that it sorts at the end of the file's list.
  const at = st.kept[st.kept.length - 1]?.span ?? st.last?.span;
  const span = at
    ? { start: at.end, end: at.end, line: at.endLine, col: at.endCol, endLine: at.endLine, endCol: at.endCol }
    : { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
  const s = count === 1 ? "" : "s";
  const d = syntaxDiagnostic({
    code: errors ? "E0009" : "W0009",
    message: errors
      ? `${count} more diagnostic${s} in this file not shown, errors among them (at most ${MAX_DIAGNOSTICS_PER_FILE} per file)`
      : `${count} more warning${s} in this file not shown (at most ${MAX_DIAGNOSTICS_PER_FILE} per file)`,
    file,
    span,
    help: "fix the first ones and check again",
    ...(st.omitted.notes?.length ? { notes: st.omitted.notes } : {}),
  });
  d.omitted = count;
  return d;
}
