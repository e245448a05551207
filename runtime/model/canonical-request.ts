/**
 * The canonical JSON (RFC 8785) of a ChatRequest, built from cached pieces.
 *
 * A reasoning loop sends the whole conversation on every turn, so canonicalising each request
 * from scratch costs time in proportion to the conversation — quadratic over a loop, and the
 * largest part of the loop's own work after a few dozen turns. Each message (and the tool
 * definitions, one array per loop) is canonicalised once; later requests join the cached texts.
 * The result is byte for byte what `canonicalJson(req)` gives (test/runtime/model-canonical-request.test.ts),
 * so `requestSha256` — in the audit log, in recordings, in replay matching — is unchanged.
 *
 * A cached piece is frozen, deeply, when it enters the cache: its text can never go stale,
 * because changing it afterwards throws instead of silently hashing something else.
 */
import { canonicalJson } from "../../formats/json.js";
import type { ChatRequest } from "./types.js";

const pieces = new WeakMap<object, string>();

function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== "object" || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

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
