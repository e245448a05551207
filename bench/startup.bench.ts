/**
 * Start-up and throughput of the CLIs (`npm run bench -- startup`), as child processes — the
 * CLIs users run (`bin`: dist/cli, bundled by scripts/bundle-clis.mjs):
 *
 * - Start-up: each command of the quick start is run in turn with an empty `node -e 0`, round
 *   after round (the order rotates every round), and its wall time is divided by the floor's in
 *   the same round. The ratios' median, min and max are printed next to the targets:
 *   `symbi exec BUNDLE` ≤ 4×, `symbi exec agent.symbi` ≤ 5×, `symbic check` ≤ 4×,
 *   `symbic build` ≤ 6×. Where /proc is readable, the children's CPU time is printed too.
 *   `symbi exec agent.symbi` is measured twice: as a run after the first (Cedar's validation of
 *   its unchanged policies remembered: runtime/exec/validation-memory.ts) and as a first run.
 * - Throughput: runs of `symbi exec BUNDLE` per second with 1, 4 and 16 running at once.
 *
 * `SYMBI_BENCH_BEFORE=DIR` (a checkout of an older commit, built, with its node_modules) adds
 * that checkout's CLIs to the same rounds and the same throughput runs, so a before/after
 * comparison sees the same machine load. `SYMBI_BENCH_ROUNDS` sets the rounds (default 15).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { report, stats } from "./harness.js";
import { repoRoot } from "./paths.js";

interface Cli {
  label: string;
  symbi: string;
  symbic: string;
}

interface Case {
  name: string;
  argv: string[];
  target?: number;
  /** The run's XDG_CACHE_HOME, where it remembers Cedar's validations (runtime/exec/validation-memory.ts); "fresh": a new one each run. */
  cache?: string | "fresh";
}

const INPUT = '{"name": "Ada", "number": 360}';

/** The children's CPU time so far (user + system, ms), from /proc; undefined where it cannot be read. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat(5) (cutime, cstime), counted from the state field (3).
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

let freshCaches = 0;

function runOnce(argv: string[], cwd: string, cache?: string): { wall: number; cpu?: number } {
  const dir = cache === "fresh" ? join(cwd, `fresh-cache-${++freshCaches}`) : cache;
  const env = dir === undefined ? process.env : { ...process.env, XDG_CACHE_HOME: dir };
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd, encoding: "utf8", env });
  const wall = performance.now() - t0;
  const c1 = childrenCpuMs();
  if (r.status !== 0)
    throw new Error(`${argv.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout || "").slice(0, 500)}`);
  return { wall, ...(c0 !== undefined && c1 !== undefined ? { cpu: c1 - c0 } : {}) };
}

/**
 * The CLIs users run in a checkout: the bundled ones (dist/cli, scripts/bundle-clis.mjs), or the
 * compiled modules in a checkout older than the bundles.
 */
function builtClis(dir: string, label: string): Cli | undefined {
  for (const [symbi, symbic] of [
    ["dist/cli/symbi.js", "dist/cli/symbic.js"],
    ["dist/runtime/cli/main.js", "dist/compiler/cli/main.js"],
  ] as const)
    if (existsSync(join(dir, symbi)) && existsSync(join(dir, symbic)))
      return { label, symbi: join(dir, symbi), symbic: join(dir, symbic) };
  return undefined;
}

function clis(root: string): Cli[] {
  const now = builtClis(root, "");
  if (!now) throw new Error(`${root} has no built CLIs (dist/cli/symbi.js): run npm run build`);
  const out: Cli[] = [now];
  const before = process.env.SYMBI_BENCH_BEFORE;
  if (before) {
    const b = builtClis(before, " [before]");
    if (!b)
      throw new Error(`SYMBI_BENCH_BEFORE=${before} has no built CLIs (dist/cli/symbi.js or dist/runtime/cli/main.js)`);
    out.push(b);
  }
  return out;
}

/**
 * Runs `total` copies of `argv`, `parallel` at a time; returns the successful runs per second
 * of wall time and how many failed (a run can time out when the machine is overloaded).
 */
async function throughput(
  argv: string[],
  cwd: string,
  parallel: number,
  total: number,
): Promise<{ rate: number; failed: number }> {
  let started = 0;
  let failed = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, argv, { cwd, stdio: "ignore" });
        child.on("error", reject);
        child.on("close", (code) => {
          if (code !== 0) failed++;
          resolve();
        });
      });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  return { rate: (total - failed) / ((performance.now() - t0) / 1000), failed };
}

export async function run(): Promise<void> {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), "symbi-startup-bench-"));
  const rounds = Number(process.env.SYMBI_BENCH_ROUNDS ?? 15);
  try {
    const quick = join(root, "examples/quickstart");
    const main = clis(root)[0]!;
    runOnce([main.symbi, "keygen", "--out", join(dir, "release.key")], dir);
    runOnce([main.symbic, "build", quick, "--out", join(dir, "build"), "--sign", join(dir, "release.key")], dir);
    const bundle = join(dir, "build/quickstart");
    const trust = ["--trust", join(dir, "release.key.pub")];

    const cases: Case[] = [{ name: "node -e 0", argv: ["-e", "0"] }];
    for (const c of clis(root)) {
      cases.push(
        { name: `symbi exec BUNDLE${c.label}`, argv: [c.symbi, "exec", bundle, ...trust, "--input", INPUT], target: 4 },
        {
          // A run after the first: its policies' validation by Cedar is remembered (the warm-up run below).
          name: `symbi exec agent.symbi${c.label}`,
          argv: [c.symbi, "exec", join(quick, "agent.symbi"), "--input", INPUT],
          target: 5,
          cache: join(dir, "cache"),
        },
        {
          name: `symbi exec agent.symbi, first run (nothing remembered)${c.label}`,
          argv: [c.symbi, "exec", join(quick, "agent.symbi"), "--input", INPUT],
          target: 5,
          cache: "fresh",
        },
        { name: `symbic check${c.label}`, argv: [c.symbic, "check", quick], target: 4 },
        {
          name: `symbic build${c.label}`,
          argv: [c.symbic, "build", quick, "--out", join(dir, "out")],
          target: 6,
        },
      );
    }

    // Start-up: rounds of every case, the order rotated each round; ratios to the same round's floor.
    for (const c of cases) runOnce(c.argv, dir, c.cache); // warm the file cache
    const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const ratio = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (let r = 0; r < rounds; r++) {
      const order = cases.map((_, i) => cases[(i + r) % cases.length]!);
      const got = new Map<string, { wall: number; cpu?: number }>();
      for (const c of order) got.set(c.name, runOnce(c.argv, dir, c.cache));
      const floor = got.get("node -e 0")!.wall;
      for (const c of cases) {
        const g = got.get(c.name)!;
        wall.get(c.name)!.push(g.wall);
        if (g.cpu !== undefined) cpu.get(c.name)!.push(g.cpu);
        ratio.get(c.name)!.push(g.wall / floor);
      }
    }
    for (const c of cases) {
      const w = stats(wall.get(c.name)!);
      const cp = cpu.get(c.name)!;
      const cpuText = cp.length > 0 ? `, CPU ${stats(cp).median.toFixed(0)} ms` : "";
      if (c.target === undefined) {
        report(`${c.name} wall`, w.median, "ms", undefined, `(min ${w.min.toFixed(0)} ms${cpuText}; ${rounds} rounds)`);
        continue;
      }
      const rs = ratio.get(c.name)!;
      const s = stats(rs);
      report(
        `${c.name}, wall ÷ node -e 0`,
        s.median,
        "×",
        { value: c.target, higherIsBetter: false },
        `(min ${s.min.toFixed(2)}×, max ${Math.max(...rs).toFixed(2)}×; median ${w.median.toFixed(0)} ms wall${cpuText})`,
      );
    }

    // Throughput: concurrent runs of the signed quick-start bundle, CLIs interleaved, 3 repeats.
    for (const parallel of [1, 4, 16]) {
      const total = Math.max(8, parallel * 2);
      const rates = new Map<string, number[]>();
      const failures = new Map<string, number>();
      for (let rep = 0; rep < 3; rep++)
        for (const c of clis(root)) {
          const argv = [c.symbi, "exec", bundle, ...trust, "--input", INPUT];
          const list = rates.get(c.label) ?? [];
          const t = await throughput(argv, dir, parallel, total);
          list.push(t.rate);
          rates.set(c.label, list);
          failures.set(c.label, (failures.get(c.label) ?? 0) + t.failed);
        }
      const now = stats(rates.get("")!).median;
      const before = rates.get(" [before]");
      report(
        `symbi exec BUNDLE, ${parallel} at once`,
        now,
        "runs/s",
        undefined,
        `(${total} runs, median of 3; ${failures.get("")} failed${before ? `; ${(now / stats(before).median).toFixed(2)}× before (target ≥ 2×)` : ""})`,
      );
      if (before)
        report(
          `symbi exec BUNDLE, ${parallel} at once [before]`,
          stats(before).median,
          "runs/s",
          undefined,
          `(${failures.get(" [before]")} failed)`,
        );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
