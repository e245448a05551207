/**
 * The audit log's signatures: every signed record is signed over `symbi-audit/1:<record hash>`
 * (the log format as the domain tag), with the key files of formats/keys.ts, re-exported here
 * for the log's users.
 */
import type { KeyObject } from "node:crypto";
import { signDigest, verifyDigest } from "../../formats/keys.js";
import { LOG_FORMAT } from "./record.js";

export {
  generateKeyFiles,
  loadPrivateKey,
  loadPublicKey,
  keyIdOf,
  rawPublicKey,
  publicKeyFromRaw,
  publicKeyPathFor,
  type GeneratedKeyFiles,
} from "../../formats/keys.js";

/** What a signature covers: the domain tag and the record hash, so the key signs nothing else by accident. */
export function signedMessage(hash: string): Buffer {
  return Buffer.from(`${LOG_FORMAT}:${hash}`, "utf8");
}

/** Base64 Ed25519 signature over `signedMessage(hash)`. */
export function signHash(privateKey: KeyObject, hash: string): string {
  return signDigest(privateKey, LOG_FORMAT, hash);
}

export function verifyHashSignature(publicKey: KeyObject, hash: string, sig: string): boolean {
  return verifyDigest(publicKey, LOG_FORMAT, hash, sig);
}
