/**
 * What `symbi doctor` finds: one line per thing checked — ok, a warning, a failure, or skipped
 * (not needed here) — with what to do about anything that is not ok. The exit code is 0 only
 * when nothing failed: everything the project's agents need is present.
 */

export type DoctorFindingStatus = "ok" | "warn" | "fail" | "skip";

export interface DoctorFinding {
  /** What was checked, e.g. "Docker", "image symbi-sandbox:1". */
  subject: string;
  status: DoctorFindingStatus;
  detail: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}

export interface DoctorReport {
  findings: DoctorFinding[];
  ok: boolean;
}

const LABEL: Record<DoctorFindingStatus, string> = { ok: "ok  ", warn: "warn", fail: "FAIL", skip: "skip" };

export function renderReport(r: DoctorReport): string {
  const out: string[] = [];
  for (const f of r.findings) {
    out.push(`${LABEL[f.status]}  ${f.subject}: ${f.detail}`);
    if (f.fix && f.status !== "ok") out.push(`      fix: ${f.fix}`);
  }
  const count = (s: DoctorFindingStatus) => r.findings.filter((f) => f.status === s).length;
  out.push(
    "",
    `${r.findings.length} checks: ${count("ok")} ok, ${count("warn")} warnings, ${count("fail")} failed, ${count("skip")} skipped — ${r.ok ? "everything the project needs is here" : "fix the failures above"}`,
  );
  return out.join("\n") + "\n";
}
