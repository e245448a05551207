/**
 * The provider clients' transport (runtime/model/node-http-fetch.ts), against real servers on
 * loopback: what it sends, what it hands back as a Response, and how it fails — aborts, answers
 * over the size bound (declared, chunked, and compressed), redirects it does not follow, a
 * connection refused, TLS never downgraded — and that its pooled connections are reused and
 * never keep a process alive.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { spawn } from "node:child_process";
import { gzipSync } from "node:zlib";
import { nodeHttpFetch } from "../../runtime/model/node-http-fetch.js";

const T = suite("model transport (node:http)");

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  socket: number;
}

/** Servers started by the current test, closed after it. */
const open: Array<() => Promise<void>> = [];
T.after.each(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/** A server on loopback, closed after the test: what it saw, and how many connections it took. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; seen: Seen[]; connections: () => number }> {
  const seen: Seen[] = [];
  const sockets = new Map<object, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size + 1);
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        socket: sockets.get(req.socket)!,
      });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  open.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, seen, connections: () => sockets.size };
}

const LIMIT = 64 * 1024;

/** The transport under test, with the tests' bound. */
const transport = () => nodeHttpFetch({ maxResponseBytes: LIMIT });

T("sends the method, headers and body, and hands back status, headers and body", async () => {
  const s = await serve((_req, res) => {
    res.writeHead(201, "Made", [
      ["content-type", "application/json"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["retry-after-ms", "5"],
    ]);
    res.end(JSON.stringify({ ok: true }));
  });
  const f = transport();
  const headers = new Headers({ "content-type": "application/json", authorization: "Bearer k" });
  const res = await f(`${s.url}/v1/chat?x=1`, { method: "POST", headers, body: '{"é":1}' });
  assert.is(res.status, 201);
  assert.is(res.statusText, "Made");
  assert.ok(res.ok);
  assert.equal(res.headers.getSetCookie(), ["a=1", "b=2"]);
  assert.is(res.headers.get("retry-after-ms"), "5");
  assert.equal(await res.json(), { ok: true });
  const got = s.seen[0]!;
  assert.is(got.method, "POST");
  assert.is(got.url, "/v1/chat?x=1");
  assert.is(got.headers.authorization, "Bearer k");
  assert.is(got.headers["content-length"], String(Buffer.byteLength('{"é":1}')));
  assert.is(got.body, '{"é":1}');
  // A record of headers and bytes as the body are read the same way.
  const again = await f(`${s.url}/y`, {
    method: "post",
    headers: { "x-a": "1" },
    body: new TextEncoder().encode("bytes"),
  });
  await again.text();
  assert.is(s.seen[1]!.method, "POST");
  assert.is(s.seen[1]!.headers["x-a"], "1");
  assert.is(s.seen[1]!.body, "bytes");
});

T("reuses one connection for requests in turn", async () => {
  const s = await serve((_req, res) => res.end("{}"));
  const f = transport();
  for (let i = 0; i < 5; i++) await (await f(`${s.url}/`, { method: "POST", body: "{}" })).json();
  assert.is(s.seen.length, 5);
  assert.is(s.connections(), 1);
});

T("a body that is neither text nor bytes is refused, not sent empty", async () => {
  const s = await serve((_req, res) => res.end("{}"));
  const f = transport();
  const err = await f(`${s.url}/`, { method: "POST", body: new URLSearchParams({ a: "1" }) }).catch((e: Error) => e);
  assert.instance(err, TypeError);
  assert.match(String(err), /string or byte bodies/);
  assert.is(s.seen.length, 0);
});

T("an answer over the bound fails, declared or chunked; within it, a chunked answer is whole", async () => {
  const big = "x".repeat(LIMIT + 1);
  const s = await serve((req, res) => {
    if (req.url === "/declared") res.end(big);
    else if (req.url === "/chunked") {
      res.write(big.slice(0, 1000));
      res.end(big.slice(1000));
    } else {
      res.write('{"a":');
      res.end("1}");
    }
  });
  const f = transport();
  for (const path of ["/declared", "/chunked"]) {
    const err = await f(`${s.url}${path}`).catch((e: Error) => e);
    assert.instance(err, Error, path);
    assert.match(String(err), new RegExp(`exceeds ${LIMIT} bytes`), path);
  }
  const ok = await f(`${s.url}/small`);
  assert.is(ok.headers.get("transfer-encoding"), null);
  assert.is(ok.headers.get("content-length"), "7");
  assert.equal(await ok.json(), { a: 1 });
});

T("a compressed answer is decoded, within the bound; a bomb or a corrupt one fails", async () => {
  const s = await serve((req, res) => {
    res.setHeader("content-encoding", "gzip");
    if (req.url === "/ok") res.end(gzipSync(JSON.stringify({ answer: "yes" })));
    else if (req.url === "/bomb") res.end(gzipSync(Buffer.alloc(LIMIT * 8)));
    else if (req.url === "/corrupt") res.end(Buffer.from("not gzip at all"));
    else {
      res.setHeader("content-encoding", "zstd-of-the-future");
      res.end("?");
    }
  });
  const f = transport();
  const ok = await f(`${s.url}/ok`);
  assert.is(ok.headers.get("content-encoding"), null, "the body handed on is decoded");
  assert.equal(await ok.json(), { answer: "yes" });
  const bomb = await f(`${s.url}/bomb`).catch((e: Error) => e);
  assert.match(String(bomb), new RegExp(`more than the ${LIMIT} bytes`));
  const corrupt = await f(`${s.url}/corrupt`).catch((e: Error) => e);
  assert.match(String(corrupt), /gzip encoding is corrupt/);
  const unknown = await f(`${s.url}/other`).catch((e: Error) => e);
  assert.match(String(unknown), /does not read: zstd-of-the-future/);
});

T("redirects are handed back, not followed (the key is not resent elsewhere)", async () => {
  const s = await serve((req, res) => {
    if (req.url === "/moved") {
      res.writeHead(307, { location: "/elsewhere" });
      res.end();
    } else res.end("{}");
  });
  const f = transport();
  const res = await f(`${s.url}/moved`, { method: "POST", headers: { authorization: "Bearer k" }, body: "{}" });
  assert.is(res.status, 307);
  assert.is(res.headers.get("location"), "/elsewhere");
  assert.equal(
    s.seen.map((x) => x.url),
    ["/moved"],
  );
});

T("204 has no body; a HEAD answer has none", async () => {
  const s = await serve((req, res) => {
    res.writeHead(req.method === "HEAD" ? 200 : 204);
    res.end();
  });
  const f = transport();
  const none = await f(`${s.url}/`, { method: "DELETE" });
  assert.is(none.status, 204);
  assert.is(none.body, null);
  const head = await f(`${s.url}/`, { method: "HEAD" });
  assert.is(head.body, null);
});

T("aborting rejects with the signal's reason and drops the connection; an aborted signal sends nothing", async () => {
  let dropped = false;
  const s = await serve((req) => {
    req.socket.on("close", () => (dropped = true)); // never answers
  });
  const f = transport();
  const ctl = new AbortController();
  const pending = f(`${s.url}/slow`, { method: "POST", body: "{}", signal: ctl.signal });
  while (s.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
  ctl.abort();
  const err = (await pending.catch((e: unknown) => e)) as DOMException;
  assert.is(err.name, "AbortError");
  for (let i = 0; i < 100 && !dropped; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(dropped, "the connection is closed");
  const before = s.seen.length;
  const done = new AbortController();
  done.abort(new Error("already over"));
  const early = await f(`${s.url}/x`, { signal: done.signal }).catch((e: Error) => e);
  assert.match(String(early), /already over/);
  assert.is(s.seen.length, before);
});

T("a refused connection is a TypeError whose cause carries Node's code", async () => {
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  const f = transport();
  const err = (await f(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as TypeError & {
    cause?: { code?: string };
  };
  assert.instance(err, TypeError);
  assert.is(err.cause?.code, "ECONNREFUSED");
});

T("a connection cut mid-answer fails", async () => {
  const s = await serve((_req, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write('{"partial":');
    setTimeout(() => res.socket?.destroy(), 10);
  });
  const f = transport();
  const err = await f(`${s.url}/`).catch((e: Error) => e);
  assert.instance(err, TypeError);
});

T("an https URL is spoken to over TLS only: a plain-HTTP server there is an error, never a fallback", async () => {
  const s = await serve((_req, res) => res.end("{}"));
  const f = transport();
  const err = (await f(s.url.replace("http:", "https:")).catch((e: unknown) => e)) as TypeError & {
    cause?: { code?: string; message?: string };
  };
  assert.instance(err, TypeError);
  assert.match(`${err.cause?.code} ${err.cause?.message}`, /SSL|TLS|EPROTO|wrong version/i);
  assert.is(s.seen.length, 0, "nothing reached the server as HTTP");
  const other = await f("ftp://127.0.0.1/x").catch((e: Error) => e);
  assert.match(String(other), /http and https, not ftp:/);
});

T("an idle pooled connection does not keep the process alive", async () => {
  const s = await serve((_req, res) => res.end("{}"));
  const modulePath = new URL("../../runtime/model/node-http-fetch.ts", import.meta.url).href;
  const code = `
    const { nodeHttpFetch } = await import(${JSON.stringify(modulePath)});
    const f = nodeHttpFetch({ maxResponseBytes: 1024 });
    await (await f(${JSON.stringify(s.url + "/")})).text();
    console.log("done");`;
  // Asynchronously: the server answering it runs in this process.
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const limit = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const status = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  clearTimeout(limit);
  assert.is(out.trim(), "done", err);
  assert.is(status, 0, "the process ended by itself, well before the 20 s limit");
  assert.is(s.connections(), 1);
});

T.run();
