/**
 * Bundle signatures (docs/bundle.md, "Signatures"): `symbic build --sign KEYFILE` writes
 * `bundle.sig` beside `bundle.json`; `symbi exec` checks it against the keys the operator trusts.
 *
 * `bundle.json` lists the SHA-256 of every other file of the bundle, so one signature over
 * `bundle.json` covers them all. The signature is Ed25519 over `symbi-bundle/v1:<SHA-256 of
 * the bundle.json bytes>`; `bundle.sig` is canonical JSON (RFC 8785) with a final newline:
 *
 *   { "alg": "Ed25519", "bundleSha256": "…", "format": "symbi-bundle-signature/v1",
 *     "keyId": "…", "publicKey": "<raw 32-byte key, base64>", "sig": "<base64>" }
 *
 * `keyId` and `publicKey` only say which key signed: a signature is accepted when `keyId` is one
 * of the trusted keys and the signature verifies with *that trusted key* — never with the key the
 * file carries.
 */
import type { KeyObject } from "node:crypto";
import { sha256Hex } from "./digest.js";
import { keyIdOf, rawPublicKey, signDigest, verifyDigest } from "./keys.js";

export const BUNDLE_SIGNATURE_FILE = "bundle.sig";
export const BUNDLE_SIGNATURE_FORMAT = "symbi-bundle-signature/v1";
/** The domain tag of bundle signatures (audit log signatures use `symbi-audit/1`). */
export const BUNDLE_SIGNATURE_DOMAIN = "symbi-bundle/v1";
/** bundle.sig is small; anything larger is not one. */
export const MAX_BUNDLE_SIGNATURE_BYTES = 4096;

export interface BundleSignature {
  format: typeof BUNDLE_SIGNATURE_FORMAT;
  alg: "Ed25519";
  keyId: string;
  publicKey: string;
  bundleSha256: string;
  sig: string;
}

/** A key the operator trusts for bundle signatures, and where that trust comes from (for messages and the audit log). */
export interface TrustedKey {
  keyId: string;
  key: KeyObject;
  /** e.g. "--trust keys/release.pub", "operator file /etc/symbi/symbi.toml (keys/release.pub)". */
  source: string;
}

/** The text of `bundle.sig` for the given bundle.json bytes. */
export function signBundle(bundleJson: Buffer, privateKey: KeyObject): string {
  const bundleSha256 = sha256Hex(bundleJson);
  // Keys in sorted order: this is the RFC 8785 form of the object (only strings inside).
  const doc = {
    alg: "Ed25519",
    bundleSha256,
    format: BUNDLE_SIGNATURE_FORMAT,
    keyId: keyIdOf(privateKey),
    publicKey: rawPublicKey(privateKey).toString("base64"),
    sig: signDigest(privateKey, BUNDLE_SIGNATURE_DOMAIN, bundleSha256),
  };
  return `${JSON.stringify(doc)}\n`;
}

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses `bundle.sig`; returns the signature or a one-line reason it is not one. */
export function parseBundleSignature(
  bytes: Buffer,
): { ok: true; signature: BundleSignature } | { ok: false; problem: string } {
  if (bytes.length > MAX_BUNDLE_SIGNATURE_BYTES) return { ok: false, problem: "it is too large to be a signature" };
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, problem: "it is not JSON" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, problem: "it is not a JSON object" };
  const o = v as Record<string, unknown>;
  if (o.format !== BUNDLE_SIGNATURE_FORMAT)
    return {
      ok: false,
      problem: `its format is ${JSON.stringify(o.format)}, not ${JSON.stringify(BUNDLE_SIGNATURE_FORMAT)}`,
    };
  if (o.alg !== "Ed25519") return { ok: false, problem: `its algorithm ${JSON.stringify(o.alg)} is not Ed25519` };
  for (const k of ["keyId", "bundleSha256"] as const)
    if (typeof o[k] !== "string" || !HEX64.test(o[k] as string))
      return { ok: false, problem: `"${k}" must be 64 lowercase hex digits` };
  for (const k of ["publicKey", "sig"] as const)
    if (typeof o[k] !== "string" || !BASE64.test(o[k] as string))
      return { ok: false, problem: `"${k}" must be base64` };
  const known = new Set(["format", "alg", "keyId", "publicKey", "bundleSha256", "sig"]);
  const extra = Object.keys(o).find((k) => !known.has(k));
  if (extra !== undefined) return { ok: false, problem: `it has an unknown field ${JSON.stringify(extra)}` };
  return { ok: true, signature: o as unknown as BundleSignature };
}

export type SignatureCheck =
  | { ok: true; key: TrustedKey }
  | { ok: false; reason: "other_bundle" | "untrusted_key" | "bad_signature"; problem: string };

/**
 * Checks a parsed signature against the bytes of bundle.json and the trusted keys. The key is
 * chosen by `keyId` among the trusted keys and the signature verified with it.
 */
export function checkBundleSignature(
  signature: BundleSignature,
  bundleJson: Buffer,
  trusted: readonly TrustedKey[],
): SignatureCheck {
  if (signature.bundleSha256 !== sha256Hex(bundleJson))
    return {
      ok: false,
      reason: "other_bundle",
      problem: "bundle.sig signs another bundle.json (the bundle was modified after it was signed)",
    };
  const key = trusted.find((k) => k.keyId === signature.keyId);
  if (!key) {
    const list =
      trusted.length === 0
        ? "no key is trusted"
        : `trusted: ${trusted.map((k) => `${k.keyId.slice(0, 16)}…`).join(", ")}`;
    return {
      ok: false,
      reason: "untrusted_key",
      problem: `the bundle is signed by key ${signature.keyId.slice(0, 16)}…, which is not trusted (${list})`,
    };
  }
  if (!verifyDigest(key.key, BUNDLE_SIGNATURE_DOMAIN, signature.bundleSha256, signature.sig))
    return {
      ok: false,
      reason: "bad_signature",
      problem: `bundle.sig does not verify with the trusted key ${key.keyId.slice(0, 16)}… (${key.source})`,
    };
  return { ok: true, key };
}
