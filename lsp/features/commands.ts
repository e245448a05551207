/**
 * The commands behind the code lenses (`workspace/executeCommand`, code-lens.ts), run by the
 * server so that every LSP editor has them:
 *
 * | command | arguments (one object) | does | answers |
 * |---|---|---|---|
 * | `symbiont.showCedar` | `{ uri, agent }` | the Cedar `symbic build` writes for the agent (cedar-preview.ts) | `{ agent, policy, approval?, text }` |
 * | `symbiont.runTests` | `{ uri, agent }` or `{ uri }` of a test file | `symbic test`'s code on the agent's test files (test-runs.ts) | counts and each case's outcome |
 * | `symbiont.explain` | `{ uri, line }` (test file, 1-based line) | `symbic explain FILE:LINE`'s code (explain.ts) | `{ ok, text, markdown, explained }` |
 * | `symbiont.runAgent` | `{ uri, agent, input? }` | starts `symbi exec` (agent-exec.ts) | `{ started, argv }`; the end is reported |
 *
 * How results reach people: failures of a test run are diagnostics in the test files; counts,
 * the end of an agent run and problems are `window/showMessage` (details in
 * `window/logMessage`); Cedar and explanations are written to a read-only file in a temporary
 * folder that the client is asked to show (`window/showDocument`), or, for clients without
 * it, shown as a message. A client that presents results itself (the VS Code extension, with
 * virtual documents and a terminal) says so with `initializationOptions.commandResults =
 * "client"`: the server then only answers.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { ErrorCodes, MessageType, ResponseError, type Connection } from "vscode-languageserver";
import { findProjectRoot } from "../../compiler/project/root.js";
import type { CheckResult } from "../../compiler/check/index.js";
import type { Analyzer } from "../core/analyzer.js";
import type { Workspace } from "../core/workspace.js";
import { isTestFilePath, type TestFiles } from "../core/test-files.js";
import { canonicalUri, pathToUri, uriToPath } from "../core/uri.js";
import { cedarForAgent } from "./cedar-preview.js";
import { LENS_COMMANDS } from "./code-lens.js";
import { Explainer, explanationFileName } from "./explain.js";
import { runTestFiles, testFileProblems } from "./test-runs.js";
import type { TestFileDiagnostics } from "./test-diagnostics.js";
import { AgentRuns, agentRunArgv, type AgentRunEnd } from "./agent-exec.js";

/** An agent's name as the grammar spells it (never an option: it is passed on a command line). */
const AGENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The largest `--input` accepted from a client. */
const MAX_INPUT_CHARS = 1024 * 1024;

export interface CommandContext {
  connection: Connection;
  workspace: Workspace;
  analyzer: Analyzer;
  testFiles: TestFiles;
  testDiagnostics: TestFileDiagnostics;
  explainer: Explainer;
  /** The client shows results itself (`initializationOptions.commandResults = "client"`). */
  clientPresents: () => boolean;
  /** The client supports `window/showDocument`. */
  showDocument: () => boolean;
  /** Lenses may have changed (a run published results). */
  refreshLenses: () => void;
  log: (msg: string) => void;
}

function argObject(args: unknown[] | undefined): Record<string, unknown> {
  const a = args?.[0];
  if (typeof a !== "object" || a === null || Array.isArray(a))
    throw new ResponseError(ErrorCodes.InvalidParams, "the command takes one object argument");
  return a as Record<string, unknown>;
}

function fileArg(a: Record<string, unknown>): { uri: string; path: string } {
  if (typeof a.uri !== "string") throw new ResponseError(ErrorCodes.InvalidParams, "`uri` must be a string");
  const path = uriToPath(a.uri);
  if (!path) throw new ResponseError(ErrorCodes.InvalidParams, `\`uri\` must be a file URI: ${a.uri}`);
  return { uri: a.uri, path };
}

function agentArg(a: Record<string, unknown>): string {
  if (typeof a.agent !== "string" || !AGENT_NAME.test(a.agent))
    throw new ResponseError(ErrorCodes.InvalidParams, "`agent` must be an agent's name");
  return a.agent;
}

/** The project's errors, in one line, or undefined when it has none. */
function projectErrors(result: CheckResult | undefined): string | undefined {
  if (!result) return "the project could not be checked";
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) return undefined;
  return `the project has ${errors.length} error${errors.length === 1 ? "" : "s"} (first: ${errors[0]!.code} ${errors[0]!.message})`;
}

export class LensCommands {
  private readonly runs = new AgentRuns();
  private tempDir: string | undefined;

  constructor(private readonly c: CommandContext) {}

  static readonly commands: readonly string[] = Object.values(LENS_COMMANDS);

  async execute(command: string, args: unknown[] | undefined): Promise<unknown> {
    switch (command) {
      case LENS_COMMANDS.showCedar:
        return this.showCedar(argObject(args));
      case LENS_COMMANDS.runTests:
        return this.runTests(argObject(args));
      case LENS_COMMANDS.explain:
        return this.explain(argObject(args));
      case LENS_COMMANDS.runAgent:
        return this.runAgent(argObject(args));
      default:
        throw new ResponseError(ErrorCodes.InvalidParams, `unknown command: ${command}`);
    }
  }

  private showCedar(a: Record<string, unknown>) {
    const { uri } = fileArg(a);
    const agent = agentArg(a);
    const analysis = this.c.analyzer.current();
    const key = canonicalUri(uri);
    const result = analysis.resultFor(key);
    const problem = analysis.documents.has(key) ? projectErrors(result) : "the file is not part of an open project";
    if (problem) return this.fail(`Show Cedar (${agent}): ${problem}`);
    const cedar = cedarForAgent(
      result,
      agent,
      (file) => this.c.workspace.get(file)?.text ?? result?.files.get(file)?.text,
      (file) => this.c.analyzer.projectRelative(file),
    );
    if (!cedar) return this.fail(`Show Cedar: no agent \`${agent}\` with policies that compile in this project`);
    const text = cedar.approval ? `${cedar.policy}\n${cedar.approval}` : cedar.policy;
    this.present(`${agent}.cedar`, text);
    return { ...cedar, text };
  }

  private async runTests(a: Record<string, unknown>) {
    const { uri, path } = fileArg(a);
    let paths: string[];
    let agent: string | undefined;
    if (isTestFilePath(path)) paths = [path];
    else {
      agent = agentArg(a);
      const result = this.c.analyzer.latest()?.resultFor(canonicalUri(uri));
      const only = result && result.agents.size === 1 ? [...result.agents.keys()][0] : undefined;
      paths = this.c.testFiles.filesFor(findProjectRoot(path), agent, only);
    }
    const unsaved = this.unsaved(findProjectRoot(path));
    const outcome = await runTestFiles(paths, agent, (u) => this.c.testFiles.get(u)?.text);
    this.c.testDiagnostics.ran(outcome.diagnostics);
    const s = outcome.summary;
    const message =
      unsaved.length > 0 ? `${s.message} (unsaved changes not included: ${unsaved.join(", ")})` : s.message;
    if (!this.c.clientPresents())
      void this.c.connection.sendNotification("window/showMessage", {
        type: s.usage || s.problems > 0 || s.failed > 0 ? MessageType.Error : MessageType.Info,
        message,
      });
    this.c.log(message);
    this.c.refreshLenses();
    return { ...s, message };
  }

  private async explain(a: Record<string, unknown>) {
    const { uri, path } = fileArg(a);
    if (typeof a.line !== "number" || !Number.isInteger(a.line) || a.line < 1)
      throw new ResponseError(ErrorCodes.InvalidParams, "`line` must be a line number (1-based)");
    const text = this.c.testFiles.get(uri)?.text;
    if (text === undefined) return this.fail(`Explain: ${path} cannot be read`);
    const out = await this.c.explainer.explain(path, a.line, text);
    if (!out.ok) {
      // Names the built project does not know (E1004–E1010): shown in the test file too.
      this.c.testDiagnostics.ran(testFileProblems(out.diagnostics));
      return this.fail(`Explain: ${out.message}`);
    }
    this.present(explanationFileName(out.explained), out.text);
    return out;
  }

  private runAgent(a: Record<string, unknown>) {
    const { path } = fileArg(a);
    const agent = agentArg(a);
    if (a.input !== undefined && (typeof a.input !== "string" || a.input.length > MAX_INPUT_CHARS))
      throw new ResponseError(ErrorCodes.InvalidParams, "`input` must be a JSON text (a string)");
    const input = a.input as string | undefined;
    const root = findProjectRoot(path);
    const key = `${path}\0${agent}`;
    if (this.runs.isRunning(key)) return this.fail(`Run agent: ${agent} is already running`);
    const argv = agentRunArgv(root, path, agent, input);
    this.c.log(`run agent ${agent}: ${argv.join(" ")} (in ${root})`);
    this.runs.start(key, agent, argv, root, (end) => this.reportRun(end));
    return { started: true, argv, cwd: root };
  }

  private reportRun(end: AgentRunEnd): void {
    const output = [end.stdout.trim(), end.stderr.trim()].filter((s) => s !== "").join("\n");
    this.c.log(`symbi exec ${end.agent} ended (${end.startError ?? `exit ${end.code ?? end.signal}`})\n${output}`);
    const message = end.startError
      ? `Run agent ${end.agent}: symbi could not be started (${end.startError}); install the toolchain in the project (npm install symbiont-toolchain) or put symbi on the PATH`
      : end.code === 0
        ? `Run agent ${end.agent}: finished\n${end.stdout.trim()}`
        : `Run agent ${end.agent}: exit ${end.code ?? end.signal}\n${(end.stderr.trim() || end.stdout.trim()).split("\n").slice(0, 20).join("\n")}`;
    void this.c.connection.sendNotification("window/showMessage", {
      type: !end.startError && end.code === 0 ? MessageType.Info : MessageType.Error,
      message,
    });
  }

  /** Open documents of the project whose text differs from the saved file (runs read the saved files). */
  private unsaved(root: string): string[] {
    const out: string[] = [];
    const docs = [...this.c.workspace.openDocuments(), ...this.c.testFiles.openFiles()];
    for (const d of docs) {
      const p = uriToPath(d.uri);
      if (!p || !p.startsWith(root + sep)) continue;
      let saved: string | undefined;
      try {
        saved = readFileSync(p, "utf8");
      } catch {
        saved = undefined;
      }
      if (saved !== d.text) out.push(relative(root, p).split(sep).join("/"));
    }
    return out;
  }

  /** A problem the person asked about: shown (unless the client presents) and answered. */
  private fail(message: string): { ok: false; message: string } {
    if (!this.c.clientPresents())
      void this.c.connection.sendNotification("window/showMessage", { type: MessageType.Error, message });
    return { ok: false, message };
  }

  /** Shows a result as a read-only document (or a message), unless the client presents it. */
  private present(name: string, text: string): void {
    if (this.c.clientPresents()) return;
    if (!this.c.showDocument()) {
      void this.c.connection.sendNotification("window/showMessage", { type: MessageType.Info, message: text });
      return;
    }
    try {
      this.tempDir ??= mkdtempSync(join(tmpdir(), "symbi-lsp-"));
      const file = join(this.tempDir, name.replace(/[^A-Za-z0-9._-]/g, "_"));
      rmSync(file, { force: true });
      writeFileSync(file, text, { mode: 0o444 });
      chmodSync(file, 0o444);
      void this.c.connection.window
        .showDocument({ uri: pathToUri(file), takeFocus: true })
        .catch((e: unknown) => this.c.log(`showDocument failed: ${String(e)}`));
    } catch (e) {
      this.c.log(`could not write ${name}: ${String(e)}`);
      void this.c.connection.sendNotification("window/showMessage", { type: MessageType.Info, message: text });
    }
  }

  /** The server is stopping: end agent runs, remove shown files. */
  dispose(): void {
    this.runs.stopAll();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
