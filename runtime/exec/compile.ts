/**
 * `symbi exec FILE.symbi`: compiles the file's project in memory with the compiler's build
 * (compiler/emit/build.ts, the same code as `symbic build`) and verifies each result like a
 * bundle read from disk. The project is the file's project root (compiler/project/root.ts): its
 * tool contracts, and — when the root is marked by a `tools/` folder or `symbi.toml` — its member
 * files (compiler/project/members.ts), so names resolve across files as in `symbic build`. The agents defined
 * in FILE are the ones that can be run; the others are peers (`delegate` targets). Compile
 * errors are printed as the compiler prints them and the command fails with exit 3; nothing runs.
 * Cedar's strict validation of the policies is skipped for an input it passed before
 * (validation-memory.ts).
 */
import { resolve } from "node:path";
import { findProjectRoot, isProjectRoot } from "../../compiler/project/root.js";
import { readSourceBytes } from "../../compiler/project/files.js";
import { membershipDiagnostics, projectMembers } from "../../compiler/project/members.js";
import { buildProject, projectPath, type BuildOutput } from "../../compiler/emit/build.js";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { renderPretty } from "../../compiler/diagnostics/render.js";
import { hasErrors } from "../../compiler/diagnostics/model.js";
import { bundleFromFiles, type Bundle } from "./bundle.js";
import { CompileError } from "./compile-error.js";
import { validationMemory } from "./validation-memory.js";

export { CompileError };

export interface CompiledProject {
  /** Every agent of the project, verified. */
  bundles: Map<string, Bundle>;
  /** The agents defined in the file that was asked for. */
  inFile: string[];
}

/** A project compiled in memory: every agent's verified bundle, and the build itself (texts, diagnostics, compilations). */
export interface BuiltProject {
  projectDir: string;
  bundles: Map<string, Bundle>;
  build: BuildOutput;
}

/**
 * Compiles `files` (paths on disk) as the project in `projectDir`, in memory, with the
 * compiler's build, and verifies each bundle like one read from disk. Throws CompileError when
 * the project does not compile. `symbi exec FILE.symbi` and `symbic test` both compile this way.
 */
export function compileProject(
  projectDir: string,
  files: readonly string[],
  what: string,
  /** Problems found before the build (project membership: compiler/project/members.ts). */
  before: readonly Diagnostic[] = [],
): BuiltProject {
  const sources = [];
  for (const f of files) {
    try {
      sources.push({ file: projectPath(projectDir, resolve(f)), bytes: readSourceBytes(f) });
    } catch (e) {
      throw new CompileError((e as Error).message, "");
    }
  }
  // Policies validated before are not validated again (runtime/exec/validation-memory.ts).
  const memory = validationMemory();
  const out = buildProject({ projectDir, sources, ...(memory ? { validationMemory: memory } : {}) });
  const diagnostics = [...before, ...out.diagnostics];
  if (hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const rendered = renderPretty(errors, (f) => out.texts.get(f), { color: false });
    const first = errors[0]!;
    throw new CompileError(
      `${what} does not compile (${errors.length} error${errors.length === 1 ? "" : "s"} in its project; first: ${first.file}:${first.span.line}:${first.span.col}: ${first.message})`,
      rendered,
      errors,
    );
  }
  const bundles = new Map<string, Bundle>();
  for (const b of out.bundles) {
    const json = b.files.get("bundle.json");
    if (!json) throw new Error(`internal: the compiler produced no bundle.json for ${b.agent}`);
    bundles.set(
      b.agent,
      bundleFromFiles(json.toString("utf8"), b.files, `${what} (agent ${b.agent}, compiled in memory)`),
    );
  }
  return { projectDir, bundles, build: out };
}

export async function compileToBundles(file: string): Promise<CompiledProject> {
  const projectDir = findProjectRoot(file);
  const members = isProjectRoot(projectDir) ? projectMembers(projectDir) : undefined;
  const files = members ? [...members.files] : [file];
  if (!files.some((f) => resolve(f) === resolve(file))) files.push(file);
  const rel = projectPath(projectDir, resolve(file));
  // A nested project (E0030) is refused here as `symbic check` and `symbic build` refuse it.
  const built = compileProject(projectDir, files, file, members ? membershipDiagnostics(members, [file]) : []);
  const inFile = built.build.bundles.filter((b) => b.file === rel).map((b) => b.agent);
  return { bundles: built.bundles, inFile };
}
