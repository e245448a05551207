/**
 * The transport under the provider clients' `fetch` option: one request and its answer over
 * Node's own HTTP client (`node:http`, `node:https`), with a keep-alive connection pool per
 * client. The libraries still do everything above the transport (retries, back-off,
 * `retry-after`, timeouts through the signal they pass, error classes), and http.ts still adds
 * what they do not.
 *
 * Why not the global `fetch`: on Node 20 it is undici's implementation of the web standard, with
 * web streams on both sides of every request; for a model call on loopback it cost about twice
 * Node's HTTP client in CPU (0.97 vs 0.52 ms for the 20 KiB request at the end of
 * `npm run bench -- reason`, which prints both), most of the reasoning loop's overhead per
 * iteration.
 *
 * What it does, and deliberately does not:
 * - bodies are strings or bytes (what the libraries send for JSON requests); anything else is a
 *   TypeError, never a silently empty body;
 * - the answer is read whole (the clients make non-streaming calls; a streamed answer would
 *   arrive all at once, at its end), up to `maxResponseBytes` (the connection is cut past it), and
 *   handed on as a standard `Response`; a gzip, deflate or brotli body is decoded within the
 *   same bound (a server may compress without being asked);
 * - redirects are not followed: the 3xx answer goes back to the library, which fails the call
 *   with its status (errors.ts names it a configuration error, with its `location`). An API
 *   endpoint that redirects is misconfigured, and following it would resend the request and its
 *   key to wherever it points;
 * - an `https:` URL is only ever spoken to over TLS with Node's certificate checks (no option
 *   here turns them off);
 * - aborting the signal destroys the connection and rejects with the signal's reason (an
 *   `AbortError`, as the libraries expect); a connection failure rejects with a TypeError whose
 *   `cause` is Node's error (its `code`: ECONNREFUSED, ENOTFOUND, ...), as undici's fetch does.
 *
 * Idle pooled connections do not keep the process alive (Node's agent unrefs them). Like Node
 * 20's `fetch`, it does not read `HTTP(S)_PROXY`.
 */
import http from "node:http";
import https from "node:https";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

export interface NodeHttpFetchOptions {
  /** Longer answers are refused (after decoding). */
  maxResponseBytes: number;
}

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

function headerRecord(headers: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined || headers === null) return out;
  // Headers, arrays of pairs and records all iterate (or enumerate) to name/value pairs.
  const pairs: Iterable<[string, string]> =
    headers instanceof Headers || Array.isArray(headers)
      ? (headers as Iterable<[string, string]>)
      : Object.entries(headers as Record<string, string>);
  for (const [k, v] of pairs) {
    const name = k.toLowerCase();
    out[name] = name in out ? `${out[name]}, ${v}` : String(v);
  }
  return out;
}

function bodyBytes(body: RequestInit["body"]): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError("the model transport sends string or byte bodies only");
}

function responseHeaders(res: http.IncomingMessage): Headers {
  const h = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) h.append(raw[i]!, raw[i + 1]!);
  return h;
}

function decoded(body: Buffer, encoding: string | undefined, limit: number): Buffer {
  const e = (encoding ?? "identity").trim().toLowerCase();
  if (e === "identity" || e === "") return body;
  const o = { maxOutputLength: limit };
  try {
    if (e === "gzip" || e === "x-gzip") return gunzipSync(body, o);
    if (e === "deflate") return inflateSync(body, o);
    if (e === "br") return brotliDecompressSync(body, o);
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new Error(`the response decodes to more than the ${limit} bytes a model answer may have`);
    throw new Error(`the response's ${e} encoding is corrupt: ${(err as Error).message}`);
  }
  throw new Error(`the response has an encoding this client does not read: ${e}`);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** A `fetch` over Node's HTTP client, with its own keep-alive pools. */
export function nodeHttpFetch(o: NodeHttpFetchOptions): typeof globalThis.fetch {
  const agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
  };
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      if (input instanceof Request) throw new TypeError("the model transport takes a URL and options, not a Request");
      const url = new URL(String(input));
      if (url.protocol !== "http:" && url.protocol !== "https:")
        throw new TypeError(`the model transport speaks http and https, not ${url.protocol}`);
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) throw abortReason(signal);
      const method = (init?.method ?? "GET").toUpperCase();
      const headers = headerRecord(init?.headers);
      const body = bodyBytes(init?.body);
      if (body !== undefined) headers["content-length"] = String(body.byteLength);
      const request = url.protocol === "https:" ? https.request : http.request;
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        req.destroy();
        reject(e);
      };
      const onAbort = () => fail(abortReason(signal!));
      const req = request(url, { method, headers, agent: agents[url.protocol] }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.byteLength;
          if (size > o.maxResponseBytes)
            fail(new Error(`the response exceeds ${o.maxResponseBytes} bytes, more than a model answer may have`));
          else chunks.push(c);
        });
        res.on("error", (e) => fail(new TypeError("fetch failed", { cause: e })));
        res.on("close", () => {
          if (!res.complete)
            fail(new TypeError("fetch failed", { cause: new Error("the connection closed mid-answer") }));
        });
        res.on("end", () => {
          if (settled) return;
          try {
            const status = res.statusCode ?? 0;
            const encoding = res.headers["content-encoding"];
            const raw = Buffer.concat(chunks, size);
            const bytes = decoded(raw, encoding, o.maxResponseBytes);
            const h = responseHeaders(res);
            // The body handed on is whole, and decoded: say so, as its length.
            if (bytes !== raw) h.delete("content-encoding");
            h.delete("transfer-encoding");
            h.set("content-length", String(bytes.byteLength));
            const response = new Response(
              NULL_BODY_STATUS.has(status) || method === "HEAD" ? null : (bytes as Uint8Array<ArrayBuffer>),
              {
                status,
                statusText: res.statusMessage ?? "",
                headers: h,
              },
            );
            settled = true;
            signal?.removeEventListener("abort", onAbort);
            resolve(response);
          } catch (e) {
            // A corrupt or oversized encoding, or a status or header no Response can carry.
            fail(e instanceof TypeError ? new TypeError("fetch failed", { cause: e }) : e);
          }
        });
      });
      req.on("error", (e) => fail(new TypeError("fetch failed", { cause: e })));
      signal?.addEventListener("abort", onAbort, { once: true });
      req.end(body);
    });
}
