/**
 * The conformance corpus — the reference implementation's files, read from `../shared` beside
 * the clone (never copied into the repository) — and the repo's own examples. Tests that need the
 * corpus skip visibly when it is absent (`corpusMissing`).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** `shared/` sits beside the clone, in CI and in development. */
export const SHARED = join(REPO, "../shared");
export const CORPUS = join(SHARED, "corpus/reference");

/** Why corpus tests cannot run here, or null. Tests print it and declare themselves with `test.skip`. */
export const corpusMissing: string | null = existsSync(join(CORPUS, "agents"))
  ? null
  : `the reference corpus is not at ${CORPUS} (../shared beside the repository)`;

let referenceDir: string | undefined;

/**
 * The reference project assembled for a test run: the 15 corpus agents (from the shared
 * corpus, as they are) in `agents/`, with the contracts, types and helpers this team wrote for
 * them (test/fixtures/reference-project). Undefined when the corpus is absent.
 */
export function referenceProject(): string | undefined {
  if (corpusMissing !== null) return undefined;
  if (referenceDir) return referenceDir;
  const dir = join(mkdtempSync(join(tmpdir(), "symbi-reference-")), "reference-project");
  cpSync(join(REPO, "test/fixtures/reference-project"), dir, { recursive: true });
  mkdirSync(join(dir, "agents"));
  for (const f of readdirSync(join(CORPUS, "agents")).filter((n) => n.endsWith(".symbi")))
    cpSync(join(CORPUS, "agents", f), join(dir, "agents", f));
  return (referenceDir = dir);
}

/**
 * `text` with the audit settings symbi refuses (E0311: `alert_on_*`, and `include_<item>` the
 * log has no field for) blanked, line for line: they decide nothing, and blanking them keeps
 * the reference agents that use them buildable for tests about decisions.
 */
export function withoutRefusedAuditSettings(text: string): string {
  return text.replace(
    /^[ \t]*(alert_on_\w+[ \t]*:[ \t]*(true|false)|include_(?!input\b|output\b)\w+[ \t]*:[ \t]*true)[ \t]*,?[ \t]*(\/\/.*)?$/gm,
    "",
  );
}

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

/** Every .symbi/.dsl file this team wrote as an example: examples/ and the reference project's helpers. */
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
  walk(join(REPO, "test/fixtures/reference-project"));
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

const SEED_DOCUMENT = join(SHARED, "seed/security-model.ja.md");

/** The three policies of the seed document, extracted from its code blocks; none where ../shared is absent. */
export function seedPolicies(): Record<string, string> {
  if (!existsSync(SEED_DOCUMENT)) return {};
  const text = readFileSync(SEED_DOCUMENT, "utf8");
  const out: Record<string, string> = {};
  for (const name of ["secure_data_access", "data_flow_control", "resource_governance"]) {
    const start = text.indexOf(`policy ${name} {`);
    if (start < 0) throw new Error(`seed policy ${name} not found`);
    const end = text.indexOf("```", start);
    out[name] = text.slice(start, end).trimEnd() + "\n";
  }
  return out;
}
