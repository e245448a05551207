/**
 * `symbic explain` in the editor: the "Explain" code lens on a test case and the hover on it.
 * The case is decided and explained by the command's own code (testing/explain-case.ts
 * `explainCase`), with the editor's text of the test file; the project is built as the command
 * builds it (from the files on disk) and kept between requests until one of its files changes
 * on disk. testing/ (and through it the runtime's gate) is loaded on first use only.
 *
 * The command prints places relative to its working directory; here they are shown relative
 * to the project root (the server's working directory is the editor's business).
 */
import { statSync } from "node:fs";
import { basename, relative, resolve, sep } from "node:path";
import { MarkupKind, type MarkupContent } from "vscode-languageserver";
import { isContractPath } from "../../compiler/check/index.js";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { isSourceFile, walkFiles } from "../../compiler/project/files.js";
import { findProjectRoot } from "../../compiler/project/root.js";
import type { ExplainedCase } from "../../testing/explain-case.js";
import type { PolicyCase, TestFile } from "../../testing/file.js";
import type { ProjectLoad } from "../../testing/project.js";

export type { ExplainedCase };

/** What an explanation request gives back: the case explained, or why not. */
export type ExplainOutcome =
  | { ok: true; explained: ExplainedCase; text: string; markdown: string }
  | { ok: false; message: string; diagnostics: Diagnostic[] };

/** A place `file:line:col` as the command printed it (relative to the working directory) → relative to the project root. */
export function projectPlace(root: string, place: string): string {
  const m = /^(.*):(\d+):(\d+)$/.exec(place);
  const file = m ? m[1]! : place;
  if (file === "") return place;
  const rel = relative(root, resolve(file));
  const shown = rel === "" || rel.startsWith("..") ? resolve(file) : rel.split(sep).join("/");
  return m ? `${shown}:${m[2]}:${m[3]}` : shown;
}

/** A sentence of the command's with its places (in parentheses, `(file:line:col)`) made project-relative. */
export function placesInText(root: string, s: string): string {
  return s.replace(/\(([^()\s]+:\d+:\d+)\)/g, (_, p: string) => `(${projectPlace(root, p)})`);
}

/** The explanation with every place made project-relative. */
function withProjectPlaces(e: ExplainedCase, root: string): ExplainedCase {
  const at = (p: string) => projectPlace(root, p);
  const inText = (s: string) => placesInText(root, s);
  return {
    ...e,
    file: at(e.file),
    decision: { ...e.decision, rules: e.decision.rules.map((r) => ({ ...r, location: at(r.location) })) },
    explanation: {
      ...e.explanation,
      rules: e.explanation.rules.map((r) => ({
        ...r,
        location: at(r.location),
        why: inText(r.why),
        terms: r.terms.map((t) => ({ ...t, location: at(t.location) })),
      })),
    },
  };
}

/**
 * The case a 1-based line of a test file belongs to: a row on that line; else the case whose
 * block (its header up to the next `[[case]]` or `[[run]]`) contains the line. Lines of an
 * agent test or before the first case belong to none.
 */
export function caseForLine(f: TestFile, line: number): PolicyCase | undefined {
  const row = f.cases.find((c) => c.row && c.row.place.span.line === line);
  if (row) return row;
  const headers = [...f.cases.map((c) => c.place.span.line), ...f.runs.map((r) => r.place.span.line)].sort(
    (a, b) => a - b,
  );
  const start = headers.filter((h) => h <= line).pop();
  if (start === undefined) return undefined;
  return f.cases.find((c) => c.place.span.line === start);
}

/** A project's files the build reads, with their sizes and times: a change means build again. */
function fingerprint(root: string): string {
  const files = walkFiles(
    root,
    (name) => isSourceFile(name) || isContractPath(name) || name === "symbi.toml" || name === "mcp.lock.json",
  );
  return files
    .map((f) => {
      try {
        const st = statSync(f);
        return `${f}\0${st.size}\0${st.mtimeMs}`;
      } catch {
        return `${f}\0-`;
      }
    })
    .join("\n");
}

export class Explainer {
  /** Built projects by root, with the fingerprint of the files they were built from. */
  private readonly projects = new Map<string, { print: string; load: ProjectLoad }>();

  /** A project built as `symbic test` builds it, reused while its files on disk are unchanged. */
  private loadOf(load: (dir: string) => ProjectLoad): (dir: string) => ProjectLoad {
    return (dir) => {
      const print = fingerprint(dir);
      const known = this.projects.get(dir);
      if (known && known.print === print) return known.load;
      const fresh = load(dir);
      this.projects.set(dir, { print, load: fresh });
      return fresh;
    };
  }

  /** Forget built projects (a project marker changed). */
  reset(): void {
    this.projects.clear();
  }

  /** Explains the case at a 1-based `line` of the test file at `path`, whose editor text is `text`. */
  async explain(path: string, line: number, text: string): Promise<ExplainOutcome> {
    const [{ explainCase, renderExplanation }, { loadProject }] = await Promise.all([
      import("../../testing/explain-case.js"),
      import("../../testing/project.js"),
    ]);
    const out = explainCase(path, line, text, this.loadOf(loadProject));
    if ("usage" in out) return { ok: false, message: out.usage, diagnostics: [] };
    if ("problems" in out) {
      const d = out.problems.diagnostics;
      const first = d.find((x) => x.severity === "error") ?? d[0];
      return {
        ok: false,
        message: first ? `${first.code}: ${first.message}` : "the case cannot be explained",
        diagnostics: d,
      };
    }
    const explained = withProjectPlaces(out, findProjectRoot(path));
    return { ok: true, explained, text: renderExplanation(explained, false), markdown: explanationMarkdown(explained) };
  }
}

/** Inline code in Markdown: a fence longer than any run of backticks inside. */
function code(s: string): string {
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${longest > 0 ? " " : ""}${s}${longest > 0 ? " " : ""}${fence}`;
}

/** The explanation for a Markdown hover: the same facts as the command's text, laid out for reading. */
export function explanationMarkdown(e: ExplainedCase): string {
  const args = Object.entries(e.args)
    .map(([n, v]) => `${n} = ${JSON.stringify(v)}`)
    .join(", ");
  const rules = e.decision.rules.map((r) => `${code(r.id)}${r.location ? ` (${r.location})` : ""}`).join(", ");
  const out: string[] = [
    `**${e.decision.outcome}** by ${rules} — expected ${e.expected}: ${e.passed ? "passes" : "**fails**"}`,
    "",
    `${e.name} — agent ${code(e.agent)}, ${code(`${e.action}(${args})`)}`,
    "",
    e.decision.reason,
  ];
  if (e.explanation.requestError) out.push("", `the request could not be built: ${e.explanation.requestError}`);
  const about = e.explanation.rules.filter((r) => r.inScope);
  const others = e.explanation.rules.filter((r) => !r.inScope);
  if (about.length > 0) out.push("", `Rules about ${code(e.action)}:`, "");
  for (const r of about) {
    out.push(
      `- ${code(r.id)} ${r.location} ${code(r.text)} — ${r.matched ? "**matched**" : "did not match"}${r.decided ? " (decided)" : ""}: ${r.why}`,
    );
    for (const t of r.terms)
      out.push(
        `  - ${t.role} term ${code(t.text)} (${t.location}): **${t.value}**${t.missing.length ? ` — ${t.missing.join(", ")}` : ""}${t.error ? ` — ${t.error}` : ""}`,
      );
  }
  if (others.length > 0)
    out.push("", `Other rules (not about ${code(e.action)}): ${others.map((r) => code(r.id)).join(", ")}`);
  return out.join("\n");
}

/** Hover contents in the kind the client asked for. */
export function explanationHover(o: ExplainOutcome, plain: boolean): MarkupContent {
  if (!o.ok) return { kind: plain ? MarkupKind.PlainText : MarkupKind.Markdown, value: o.message };
  return plain ? { kind: MarkupKind.PlainText, value: o.text } : { kind: MarkupKind.Markdown, value: o.markdown };
}

/** A file name for an explanation shown as a document. */
export function explanationFileName(e: ExplainedCase): string {
  return `${basename(e.file).replace(/\.test\.toml(:\d+)?$/, "")}-line-${e.line}.explain.txt`;
}
