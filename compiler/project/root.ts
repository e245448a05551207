/**
 * Project root discovery: a project is the nearest folder, from the given path upwards, that
 * has a `tools/` folder (tool contracts) or a `symbi.toml`. The search stops at a repository
 * root (a folder with `.git`) and at the file-system root; without a marker the project is the
 * given folder (or the given file's folder). Which files belong to the project — every
 * `.symbi`/`.dsl` file under the root, or those of the folders `[project] sources` lists — is
 * members.ts's decision; names resolve across all of them.
 */
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function isProjectRoot(dir: string): boolean {
  return isDir(join(dir, "tools")) || isFile(join(dir, "symbi.toml"));
}

/**
 * The nearest project root at or above a file or folder, stopping at a repository root; undefined
 * when there is none.
 */
export function nearestProjectRoot(path: string): string | undefined {
  for (let dir = resolve(isDir(path) ? path : dirname(path)); ;) {
    if (isProjectRoot(dir)) return dir;
    // A repository root: `.git` is a folder, or a file in a worktree or submodule.
    if (isDir(join(dir, ".git")) || isFile(join(dir, ".git"))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The project root for a file or folder (an absolute path): without a marker, the folder itself. */
export function findProjectRoot(path: string): string {
  return nearestProjectRoot(path) ?? resolve(isDir(path) ? path : dirname(path));
}
