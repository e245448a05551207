/**
 * Finding test files and building the projects they test. A test file belongs to the project
 * of its folder (compiler/project/root.ts: the nearest folder with `tools/` or `symbi.toml`);
 * each project is compiled once, in memory, with the compiler's build, and its bundles are
 * verified and loaded exactly as `symbi exec FILE.symbi` loads them (runtime/exec/compile.ts),
 * so the gate a test decides with is the one that would run.
 */
import { relative, resolve } from "node:path";
import { collectSourceFiles } from "../compiler/project/files.js";
import { membershipDiagnostics, projectMembers } from "../compiler/project/members.js";
import { findProjectRoot, isProjectRoot } from "../compiler/project/root.js";
import type { AgentBundle, BuildOutput } from "../compiler/emit/build.js";
import { compileProject, CompileError } from "../runtime/exec/compile.js";
import type { Bundle } from "../runtime/exec/bundle.js";
import type { Diagnostic } from "../compiler/diagnostics/model.js";

/** One project, built once for all the test files in it. */
export interface TestedProject {
  dir: string;
  /** Verified bundles by agent (what `symbi exec` would run). */
  bundles: Map<string, Bundle>;
  /** The compiler's view of each agent (action catalog, analysed policies) by agent. */
  compiled: Map<string, AgentBundle>;
  build: BuildOutput;
  /** Milliseconds the build took. */
  buildMs: number;
}

export type ProjectLoad =
  { ok: true; project: TestedProject } | { ok: false; diagnostics: Diagnostic[]; message: string };

/** The project folder of a test file. */
export function projectOf(testFile: string): string {
  return findProjectRoot(testFile);
}

/** Builds a project in memory. Compile errors come back as diagnostics (exit 3). */
export function loadProject(dir: string): ProjectLoad {
  const started = performance.now();
  // The sources `symbi exec` compiles for a file of this project (compiler/project/members.ts).
  const members = isProjectRoot(dir) ? projectMembers(dir) : undefined;
  const files = members ? [...members.files] : collectSourceFiles([dir]);
  if (files.length === 0)
    return { ok: false, diagnostics: [], message: `${dir}: the project has no .symbi sources to test` };
  try {
    // A nested project (E0030) is refused as `symbi exec` refuses it; its place is made
    // project-relative like the build's own diagnostics.
    const nested = members
      ? membershipDiagnostics(members, files.slice(0, 1)).map((d) => ({ ...d, file: relative(dir, resolve(d.file)) }))
      : [];
    const built = compileProject(dir, files, dir, nested);
    const compiled = new Map(built.build.bundles.map((b) => [b.agent, b]));
    return {
      ok: true,
      project: { dir, bundles: built.bundles, compiled, build: built.build, buildMs: performance.now() - started },
    };
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, diagnostics: [...e.diagnostics], message: e.message };
    throw e;
  }
}
