/** Locations of the conformance corpus (shared/, beside the repository) and of the repo's examples. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** `shared/` sits beside the clone in CI and in development (../shared). */
export const SHARED =
  [join(REPO, "../shared"), "/work/shared"].find((p) => existsSync(join(p, "corpus"))) ?? join(REPO, "../shared");
export const CORPUS = join(SHARED, "corpus/reference");

export interface SourceFile {
  name: string;
  path: string;
  text: string;
}

function read(dir: string, filter: (f: string) => boolean): SourceFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter(filter)
    .sort()
    .map((name) => ({ name, path: join(dir, name), text: readFileSync(join(dir, name), "utf8") }));
}

export function corpusAgents(): SourceFile[] {
  return read(join(CORPUS, "agents"), (f) => f.endsWith(".symbi"));
}

export function corpusSamples(): SourceFile[] {
  return read(join(CORPUS, "samples"), (f) => f.endsWith(".dsl") || f.endsWith(".symbi"));
}

export function corpusFmtFixtures(): SourceFile[] {
  const dir = join(CORPUS, "fixtures/fmt");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((d) => read(join(dir, d), (f) => f.endsWith(".symbi")).map((s) => ({ ...s, name: `${d}/${s.name}` })));
}

/** Every .symbi/.dsl file under examples/ (recursively). */
export function exampleSources(): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else if (name.name.endsWith(".symbi") || name.name.endsWith(".dsl"))
        out.push({ name: p.slice(REPO.length + 1), path: p, text: readFileSync(p, "utf8") });
    }
  };
  walk(join(REPO, "examples"));
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The three policies of the seed document, extracted from its code blocks. */
export function seedPolicies(): Record<string, string> {
  const text = readFileSync(join(SHARED, "seed/security-model.ja.md"), "utf8");
  const out: Record<string, string> = {};
  for (const name of ["secure_data_access", "data_flow_control", "resource_governance"]) {
    const start = text.indexOf(`policy ${name} {`);
    if (start < 0) throw new Error(`seed policy ${name} not found`);
    const end = text.indexOf("```", start);
    out[name] = text.slice(start, end).trimEnd() + "\n";
  }
  return out;
}
