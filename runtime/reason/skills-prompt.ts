/**
 * How the skills of a `reason` loop reach the model: after the agent's own system prompt, each
 * skill's name, description and instructions (SKILL.md after its front matter), marked as a
 * skill. The model is told that a skill's scripts are not functions it can call: a skill's
 * scripts run only as tools of the project, under their contracts and the gate.
 */
import type { ReasoningSkill } from "./agent.js";

export const SKILLS_INTRO =
  "\n\nSkills: instructions reviewed for this agent. Follow a skill when the task calls for it. " +
  "Act only through the functions offered to you: a skill's scripts and commands are not functions " +
  "and are not run for you.";

/** The text appended to the system prompt for `skills` (empty when there are none). */
export function skillsSection(skills: readonly ReasoningSkill[]): string {
  if (skills.length === 0) return "";
  const parts = skills.map(
    (s) =>
      `\n\n<skill name=${JSON.stringify(s.name)} folder=${JSON.stringify(s.folder)}>\n` +
      `Description: ${s.description}\n\n${s.instructions}\n</skill>`,
  );
  return SKILLS_INTRO + parts.join("");
}
