/**
 * The `fetch` the provider clients use. The client libraries do the HTTP work themselves —
 * retries of 408/409/429/5xx (529 included) with exponential backoff, honouring `retry-after`
 * and `retry-after-ms` — and this wrapper only adds what they do not:
 *
 * - **bounds**: a `retry-after` longer than `[model] max_retry_wait` is not waited for (the
 *   response is marked `x-should-retry: false`, which both libraries obey, so the call fails at
 *   once with the wait named); a response body over MAX_RESPONSE_BYTES is cut off with an error;
 * - **fail fast on exhausted quota**: a 429 whose body says the quota or credit is gone
 *   (`insufficient_quota`, `billing_error`) is not retried — waiting cannot refill it;
 * - **a record of the attempts** of each request (statuses, waits asked for), for the audit log;
 * - the `x-symbi-scripted` response header, by which a test server declares its answers scripted
 *   (the recorder writes it into the recording's header).
 *
 * Each request carries its own attempt record through the clients' per-request `fetchOptions`
 * (they pass unknown init fields through to fetch), under EXCHANGE_KEY.
 */
import { saysQuotaExhausted } from "./errors.js";
import type { ExchangeInfo } from "./types.js";
import { nodeHttpFetch } from "./node-http-fetch.js";

/** The per-request field that carries the attempt record to the wrapper. */
export const EXCHANGE_KEY = "symbiExchange";

/** Larger answers are refused: a chat completion is kilobytes; a server sending gigabytes is broken or hostile. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface GovernedFetchOptions {
  /** The longest wait a `retry-after` may ask for before the call fails instead. */
  maxRetryWaitMs: number;
  /** The underlying fetch (default: Node's HTTP client, node-http-fetch.ts). */
  fetch?: typeof globalThis.fetch;
}

/** The wait a response asks for, in milliseconds (retry-after-ms, then retry-after as seconds or an HTTP date). */
export function retryAfterMs(headers: Headers): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && Number.isFinite(parseFloat(ms))) return Math.max(0, parseFloat(ms));
  const ra = headers.get("retry-after");
  if (ra === null) return undefined;
  const secs = parseFloat(ra);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function parsedOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** A Response with the same status and body whose headers tell the client not to retry. */
function noRetry(res: Response, body: string | ReadableStream<Uint8Array> | null): Response {
  const headers = new Headers(res.headers);
  headers.set("x-should-retry", "false");
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

/** The body with a size cap: past `limit` bytes the stream errors, and the client reports a failed request. */
function capped(res: Response, limit: number): Response {
  if (!res.body) return res;
  const length = res.headers.get("content-length");
  const declared = length === null ? NaN : Number(length);
  if (declared > limit) {
    void res.body.cancel();
    throw new Error(`the response is ${declared} bytes, more than the ${limit} a model answer may have`);
  }
  // A declared length is enforced by fetch itself (a longer body is an error): no need to count.
  // Counting re-streams the body, which costs a third of a request's time on loopback.
  const encoded = (res.headers.get("content-encoding") ?? "identity") !== "identity";
  if (Number.isInteger(declared) && declared >= 0 && !encoded) return res;
  let seen = 0;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        seen += chunk.byteLength;
        if (seen > limit)
          ctl.error(new Error(`the response exceeds ${limit} bytes, more than a model answer may have`));
        else ctl.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

export function newExchangeInfo(): ExchangeInfo {
  return { attempts: 0, failures: [] };
}

export function governedFetch(o: GovernedFetchOptions): typeof globalThis.fetch {
  const inner = o.fetch ?? nodeHttpFetch({ maxResponseBytes: MAX_RESPONSE_BYTES });
  return async (url, init) => {
    const { [EXCHANGE_KEY]: tracked, ...rest } = (init ?? {}) as RequestInit & { [EXCHANGE_KEY]?: ExchangeInfo };
    const info = tracked ?? newExchangeInfo();
    info.attempts++;
    const res = await inner(url, rest);
    const scripted = res.headers.get("x-symbi-scripted");
    if (scripted !== null) info.scripted = scripted;
    if (res.ok || !retryable(res.status)) return capped(res, MAX_RESPONSE_BYTES);
    const wait = retryAfterMs(res.headers);
    info.failures.push({ status: res.status, ...(wait !== undefined ? { retryAfterMs: Math.round(wait) } : {}) });
    const tooLong = wait !== undefined && wait > o.maxRetryWaitMs;
    if (res.status === 429) {
      // The body says whether the quota is gone; it is read here and handed on unchanged.
      const body = await res.text();
      if (tooLong || saysQuotaExhausted(parsedOrNull(body))) return noRetry(res, body);
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    if (tooLong) return noRetry(res, res.body);
    return capped(res, MAX_RESPONSE_BYTES);
  };
}
