/**
 * One audit record: its fields, the bytes its hash covers, and its line in the log.
 *
 *   hash = SHA-256( prev  ||  canonical JSON of the record without `hash` and `sig` )
 *
 * where `prev` is the previous record's hash as 64 lowercase hex characters (64 zeros for the
 * first record) and the canonical JSON is RFC 8785. The line written to the log is the canonical
 * JSON of the whole record (with `hash`, and `sig` when signed), so every line is itself RFC 8785
 * text and any JCS library can recompute the hash from the parsed line.
 */
import { canonicalJson, isPlainObject, type JsonObject } from "../../formats/json.js";
import { sha256Hex } from "../../formats/digest.js";

/** Version tag in the genesis record; a verifier refuses logs with another format. */
export const LOG_FORMAT = "symbi-audit/1";
/** `prev` of the first record. */
export const GENESIS_PREV = "0".repeat(64);

/** Events the runtime records (DESIGN §9). Other snake_case types are allowed for extensions. */
export type RuntimeEventType = "run_start" | "run_end" | "decision" | "approval" | "tool_start" | "tool_end" | "error";
/** Events only the log itself writes; `append` refuses them. */
export type SystemEventType = "genesis" | "checkpoint" | "recovered" | "repair" | "rotation" | "archived";
export const SYSTEM_EVENT_TYPES: ReadonlySet<string> = new Set<SystemEventType>([
  "genesis",
  "checkpoint",
  "recovered",
  "repair",
  "rotation",
  "archived",
]);

/** A record before hashing. `run`/`agent` are null for records the log writes itself. */
export interface UnhashedRecord {
  seq: number;
  ts: string;
  run: string | null;
  agent: string | null;
  type: string;
  details: JsonObject;
  prev: string;
}

export interface AuditRecord extends UnhashedRecord {
  /** SHA-256 (hex) over `prev` and the canonical JSON of the other fields. */
  hash: string;
  /** Ed25519 signature (base64) of `signedMessage(hash)`; on genesis and checkpoint records, or on all when the log signs every record. */
  sig?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  "agent",
  "details",
  "hash",
  "prev",
  "run",
  "seq",
  "sig",
  "ts",
  "type",
]);

/**
 * RFC 8785 text of the record without `hash`/`sig`. The top-level keys are fixed, so they are
 * laid out here in sorted order and only `details` goes through the general canonicalizer;
 * JSON.stringify of strings and safe integers is exactly RFC 8785's serialization of them.
 */
export function canonicalBody(r: UnhashedRecord, details = canonicalJson(r.details)): string {
  return (
    `{"agent":${JSON.stringify(r.agent)},"details":${details},"prev":"${r.prev}",` +
    `"run":${JSON.stringify(r.run)},"seq":${r.seq},"ts":${JSON.stringify(r.ts)},"type":${JSON.stringify(r.type)}}`
  );
}

/** The record's hash given its canonical body (see the file comment for the formula). */
export function hashOfBody(prev: string, body: string): string {
  return sha256Hex(prev, body);
}

/** The record's hash computed from its fields. */
export function computeHash(r: UnhashedRecord): string {
  return hashOfBody(r.prev, canonicalBody(r));
}

/**
 * The full line (without the newline): canonical JSON of the record with `hash` and `sig`,
 * built from the same parts as the body so no second canonicalization is needed.
 */
export function serializeRecord(r: AuditRecord, details = canonicalJson(r.details)): string {
  return (
    `{"agent":${JSON.stringify(r.agent)},"details":${details},"hash":"${r.hash}","prev":"${r.prev}",` +
    `"run":${JSON.stringify(r.run)},"seq":${r.seq}${r.sig === undefined ? "" : `,"sig":"${r.sig}"`},` +
    `"ts":${JSON.stringify(r.ts)},"type":${JSON.stringify(r.type)}}`
  );
}

export type ParsedLine =
  | { ok: true; record: AuditRecord; /** hash recomputed from the parsed content */ computedHash: string }
  | { ok: false; detail: string };

/**
 * Parses one log line and recomputes its hash. A line that is not a record (bad JSON, missing
 * or mistyped field) is `ok: false`. A parsed record whose `computedHash` differs from its
 * `hash` was changed after it was written. Unknown extra fields are kept in the hashed body
 * (through the general canonicalizer), so adding a field also breaks the hash.
 */
export function parseRecordLine(text: string): ParsedLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, detail: text.length === 0 ? "empty line" : "not valid JSON" };
  }
  if (!isPlainObject(v)) return { ok: false, detail: "not a JSON object" };
  const bad = shapeProblem(v);
  if (bad) return { ok: false, detail: bad };
  const record = v as unknown as AuditRecord;
  // Fast path: a line in the writer's layout contains its canonical body verbatim once the
  // hash and sig members are cut out. If those bytes hash to `hash`, they are the bytes that
  // were hashed, so nothing needs re-canonicalizing; otherwise fall through to the general path.
  const body = bodyFromLine(text, record);
  if (body !== null) {
    const h = hashOfBody(record.prev, body);
    if (h === record.hash) return { ok: true, record, computedHash: h };
  }
  let extra = false;
  for (const k of Object.keys(v)) if (!KNOWN_KEYS.has(k)) extra = true;
  let computedHash: string;
  if (!extra) computedHash = computeHash(record);
  else {
    const { hash: _h, sig: _s, ...rest } = v;
    computedHash = hashOfBody(record.prev, canonicalJson(rest));
  }
  return { ok: true, record, computedHash };
}

/**
 * The line with its `"hash":"…",` and `"sig":"…",` members removed. They are located by their
 * exact values and the keys that follow them in canonical order (prev+run, ts), searched from the
 * end: after them come only escaped string values and a number, so no copy inside `details`
 * can be picked.
 */
function bodyFromLine(text: string, r: AuditRecord): string | null {
  const hashMember = `"hash":"${r.hash}",`;
  const i = text.lastIndexOf(`${hashMember}"prev":"${r.prev}","run":`);
  if (i < 0) return null;
  let body = text.slice(0, i) + text.slice(i + hashMember.length);
  if (r.sig !== undefined) {
    const sigMember = `"sig":"${r.sig}",`;
    const j = body.lastIndexOf(`${sigMember}"ts":`);
    if (j < 0) return null;
    body = body.slice(0, j) + body.slice(j + sigMember.length);
  }
  return body;
}

function shapeProblem(v: Record<string, unknown>): string | null {
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 1) return "field 'seq' must be a positive integer";
  if (typeof v.ts !== "string") return "field 'ts' must be a string";
  if (v.run !== null && typeof v.run !== "string") return "field 'run' must be a string or null";
  if (v.agent !== null && typeof v.agent !== "string") return "field 'agent' must be a string or null";
  if (typeof v.type !== "string" || v.type.length === 0) return "field 'type' must be a non-empty string";
  if (!isPlainObject(v.details)) return "field 'details' must be an object";
  if (typeof v.prev !== "string" || !HEX64.test(v.prev)) return "field 'prev' must be 64 lowercase hex digits";
  if (typeof v.hash !== "string" || !HEX64.test(v.hash)) return "field 'hash' must be 64 lowercase hex digits";
  if (v.sig !== undefined && (typeof v.sig !== "string" || !BASE64.test(v.sig))) return "field 'sig' must be base64";
  return null;
}
