/**
 * Trust bundles (§13, §21): a local file of discovery and revocation documents for machines
 * without internet. An unsigned bundle is trusted because the operator chose the file; a signed
 * one (v1.4) must verify — its authority key pinned on first use by `kid` in the trust store, not
 * expired, and its ECDSA P-256/SHA-256 signature over the canonical bundle with `signature` set
 * to "" (§21.3; the Rust SDK's cross-language vector signs those bytes directly).
 */
import { readFileSync } from "node:fs";
import { verify } from "node:crypto";
import { canonicalJson, isPlainObject } from "../formats/json.js";
import { parseJsonDocument, parseTrustBundleDocuments, type TrustBundle } from "./documents.js";
import { SchemaPinError, fsErrorText } from "./errors.js";
import { loadP256PublicKey } from "./keys.js";
import { decodeBase64 } from "./signature.js";
import type { PinOutcome, TrustStore } from "./pins.js";

export interface BundleAuthority {
  kid: string;
  fingerprint: string;
  pin: PinOutcome | "not-pinned";
}

export interface LoadedTrustBundle extends TrustBundle {
  /** Null for an unsigned bundle. */
  authority: BundleAuthority | null;
}

export interface TrustBundleOptions {
  trustStore?: TrustStore | null;
  requireSigned?: boolean;
  now?: Date;
}

/** Checks a signed bundle's authority, expiry and signature; null for an unsigned bundle (unless required). */
export function verifyTrustBundleSignature(
  value: unknown,
  where: string,
  opts: TrustBundleOptions = {},
): BundleAuthority | null {
  if (!isPlainObject(value))
    throw new SchemaPinError("DISCOVERY_INVALID", `${where}: a trust bundle must be a JSON object`);
  const authority = value["bundle_authority"];
  const signature = value["signature"];
  if (authority === undefined && signature === undefined) {
    if (opts.requireSigned) throw new SchemaPinError("BUNDLE_UNSIGNED", `${where}: the trust bundle is not signed`);
    return null;
  }
  if (!isPlainObject(authority) || typeof authority["kid"] !== "string" || typeof signature !== "string") {
    throw new SchemaPinError(
      "BUNDLE_UNSIGNED",
      `${where}: a signed trust bundle needs both "bundle_authority" (kid, public_key_pem) and "signature"`,
    );
  }
  const expires = value["expires_at"];
  if (expires !== undefined && expires !== null) {
    const t = typeof expires === "string" ? Date.parse(expires) : NaN;
    if (Number.isNaN(t)) throw new SchemaPinError("BUNDLE_EXPIRED", `${where}: "expires_at" is not a timestamp`);
    if (t <= (opts.now ?? new Date()).getTime()) {
      throw new SchemaPinError("BUNDLE_EXPIRED", `${where}: the trust bundle expired at ${expires}`);
    }
  }
  const key = loadP256PublicKey(authority["public_key_pem"], `${where}: bundle authority key`);
  const kid = authority["kid"];
  // Pin check before the signature: a changed authority key is reported as such.
  const pinned = opts.trustStore?.listAuthorities().find((a) => a.kid === kid);
  if (pinned && pinned.fingerprint !== key.fingerprint) {
    throw new SchemaPinError(
      "KEY_PIN_MISMATCH",
      `${where}: the trust-bundle authority "${kid}" changed its key: pinned ${pinned.fingerprint}, offered ${key.fingerprint}`,
    );
  }
  const der = decodeBase64(signature);
  const signed = Buffer.from(canonicalJson({ ...value, signature: "" }), "utf8");
  let ok = false;
  try {
    ok = der !== null && verify("sha256", signed, { key: key.key, dsaEncoding: "der" }, der);
  } catch {
    ok = false;
  }
  if (!ok) throw new SchemaPinError("SIGNATURE_INVALID", `${where}: the trust bundle's signature does not verify`);
  const pin = opts.trustStore ? opts.trustStore.checkAndPinAuthority(kid, key.fingerprint) : "not-pinned";
  return { kid, fingerprint: key.fingerprint, pin };
}

export function parseTrustBundle(value: unknown, where: string, opts: TrustBundleOptions = {}): LoadedTrustBundle {
  const authority = verifyTrustBundleSignature(value, where, opts);
  return { ...parseTrustBundleDocuments(value, where), authority };
}

export function readTrustBundle(path: string, opts: TrustBundleOptions = {}): LoadedTrustBundle {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SchemaPinError("DISCOVERY_FETCH_FAILED", `cannot read trust bundle ${path}: ${fsErrorText(err)}`);
  }
  return parseTrustBundle(parseJsonDocument(text, path), path, opts);
}
