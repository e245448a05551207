/**
 * Diagnostics as you type. Edits are debounced: each edit restarts a short timer, and when it
 * fires the server analyses the latest text only and publishes for every open document whose
 * version or diagnostics changed. Every publication carries the document version it describes,
 * so a client (or a test) can wait for the diagnostics of the version it sent.
 */
import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Connection,
  type Diagnostic as LspDiagnostic,
} from "vscode-languageserver";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { codeInfo } from "../../compiler/diagnostics/codes/index.js";
import { isContractPath } from "../../compiler/check/index.js";
import type { Analyzer } from "../core/analyzer.js";
import type { Workspace } from "../core/workspace.js";
import { spanToRange } from "../core/positions.js";

export const DIAGNOSTIC_SOURCE = "symbi";

const SEVERITY: Record<Diagnostic["severity"], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** Our diagnostic as the protocol's: notes and help become extra lines of the message. */
export function toLspDiagnostic(d: Diagnostic, clientUri: (uri: string) => string): LspDiagnostic {
  const lines = [d.message, ...(d.notes ?? []).map((n) => `note: ${n}`)];
  if (d.help) lines.push(`help: ${d.help}`);
  const out: LspDiagnostic = {
    range: spanToRange(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: DIAGNOSTIC_SOURCE,
    message: lines.join("\n"),
  };
  if (/unused|never used|unreachable/i.test(codeInfo(d.code).title)) out.tags = [DiagnosticTag.Unnecessary];
  if (d.related?.length) {
    out.relatedInformation = d.related.map((r) => ({
      location: { uri: clientUri(r.file), range: spanToRange(r.span) },
      message: r.message,
    }));
  }
  return out;
}

export class DiagnosticsPublisher {
  private timer: NodeJS.Timeout | undefined;
  /** What was last sent per URI, to skip identical re-publications. */
  private readonly sent = new Map<string, { version: number; diagnostics: LspDiagnostic[] }>();
  /** Contract files that currently have published diagnostics. */
  private contractUris = new Set<string>();
  /** The client pulls the diagnostics of open documents (`textDocument/diagnostic`). */
  private pull = false;
  private refresh: (() => void) | undefined;
  /** Called after each analysis the publisher made (the server refreshes code lenses). */
  afterAnalysis: () => void = () => {};

  constructor(
    private readonly connection: Connection,
    private readonly workspace: Workspace,
    private readonly analyzer: Analyzer,
    /** Quiet time after the last edit before analysing, in milliseconds. */
    private delayMs: number,
    private readonly log: (msg: string) => void,
  ) {}

  /** Open documents' diagnostics are pulled by the client; `refresh` asks it to pull again. */
  pullMode(pull: boolean, refresh: (() => void) | undefined): void {
    this.pull = pull;
    this.refresh = refresh;
  }

  /** The quiet time after an edit (the client's `symbiont.diagnosticsDelay` setting). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** An edit happened: (re)start the timer. */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.publishNow();
    }, this.delayMs);
  }

  /** Analyses the current state and publishes what changed. */
  publishNow(): void {
    try {
      const analysis = this.analyzer.current();
      if (this.pull) this.refresh?.();
      for (const doc of this.pull ? [] : this.workspace.openDocuments()) {
        const list = analysis.diagnostics.get(doc.uri) ?? [];
        const lsp = list.map((d) => toLspDiagnostic(d, (u) => this.workspace.clientUri(u)));
        // A new version is always published (clients wait for the version they sent); the same
        // version only when its diagnostics changed.
        const last = this.sent.get(doc.uri);
        if (last && last.version === doc.version && JSON.stringify(last.diagnostics) === JSON.stringify(lsp)) continue;
        this.sent.set(doc.uri, { version: doc.version, diagnostics: lsp });
        void this.connection.sendDiagnostics({
          uri: this.workspace.clientUri(doc.uri),
          version: doc.version,
          diagnostics: lsp,
        });
      }
      // Tool contracts are checked with the project (as by `symbic check`): their problems are
      // published too, and withdrawn once fixed.
      const contracts = new Set<string>();
      for (const [uri, list] of analysis.diagnostics) {
        if (!isContractPath(uri) || this.workspace.isOpen(uri)) continue;
        if (list.length > 0) contracts.add(uri);
      }
      for (const uri of new Set([...contracts, ...this.contractUris])) {
        const lsp = (analysis.diagnostics.get(uri) ?? []).map((d) =>
          toLspDiagnostic(d, (u) => this.workspace.clientUri(u)),
        );
        const last = this.sent.get(uri);
        if (last && JSON.stringify(last.diagnostics) === JSON.stringify(lsp)) continue;
        this.sent.set(uri, { version: -1, diagnostics: lsp });
        void this.connection.sendDiagnostics({ uri, diagnostics: lsp });
      }
      this.contractUris = contracts;
      this.afterAnalysis();
    } catch (err) {
      this.log(`analysis failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  /** A document was closed: its diagnostics go away in the editor. */
  clear(uri: string, clientUri: string): void {
    this.sent.delete(uri);
    void this.connection.sendDiagnostics({ uri: clientUri, diagnostics: [] });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
