/**
 * Fetching SchemaPin documents: HTTPS only (§9 "Transport Security"), certificate checked
 * against the system's CAs or the `ca` given (a private CA; the tests' self-signed certificate),
 * no redirects followed (a redirect could leave HTTPS or the domain), a size cap and a timeout.
 * Every failure is DISCOVERY_FETCH_FAILED naming the URL; a body that is not JSON is
 * DISCOVERY_INVALID.
 */
import { request } from "node:https";
import { SchemaPinError } from "./errors.js";
import { isHttpsUrl, parseJsonDocument } from "./documents.js";

export interface FetchOptions {
  /** Extra trusted CA certificates (PEM), replacing the system's list. */
  ca?: string | Buffer | undefined;
  timeoutMs?: number;
  maxBytes?: number;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_DOCUMENT_BYTES = 1024 * 1024;

export function fetchJson(url: string, opts: FetchOptions = {}): Promise<unknown> {
  const fail = (why: string) => new SchemaPinError("DISCOVERY_FETCH_FAILED", `${url}: ${why}`);
  if (!isHttpsUrl(url)) {
    return Promise.reject(fail("refused: SchemaPin documents are only fetched over https://"));
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const done = (err: Error | null, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolvePromise(value);
    };
    const req = request(
      url,
      { method: "GET", headers: { accept: "application/json" }, ...(opts.ca ? { ca: opts.ca } : {}) },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          const why =
            status >= 300 && status < 400
              ? `redirect (${status}) refused: redirects are not followed`
              : `HTTP ${status}`;
          done(fail(why));
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            done(fail(`document larger than ${maxBytes} bytes`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          if (settled) return;
          let text: string;
          try {
            text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
          } catch {
            done(new SchemaPinError("DISCOVERY_INVALID", `${url}: not UTF-8 text`));
            return;
          }
          try {
            done(null, parseJsonDocument(text, url));
          } catch (err) {
            done(err as Error);
          }
        });
        res.on("error", (err) => done(fail(err.message)));
      },
    );
    const timer = setTimeout(() => {
      done(fail(`no answer within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on("error", (err) => done(fail(err.message)));
    req.end();
  });
}
