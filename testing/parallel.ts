/**
 * Deciding `symbic test`'s policy cases on several threads (issue 16: decisions per second).
 *
 * Nearly all of a case's time is its Cedar call (runtime/gate/README.md, "Where a decision's time
 * goes"), and each call is independent of the others, so the cases are split into chunks that
 * the main thread and worker threads (decide-worker.ts) claim from one shared counter until none
 * is left. Each worker loads its own gate from the bundle's compiled policies and decides with
 * decideCall, like the main thread: the outcome of a case does not depend on the thread that
 * decided it (test/testing/parallel.test.ts compares every outcome with the main thread's own).
 *
 * - A case whose data would not cross to another thread as the same value (decide-protocol.ts
 *   isPlainData) is decided on the main thread.
 * - A worker that fails (it cannot start, it throws) is reported; the chunks it had claimed and
 *   not answered are decided on the main thread, so every case is decided exactly once.
 * - The main thread starts deciding at once: a worker that is still loading when every chunk is
 *   claimed and answered is stopped, so a small run never waits for one.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ToolContract } from "../compiler/contracts/model.js";
import type { CompiledPolicies, PolicyGate, RunContext } from "../runtime/gate/gate.js";
import { decideCall } from "./decide.js";
import {
  claimChunk,
  isPlainData,
  type DecideJob,
  type Decided,
  type ToWorker,
  type WireCase,
  type WireGate,
  type WorkerMessage,
} from "./decide-protocol.js";
import type { CallSpec } from "./resolve.js";

export interface CaseToDecide {
  gate: PolicyGate;
  /** What `gate` was made of: the bundle's compiled policies and the run's inputs and records. */
  policies: CompiledPolicies;
  run: RunContext;
  call: CallSpec;
  approve: boolean | undefined;
}

export interface DecidedCases {
  /** One per case, in order. */
  decided: Decided[];
  /** The threads that decided cases, the main thread included. */
  threads: number;
  /** How many cases worker threads decided. */
  byWorkers: number;
  /** Why a worker failed, one line each (its cases were decided on the main thread). */
  failures: string[];
}

/** Cases a thread claims at a time: a few milliseconds of work, so the threads finish together. */
const CHUNK = 64;

/**
 * By default one thread per this many cases, up to the machine's cores and MAX_THREADS: a
 * worker costs ~200–300 ms of CPU to start (loading the gate's modules, compiling Cedar, loading the policies),
 * about what it saves on a thousand cases.
 */
export const CASES_PER_THREAD = 1000;
export const MAX_THREADS = 8;

/** The threads `symbic test` decides `cases` policy cases with when `--jobs` is not given. */
export function defaultThreads(cases: number): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_THREADS, Math.floor(cases / CASES_PER_THREAD)));
}

/**
 * The threads to start for `cases` policy cases: `requested` (`--jobs`) or the default, never
 * more than there are chunks to claim (a thread beyond that would start for nothing).
 */
export function threadsFor(cases: number, requested?: number): number {
  return Math.max(1, Math.min(requested ?? defaultThreads(cases), Math.ceil(cases / CHUNK)));
}

function decideHere(k: CaseToDecide): Decided {
  const t0 = performance.now();
  const out = decideCall(k.gate, k.call, k.approve);
  return { out, ms: performance.now() - t0 };
}

/**
 * The worker's module next to this one: decide-worker.js where this module is compiled
 * (dist/testing) or bundled (the CLI's chunks folder, scripts/bundle-clis.mjs), decide-worker.ts
 * when the sources run under tsx. Undefined when it is missing: the cases are decided here.
 */
function workerFile(): URL | undefined {
  const url = new URL(`./decide-worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

function startWorker(file: URL): Worker {
  if (!file.pathname.endsWith(".ts")) return new Worker(file);
  // The sources under tsx (the tests): a worker thread does not inherit the loader the main
  // thread registered, so it registers tsx before importing the worker's module.
  const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { eval: true });
}

/** The job the workers share: each gate and contract once, each case by reference to them. */
export function decideJob(cases: readonly CaseToDecide[], next: SharedArrayBuffer): DecideJob {
  const gates: WireGate[] = [];
  const gateIndex = new Map<PolicyGate, number>();
  const contracts: ToolContract[] = [];
  const contractIndex = new Map<ToolContract, number>();
  const gateOf = (k: CaseToDecide): number => {
    let i = gateIndex.get(k.gate);
    if (i === undefined) {
      i = isPlainData(k.policies) && isPlainData(k.run) ? gates.push({ policies: k.policies, run: k.run }) - 1 : -1;
      gateIndex.set(k.gate, i);
    }
    return i;
  };
  const contractOf = (c: ToolContract): number => {
    let i = contractIndex.get(c);
    if (i === undefined) {
      i = isPlainData(c) ? contracts.push(c) - 1 : -1;
      contractIndex.set(c, i);
    }
    return i;
  };
  const wire = cases.map((k): WireCase | null => {
    const gate = gateOf(k);
    if (gate < 0) return null;
    const approve = k.approve === undefined ? {} : { approve: k.approve };
    const c = k.call;
    if (!isPlainData(c.facts)) return null;
    if (c.kind === "action") {
      if (!isPlainData(c.args)) return null;
      return {
        gate,
        call: { kind: c.kind, action: c.action, args: c.args, ...(c.facts ? { facts: c.facts } : {}) },
        ...approve,
      };
    }
    const contract = contractOf(c.contract);
    if (contract < 0 || !isPlainData(c.validated)) return null;
    const call = {
      kind: c.kind,
      action: c.action,
      contract,
      inBundle: c.inBundle,
      validated: c.validated,
      ...(c.facts ? { facts: c.facts } : {}),
      checkInvokeTool: c.checkInvokeTool,
      invokeToolAllowList: c.invokeToolAllowList,
    };
    return { gate, call, ...approve };
  });
  return { gates, contracts, cases: wire, chunk: CHUNK, next };
}

/** A worker thread of a Deciders pool, and what became of it. */
interface Decider {
  worker: Worker;
  /** It exited, failed, or said it is done: it will answer no more chunks. */
  stopped: boolean;
  /** Called when it stops (set while a decideCases waits for it). */
  onStop?: () => void;
}

/**
 * The worker threads of one `symbic test` run. They are started before the projects are built
 * (startDeciders), so that loading their modules and compiling Cedar overlaps the build, and
 * given their job when the cases are ready (decideCases).
 */
export class Deciders {
  readonly failures: string[] = [];
  private readonly deciders: Decider[] = [];

  constructor(workers: number) {
    const file = workers > 0 ? workerFile() : undefined;
    if (!file) return;
    for (let w = 0; w < workers; w++) {
      const d: Decider = { worker: startWorker(file), stopped: false };
      const stop = () => {
        if (d.stopped) return;
        d.stopped = true;
        d.onStop?.();
      };
      d.worker.on("error", (e: unknown) => {
        this.failures.push(`a thread deciding cases failed: ${e instanceof Error ? e.message : String(e)}`);
        stop();
      });
      d.worker.on("exit", stop);
      d.worker.on("message", (m: WorkerMessage) => {
        if (m.kind === "done") stop();
      });
      this.deciders.push(d);
    }
  }

  /**
   * Has every running worker load these policies now (the projects are built; the cases are
   * not ready yet), so the job finds them loaded.
   */
  preload(policies: readonly CompiledPolicies[]): void {
    const plain = policies.filter((p) => isPlainData(p));
    if (plain.length === 0) return;
    for (const d of this.deciders) if (!d.stopped) this.send(d, { kind: "gates", policies: plain });
  }

  /** Sends a worker a message; a worker that cannot be sent it is stopped and reported. */
  send(d: Decider, m: ToWorker): void {
    try {
      d.worker.postMessage(m);
    } catch (e) {
      this.failures.push(
        `a thread deciding cases could not be sent its work: ${e instanceof Error ? e.message : String(e)}`,
      );
      d.stopped = true;
      d.onStop?.();
      void d.worker.terminate();
    }
  }

  /** The workers, running or not. */
  get all(): readonly Decider[] {
    return this.deciders;
  }

  /** Stops every worker (also when the run ends before deciding). */
  async close(): Promise<void> {
    await Promise.all(this.deciders.map((d) => d.worker.terminate()));
  }
}

/** Starts `threads - 1` workers (none when the worker's module is missing: the main thread decides alone). */
export function startDeciders(threads: number): Deciders {
  return new Deciders(Math.max(0, threads - 1));
}

/**
 * Decides every case, on the main thread and the workers of `pool` (closed when done; none: the
 * main thread alone). `mainThreadDecides: false` (tests) leaves every case the workers can take
 * to them; the main thread decides only what they leave or fail to answer.
 */
export async function decideCases(
  cases: readonly CaseToDecide[],
  pool: Deciders | undefined,
  o: { mainThreadDecides?: boolean } = {},
): Promise<DecidedCases> {
  const chunks = Math.ceil(cases.length / CHUNK);
  const live = (pool?.all ?? []).filter((d) => !d.stopped);
  if (live.length === 0 || chunks < 2) {
    await pool?.close();
    return { decided: cases.map(decideHere), threads: 1, byWorkers: 0, failures: [...(pool?.failures ?? [])] };
  }

  const next = new SharedArrayBuffer(4);
  const counter = new Int32Array(next);
  const job = decideJob(cases, next);
  const decided: Array<Decided | undefined> = new Array<Decided | undefined>(cases.length);
  let answered = 0;
  let byWorkers = 0;
  let used = 0;
  let mainDecided = false;
  let wake: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => (wake = resolve));
  const check = () => {
    if (answered === chunks || live.every((d) => d.stopped)) wake();
  };
  for (const d of live) {
    let decidedSome = false;
    d.onStop = check;
    d.worker.on("message", (m: WorkerMessage) => {
      if (m.kind !== "chunk") return;
      m.decided.forEach((x, j) => {
        if (!x) return;
        decided[m.index * CHUNK + j] = x;
        byWorkers++;
      });
      answered++;
      if (!decidedSome) {
        decidedSome = true;
        used++;
      }
      check();
    });
    pool!.send(d, { kind: "job", job });
  }

  while (o.mainThreadDecides !== false) {
    const i = claimChunk(counter, cases.length, CHUNK);
    if (i === undefined) break;
    const end = Math.min(cases.length, (i + 1) * CHUNK);
    for (let j = i * CHUNK; j < end; j++) decided[j] = decideHere(cases[j]!);
    mainDecided = true;
    answered++;
    // Lets the workers' answers in between chunks.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  check();
  await allIn;
  await pool!.close();
  // Cases only this thread decides, and chunks a failed worker claimed and never answered.
  for (let j = 0; j < cases.length; j++) {
    if (decided[j]) continue;
    decided[j] = decideHere(cases[j]!);
    mainDecided = true;
  }
  return {
    decided: decided as Decided[],
    threads: used + (mainDecided ? 1 : 0),
    byWorkers,
    failures: [...pool!.failures],
  };
}
