/**
 * The skill scanner's findings on open skill files: a `SKILL.md`, or any file in a folder that
 * (itself or an ancestor, up to MAX_SKILL_DEPTH levels) holds a `SKILL.md`. The findings are
 * those of `symbi skills scan` — the same rules, the project's `[skills]` configuration, the
 * same columns — shown as diagnostics with the rule id as code: Critical and High as errors
 * (they block the build), Medium and Warning as warnings, Info as information; a suppressed
 * finding as a hint that says who reviewed it and why. The latest text of the editor is scanned,
 * not the file on disk.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { DiagnosticSeverity, type Connection, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import { findProjectRoot } from "../../compiler/project/root.js";
import { ConfigError, PROJECT_CONFIG_FILE, type SkillSeverity } from "../../config/index.js";
import { DEFAULT_SKILLS_CONFIG, loadSkillsConfig, scanOptionsFor } from "../../skills/config.js";
import { scanText, type Finding, type ScanOptions } from "../../skills/scanner.js";

import { uriToPath } from "../core/uri.js";

export const SKILL_DIAGNOSTIC_SOURCE = "symbi skills";
const SKILL_FILE = "SKILL.md";
/** How many folders up a file may be from its skill's SKILL.md. */
const MAX_SKILL_DEPTH = 8;

const SEVERITY: Record<SkillSeverity, DiagnosticSeverity> = {
  critical: DiagnosticSeverity.Error,
  high: DiagnosticSeverity.Error,
  medium: DiagnosticSeverity.Warning,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** Whether a document is for this module rather than the Symbiont checker (anything but `.symbi`/`.dsl` sources). */
export function isSkillCandidate(uri: string): boolean {
  const path = uriToPath(uri);
  return path !== undefined && !/\.(?:symbi|dsl)$/i.test(path);
}

/** The skill folder a file belongs to, or undefined when it is in none. */
export function skillRootOf(path: string): string | undefined {
  if (basename(path) === SKILL_FILE) return dirname(path);
  let dir = dirname(path);
  for (let i = 0; i < MAX_SKILL_DEPTH; i++) {
    if (existsSync(join(dir, SKILL_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/** A finding as the protocol's diagnostic (lines and columns are 1-based UTF-16 in findings). */
export function findingToDiagnostic(f: Finding): LspDiagnostic {
  const start = { line: f.line - 1, character: f.column - 1 };
  const end = { line: f.line - 1, character: Math.max(f.column, f.endColumn - 1) };
  const via = f.via ? ` (found ${f.via === "dequoted" ? "as the shell reads it" : `in its ${f.via} reading`})` : "";
  const lines = [`${f.severity} ${f.ruleId}: ${f.message}${via}`];
  if (f.match) lines.push(`matched: ${JSON.stringify(f.match)}`);
  if (f.suppressed !== undefined) lines.push(`suppressed: ${f.suppressed}`);
  return {
    range: { start, end },
    severity: f.suppressed !== undefined ? DiagnosticSeverity.Hint : SEVERITY[f.severity],
    code: f.ruleId,
    source: SKILL_DIAGNOSTIC_SOURCE,
    message: lines.join("\n"),
  };
}

export class SkillDiagnostics {
  /** Scanner options per project root, with the configuration file's stamp they were built from. */
  private readonly options = new Map<string, { stamp: string; opts: ScanOptions; problem?: string }>();
  /** Open skill files that have published diagnostics (cleared when closed or no longer in a skill). */
  private readonly published = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly log: (msg: string) => void,
  ) {}

  /** The scanner options of the project `path` is in; a bad `[skills]` falls back to the defaults, with the problem. */
  private optionsFor(path: string): { opts: ScanOptions; problem?: string } {
    const root = findProjectRoot(path);
    const file = join(root, PROJECT_CONFIG_FILE);
    let stamp = "none";
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      /* no project file: defaults (and operator files) */
    }
    const cached = this.options.get(root);
    if (cached && cached.stamp === stamp) return cached;
    let entry: { stamp: string; opts: ScanOptions; problem?: string };
    try {
      entry = { stamp, opts: scanOptionsFor(loadSkillsConfig({ projectRoot: root })) };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      entry = { stamp, opts: scanOptionsFor(DEFAULT_SKILLS_CONFIG), problem: e.lines.join("\n") };
    }
    this.options.set(root, entry);
    return entry;
  }

  /** Scans the latest text of an open document and publishes its findings (nothing when it is in no skill). */
  update(clientUri: string, version: number, text: string): void {
    const path = uriToPath(clientUri);
    const root = path === undefined ? undefined : skillRootOf(path);
    if (path === undefined || root === undefined) {
      if (this.published.delete(clientUri)) void this.connection.sendDiagnostics({ uri: clientUri, diagnostics: [] });
      return;
    }
    try {
      const { opts, problem } = this.optionsFor(path);
      const file = relative(root, path).split(sep).join("/");
      const diagnostics = scanText(text.slice(0, opts.maxFileBytes), file, opts, root).map(findingToDiagnostic);
      if (text.length > opts.maxFileBytes)
        diagnostics.push({
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
          severity: DiagnosticSeverity.Error,
          code: "file-too-large",
          source: SKILL_DIAGNOSTIC_SOURCE,
          message: `only the first ${opts.maxFileBytes} characters were scanned ([skills] max_file_bytes); the build refuses the rest`,
        });
      if (problem !== undefined)
        diagnostics.push({
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
          severity: DiagnosticSeverity.Warning,
          source: SKILL_DIAGNOSTIC_SOURCE,
          message: `scanned with the default rules: the configuration has problems\n${problem}`,
        });
      this.published.add(clientUri);
      void this.connection.sendDiagnostics({ uri: clientUri, version, diagnostics });
    } catch (err) {
      this.log(`skill scan failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  /** A document was closed: its findings go away in the editor. */
  clear(clientUri: string): void {
    if (this.published.delete(clientUri)) void this.connection.sendDiagnostics({ uri: clientUri, diagnostics: [] });
  }
}
