/**
 * A thread that decides policy cases for `symbic test` beside the main thread (parallel.ts,
 * decide-protocol.ts): it loads the policies it is sent and says it is ready, then decides each
 * chunk of cases it is given with decideCall, as the main thread does, answering with the
 * chunk's outcomes. A case marked for the main thread is skipped. The main thread stops the
 * thread.
 */
import { parentPort } from "node:worker_threads";
import type { ToolContract } from "../compiler/contracts/model.js";
import { PolicySet, type CompiledPolicies, type PolicyGate } from "../runtime/gate/gate.js";
import { CallRequirements } from "../runtime/exec/requirements.js";
import { decideTimed, type Decided } from "./decide.js";
import { callFromWire, policiesKey, type ToWorker, type WorkerMessage } from "./decide-protocol.js";

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

/** The gates and contracts the cases refer to by number, in the order they were sent. */
const gates: Array<{ gate: PolicyGate; requirements: CallRequirements }> = [];
const contracts: ToolContract[] = [];

// The thread starts (its modules, Cedar) while the main thread builds the projects, and loads
// their policies as soon as they are built (Cedar compiles its parser then, not when the cases
// are ready); it is given cases once it has said so.
port.on("message", (m: ToWorker) => {
  switch (m.kind) {
    case "gates":
      for (const p of m.policies) policySet(p);
      port.postMessage({ kind: "ready" } satisfies WorkerMessage);
      return;
    case "work": {
      for (const g of m.gates ?? []) {
        const set = policySet(g.policies);
        gates.push({ gate: set.gate(g.run), requirements: new CallRequirements(set.policiesJson.settings) });
      }
      contracts.push(...(m.contracts ?? []));
      const decided: Array<Decided | null> = m.cases.map((c) => {
        if (!c) return null;
        const g = gates[c.gate];
        if (!g) throw new Error(`decide-worker: no gate ${c.gate}`);
        return decideTimed(g.gate, callFromWire(c.call, contracts, g.requirements), c.approve);
      });
      port.postMessage({ kind: "chunk", index: m.index, decided } satisfies WorkerMessage);
      return;
    }
  }
});
