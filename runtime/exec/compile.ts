/**
 * `symbi exec FILE.symbi`: compiles the file in memory with the compiler's build
 * (compiler/emit/build.ts, the same code as `symbic build`) and verifies the result like a
 * bundle read from disk. The project (tool contracts) is the file's project root
 * (compiler/project/root.ts). Compile errors are printed as the compiler prints them and the
 * command fails with exit 3; nothing runs.
 */
import { readFileSync } from "node:fs";
import { findProjectRoot } from "../../compiler/project/root.js";
import { buildProject, projectPath } from "../../compiler/emit/build.js";
import { renderPretty } from "../../compiler/diagnostics/render.js";
import { hasErrors } from "../../compiler/diagnostics/model.js";
import { ExitCode } from "../../compiler/cli/exit-codes.js";
import { bundleFromFiles, type Bundle } from "./bundle.js";

/** The source does not compile: the message holds the rendered diagnostics. */
export class CompileError extends Error {
  override readonly name = "CompileError";
  readonly exitCode = ExitCode.CheckFailed;
  constructor(
    message: string,
    /** The compiler's rendering (file:line:col, excerpt, help), printed as is by the CLI. */
    readonly rendered: string,
  ) {
    super(message);
  }
}

export async function compileToBundles(file: string): Promise<Map<string, Bundle>> {
  const projectDir = findProjectRoot(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CompileError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, "");
  }
  const rel = projectPath(projectDir, file);
  const out = buildProject({ projectDir, sources: [{ file: rel, bytes }] });
  if (hasErrors(out.diagnostics)) {
    const errors = out.diagnostics.filter((d) => d.severity === "error");
    const rendered = renderPretty(errors, (f) => out.texts.get(f), { color: false });
    const first = errors[0]!;
    throw new CompileError(`${file} does not compile (${errors.length} error${errors.length === 1 ? "" : "s"}; first: ${first.file}:${first.span.line}:${first.span.col}: ${first.message})`, rendered);
  }
  const bundles = new Map<string, Bundle>();
  for (const b of out.bundles) {
    const json = b.files.get("bundle.json");
    if (!json) throw new Error(`internal: the compiler produced no bundle.json for ${b.agent}`);
    bundles.set(b.agent, bundleFromFiles(json.toString("utf8"), b.files, `${file} (agent ${b.agent}, compiled in memory)`));
  }
  return bundles;
}
