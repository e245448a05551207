/**
 * Project membership: which source files belong to a project, made explicit and visible.
 *
 * By default every `.symbi`/`.dsl` file under the root is a member; `[project] sources` in the
 * project's own `symbi.toml` narrows that to the folders it lists (relative to the root, inside
 * it). Every member's top-level policies govern every agent, so membership is a security
 * decision: `symbic check` prints the root and the member count, and
 *
 * - a folder among the members that is itself a project root (a nested `tools/` or
 *   `symbi.toml`) is E0030: a path inside it would be checked as another project — without this
 *   project's top-level policies — while this project counts its files as its own;
 * - a project whose root lies inside another project's members is E0030 too, for the same reason.
 *
 * Either is fixed by listing the outer project's source folders (leaving the inner project out)
 * or by removing the marker.
 */
import { existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { collectSourceFiles, displayPath } from "./files.js";
import { isProjectRoot, nearestProjectRoot } from "./root.js";
import { Config, ConfigError, loadConfig, projectSection } from "../../config/index.js";
import { UserError } from "../../formats/exit-codes.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";

export interface ProjectMembers {
  /** The project root (absolute). */
  root: string;
  /** The member folders (absolute): the root, or the folders `[project] sources` lists. */
  folders: string[];
  /** Where the folders came from, for people: `every folder under the root`, or the setting's location. */
  declaredBy?: string;
  /** Every member source file (absolute, sorted). */
  files: string[];
  /** Project roots nested among the members (absolute folder of each marker). */
  nestedRoots: string[];
  /** The root of a project whose members include this root, when there is one. */
  enclosingRoot?: string;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const inside = (folder: string, p: string) =>
  p === folder || p.startsWith(folder.endsWith(sep) ? folder : folder + sep);

/**
 * The folders `[project] sources` lists, or undefined when it is unset. Only the project's own
 * symbi.toml may set it. Throws UserError (exit 3) for a value that is not a folder inside the root.
 */
function declaredSources(root: string): { folders: string[]; where: string } | undefined {
  // Only the project's own file may set it (the loader refuses it elsewhere): without one there
  // is nothing to read, and the configuration's other sections are not this command's business.
  if (!existsSync(join(root, "symbi.toml"))) return undefined;
  let setting;
  try {
    setting = loadConfig({ projectRoot: root }).get(projectSection.name, "sources");
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.lines.join("\n"), e.exitCode);
    throw e;
  }
  if (!setting) return undefined;
  const where = Config.describe(setting.source);
  const folders: string[] = [];
  for (const f of setting.value as string[]) {
    const abs = resolve(root, f);
    if (!inside(root, abs))
      throw new UserError(`${where}: [project] sources: ${f} is outside the project root ${root}`, 3);
    if (!isDir(abs))
      throw new UserError(`${where}: [project] sources: ${relativeFolder(root, abs)} is not a folder`, 3);
    folders.push(abs);
  }
  return { folders: [...new Set(folders)].sort(), where };
}

/** Project roots among the member folders, below `root` (the markers' folders). */
function nestedRootsIn(root: string, folders: readonly string[]): string[] {
  const out = new Set<string>();
  const visit = (dir: string) => {
    if (dir !== root && isProjectRoot(dir)) {
      out.add(dir);
      return;
    }
    for (const name of subfolders(dir)) {
      // The root's own tools/ is its marker, not a nested project.
      if (name.startsWith(".") || name === "node_modules" || (dir === root && name === "tools")) continue;
      visit(join(dir, name));
    }
  };
  for (const f of folders) visit(f);
  return [...out].sort();
}

/** The folders in `dir`; symbolic links are not followed (the source walk decides about those). */
function subfolders(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      return lstatSync(join(dir, n)).isDirectory();
    } catch {
      return false;
    }
  });
}

/** The project root above `root` (up to a repository root) whose members include `root`. */
function enclosingRootOf(root: string): string | undefined {
  const outer = nearestProjectRoot(dirname(root));
  if (outer === undefined) return undefined;
  const folders = declaredSources(outer)?.folders ?? [outer];
  return folders.some((f) => inside(f, root)) ? outer : undefined;
}

/** The members of the project at `root` (an absolute folder). Throws UserError for a bad `[project] sources`. */
export function projectMembers(root: string): ProjectMembers {
  const abs = resolve(root);
  const declared = isProjectRoot(abs) ? declaredSources(abs) : undefined;
  const folders = declared?.folders ?? [abs];
  const out: ProjectMembers = {
    root: abs,
    folders,
    files: collectSourceFiles(folders),
    nestedRoots: isProjectRoot(abs) ? nestedRootsIn(abs, folders) : [],
  };
  if (declared) out.declaredBy = declared.where;
  const enclosing = isProjectRoot(abs) ? enclosingRootOf(abs) : undefined;
  if (enclosing !== undefined) out.enclosingRoot = enclosing;
  return out;
}

/**
 * The requested files that belong to the project: its members, and any file named explicitly in
 * `paths` (a folder's files outside `[project] sources` are not the project's).
 */
export function requestedMembers(m: ProjectMembers, wanted: readonly string[], paths: readonly string[]): string[] {
  const own = new Set(m.files.map((f) => resolve(f)));
  const named = new Set(paths.map((p) => resolve(p)));
  return wanted.filter((f) => own.has(resolve(f)) || named.has(resolve(f)));
}

/** A folder as shown to people: relative to the working directory when inside it (`.` for itself). */
export function displayFolder(folder: string): string {
  return relative(process.cwd(), folder) === "" ? "." : displayPath(folder);
}

/** `agents/` as written relative to the root (for messages). */
export function relativeFolder(root: string, folder: string): string {
  const r = relative(root, folder);
  return r === "" ? "." : r;
}

const AT_START = { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };

/**
 * E0030 for a nested project (compiler/project/members.ts), shown whatever was requested: it
 * changes which policies govern the agents. Located at the inner project's symbi.toml when it
 * has one, else at a requested file.
 */
export function membershipDiagnostics(m: ProjectMembers, wanted: readonly string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (dir: string) => {
    const toml = join(dir, "symbi.toml");
    return displayPath(existsSync(toml) ? toml : resolve(wanted[0]!));
  };
  const help =
    "list the outer project's source folders in its symbi.toml (`[project] sources = [...]`) without the inner one, or remove the inner marker";
  for (const inner of m.nestedRoots)
    out.push(
      diagnostic({
        code: "E0030",
        message: `\`${relativeFolder(m.root, inner)}\` is a project of its own (it has ${existsSync(join(inner, "symbi.toml")) ? "a symbi.toml" : "a tools/ folder"}) inside the project at ${displayFolder(m.root)}: its files would be checked and run without this project's top-level policies`,
        file: at(inner),
        span: AT_START,
        help,
      }),
    );
  if (m.enclosingRoot !== undefined)
    out.push(
      diagnostic({
        code: "E0030",
        message: `the project at ${displayFolder(m.root)} lies inside the project at ${displayFolder(m.enclosingRoot)}: checked from here, the outer project's top-level policies do not apply`,
        file: at(m.root),
        span: AT_START,
        help,
      }),
    );
  return out;
}
