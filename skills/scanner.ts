/**
 * The skill scanner: every file of a skill, line by line, against the pattern rules (40 defaults
 * plus the project's own), the executable allowlist and the scanner's own checks. Each line is
 * matched as written, after Unicode normalisation, as the shell would read it (quotes removed),
 * and with base64 blobs and Unicode-tag text decoded; a match in any reading is reported at the
 * original line and column with the original text.
 *
 * Nothing is skipped silently: binary files are scanned for text and reported, files and skills
 * over the size caps are reported as blocking, symbolic links are never followed (one leaving the
 * folder is blocking), unreadable files and invalid UTF-8 are reported. Inline suppressions
 * (`skill-scan: allow RULE -- reason`) need a reason and stay in the report, marked suppressed.
 */
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { RE2JS } from "re2js";
import { fsErrorText } from "../schemapin/errors.js";
import { SKILL_SIGNATURE_FILE } from "../schemapin/skill.js";
import { invokedCommands, shebangProgram } from "./commands.js";
import { normalizeLine, type UnicodeEventKind } from "./normalize.js";
import { LINE_BASE64, planLines } from "./plan.js";
import { SCANNER_CHECKS, SCANNER_CHECK_IDS, type ScannerCheck } from "./scanner-checks.js";
import type { SkillSeverity } from "../config/index.js";
import { isBlocking } from "./severity.js";
import { passesPrefilters, type ScanRule } from "./rules.js";
import { base64Views, dequotedView, mapIndex, type LineView } from "./views.js";

export interface Finding {
  /** The file as displayed: the scanned path joined with the file's path in the skill. */
  file: string;
  /** 1-based; columns count UTF-16 code units. */
  line: number;
  column: number;
  endColumn: number;
  ruleId: string;
  severity: SkillSeverity;
  message: string;
  /** The original text that matched (at most 200 characters). */
  match: string;
  /** How the match was found when not in the text as written. */
  via?: Exclude<LineView["kind"], "line">;
  /** The reviewer's reason, when an inline suppression covers this finding. */
  suppressed?: string;
}

export interface CompiledRule {
  rule: ScanRule;
  re: RE2JS;
  unless: RE2JS | null;
}

export interface ScanOptions {
  rules: readonly CompiledRule[];
  /** Program names a skill may run; null when the allowlist is not configured. */
  allowedExecutables: readonly string[] | null;
  maxFileBytes: number;
  maxSkillBytes: number;
  /** Honour inline suppressions (default true). They are reported either way. */
  suppressions: boolean;
}

export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_SKILL_BYTES = 32 * 1024 * 1024;

export interface SkillScan {
  /** The skill folder as given (or the folder of a single scanned file). */
  skill: string;
  files: number;
  bytes: number;
  findings: Finding[];
}

/** Compiles rules with RE2 (linear time); throws Error naming the rule when a pattern does not compile. */
export function compileRules(rules: readonly ScanRule[]): CompiledRule[] {
  return rules.map((rule) => {
    try {
      return { rule, re: RE2JS.compile(rule.pattern), unless: rule.unless ? RE2JS.compile(rule.unless) : null };
    } catch (err) {
      throw new Error(`rule ${rule.id}: invalid pattern: ${(err as Error).message}`);
    }
  });
}

const MAX_MATCH_TEXT = 200;
const SUPPRESSION = /skill-scan:\s*allow\b(.*)$/;
const SHELL_EXT = /\.(?:sh|bash|zsh|ksh|dash)$/i;
const SHELL_FENCE = /^(?:sh|bash|shell|zsh|ksh|console|shell-session|shellsession|terminal)$/i;

interface Suppression {
  rules: Set<string>;
  reason: string;
}

class FileScanner {
  readonly findings: Finding[] = [];
  /** Bytes of the file that were read (and scanned). */
  bytesRead = 0;
  private readonly prefilterUnion: RegExp | null;

  constructor(
    private readonly opts: ScanOptions,
    /** The skill's folder, and the file's absolute path (resolved only when the allowlist needs them). */
    private readonly skillRoot: string,
    private readonly file: string,
    private readonly absPath?: string,
  ) {
    this.prefilterUnion = prefilterUnion(opts.rules);
  }

  add(
    check: ScannerCheck | ScanRule,
    line: number,
    column: number,
    endColumn: number,
    match: string,
    extra: Partial<Finding> = {},
  ): void {
    this.findings.push({
      file: this.file,
      line,
      column,
      endColumn,
      ruleId: check.id,
      severity: check.severity,
      message: check.message,
      match: match.length > MAX_MATCH_TEXT ? match.slice(0, MAX_MATCH_TEXT) + "…" : match,
      ...extra,
    });
  }

  scanText(text: string): void {
    const lines = text.split("\n");
    const plan = planLines(text, lines, this.opts.rules);
    const isShellScript =
      SHELL_EXT.test(this.file) || /^#!\s*\S*\b(?:env\s+(?:-\S+\s+)*)?(?:ba|z|k|da|a)?sh\b/.test(lines[0] ?? "");
    const isMarkdown = /\.(?:md|markdown)$/i.test(this.file);
    let fence: { marker: string; shell: boolean; console: boolean } | null = null;
    let pending: Suppression | null = null;
    // Without the allowlist or suppressions, only lines the plan marked need a look.
    const everyLine = this.opts.allowedExecutables !== null || plan.suppressions;
    const order = everyLine ? null : plan.interesting;
    const count = order ? order.length : lines.length;
    for (let k = 0; k < count; k++) {
      const n = order ? order[k]! : k;
      let line = lines[n]!;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      const lineNo = n + 1;
      const before = this.findings.length;
      // suppression comments
      let suppression: Suppression | null = pending;
      pending = null;
      const sm = plan.suppressions ? SUPPRESSION.exec(line) : null;
      if (sm) {
        const parsed = this.parseSuppression(sm[1] ?? "", lineNo, line.indexOf(sm[0]) + 1, sm[0]);
        if (parsed) {
          const standalone = /^\s*(?:#|\/\/|<!--|\/\*|--|;|%|\*)\s*skill-scan:/.test(line);
          if (standalone) pending = parsed;
          else suppression = parsed;
        }
      }
      const baseRules = plan.rulesByLine[n];
      const dequotedRules = plan.dequotedRulesByLine[n];
      const flags = plan.flags[n]!;
      if (baseRules || dequotedRules || flags !== 0) {
        this.scanLine(line, lineNo, n === 0, baseRules ?? [], dequotedRules ?? [], (flags & LINE_BASE64) !== 0);
      }
      // executable allowlist
      if (this.opts.allowedExecutables) {
        if (n === 0 && line.startsWith("#!")) {
          const prog = shebangProgram(line);
          if (prog) this.checkProgram(prog.word, prog.index, lineNo, false);
        } else if (isShellScript) {
          this.checkCommands(line, lineNo);
        }
        if (isMarkdown) {
          const fm = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
          if (fm && !fence)
            fence = {
              marker: fm[1]!,
              shell: SHELL_FENCE.test(fm[2] ?? ""),
              console: /console|session|terminal/i.test(fm[2] ?? ""),
            };
          else if (fm && fence && line.trim().startsWith(fence.marker)) fence = null;
          else if (fence?.shell) {
            if (fence.console) {
              const pm = /^(\s*(?:\$|#|>)\s+)(.*)$/.exec(line);
              if (pm) this.checkCommands(pm[2]!, lineNo, pm[1]!.length);
            } else this.checkCommands(line, lineNo);
          }
        }
      }
      if (suppression) {
        for (let f = before; f < this.findings.length; f++) {
          const finding = this.findings[f]!;
          if (suppression.rules.has(finding.ruleId) && finding.ruleId !== SCANNER_CHECKS.suppressionWithoutReason.id) {
            finding.suppressed = suppression.reason;
          }
        }
      }
    }
  }

  private parseSuppression(rest: string, line: number, column: number, text: string): Suppression | null {
    const cleaned = rest.replace(/\s*(?:-->|\*\/)\s*$/, "");
    const dash = cleaned.indexOf("--");
    const ids = (dash < 0 ? cleaned : cleaned.slice(0, dash)).split(/[\s,]+/).filter(Boolean);
    const reason = dash < 0 ? "" : cleaned.slice(dash + 2).trim();
    const known = new Set([...this.opts.rules.map((r) => r.rule.id), ...SCANNER_CHECK_IDS]);
    const unknown = ids.filter((id) => !known.has(id));
    if (ids.length === 0 || reason === "" || unknown.length > 0) {
      const why =
        ids.length === 0
          ? "names no rule"
          : reason === ""
            ? "has no reason"
            : `names unknown rules: ${unknown.join(", ")}`;
      this.add(SCANNER_CHECKS.suppressionWithoutReason, line, column, column + text.length, text, {
        message: `${SCANNER_CHECKS.suppressionWithoutReason.message}: this one ${why}`,
      });
      return null;
    }
    if (!this.opts.suppressions) return null;
    return { rules: new Set(ids), reason };
  }

  /** `baseRules`, `dequotedRules`: the rules whose prefilters passed the line as written and as the shell reads it (plan.ts); other readings try every rule. */
  private scanLine(
    line: string,
    lineNo: number,
    atFileStart: boolean,
    baseRules: readonly CompiledRule[],
    dequotedRules: readonly CompiledRule[],
    maybeBase64: boolean,
  ): void {
    const norm = normalizeLine(line, atFileStart);
    this.reportUnicode(norm.events, line, lineNo);
    const base: LineView = norm.map
      ? { kind: "unicode", text: norm.text, map: norm.map }
      : { kind: "line", text: line, map: null };
    const plain = base.kind === "line";
    // `view.text` is tested by the union of prefilters first unless the plan already chose its rules.
    const views: { view: LineView; rules: readonly CompiledRule[]; planned: boolean }[] = [
      { view: base, rules: plain ? baseRules : this.opts.rules, planned: plain },
    ];
    if (!plain || dequotedRules.length > 0) {
      const dq = dequotedView(base);
      if (dq && dq.text !== base.text)
        views.push({ view: dq, rules: plain ? dequotedRules : this.opts.rules, planned: plain });
    }
    for (const b of maybeBase64 || !plain ? base64Views(base) : []) {
      views.push({ view: b, rules: this.opts.rules, planned: false });
      const inner = dequotedView(b);
      if (inner) views.push({ view: { ...inner, kind: "base64" }, rules: this.opts.rules, planned: false });
    }
    if (norm.hidden) {
      const hidden: LineView = { kind: "hidden", text: norm.hidden.text, map: norm.hidden.map };
      views.push({ view: hidden, rules: this.opts.rules, planned: false });
    }
    const seen = new Set<string>();
    for (const { view, rules, planned } of views) {
      if (rules.length === 0) continue;
      if (!planned && this.prefilterUnion && !this.prefilterUnion.test(view.text)) continue;
      for (const c of rules) {
        if (seen.has(c.rule.id)) continue;
        // The plan already tested its views' prefilters.
        if (!planned && !passesPrefilters(c.rule, view.text)) continue;
        // RE2's boolean test is several times cheaper than a search that reports positions.
        if (!c.re.test(view.text)) continue;
        const m = c.re.matcher(view.text);
        if (!m.find()) continue;
        const matched = view.text.slice(m.start(), m.end());
        if (c.unless && c.unless.test(matched)) {
          // The first match is excused; look for another one on the line.
          let found = false;
          while (m.find()) {
            if (!c.unless.test(view.text.slice(m.start(), m.end()))) {
              found = true;
              break;
            }
          }
          if (!found) continue;
        }
        seen.add(c.rule.id);
        const start = mapIndex(view, m.start());
        const end = Math.max(start + 1, mapIndex(view, m.end()));
        const extra: Partial<Finding> = view.kind === "line" ? {} : { via: view.kind };
        this.add(c.rule, lineNo, start + 1, end + 1, line.slice(start, end), extra);
      }
    }
  }

  private reportUnicode(events: ReturnType<typeof normalizeLine>["events"], line: string, lineNo: number): void {
    const byKind = new Map<UnicodeEventKind, typeof events>();
    for (const e of events) byKind.set(e.kind, [...(byKind.get(e.kind) ?? []), e]);
    const checks: Record<UnicodeEventKind, ScannerCheck> = {
      tag: SCANNER_CHECKS.unicodeTag,
      bidi: SCANNER_CHECKS.bidiControl,
      invisible: SCANNER_CHECKS.invisible,
      homoglyph: SCANNER_CHECKS.homoglyph,
    };
    for (const [kind, list] of byKind) {
      const first = list[0]!;
      const last = list[list.length - 1]!;
      const cps = [...new Set(list.map((e) => `U+${e.codePoint.toString(16).toUpperCase().padStart(4, "0")}`))];
      const shown = cps.slice(0, 5).join(", ") + (cps.length > 5 ? ", …" : "");
      this.add(
        checks[kind],
        lineNo,
        first.index + 1,
        last.index + last.length + 1,
        line.slice(first.index, last.index + last.length),
        {
          message: `${checks[kind].message} (${list.length} × ${shown})`,
        },
      );
    }
  }

  private checkCommands(text: string, lineNo: number, offset = 0): void {
    for (const cmd of invokedCommands(text)) this.checkProgram(cmd.word, cmd.index + offset, lineNo, cmd.dynamic);
  }

  private checkProgram(word: string, index: number, lineNo: number, dynamic: boolean): void {
    const allowed = this.opts.allowedExecutables!;
    const check = SCANNER_CHECKS.executableNotAllowed;
    if (dynamic) {
      this.add(check, lineNo, index + 1, index + 1 + word.length, word, {
        message: `${check.message}: \`${word}\` is computed at run time, so it cannot be checked against the allowlist`,
      });
      return;
    }
    // The skill's own scripts (a relative path inside the folder) may run; they are scanned themselves.
    if (word.includes("/") && !isAbsolute(word)) {
      const target = resolve(dirname(this.absPath ?? resolve(this.skillRoot, this.file)), word);
      const rel = relative(resolve(this.skillRoot), target);
      if (!rel.startsWith("..") && !isAbsolute(rel)) return;
    }
    const name = word.split("/").pop() ?? word;
    if (allowed.includes(name)) return;
    this.add(check, lineNo, index + 1, index + 1 + word.length, word, {
      message: `${check.message}: \`${name}\` (allowed: ${allowed.length ? allowed.join(", ") : "none"})`,
    });
  }
}

const unions = new WeakMap<readonly CompiledRule[], RegExp | null>();

/** One regular expression that passes a line when any rule's prefilter would (null when a rule has none). */
function prefilterUnion(rules: readonly CompiledRule[]): RegExp | null {
  if (unions.has(rules)) return unions.get(rules)!;
  const all = rules.map((r) => r.rule.prefilter);
  const union =
    all.length > 0 && all.every((p) => p !== null)
      ? new RegExp(all.map((p) => `(?:${p!.source})`).join("|"), "i")
      : null;
  unions.set(rules, union);
  return union;
}

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const MACHO = [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe];

function isExecutableBinary(head: Buffer): boolean {
  if (head.subarray(0, 4).equals(ELF)) return true;
  if (head.length >= 4 && MACHO.includes(head.readUInt32BE(0))) return true;
  return head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a; // "MZ" (PE)
}

function readPrefix(path: string, max: number): { data: Buffer; truncated: boolean } {
  const fd = openSync(path, "r");
  try {
    const data = Buffer.allocUnsafe(max + 1);
    let got = 0;
    while (got < data.length) {
      const n = readSync(fd, data, got, data.length - got, null);
      if (n === 0) break;
      got += n;
    }
    return { data: data.subarray(0, Math.min(got, max)), truncated: got > max };
  } finally {
    closeSync(fd);
  }
}

/** Line and column (1-based) of byte offset `at` in `data`, counting UTF-16 units of the decoded prefix. */
function position(data: Buffer, at: number): { line: number; column: number } {
  const before = data.subarray(0, at).toString("utf8");
  const nl = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: before.length - nl };
}

function firstInvalidUtf8(data: Buffer): number {
  // Binary search for the shortest prefix that fails strict decoding would be slow; walk instead.
  let i = 0;
  while (i < data.length) {
    const b = data[i]!;
    const need =
      b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (((data[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8", { fatal: false });

/** Scans text held in memory as if it were the file `file` of a skill at `skillRoot` (the language server and tests use this). */
export function scanText(text: string, file: string, opts: ScanOptions, skillRoot = "."): Finding[] {
  const scanner = new FileScanner(opts, skillRoot, file);
  scanner.scanText(text);
  return scanner.findings.sort(compareFindings);
}

/** Scans one skill folder (or one file). `display` is how paths are shown (the path as the user gave it). */
export function scanSkill(path: string, opts: ScanOptions, display = path): SkillScan {
  const abs = resolve(path);
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch (err) {
    throw new Error(`cannot read ${display}: ${fsErrorText(err)}`);
  }
  const single = !st.isDirectory();
  const root = single ? dirname(abs) : abs;
  const result: SkillScan = { skill: display, files: 0, bytes: 0, findings: [] };
  const files: { abs: string; shown: string }[] = [];
  if (single) files.push({ abs, shown: display });
  else collectFiles(abs, display, files, result);
  let budget = opts.maxSkillBytes;
  for (let k = 0; k < files.length; k++) {
    const f = files[k]!;
    const scanner = new FileScanner(opts, root, f.shown, f.abs);
    if (budget <= 0) {
      scanner.add(SCANNER_CHECKS.skillTooLarge, 1, 1, 1, "", {
        message: `${SCANNER_CHECKS.skillTooLarge.message} (${files.length - k} files from here on, over ${opts.maxSkillBytes} bytes)`,
      });
      result.findings.push(...scanner.findings);
      break;
    }
    scanFile(scanner, f.abs, Math.min(opts.maxFileBytes, budget), opts.maxFileBytes, result);
    budget -= scanner.bytesRead;
    result.findings.push(...scanner.findings);
  }
  result.findings.sort(compareFindings);
  return result;
}

export function compareFindings(a: Finding, b: Finding): number {
  return a.file < b.file
    ? -1
    : a.file > b.file
      ? 1
      : a.line - b.line || a.column - b.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

function scanFile(scanner: FileScanner, abs: string, cap: number, fileCap: number, result: SkillScan): void {
  scanner.bytesRead = 0;
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch (err) {
    scanner.add(SCANNER_CHECKS.unreadable, 1, 1, 1, "", {
      message: `${SCANNER_CHECKS.unreadable.message} (${fsErrorText(err)})`,
    });
    return;
  }
  if (!st.isFile()) {
    scanner.add(SCANNER_CHECKS.specialFile, 1, 1, 1, "");
    return;
  }
  let data: Buffer;
  let truncated: boolean;
  try {
    ({ data, truncated } = readPrefix(abs, cap));
  } catch (err) {
    scanner.add(SCANNER_CHECKS.unreadable, 1, 1, 1, "", {
      message: `${SCANNER_CHECKS.unreadable.message} (${fsErrorText(err)})`,
    });
    return;
  }
  result.files++;
  result.bytes += data.length;
  scanner.bytesRead = data.length;
  if (truncated) {
    const p = position(data, data.length);
    const skillCap = cap < fileCap;
    const check = skillCap ? SCANNER_CHECKS.skillTooLarge : SCANNER_CHECKS.fileTooLarge;
    scanner.add(check, p.line, p.column, p.column, "", {
      message: `${check.message} (${st.size} bytes; scanned the first ${data.length})`,
    });
  }
  const head = data.subarray(0, 8192);
  const binary = head.includes(0);
  if (binary || isExecutableBinary(head)) {
    scanner.add(isExecutableBinary(head) ? SCANNER_CHECKS.executableBinary : SCANNER_CHECKS.binaryFile, 1, 1, 1, "");
    // Text hidden in a binary still runs if a shell reads it (bash skips NUL bytes): scan it as text.
    scanner.scanText(lenientUtf8.decode(data).replace(/\0+/g, "\n"));
    return;
  }
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    // A multi-byte character cut by the cap is not invalid UTF-8.
    const bad = firstInvalidUtf8(data);
    if (bad >= 0 && !(truncated && bad >= data.length - 3)) {
      const p = position(data, bad);
      scanner.add(SCANNER_CHECKS.invalidUtf8, p.line, p.column, p.column + 1, "");
    }
    text = lenientUtf8.decode(data);
  }
  scanner.scanText(text);
}

function collectFiles(
  absDir: string,
  shownDir: string,
  out: { abs: string; shown: string }[],
  result: SkillScan,
  root = absDir,
): void {
  let names: string[];
  try {
    names = readdirSync(absDir).sort();
  } catch (err) {
    result.findings.push(
      folderFinding(shownDir, SCANNER_CHECKS.unreadable, `${SCANNER_CHECKS.unreadable.message} (${fsErrorText(err)})`),
    );
    return;
  }
  for (const name of names) {
    const abs = join(absDir, name);
    const shown = join(shownDir, name);
    if (absDir === root && name === SKILL_SIGNATURE_FILE) continue;
    let st: Stats;
    try {
      st = lstatSync(abs);
    } catch (err) {
      result.findings.push(
        folderFinding(shown, SCANNER_CHECKS.unreadable, `${SCANNER_CHECKS.unreadable.message} (${fsErrorText(err)})`),
      );
      continue;
    }
    if (st.isSymbolicLink()) {
      let target = "";
      try {
        target = readlinkSync(abs);
      } catch {
        /* reported below as leaving the folder: we cannot tell where it points */
      }
      const resolved = resolve(absDir, target);
      const rel = relative(root, resolved);
      const outside = target === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel);
      const check = outside ? SCANNER_CHECKS.symlinkOutside : SCANNER_CHECKS.symlinkInside;
      result.findings.push({ ...folderFinding(shown, check, `${check.message}: -> ${target}`), match: target });
      continue;
    }
    if (st.isDirectory()) collectFiles(abs, shown, out, result, root);
    else out.push({ abs, shown });
  }
}

function folderFinding(file: string, check: ScannerCheck, message: string): Finding {
  return { file, line: 1, column: 1, endColumn: 1, ruleId: check.id, severity: check.severity, message, match: "" };
}

export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => isBlocking(f.severity) && f.suppressed === undefined);
}
