/**
 * The operator's sandbox settings applied to the entry `with` block of a bundle, before its
 * sandboxes are checked (so a refusal comes before anything runs):
 *
 * - `[security] default_sandbox_tier` (Tier1 or Tier2): the tier of a block that names none
 *   (its manifest says `tierDefault`). Such a block is compiled for Tier1; the setting can only
 *   raise it (to Tier2, gVisor), never lower a tier — and a block that names its tier keeps it.
 * - `[security] network_isolation = true`: a block whose sandbox allows any network is refused
 *   (SandboxSetupError, exit 1), naming the setting; nothing is silently cut off.
 */
import type { SandboxManifest, SandboxTier } from "../../formats/sandbox-manifest.js";
import type { Bundle } from "./bundle.js";
import { SandboxSetupError } from "./sandboxes.js";

export interface DefaultTier {
  tier: "tier1" | "tier2";
  /** Where it was set, for the audit log and messages. */
  source: string;
}

const RANK: Record<SandboxTier, number> = { process: 0, tier1: 1, tier2: 2 };

export function runSandbox(
  bundle: Bundle,
  o: { defaultTier?: DefaultTier; networkIsolation?: string },
): { manifest: SandboxManifest; tierFrom?: string } {
  let manifest = bundle.sandbox;
  let tierFrom: string | undefined;
  const d = o.defaultTier;
  if (d && manifest.tierDefault === true && RANK[d.tier] > RANK[manifest.tier]) {
    manifest = { ...manifest, tier: d.tier, runtime: d.tier === "tier2" ? "runsc" : "runc" };
    tierFrom = `default_sandbox_tier (${d.source})`;
  }
  if (o.networkIsolation !== undefined && manifest.network.mode !== "none") {
    const where = manifest.source ? ` (${manifest.source.file}:${manifest.source.line}:${manifest.source.column})` : "";
    throw new SandboxSetupError(
      `agent \`${bundle.agent}\`: its \`with\` block${where} allows network access, but [security] network_isolation is true (${o.networkIsolation}): no tool may reach the network here`,
    );
  }
  return tierFrom === undefined ? { manifest } : { manifest, tierFrom };
}
