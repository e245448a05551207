/**
 * `symbic test` figures (`npm run bench -- test`, compiled):
 * - decisions per second through `symbic test` (target ≥ 10,000 cases/s after the build): a
 *   generated test file of table-style cases over the seed policies (allow, deny, approval,
 *   default deny, derived values), every row a case decided by the runtime's gate. Two figures:
 *   the decisions alone, and everything after the build (reading and checking the file,
 *   resolving every case against the project, deciding, coverage); and the decisions of the same
 *   file when each case's rows repeat 10 distinct requests (the gate's decision cache answers the
 *   repeats, runtime/gate/README.md) — every row is still a case decided through the gate;
 * - the time of `symbic test examples` (the CLI: node start and the five builds included).
 * Medians of interleaved runs, each a fresh `symbic test` process (`--format json` reports the
 * timings: wall clock, and the CPU time of the decisions, which a loaded machine inflates less).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { report, stats } from "./harness.js";
import { repoRoot } from "./paths.js";

const ROWS_PER_CASE = 1000;

/**
 * A test file of 8 table-style cases of ROWS_PER_CASE rows each over the seed policies (8,000
 * cases); each case's rows make `distinct` different requests (all different by default).
 */
function generated(distinct = ROWS_PER_CASE): string {
  const rows = (f: (i: number) => string) =>
    `rows = [\n${Array.from({ length: ROWS_PER_CASE }, (_, i) => `  ${f(i % distinct)},`).join("\n")}\n]\n`;
  return `agent = "data_steward"

[context]
user = { id = "u-17", clearance = "top_secret", need_to_know = ["/data/q3.csv", "/data/customers.csv"], background_check = { current = true }, transform_permissions = ["summarize", "join"], resource_quota = { remaining = 8192 }, max_priority = 3 }
session = { mfa_verified = true, secure_connection = true }
system = { maintenance_mode = false }
context = { differential_privacy = true, priority = 2, privacy_budget = 5, datasets = [{ name = "sales", privacy_level = 2 }] }

[[case]]
name = "reads with need to know"
tool = "read"
expect = "allow"
${rows((i) => `{ path = "/data/q3.csv", classification = "${["public", "internal", "confidential", "secret"][i % 4]}" }`)}
[[case]]
name = "reads without need to know"
tool = "read"
expect = "deny"
${rows((i) => `{ path = "/data/other-${i}.csv", classification = "secret" }`)}
[[case]]
name = "exports with PII"
tool = "export"
expect = "deny"
${rows((i) => `{ dataset = "d${i}", contains_pii = true, destination = "s3" }`)}
[[case]]
name = "exports without PII"
tool = "export"
expect = "allow"
${rows((i) => `{ dataset = "d${i}", contains_pii = false, destination = "s3" }`)}
[[case]]
name = "allocations need a supervisor"
tool = "allocate"
expect = "approval"
${rows((i) => `{ memory_mb = ${1 + (i % 8000)} }`)}
[[case]]
name = "transforms up"
tool = "transform"
expect = "allow"
${rows((i) => `{ dataset = "t${i}", source_level = "internal", target_level = "secret", operation = "summarize" }`)}
[[case]]
name = "transforms down"
tool = "transform"
expect = "deny"
${rows((i) => `{ dataset = "t${i}", source_level = "secret", target_level = "internal", operation = "join" }`)}
[[case]]
name = "aggregates within budget"
tool = "aggregate"
expect = "allow"
${rows((i) => `{ datasets = "set${i}" }`)}
`;
}

export async function run(): Promise<void> {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), "symbic-test-bench-"));
  try {
    cpSync(join(root, "examples/seed-policies"), dir, { recursive: true });
    rmSync(join(dir, "agents/policies.test.toml"));
    const file = join(dir, "agents/generated.test.toml");
    writeFileSync(file, generated());
    const repeating = join(dir, "agents/repeating.test.toml");
    writeFileSync(repeating, generated(10));
    const decideRate: number[] = [];
    const decideCpuRate: number[] = [];
    const afterBuildRate: number[] = [];
    const examplesMs: number[] = [];
    const repeatingRate: number[] = [];
    const repeatingCpuRate: number[] = [];
    let cases = 0;
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
    // Each run is a fresh `symbic test` process, and the generated file and the examples
    // alternate, so load on the shared machine falls on both alike.
    for (let i = 0; i < 3; i++) {
      const doc = JSON.parse(symbic([file, "--format", "json"]).stdout) as {
        passed: number;
        timing: { buildMs: number; decideMs: number; decideCpuMs: number; totalMs: number };
      };
      cases = doc.passed;
      const t = doc.timing;
      decideRate.push(cases / (t.decideMs / 1000));
      decideCpuRate.push(cases / (t.decideCpuMs / 1000));
      afterBuildRate.push(cases / ((t.totalMs - t.buildMs) / 1000));
      examplesMs.push(symbic(["examples"]).ms);
      const rep = JSON.parse(symbic([repeating, "--format", "json"]).stdout) as typeof doc;
      repeatingRate.push(rep.passed / (rep.timing.decideMs / 1000));
      repeatingCpuRate.push(rep.passed / (rep.timing.decideCpuMs / 1000));
    }
    const target = { value: 10_000, higherIsBetter: true };
    const load = `(load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`;
    report(
      "symbic test: decisions per second, wall clock",
      stats(decideRate).median,
      "cases/s",
      target,
      `${cases} cases ${load}`,
    );
    report("symbic test: decisions per CPU second", stats(decideCpuRate).median, "cases/s", target);
    report(
      "symbic test: cases per second after the build (read, check, resolve, decide)",
      stats(afterBuildRate).median,
      "cases/s",
      target,
    );
    report(
      "symbic test: decisions per second, rows repeating 10 requests a case (decision cache hits), wall clock",
      stats(repeatingRate).median,
      "cases/s",
      target,
      `CPU: ${stats(repeatingCpuRate).median.toFixed(0)} cases/s`,
    );
    report(
      "symbic test examples, the CLI (5 projects built, 53 tests, node start included)",
      stats(examplesMs).median,
      "ms",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
