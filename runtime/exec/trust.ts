/**
 * Whether a bundle may run (docs/bundle.md, "Signatures"). Decided for every bundle of a run —
 * the agent's and each peer's — before anything of it runs:
 *
 *   compiled in memory   `symbi exec FILE.symbi` compiled the operator's own sources in this
 *                        process: nothing stood between build and run to tamper with, so no
 *                        signature is needed (the audit log records the sources' hashes).
 *   signed folder        bundle.sig must name a trusted key (`--trust PUBFILE`, or the
 *                        configuration's `[bundles] trusted_keys`) and verify with that key.
 *   unsigned folder      refused, unless the operator allowed unsigned bundles explicitly
 *                        (`--allow-unsigned`, or `[bundles] allow_unsigned` in the operator's
 *                        file): then it runs, with a warning on stderr and the fact in the audit log.
 *
 * A signature that does not verify, or names a key nobody trusts, is refused even when unsigned
 * bundles are allowed: a bad signature is tampering, not a missing one. Refusals are BundleError
 * (exit 3).
 */
import { checkBundleSignature, type TrustedKey } from "../../formats/bundle-signature.js";
import { BundleError } from "../../formats/bundle.js";
import type { Bundle } from "./bundle.js";

export interface TrustPolicy {
  /** Keys whose bundle signatures are accepted. */
  keys: readonly TrustedKey[];
  /** Set when the operator allows unsigned bundles: what allowed it (e.g. "--allow-unsigned"). */
  allowUnsigned?: string;
}

/** How a bundle came to be trusted; recorded in the run_start audit record. */
export type TrustVerdict =
  | { status: "signed"; keyId: string; trustedBy: string }
  | { status: "unsigned"; allowedBy: string }
  | { status: "compiled"; sources: Array<{ path: string; sha256: string }> };

/** Decides whether `bundle` may run under `policy`; throws BundleError when it may not. */
export function trustBundle(bundle: Bundle, policy: TrustPolicy): TrustVerdict {
  if (bundle.source === "compiled") return { status: "compiled", sources: bundle.manifest.sources ?? [] };
  const sig = bundle.signature;
  if (sig === null) {
    if (policy.allowUnsigned !== undefined) return { status: "unsigned", allowedBy: policy.allowUnsigned };
    throw new BundleError(
      `${bundle.origin} is not signed: sign it with \`symbic build --sign KEYFILE\` and trust the key with --trust KEYFILE.pub (or [bundles] trusted_keys), or run it unsigned with --allow-unsigned`,
    );
  }
  const r = checkBundleSignature(sig, bundle.manifestBytes, policy.keys);
  if (!r.ok) {
    const hint =
      r.reason === "untrusted_key"
        ? "; trust the signer with --trust PUBFILE or [bundles] trusted_keys"
        : ": the bundle was modified after it was signed";
    throw new BundleError(`${bundle.origin}: ${r.problem}${hint}`);
  }
  return { status: "signed", keyId: r.key.keyId, trustedBy: r.key.source };
}

/** One line for stderr when an unsigned bundle runs (the audit log has the same fact). */
export function unsignedWarning(bundle: Bundle, allowedBy: string): string {
  return `warning: running UNSIGNED bundle ${bundle.origin} (allowed by ${allowedBy}); its files are checked against bundle.json only, which anyone who can write the folder can recompute`;
}
