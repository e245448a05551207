/**
 * Which skills a path names: a folder with a SKILL.md is one skill; a folder without one holds
 * skills in sub-folders (every folder with a SKILL.md below it; symbolic links are not followed);
 * a folder with neither, or a single file, is scanned as it is.
 */
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const SKILL_FILE = "SKILL.md";

export function skillFolders(path: string): string[] {
  const st = lstatSync(path);
  if (!st.isDirectory()) return [path];
  if (existsSync(join(path, SKILL_FILE))) return [path];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      let s;
      try {
        s = lstatSync(p);
      } catch {
        continue;
      }
      if (!s.isDirectory()) continue;
      if (existsSync(join(p, SKILL_FILE))) found.push(p);
      else walk(p);
    }
  };
  walk(path);
  return found.length > 0 ? found : [path];
}
