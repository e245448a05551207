/**
 * The files the server knows: documents open in the editor (their latest text, whatever is on
 * disk) and the source files of the workspace folders (read from disk, so cross-file features —
 * references, rename, workspace symbols, the project check — see files that are not open).
 *
 * Every change bumps `generation`, which is what cached project-wide results are keyed by.
 */
import { readFileSync } from "node:fs";
import { collectSourceFiles, isSourceFile } from "../../compiler/project/files.js";
import { SourceDocument } from "./document.js";
import { canonicalUri, pathToUri, uriToPath } from "./uri.js";

/** Workspaces larger than this are not scanned (the open documents still work). */
const MAX_WORKSPACE_FILES = 5000;

export class Workspace {
  private readonly open = new Map<string, SourceDocument>();
  private readonly disk = new Map<string, SourceDocument>();
  /** The URI spelling the client used for each open document. */
  private readonly clientSpelling = new Map<string, string>();
  private roots: string[] = [];
  generation = 0;

  /** Adds workspace folders (paths) and reads their source files. */
  setRoots(paths: string[]): void {
    this.roots = paths;
    this.disk.clear();
    for (const root of paths) {
      let files: string[];
      try {
        files = collectSourceFiles([root]);
      } catch {
        continue;
      }
      for (const f of files.slice(0, MAX_WORKSPACE_FILES)) this.readFromDisk(pathToUri(f));
    }
    this.generation++;
  }

  get rootPaths(): readonly string[] {
    return this.roots;
  }

  /** The latest text of a document opened or edited in the editor. */
  setOpen(uri: string, version: number, text: string): SourceDocument {
    const key = canonicalUri(uri);
    this.clientSpelling.set(key, uri);
    const doc = new SourceDocument(key, version, text);
    this.open.set(key, doc);
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
    return this.roots.some((r) => path === r || path.startsWith(r.endsWith("/") ? r : r + "/"));
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
