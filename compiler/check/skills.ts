/**
 * `with skills = [...]` checked against the project: each name is a folder inside the project
 * root (no `..` leaving it, no absolute path) with a `SKILL.md` whose front matter has `name`
 * and `description` (skills/front-matter.ts). Diagnostics point at the skill's string in the
 * `with` block; a front-matter problem names SKILL.md and its line.
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { parseSkillFrontMatter } from "../../skills/front-matter.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import type { WithSettings } from "./with-block.js";

/** The folder a skill name denotes inside `root`, or null when the name leaves the project. */
export function skillFolder(root: string, name: string): string | null {
  if (name === "" || isAbsolute(name) || name.includes("\0")) return null;
  const abs = resolve(root, normalize(name));
  const rel = relative(resolve(root), abs);
  return rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? null : abs;
}

export function checkSkills(root: string, blocks: readonly WithSettings[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const w of blocks) {
    for (const s of w.skills) {
      const folder = skillFolder(root, s.name);
      if (!folder) {
        out.push(
          diagnostic({
            code: "E0406",
            message: `skill \`${s.name}\` is not a folder inside the project`,
            file: w.file,
            span: s.span,
            help: 'name the skill folder relative to the project root, e.g. "skills/triage"',
          }),
        );
        continue;
      }
      const skillMd = join(folder, "SKILL.md");
      let text: string;
      try {
        if (!statSync(folder).isDirectory()) throw new Error("not a folder");
        text = readFileSync(skillMd, "utf8");
      } catch {
        out.push(
          diagnostic({
            code: "E0406",
            message: `skill \`${s.name}\` not found: no ${join(s.name, "SKILL.md")} in the project`,
            file: w.file,
            span: s.span,
          }),
        );
        continue;
      }
      const fm = parseSkillFrontMatter(text);
      if (!fm.ok) {
        out.push(
          diagnostic({
            code: "E0407",
            message: `skill \`${s.name}\`: ${join(s.name, "SKILL.md")}:${fm.line}: ${fm.message}`,
            file: w.file,
            span: s.span,
          }),
        );
      }
    }
  }
  return out;
}
