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
 * - A worker gets work only once it has loaded the policies it was sent (it says `ready`); from
 *   then on it decides each chunk as soon as the main thread has resolved its cases, while the
 *   main thread resolves the rest (CaseDecisions). Once every case is resolved the main thread
 *   decides the chunks left; a worker still loading then is stopped, so a small run never waits
 *   for one.
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
  /** How many of them they decided before the last case was added (while it was resolved). */
  byWorkersEarly: number;
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
 * The cases as they cross to a worker: each gate and contract once, each case by their numbers;
 * a case that cannot cross is `null`. Gates and contracts are numbered as cases first name them,
 * so a chunk can be wired as soon as its cases are ready.
 */
export class WireCases {
  readonly gates: WireGate[] = [];
  readonly contracts: ToolContract[] = [];
  private readonly gateIndex = new Map<PolicyGate, number>();
  private readonly contractIndex = new Map<ToolContract, number>();

  /** The cases of a chunk as they cross. */
  chunk(cases: readonly CaseToDecide[]): Array<WireCase | null> {
    return cases.map((k) => this.wire(k));
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
  /** It has loaded policies (answered `ready`): it may be given chunks. */
  ready: boolean;
  /** The chunks it was given and has not answered. */
  held: Set<number>;
  /** How many of WireCases' gates and contracts it has been sent. */
  sentGates: number;
  sentContracts: number;
  /** Its answers and stops, while a CaseDecisions uses it. */
  onMessage?: (m: WorkerMessage) => void;
  onStop?: () => void;
}

/** Marks a worker as answering no more chunks (once) and tells a waiting CaseDecisions. */
function stopped(d: Decider): void {
  if (d.stopped) return;
  d.stopped = true;
  d.onStop?.();
}

/**
 * The worker threads of one `symbic test` run. They are started before the projects are built
 * (startDeciders), so that loading their modules and compiling Cedar overlaps the build, load the
 * built projects' policies while the cases are resolved (preload), and decide chunks of cases as
 * soon as they are resolved (CaseDecisions).
 */
export class Deciders {
  readonly failures: string[] = [];
  private readonly deciders: Decider[] = [];
  private readonly preloaded = new Set<CompiledPolicies>();

  constructor(workers: number) {
    const file = workers > 0 ? workerFile("./decide-worker") : undefined;
    if (!file) return;
    for (let w = 0; w < workers; w++) {
      const d: Decider = {
        worker: startWorker(file),
        stopped: false,
        ready: false,
        held: new Set(),
        sentGates: 0,
        sentContracts: 0,
      };
      d.worker.on("error", (e: unknown) => {
        this.failures.push(`a thread deciding cases failed: ${e instanceof Error ? e.message : String(e)}`);
        stopped(d);
      });
      d.worker.on("exit", () => stopped(d));
      d.worker.on("message", (m: WorkerMessage) => {
        if (m.kind === "ready") d.ready = true;
        d.onMessage?.(m);
      });
      this.deciders.push(d);
    }
  }

  /**
   * Has every running worker load these policies now (each set once), so that it finds them
   * loaded when its first cases come; a worker answers `ready` when it has, and only then is
   * it given cases.
   */
  preload(policies: readonly CompiledPolicies[]): void {
    const plain = policies.filter((p) => !this.preloaded.has(p) && isPlainData(p));
    if (plain.length === 0) return;
    for (const p of plain) this.preloaded.add(p);
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

/** Lets messages in (the workers' answers and requests for more) before going on. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The policy cases of a run, decided as they are resolved: each chunk of CHUNK cases goes to a
 * ready worker as soon as it is complete, while the main thread goes on resolving (add); once
 * every case is in (finish), the main thread decides the chunks no worker has taken, then waits
 * for the workers' answers. Without workers the main thread decides every case in finish.
 *
 * Deciding is free of effects, so a run that stops before deciding (a case that does not
 * resolve) just closes the pool (abandon) and drops what the workers answered.
 */
export class CaseDecisions {
  private readonly cases: CaseToDecide[] = [];
  private readonly decided: Array<Decided | undefined> = [];
  private readonly wire = new WireCases();
  private readonly live: Decider[];
  /** Chunks given out (to a worker, or taken by the main thread), in order. */
  private next = 0;
  private byWorkers = 0;
  private byWorkersEarly = 0;
  private readonly usedWorkers = new Set<Decider>();
  private mainDecided = false;
  /** Every case is in (finish): the last chunk may be short. */
  private finishing = false;
  private closed = false;
  private startedAt: number | undefined;
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private wake: () => void = () => undefined;

  constructor(
    private readonly pool: Deciders | undefined,
    private readonly o: { mainThreadDecides?: boolean } = {},
  ) {
    this.live = (pool?.all ?? []).filter((d) => !d.stopped);
    for (const d of this.live) {
      d.onMessage = (m) => this.answer(d, m);
      d.onStop = () => this.check();
    }
  }

  /** How many cases the workers have answered so far. */
  get answeredByWorkers(): number {
    return this.byWorkers;
  }

  /**
   * Adds the next case. When it completes a chunk and a worker may take it, returns a promise
   * to await before going on, which lets the workers' messages in (and hands them the chunk).
   */
  add(k: CaseToDecide): Promise<void> | undefined {
    this.cases.push(k);
    if (this.live.length === 0) return undefined;
    this.pool!.preload([k.policies]);
    if (this.cases.length % CHUNK !== 0) return undefined;
    this.feed();
    return nextTurn();
  }

  /** Every case decided, in order; the pool closed. */
  async finish(): Promise<DecidedCases> {
    this.start();
    this.finishing = true;
    const chunks = this.chunkCount();
    if (this.live.length > 0 && chunks >= 2) {
      this.feed();
      while (this.o.mainThreadDecides !== false && this.next < chunks) {
        const i = this.next++;
        const end = Math.min(this.cases.length, (i + 1) * CHUNK);
        for (let j = i * CHUNK; j < end; j++) this.decided[j] = decideHere(this.cases[j]!);
        this.mainDecided = true;
        await nextTurn();
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.check();
      });
    }
    await this.abandon();
    // Cases only this thread decides, chunks a failed worker held and never answered, and
    // every case when no worker could take any.
    for (let j = 0; j < this.cases.length; j++) {
      if (this.decided[j]) continue;
      this.decided[j] = decideHere(this.cases[j]!);
      this.mainDecided = true;
    }
    return {
      decided: this.decided as Decided[],
      threads: this.usedWorkers.size + (this.mainDecided || this.cases.length === 0 ? 1 : 0),
      byWorkers: this.byWorkers,
      byWorkersEarly: this.byWorkersEarly,
      failures: [...(this.pool?.failures ?? [])],
    };
  }

  /**
   * Wall clock and CPU time (every thread's) since the first chunk was given out, or since
   * finish began: deciding overlaps resolving the later cases, whose time is then counted too.
   */
  clock(): { ms: number; cpuMs: number } {
    this.start();
    const cpu = process.cpuUsage(this.cpuAtStart);
    return { ms: performance.now() - this.startedAt!, cpuMs: (cpu.user + cpu.system) / 1000 };
  }

  /** Stops the workers; their answers are no longer taken. */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.live) {
      d.onMessage = undefined;
      d.onStop = undefined;
    }
    await this.pool?.close();
  }

  /** The clock and CPU time of the decisions start with the first chunk decided. */
  private start(): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = performance.now();
    this.cpuAtStart = process.cpuUsage();
  }

  /** The chunks to decide: the complete ones so far, and the last one once every case is in. */
  private chunkCount(): number {
    return this.finishing ? Math.ceil(this.cases.length / CHUNK) : Math.floor(this.cases.length / CHUNK);
  }

  /** Gives every ready worker chunks up to HELD, while chunks are left. */
  private feed(): void {
    for (const d of this.live) while (this.give(d));
  }

  private give(d: Decider): boolean {
    if (this.closed || d.stopped || !d.ready || d.held.size >= HELD) return false;
    if (this.next >= this.chunkCount()) return false;
    this.start();
    const index = this.next++;
    const cases = this.wire.chunk(this.cases.slice(index * CHUNK, (index + 1) * CHUNK));
    const gates = this.wire.gates.slice(d.sentGates);
    const contracts = this.wire.contracts.slice(d.sentContracts);
    d.sentGates += gates.length;
    d.sentContracts += contracts.length;
    d.held.add(index);
    this.pool!.send(d, {
      kind: "work",
      index,
      cases,
      ...(gates.length > 0 ? { gates } : {}),
      ...(contracts.length > 0 ? { contracts } : {}),
    });
    return !d.stopped;
  }

  private answer(d: Decider, m: WorkerMessage): void {
    if (m.kind === "chunk") {
      m.decided.forEach((x, j) => {
        if (!x) return;
        this.decided[m.index * CHUNK + j] = x;
        this.byWorkers++;
        if (!this.finishing) this.byWorkersEarly++;
      });
      d.held.delete(m.index);
      this.usedWorkers.add(d);
    }
    while (this.give(d));
    this.check();
  }

  /** Wakes finish when every chunk is given out and no running worker holds one, or every worker has stopped. */
  private check(): void {
    if (!this.finishing) return;
    const chunks = this.chunkCount();
    if (
      (this.next >= chunks && this.live.every((d) => d.stopped || d.held.size === 0)) ||
      this.live.every((d) => d.stopped)
    )
      this.wake();
  }
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
  const run = new CaseDecisions(pool, o);
  for (const k of cases) await run.add(k);
  return run.finish();
}
