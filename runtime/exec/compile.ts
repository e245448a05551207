/**
 * `symbi exec FILE.symbi`: compiles the file's project in memory with the compiler's build
 * (compiler/emit/build.ts, the same code as `symbic build`) and verifies each result like a
 * bundle read from disk. The project is the file's project root (compiler/project/root.ts): its
 * tool contracts, and — when the root is marked by a `tools/` folder or `symbi.toml` — its member
 * files (compiler/project/members.ts), so names resolve across files as in `symbic build`. The agents defined
 * in FILE are the ones that can be run; the others are peers (`delegate` targets). Compile
 * errors are printed as the compiler prints them and the command fails with exit 3; nothing runs.
 */
import { resolve } from "node:path";
import { findProjectRoot, isProjectRoot } from "../../compiler/project/root.js";
import { readSourceBytes } from "../../compiler/project/files.js";
import { membershipDiagnostics, projectMembers } from "../../compiler/project/members.js";
import { buildProject, projectPath } from "../../compiler/emit/build.js";
import { renderPretty } from "../../compiler/diagnostics/render.js";
import { hasErrors } from "../../compiler/diagnostics/model.js";
import { bundleFromFiles, type Bundle } from "./bundle.js";
import { CompileError } from "./compile-error.js";

export { CompileError };

export interface CompiledProject {
  /** Every agent of the project, verified. */
  bundles: Map<string, Bundle>;
  /** The agents defined in the file that was asked for. */
  inFile: string[];
}

export async function compileToBundles(file: string): Promise<CompiledProject> {
  const projectDir = findProjectRoot(file);
  const members = isProjectRoot(projectDir) ? projectMembers(projectDir) : undefined;
  const files = members ? [...members.files] : [file];
  if (!files.some((f) => resolve(f) === resolve(file))) files.push(file);
  const sources = [];
  for (const f of files) {
    try {
      sources.push({ file: projectPath(projectDir, resolve(f)), bytes: readSourceBytes(f) });
    } catch (e) {
      throw new CompileError((e as Error).message, "");
    }
  }
  const rel = projectPath(projectDir, resolve(file));
  const out = buildProject({ projectDir, sources });
  // A nested project (E0030) is refused here as `symbic check` and `symbic build` refuse it.
  const diagnostics = [...(members ? membershipDiagnostics(members, [file]) : []), ...out.diagnostics];
  if (hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const rendered = renderPretty(errors, (f) => out.texts.get(f), { color: false });
    const first = errors[0]!;
    throw new CompileError(
      `${file} does not compile (${errors.length} error${errors.length === 1 ? "" : "s"} in its project; first: ${first.file}:${first.span.line}:${first.span.col}: ${first.message})`,
      rendered,
      errors,
    );
  }
  const bundles = new Map<string, Bundle>();
  const inFile: string[] = [];
  for (const b of out.bundles) {
    const json = b.files.get("bundle.json");
    if (!json) throw new Error(`internal: the compiler produced no bundle.json for ${b.agent}`);
    bundles.set(
      b.agent,
      bundleFromFiles(json.toString("utf8"), b.files, `${file} (agent ${b.agent}, compiled in memory)`),
    );
    if (b.file === rel) inFile.push(b.agent);
  }
  return { bundles, inFile };
}
