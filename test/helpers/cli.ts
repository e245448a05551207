/** Runs the CLIs from sources (through tsx) the way a user runs the built ones. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./corpus.js";

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** The tsx loader as a URL, so the CLI can run from any working directory. */
const TSX = import.meta.resolve("tsx");

export function runCli(
  cli: "symbic" | "symbi",
  args: string[],
  opts: { cwd?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): CliResult {
  const entry = cli === "symbic" ? "compiler/cli/main.ts" : "runtime/cli/main.ts";
  const r = spawnSync(process.execPath, ["--import", TSX, join(REPO, entry), ...args], {
    cwd: opts.cwd ?? REPO,
    input: opts.input ?? "",
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
