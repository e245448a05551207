/**
 * The files the server knows: documents open in the editor (their latest text, whatever is on
 * disk) and the source files of their projects (read from disk, so cross-file features —
 * references, rename, workspace symbols, the project check — see files that are not open).
 *
 * Which files are read is decided as the CLI decides it, not by the editor's workspace folder:
 * each workspace folder and each opened file belongs to a project root (the nearest folder
 * upwards with `tools/` or `symbi.toml`, compiler/project/root.ts), and that project's member
 * files are read (compiler/project/members.ts). So opening `agents/` alone, a single file in a folder-less window, or an
 * editor rooted at the file's folder sees the same project as `symbic check`.
 *
 * Every change bumps `generation`, which is what cached project-wide results are keyed by.
 */
import { readFileSync } from "node:fs";
import { isSourceFile, walkFiles } from "../../compiler/project/files.js";
import { findProjectRoot } from "../../compiler/project/root.js";
import { projectMembers } from "../../compiler/project/members.js";
import { SourceDocument } from "./document.js";
import { canonicalUri, pathToUri, uriToPath } from "./uri.js";

/** Projects larger than this are read in part (the open documents still work). */
const MAX_PROJECT_FILES = 5000;

export class Workspace {
  private readonly open = new Map<string, SourceDocument>();
  private readonly disk = new Map<string, SourceDocument>();
  /** The URI spelling the client used for each open document. */
  private readonly clientSpelling = new Map<string, string>();
  private folders: string[] = [];
  /** Project roots whose source files have been read from disk. */
  private readonly projectRoots = new Set<string>();
  /** Called with each project root read for the first time (the server watches it). */
  onProjectRoot: (root: string) => void = () => {};
  generation = 0;

  /** The editor's workspace folders (paths): their projects' files are read. */
  setRoots(paths: string[]): void {
    this.folders = paths;
    this.projectRoots.clear();
    this.disk.clear();
    for (const folder of paths) this.addProject(findProjectRoot(folder));
    for (const uri of this.open.keys()) this.addProjectOf(uri);
    this.generation++;
  }

  /** Project roots may have moved (a `symbi.toml` or `tools/` appeared or went): read them again. */
  refreshRoots(): void {
    this.setRoots(this.folders);
  }

  /** Reads the source files of the project of a document, once per project root. */
  private addProjectOf(uri: string): void {
    const path = uriToPath(uri);
    if (path) this.addProject(findProjectRoot(path));
  }

  private addProject(root: string): void {
    if (this.projectRoots.has(root)) return;
    this.projectRoots.add(root);
    // The project's members as the CLI reads them (`[project] sources`, compiler/project/
    // members.ts); with a configuration the CLI would refuse, every file under the root (the
    // CLI reports the problem). The shared walk skips a dangling or looping link, never the project.
    let files: string[];
    try {
      files = projectMembers(root).files;
    } catch {
      files = walkFiles(root, isSourceFile);
    }
    for (const f of files.slice(0, MAX_PROJECT_FILES)) {
      const uri = pathToUri(f);
      if (!this.disk.has(uri)) this.readFromDisk(uri);
    }
    this.onProjectRoot(root);
  }

  /** Every project root read so far. */
  get projects(): readonly string[] {
    return [...this.projectRoots];
  }

  get rootPaths(): readonly string[] {
    return this.folders;
  }

  /** The latest text of a document opened or edited in the editor. */
  setOpen(uri: string, version: number, text: string): SourceDocument {
    const key = canonicalUri(uri);
    this.clientSpelling.set(key, uri);
    const doc = new SourceDocument(key, version, text);
    const known = this.open.has(key);
    this.open.set(key, doc);
    if (!known) this.addProjectOf(key);
    this.generation++;
    return doc;
  }

  /** A document was closed: the file on disk (if it is part of the workspace) takes over again. */
  close(uri: string): void {
    const key = canonicalUri(uri);
    this.open.delete(key);
    this.clientSpelling.delete(key);
    if (this.disk.has(key)) this.readFromDisk(key);
    this.generation++;
  }

  /** A file changed, appeared or disappeared on disk (`workspace/didChangeWatchedFiles`). */
  diskChanged(uri: string, deleted: boolean): void {
    const key = canonicalUri(uri);
    const path = uriToPath(key);
    if (!path || !isSourceFile(path)) return;
    if (deleted) this.disk.delete(key);
    else if (this.isUnderRoot(path)) this.readFromDisk(key);
    this.generation++;
  }

  /** Something outside the source texts changed (a tool contract): cached results are stale. */
  touch(): void {
    this.generation++;
  }

  /** The open document, or the workspace file from disk. */
  get(uri: string): SourceDocument | undefined {
    const key = canonicalUri(uri);
    return this.open.get(key) ?? this.disk.get(key);
  }

  getOpen(uri: string): SourceDocument | undefined {
    return this.open.get(canonicalUri(uri));
  }

  isOpen(uri: string): boolean {
    return this.open.has(canonicalUri(uri));
  }

  /** Every known source file (open documents win over their disk copy), sorted by URI. */
  all(): SourceDocument[] {
    const out = new Map(this.disk);
    for (const [k, d] of this.open) out.set(k, d);
    return [...out.keys()].sort().map((k) => out.get(k)!);
  }

  openDocuments(): SourceDocument[] {
    return [...this.open.values()];
  }

  /** The URI to send back to the client for a canonical URI. */
  clientUri(uri: string): string {
    return this.clientSpelling.get(uri) ?? uri;
  }

  private isUnderRoot(path: string): boolean {
    for (const r of this.projectRoots) if (path === r || path.startsWith(r.endsWith("/") ? r : r + "/")) return true;
    return false;
  }

  private readFromDisk(uri: string): void {
    const path = uriToPath(uri);
    if (!path) return;
    try {
      this.disk.set(uri, new SourceDocument(uri, -1, readFileSync(path, "utf8")));
    } catch {
      this.disk.delete(uri);
    }
  }
}
