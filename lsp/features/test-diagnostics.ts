/**
 * Diagnostics of test files (`*.test.toml`): the file's own problems (E1000–E1010 found by
 * `symbic test`'s reader in the editor's text, on every change) and what the last "Run tests"
 * found there (failing cases at their lines, problems with names the built project does not
 * know). The results of a run stay until the file is edited or the next run.
 */
import type { Connection, Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { TestFiles } from "../core/test-files.js";
import { toLspDiagnostic } from "./diagnostics.js";
import { TEST_DIAGNOSTIC_SOURCE } from "./test-runs.js";

export class TestFileDiagnostics {
  private readonly runs = new Map<string, LspDiagnostic[]>();
  private readonly published = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly files: TestFiles,
    private readonly clientUri: (uri: string) => string,
  ) {}

  /** The file was opened or edited: its own problems now, and the last run's results are out of date. */
  edited(uri: string): void {
    this.runs.delete(uri);
    this.publish(uri);
  }

  /** The results of a run, by canonical URI (an empty list clears a file). */
  ran(results: ReadonlyMap<string, LspDiagnostic[]>): void {
    for (const [uri, list] of results) {
      if (list.length > 0) this.runs.set(uri, list);
      else this.runs.delete(uri);
      this.publish(uri);
    }
  }

  /** The file was closed: what remains is the last run's results, if any. */
  closed(uri: string): void {
    this.publish(uri);
  }

  private publish(uri: string): void {
    const open = this.files.isOpen(uri) ? this.files.get(uri) : undefined;
    const own = (open?.diagnostics ?? []).map((d) => ({
      ...toLspDiagnostic(d, this.clientUri),
      source: TEST_DIAGNOSTIC_SOURCE,
    }));
    const all = [...own, ...(this.runs.get(uri) ?? [])];
    if (all.length === 0 && !this.published.has(uri) && !open) return;
    if (all.length > 0) this.published.add(uri);
    else this.published.delete(uri);
    void this.connection.sendDiagnostics({
      uri: this.clientUri(uri),
      ...(open && open.version >= 0 ? { version: open.version } : {}),
      diagnostics: all,
    });
  }
}
