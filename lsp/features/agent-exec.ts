/**
 * "Run agent": `symbi exec FILE --agent NAME [--input JSON]`, the runtime's own command, in a
 * child process (the language server never runs an agent in its own process, and does not
 * import the runtime).
 *
 * Which `symbi` runs, first found wins:
 *   1. the one of this toolchain, beside the server, run with this Node: built, the bundled CLI
 *      users run (`cli/symbi.js` next to `lsp/`, the package's `bin`); from sources,
 *      `runtime/cli/main.ts` with this Node's `--import` loaders;
 *   2. the project's own, `node_modules/.bin/symbi` in the project root or a folder above;
 *   3. `symbi` on the PATH.
 * The VS Code extension runs the same command line in a terminal (the lens carries it); other
 * editors ask the server (`workspace/executeCommand`), which starts it and reports the end
 * through `window/showMessage` and the output through `window/logMessage`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What is kept of a run's stdout and stderr each (the rest is counted, not kept). */
const MAX_OUTPUT_BYTES = 256 * 1024;

/** The argument vector that starts `symbi` for a project (see the module comment for the order). */
export function symbiCommand(projectRoot: string, here = fileURLToPath(import.meta.url)): string[] {
  const ext = here.endsWith(".ts") ? ".ts" : ".js";
  const toolchain = join(dirname(here), "..", "..");
  const bundled = join(toolchain, "cli", "symbi.js");
  if (ext === ".js" && existsSync(bundled)) return [process.execPath, bundled];
  const sibling = join(toolchain, "runtime", "cli", `main${ext}`);
  if (existsSync(sibling)) return [process.execPath, ...loaderArgs(process.execArgv), sibling];
  for (let dir = projectRoot; ; dir = dirname(dir)) {
    const bin = join(dir, "node_modules", ".bin", process.platform === "win32" ? "symbi.cmd" : "symbi");
    if (existsSync(bin)) return [bin];
    if (dirname(dir) === dir) break;
  }
  return ["symbi"];
}

/** The `--import`/`--loader` options of this Node (a server run from sources runs `symbi` from sources too). */
function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if ((a === "--import" || a === "--loader" || a === "--experimental-loader") && i + 1 < execArgv.length)
      out.push(a, execArgv[++i]!);
    else if (/^--(import|loader|experimental-loader)=/.test(a)) out.push(a);
  }
  return out;
}

/** The full command line of a run (what the VS Code terminal runs, and what the server spawns). */
export function agentRunArgv(projectRoot: string, file: string, agent: string, input?: string): string[] {
  return [
    ...symbiCommand(projectRoot),
    "exec",
    file,
    "--agent",
    agent,
    ...(input !== undefined ? ["--input", input] : []),
  ];
}

export interface AgentRunEnd {
  agent: string;
  /** The exit code (null when killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The program could not be started (ENOENT: no `symbi`). */
  startError?: string;
}

/** The runs in progress, one per agent and file; all are ended when the server stops. */
export class AgentRuns {
  private readonly running = new Map<string, ChildProcess>();

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** Starts a run; `done` is called once when it ends. */
  start(key: string, agent: string, argv: readonly string[], cwd: string, done: (end: AgentRunEnd) => void): void {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"], shell: false });
    this.running.set(key, child);
    const out = { stdout: collector(), stderr: collector() };
    child.stdout!.on("data", (d: Buffer) => out.stdout.add(d));
    child.stderr!.on("data", (d: Buffer) => out.stderr.add(d));
    let finished = false;
    const finish = (end: Omit<AgentRunEnd, "agent" | "stdout" | "stderr">) => {
      if (finished) return;
      finished = true;
      this.running.delete(key);
      done({ agent, stdout: out.stdout.text(), stderr: out.stderr.text(), ...end });
    };
    child.on("error", (e) => finish({ code: null, signal: null, startError: e.message }));
    child.on("close", (code, signal) => finish({ code, signal }));
  }

  /** Ends every run (the server is shutting down). */
  stopAll(): void {
    for (const c of this.running.values()) c.kill("SIGTERM");
    this.running.clear();
  }
}

function collector() {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  return {
    add(d: Buffer) {
      const room = MAX_OUTPUT_BYTES - kept;
      if (room > 0) {
        const part = d.subarray(0, room);
        chunks.push(part);
        kept += part.length;
      }
      dropped += Math.max(0, d.length - Math.max(0, room));
    },
    text() {
      const t = Buffer.concat(chunks).toString("utf8");
      return dropped > 0 ? `${t}\n… (${dropped} more bytes not kept)` : t;
    },
  };
}
