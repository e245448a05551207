/**
 * Quick fixes: every diagnostic that carries a machine-applicable `fix` (did-you-mean, add
 * `let`, a duration instead of a bare-number timeout, ...) becomes a `quickfix` code action on
 * its range. The fixes come from the same diagnostics `symbic check` reports.
 */
import { CodeActionKind, type CodeAction, type Range, type TextEdit } from "vscode-languageserver";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { spanToRange } from "../core/positions.js";
import { toLspDiagnostic } from "./diagnostics.js";
import { pathToUri } from "../core/uri.js";

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range["start"], q: Range["start"]) =>
    p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

/**
 * A "did you mean `x`?" help on a diagnostic whose range is exactly one name is a fix too:
 * replace the name (the checker phrases every suggestion this way; its own `fix` wins when given).
 */
export function suggestionFix(d: Diagnostic, text: string | undefined): Diagnostic["fix"] {
  const m = /^did you mean `([A-Za-z_][A-Za-z0-9_]*)`\??$/.exec(d.help ?? "");
  if (!m || text === undefined) return undefined;
  const current = text.slice(d.span.start, d.span.end);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(current) || current === m[1]) return undefined;
  return { title: `replace \`${current}\` with \`${m[1]}\``, edits: [{ file: d.file, span: d.span, newText: m[1]! }] };
}

export function quickFixes(
  diagnostics: readonly Diagnostic[],
  range: Range,
  clientUri: (uri: string) => string,
  only?: string[],
  text?: string,
): CodeAction[] {
  if (
    only &&
    !only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(k + ".") || k === "")
  )
    return [];
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    const fix = d.fix ?? suggestionFix(d, text);
    if (!fix || fix.edits.length === 0) continue;
    const lspDiag = toLspDiagnostic(d, clientUri);
    if (!overlaps(lspDiag.range, range)) continue;
    const changes: Record<string, TextEdit[]> = {};
    for (const e of fix.edits) {
      const uri = clientUri(/^[a-z][a-z0-9+.-]*:/i.test(e.file) ? e.file : pathToUri(e.file));
      (changes[uri] ??= []).push({ range: spanToRange(e.span), newText: e.newText });
    }
    out.push({
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [lspDiag],
      isPreferred: true,
      edit: { changes },
    });
  }
  return out;
}
