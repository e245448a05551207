/**
 * Seeded mutation fuzz of `symbic parse`, `check` and `fmt` (issue 11): FUZZ_MUTATIONS
 * (default 20,000) mutations of the example files and of the reference corpus
 * (../shared/corpus, when present) go through the parser, the checker and the formatter
 * (worker.ts says what is checked). Zero crashes, zero hangs: a worker that makes no progress
 * for HANG_MS is terminated and its mutation reported as a hang, and the whole run has a time
 * budget, so this test ends whatever the code under test does.
 *
 *   FUZZ_SEED=n         another seed (default 11; CI keeps the default so runs compare)
 *   FUZZ_MUTATIONS=n    how many mutations
 *   FUZZ_ONLY=i         just mutation i (reproduce a failure; FUZZ_DUMP=file writes its bytes)
 *   FUZZ_WORKERS=n      worker threads (default: 2, or 1 on a single core)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { availableParallelism } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { corpusAgents, corpusFmtFixtures, corpusSamples, CORPUS, exampleSources, REPO } from "../helpers/corpus.js";
import { mutation, prepareInputs } from "./mutate.js";
import { FMT_BROKEN_EVERY, STAGES, type Failure, type WorkerJob, type WorkerStats } from "./protocol.js";

const SEED = Number(process.env["FUZZ_SEED"] ?? 11);
const ONLY = process.env["FUZZ_ONLY"] === undefined ? undefined : Number(process.env["FUZZ_ONLY"]);
const COUNT = ONLY !== undefined ? 1 : Number(process.env["FUZZ_MUTATIONS"] ?? 20_000);
const WORKERS = Math.max(1, Number(process.env["FUZZ_WORKERS"] ?? Math.min(2, availableParallelism())));
/** A mutation that runs this long is a hang (a normal one takes about a millisecond). */
const HANG_MS = 15_000;
/** The whole run's budget: far above the ~1 minute of CPU it takes, so it only ends a runaway. */
const BUDGET_MS = 8 * 60_000;

const corpus = [...corpusAgents(), ...corpusSamples(), ...corpusFmtFixtures()];
const inputs = prepareInputs([...exampleSources(), ...corpus.map((f) => ({ name: `corpus/${f.name}`, text: f.text }))]);

/** Loads worker.ts in a worker thread through the same TypeScript loader as this test. */
function startWorker(job: WorkerJob): Worker {
  const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./worker.ts", import.meta.url).href)}); })`;
  return new Worker(boot, { eval: true, workerData: job });
}

interface Outcome {
  failures: Failure[];
  hangs: Array<{ index: number; stage: string }>;
  stats: WorkerStats[];
  overBudget: boolean;
}

/** Runs [from, to) on one worker, restarting after a hang, until done or out of budget. */
async function runRange(from: number, to: number, deadline: number, out: Outcome): Promise<void> {
  while (from < to) {
    const progress = new SharedArrayBuffer(12);
    const counters = new Int32Array(progress);
    counters[0] = from;
    const worker = startWorker({
      seed: SEED,
      from,
      to,
      inputs,
      projectRoot: join(REPO, "test/fixtures/reference-project"),
      progress,
    });
    const result = await new Promise<{ hungAt?: number }>((resolve) => {
      let last = -1;
      let lastChange = Date.now();
      const timer = setInterval(() => {
        const done = Atomics.load(counters, 2);
        if (done !== last) {
          last = done;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > HANG_MS || Date.now() > deadline) {
          clearInterval(timer);
          const index = Atomics.load(counters, 0);
          if (Date.now() > deadline) out.overBudget = true;
          else out.hangs.push({ index, stage: STAGES[Atomics.load(counters, 1)] ?? "?" });
          void worker.terminate().then(() => resolve({ hungAt: index }));
        }
      }, 250);
      worker.on("message", (m: { type: string; failure?: Failure; stats?: WorkerStats }) => {
        if (m.type === "failure") out.failures.push(m.failure!);
        else if (m.type === "done") {
          out.stats.push(m.stats!);
          clearInterval(timer);
          void worker.terminate().then(() => resolve({}));
        }
      });
      worker.on("error", (e) => {
        out.failures.push({ index: Atomics.load(counters, 0), stage: "parse", problem: `worker died: ${e.stack}` });
        clearInterval(timer);
        resolve({ hungAt: Atomics.load(counters, 0) });
      });
    });
    if (result.hungAt === undefined || out.overBudget) return;
    from = result.hungAt + 1;
  }
}

function report(index: number, stage: string, problem: string): string {
  const m = mutation(SEED, index, inputs);
  if (process.env["FUZZ_DUMP"] && ONLY !== undefined) writeFileSync(process.env["FUZZ_DUMP"], m.bytes);
  const text = Buffer.from(m.bytes).toString("utf8");
  const excerpt = text.length > 600 ? `${text.slice(0, 400)} … ${text.slice(-150)}` : text;
  return `mutation ${index} (FUZZ_SEED=${SEED} FUZZ_ONLY=${index}), ${stage}: ${problem}\n  from ${m.origin}: ${m.edits.join("; ")}\n  text: ${JSON.stringify(excerpt)}`;
}

if (corpus.length === 0) {
  test.skip(`fuzz over the reference corpus (not found at ${CORPUS}); the examples are still fuzzed`, () => {});
}

test(`fuzz: ${COUNT} seeded mutations through parse, check and fmt — no crash, no hang`, async () => {
  const started = Date.now();
  const out: Outcome = { failures: [], hangs: [], stats: [], overBudget: false };
  const from = ONLY ?? 0;
  const per = Math.ceil(COUNT / WORKERS);
  await Promise.all(
    Array.from({ length: WORKERS }, (_, w) =>
      runRange(from + w * per, Math.min(from + COUNT, from + (w + 1) * per), started + BUDGET_MS, out),
    ),
  );
  const sum = (k: keyof WorkerStats) => out.stats.reduce((n, s) => n + (s[k] as number), 0);
  const slowest = out.stats.reduce<WorkerStats | undefined>(
    (a, s) => (!a || s.slowestMs > a.slowestMs ? s : a),
    undefined,
  );
  console.log(
    `  fuzz (seed ${SEED}, ${inputs.length} inputs${corpus.length ? "" : ", no corpus"}, ${WORKERS} workers): ` +
      `${sum("parsed")} parsed, ${sum("checked")} checked, ${sum("formatted")} formatted ` +
      `(every mutation that parses — ${sum("clean")} — and 1 in ${FMT_BROKEN_EVERY} of the others); ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s; slowest mutation ${slowest?.slowestMs.toFixed(0)} ms (#${slowest?.slowestIndex}); ` +
      `${out.failures.length} failures, ${out.hangs.length} hangs`,
  );
  const problems = [
    ...out.hangs.map((h) => report(h.index, h.stage, `no progress for ${HANG_MS / 1000} s (hang)`)),
    ...out.failures.slice(0, 20).map((f) => report(f.index, f.stage, f.problem)),
  ];
  assert.not.ok(out.overBudget, `the run took more than ${BUDGET_MS / 60_000} minutes`);
  assert.equal(problems, [], `${out.failures.length} failures, ${out.hangs.length} hangs:\n${problems.join("\n\n")}`);
  assert.is(sum("parsed"), COUNT);
});

test.run();
