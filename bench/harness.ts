/**
 * Tiny benchmark harness: repeated runs, medians and percentiles, one line per figure.
 * Benchmarks are never assertions — they print figures next to their targets so a reader
 * can see the ratio; the shared machines are too noisy for timed unit tests.
 */
import { performance } from "node:perf_hooks";

export interface Stats {
  median: number;
  p95: number;
  p99: number;
  min: number;
  runs: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p95: at(0.95), p99: at(0.99), min: s[0]!, runs: s.length };
}

/**
 * Times `fn` `runs` times after `warmup` untimed runs; returns milliseconds per run.
 * With `cpu: true` the figure is the process's CPU time (user + system) instead of wall time:
 * for single-threaded synchronous work that is "time on one core", and it does not count the
 * time the process waited for a CPU on a loaded machine. (It includes V8's helper threads, such
 * as concurrent GC marking, so it is never flattering.)
 */
export function timeSync(fn: () => void, runs = 15, warmup = 3, opts: { cpu?: boolean } = {}): Stats {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (opts.cpu) {
      const c0 = process.cpuUsage();
      fn();
      const c = process.cpuUsage(c0);
      samples.push((c.user + c.system) / 1000);
    } else {
      const t0 = performance.now();
      fn();
      samples.push(performance.now() - t0);
    }
  }
  return stats(samples);
}

export async function timeAsync(fn: () => Promise<void>, runs = 15, warmup = 3): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

/**
 * Prints one figure with its target: `name: value unit (target ≥ T, ratio R×)`.
 * `higherIsBetter` decides the direction of the ratio (ratio ≥ 1 means the target is met).
 */
export function report(
  name: string,
  value: number,
  unit: string,
  target?: { value: number; higherIsBetter: boolean },
  extra = "",
): void {
  const v = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
  let line = `${name}: ${v} ${unit}`;
  if (target) {
    const ratio = target.higherIsBetter ? value / target.value : target.value / value;
    const rel = target.higherIsBetter ? "≥" : "≤";
    line += `  (target ${rel} ${target.value} ${unit}; ${ratio.toFixed(2)}× ${ratio >= 1 ? "MET" : "MISSED"})`;
  }
  if (extra) line += `  ${extra}`;
  console.log(line);
}
