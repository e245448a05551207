/**
 * SchemaPin signatures (§4, §5, §7): a schema is canonicalised (RFC 8785 JSON, see README —
 * identical to the specification's sorted-key compact form for every JSON value the SDKs agree
 * on), hashed with SHA-256, and that 32-byte hash is signed with ECDSA P-256 / SHA-256; the
 * signature is the base64 of its DER encoding.
 *
 * The Go SDK signs the same hash as the ECDSA digest itself (no second SHA-256). Its signatures
 * verify here too — reported as `prehashed` — because accepting both signing inputs needs no
 * weaker assumption: a signature made for one can only pass as the other through a SHA-256
 * second preimage. Signing always produces the specification's form.
 */
import { createHash, sign, verify, type KeyObject } from "node:crypto";
import { assertJsonObject, canonicalJson } from "../formats/json.js";
import { SchemaPinError } from "./errors.js";

/** The canonicalisation identifiers we accept in a signature document (§19). */
export const CANONICALIZATION_V1 = "schemapin-v1";

export type SignatureForm = "schemapin-v1" | "prehashed";

/** §19: absent or `schemapin-v1` is fine; anything else is refused before any cryptography. */
export function checkCanonicalization(value: unknown): void {
  if (value === undefined || value === null || value === CANONICALIZATION_V1) return;
  throw new SchemaPinError(
    "CANONICALIZATION_UNSUPPORTED",
    `unsupported canonicalization ${JSON.stringify(value)} (only "${CANONICALIZATION_V1}" is known)`,
  );
}

/** The canonical JSON text of a tool schema; SCHEMA_CANONICALIZATION_FAILED for anything that is not plain JSON. */
export function canonicalSchema(schema: unknown): string {
  try {
    assertJsonObject(schema, "schema");
    return canonicalJson(schema);
  } catch (err) {
    if (err instanceof SchemaPinError) throw err;
    const detail = err instanceof RangeError ? "nested too deeply" : (err as Error).message;
    throw new SchemaPinError("SCHEMA_CANONICALIZATION_FAILED", `schema cannot be canonicalised: ${detail}`);
  }
}

export function sha256(data: string | Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/** SHA-256 of the schema's canonical JSON: the value SchemaPin signs. */
export function schemaHash(schema: unknown): Buffer {
  return sha256(canonicalSchema(schema));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (Buffer.from accepts junk and stops quietly); null when it is not base64. */
export function decodeBase64(text: unknown): Buffer | null {
  if (typeof text !== "string" || text.length === 0 || !BASE64.test(text)) return null;
  return Buffer.from(text, "base64");
}

/** Signs a 32-byte hash the specification's way: base64 of the DER ECDSA P-256/SHA-256 signature. */
export function signSchemaPinHash(hash: Uint8Array, privateKey: KeyObject): string {
  return sign("sha256", hash, { key: privateKey, dsaEncoding: "der" }).toString("base64");
}

/**
 * Checks `signatureB64` over `hash` (and, for the Go SDK's form, over `preimage`, the bytes
 * whose SHA-256 is `hash`). Returns the form that verified, or null.
 */
export function verifySchemaPinHash(
  hash: Uint8Array,
  preimage: string | Uint8Array | null,
  signatureB64: unknown,
  publicKey: KeyObject,
): SignatureForm | null {
  const der = decodeBase64(signatureB64);
  if (!der) return null;
  try {
    if (verify("sha256", hash, { key: publicKey, dsaEncoding: "der" }, der)) return "schemapin-v1";
    const data = typeof preimage === "string" ? Buffer.from(preimage, "utf8") : preimage;
    if (data && verify("sha256", data, { key: publicKey, dsaEncoding: "der" }, der)) return "prehashed";
  } catch {
    return null;
  }
  return null;
}

export function signSchema(schema: unknown, privateKey: KeyObject): string {
  return signSchemaPinHash(schemaHash(schema), privateKey);
}

/** Verifies a schema signature; SIGNATURE_INVALID when it does not verify. */
export function verifySchemaSignature(schema: unknown, signatureB64: unknown, publicKey: KeyObject): SignatureForm {
  const canonical = canonicalSchema(schema);
  const form = verifySchemaPinHash(sha256(canonical), canonical, signatureB64, publicKey);
  if (!form) {
    throw new SchemaPinError(
      "SIGNATURE_INVALID",
      decodeBase64(signatureB64) ? "the signature does not match the schema and key" : "the signature is not base64",
    );
  }
  return form;
}
