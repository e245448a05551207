/** The shipping gate (runtime/gate) loaded from a bundle built in memory: what tests decide with. */
import { PolicySet, type GateDecision, type GateRequest, type RunContext } from "../../runtime/gate/gate.js";
import type { BundleFiles } from "../../formats/bundle.js";

function text(files: BundleFiles, path: string): string {
  const b = files.get(path);
  if (!b) throw new Error(`the bundle has no ${path}`);
  return b.toString("utf8");
}

const sets = new WeakMap<BundleFiles, PolicySet>();

/** The policy set of a bundle's files (loaded once per bundle), exactly as `symbi exec` loads it. */
export function policySetOf(files: BundleFiles): PolicySet {
  let s = sets.get(files);
  if (!s) {
    s = PolicySet.load({
      policy: text(files, "policy.cedar"),
      approval: text(files, "approval.cedar"),
      schema: text(files, "schema.cedarschema.json"),
      policiesJson: text(files, "policies.json"),
    });
    sets.set(files, s);
  }
  return s;
}

/** Decides one request for one run (inputs and trusted records). */
export function decideWith(files: BundleFiles, run: RunContext, req: GateRequest): GateDecision {
  return policySetOf(files).gate(run).decide(req);
}
