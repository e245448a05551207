/**
 * `symbic build` throughput: the whole pipeline in memory (checker, policy analysis, Cedar
 * lowering, schema, strict validation with cedar-wasm, manifests, Kubernetes objects, IR,
 * hashing) on the 15 corpus agents (the reference project, bench/corpus.ts), and the
 * cost of Cedar validation per agent. Timed after warm-up, in CPU time (the machines are shared).
 *
 * The corpus project is built with the checker's findings not blocking, so every agent goes
 * through the emitter: agents whose policies the emitter rejects stop there and are counted.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildProject, projectPath, type BuildOutput } from "../compiler/emit/build.js";
import { collectSourceFiles } from "../compiler/project/files.js";
import { report, stats, timeSync } from "./harness.js";
import { repoRoot } from "./paths.js";
import { referenceProjectDir } from "./corpus.js";

function sourcesOf(projectDir: string, sub: string) {
  const dir = resolve(projectDir);
  const wanted = collectSourceFiles([join(dir, sub)]);
  const set = new Set(wanted.map((f) => resolve(f)));
  const read = (f: string) => ({ file: projectPath(dir, resolve(f)), bytes: readFileSync(f) });
  return {
    projectDir: dir,
    sources: wanted.map(read),
    otherSources: collectSourceFiles([dir])
      .filter((f) => !set.has(resolve(f)))
      .map(read),
  };
}

function agentsIn(out: BuildOutput): number {
  let n = 0;
  for (const t of out.texts.values()) n += (t.match(/^agent\s/gm) ?? []).length;
  return n;
}

export async function run(): Promise<void> {
  const root = repoRoot();
  const corpus = sourcesOf(referenceProjectDir(), "agents");
  const files = corpus.sources.length;

  let last: BuildOutput | undefined;
  const whole = timeSync(() => void (last = buildProject({ ...corpus, check: false })), 9, 2, { cpu: true });
  const agents = agentsIn(last!);
  // Per file, as `symbic build <file>` does: how many agents the emitter compiles completely.
  let compiled = 0;
  const validation: number[] = [];
  for (const s of corpus.sources) {
    const out = buildProject({
      ...corpus,
      sources: [s],
      otherSources: [...corpus.otherSources, ...corpus.sources.filter((x) => x !== s)],
      check: false,
    });
    for (const b of out.bundles) {
      compiled++;
      validation.push(b.cedarValidationMs);
    }
  }
  report(
    `build ${files} corpus files (${agents} agents, CPU time, whole pipeline)`,
    whole.median,
    "ms",
    { value: 1000, higherIsBetter: false },
    `(p95 ${whole.p95.toFixed(0)} ms; ${(agents / (whole.median / 1000)).toFixed(1)} agents/s; ${compiled} of ${agents} agents compile to bundles, the others stop at the emitter's errors)`,
  );

  const seed = sourcesOf(join(root, "examples/seed-policies"), "agents");
  let seedOut: BuildOutput | undefined;
  const seedT = timeSync(() => void (seedOut = buildProject(seed)), 15, 3, { cpu: true });
  const b = seedOut!.bundles[0]!;
  report(
    "build the seed-policies example (1 agent, 12 policies, checker blocking)",
    seedT.median,
    "ms",
    undefined,
    `(p95 ${seedT.p95.toFixed(1)} ms)`,
  );

  // Cedar strict validation alone, per agent: the cedar-wasm `validate` call the build makes
  // (CPU time of that call), for the corpus agents that compile and for the seed agent.
  for (let i = 0; i < 10; i++) validation.push(buildProject(seed).bundles[0]!.cedarValidationMs);
  const v = stats(validation);
  report(
    "Cedar strict validation per agent (CPU time)",
    v.median,
    "ms",
    { value: 20, higherIsBetter: false },
    `(median of ${v.runs} validations, p95 ${v.p95.toFixed(1)} ms; the seed agent alone: ${b.cedarValidationMs.toFixed(1)} ms)`,
  );
}
