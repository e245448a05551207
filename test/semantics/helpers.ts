/**
 * One program, one meaning: a project is checked (`symbic check`), built (`symbic build`) and run
 * (`symbi exec`) by the shipping code, so a test can state that the three agree.
 */
import { cpSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkFiles } from "../../compiler/pipeline/check-files.js";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { compileToBundles, CompileError } from "../../runtime/exec/compile.js";
import { execAgent, type ExecOptions, type ExecResult } from "../../runtime/exec/run.js";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** A fresh project folder with the quick start's tools (greet, factor) and `agent.symbi`. */
export function quickstartProject(source: string, extraTools: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "symbi-meaning-"));
  cpSync(join(ROOT, "examples/quickstart/tools"), join(dir, "tools"), { recursive: true });
  mkdirSync(join(dir, "tools"), { recursive: true });
  for (const [name, text] of Object.entries(extraTools)) writeFileSync(join(dir, "tools", `${name}.clad.toml`), text);
  writeFileSync(join(dir, "agent.symbi"), source);
  return dir;
}

export interface Outcome {
  check: Diagnostic[];
  /** Build diagnostics (empty when it built). */
  build: Diagnostic[];
  run?: ExecResult;
}

/** Checks, builds and (when it builds) runs the project's agent `agent` with `input`. */
export async function checkBuildRun(
  dir: string,
  agent: string,
  input: unknown,
  options: Partial<ExecOptions> = {},
): Promise<Outcome> {
  const check = checkFiles([dir]).diagnostics;
  let bundles;
  try {
    bundles = (await compileToBundles(join(dir, "agent.symbi"))).bundles;
  } catch (e) {
    if (e instanceof CompileError) return { check, build: [...e.diagnostics] };
    throw e;
  }
  const bundle = bundles.get(agent);
  if (!bundle) throw new Error(`no agent ${agent}`);
  const run = await execAgent({ bundle, input, onLog: () => {}, ...options });
  return { check, build: [], run };
}

export const codes = (ds: readonly Diagnostic[]) => ds.map((d) => `${d.code} ${d.span.line}:${d.span.col}`);
