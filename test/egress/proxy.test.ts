/**
 * The egress proxy on loopback, in both roles at once — the runtime's relay recording into a
 * real signed audit log, chained to the gateway that only the token opens — with HTTP servers
 * this test starts as destinations: the allowed one answers, every other destination fails, and
 * every attempt is in the log, which verifies.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, request, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "../../runtime/audit/writer.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { EgressAllowlist } from "../../runtime/egress/allowlist.js";
import { proxyAuthorization, startEgressProxy, type EgressProxy } from "../../runtime/egress/proxy.js";
import { EgressRelays } from "../../runtime/egress/relay.js";
import { makeKeys, tempDir } from "../audit/helpers.js";

const TOKEN = "test-token-0123456789abcdef";

async function server(name: string): Promise<{ port: number; server: Server }> {
  const s = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => res.end(`${name} ${req.method} ${req.url} ${body}`));
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as AddressInfo).port, server: s };
}

/** One raw exchange with a proxy: what it answers to `head` (and, after a 200 CONNECT, to `then`). */
function raw(proxyPort: number, head: string, then?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port: proxyPort });
    let got = "";
    let sent = false;
    s.on("data", (d) => {
      got += d;
      if (then && !sent && got.startsWith("HTTP/1.1 200") && got.includes("\r\n\r\n")) {
        sent = true;
        s.write(then);
      }
    });
    s.on("error", () => resolve(got));
    s.on("close", () => resolve(got));
    s.write(head);
    setTimeout(() => s.destroy(), 3000).unref();
  });
}

/** An absolute-form GET through a proxy (what curl does for http:// URLs). */
function viaProxy(proxyPort: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: proxyPort, path: url, headers: { host: new URL(url).host } },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("relay → gateway → destination: the allowed destination answers, every other fails, all recorded", async () => {
  const { dir, cleanup } = tempDir("symbi-egress-");
  const keys = makeKeys(dir);
  const logPath = join(dir, "audit.log");
  const log = AuditLog.open(logPath, { privateKey: keys.privateKey });
  const allowed = await server("allowed");
  const other = await server("other");
  const allow = [{ host: "localhost", port: allowed.port }];
  const gatewayLines: string[] = [];
  const gateway = await startEgressProxy({
    listen: { host: "127.0.0.1", port: 0 },
    allow: new EgressAllowlist(allow),
    upstream: { kind: "direct" },
    token: TOKEN,
    onAttempt: (a) => gatewayLines.push(`${a.decision} ${a.destination} ${a.reason}`),
  });
  const relays = new EgressRelays({ host: "127.0.0.1", port: gateway.address.port, token: TOKEN });
  const detach = relays.attachAudit((type, details) =>
    log.append({ run: "run-1", agent: "fetcher", type, details: { ...details } }),
  );
  let relay: EgressProxy | undefined;
  try {
    relay = await relays.relayFor(allow);
    const port = relay.address.port;
    const ok = `localhost:${allowed.port}`;

    // Allowed: a tunnel (CONNECT) and plain HTTP through the proxy both reach the server.
    const tunnelled = await raw(
      port,
      `CONNECT ${ok} HTTP/1.1\r\nHost: ${ok}\r\n\r\n`,
      `GET /t HTTP/1.1\r\nHost: ${ok}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(tunnelled, /^HTTP\/1\.1 200 Connection Established/);
    assert.match(tunnelled, /allowed GET \/t/);
    const plain = await viaProxy(port, `http://${ok}/p?q=1`);
    assert.equal(plain, { status: 200, body: "allowed GET /p?q=1 " });

    // Every other destination fails at the relay, before anything is connected.
    for (const target of [`localhost:${other.port}`, `127.0.0.1:${allowed.port}`, `example.invalid:${allowed.port}`])
      assert.match(await raw(port, `CONNECT ${target} HTTP/1.1\r\n\r\n`), /^HTTP\/1\.1 403 /, target);
    assert.is((await viaProxy(port, `http://localhost:${other.port}/`)).status, 403);
    // Malformed or not a proxy request at all.
    for (const head of [
      `CONNECT user@${ok} HTTP/1.1\r\n\r\n`,
      "CONNECT localhost HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      `GET http://u:p@${ok}/ HTTP/1.1\r\nHost: x\r\n\r\n`,
    ])
      assert.match(await raw(port, head), /^HTTP\/1\.1 400 /, head);
    // A head too large or never finished is cut off, not buffered.
    assert.match(await raw(port, `CONNECT ${ok} HTTP/1.1\r\nX: ${"a".repeat(20_000)}\r\n\r\n`), /^HTTP\/1\.1 4\d\d /);

    // The gateway: without the token nothing passes, even to the allowed destination.
    const gw = gateway.address.port;
    assert.match(await raw(gw, `CONNECT ${ok} HTTP/1.1\r\n\r\n`), /^HTTP\/1\.1 407 /);
    assert.match(
      await raw(
        gw,
        `CONNECT ${ok} HTTP/1.1\r\nProxy-Authorization: ${proxyAuthorization("wrong-token-000000")}\r\n\r\n`,
      ),
      /^HTTP\/1\.1 407 /,
    );
    assert.match(
      await raw(
        gw,
        `CONNECT localhost:${other.port} HTTP/1.1\r\nProxy-Authorization: ${proxyAuthorization(TOKEN)}\r\n\r\n`,
      ),
      /^HTTP\/1\.1 403 /,
    );
    // A destination that is allowed but down: the attempt is recorded, and so is the failure.
    const down = await server("down");
    const downPort = down.port;
    await new Promise((r) => down.server.close(r));
    const relays2 = new EgressRelays({ host: "127.0.0.1", port: gateway.address.port, token: TOKEN });
    const failures: string[] = [];
    relays2.attachAudit((type, d) => failures.push(`${type} ${JSON.stringify(d)}`));
    const relay2 = await relays2.relayFor([{ host: "localhost", port: downPort }]);
    assert.match(await raw(relay2.address.port, `CONNECT localhost:${downPort} HTTP/1.1\r\n\r\n`), /^HTTP\/1\.1 502 /);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      failures.some((f) => f.startsWith("net_close") && /"outcome":"failed"/.test(f)),
      failures.join("\n"),
    );
    await relays2.close();
  } finally {
    await new Promise((r) => setTimeout(r, 100)); // the last outcomes are written when the sockets close
    detach();
    await relays.close();
    await gateway.close();
    allowed.server.close();
    other.server.close();
    log.close();
  }

  // The log verifies and holds every attempt at the relay, in order, with its decision.
  const v = verifyLog(logPath, { publicKey: keys.publicKey });
  assert.ok(v.ok, JSON.stringify(v));
  const records = readFileSync(logPath, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> });
  const attempts = records.filter((r) => r.type === "net_connect").map((r) => r.details);
  const summary = attempts.map((a) => `${String(a.method)} ${String(a.destination)} ${String(a.decision)}`);
  assert.equal(summary, [
    `CONNECT localhost:${allowed.port} allow`,
    `GET localhost:${allowed.port} allow`,
    `CONNECT localhost:${other.port} deny`,
    `CONNECT 127.0.0.1:${allowed.port} deny`,
    `CONNECT example.invalid:${allowed.port} deny`,
    `GET localhost:${other.port} deny`,
    `CONNECT user@localhost:${allowed.port} deny`,
    "CONNECT localhost deny",
    "GET / deny",
    `GET http://u:p@localhost:${allowed.port}/ deny`,
  ]);
  const closes = records.filter((r) => r.type === "net_close").map((r) => r.details);
  assert.is(closes.length, 2);
  for (const c of closes) {
    assert.is(c.outcome, "closed");
    assert.ok((c.bytesIn as number) > 0 && (c.bytesOut as number) > 0, JSON.stringify(c));
  }
  // The gateway saw only what the relay let through, plus the tokenless tries.
  assert.equal(gatewayLines.slice(0, 2), [
    `allow localhost:${allowed.port} in the allowlist`,
    `allow localhost:${allowed.port} in the allowlist`,
  ]);
  assert.ok(gatewayLines.filter((l) => l.includes("no valid proxy credentials")).length === 2);
  cleanup();
});

test("an attempt that cannot be recorded is refused", async () => {
  const allowed = await server("allowed");
  const relays = new EgressRelays({ host: "127.0.0.1", port: 9, token: TOKEN });
  const relay = await relays.relayFor([{ host: "localhost", port: allowed.port }]);
  // No audit log attached: nothing may leave.
  const answer = await raw(relay.address.port, `CONNECT localhost:${allowed.port} HTTP/1.1\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 503 /);
  await relays.close();
  allowed.server.close();
});

test("a flood of attempts stops the proxy, the last one recorded", async () => {
  const seen: string[] = [];
  const proxy = await startEgressProxy({
    listen: { host: "127.0.0.1", port: 0 },
    allow: new EgressAllowlist([]),
    upstream: { kind: "direct" },
    maxAttempts: 3,
    onAttempt: (a) => seen.push(`${a.id} ${a.decision} ${a.reason}`),
  });
  const port = proxy.address.port;
  for (let i = 0; i < 3; i++)
    assert.match(await raw(port, "CONNECT a.example:443 HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 403 /);
  assert.match(await raw(port, "CONNECT a.example:443 HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 429 /);
  assert.is(await raw(port, "CONNECT a.example:443 HTTP/1.1\r\n\r\n"), "", "no longer listening");
  assert.equal(seen.slice(3), ["4 deny more than 3 attempts; the proxy stops"]);
  assert.is(seen.length, 4);
  await proxy.close();
});

test("the proxy bounds its clients", async () => {
  const seen: string[] = [];
  const proxy = await startEgressProxy({
    listen: { host: "127.0.0.1", port: 0 },
    allow: new EgressAllowlist([]),
    upstream: { kind: "direct" },
    maxConnections: 2,
    onAttempt: (a) => seen.push(a.destination),
  });
  const port = proxy.address.port;
  const open = [0, 1].map(() => connect({ host: "127.0.0.1", port }));
  await new Promise((r) => setTimeout(r, 100));
  const third = await raw(port, "CONNECT a.example:443 HTTP/1.1\r\n\r\n");
  assert.is(third, "", "a connection over the bound is dropped");
  for (const s of open) s.destroy();
  await proxy.close();
});

test.run();
