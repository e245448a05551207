/** The shipping gate (runtime/gate) loaded from a bundle built in memory: what tests decide with. */
import type { GateDecision, GateRequest, PolicySet, RunContext } from "../../runtime/gate/gate.js";
import { bundleFromFiles, policySetOf as bundlePolicySet } from "../../runtime/exec/bundle.js";
import type { BundleFiles } from "../../formats/bundle.js";

const sets = new WeakMap<BundleFiles, PolicySet>();

/**
 * The policy set of a bundle's files, exactly as `symbi exec` and `symbic test` load it: the
 * files verified as a bundle, then the product's loader (runtime/exec/bundle.ts policySetOf).
 */
export function policySetOf(files: BundleFiles): PolicySet {
  let s = sets.get(files);
  if (!s) {
    const json = files.get("bundle.json");
    if (!json) throw new Error("the bundle has no bundle.json");
    s = bundlePolicySet(bundleFromFiles(json.toString("utf8"), files, "test bundle"));
    sets.set(files, s);
  }
  return s;
}

/** Decides one request for one run (inputs and trusted records). */
export function decideWith(files: BundleFiles, run: RunContext, req: GateRequest): GateDecision {
  return policySetOf(files).gate(run).decide(req);
}
