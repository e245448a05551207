/**
 * What `symbic test` hands the threads that decide policy cases beside its main thread
 * (parallel.ts), and what they answer (decide-worker.ts). A case crosses as plain data: its
 * gate as the bundle's compiled policies and the run's inputs and records (each thread loads its
 * own PolicySet from them, as `symbi exec` loads a bundle), its call with the tool's contract by
 * number (one copy per contract), its approval answer. The worker rebuilds the CallSpec and
 * decides it with the same decideCall the main thread uses, so a case's outcome does not
 * depend on the thread that decided it.
 */
import type { ToolContract } from "../compiler/contracts/model.js";
import type { CompiledPolicies, RunContext } from "../runtime/gate/gate.js";
import { CallRequirements } from "../runtime/exec/requirements.js";
import type { Decided } from "./decide.js";
import type { CallSpec } from "./resolve.js";

type ToolCall = Extract<CallSpec, { kind: "tool" }>;
type ActionCall = Extract<CallSpec, { kind: "action" }>;

/** A gate: the bundle's compiled policies bound to one run's inputs and trusted records. */
export interface WireGate {
  policies: CompiledPolicies;
  run: RunContext;
}

/** A call: a CallSpec whose contract is a number (in the order the worker was sent them) and whose `require` settings come from the gate. */
export type WireCall = (Omit<ToolCall, "contract" | "requirements"> & { contract: number }) | ActionCall;

export interface WireCase {
  /** The gate's number (in the order the worker was sent them). */
  gate: number;
  call: WireCall;
  approve?: boolean;
}

/** What the main thread sends a worker. */
export type ToWorker =
  /** Policies to load ahead (any number of times); answered with `ready` once loaded. */
  | { kind: "gates"; policies: CompiledPolicies[] }
  /**
   * One chunk of cases to decide; `null` for a case only the main thread decides (parallel.ts).
   * `gates` and `contracts` are those the cases refer to by number that this worker has not
   * been sent yet, numbered on from those it has.
   */
  | { kind: "work"; index: number; cases: Array<WireCase | null>; gates?: WireGate[]; contracts?: ToolContract[] };

/** The key a worker keeps a loaded PolicySet under: its compiled policies, whole. */
export function policiesKey(p: CompiledPolicies): string {
  return JSON.stringify([p.policy, p.approval, p.schema, p.policiesJson]);
}

export type WorkerMessage =
  /** Policies sent with `gates` are loaded: send work. */
  | { kind: "ready" }
  /** The outcomes of chunk `index`, in order; `null` where the case was left to the main thread. */
  | { kind: "chunk"; index: number; decided: Array<Decided | null> };

/**
 * The CallSpec a wire call stands for. `requirements` are the gate's `require` settings, with a
 * fresh count as in the main thread (a test admits no call, so nothing is ever counted).
 */
export function callFromWire(
  c: WireCall,
  contracts: readonly ToolContract[],
  requirements: CallRequirements,
): CallSpec {
  if (c.kind === "action") return c;
  const contract = contracts[c.contract];
  if (!contract) throw new Error(`decide job: no contract ${c.contract}`);
  return { ...c, contract, requirements };
}

/**
 * Whether `v` is plain data that crosses to another thread as the same value: strings, numbers,
 * booleans, null, undefined, arrays, and objects whose prototype is Object's or null (smol-toml's
 * tables; they arrive with Object's, which nothing that decides reads). Anything else (a TOML
 * date, a class instance, a function) would arrive as a different value or not at all, so its
 * case stays on the main thread.
 */
export function isPlainData(v: unknown, depth = 0): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return true;
  if (typeof v !== "object" || depth > 64) return false;
  if (Array.isArray(v)) return v.every((x) => isPlainData(x, depth + 1));
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k of Object.keys(v)) if (!isPlainData((v as Record<string, unknown>)[k], depth + 1)) return false;
  return Object.getOwnPropertySymbols(v).length === 0;
}
