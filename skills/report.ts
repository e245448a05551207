/**
 * Scanner output: `pretty` (for people, on stderr), `json`, `sarif` (2.1.0, for code-scanning
 * dashboards) and `github` (workflow annotations). Every finding carries file:line:column, the
 * rule id, the severity and the matched text; suppressed findings are shown, marked, with the
 * reviewer's reason — never dropped.
 */
import type { Finding, SkillScan } from "./scanner.js";
import { SKILL_SEVERITIES, type SkillSeverity } from "../config/index.js";
import { isBlocking } from "./severity.js";
import type { ScanRule } from "./rules.js";
import { SCANNER_CHECKS } from "./scanner-checks.js";

export type ScanFormat = "pretty" | "json" | "sarif" | "github";
export const SCAN_FORMATS: readonly ScanFormat[] = ["pretty", "json", "sarif", "github"];

export interface ScanSummary {
  skills: number;
  files: number;
  bytes: number;
  findings: Record<SkillSeverity, number>;
  suppressed: number;
  blocking: number;
}

export function summarize(scans: readonly SkillScan[]): ScanSummary {
  const findings = Object.fromEntries(SKILL_SEVERITIES.map((s) => [s, 0])) as Record<SkillSeverity, number>;
  let suppressed = 0;
  let blocking = 0;
  for (const f of scans.flatMap((s) => s.findings)) {
    if (f.suppressed !== undefined) suppressed++;
    else {
      findings[f.severity]++;
      if (isBlocking(f.severity)) blocking++;
    }
  }
  return {
    skills: scans.length,
    files: scans.reduce((n, s) => n + s.files, 0),
    bytes: scans.reduce((n, s) => n + s.bytes, 0),
    findings,
    suppressed,
    blocking,
  };
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]/g, " ");
}

export function renderFindingsPretty(
  scans: readonly SkillScan[],
  color: (sev: SkillSeverity, text: string) => string = (_s, t) => t,
): string {
  let out = "";
  for (const f of scans.flatMap((s) => s.findings)) {
    const sev = f.severity.toUpperCase();
    const tag = f.suppressed !== undefined ? `suppressed ${sev}` : sev;
    out += `${f.file}:${f.line}:${f.column}: ${color(f.severity, tag)} ${f.ruleId}: ${f.message}\n`;
    if (f.match)
      out += `    matched: ${JSON.stringify(oneLine(f.match))}${f.via ? ` (found in the ${viaText(f.via)})` : ""}\n`;
    if (f.suppressed !== undefined) out += `    reason: ${f.suppressed}\n`;
  }
  const s = summarize(scans);
  const counts = SKILL_SEVERITIES.map((sev) => `${s.findings[sev]} ${sev}`).join(", ");
  out += `${s.skills} skill${s.skills === 1 ? "" : "s"}, ${s.files} file${s.files === 1 ? "" : "s"} scanned: ${counts}; ${s.suppressed} suppressed`;
  out += s.blocking > 0 ? ` — BLOCKED (${s.blocking} critical/high)\n` : "\n";
  return out;
}

function viaText(via: NonNullable<Finding["via"]>): string {
  switch (via) {
    case "unicode":
      return "text with look-alike and invisible characters normalised";
    case "dequoted":
      return "text as the shell reads it, quotes removed";
    case "base64":
      return "base64-decoded text";
    case "hidden":
      return "text hidden in Unicode tag characters";
  }
}

export function renderFindingsJson(scans: readonly SkillScan[]): string {
  return (
    JSON.stringify(
      {
        version: 1,
        skills: scans.map((s) => ({ skill: s.skill, files: s.files, bytes: s.bytes })),
        findings: scans.flatMap((s) => s.findings),
        summary: summarize(scans),
      },
      null,
      2,
    ) + "\n"
  );
}

function sarifLevel(sev: SkillSeverity): "error" | "warning" | "note" {
  return isBlocking(sev) ? "error" : sev === "info" ? "note" : "warning";
}

export function renderFindingsSarif(
  scans: readonly SkillScan[],
  rules: readonly ScanRule[],
  toolVersion: string,
): string {
  const descriptors = [
    ...rules.map((r) => ({ id: r.id, severity: r.severity, message: r.message, category: r.category })),
    ...Object.values(SCANNER_CHECKS).map((c) => ({
      id: c.id,
      severity: c.severity,
      message: c.message,
      category: "scanner",
    })),
  ];
  const index = new Map(descriptors.map((d, i) => [d.id, i]));
  const results = scans
    .flatMap((s) => s.findings)
    .map((f) => ({
      ruleId: f.ruleId,
      ruleIndex: index.get(f.ruleId),
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: f.file.split("\\").join("/") },
            region: { startLine: f.line, startColumn: f.column, endColumn: f.endColumn, snippet: { text: f.match } },
          },
        },
      ],
      properties: { severity: f.severity, ...(f.via ? { via: f.via } : {}) },
      ...(f.suppressed !== undefined ? { suppressions: [{ kind: "inSource", justification: f.suppressed }] } : {}),
    }));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "symbi skills scan",
            version: toolVersion,
            rules: descriptors.map((d) => ({
              id: d.id,
              shortDescription: { text: d.message },
              defaultConfiguration: { level: sarifLevel(d.severity) },
              properties: { severity: d.severity, category: d.category },
            })),
          },
        },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + "\n";
}

function ghEscape(s: string, property = false): string {
  let t = s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  if (property) t = t.replace(/:/g, "%3A").replace(/,/g, "%2C");
  return t;
}

export function renderFindingsGithub(scans: readonly SkillScan[]): string {
  let out = "";
  for (const f of scans.flatMap((s) => s.findings)) {
    const kind =
      f.suppressed !== undefined
        ? "notice"
        : isBlocking(f.severity)
          ? "error"
          : f.severity === "info"
            ? "notice"
            : "warning";
    const title = `${f.ruleId} (${f.severity}${f.suppressed !== undefined ? ", suppressed" : ""})`;
    const text = `${f.message}${f.match ? ` — matched: ${oneLine(f.match)}` : ""}${f.suppressed !== undefined ? ` — reason: ${f.suppressed}` : ""}`;
    out += `::${kind} file=${ghEscape(f.file, true)},line=${f.line},col=${f.column},endColumn=${f.endColumn},title=${ghEscape(title, true)}::${ghEscape(text)}\n`;
  }
  return out;
}
