/**
 * Finding and reading test files (`*.test.toml`). Kept apart from project.ts (which builds
 * projects with the runtime) so that the language server can index a project's test files
 * without loading the runtime.
 */
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { BoundedReadError, readBounded } from "../formats/bounded-read.js";
import { FileError } from "../compiler/project/files.js";

/** Test files are named `<anything>.test.toml`. */
export const TEST_FILE_SUFFIX = ".test.toml";

/** Folders never searched for test files. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", "build"]);

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new FileError(
      `${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  for (const name of names) {
    if (name.startsWith(".") || SKIPPED_DIRS.has(name)) continue;
    const p = join(dir, name);
    // lstat: a symbolic link to a folder is not followed (a link to `..` would never end); a
    // link to a test file is read like the file.
    const st = lstatSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (name.endsWith(TEST_FILE_SUFFIX) && (st.isFile() || (st.isSymbolicLink() && isFile(p)))) out.push(p);
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The test files named by `paths` (files as given, folders searched). Throws FileError for a missing path. */
export function findTestFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new FileError(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return [...new Set(out.map((p) => resolve(p)))];
}

/** The largest test file read (a test file is text written by people; /dev/zero must end). */
export const MAX_TEST_FILE_BYTES = 16 * 1024 * 1024;

/** A test file's text, or why it cannot be read (one line). */
export function readTestFile(path: string, shown: string): { text: string } | { error: string } {
  let bytes: Buffer;
  try {
    bytes = readBounded(path, MAX_TEST_FILE_BYTES, shown);
  } catch (e) {
    if (e instanceof BoundedReadError) return { error: e.message };
    throw e;
  }
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { error: `${shown}: a test file must be UTF-8 text` };
  }
}
