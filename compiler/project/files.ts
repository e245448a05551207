/**
 * Finding and reading source files: the CLIs and the checker take files or folders; folders are
 * searched recursively for `.symbi` and legacy `.dsl` files (skipping node_modules and hidden
 * folders). Output order is sorted so that every run is deterministic.
 *
 * Symbolic links are followed, but a link that leads nowhere (dangling), loops (ELOOP), or
 * points back at a folder already being walked (a directory cycle), and an entry that cannot be
 * read (EACCES), is skipped with a warning — never an internal error that loses the whole
 * project. This walk is the one place every command and the language server find a project's
 * files (`symbic check`/`build`/`fmt`/`parse`, `symbi exec`, `symbi-lsp`, the contract loader's
 * `tools/` listing), so they all skip the same entries. Warnings go to the reporter installed
 * with `setSkipReporter` (each CLI prints `<cli>: warning: ...`; the language server logs them).
 */
import { readdirSync, realpathSync, statSync, type Stats } from "node:fs";
import { join, relative, resolve } from "node:path";
import { MAX_SOURCE_BYTES } from "../../grammar/source-limits.js";
import { readBounded, formatSize, type BoundedReadError } from "../../formats/bounded-read.js";

export const SOURCE_EXTENSIONS = [".symbi", ".dsl"] as const;

export function isSourceFile(path: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => path.endsWith(ext));
}

export class FileError extends Error {}

/** An entry a folder walk left out, and why (`broken symbolic link`, `symbolic link loop`, ...). */
export interface SkippedPath {
  path: string;
  reason: string;
}

export type SkipReporter = (skipped: SkippedPath) => void;

let skipReporter: SkipReporter = (s) => process.stderr.write(`warning: ${s.path}: ${s.reason}; skipped\n`);
/** Paths already reported (a project is walked more than once per command: report each once). */
const reported = new Set<string>();

/** Installs where skipped entries are reported; returns the previous reporter. */
export function setSkipReporter(reporter: SkipReporter): SkipReporter {
  const previous = skipReporter;
  skipReporter = reporter;
  reported.clear();
  return previous;
}

function skip(path: string, reason: string): void {
  const key = `${resolve(path)}\u0000${reason}`;
  if (reported.has(key)) return;
  reported.add(key);
  skipReporter({ path: displayPath(path), reason });
}

function errnoReason(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "broken symbolic link (its target does not exist)";
    case "ELOOP":
      return "symbolic link loop";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
}

/** The entries of a folder, sorted; [] (reported) when it cannot be listed. */
function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    skip(dir, errnoReason(e));
    return [];
  }
}

/**
 * Files of `dir` whose names `accept` takes, recursively unless `recursive` is false, each
 * entry checked as described above. Directory cycles through links are cut by the real path of
 * each folder on the current walk.
 */
export function walkFiles(dir: string, accept: (name: string) => boolean, recursive = true): string[] {
  const out: string[] = [];
  const onPath = new Set<string>();
  const visit = (d: string) => {
    let real: string;
    try {
      real = realpathSync(d);
    } catch (e) {
      skip(d, errnoReason(e));
      return;
    }
    if (onPath.has(real)) {
      skip(d, "symbolic link to a folder that contains it (a cycle)");
      return;
    }
    onPath.add(real);
    for (const name of listDir(d)) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const p = join(d, name);
      // Only entries that matter are examined: a dangling link named `notes.txt` is not ours to report.
      const wanted = accept(name);
      if (!wanted && !recursive) continue;
      const kind = entryKindQuiet(p, wanted);
      if (!kind) continue;
      if (kind === "dir") {
        if (recursive) visit(p);
        else if (wanted) out.push(p); // a folder named like a wanted file: the reader reports it
      } else if (wanted) out.push(p);
    }
    onPath.delete(real);
  };
  visit(dir);
  return out;
}

/** entryKind, but only reporting problems for entries that would have been used (wanted files or folders). */
function entryKindQuiet(path: string, wanted: boolean): "file" | "dir" | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    // A broken link may have pointed at a folder of sources: report it unless its name rules it out.
    if (wanted || !/\.[A-Za-z0-9]+$/.test(path)) skip(path, errnoReason(e));
    return undefined;
  }
  if (st.isDirectory()) return "dir";
  if (st.isFile()) return "file";
  return undefined;
}

/** Expands files and folders into a sorted, de-duplicated list of source files. */
export function collectSourceFiles(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const entry = entryKindOrThrow(p);
    if (entry === "dir") for (const f of walkFiles(p, isSourceFile)) out.add(f);
    else out.add(p);
  }
  return [...out].sort();
}

/** A path named on the command line: it must exist (a dangling link given explicitly is an error). */
function entryKindOrThrow(p: string): "file" | "dir" {
  let st: Stats;
  try {
    st = statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new FileError(`${p}: symbolic link loop`);
    throw new FileError(`${p}: no such file or directory`);
  }
  return st.isDirectory() ? "dir" : "file";
}

/**
 * Reads a source file as bytes, at most MAX_SOURCE_BYTES (`symbic fmt /dev/zero` ends), with
 * a one-line error on failure.
 */
export function readSourceBytes(path: string): Buffer {
  try {
    return readBounded(path, MAX_SOURCE_BYTES);
  } catch (e) {
    const code = (e as BoundedReadError).code;
    if (code === "TOO_LARGE")
      throw new FileError(`${path}: larger than ${formatSize(MAX_SOURCE_BYTES)}, the limit for a source file`);
    throw new FileError(`${path}: cannot read file (${code})`);
  }
}

/** A path as shown in diagnostics: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel && !rel.startsWith("..") ? rel : path;
}
