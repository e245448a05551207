/**
 * A skill's SKILL.md front matter: YAML between `---` lines at the top, with at least `name`
 * and `description` (strings), as skills are written for agents. Problems come back with the
 * line they are on, for located diagnostics.
 */
import { isPlainObject } from "../formats/json.js";
import { yamlLibrary } from "../formats/lazy-yaml.js";

export interface SkillFrontMatter {
  name: string;
  description: string;
  /** Every field as written. */
  fields: Record<string, unknown>;
  /** The instructions: the text after the front matter. */
  body: string;
}

export type FrontMatterResult = { ok: true; value: SkillFrontMatter } | { ok: false; line: number; message: string };

export function parseSkillFrontMatter(text: string): FrontMatterResult {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const m = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(body);
  if (!m) return { ok: false, line: 1, message: "SKILL.md must start with YAML front matter between `---` lines" };
  const doc = yamlLibrary().parseDocument(m[1]!, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = (e.linePos?.[0]?.line ?? 1) + 1;
    return { ok: false, line, message: `invalid YAML in the front matter: ${e.message.split("\n")[0]}` };
  }
  const value: unknown = doc.toJS();
  if (!isPlainObject(value)) return { ok: false, line: 2, message: "the front matter must be a YAML mapping" };
  for (const key of ["name", "description"]) {
    if (typeof value[key] !== "string" || (value[key] as string).trim() === "") {
      return { ok: false, line: 2, message: `the front matter needs a \`${key}\` (a non-empty string)` };
    }
  }
  return {
    ok: true,
    value: {
      name: value["name"] as string,
      description: value["description"] as string,
      fields: value,
      body: body.slice(m[0].length),
    },
  };
}
