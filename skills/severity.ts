/**
 * What the scanner's severities mean: Critical and High block a skill (the scan fails, exit 3);
 * Medium and Warning warn; Info is logged. The five names are declared with the configuration
 * that lets custom rules use them (config/skills.ts).
 */
import { SKILL_SEVERITIES, type SkillSeverity } from "../config/index.js";

export function isBlocking(s: SkillSeverity): boolean {
  return s === "critical" || s === "high";
}

export function severityRank(s: SkillSeverity): number {
  return SKILL_SEVERITIES.indexOf(s);
}
