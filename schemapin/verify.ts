/**
 * The verification flow (§7.2, §15.1), for tool schemas and — through `verifyHashWithKeyOf` —
 * for anything else signed with a provider's key (skills, our own tool contracts):
 *
 *   canonicalization identifier → discovery document → public key (P-256) and fingerprint →
 *   revocation (the document's `revoked_keys`, its revocation endpoint, and every revocation
 *   source the operator configured; an unreadable one refuses) → pinned key (a different pinned
 *   key refuses, naming both fingerprints) → signature → pin on first use.
 *
 * The pin is written only after the signature verified, so a forged first signature cannot pin
 * the forger's key. A `SchemaPinVerifier` keeps each domain's resolved key for its lifetime (one
 * run), so verifying many tools of one provider fetches its documents once.
 */
import type { KeyObject } from "node:crypto";
import type { DiscoveryDocument, RevocationDocument } from "./documents.js";
import { SchemaPinError } from "./errors.js";
import { loadP256PublicKey } from "./keys.js";
import type { PinOutcome, TrustStore } from "./pins.js";
import { checkDomain, type SchemaPinResolver } from "./resolvers.js";
import {
  canonicalSchema,
  checkCanonicalization,
  sha256,
  verifySchemaPinHash,
  type SignatureForm,
} from "./signature.js";

export interface ProviderKey {
  domain: string;
  discovery: DiscoveryDocument;
  key: KeyObject;
  fingerprint: string;
}

export interface VerificationResult {
  valid: true;
  domain: string;
  toolId: string;
  developerName: string | null;
  fingerprint: string;
  /** `first-use`: pinned by this verification; `pinned`: matched the pin; `not-pinned`: no trust store. */
  pin: PinOutcome | "not-pinned";
  signatureForm: SignatureForm;
}

export interface VerifierOptions {
  resolver: SchemaPinResolver;
  trustStore: TrustStore | null;
  /** Revocation documents the operator configured (already read: reading them is where "fail closed" happens). */
  revocations?: RevocationDocument[];
  /** Pin keys on first use (default true). When false, an unpinned key is refused. */
  pinOnFirstUse?: boolean;
}

/** Throws KEY_REVOKED when `fingerprint` is in any of the lists. */
export function checkRevocation(
  fingerprint: string,
  domain: string,
  discovery: DiscoveryDocument,
  documents: readonly (RevocationDocument | null)[],
): void {
  if (discovery.revokedKeys.includes(fingerprint)) {
    throw new SchemaPinError("KEY_REVOKED", `the key ${fingerprint} of ${domain} is revoked (discovery document)`);
  }
  for (const doc of documents) {
    if (!doc || doc.domain.toLowerCase() !== domain) continue;
    const hit = doc.revokedKeys.find((k) => k.fingerprint === fingerprint);
    if (hit) {
      throw new SchemaPinError(
        "KEY_REVOKED",
        `the key ${fingerprint} of ${domain} is revoked (${hit.reason}${hit.revokedAt ? `, ${hit.revokedAt}` : ""})`,
      );
    }
  }
}

export class SchemaPinVerifier {
  private readonly keys = new Map<string, Promise<ProviderKey>>();

  constructor(private readonly opts: VerifierOptions) {}

  /** The domain's key after discovery and revocation checks (cached for this verifier's lifetime). */
  providerKey(domain: string): Promise<ProviderKey> {
    const d = checkDomain(domain);
    let p = this.keys.get(d);
    if (!p) {
      p = this.resolveKey(d);
      this.keys.set(d, p);
      // A failure is not cached: the next call tries again (and fails again, closed).
      p.catch(() => this.keys.delete(d));
    }
    return p;
  }

  private async resolveKey(domain: string): Promise<ProviderKey> {
    const { resolver } = this.opts;
    const discovery = await resolver.resolveDiscovery(domain);
    if (!discovery) {
      throw new SchemaPinError(
        "DISCOVERY_FETCH_FAILED",
        `no discovery document for ${domain} (${resolver.describe(domain)})`,
      );
    }
    const key = loadP256PublicKey(discovery.publicKeyPem, `the public key of ${domain}`);
    const revocation = await resolver.resolveRevocation(domain, discovery);
    checkRevocation(key.fingerprint, domain, discovery, [revocation, ...(this.opts.revocations ?? [])]);
    return { domain, discovery, key: key.key, fingerprint: key.fingerprint };
  }

  /**
   * Verifies a signature over `hash` (with `preimage`, the bytes hashed, for the Go SDK's form)
   * made by the key of `domain`, and pins that key for `toolId`.
   */
  async verifyHash(
    domain: string,
    toolId: string,
    hash: Uint8Array,
    preimage: string | Uint8Array | null,
    signature: unknown,
  ): Promise<VerificationResult> {
    const provider = await this.providerKey(domain);
    const store = this.opts.trustStore;
    const pinned = store?.pinnedKey(provider.domain, toolId) ?? null;
    if (pinned && pinned.fingerprint !== provider.fingerprint) {
      // Let the store produce the one message for a changed key.
      store!.checkAndPin(provider.domain, toolId, provider.fingerprint);
    }
    if (store && !pinned && this.opts.pinOnFirstUse === false) {
      throw new SchemaPinError(
        "KEY_PIN_MISMATCH",
        `no key is pinned for tool "${toolId}" of ${provider.domain} (offered ${provider.fingerprint}) and pinning on first use is off`,
      );
    }
    const form = verifySchemaPinHash(hash, preimage, signature, provider.key);
    if (!form) {
      throw new SchemaPinError(
        "SIGNATURE_INVALID",
        `the signature of "${toolId}" does not verify with the key ${provider.fingerprint} of ${provider.domain}`,
      );
    }
    const pin = store
      ? pinned
        ? "pinned"
        : store.checkAndPin(provider.domain, toolId, provider.fingerprint, provider.discovery.developerName)
      : "not-pinned";
    return {
      valid: true,
      domain: provider.domain,
      toolId,
      developerName: provider.discovery.developerName,
      fingerprint: provider.fingerprint,
      pin,
      signatureForm: form,
    };
  }

  /** §7.2 for a tool schema: `signature` is the base64 DER signature published with it. */
  async verifySchema(args: {
    schema: unknown;
    signature: unknown;
    domain: string;
    toolId: string;
    canonicalization?: unknown;
  }): Promise<VerificationResult> {
    checkCanonicalization(args.canonicalization);
    const canonical = canonicalSchema(args.schema);
    return this.verifyHash(args.domain, args.toolId, sha256(canonical), canonical, args.signature);
  }
}
