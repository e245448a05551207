/**
 * An HTTP egress proxy that lets only allowlisted `host:port` destinations through, and tells
 * its owner about every attempt before a single byte leaves (runtime/egress/README.md).
 *
 * Two roles, one code:
 *   relay    the runtime's own proxy in a Kubernetes pod (127.0.0.1, for the tools container):
 *            records each attempt in the run's audit log, then reaches the destination through
 *            the egress gateway, presenting the gateway's token (which the tools never see);
 *   gateway  `symbi egress-gateway`, its own pod: the only pod allowed out on the allowlisted
 *            ports; accepts only clients that present the token, checks the allowlist again,
 *            connects directly.
 *
 * Requests: `CONNECT host:port` (HTTPS, git, anything tunnelled) and absolute-form `http://`
 * requests (plain HTTP through a proxy), which are forwarded over a tunnel of their own. Every
 * other request is refused (400). Bounded: at most `maxConnections` client connections,
 * request heads within 16 KiB and 10 s, a connect timeout, an idle timeout per tunnel, and
 * optionally a number of attempts after which it stops.
 *
 * An attempt is `onAttempt`-ed after it is decided and before any connection is made; if that
 * throws (the audit log cannot take the record), the attempt is refused. `onOutcome` follows
 * once the connection has ended (or could not be made), with byte counts.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { EgressAllowlist, formatAuthority, parseAuthority, type Authority } from "./allowlist.js";

export type EgressUpstream = { kind: "direct" } | { kind: "gateway"; host: string; port: number; token: string };

export interface EgressAttempt {
  /** Per-proxy counter: ties an attempt to its outcome. */
  id: number;
  method: string;
  /** The destination as requested (normalised), or the raw text when it is malformed. */
  destination: string;
  /** The client's address. */
  client: string;
  decision: "allow" | "deny";
  reason: string;
}

export interface EgressOutcome {
  id: number;
  destination: string;
  outcome: "closed" | "failed";
  error?: string;
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
}

export interface EgressProxyOptions {
  listen: { host: string; port: number };
  allow: EgressAllowlist;
  upstream: EgressUpstream;
  /** Clients must present this token (Proxy-Authorization: Basic base64("symbi:" + token)). */
  token?: string;
  onAttempt(a: EgressAttempt): void;
  onOutcome?(o: EgressOutcome): void;
  maxConnections?: number;
  /**
   * Attempts after which the proxy stops (a tool flooding it would flood the audit log): the
   * one over the bound is refused (429) and recorded as such, and the proxy stops listening.
   */
  maxAttempts?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface EgressProxy {
  readonly address: { host: string; port: number };
  /** `http://host:port` of the proxy. */
  readonly url: string;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

const MAX_HEAD_BYTES = 16 * 1024;
/** Headers that belong to one hop and are never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** The Proxy-Authorization value for a token. */
export function proxyAuthorization(token: string): string {
  return `Basic ${Buffer.from(`symbi:${token}`).toString("base64")}`;
}

export async function startEgressProxy(o: EgressProxyOptions): Promise<EgressProxy> {
  const connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = o.idleTimeoutMs ?? 300_000;
  const open = new Set<Duplex>();
  let nextId = 1;

  const server = createServer({ maxHeaderSize: MAX_HEAD_BYTES, requestTimeout: 0 });
  server.headersTimeout = 10_000;
  server.maxConnections = o.maxConnections ?? 64;
  server.on("connection", (s: Socket) => {
    open.add(s);
    s.once("close", () => open.delete(s));
  });
  server.on("clientError", (_err, socket: Duplex) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  /** Decides and records one attempt; returns the authority to reach, or null after answering the client. */
  const decide = (
    method: string,
    target: string,
    headers: IncomingHttpHeaders,
    client: Socket,
    refuse: (status: number, text: string, extra?: string) => void,
  ): { id: number; authority: Authority } | null => {
    const id = nextId++;
    const clientAddr = `${client.remoteAddress ?? "?"}:${client.remotePort ?? "?"}`;
    const record = (decision: "allow" | "deny", destination: string, reason: string): boolean => {
      try {
        o.onAttempt({ id, method, destination, client: clientAddr, decision, reason });
        return true;
      } catch {
        return false;
      }
    };
    const authority = parseAuthority(target);
    const shown = authority ? formatAuthority(authority) : target.slice(0, 300);
    if (o.maxAttempts !== undefined && id > o.maxAttempts) {
      if (id === o.maxAttempts + 1) {
        record("deny", shown, `more than ${o.maxAttempts} attempts; the proxy stops`);
        server.close();
      }
      refuse(429, "Too Many Requests");
      return null;
    }
    if (o.token !== undefined && !sameText(headers["proxy-authorization"], proxyAuthorization(o.token))) {
      record("deny", shown, "no valid proxy credentials");
      refuse(407, "Proxy Authentication Required", 'Proxy-Authenticate: Basic realm="symbi"\r\n');
      return null;
    }
    if (!authority) {
      record("deny", shown, "malformed destination");
      refuse(400, "Bad Request");
      return null;
    }
    const d = o.allow.decide(authority);
    if (!d.ok) {
      record("deny", shown, d.reason);
      refuse(403, "Forbidden");
      return null;
    }
    if (!record("allow", shown, "in the allowlist")) {
      refuse(503, "Service Unavailable"); // not recorded, so not made
      return null;
    }
    return { id, authority };
  };

  const outcome = (id: number, a: Authority, started: number, bytes: { out: number; in: number }, error?: string) => {
    try {
      o.onOutcome?.({
        id,
        destination: formatAuthority(a),
        outcome: error === undefined ? "closed" : "failed",
        ...(error !== undefined ? { error } : {}),
        bytesOut: bytes.out,
        bytesIn: bytes.in,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      });
    } catch {
      // The outcome could not be recorded; the connection is over either way.
    }
  };

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const refuse = (status: number, text: string, extra = "") =>
      client.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
    const ok = decide("CONNECT", req.url ?? "", req.headers, client, refuse);
    if (!ok) return;
    const started = performance.now();
    openUpstream(o.upstream, ok.authority, connectTimeoutMs).then(
      (upstream) => {
        open.add(upstream);
        upstream.once("close", () => open.delete(upstream));
        const bytes = traffic(upstream);
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length > 0) upstream.write(head);
        splice(client, upstream, idleTimeoutMs, (error) => outcome(ok.id, ok.authority, started, bytes(), error));
      },
      (e: Error) => {
        outcome(ok.id, ok.authority, started, { out: 0, in: 0 }, e.message);
        refuse(502, "Bad Gateway");
      },
    );
  });

  server.on("request", (req, res) => {
    const refuse = (status: number, text: string, extra = "") => {
      res.writeHead(status, text, {
        connection: "close",
        ...(extra ? { "proxy-authenticate": 'Basic realm="symbi"' } : {}),
      });
      res.end();
    };
    let url: URL | null = null;
    try {
      if (req.url?.startsWith("http://")) url = new URL(req.url);
    } catch {
      url = null;
    }
    if (!url || url.username || url.password) {
      decide(req.method ?? "?", req.url?.slice(0, 300) ?? "", req.headers, req.socket, () =>
        refuse(400, "Bad Request"),
      );
      return;
    }
    const target = `${url.hostname}:${url.port || "80"}`;
    const ok = decide(req.method ?? "?", target, req.headers, req.socket, refuse);
    if (!ok) return;
    const started = performance.now();
    openUpstream(o.upstream, ok.authority, connectTimeoutMs).then(
      (upstream) => {
        open.add(upstream);
        upstream.once("close", () => open.delete(upstream));
        const bytes = traffic(upstream);
        const headers = forwardable(req.headers);
        headers.host = url!.host;
        const out = httpRequest({
          method: req.method,
          path: `${url!.pathname}${url!.search}`,
          headers,
          setHost: false,
          createConnection: () => upstream,
        });
        let failed: string | undefined;
        out.on("response", (r) => {
          res.writeHead(r.statusCode ?? 502, r.statusMessage, forwardable(r.headers));
          r.pipe(res);
        });
        out.on("error", (e) => {
          failed = e.message;
          if (!res.headersSent) refuse(502, "Bad Gateway");
          else res.destroy();
        });
        req.pipe(out);
        upstream.setTimeout(idleTimeoutMs, () => upstream.destroy(new Error("idle timeout")));
        res.once("close", () => {
          upstream.destroy();
          outcome(ok.id, ok.authority, started, bytes(), failed);
        });
      },
      (e: Error) => {
        outcome(ok.id, ok.authority, started, { out: 0, in: 0 }, e.message);
        refuse(502, "Bad Gateway");
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: o.listen.host, port: o.listen.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    address: { host: a.address, port: a.port },
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}

/** Constant-time comparison of a presented credential with the expected one. */
function sameText(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Request or response headers without the hop-by-hop ones (and those `Connection` names). */
function forwardable(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(h.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The bytes sent to and received from the destination from now on, as a function to call at
 * the end (a tunnel's handshake with the gateway is already behind the counters' start).
 */
function traffic(upstream: Socket): () => { out: number; in: number } {
  const out0 = upstream.bytesWritten;
  const in0 = upstream.bytesRead;
  return () => ({ out: upstream.bytesWritten - out0, in: upstream.bytesRead - in0 });
}

/** Copies both ways until either side ends; ends both on idle or error. */
function splice(client: Duplex, upstream: Duplex, idleTimeoutMs: number, done: (error?: string) => void): void {
  let error: string | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    client.destroy();
    upstream.destroy();
    done(error);
  };
  client.pipe(upstream);
  upstream.pipe(client);
  (upstream as Socket).setTimeout?.(idleTimeoutMs, () => {
    error = "idle timeout";
    finish();
  });
  upstream.on("error", (e) => {
    error ??= e.message;
    finish();
  });
  client.on("error", () => finish());
  upstream.once("close", finish);
  client.once("close", finish);
}

/** A socket to the destination: direct, or a tunnel through the gateway. */
function openUpstream(u: EgressUpstream, a: Authority, timeoutMs: number): Promise<Socket> {
  if (u.kind === "direct") return dial(a.host, a.port, timeoutMs);
  return dial(u.host, u.port, timeoutMs).then((s) => tunnel(s, a, u.token, timeoutMs));
}

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Sends CONNECT to the gateway on `s` and resolves with `s` once it answers 200. */
function tunnel(s: Socket, a: Authority, token: string, timeoutMs: number): Promise<Socket> {
  const target = formatAuthority(a);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (message: string) => {
      cleanup();
      s.destroy();
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail(`the egress gateway did not answer within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) {
        if (head.length > MAX_HEAD_BYTES) fail("the egress gateway's answer is too long");
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString("latin1"));
      if (status?.[1] !== "200") {
        fail(`the egress gateway refused ${target} (${status ? status[1] : "no HTTP status"})`);
        return;
      }
      cleanup();
      const rest = head.subarray(end + 4);
      if (rest.length > 0) s.unshift(rest);
      resolve(s);
    };
    const onError = (e: Error) => fail(`the egress gateway: ${e.message}`);
    const onClose = () => fail("the egress gateway closed the connection");
    const cleanup = () => {
      clearTimeout(timer);
      s.off("data", onData);
      s.off("error", onError);
      s.off("close", onClose);
    };
    s.on("data", onData);
    s.once("error", onError);
    s.once("close", onClose);
    s.write(
      `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: ${proxyAuthorization(token)}\r\n\r\n`,
    );
  });
}
