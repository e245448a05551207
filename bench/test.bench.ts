/**
 * `symbic test` figures (`npm run bench -- test`, compiled):
 * - decisions per second through `symbic test` (target ≥ 10,000 cases/s after the build), on
 *   generated test files of 8 table-style cases of 1,000 rows each over the seed policies, every
 *   row a case decided by the runtime's gate:
 *   - "distinct": every row a different request to Cedar — the rows differ in arguments the
 *     policies read (a path, an amount of memory), so the gate's decision cache
 *     never answers (deny, default deny and approval outcomes; the seed's allows read only
 *     arguments with a handful of values);
 *   - "as written": allows, denies, approvals and derived values, the rows differing in an
 *     argument (some in one no policy reads, which the gate leaves out of the request, so those
 *     rows are one request to Cedar: runtime/gate/README.md);
 *   - "repeating": the same file with each case's rows repeating 10 requests (cache hits);
 *   for each, the decisions alone (wall clock and CPU), and for "distinct" and "as written" also
 *   everything after the build (reading and checking the file, resolving every case, deciding,
 *   coverage);
 * - the time of `symbic test examples` (the CLI: node start and the five builds included).
 * Medians of five interleaved runs (ROUNDS), each a fresh `symbic test` process with its default threads (one
 * per 1,000 cases up to the cores: testing/parallel.ts); `--format json` reports the timings —
 * wall clock, and the CPU time of the decisions (every thread's), which a loaded machine inflates
 * less — and the threads that decided.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { report, stats } from "./harness.js";
import { repoRoot } from "./paths.js";

const ROWS_PER_CASE = 1000;

/** Interleaved rounds of each file: five, so that one run disturbed by the machine moves no median. */
const ROUNDS = 5;

const CONTEXT = `agent = "data_steward"

[context]
user = { id = "u-17", clearance = "top_secret", need_to_know = ["/data/q3.csv", "/data/customers.csv"], background_check = { current = true }, transform_permissions = ["summarize", "join"], resource_quota = { remaining = 8192 }, max_priority = 3 }
session = { mfa_verified = true, secure_connection = true }
system = { maintenance_mode = false }
context = { differential_privacy = true, priority = 2, privacy_budget = 5, datasets = [{ name = "sales", privacy_level = 2 }] }
`;

/** A table-style case of ROWS_PER_CASE rows, row i written by `row(i)`. */
function tableCase(name: string, tool: string, expect: string, row: (i: number) => string): string {
  const rows = Array.from({ length: ROWS_PER_CASE }, (_, i) => `  ${row(i)},`).join("\n");
  return `\n[[case]]\nname = "${name}"\ntool = "${tool}"\nexpect = "${expect}"\nrows = [\n${rows}\n]\n`;
}

/** 8,000 cases, each a different request to Cedar (no two rows alike in what the policies read). */
function distinct(): string {
  const levels = ["public", "internal", "confidential", "secret"];
  return (
    CONTEXT +
    tableCase(
      "reads without need to know",
      "read",
      "deny",
      (i) => `{ path = "/data/other-${i}.csv", classification = "secret" }`,
    ) +
    tableCase(
      "reads elsewhere",
      "read",
      "deny",
      (i) => `{ path = "/srv/${i}.csv", classification = "${levels[i % 4]}" }`,
    ) +
    tableCase("allocations need a supervisor", "allocate", "approval", (i) => `{ memory_mb = ${1 + i} }`) +
    tableCase("larger allocations need a supervisor", "allocate", "approval", (i) => `{ memory_mb = ${4001 + i} }`) +
    tableCase("allocations over quota", "allocate", "deny", (i) => `{ memory_mb = ${8193 + i} }`) +
    tableCase("far over quota", "allocate", "deny", (i) => `{ memory_mb = ${100000 + i} }`) +
    tableCase(
      "reads of archives",
      "read",
      "deny",
      (i) => `{ path = "/archive/${i}.tar", classification = "internal" }`,
    ) +
    tableCase(
      "reads of home directories",
      "read",
      "deny",
      (i) => `{ path = "/home/u${i}/notes", classification = "${levels[(i + 1) % 4]}" }`,
    )
  );
}

/** 8,000 cases as a policy author writes them; each case's rows make `repeat` different rows (all by default). */
function asWritten(repeat = ROWS_PER_CASE): string {
  const r = (f: (i: number) => string) => (i: number) => f(i % repeat);
  return (
    CONTEXT +
    tableCase(
      "reads with need to know",
      "read",
      "allow",
      r(
        (i) =>
          `{ path = "/data/q3.csv", classification = "${["public", "internal", "confidential", "secret"][i % 4]}" }`,
      ),
    ) +
    tableCase(
      "reads without need to know",
      "read",
      "deny",
      r((i) => `{ path = "/data/other-${i}.csv", classification = "secret" }`),
    ) +
    tableCase(
      "exports with PII",
      "export",
      "deny",
      r((i) => `{ dataset = "d${i}", contains_pii = true, destination = "s3" }`),
    ) +
    tableCase(
      "exports without PII",
      "export",
      "allow",
      r((i) => `{ dataset = "d${i}", contains_pii = false, destination = "s3" }`),
    ) +
    tableCase(
      "allocations need a supervisor",
      "allocate",
      "approval",
      r((i) => `{ memory_mb = ${1 + (i % 8000)} }`),
    ) +
    tableCase(
      "transforms up",
      "transform",
      "allow",
      r((i) => `{ dataset = "t${i}", source_level = "internal", target_level = "secret", operation = "summarize" }`),
    ) +
    tableCase(
      "transforms down",
      "transform",
      "deny",
      r((i) => `{ dataset = "t${i}", source_level = "secret", target_level = "internal", operation = "join" }`),
    ) +
    tableCase(
      "aggregates within budget",
      "aggregate",
      "allow",
      r((i) => `{ datasets = "set${i}" }`),
    )
  );
}

interface TestDoc {
  passed: number;
  failed: number;
  timing: { buildMs: number; decideMs: number; decideCpuMs: number; totalMs: number; threads: number };
}

export async function run(): Promise<void> {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), "symbic-test-bench-"));
  try {
    cpSync(join(root, "examples/seed-policies"), dir, { recursive: true });
    rmSync(join(dir, "agents/policies.test.toml"));
    const files = {
      distinct: distinct(),
      "as written": asWritten(),
      repeating: asWritten(10),
    };
    const rates = new Map<string, { wall: number[]; cpu: number[]; afterBuild: number[] }>();
    const paths = Object.entries(files).map(([name, text], i) => {
      const path = join(dir, `agents/generated-${i}.test.toml`);
      writeFileSync(path, text);
      rates.set(name, { wall: [], cpu: [], afterBuild: [] });
      return [name, path] as const;
    });
    const examplesMs: number[] = [];
    let cases = 0;
    let threads = 0;
    const symbic = (args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [join(root, "dist/cli/symbic.js"), "test", ...args], {
        cwd: root,
        maxBuffer: 1 << 30,
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`symbic test ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
      return { ms: performance.now() - t0, stdout: r.stdout };
    };
    // Each run is a fresh `symbic test` process, and the generated files and the examples
    // alternate, so load on the shared machine falls on all alike.
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, path] of paths) {
        const doc = JSON.parse(symbic([path, "--format", "json"]).stdout) as TestDoc;
        if (doc.failed !== 0) throw new Error(`the ${name} bench file has ${doc.failed} failing cases`);
        cases = doc.passed;
        const t = doc.timing;
        threads = Math.max(threads, t.threads);
        const r = rates.get(name)!;
        r.wall.push(cases / (t.decideMs / 1000));
        r.cpu.push(cases / (t.decideCpuMs / 1000));
        r.afterBuild.push(cases / ((t.totalMs - t.buildMs) / 1000));
      }
      examplesMs.push(symbic(["examples"]).ms);
    }
    const target = { value: 10_000, higherIsBetter: true };
    const load = `(load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`;
    const median = (xs: number[]) => stats(xs).median;
    const d = rates.get("distinct")!;
    report(
      "symbic test, every row a distinct request: decisions per second, wall clock",
      median(d.wall),
      "cases/s",
      target,
      `${cases} cases, ${threads} threads ${load}`,
    );
    // Not against the target: two threads' CPU time (Cedar's alone is ~100 µs a case, below),
    // which a rate per second of one core cannot reach; what a user waits for is the wall clock.
    report(
      "symbic test, every row a distinct request: decisions per CPU second (every thread's)",
      median(d.cpu),
      "cases/s",
    );
    report(
      "symbic test, every row a distinct request: cases per second after the build (read, check, resolve, decide)",
      median(d.afterBuild),
      "cases/s",
      target,
    );
    const w = rates.get("as written")!;
    report(
      "symbic test, rows as written (some differ only in arguments no policy reads): decisions per second, wall clock",
      median(w.wall),
      "cases/s",
      target,
      `CPU: ${median(w.cpu).toFixed(0)} cases/s`,
    );
    report(
      "symbic test, rows as written: cases per second after the build (read, check, resolve, decide)",
      median(w.afterBuild),
      "cases/s",
      target,
    );
    const rep = rates.get("repeating")!;
    report(
      "symbic test, rows repeating 10 requests a case (decision cache hits): decisions per second, wall clock",
      median(rep.wall),
      "cases/s",
      target,
      `CPU: ${median(rep.cpu).toFixed(0)} cases/s`,
    );
    report("symbic test examples, the CLI (5 projects built, 53 tests, node start included)", median(examplesMs), "ms");

    // The floor: what the distinct file's Cedar calls alone cost, replayed on one thread with
    // Liftoff as the CLI compiles Cedar (cedar-floor.ts). Nothing else of a run can be faster
    // than this many cases per second on this machine's cores.
    const floor = spawnSync(
      process.execPath,
      ["--liftoff-only", join(root, "dist/bench/cedar-floor.js"), paths[0]![1]],
      { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 },
    );
    if (floor.status !== 0) throw new Error(`cedar-floor exited ${floor.status}: ${floor.stderr}`);
    const f = JSON.parse(floor.stdout) as { cases: number; calls: number; perCallUs: number; perCaseUs: number };
    const cores = availableParallelism();
    report(
      "symbic test, distinct requests: Cedar's calls alone, replayed (CPU per case, Liftoff)",
      f.perCaseUs,
      "µs",
      undefined,
      `${(f.calls / f.cases).toFixed(2)} calls a case at ${f.perCallUs.toFixed(0)} µs: at most ${Math.round((cores * 1e6) / f.perCaseUs)} cases/s on ${cores} cores with nothing else to do`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
