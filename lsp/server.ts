/**
 * The Symbiont language server: wires the protocol (vscode-languageserver) to the workspace,
 * the analyzer (the checker's incremental Project) and the feature modules in features/.
 * Every request handler goes through `guarded` (cancellation honoured, failures answered as
 * errors and logged, never a crash) and works on the latest text of its document.
 */
import { readFileSync } from "node:fs";
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  FileChangeType,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type Hover,
  type Position,
  MarkupKind,
  DocumentDiagnosticReportKind,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { isContractPath, type CheckResult } from "../compiler/check/index.js";
import type { PolicyRule } from "../grammar/ast.js";
import { setSkipReporter } from "../compiler/project/files.js";
import { Analyzer } from "./core/analyzer.js";
import { checkCancelled, guarded, yieldToEventLoop } from "./core/cancellation.js";
import { textDelta, type SourceDocument } from "./core/document.js";
import { Workspace } from "./core/workspace.js";
import { DiagnosticsPublisher } from "./features/diagnostics.js";
import { isSkillCandidate, SkillDiagnostics } from "./features/skill-diagnostics.js";
import { documentSymbols, workspaceSymbolsOf } from "./features/symbols.js";
import { foldingRanges } from "./features/folding.js";
import { SEMANTIC_TOKENS_LEGEND, semanticTokens, semanticTokensEdits } from "./features/semantic-tokens.js";
import { formatDocument } from "./features/formatting.js";
import { completions, completionSite } from "./features/completion.js";
import { hoverAt } from "./features/hover.js";
import { signatureHelp } from "./features/signature-help.js";
import {
  definition,
  documentHighlights,
  prepareRename,
  references,
  rename,
  type NavigationInputs,
} from "./features/navigation.js";
import { inlayHints } from "./features/inlay-hints.js";
import { selectionRanges } from "./features/selection-range.js";
import { toLspDiagnostic } from "./features/diagnostics.js";
import { quickFixes } from "./features/code-actions.js";
import { cedarForRule } from "./features/cedar-preview.js";
import { offsetAt, offsetRange } from "./core/positions.js";
import type { CheckView } from "./core/semantic.js";
import { canonicalUri, pathToUri, uriToPath } from "./core/uri.js";
import { SERVER_NAME, SERVER_VERSION } from "./core/version.js";
import { SETTINGS_SECTION, defaultSettings, readSettings, type ServerSettings } from "./core/settings.js";
import { findProjectRoot } from "../compiler/project/root.js";
import { isTestFilePath, TestFiles } from "./core/test-files.js";
import { agentLenses, testFileLenses } from "./features/code-lens.js";
import { LensCommands } from "./features/commands.js";
import { caseForLine, Explainer, explanationHover } from "./features/explain.js";
import { agentRunArgv } from "./features/agent-exec.js";
import { TestFileDiagnostics } from "./features/test-diagnostics.js";
import { testFileProblems } from "./features/test-runs.js";

export interface ServerOptions {
  /** Quiet time after an edit before diagnostics are computed (ms). Clients may override it with `initializationOptions.diagnosticsDelay`. */
  diagnosticsDelay?: number;
}

export const DEFAULT_DIAGNOSTICS_DELAY_MS = 25;

/** The largest edit (characters) completion maps through instead of waiting for the analysis. */
const MAX_TYPED_EDIT = 256;

/** A document's state for one request: the text, its offset, and the checker's view of it. */
interface RequestState {
  doc: SourceDocument;
  offset: number;
  view: CheckView | undefined;
  viewIsCurrent: boolean;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const workspace = new Workspace();
  const log = (msg: string) => connection.console.error(msg);
  const analyzer = new Analyzer(workspace, log);
  const documents = new TextDocuments(TextDocument);
  let publisher: DiagnosticsPublisher | undefined;
  const skillDiagnostics = new SkillDiagnostics(connection, log);
  let snippets = false;
  /** The client asked for hover text without Markdown (eglot does). */
  let plainHover = false;
  /** Client support for registering file watchers (`workspace/didChangeWatchedFiles`) at run time. */
  let watchRegistration = false;
  let relativePatterns = false;
  let initialized = false;
  let globsRegistered = false;
  const watchedRoots = new Set<string>();
  /** The client's `symbiont` settings (workspace/configuration), on top of the defaults. */
  let settings: ServerSettings = defaultSettings(options.diagnosticsDelay ?? DEFAULT_DIAGNOSTICS_DELAY_MS);
  let configurationPull = false;
  let configurationRegistration = false;
  // Semantic tokens: the last result per document is kept, so a client can ask for the edits
  // since then (`full/delta`) instead of the whole file again.
  const lastTokens = new Map<string, { resultId: string; data: number[] }>();
  let tokensResult = 0;
  // Test files (`*.test.toml`): code lenses, hover (explain) and their own diagnostics.
  const testFiles = new TestFiles();
  const testDiagnostics = new TestFileDiagnostics(connection, testFiles, (u) => testFiles.clientUri(u));
  const explainer = new Explainer();
  /** The client shows command results itself (`initializationOptions.commandResults = "client"`). */
  let clientPresents = false;
  let showDocument = false;
  let lensRefresh = false;
  /** What the lenses of open documents depended on when last computed (refresh when it changes). */
  let lensState = "";
  const refreshLenses = () => {
    if (lensRefresh) void connection.sendRequest("workspace/codeLens/refresh").catch(() => {});
  };
  const commands = new LensCommands({
    connection,
    workspace,
    analyzer,
    testFiles,
    testDiagnostics,
    explainer,
    clientPresents: () => clientPresents,
    showDocument: () => showDocument,
    refreshLenses,
    log,
  });
  // A dangling or looping link in a project is skipped and logged (compiler/project/files.ts).
  setSkipReporter((s) => connection.console.warn(`skipped ${s.path}: ${s.reason}`));

  /**
   * Watches the project's sources, contracts and markers. Globs are relative to the workspace
   * folders; a project root outside them (a file opened from elsewhere) gets its own relative
   * pattern where the client supports those.
   */
  const FILES_GLOB = "**/{*.symbi,*.dsl,*.clad.toml,toolclad.toml,symbi.toml,*.test.toml}";
  const registerWatchers = (roots: string[]) => {
    if (!watchRegistration || !initialized) return;
    const fresh = roots.filter((r) => !watchedRoots.has(r));
    for (const r of fresh) watchedRoots.add(r);
    const watchers: Array<{ globPattern: string | { baseUri: string; pattern: string } }> = [];
    if (!globsRegistered) watchers.push({ globPattern: FILES_GLOB });
    globsRegistered = true;
    if (relativePatterns) {
      const folders = workspace.rootPaths;
      for (const r of fresh)
        if (!folders.some((f) => r === f || r.startsWith(f + "/")))
          watchers.push({ globPattern: { baseUri: pathToUri(r), pattern: FILES_GLOB } });
    }
    if (watchers.length === 0) return;
    connection.client
      .register(DidChangeWatchedFilesNotification.type, { watchers })
      .catch((err: unknown) => log(`registering file watchers failed: ${String(err)}`));
  };
  workspace.onProjectRoot = (root) => registerWatchers([root]);

  /**
   * The document (as it is when the request starts) with the latest analysis. When edits are
   * pending analysis, the handler first yields once so that a `$/cancelRequest` or a newer edit
   * already on the wire is seen before the expensive work: a cancelled request stops here, and a
   * request whose document changed meanwhile answers ContentModified rather than mixing versions.
   */
  const stateFor = async (
    uri: unknown,
    position: Position | undefined | null,
    token: CancellationToken,
  ): Promise<RequestState | undefined> => {
    if (typeof uri !== "string") throw new ResponseError(ErrorCodes.InvalidParams, "textDocument.uri is missing");
    if (
      position === null ||
      (position !== undefined && (typeof position.line !== "number" || typeof position.character !== "number"))
    ) {
      throw new ResponseError(ErrorCodes.InvalidParams, "position is missing or invalid");
    }
    const doc = workspace.get(uri);
    if (!doc) return undefined;
    if (analyzer.isStale()) {
      await yieldToEventLoop();
      checkCancelled(token);
      if (workspace.get(uri) !== doc) throw new ResponseError(LSPErrorCodes.ContentModified, "the document changed");
    }
    const analysis = analyzer.current();
    checkCancelled(token);
    const view = analysis.viewFor(doc.uri);
    const result = analysis.resultFor(doc.uri);
    return {
      doc,
      offset: position ? offsetAt(doc.lineMap, position) : 0,
      view,
      viewIsCurrent: doc.uses(result?.files.get(doc.uri)),
    };
  };

  /** The document URI of a request's params, or InvalidParams. */
  const uriOf = (p: { textDocument?: { uri?: unknown } }): string => {
    const uri = p?.textDocument?.uri;
    if (typeof uri !== "string") throw new ResponseError(ErrorCodes.InvalidParams, "textDocument.uri is missing");
    return uri;
  };

  const navInputs = (s: RequestState): NavigationInputs => ({
    ...s,
    allDocs: workspace.all(),
    clientUri: (u) => workspace.clientUri(u),
  });

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as { diagnosticsDelay?: unknown; commandResults?: unknown };
    clientPresents = init.commandResults === "client";
    showDocument = params.capabilities.window?.showDocument?.support === true;
    lensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    const delay =
      typeof init.diagnosticsDelay === "number" && init.diagnosticsDelay >= 0
        ? init.diagnosticsDelay
        : (options.diagnosticsDelay ?? DEFAULT_DIAGNOSTICS_DELAY_MS);
    settings = defaultSettings(delay);
    publisher = new DiagnosticsPublisher(connection, workspace, analyzer, delay, log);
    publisher.afterAnalysis = () => {
      // The lenses follow the analysis: ask for them again when an open file's agents or its
      // project's errors changed.
      const analysis = analyzer.latest();
      if (!analysis) return;
      const state = workspace
        .openDocuments()
        .map((d) => {
          const errors = analysis.resultFor(d.uri)?.diagnostics.some((x) => x.severity === "error") ?? true;
          const agents = d.program.items.flatMap((i) => (i.kind === "Agent" ? [i.name.name] : []));
          return `${d.uri}:${errors}:${agents.join(",")}`;
        })
        .join("\n");
      if (state !== lensState) {
        lensState = state;
        refreshLenses();
      }
    };
    configurationPull = params.capabilities.workspace?.configuration === true;
    configurationRegistration = params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    snippets = params.capabilities.textDocument?.completion?.completionItem?.snippetSupport === true;
    plainHover = params.capabilities.textDocument?.hover?.contentFormat?.[0] === MarkupKind.PlainText;
    // A client that pulls diagnostics gets them only that way (never the same twice); the
    // others get them pushed after each edit, as before.
    const pull = params.capabilities.textDocument?.diagnostic !== undefined;
    const refresh = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
    publisher.pullMode(pull, refresh ? () => void connection.languages.diagnostics.refresh() : undefined);
    const watched = params.capabilities.workspace?.didChangeWatchedFiles;
    watchRegistration = watched?.dynamicRegistration === true;
    relativePatterns = (watched as { relativePatternSupport?: boolean } | undefined)?.relativePatternSupport === true;
    const roots = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
    if (roots.length === 0 && params.rootUri) {
      const p = uriToPath(params.rootUri);
      if (p) roots.push(p);
    }
    workspace.setRoots(roots);
    return {
      serverInfo: { name: SERVER_NAME, version: SERVER_VERSION },
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [".", '"'], resolveProvider: false },
        signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [")"] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: SEMANTIC_TOKENS_LEGEND, full: { delta: true }, range: true },
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        documentHighlightProvider: true,
        selectionRangeProvider: true,
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [...LensCommands.commands] },
        ...(params.capabilities.textDocument?.diagnostic !== undefined
          ? { diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false } }
          : {}),
      },
    };
  });

  connection.onInitialized(() => {
    initialized = true;
    registerWatchers(workspace.projects.length ? [...workspace.projects] : []);
    if (configurationRegistration)
      connection.client
        .register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION })
        .catch((err: unknown) => log(`registering for configuration changes failed: ${String(err)}`));
    if (configurationPull) void pullSettings();
  });

  /** Applies the `symbiont` section's value; a rejected value is reported and the setting kept. */
  const applySettings = (raw: unknown) => {
    const r = readSettings(raw, settings);
    for (const p of r.problems) connection.console.warn(`settings: ${p}`);
    settings = r.settings;
    publisher?.setDelay(settings.diagnosticsDelay);
  };
  const pullSettings = async () => {
    try {
      applySettings(await connection.workspace.getConfiguration({ section: SETTINGS_SECTION }));
    } catch (err) {
      log(`reading the client's settings failed: ${String(err)}`);
    }
  };
  connection.onDidChangeConfiguration((p) => {
    // Clients that answer workspace/configuration are asked; the others push the settings.
    if (configurationPull) void pullSettings();
    else applySettings((p?.settings as Record<string, unknown> | null | undefined)?.[SETTINGS_SECTION]);
  });

  // Document sync: the workspace always holds the latest text; diagnostics follow after a pause.
  documents.onDidChangeContent((e) => {
    // Contracts opened in an editor are read from disk (watched files), not as source code.
    if (isContractPath(e.document.uri)) return;
    // Test files are TOML read by `symbic test`'s reader, never sources.
    if (isTestFilePath(e.document.uri)) {
      testFiles.setOpen(e.document.uri, e.document.version, e.document.getText());
      testDiagnostics.edited(canonicalUri(e.document.uri));
      return;
    }
    // Other TOML (symbi.toml, an editor attaching the server to every `toml` buffer for the
    // test files) is configuration, never source code.
    if (e.document.uri.endsWith(".toml")) return;
    // Other files (SKILL.md, a skill's scripts) get the skill scanner's findings, not the checker's.
    if (isSkillCandidate(e.document.uri)) {
      skillDiagnostics.update(e.document.uri, e.document.version, e.document.getText());
      return;
    }
    workspace.setOpen(e.document.uri, e.document.version, e.document.getText());
    publisher?.schedule();
  });
  documents.onDidClose((e) => {
    if (isTestFilePath(e.document.uri)) {
      testFiles.close(e.document.uri);
      testDiagnostics.closed(canonicalUri(e.document.uri));
      return;
    }
    if (isSkillCandidate(e.document.uri) && !isContractPath(e.document.uri)) {
      skillDiagnostics.clear(e.document.uri);
      return;
    }
    lastTokens.delete(canonicalUri(e.document.uri));
    workspace.close(e.document.uri);
    publisher?.clear(canonicalUri(e.document.uri), e.document.uri);
    publisher?.schedule();
  });
  connection.onDidChangeWatchedFiles((p) => {
    for (const c of p.changes) {
      const path = uriToPath(c.uri);
      if (path && (path.endsWith("/symbi.toml") || path.endsWith("\\symbi.toml"))) {
        // A project marker appeared, went or changed: project roots may have moved.
        analyzer.reset();
        workspace.refreshRoots();
        testFiles.reset();
        explainer.reset();
      } else if (path && isTestFilePath(path)) {
        testFiles.diskChanged(c.uri);
        refreshLenses();
      } else if (path && isContractPath(path)) {
        let text: string | undefined;
        try {
          text = c.type === FileChangeType.Deleted ? undefined : readFileSync(path, "utf8");
        } catch {
          text = undefined;
        }
        // A new or removed contract may move project roots (a new tools/ folder): start over.
        if (c.type !== FileChangeType.Changed) analyzer.reset();
        else analyzer.contractChanged(path, text);
        workspace.touch();
      } else {
        workspace.diskChanged(c.uri, c.type === FileChangeType.Deleted);
      }
    }
    publisher?.schedule();
  });

  /**
   * While an edit waits for analysis, the last analysed version of a document with a position of
   * the current text mapped into it — when the position lies outside the edited region. Hover
   * and completion answer from it instead of waiting for a re-check.
   */
  const lastAnalysed = (doc: SourceDocument, offset: number) => {
    const prev = analyzer.isStale() ? analyzer.latest() : undefined;
    const old = prev?.documents.get(doc.uri);
    if (!prev || !old || old === doc || !old.uses(prev.resultFor(doc.uri)?.files.get(doc.uri))) return undefined;
    const edit = textDelta(old.text, doc.text);
    if (!edit || edit.newEnd - edit.start > MAX_TYPED_EDIT || edit.oldEnd - edit.start > MAX_TYPED_EDIT)
      return undefined;
    const toOld = (o: number) => (o <= edit.start ? o : o >= edit.newEnd ? o - edit.newEnd + edit.oldEnd : edit.start);
    const toNew = (o: number) => (o <= edit.start ? o : o >= edit.oldEnd ? o - edit.oldEnd + edit.newEnd : edit.start);
    const inEdit = offset > edit.start && offset < edit.newEnd;
    return { prev, old, edit, toOld, toNew, inEdit };
  };

  connection.onHover(
    guarded("hover", log, async (p, token) => {
      const uri = uriOf(p);
      if (!p.position || typeof p.position.line !== "number" || typeof p.position.character !== "number")
        throw new ResponseError(ErrorCodes.InvalidParams, "position is missing or invalid");
      const cedarOf = (result: CheckResult | undefined) => (rule: PolicyRule) =>
        cedarForRule(
          result,
          rule,
          (file) => workspace.get(file)?.text ?? result?.files.get(file)?.text,
          (file) => analyzer.projectRelative(file),
        );
      if (isTestFilePath(uri)) return testCaseHover(uri, p.position);
      const doc = workspace.get(uri);
      // An edit waiting for analysis: answer from the last analysed version (never wait for the
      // re-check), the hovered range mapped back into the current text.
      const stale = doc ? lastAnalysed(doc, offsetAt(doc.lineMap, p.position)) : undefined;
      if (doc && stale && !stale.inEdit) {
        const h = hoverAt({
          doc: stale.old,
          offset: stale.toOld(offsetAt(doc.lineMap, p.position)),
          view: stale.prev.viewFor(doc.uri),
          viewIsCurrent: true,
          cedarForRule: cedarOf(stale.prev.resultFor(doc.uri)),
        });
        if (h?.range) {
          const start = stale.toNew(offsetAt(stale.old.lineMap, h.range.start));
          const end = stale.toNew(offsetAt(stale.old.lineMap, h.range.end));
          h.range = offsetRange(doc.lineMap, start, end);
        }
        return h && plainHover ? plainTextHover(h) : h;
      }
      const s = await stateFor(uri, p.position, token);
      if (!s) return null;
      const h = hoverAt({ ...s, cedarForRule: cedarOf(analyzer.current().resultFor(s.doc.uri)) });
      return h && plainHover ? plainTextHover(h) : h;
    }),
  );

  /** Hover on a test case: `symbic explain` for it (from the editor's text of the test file). */
  const testCaseHover = async (uri: string, position: Position): Promise<Hover | null> => {
    const f = testFiles.get(uri);
    const path = uriToPath(uri);
    if (!f?.file || !path) return null;
    const c = caseForLine(f.file, position.line + 1);
    if (!c) return null;
    const out = await explainer.explain(path, (c.row?.place ?? c.place).span.line, f.text);
    if (!out.ok) testDiagnostics.ran(testFileProblems(out.diagnostics));
    return { contents: explanationHover(out, plainHover) };
  };

  connection.onCodeLens(
    guarded("codeLens", log, (p) => {
      const uri = uriOf(p);
      if (isTestFilePath(uri)) {
        const f = testFiles.get(uri);
        return f ? testFileLenses(f, uri) : null;
      }
      const current = workspace.get(uri);
      const path = uriToPath(uri);
      if (!current || !path) return null;
      // The last analysis, whatever edits came since (lenses never wait for a re-check); the
      // first request of a session analyses once.
      let analysis = analyzer.latest() ?? analyzer.current();
      if (!analysis.documents.has(current.uri)) analysis = analyzer.current(); // opened since: its first analysis
      const analysed = analysis.documents.get(current.uri);
      const result = analysis.resultFor(current.uri);
      if (!analysed || !result) return [];
      const root = findProjectRoot(path);
      const only = result.agents.size === 1 ? [...result.agents.keys()][0] : undefined;
      return agentLenses({
        current,
        analysed,
        clientUri: uri,
        isChecked: (a) => result.agents.get(a.name.name)?.node === a,
        hasErrors: result.diagnostics.some((d) => d.severity === "error"),
        hasTests: (agent) => testFiles.filesFor(root, agent, only).length > 0,
        run: (agent) => ({ argv: agentRunArgv(root, path, agent), cwd: root }),
      });
    }),
  );

  connection.onExecuteCommand(
    guarded("executeCommand", log, (p) => {
      if (typeof p?.command !== "string") throw new ResponseError(ErrorCodes.InvalidParams, "`command` is missing");
      return commands.execute(p.command, p.arguments);
    }),
  );

  connection.onDocumentHighlight(
    guarded("documentHighlight", log, async (p, token) => {
      const s = await stateFor(p.textDocument?.uri, p.position ?? null, token);
      return s ? documentHighlights(navInputs(s)) : null;
    }),
  );

  /**
   * The document with the parse the analysis made of it (incremental: only the edited items are
   * parsed again), for features that read the tree but not the checker's results.
   */
  const parsedDoc = (uri: string): SourceDocument | undefined => {
    analyzer.current();
    return workspace.get(uri);
  };

  connection.onSelectionRanges(
    guarded("selectionRange", log, (p) => {
      const doc = parsedDoc(uriOf(p));
      if (!Array.isArray(p.positions)) throw new ResponseError(ErrorCodes.InvalidParams, "positions is missing");
      return doc
        ? selectionRanges(
            doc,
            p.positions.map((pos) => offsetAt(doc.lineMap, pos)),
          )
        : null;
    }),
  );

  connection.languages.inlayHint.on(
    guarded("inlayHint", log, async (p, token) => {
      const s = await stateFor(uriOf(p), undefined, token);
      if (!s || !p.range) return null;
      return inlayHints(
        s.doc,
        s.viewIsCurrent ? s.view : undefined,
        { start: offsetAt(s.doc.lineMap, p.range.start), end: offsetAt(s.doc.lineMap, p.range.end) },
        settings.inlayHints,
      );
    }),
  );

  // Pull diagnostics (LSP 3.17): the same diagnostics the server pushes, for the current text.
  const pullDiagnostics = guarded(
    "diagnostic",
    log,
    async (p: { textDocument?: { uri?: unknown } }, token: CancellationToken) => {
      const s = await stateFor(uriOf(p), undefined, token);
      const items = s
        ? analyzer.diagnosticsFor(s.doc.uri).map((d) => toLspDiagnostic(d, (u) => workspace.clientUri(u)))
        : [];
      return { kind: DocumentDiagnosticReportKind.Full, items } as const;
    },
  );
  connection.languages.diagnostics.on(async (p, token) => {
    const r = await pullDiagnostics(p, token);
    if (r instanceof ResponseError) throw r;
    return r;
  });

  connection.onCompletion(
    guarded("completion", log, async (p, token) => {
      const uri = uriOf(p);
      const doc = workspace.get(uri);
      if (!doc || !p.position) return stateFor(uri, p.position ?? null, token).then(() => null);
      const otherDocs = workspace.all().filter((d) => d.uri !== doc.uri);
      const options = { snippets };
      // Typing: while the last keystroke waits for analysis, complete against the last analysed
      // version of the document (offsets mapped through the small edit) instead of re-checking now.
      const offset = offsetAt(doc.lineMap, p.position);
      const stale = lastAnalysed(doc, offset);
      if (stale) {
        const site = completionSite(doc, offset);
        // A member access needs its receiver's type: the receiver must predate the edit.
        if (site.context.kind !== "member" || site.context.dot <= stale.edit.start)
          return completions(
            {
              doc,
              offset,
              otherDocs,
              view: stale.prev.viewFor(doc.uri),
              viewIsCurrent: true,
              options,
              semantic: { doc: stale.old, offset: stale.toOld },
            },
            site,
          );
      }
      const s = await stateFor(uri, p.position, token);
      return s ? completions({ ...s, otherDocs, options }) : null;
    }),
  );

  connection.onSignatureHelp(
    guarded("signatureHelp", log, async (p, token) => {
      const s = await stateFor(p.textDocument?.uri, p.position ?? null, token);
      if (!s) return null;
      return signatureHelp({ ...s, otherDocs: workspace.all().filter((d) => d.uri !== s.doc.uri) });
    }),
  );

  connection.onDefinition(
    guarded("definition", log, async (p, token) => {
      const s = await stateFor(p.textDocument?.uri, p.position ?? null, token);
      return s ? definition(navInputs(s)) : null;
    }),
  );

  connection.onReferences(
    guarded("references", log, async (p, token) => {
      const s = await stateFor(p.textDocument?.uri, p.position ?? null, token);
      return s ? references(navInputs(s), p.context?.includeDeclaration ?? true) : null;
    }),
  );

  connection.onPrepareRename(
    guarded("prepareRename", log, async (p, token) => {
      const s = await stateFor(p.textDocument?.uri, p.position ?? null, token);
      return s ? prepareRename(navInputs(s)) : null;
    }),
  );

  connection.onRenameRequest(
    guarded("rename", log, async (p, token) => {
      const s = await stateFor(p.textDocument?.uri, p.position ?? null, token);
      return s ? rename(navInputs(s), p.newName) : null;
    }),
  );

  connection.onCodeAction(
    guarded("codeAction", log, async (p, token) => {
      // Malformed params are the client's mistake (InvalidParams), never an InternalError.
      if (!p?.range?.start || !p.range.end || typeof p.context !== "object" || p.context === null)
        throw new ResponseError(ErrorCodes.InvalidParams, "codeAction needs `range` and `context`");
      const s = await stateFor(p.textDocument?.uri, undefined, token);
      if (!s) return null;
      return quickFixes(
        analyzer.diagnosticsFor(s.doc.uri),
        p.range,
        (u) => workspace.clientUri(u),
        p.context.only,
        s.doc.text,
      );
    }),
  );

  connection.onDocumentSymbol(
    guarded("documentSymbol", log, (p) => {
      const doc = parsedDoc(uriOf(p));
      return doc ? documentSymbols(doc) : null;
    }),
  );

  connection.onWorkspaceSymbol(
    guarded("workspaceSymbol", log, async (p, token) => {
      analyzer.current();
      const out = [];
      for (const doc of workspace.all()) {
        checkCancelled(token);
        out.push(...workspaceSymbolsOf(doc, p.query, workspace.clientUri(doc.uri)));
        if (out.length >= 1000) break;
      }
      return out;
    }),
  );

  connection.onFoldingRanges(
    guarded("foldingRange", log, (p) => {
      const doc = parsedDoc(uriOf(p));
      return doc ? foldingRanges(doc) : null;
    }),
  );

  const fullTokens = async (uri: string, token: CancellationToken) => {
    const s = await stateFor(uri, undefined, token);
    if (!s) return undefined;
    const { data } = semanticTokens(s.doc, s.viewIsCurrent ? s.view : undefined);
    const resultId = String(++tokensResult);
    lastTokens.set(s.doc.uri, { resultId, data });
    return { resultId, data };
  };
  connection.languages.semanticTokens.on(
    guarded("semanticTokens/full", log, async (p, token) => (await fullTokens(uriOf(p), token)) ?? { data: [] }),
  );
  connection.languages.semanticTokens.onDelta(
    guarded("semanticTokens/full/delta", log, async (p, token) => {
      const uri = uriOf(p);
      const previous = lastTokens.get(canonicalUri(uri));
      const next = await fullTokens(uri, token);
      if (!next) return { data: [] };
      if (!previous || previous.resultId !== p.previousResultId) return next;
      return { resultId: next.resultId, edits: semanticTokensEdits(previous.data, next.data) };
    }),
  );
  connection.languages.semanticTokens.onRange(
    guarded("semanticTokens/range", log, async (p, token) => {
      const s = await stateFor(uriOf(p), undefined, token);
      if (!s) return { data: [] };
      return semanticTokens(s.doc, s.viewIsCurrent ? s.view : undefined, {
        start: offsetAt(s.doc.lineMap, p.range.start),
        end: offsetAt(s.doc.lineMap, p.range.end),
      });
    }),
  );

  connection.onDocumentFormatting(
    guarded("formatting", log, async (p) => {
      const doc = workspace.get(uriOf(p));
      if (!doc) return null;
      const r = await formatDocument(doc);
      if ("error" in r) {
        connection.console.info(`${p.textDocument.uri}: ${r.error}`);
        return [];
      }
      // The document changed while formatting: these edits would apply to a different text.
      if (workspace.get(uriOf(p)) !== doc) return [];
      return r.edits;
    }),
  );

  connection.onShutdown(() => {
    publisher?.dispose();
    commands.dispose();
  });

  documents.listen(connection);
  connection.listen();
}

/** A Markdown hover as plain text, for clients that asked for it: fences and backticks removed. */
function plainTextHover(h: Hover): Hover {
  const c = h.contents as { kind?: string; value?: string };
  if (c.kind !== MarkupKind.Markdown || typeof c.value !== "string") return h;
  const value = c.value
    .replace(/^```[a-z]*\n?/gm, "")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/\*\*([^*]*)\*\*/g, "$1")
    .trim();
  return { ...h, contents: { kind: MarkupKind.PlainText, value } };
}
