/**
 * Code lenses. Above each `agent` of a `.symbi` file: "Run agent", "Show Cedar" and, when the
 * project's test files have cases or agent tests for it, "Run tests". Above each case of a
 * `*.test.toml` file (and each row of a table-style case on its own line): "Explain"; at the top
 * of a test file: "Run tests".
 *
 * Lenses come from the last analysis the server made (never a re-check: while an edit waits for
 * analysis, the analysed version's agents are mapped into the current text, and an agent whose
 * header is being edited has none). A project with errors gets no agent lenses: its agents
 * neither build nor run. A test file that does not parse gets no lenses (its diagnostics say why).
 *
 * Every lens runs a command the server executes (`workspace/executeCommand`, commands.ts), so
 * every LSP editor can use them; the VS Code extension shows some results itself.
 */
import type { CodeLens, Position } from "vscode-languageserver";
import type { AgentDef } from "../../grammar/ast.js";
import type { SourceDocument } from "../core/document.js";
import { textDelta } from "../core/document.js";
import { positionAt } from "../core/positions.js";
import type { ParsedTestFile } from "../core/test-files.js";

/** The commands the lenses run (declared in executeCommandProvider). */
export const LENS_COMMANDS = {
  runAgent: "symbiont.runAgent",
  showCedar: "symbiont.showCedar",
  runTests: "symbiont.runTests",
  explain: "symbiont.explain",
} as const;

/** The arguments of the agent lenses' commands (one object). */
export interface AgentCommandArgs {
  /** The agent's file, as the client spelled its URI. */
  uri: string;
  agent: string;
  /** Run agent only: the command line that runs it, and the folder it runs in (the VS Code terminal uses them). */
  argv?: string[];
  cwd?: string;
}

export interface AgentLensInputs {
  /** The document as it is now, and the version the last analysis saw. */
  current: SourceDocument;
  analysed: SourceDocument;
  clientUri: string;
  /** The agents the checker knows in this project (duplicates and unchecked agents get no lenses). */
  isChecked: (agent: AgentDef) => boolean;
  /** The project (or this file) has errors: no agent lenses. */
  hasErrors: boolean;
  /** Whether the project's tests have something for the agent. */
  hasTests: (agent: string) => boolean;
  /** The command line and folder of a run. */
  run: (agent: string) => { argv: string[]; cwd: string };
}

export function agentLenses(i: AgentLensInputs): CodeLens[] {
  if (i.hasErrors) return [];
  if (i.analysed.parse.diagnostics.some((d) => d.severity === "error")) return [];
  const edit = i.analysed === i.current ? undefined : textDelta(i.analysed.text, i.current.text);
  const toCurrent = (o: number): number | undefined => {
    if (!edit || o <= edit.start) return o;
    if (o >= edit.oldEnd) return o - edit.oldEnd + edit.newEnd;
    return undefined;
  };
  const out: CodeLens[] = [];
  for (const item of i.analysed.program.items) {
    if (item.kind !== "Agent" || !i.isChecked(item)) continue;
    const start = toCurrent(item.span.start);
    const nameEnd = toCurrent(item.name.span.end);
    if (start === undefined || nameEnd === undefined) continue;
    const at: Position = positionAt(i.current.lineMap, start);
    const range = { start: at, end: at };
    const agent = item.name.name;
    const args: AgentCommandArgs = { uri: i.clientUri, agent };
    out.push({
      range,
      command: { title: "Run agent", command: LENS_COMMANDS.runAgent, arguments: [{ ...args, ...i.run(agent) }] },
    });
    out.push({ range, command: { title: "Show Cedar", command: LENS_COMMANDS.showCedar, arguments: [args] } });
    if (i.hasTests(agent))
      out.push({ range, command: { title: "Run tests", command: LENS_COMMANDS.runTests, arguments: [args] } });
  }
  return out;
}

/** The arguments of "Explain": the test file and the 1-based line of the case (as `symbic explain FILE:LINE`). */
export interface ExplainArgs {
  uri: string;
  line: number;
}

export function testFileLenses(f: ParsedTestFile, clientUri: string): CodeLens[] {
  if (!f.file) return [];
  const out: CodeLens[] = [];
  const lineRange = (line: number) => {
    const at = { line: Math.max(0, line - 1), character: 0 };
    return { start: at, end: at };
  };
  const first = Math.min(...[...f.file.cases, ...f.file.runs].map((c) => c.place.span.line));
  if (Number.isFinite(first))
    out.push({
      range: lineRange(first),
      command: { title: "Run tests", command: LENS_COMMANDS.runTests, arguments: [{ uri: clientUri }] },
    });
  const seen = new Set<number>();
  for (const c of f.file.cases) {
    const line = (c.row?.place ?? c.place).span.line;
    if (seen.has(line)) continue;
    seen.add(line);
    const args: ExplainArgs = { uri: clientUri, line };
    out.push({
      range: lineRange(line),
      command: {
        title: c.row ? `Explain row ${c.row.index + 1}` : "Explain",
        command: LENS_COMMANDS.explain,
        arguments: [args],
      },
    });
  }
  return out;
}
