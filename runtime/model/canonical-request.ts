/**
 * The canonical JSON (RFC 8785) of a ChatRequest and its SHA-256, computed incrementally.
 *
 * A reasoning loop sends the whole conversation on every turn, so canonicalising and hashing
 * each request from scratch costs time in proportion to the conversation — quadratic over a
 * loop, and with tool outputs of up to 16 KiB per result, the largest part of the loop's own
 * work after a few turns. Instead:
 *
 * - each message (and the tool definitions, one array per loop) is canonicalised once, and its
 *   text cached;
 * - the hash of a conversation is carried on: canonical JSON puts `maxTokens` first and then
 *   `messages`, so the SHA-256 state after `{"maxTokens":N,"messages":[m1,…,mk` is kept, and
 *   the next request with the same N and the same first k messages (the same objects) hashes
 *   only its new messages and the members after them (`model`, `system`, `tools`).
 *
 * The text and the hash are byte for byte those of `canonicalJson(req)` (property tests in
 * test/runtime/model-canonical-request.test.ts), so `requestSha256` — in the audit log, in
 * recordings, in replay matching — is what it was.
 *
 * A cached piece is frozen, deeply, when it enters the cache: its text can never go stale,
 * because changing it afterwards throws instead of silently hashing something else.
 */
import { createHash, type Hash } from "node:crypto";
import { canonicalJson, deepFreeze } from "../../formats/json.js";
import { sha256Hex } from "../../formats/digest.js";
import type { ChatRequest } from "./types.js";

const pieces = new WeakMap<object, string>();

function hasToJson(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === "function";
}

/** The canonical text of a message or of the tools array, from the cache or made (and frozen) now. */
function piece(v: unknown): string {
  if (v === null || typeof v !== "object" || hasToJson(v)) return canonicalJson(v ?? null);
  let text = pieces.get(v);
  if (text === undefined) {
    text = canonicalJson(v);
    deepFreeze(v);
    pieces.set(v, text);
  }
  return text;
}

/** `canonicalJson(req)`, reusing the texts of messages and tool lists seen in earlier requests. */
export function canonicalRequestJson(req: ChatRequest): string {
  const r = req as unknown as Record<string, unknown>;
  if (hasToJson(r)) return canonicalJson(r);
  let out = "";
  // The order and the omissions are RFC 8785's (and the `canonicalize` package's): keys sorted by
  // UTF-16 code units, undefined and symbol members left out.
  for (const key of Object.keys(r).sort()) {
    const v = r[key];
    if (v === undefined || typeof v === "symbol") continue;
    let text: string;
    if (key === "messages" && Array.isArray(v) && !hasToJson(v)) {
      // An undefined or symbol element is `null` in canonical JSON, as `piece` gives for them.
      const parts: string[] = [];
      for (const m of v as unknown[]) parts.push(typeof m === "symbol" ? "null" : piece(m));
      text = `[${parts.join(",")}]`;
    } else if (key === "tools") text = piece(v);
    else text = canonicalJson(v);
    out += `${out === "" ? "" : ","}${JSON.stringify(key)}:${text}`;
  }
  return `{${out}}`;
}

/** A conversation hashed so far: the SHA-256 state after `prefix` and the messages `hashed`. */
interface RunningHash {
  prefix: string;
  hashed: readonly object[];
  state: Hash;
}

/** By a conversation's first message (a conversation is collected with its messages). */
const running = new WeakMap<object, RunningHash>();

/** `sha256Hex(canonicalJson(req))`, hashing only what is new since an earlier request of the same conversation. */
export function canonicalRequestSha256(req: ChatRequest): string {
  const r = req as unknown as Record<string, unknown>;
  const messages = r.messages;
  const first = Array.isArray(messages) ? (messages as unknown[])[0] : undefined;
  // Only plain message objects are tracked by identity; anything else is hashed whole.
  if (
    hasToJson(r) ||
    !Array.isArray(messages) ||
    hasToJson(messages) ||
    !(messages as unknown[]).every((m) => m !== null && typeof m === "object" && !hasToJson(m))
  )
    return sha256Hex(canonicalRequestJson(req));
  const msgs = messages as object[];
  if (first === undefined) return sha256Hex(canonicalRequestJson(req));
  let before = "";
  let after = "";
  let pastMessages = false;
  for (const key of Object.keys(r).sort()) {
    const v = r[key];
    if (key === "messages") {
      pastMessages = true;
      continue;
    }
    if (v === undefined || typeof v === "symbol") continue;
    const member = `${JSON.stringify(key)}:${key === "tools" ? piece(v) : canonicalJson(v)}`;
    if (pastMessages) after += `,${member}`;
    else before += `${member},`;
  }
  const prefix = `{${before}"messages":[`;
  const known = running.get(first as object);
  const resumes =
    known !== undefined &&
    known.prefix === prefix &&
    known.hashed.length <= msgs.length &&
    known.hashed.every((m, i) => msgs[i] === m);
  const state = resumes ? known.state.copy() : createHash("sha256").update(prefix, "utf8");
  for (let i = resumes ? known.hashed.length : 0; i < msgs.length; i++)
    state.update(`${i === 0 ? "" : ","}${piece(msgs[i])}`, "utf8");
  running.set(first as object, { prefix, hashed: msgs.slice(), state: state.copy() });
  return state.update(`]${after}}`, "utf8").digest("hex");
}
