/**
 * Finding and reading source files: the CLIs and the checker take files or folders; folders are
 * searched recursively for `.symbi` and legacy `.dsl` files (skipping node_modules and hidden
 * folders). Output order is sorted so that every run is deterministic.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { MAX_SOURCE_BYTES } from "../../grammar/index.js";
import { readBounded, formatSize, type BoundedReadError } from "../../formats/bounded-read.js";

export const SOURCE_EXTENSIONS = [".symbi", ".dsl"] as const;

export function isSourceFile(path: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => path.endsWith(ext));
}

export class FileError extends Error {}

/** Expands files and folders into a sorted, de-duplicated list of source files. */
export function collectSourceFiles(paths: readonly string[]): string[] {
  const out = new Set<string>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) visit(p);
      else if (isSourceFile(name)) out.add(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new FileError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) visit(p);
    else out.add(p);
  }
  return [...out].sort();
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
