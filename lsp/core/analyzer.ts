/**
 * Project-wide analysis on top of the workspace: every source file goes to the checker's
 * incremental `Project` of its project root (the same grouping `symbic check` uses: the nearest
 * folder with `tools/` or `symbi.toml`), so the diagnostics here are those of the CLI. Results
 * are cached per workspace generation: the diagnostics publisher and every request against the
 * same state share one run, and a project none of whose files changed is not re-checked.
 *
 * Documents adopt the checker's parse of their text, so the types and resolutions the checker
 * recorded (keyed by AST node) apply to the nodes the features look at.
 */
import { dirname, relative, sep } from "node:path";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { sortDiagnostics } from "../../compiler/diagnostics/model.js";
import { Project, type CheckResult } from "../../compiler/check/index.js";
import { findProjectRoot } from "../../compiler/project/root.js";
import type { Workspace } from "./workspace.js";
import type { SourceDocument } from "./document.js";
import type { CheckView } from "./semantic.js";
import { pathToUri, uriToPath } from "./uri.js";

export interface ProjectAnalysis {
  generation: number;
  /** Diagnostics by canonical URI (every known file has an entry, possibly empty); contract files included. */
  diagnostics: Map<string, Diagnostic[]>;
  /** The checker's view for a document, when its project checked without failing. */
  viewFor(uri: string): CheckView | undefined;
  /** The raw check result of the document's project. */
  resultFor(uri: string): CheckResult | undefined;
  /** The documents this analysis saw, by URI (each adopted the checker's parse of its text). */
  documents: Map<string, SourceDocument>;
}

interface ProjectState {
  root: string;
  project: Project;
  /** URIs currently given to the project. */
  files: Set<string>;
  result?: CheckResult;
  view?: CheckView;
  /** The workspace state the result describes (file texts by URI). */
  texts: Map<string, string>;
  failed?: string;
}

/** A project key for a document: its project root folder, or "" for documents without a path. */
function rootOf(uri: string, cache: Map<string, string>): string {
  const path = uriToPath(uri);
  if (!path) return "";
  const dir = dirname(path);
  let root = cache.get(dir);
  if (root === undefined) cache.set(dir, (root = findProjectRoot(path)));
  return root;
}

export class Analyzer {
  private cached: ProjectAnalysis | undefined;
  private readonly projects = new Map<string, ProjectState>();
  private readonly rootCache = new Map<string, string>();

  constructor(
    private readonly workspace: Workspace,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  /** Forget cached roots and contracts (after files appeared or disappeared on disk). */
  reset(): void {
    this.projects.clear();
    this.rootCache.clear();
    this.cached = undefined;
  }

  /** A contract file changed on disk: give its new text (or its removal) to its project. */
  contractChanged(path: string, text: string | undefined): void {
    for (const p of this.projects.values()) {
      if (!path.startsWith(p.root + "/")) continue;
      if (text === undefined) p.project.removeFile(path);
      else p.project.setFile(path, text);
      p.texts.clear(); // force a re-check
    }
    this.cached = undefined;
  }

  /** A file's path relative to its project root (how `symbic build` names it), or its URI. */
  projectRelative(uri: string): string {
    const path = uriToPath(uri);
    const root = rootOf(uri, this.rootCache);
    if (!path || !root) return uri;
    const rel = relative(root, path);
    return rel.startsWith("..") ? path : rel.split(sep).join("/");
  }

  /** Whether the workspace changed since the last analysis. */
  isStale(): boolean {
    return this.cached?.generation !== this.workspace.generation;
  }

  /** The last analysis made, even if the workspace changed since (for work that may use slightly old results). */
  latest(): ProjectAnalysis | undefined {
    return this.cached;
  }

  /** The analysis of the workspace as it is now. */
  current(): ProjectAnalysis {
    const generation = this.workspace.generation;
    if (this.cached?.generation === generation) return this.cached;

    const byRoot = new Map<string, SourceDocument[]>();
    for (const doc of this.workspace.all()) {
      const root = rootOf(doc.uri, this.rootCache);
      let list = byRoot.get(root);
      if (!list) byRoot.set(root, (list = []));
      list.push(doc);
    }
    for (const root of [...this.projects.keys()]) if (!byRoot.has(root)) this.projects.delete(root);

    const diagnostics = new Map<string, Diagnostic[]>();
    const views = new Map<string, ProjectState>();
    const documents = new Map<string, SourceDocument>();
    for (const [root, docs] of byRoot) {
      let state = this.projects.get(root);
      if (!state) {
        state = {
          root,
          project: new Project(root || ".", { loadContractsFromDisk: root !== "" }),
          files: new Set(),
          texts: new Map(),
        };
        this.projects.set(root, state);
      }
      this.sync(state, docs);
      for (const doc of docs) {
        views.set(doc.uri, state);
        documents.set(doc.uri, doc);
        diagnostics.set(doc.uri, []);
      }
      if (state.result) {
        for (const d of state.result.diagnostics) {
          const uri = /^[a-z][a-z0-9+.-]*:/i.test(d.file) ? d.file : pathToUri(d.file);
          let list = diagnostics.get(uri);
          if (!list) diagnostics.set(uri, (list = []));
          list.push(d.file === uri ? d : { ...d, file: uri });
        }
      } else {
        // The checker failed on this project: at least the syntax diagnostics.
        for (const doc of docs) diagnostics.set(doc.uri, sortDiagnostics(doc.parse.diagnostics));
      }
    }

    this.cached = {
      generation,
      diagnostics,
      viewFor: (uri) => views.get(uri)?.view,
      resultFor: (uri) => views.get(uri)?.result,
      documents,
    };
    return this.cached;
  }

  /** Gives the project the documents' current texts and re-checks it when something changed. */
  private sync(state: ProjectState, docs: SourceDocument[]): void {
    let changed = !state.result || state.texts.size !== docs.length;
    const present = new Set<string>();
    for (const doc of docs) {
      present.add(doc.uri);
      if (state.texts.get(doc.uri) !== doc.text) {
        state.project.setFile(doc.uri, doc.text);
        state.texts.set(doc.uri, doc.text);
        changed = true;
      }
    }
    for (const uri of state.files) {
      if (!present.has(uri)) {
        state.project.removeFile(uri);
        state.texts.delete(uri);
        changed = true;
      }
    }
    state.files = present;
    if (changed) {
      try {
        const result = state.project.check();
        state.result = result;
        state.failed = undefined;
        state.view = {
          env: result.env,
          get symbols() {
            return result.symbols;
          },
          typeOf: (node) => result.typeOf(node),
          resolvedId: (id) => result.symbolOf(id)?.id,
          visibleLocals: (uri, offset) => result.visibleLocals(uri, offset),
          itemResultKey: (item) => result.itemResultKey(item),
        };
      } catch (err) {
        state.result = undefined;
        state.view = undefined;
        state.failed = err instanceof Error ? err.message : String(err);
        this.log(
          `checker failed on project ${state.root || "(no folder)"}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
    }
    // Documents use the checker's parse of their text (one parse, and node-keyed results apply).
    if (state.result)
      for (const doc of docs) {
        const parse = state.result.files.get(doc.uri);
        if (parse && parse.text === doc.text) doc.adopt(parse);
      }
  }

  diagnosticsFor(uri: string): Diagnostic[] {
    return this.current().diagnostics.get(uri) ?? [];
  }
}
