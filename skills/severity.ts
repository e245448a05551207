/**
 * The scanner's five severities, most severe first. Critical and High block a skill (the scan
 * fails, exit 3); Medium and Warning warn; Info is logged.
 */
export const SKILL_SEVERITIES = ["critical", "high", "medium", "warning", "info"] as const;
export type SkillSeverity = (typeof SKILL_SEVERITIES)[number];

export function isBlocking(s: SkillSeverity): boolean {
  return s === "critical" || s === "high";
}

export function severityRank(s: SkillSeverity): number {
  return SKILL_SEVERITIES.indexOf(s);
}

/** Reads a severity written in any case (`CRITICAL`, `High`, …); null when it is not one. */
export function parseSeverity(value: unknown): SkillSeverity | null {
  if (typeof value !== "string") return null;
  const v = value.toLowerCase();
  return (SKILL_SEVERITIES as readonly string[]).includes(v) ? (v as SkillSeverity) : null;
}
