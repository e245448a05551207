/**
 * The reference corpus for the benchmarks: read from `../shared` beside the repository (never
 * copied into it). A benchmark that needs it reports why it cannot run when it is absent.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

/** The corpus folder (`agents/`, `samples/`, ...). Throws a clear error when it is absent. */
export function corpusDir(): string {
  const dir = join(repoRoot(), "../shared/corpus/reference");
  if (!existsSync(join(dir, "agents")))
    throw new Error(`the reference corpus is not at ${dir} (../shared beside the repository)`);
  return dir;
}

/** The 15 corpus agents' texts, in name order. */
export function corpusAgentTexts(): string[] {
  const dir = join(corpusDir(), "agents");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".symbi"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

let project: string | undefined;

/** The reference project (test/fixtures/reference-project with the corpus agents in agents/), in a temporary folder. */
export function referenceProjectDir(): string {
  if (project) return project;
  const corpus = corpusDir();
  const dir = join(mkdtempSync(join(tmpdir(), "symbi-bench-reference-")), "reference-project");
  cpSync(join(repoRoot(), "test/fixtures/reference-project"), dir, { recursive: true });
  mkdirSync(join(dir, "agents"));
  for (const f of readdirSync(join(corpus, "agents")).filter((n) => n.endsWith(".symbi")))
    cpSync(join(corpus, "agents", f), join(dir, "agents", f));
  return (project = dir);
}
