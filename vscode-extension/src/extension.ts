/**
 * The Symbiont VS Code extension: starts the bundled language server (server/main.js, Node,
 * `--stdio`) for `symbiont` documents. Highlighting, brackets, comments and snippets are static
 * contributions in package.json; everything semantic (diagnostics, hover, completion, navigation,
 * rename, symbols, folding, semantic tokens, signature help, formatting, code lenses on agents and
 * test cases) comes from the server; lens-commands.ts shows what the lenses' commands answer.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import {
  LANGUAGE_ID,
  SKILL_FILE_PATTERNS,
  TEST_FILE_PATTERN,
  WATCHED_FILE_GLOBS,
  resolveServerLaunch,
} from "./server-launch.js";
import { lensCommandsMiddleware } from "./lens-commands.js";

const CLIENT_ID = "symbiont"; // also the prefix of the `symbiont.trace.server` setting the client reads
const CLIENT_NAME = "Symbiont Language Server";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(output);

  context.subscriptions.push(
    vscode.commands.registerCommand("symbiont.restartServer", async () => {
      await stopClient();
      await startClient(context);
    }),
    vscode.commands.registerCommand("symbiont.showServerOutput", () => output?.show(true)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("symbiont.server")) {
        await stopClient();
        await startClient(context);
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      await stopClient();
      await startClient(context);
    }),
  );

  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("symbiont");
  const launch = resolveServerLaunch({
    configuredPath: config.get<string>("server.path"),
    extraArgs: config.get<unknown[]>("server.extraArgs"),
    bundledPath: context.asAbsolutePath("server/main.js"),
    workspaceRoot: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    workspaceTrusted: vscode.workspace.isTrusted,
    homeDir: os.homedir(),
    fileExists: (p) => fs.existsSync(p),
  });
  if (!launch.ok) {
    output?.appendLine(launch.message);
    void vscode.window.showErrorMessage(launch.message);
    return;
  }
  for (const note of launch.notes) output?.appendLine(note);
  output?.appendLine(`Starting ${launch.source} server: ${launch.module}`);

  const serverOptions: ServerOptions = {
    run: { module: launch.module, transport: TransportKind.stdio, args: launch.args },
    debug: {
      module: launch.module,
      transport: TransportKind.stdio,
      args: launch.args,
      options: { execArgv: ["--nolazy", "--inspect=6009"] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: LANGUAGE_ID },
      { scheme: "untitled", language: LANGUAGE_ID },
      ...SKILL_FILE_PATTERNS.map((pattern) => ({ scheme: "file", pattern })),
      // Policy tests: code lenses ("Explain", "Run tests"), hover and diagnostics on cases.
      { scheme: "file", pattern: TEST_FILE_PATTERN },
    ],
    // Code-lens results are shown here (virtual documents, a terminal), not by the server.
    initializationOptions: { commandResults: "client" },
    middleware: lensMiddleware(context),
    synchronize: {
      fileEvents: WATCHED_FILE_GLOBS.map((glob) => vscode.workspace.createFileSystemWatcher(glob)),
    },
    outputChannel: output,
  };

  const started = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = started;
  try {
    await started.start();
  } catch (err) {
    client = undefined;
    const message = `The Symbiont language server failed to start: ${err instanceof Error ? err.message : String(err)}`;
    output?.appendLine(message);
    void vscode.window.showErrorMessage(message, "Show Output").then((choice) => {
      if (choice) output?.show(true);
    });
  }
}

let middleware: ReturnType<typeof lensCommandsMiddleware> | undefined;

/** One middleware (and one virtual-document provider) for every start of the client. */
function lensMiddleware(context: vscode.ExtensionContext): ReturnType<typeof lensCommandsMiddleware> {
  return (middleware ??= lensCommandsMiddleware(context));
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.stop();
}
