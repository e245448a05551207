/**
 * The project's test files (`*.test.toml`, testing/README.md) as the server knows them: the
 * open ones with their latest text, the others read from disk when a project's tests are first
 * asked about. Each file is parsed with `symbic test`'s own reader (testing/file.ts), which is
 * cheap (TOML only; names are checked against the built project later), and the result is kept
 * until the file changes. The server uses it for the code lenses ("Run tests" above an agent
 * that has cases, "Explain" on a case), the hover on a case and the test file's diagnostics.
 */
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { findProjectRoot } from "../../compiler/project/root.js";
import { parseTestFile, type TestFile } from "../../testing/file.js";
import { findTestFiles, readTestFile, TEST_FILE_SUFFIX } from "../../testing/files.js";
import { canonicalUri, pathToUri, uriToPath } from "./uri.js";

/** Whether a URI or path names a test file. */
export function isTestFilePath(uriOrPath: string): boolean {
  return uriOrPath.endsWith(TEST_FILE_SUFFIX);
}

/** One version of one test file, parsed. */
export interface ParsedTestFile {
  uri: string;
  path: string;
  /** The editor's version for open files; -1 for files read from disk. */
  version: number;
  text: string;
  /** Present when the file has no problem of its own. */
  file?: TestFile;
  diagnostics: Diagnostic[];
}

export class TestFiles {
  private readonly open = new Map<string, ParsedTestFile>();
  /** The URI spelling the client used for each open file. */
  private readonly spelling = new Map<string, string>();
  private readonly disk = new Map<string, ParsedTestFile | null>();
  /** Test files by project root (absolute paths), found by the walk `symbic test` does. */
  private readonly byRoot = new Map<string, string[]>();

  /** The editor's latest text of a test file. */
  setOpen(uri: string, version: number, text: string): ParsedTestFile {
    const key = canonicalUri(uri);
    const path = uriToPath(key) ?? key;
    const parsed = parse(key, path, version, text);
    this.open.set(key, parsed);
    this.spelling.set(key, uri);
    // A new file may have been created in the editor before it is on disk.
    const root = findProjectRoot(path);
    const known = this.byRoot.get(root);
    if (known && !known.includes(path)) known.push(path);
    return parsed;
  }

  close(uri: string): void {
    this.open.delete(canonicalUri(uri));
  }

  /** The URI to send back to the client for a canonical URI. */
  clientUri(uri: string): string {
    return this.spelling.get(uri) ?? uri;
  }

  /** A test file changed, appeared or went on disk: forget what was read (and the walk). */
  diskChanged(uri: string): void {
    const key = canonicalUri(uri);
    this.disk.delete(key);
    const path = uriToPath(key);
    if (path) this.byRoot.delete(findProjectRoot(path));
  }

  /** Everything read from disk is read again on next use (project roots may have moved). */
  reset(): void {
    this.disk.clear();
    this.byRoot.clear();
  }

  /** The open file, or the file on disk (undefined when it cannot be read). */
  get(uri: string): ParsedTestFile | undefined {
    const key = canonicalUri(uri);
    const open = this.open.get(key);
    if (open) return open;
    if (!this.disk.has(key)) {
      const path = uriToPath(key);
      let parsed: ParsedTestFile | null = null;
      if (path) {
        const read = readTestFile(path, path);
        if ("text" in read) parsed = parse(key, path, -1, read.text);
      }
      this.disk.set(key, parsed);
    }
    return this.disk.get(key) ?? undefined;
  }

  openFiles(): ParsedTestFile[] {
    return [...this.open.values()];
  }

  isOpen(uri: string): boolean {
    return this.open.has(canonicalUri(uri));
  }

  /** The test files of a project (those whose own project root is `root`), by absolute path. */
  filesOf(root: string): string[] {
    let files = this.byRoot.get(root);
    if (!files) {
      try {
        files = findTestFiles([root]).filter((p) => findProjectRoot(p) === root);
      } catch {
        files = []; // an unreadable folder: no tests known (symbic test reports it)
      }
      for (const d of this.open.values())
        if (findProjectRoot(d.path) === root && !files.includes(d.path)) files.push(d.path);
      this.byRoot.set(root, files);
    }
    return files;
  }

  /**
   * The test files of a project with a policy case or an agent test for `agent`. A case that
   * names no agent is about the project's only agent (`onlyAgent`), as `symbic test` reads it.
   */
  filesFor(root: string, agent: string, onlyAgent: string | undefined): string[] {
    return this.filesOf(root).filter((path) => {
      const f = this.get(pathToUri(path))?.file;
      if (!f) return false;
      return [...f.cases, ...f.runs].some((c) => (c.agent ?? onlyAgent) === agent);
    });
  }
}

function parse(uri: string, path: string, version: number, text: string): ParsedTestFile {
  const r = parseTestFile(text, path, path);
  return { uri, path, version, text, ...(r.file ? { file: r.file } : {}), diagnostics: r.diagnostics };
}
