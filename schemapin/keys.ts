/**
 * SchemaPin keys: ECDSA P-256 only (§3), public keys in PEM (SubjectPublicKeyInfo), and the key
 * fingerprint `sha256:<lowercase hex of the SHA-256 of the DER SPKI>` (§8.2). Anything else —
 * another curve, RSA, Ed25519, a private key where a public one is expected — is refused.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SchemaPinError } from "./errors.js";

export const FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{64}$/;

export interface SchemaPinPublicKey {
  key: KeyObject;
  /** `sha256:<hex>` of the DER SubjectPublicKeyInfo. */
  fingerprint: string;
  /** The key re-encoded as PEM (SPKI), the form discovery documents carry. */
  pem: string;
}

function requireP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    const kind =
      key.asymmetricKeyType === "ec" ? `EC curve ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    throw new SchemaPinError("KEY_NOT_FOUND", `${what} is not an ECDSA P-256 key (found ${kind})`);
  }
}

/** Parses a PEM public key (SPKI) and checks it is P-256; KEY_NOT_FOUND when it is not usable. */
export function loadP256PublicKey(pem: unknown, what = "public key"): SchemaPinPublicKey {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN PUBLIC KEY-----")) {
    throw new SchemaPinError("KEY_NOT_FOUND", `${what} is not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new SchemaPinError("KEY_NOT_FOUND", `${what} cannot be parsed: ${(err as Error).message}`);
  }
  if (key.type !== "public") throw new SchemaPinError("KEY_NOT_FOUND", `${what} is not a public key`);
  requireP256(key, what);
  return { key, fingerprint: fingerprintOf(key), pem: key.export({ type: "spki", format: "pem" }).toString() };
}

export function fingerprintOf(key: KeyObject): string {
  const der = key.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}

/** Parses a PEM private key (PKCS#8 or SEC1) and checks it is P-256. */
export function loadP256PrivateKey(pem: string, what = "private key"): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new SchemaPinError("KEY_NOT_FOUND", `${what} cannot be parsed: ${(err as Error).message}`);
  }
  requireP256(key, what);
  return key;
}

export interface GeneratedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  fingerprint: string;
}

export function generateKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    fingerprint: fingerprintOf(publicKey),
  };
}

/** Lower-cased and checked `sha256:<64 hex>`, or null when `value` is not a fingerprint. */
export function normalizeFingerprint(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const v = value.trim().toLowerCase();
  return FINGERPRINT_PATTERN.test(v) ? v : null;
}
