/**
 * Checks on a single parsed record that the verifier and the writer (when it reopens a log)
 * share: which records must be signed, by which key, what the genesis record must say, and
 * what a checkpoint must say to start a log file on its own (an archive's continuation).
 */
import type { KeyObject } from "node:crypto";
import { GENESIS_PREV, LOG_FORMAT, type AuditRecord } from "./record.js";
import { publicKeyFromRaw, verifyHashSignature } from "./keys.js";
import { sha256Hex } from "../../formats/digest.js";

/** How a log signs: only genesis and checkpoint records, or every record. Fixed by the genesis record. */
export type SigningMode = "checkpoint" | "record";

export interface RecordProblem {
  reason: "wrong_key" | "bad_signature" | "malformed";
  detail: string;
}

export function shortKeyId(keyId: unknown): string {
  return typeof keyId === "string" ? keyId.slice(0, 16) : String(keyId);
}

/** True for records that carry a signature in every log (genesis, checkpoints, key rotations). */
export function isSignedType(type: string): boolean {
  return type === "checkpoint" || type === "genesis" || type === "rotation";
}

/** The key a genesis record or a (new-format) checkpoint names, when its public key matches its key id. */
export function declaredKey(rec: AuditRecord): { keyId: string; publicKey: KeyObject } | null {
  const d = rec.details;
  if (typeof d.publicKey !== "string" || typeof d.keyId !== "string") return null;
  if (sha256Hex(Buffer.from(d.publicKey, "base64")) !== d.keyId) return null;
  const publicKey = publicKeyFromRaw(d.publicKey);
  return publicKey ? { keyId: d.keyId, publicKey } : null;
}

/**
 * What is wrong with a checkpoint that starts a log file (the live log after `symbi audit
 * archive` begins with a copy of the archive's last checkpoint), or null. It must name its key
 * and the log's signing mode, and be signed by that key.
 */
export function anchorProblem(rec: AuditRecord): RecordProblem | null {
  if (rec.type !== "checkpoint" || rec.seq < 2)
    return {
      reason: "malformed",
      detail: "a log starts with its genesis record, or (after archiving) with a copy of the archive's last checkpoint",
    };
  const key = declaredKey(rec);
  if (!key) return { reason: "malformed", detail: "the checkpoint that starts this log does not name its public key" };
  if (rec.details.signing !== "checkpoint" && rec.details.signing !== "record")
    return { reason: "malformed", detail: `unknown signing mode ${JSON.stringify(rec.details.signing)}` };
  if (rec.sig === undefined || !verifyHashSignature(key.publicKey, rec.hash, rec.sig))
    return { reason: "bad_signature", detail: "the checkpoint that starts this log is not signed by the key it names" };
  return null;
}

/**
 * Key and signature checks: a genesis/checkpoint record must name `keyId` and be signed; in
 * "record" mode every record must be signed; any signature present must verify.
 */
export function signatureProblem(
  rec: AuditRecord,
  publicKey: KeyObject,
  keyId: string,
  signing: SigningMode,
): RecordProblem | null {
  if (isSignedType(rec.type) && rec.details.keyId !== keyId) {
    return {
      reason: "wrong_key",
      detail: `${rec.type} names key ${shortKeyId(rec.details.keyId)}…, but the given key is ${shortKeyId(keyId)}…`,
    };
  }
  if (rec.sig === undefined) {
    if (isSignedType(rec.type)) return { reason: "bad_signature", detail: `${rec.type} record has no signature` };
    if (signing === "record")
      return { reason: "bad_signature", detail: "record has no signature (this log signs every record)" };
    return null;
  }
  if (!verifyHashSignature(publicKey, rec.hash, rec.sig)) {
    return { reason: "bad_signature", detail: `signature does not verify with key ${shortKeyId(keyId)}…` };
  }
  return null;
}

/**
 * What is wrong with the first record of a log (other than its signature), or null. With
 * `keyId`, the genesis must also name that key (a log whose key was never rotated).
 */
export function genesisProblem(rec: AuditRecord, keyId?: string): RecordProblem | null {
  if (rec.type !== "genesis" || rec.seq !== 1 || rec.prev !== GENESIS_PREV) {
    return {
      reason: "malformed",
      detail: "the first record of a log must be its genesis record (seq 1, prev all zeros)",
    };
  }
  const d = rec.details;
  if (d.format !== LOG_FORMAT)
    return {
      reason: "malformed",
      detail: `unsupported log format ${JSON.stringify(d.format)} (expected ${LOG_FORMAT})`,
    };
  if (d.alg !== "Ed25519")
    return { reason: "malformed", detail: `unsupported signature algorithm ${JSON.stringify(d.alg)}` };
  if (d.signing !== "checkpoint" && d.signing !== "record")
    return { reason: "malformed", detail: `unknown signing mode ${JSON.stringify(d.signing)}` };
  if (typeof d.publicKey !== "string" || sha256Hex(Buffer.from(d.publicKey, "base64")) !== d.keyId) {
    return { reason: "wrong_key", detail: "the genesis record's public key does not match its key id" };
  }
  if (keyId !== undefined && d.keyId !== keyId) {
    return {
      reason: "wrong_key",
      detail: `log is signed by key ${shortKeyId(d.keyId)}…, but the given key is ${shortKeyId(keyId)}…`,
    };
  }
  return null;
}
