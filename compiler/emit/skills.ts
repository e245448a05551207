/**
 * The skills an agent names (`with skills = [...]`) at build time: each is scanned with the
 * project's scanner configuration (`[skills]`, config/skills.ts); a Critical or High finding that is not
 * suppressed is a build error (E0408) at the skill file's line and column. Each skill's SchemaPin
 * manifest (per-file hashes and root hash, schemapin/skill.ts) goes into the bundle as
 * `skills/<name>.manifest.json`, so bundle.json pins it like every other bundle file.
 */
import { readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { LineMap } from "../../grammar/span.js";
import { digestSkill } from "../../schemapin/skill.js";
import { SchemaPinError } from "../../schemapin/errors.js";
import { ConfigError } from "../../config/index.js";
import { loadSkillsConfig, scanOptionsFor } from "../../skills/config.js";
import { blockingFindings, scanSkill } from "../../skills/scanner.js";
import { skillFolder } from "../check/skills.js";
import type { WithSettings } from "../check/with-block.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";

export interface SkillBuild {
  /** Bundle path → bytes: one manifest per skill. */
  files: Array<{ path: string; bytes: Buffer }>;
  diagnostics: Diagnostic[];
  /** Texts of skill files named by diagnostics (for excerpts), by project-relative path. */
  texts: Map<string, string>;
}

export function buildSkills(projectDir: string, agentFile: string, blocks: readonly WithSettings[]): SkillBuild {
  const out: SkillBuild = { files: [], diagnostics: [], texts: new Map() };
  const names = [...new Set(blocks.flatMap((b) => b.skills.map((s) => s.name)))];
  if (names.length === 0) return out;
  let options;
  try {
    options = scanOptionsFor(loadSkillsConfig({ projectRoot: projectDir }));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const span = new LineMap("").span(0, 0);
    for (const line of err.lines)
      out.diagnostics.push(diagnostic({ code: "E0408", message: line, file: agentFile, span }));
    return out;
  }
  const pinned = new Set<string>();
  for (const name of names) {
    const folder = skillFolder(projectDir, name);
    if (!folder) continue; // E0406, reported by the checker
    // `./skills/triage` and `skills/triage` name one folder: scanned and pinned once.
    if (pinned.has(folder)) continue;
    pinned.add(folder);
    const scan = scanSkill(folder, options, name);
    for (const f of blockingFindings(scan.findings)) {
      const file = f.file.split(sep).join("/");
      let text = out.texts.get(file);
      if (text === undefined) {
        try {
          text = readFileSync(join(projectDir, file), "utf8");
        } catch {
          text = "";
        }
        out.texts.set(file, text);
      }
      const lines = new LineMap(text);
      const start = Math.min(text.length, (lines.lineStarts[f.line - 1] ?? 0) + f.column - 1);
      const end = Math.min(text.length, start + Math.max(0, f.endColumn - f.column));
      out.diagnostics.push(
        diagnostic({
          code: "E0408",
          message: `skill \`${name}\`: ${f.severity} ${f.ruleId}: ${f.message}${f.match ? ` (matched: ${JSON.stringify(f.match)})` : ""}`,
          file,
          span: lines.span(start, end),
          help: "fix the line, or suppress a reviewed line with `skill-scan: allow RULE -- reason`",
        }),
      );
    }
    try {
      const digest = digestSkill(folder);
      const manifest = {
        skill: name,
        skill_hash: `sha256:${digest.rootHash.toString("hex")}`,
        file_manifest: digest.manifest,
      };
      const path = `skills/${relative(projectDir, folder).split(sep).join("/")}.manifest.json`;
      out.files.push({ path, bytes: Buffer.from(JSON.stringify(manifest, null, 2) + "\n") });
    } catch (err) {
      if (!(err instanceof SchemaPinError)) throw err;
      const span = new LineMap("").span(0, 0);
      out.diagnostics.push(
        diagnostic({ code: "E0408", message: `skill \`${name}\`: ${err.message}`, file: agentFile, span }),
      );
    }
  }
  return out;
}
