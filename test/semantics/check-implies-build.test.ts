/**
 * "Check passes ⇒ build passes" (DESIGN §2), over every project of the repository: the examples
 * and the test fixtures. For each one `symbic check` accepts, `symbic build` of all its agents
 * must succeed — a construct the compiler cannot enforce faithfully is a checker error at its
 * range, never a surprise at build time.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { buildProject, projectPath } from "../../compiler/emit/build.js";
import { collectSourceFiles } from "../../compiler/project/files.js";
import { checkFiles } from "../../compiler/pipeline/check-files.js";
import { ROOT } from "./helpers.js";

/** Folders holding a project: a `tools/` folder or `.symbi` files, directly or in `agents/`. */
function projects(): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const isProject = names.includes("tools") || names.includes("agents") || names.some((n) => n.endsWith(".symbi"));
    if (isProject) {
      out.push(dir);
      return;
    }
    if (depth === 0) return;
    for (const n of names) if (statSync(join(dir, n)).isDirectory()) visit(join(dir, n), depth - 1);
  };
  visit(join(ROOT, "examples"), 1);
  for (const area of readdirSync(join(ROOT, "test"))) visit(join(ROOT, "test", area, "fixtures"), 2);
  return out.sort();
}

test("every example and fixture project that checks clean builds", () => {
  const all = projects();
  assert.ok(all.length >= 8, `projects found: ${all.map((p) => relative(ROOT, p)).join(", ")}`);
  const clean: string[] = [];
  for (const dir of all) {
    const errors = checkFiles([dir]).diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) continue;
    clean.push(relative(ROOT, dir));
    const projectDir = resolve(dir);
    const sources = collectSourceFiles([projectDir]).map((f) => ({
      file: projectPath(projectDir, resolve(f)),
      bytes: readFileSync(f),
    }));
    const built = buildProject({ projectDir, sources, compilerVersion: "test" });
    const buildErrors = built.diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => `${d.file}:${d.span.line}:${d.span.col} ${d.code} ${d.message}`);
    assert.equal(buildErrors, [], `${relative(ROOT, dir)} checks clean, so it must build`);
  }
  assert.ok(clean.length >= 5, `clean projects: ${clean.join(", ")}`);
});

test.run();
