/**
 * Running `symbi` from tests: spawned through its real entry point (as users run it), or its
 * main() in this process with stdout/stderr captured — each tsx start costs ~0.4 s, so most
 * CLI-contract tests use the in-process form.
 */
import { spawn } from "node:child_process";
import { main } from "../../runtime/cli/main.js";
import { REPO } from "./corpus.js";

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnSymbi(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", "runtime/cli/main.ts", ...args], {
      cwd: REPO,
      env: { ...process.env, SYMBI_DEBUG: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Runs main() in this process, capturing what it writes. Calls are serialized (the capture is global). */
let queue: Promise<unknown> = Promise.resolve();
export function symbi(...args: string[]): Promise<Run> {
  const run = queue.then(async () => {
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    let stdout = "";
    let stderr = "";
    process.stdout.write = ((chunk: string | Uint8Array) => (
      (stdout += String(chunk)),
      true
    )) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => (
      (stderr += String(chunk)),
      true
    )) as typeof process.stderr.write;
    try {
      const code = await main(["node", "symbi", ...args]);
      return { code, stdout, stderr };
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
  });
  queue = run.catch(() => undefined);
  return run;
}
