/**
 * How VS Code presents the language server's code-lens commands (lsp/features/commands.ts).
 * The server declares them (`executeCommandProvider`) and the language client registers them;
 * this middleware decides what a click shows: Cedar and explanations open as read-only virtual
 * documents, test runs as a notification (failures are diagnostics the server publishes), and
 * "Run agent" runs `symbi exec` in a terminal (after asking for the agent's input) instead of on
 * the server. The extension tells the server so with `initializationOptions.commandResults =
 * "client"`.
 */
import * as vscode from "vscode";
import type { Middleware } from "vscode-languageclient/node";

/** The scheme of the read-only documents that show Cedar and explanations. */
export const RESULT_SCHEME = "symbiont-result";

/** The texts of the result documents, by URI path. */
class ResultDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? "";
  }

  async show(name: string, text: string, language?: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: RESULT_SCHEME, path: `/${name}` });
    this.texts.set(uri.path, text);
    this.changed.fire(uri);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language)
      doc = await vscode.languages.setTextDocumentLanguage(doc, language).then(
        (d) => d,
        () => doc,
      );
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
}

interface RunAgentArgs {
  agent: string;
  argv: string[];
  cwd: string;
}

function isRunAgentArgs(a: unknown): a is RunAgentArgs {
  const o = a as Partial<RunAgentArgs> | undefined;
  return (
    typeof o?.agent === "string" &&
    typeof o.cwd === "string" &&
    Array.isArray(o.argv) &&
    o.argv.length > 0 &&
    o.argv.every((x) => typeof x === "string")
  );
}

/** "Run agent": `symbi exec` in a terminal of its own, started without a shell (nothing is quoted or expanded). */
async function runAgentInTerminal(args: unknown): Promise<void> {
  if (!isRunAgentArgs(args)) {
    void vscode.window.showErrorMessage("Run agent: the language server sent no command line for the agent.");
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("Run agent runs the project's code: trust this workspace first.");
    return;
  }
  const input = await vscode.window.showInputBox({
    title: `Run agent ${args.agent}`,
    prompt: "The agent's input as JSON (symbi exec --input); leave empty for none",
    placeHolder: '{"name": "Ada"}',
    validateInput: (v) => {
      if (v.trim() === "") return undefined;
      try {
        JSON.parse(v);
        return undefined;
      } catch (e) {
        return `not JSON: ${e instanceof Error ? e.message : String(e)}`;
      }
    },
  });
  if (input === undefined) return; // cancelled
  const argv = input.trim() === "" ? args.argv : [...args.argv, "--input", input];
  const terminal = vscode.window.createTerminal({
    name: `symbi exec ${args.agent}`,
    cwd: args.cwd,
    shellPath: argv[0],
    shellArgs: argv.slice(1),
  });
  terminal.show();
}

export function lensCommandsMiddleware(context: vscode.ExtensionContext): Middleware {
  const results = new ResultDocuments();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, results));
  return {
    executeCommand: async (command, args, next) => {
      if (command === "symbiont.runAgent") return runAgentInTerminal(args[0]);
      const r = (await next(command, args)) as
        | {
            ok?: boolean;
            message?: string;
            text?: string;
            agent?: string;
            failed?: number;
            problems?: number;
            usage?: string;
          }
        | undefined;
      if (!r) return r;
      if (r.ok === false) {
        void vscode.window.showErrorMessage(r.message ?? `${command} failed`);
        return r;
      }
      if (command === "symbiont.showCedar" && r.text !== undefined)
        await results.show(`${r.agent ?? "agent"}.cedar`, r.text, "cedar");
      else if (command === "symbiont.explain" && r.text !== undefined)
        await results.show(`explain-${Date.now()}.txt`, r.text);
      else if (command === "symbiont.runTests" && r.message !== undefined) {
        if ((r.failed ?? 0) > 0 || (r.problems ?? 0) > 0 || r.usage) void vscode.window.showErrorMessage(r.message);
        else void vscode.window.showInformationMessage(r.message);
      }
      return r;
    },
  };
}
