/**
 * Deciding `symbic test`'s policy cases on several threads (issue 16: decisions per second).
 *
 * Nearly all of a case's time is its Cedar call (runtime/gate/README.md, "Where a decision's time
 * goes"), and each call is independent of the others, so the cases are split into chunks of 64
 * that the main thread decides itself or hands to worker threads (decide-worker.ts), a chunk at a
 * time, until none is left. Each worker loads its own gate from the bundle's compiled policies
 * and decides with decideCall, like the main thread: the outcome of a case does not depend on the
 * thread that decided it (test/testing/parallel.test.ts compares every outcome with the main
 * thread's own).
 *
 * - A worker holds at most two chunks (one deciding, one waiting), so the memory a run takes
 *   does not grow with workers × cases, and the work balances itself: a faster thread asks for
 *   more.
 * - A case whose data would not cross to another thread as the same value (decide-protocol.ts
 *   isPlainData) is decided on the main thread.
 * - A worker that fails (it cannot start, it throws) is reported; the chunks it held and had not
 *   answered are decided on the main thread, so every case is decided exactly once.
 * - The main thread starts deciding at once, and a worker gets work only once it has loaded its
 *   gates: a worker still loading when every chunk is answered is stopped, so a small run never
 *   waits for one.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { ToolContract } from "../compiler/contracts/model.js";
import type { CompiledPolicies, PolicyGate } from "../runtime/gate/gate.js";
import { decideTimed, type Decided } from "./decide.js";
import { isPlainData, type ToWorker, type WireCase, type WireGate, type WorkerMessage } from "./decide-protocol.js";
import type { CallSpec } from "./resolve.js";
import { startWorker, workerFile } from "./threads.js";

export interface CaseToDecide {
  gate: PolicyGate;
  /** The bundle's compiled policies `gate` was loaded from (a worker loads its own gate from them and `gate.run`). */
  policies: CompiledPolicies;
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

/** Cases a thread decides at a time: a few milliseconds of work, so the threads finish together. */
const CHUNK = 64;

/** Chunks a worker holds at once: one it decides, one waiting, so it never waits for the main thread. */
const HELD = 2;

/**
 * By default one thread per this many cases, up to the machine's cores and MAX_THREADS: a
 * worker costs ~200–300 ms of CPU to start (loading the gate's modules, compiling Cedar,
 * loading the policies), about what it saves on a thousand cases.
 */
export const CASES_PER_THREAD = 1000;
export const MAX_THREADS = 8;

/** The threads `symbic test` decides `cases` policy cases with when `--jobs` is not given. */
export function defaultThreads(cases: number): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_THREADS, Math.floor(cases / CASES_PER_THREAD)));
}

/**
 * The threads to start for `cases` policy cases: `requested` (`--jobs`) or the default, never
 * more than there are chunks to share (a thread beyond that would start for nothing).
 */
export function threadsFor(cases: number, requested?: number): number {
  return Math.max(1, Math.min(requested ?? defaultThreads(cases), Math.ceil(cases / CHUNK)));
}

function decideHere(k: CaseToDecide): Decided {
  return decideTimed(k.gate, k.call, k.approve);
}

/**
 * The cases as they cross to a worker: each gate and contract once (the setup), each case by
 * their numbers; a case that cannot cross is `null`.
 */
export class WireCases {
  readonly gates: WireGate[] = [];
  readonly contracts: ToolContract[] = [];
  private readonly gateIndex = new Map<PolicyGate, number>();
  private readonly contractIndex = new Map<ToolContract, number>();

  constructor(private readonly cases: readonly CaseToDecide[]) {
    for (const k of cases) {
      this.gateOf(k);
      if (k.call.kind === "tool") this.contractOf(k.call.contract);
    }
  }

  /** The cases of chunk `index`. */
  chunk(index: number): Array<WireCase | null> {
    return this.cases.slice(index * CHUNK, (index + 1) * CHUNK).map((k) => this.wire(k));
  }

  private gateOf(k: CaseToDecide): number {
    let i = this.gateIndex.get(k.gate);
    if (i === undefined) {
      i =
        isPlainData(k.policies) && isPlainData(k.gate.run)
          ? this.gates.push({ policies: k.policies, run: k.gate.run }) - 1
          : -1;
      this.gateIndex.set(k.gate, i);
    }
    return i;
  }

  private contractOf(c: ToolContract): number {
    let i = this.contractIndex.get(c);
    if (i === undefined) {
      i = isPlainData(c) ? this.contracts.push(c) - 1 : -1;
      this.contractIndex.set(c, i);
    }
    return i;
  }

  private wire(k: CaseToDecide): WireCase | null {
    const gate = this.gateOf(k);
    if (gate < 0) return null;
    const approve = k.approve === undefined ? {} : { approve: k.approve };
    const c = k.call;
    if (!isPlainData(c.facts)) return null;
    const facts = c.facts ? { facts: c.facts } : {};
    if (c.kind === "action") {
      if (!isPlainData(c.args)) return null;
      return { gate, call: { kind: c.kind, action: c.action, args: c.args, ...facts }, ...approve };
    }
    const contract = this.contractOf(c.contract);
    if (contract < 0 || !isPlainData(c.validated)) return null;
    const call = {
      kind: c.kind,
      action: c.action,
      contract,
      inBundle: c.inBundle,
      validated: c.validated,
      ...facts,
      checkInvokeTool: c.checkInvokeTool,
      invokeToolAllowList: c.invokeToolAllowList,
    };
    return { gate, call, ...approve };
  }
}

/** A worker thread of a Deciders pool, and what became of it. */
interface Decider {
  worker: Worker;
  /** It exited or failed: it will answer no more chunks. */
  stopped: boolean;
  /** The chunks it was given and has not answered. */
  held: Set<number>;
  /** Called when it stops (set while a decideCases waits for it). */
  onStop?: () => void;
}

/** Marks a worker as answering no more chunks (once) and tells a waiting decideCases. */
function stopped(d: Decider): void {
  if (d.stopped) return;
  d.stopped = true;
  d.onStop?.();
}

/**
 * The worker threads of one `symbic test` run. They are started before the projects are built
 * (startDeciders), so that loading their modules and compiling Cedar overlaps the build, load the
 * built projects' policies while the cases are resolved (preload), and are given work when the
 * cases are ready (decideCases).
 */
export class Deciders {
  readonly failures: string[] = [];
  private readonly deciders: Decider[] = [];

  constructor(workers: number) {
    const file = workers > 0 ? workerFile("./decide-worker") : undefined;
    if (!file) return;
    for (let w = 0; w < workers; w++) {
      const d: Decider = { worker: startWorker(file), stopped: false, held: new Set() };
      d.worker.on("error", (e: unknown) => {
        this.failures.push(`a thread deciding cases failed: ${e instanceof Error ? e.message : String(e)}`);
        stopped(d);
      });
      d.worker.on("exit", () => stopped(d));
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
      stopped(d);
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

  const wire = new WireCases(cases);
  const decided: Array<Decided | undefined> = new Array<Decided | undefined>(cases.length);
  let next = 0;
  let answered = 0;
  let byWorkers = 0;
  let used = 0;
  let mainDecided = false;
  let wake: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => (wake = resolve));
  // Every chunk is answered; or every chunk is given out and no running worker holds one; or
  // every worker has stopped (what they held, and what is left, is decided below).
  const check = () => {
    if (
      answered === chunks ||
      (next === chunks && live.every((d) => d.stopped || d.held.size === 0)) ||
      live.every((d) => d.stopped)
    )
      wake();
  };
  const give = (d: Decider) => {
    if (next === chunks || d.stopped) return;
    const index = next++;
    d.held.add(index);
    pool!.send(d, { kind: "work", index, cases: wire.chunk(index) });
  };
  for (const d of live) {
    let decidedSome = false;
    d.onStop = check;
    d.worker.on("message", (m: WorkerMessage) => {
      if (m.kind === "ready") {
        for (let i = 0; i < HELD; i++) give(d);
        return;
      }
      m.decided.forEach((x, j) => {
        if (!x) return;
        decided[m.index * CHUNK + j] = x;
        byWorkers++;
      });
      d.held.delete(m.index);
      answered++;
      if (!decidedSome) {
        decidedSome = true;
        used++;
      }
      give(d);
      check();
    });
    pool!.send(d, { kind: "setup", gates: wire.gates, contracts: wire.contracts });
  }

  while (o.mainThreadDecides !== false && next < chunks) {
    const i = next++;
    const end = Math.min(cases.length, (i + 1) * CHUNK);
    for (let j = i * CHUNK; j < end; j++) decided[j] = decideHere(cases[j]!);
    mainDecided = true;
    answered++;
    // Lets the workers' answers (and their requests for more) in between chunks.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  check();
  await allIn;
  await pool!.close();
  // Cases only this thread decides, and chunks a failed worker held and never answered.
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
