/**
 * The floor under `symbic test`'s decisions per second on this machine: the CPU time of its
 * Cedar calls alone. Run as its own process (`node --liftoff-only dist/bench/cedar-floor.js
 * FILE.test.toml`, as test.bench.ts does: the CLIs compile Cedar with Liftoff only,
 * formats/wasm-tier.ts), it decides the file's cases once with `runTests` on this thread,
 * keeps every request the gate handed Cedar, then hands Cedar the same requests again, timed,
 * and prints one JSON line: cases, calls, and CPU microseconds per call and per case.
 *
 * How the requests are kept: cedar-wasm passes each call to its WebAssembly as
 * `JSON.stringify(call)`, so a wrapper of JSON.stringify sees the very objects the gate built
 * (a call is recognised by its `preparsedPolicySetId`). Bench-only: nothing in the product
 * observes Cedar's calls. A file whose calls cannot be seen this way fails loudly (no calls).
 */
import { runTests } from "../testing/run.js";
import { statefulIsAuthorized } from "../formats/cedar-wasm.js";

export interface CedarFloor {
  cases: number;
  calls: number;
  /** CPU µs per Cedar call (median of the replay rounds). */
  perCallUs: number;
  /** CPU µs of Cedar calls per case (perCallUs × calls ÷ cases). */
  perCaseUs: number;
}

async function measure(file: string, rounds = 3): Promise<CedarFloor> {
  const seen: string[] = [];
  const stringify = JSON.stringify;
  JSON.stringify = function (this: unknown, value: unknown, ...rest: unknown[]): string {
    const text = (stringify as (v: unknown, ...r: unknown[]) => string).call(this, value, ...rest);
    if (value !== null && typeof value === "object" && "preparsedPolicySetId" in value) seen.push(text);
    return text;
  } as typeof JSON.stringify;
  let cases: number;
  try {
    const r = await runTests([file], { threads: 1, explainFailures: false });
    cases = r.results.length;
  } finally {
    JSON.stringify = stringify;
  }
  if (seen.length === 0) throw new Error(`no Cedar call was seen deciding ${file}`);
  const calls = seen.map((t) => JSON.parse(t) as Parameters<typeof statefulIsAuthorized>[0]);
  const perCall: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    for (const call of calls) statefulIsAuthorized(call);
    const c = process.cpuUsage(c0);
    perCall.push((c.user + c.system) / calls.length);
  }
  perCall.sort((a, b) => a - b);
  const perCallUs = perCall[perCall.length >> 1]!;
  return { cases, calls: calls.length, perCallUs, perCaseUs: (perCallUs * calls.length) / cases };
}

const file = process.argv[2];
if (file && process.argv[1]?.endsWith("cedar-floor.js")) {
  measure(file).then(
    (f) => process.stdout.write(JSON.stringify(f) + "\n"),
    (e: unknown) => {
      process.stderr.write(`cedar-floor: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
