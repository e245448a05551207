/**
 * `symbic test` decides policy cases on several threads (testing/parallel.ts): a case's outcome
 * is the same whichever thread decides it, every case is decided once, a worker that fails
 * leaves its cases to the main thread (and says so), and data that would not cross to another
 * thread as the same value stays on the main thread.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { caseToDecide, runTests } from "../../testing/run.js";
import {
  CaseDecisions,
  decideCases,
  defaultThreads,
  startDeciders,
  threadsFor,
  type CaseToDecide,
} from "../../testing/parallel.js";
import type { Decided } from "../../testing/decide.js";
import { isPlainData } from "../../testing/decide-protocol.js";
import { runCli } from "../helpers/cli.js";
import { generatedShopTests, readyShopCases as readyCases, shopCopy } from "./helpers.js";

/** Runs `body` on the cases of a generated shop file with `n` rows a case, and their outcomes decided here. */
async function withCases(n: number, body: (cases: CaseToDecide[], serial: Decided[]) => Promise<void>): Promise<void> {
  const { dir, ready } = readyCases(n);
  try {
    const cases = ready.map(caseToDecide);
    await body(cases, (await decideCases(cases, undefined)).decided);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `p`, or a failure after 60 s: a thread left waiting must fail the test, not hang the suite. */
function within<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("decideCases did not finish within 60 s")), 60_000);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Outcomes without their timings. */
const outcomes = (ds: readonly Decided[]) => ds.map((d) => d.out);

test("every case decided by worker threads has the main thread's outcome", () =>
  withCases(50, async (cases, serial) => {
    assert.equal(cases.length, 300);
    const kinds = new Set(serial.map((d) => d.out.outcome));
    assert.equal([...kinds].sort(), ["allow", "approval", "deny"], "the file has every outcome");
    const alone = await decideCases(cases, undefined);
    assert.equal([alone.threads, alone.byWorkers], [1, 0]);
    // The policies loaded ahead (as runTests does once the projects are built), and not.
    const preloaded = startDeciders(3);
    preloaded.preload([cases[0]!.policies]);
    const workers = await within(decideCases(cases, preloaded, { mainThreadDecides: false }));
    assert.equal(workers.failures, []);
    assert.equal(workers.byWorkers, cases.length, "the workers decided every case");
    assert.ok(workers.threads >= 1 && workers.threads <= 2, `threads ${workers.threads}`);
    assert.equal(outcomes(workers.decided), outcomes(serial));
    const shared = await within(decideCases(cases, startDeciders(2)));
    assert.equal(outcomes(shared.decided), outcomes(serial));
  }));

test("a worker that cannot load its gate is reported, and the main thread decides its cases", () =>
  withCases(40, async (cases, serial) => {
    // The gate the main thread holds is intact; the policies sent to the workers do not parse.
    const broken: CaseToDecide[] = cases.map((k) => ({
      ...k,
      policies: { ...k.policies, policy: "permit(principal, action, resource) when { ???" },
    }));
    const r = await within(decideCases(broken, startDeciders(3), { mainThreadDecides: false }));
    assert.equal(r.byWorkers, 0);
    assert.equal(r.failures.length, 2, JSON.stringify(r.failures));
    assert.match(r.failures[0]!, /a thread deciding cases failed: .*policy/i);
    assert.equal(outcomes(r.decided), outcomes(serial));
  }));

test("a case whose data would not cross to another thread unchanged is decided on the main thread", () =>
  withCases(20, async (cases) => {
    // A fact that is a Date (a TOML date-time) would arrive as another kind of value.
    const dated: CaseToDecide[] = cases.map((k, i) =>
      i % 7 === 0 && k.call.kind === "tool" ? { ...k, call: { ...k.call, facts: { order: new Date(0) } } } : k,
    );
    const expected = await decideCases(dated, undefined);
    const r = await within(decideCases(dated, startDeciders(3), { mainThreadDecides: false }));
    const kept = dated.filter((k) => k.call.facts !== undefined).length;
    assert.ok(kept > 0);
    assert.equal(r.byWorkers, cases.length - kept);
    assert.equal(outcomes(r.decided), outcomes(expected.decided));
  }));

test("workers decide chunks while the main thread is still adding cases, with the main thread's outcomes", () =>
  withCases(50, async (cases, serial) => {
    const pool = startDeciders(2);
    pool.preload([cases[0]!.policies]);
    const run = new CaseDecisions(pool);
    const half = Math.floor(cases.length / 2);
    for (const k of cases.slice(0, half)) await run.add(k);
    // The main thread is busy elsewhere (resolving, in runTests) until a worker has answered.
    await within(
      new Promise<void>((resolve) => {
        const poll = () => (run.answeredByWorkers >= 2 * 64 ? resolve() : setTimeout(poll, 5));
        setTimeout(poll, 5);
      }),
    );
    for (const k of cases.slice(half)) await run.add(k);
    const r = await within(run.finish());
    assert.equal(r.failures, []);
    assert.ok(r.byWorkersEarly >= 2 * 64, `decided early: ${r.byWorkersEarly}`);
    assert.equal(outcomes(r.decided), outcomes(serial));
  }));

test("a run abandoned before it finishes stops its workers", () =>
  withCases(20, async (cases) => {
    const pool = startDeciders(2);
    pool.preload([cases[0]!.policies]);
    const run = new CaseDecisions(pool);
    for (const k of cases) await run.add(k);
    let exited = false;
    pool.all[0]!.worker.once("exit", () => (exited = true));
    await within(run.abandon());
    assert.ok(exited, "the worker exited");
  }));

test("isPlainData: JSON-like values, and smol-toml's null-prototype tables, cross; dates, class instances and functions do not", () => {
  const table = Object.create(null) as Record<string, unknown>;
  table.a = [1, "x", true, null, { b: undefined }];
  [null, undefined, 0, -0, Number.NaN, "s", false, [], {}, table, [[{}]]].forEach((v, i) =>
    assert.ok(isPlainData(v), `value ${i}`),
  );
  class Money {
    constructor(readonly cents: number) {}
  }
  [new Date(0), new Money(5), () => 1, { f: () => 1 }, [new Map()], 10n, Symbol("s"), { [Symbol("k")]: 1 }].forEach(
    (v, i) => assert.not.ok(isPlainData(v), `value ${i}`),
  );
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.not.ok(isPlainData(deep), "nesting beyond 64 levels stays on the main thread");
});

test("defaultThreads: one thread per 1,000 cases, at least one, at most the cores and 8", () => {
  assert.equal(defaultThreads(0), 1);
  assert.equal(defaultThreads(999), 1);
  assert.ok(defaultThreads(2_000) <= 2);
  assert.ok(defaultThreads(1_000_000) <= 8);
});

test("threadsFor: never more threads than chunks of 64 cases to share, whatever --jobs asks", () => {
  assert.equal(threadsFor(2, 64), 1);
  assert.equal(threadsFor(64, 8), 1);
  assert.equal(threadsFor(65, 8), 2);
  assert.equal(threadsFor(10_000, 64), 64);
  assert.equal(threadsFor(10_000, 1), 1);
  assert.equal(threadsFor(0), 1);
  assert.equal(threadsFor(5_000), defaultThreads(5_000));
});

test("runTests gives the same results, coverage and line numbers with one thread and with four, across two projects", async () => {
  // Two projects (two bundles, two gates), the second's policy made stricter so their answers differ.
  const a = shopCopy({ "gen.test.toml": generatedShopTests(40) });
  const b = shopCopy({ "gen.test.toml": generatedShopTests(30) });
  try {
    const agent = join(b, "agent.symbi");
    writeFileSync(agent, readFileSync(agent, "utf8").replace("if amount <= 100", "if amount <= 10"));
    const one = await runTests([a, b], { threads: 1 });
    const four = await runTests([a, b], { threads: 4 });
    assert.equal(one.timing.threads, 1);
    assert.equal(four.warnings, []);
    const strip = (r: typeof one) => r.results.map((x) => ({ ...x, timeMs: 0 }));
    assert.equal(strip(four), strip(one));
    assert.equal(four.coverage, one.coverage);
    assert.equal(one.results.length, 420);
    assert.ok(
      one.results.some((r) => !r.passed),
      "the stricter project fails some refunds",
    );
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test("symbic test --jobs: a whole number from 1 to 64, else a usage error (exit 1)", () => {
  const dir = shopCopy({ "gen.test.toml": generatedShopTests(2) });
  try {
    for (const bad of ["0", "-1", "1.5", "x", "65", ""]) {
      const r = runCli("symbic", ["test", dir, "--jobs", bad]);
      assert.is(r.status, 1, `--jobs '${bad}': ${r.stderr}`);
      assert.match(r.stderr, /--jobs must be a whole number from 1 to 64/);
    }
    const ok = runCli("symbic", ["test", dir, "--jobs", "2", "--format", "json"]);
    assert.is(ok.status, 0, ok.stderr);
    assert.is((JSON.parse(ok.stdout) as { passed: number }).passed, 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a run that stops before deciding (the project does not compile) stops its threads and exits", () => {
  const dir = shopCopy({ "gen.test.toml": generatedShopTests(2) });
  try {
    writeFileSync(join(dir, "agent.symbi"), "agent shop(order: String) -> String {");
    // A thread left running would keep the process alive until the timeout.
    const r = runCli("symbic", ["test", dir, "--jobs", "4"], { timeoutMs: 60_000 });
    assert.is(r.status, 3, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
