/**
 * A thread that decides policy cases for `symbic test` beside the main thread (parallel.ts):
 * given its job, it loads each gate from the bundle's compiled policies, claims chunks of cases
 * until none is left, and posts each chunk's outcomes (decide-protocol.ts). Deciding is decideCall, as on
 * the main thread; a case marked for the main thread is skipped.
 */
import { parentPort, type MessagePort } from "node:worker_threads";
import { PolicySet, type CompiledPolicies, type PolicyGate } from "../runtime/gate/gate.js";
import { CallRequirements } from "../runtime/exec/requirements.js";
import { decideCall } from "./decide.js";
import {
  callFromWire,
  claimChunk,
  policiesKey,
  type DecideJob,
  type Decided,
  type ToWorker,
  type WorkerMessage,
} from "./decide-protocol.js";

const port = parentPort;
if (!port) throw new Error("decide-worker.ts runs as a worker thread of `symbic test`");

/** The policy sets loaded so far, by policiesKey. */
const loaded = new Map<string, PolicySet>();

function policySet(policies: CompiledPolicies): PolicySet {
  const key = policiesKey(policies);
  let set = loaded.get(key);
  if (!set) loaded.set(key, (set = PolicySet.load(policies)));
  return set;
}

/** Decides the chunks this thread claims of `job`, then says it is done. */
function decideJob(job: DecideJob, port: MessagePort): void {
  const gates: Array<{ gate: PolicyGate; requirements: CallRequirements }> = job.gates.map((g) => {
    const set = policySet(g.policies);
    return { gate: set.gate(g.run), requirements: new CallRequirements(set.policiesJson.settings) };
  });
  const next = new Int32Array(job.next);
  for (;;) {
    const index = claimChunk(next, job.cases.length, job.chunk);
    if (index === undefined) break;
    const decided: Array<Decided | null> = [];
    const end = Math.min(job.cases.length, (index + 1) * job.chunk);
    for (let i = index * job.chunk; i < end; i++) {
      const c = job.cases[i];
      if (!c) {
        decided.push(null);
        continue;
      }
      const g = gates[c.gate]!;
      const t0 = performance.now();
      const out = decideCall(g.gate, callFromWire(c.call, job.contracts, g.requirements), c.approve);
      decided.push({ out, ms: performance.now() - t0 });
    }
    port.postMessage({ kind: "chunk", index, decided } satisfies WorkerMessage);
  }
  port.postMessage({ kind: "done" } satisfies WorkerMessage);
}

// The thread starts (its modules, Cedar) while the main thread builds the projects, loads their
// policies as soon as they are built (Cedar compiles its parser then, not when the cases are
// ready), and decides its one job.
port.on("message", (m: ToWorker) => {
  if (m.kind === "gates") for (const p of m.policies) policySet(p);
  else {
    port.removeAllListeners("message");
    decideJob(m.job, port);
  }
});
