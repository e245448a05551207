/**
 * Discovery over HTTPS against a real server on loopback (self-signed certificate the test
 * trusts), revocation (inline, standalone endpoint, configured sources; fail closed), local
 * files and trust bundles, and the whole verification flow with TOFU pins.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SchemaPinError } from "../../schemapin/errors.js";
import { fetchJson } from "../../schemapin/https-fetch.js";
import {
  ChainResolver,
  LocalFileResolver,
  TrustBundleResolver,
  WellKnownResolver,
  checkDomain,
} from "../../schemapin/resolvers.js";
import { parseDiscoveryDocument, parseTrustBundleDocuments } from "../../schemapin/documents.js";
import { TrustStore } from "../../schemapin/pins.js";
import { SchemaPinVerifier } from "../../schemapin/verify.js";
import { signSchema } from "../../schemapin/signature.js";
import { discoveryJson, tempDir, testKey } from "./helpers.js";
import { startServer, type TestServer } from "./https-server.js";

let server: TestServer;
const tmp = tempDir();
const key = testKey();
const schema = { name: "lookup", description: "Looks a thing up", inputSchema: { type: "object" } };
const signature = signSchema(schema, key.privateKey);

test.before(async () => {
  server = await startServer();
});
test.after(async () => {
  await server.close();
  tmp.cleanup();
});

async function rejects(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<SchemaPinError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, SchemaPinError, String(err));
    assert.is((err as SchemaPinError).code, code, (err as Error).message);
    if (pattern) assert.match((err as Error).message, pattern);
    return err as SchemaPinError;
  }
  return assert.unreachable(`expected ${code}`) as never;
}

function serveDiscovery(doc: unknown): void {
  server.answers.set("/.well-known/schemapin.json", { body: JSON.stringify(doc) });
}

function verifier(store: TrustStore | null = null, timeoutMs = 5000): SchemaPinVerifier {
  return new SchemaPinVerifier({ resolver: new WellKnownResolver({ ca: server.ca, timeoutMs }), trustStore: store });
}

let storeN = 0;
const freshStore = () => new TrustStore(join(tmp.dir, `store-${++storeN}.json`));

test("HTTPS discovery: a schema signed by the key the domain publishes verifies, and the key is pinned on first use", async () => {
  serveDiscovery(discoveryJson(key));
  const store = freshStore();
  const r = await verifier(store).verifySchema({ schema, signature, domain: server.domain, toolId: "lookup" });
  assert.is(r.pin, "first-use");
  assert.is(r.fingerprint, key.fingerprint);
  assert.is(r.developerName, "Test Tools Inc");
  const again = await verifier(store).verifySchema({ schema, signature, domain: server.domain, toolId: "lookup" });
  assert.is(again.pin, "pinned");
});

test("HTTPS only: http:// URLs are refused before any connection; a certificate the client does not trust fails", async () => {
  await rejects(
    fetchJson(`http://${server.domain}/.well-known/schemapin.json`),
    "DISCOVERY_FETCH_FAILED",
    /only fetched over https/,
  );
  serveDiscovery(discoveryJson(key));
  await rejects(
    fetchJson(`https://${server.domain}/.well-known/schemapin.json`),
    "DISCOVERY_FETCH_FAILED",
    /certificate/,
  );
});

test("a revocation_endpoint that is not https:// makes the discovery document invalid", async () => {
  serveDiscovery(discoveryJson(key, { revocation_endpoint: `http://${server.domain}/rev.json` }));
  await rejects(
    verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "lookup" }),
    "DISCOVERY_INVALID",
    /revocation_endpoint/,
  );
});

test("malformed discovery: not JSON, no key, junk key, wrong types → DISCOVERY_INVALID / KEY_NOT_FOUND", async () => {
  server.answers.set("/.well-known/schemapin.json", { body: "{not json" });
  await rejects(
    verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }),
    "DISCOVERY_INVALID",
  );
  serveDiscovery({ schema_version: "1.2" });
  await rejects(
    verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }),
    "DISCOVERY_INVALID",
  );
  serveDiscovery(discoveryJson(key, { revoked_keys: "all" }));
  await rejects(
    verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }),
    "DISCOVERY_INVALID",
  );
  serveDiscovery(discoveryJson({ publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----" }));
  await rejects(verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }), "KEY_NOT_FOUND");
});

test("fetch faults: 404, redirect (not followed), oversized body, no answer (timeout) → DISCOVERY_FETCH_FAILED", async () => {
  const base = `https://${server.domain}`;
  await rejects(fetchJson(`${base}/missing`, { ca: server.ca }), "DISCOVERY_FETCH_FAILED", /404/);
  server.answers.set("/moved", { status: 302, headers: { location: "http://127.0.0.1/" } });
  await rejects(fetchJson(`${base}/moved`, { ca: server.ca }), "DISCOVERY_FETCH_FAILED", /redirect/);
  server.answers.set("/big", { body: JSON.stringify({ pad: "x".repeat(5000) }) });
  await rejects(fetchJson(`${base}/big`, { ca: server.ca, maxBytes: 1000 }), "DISCOVERY_FETCH_FAILED", /larger/);
  server.answers.set("/hang", { hang: true });
  await rejects(fetchJson(`${base}/hang`, { ca: server.ca, timeoutMs: 200 }), "DISCOVERY_FETCH_FAILED", /200 ms/);
});

test("domains that could change the URL are refused", () => {
  for (const bad of ["evil.com/x", "a@b.com", "exa mple.com", "", "-x.com", "x.com:99999999"]) {
    try {
      checkDomain(bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.is((err as SchemaPinError).code, "DISCOVERY_INVALID", bad);
    }
  }
  assert.is(checkDomain("Example.COM."), "example.com");
});

test("revocation: a key listed in the discovery document's revoked_keys is KEY_REVOKED", async () => {
  serveDiscovery(discoveryJson(key, { revoked_keys: [key.fingerprint.toUpperCase().replace("SHA256", "sha256")] }));
  await rejects(verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }), "KEY_REVOKED");
});

test("revocation: the standalone revocation document at revocation_endpoint is fetched and honoured", async () => {
  const endpoint = `https://${server.domain}/.well-known/schemapin-revocations.json`;
  serveDiscovery(discoveryJson(key, { revocation_endpoint: endpoint }));
  const revDoc = (fps: string[]) => ({
    schemapin_version: "1.2",
    domain: server.domain,
    updated_at: "2026-02-11T00:00:00Z",
    revoked_keys: fps.map((fingerprint) => ({
      fingerprint,
      revoked_at: "2026-02-10T00:00:00Z",
      reason: "key_compromise",
    })),
  });
  server.answers.set("/.well-known/schemapin-revocations.json", { body: JSON.stringify(revDoc([])) });
  const ok = await verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" });
  assert.ok(ok.valid);
  server.answers.set("/.well-known/schemapin-revocations.json", { body: JSON.stringify(revDoc([key.fingerprint])) });
  await rejects(
    verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }),
    "KEY_REVOKED",
    /key_compromise/,
  );
});

test("revocation fails closed: an unreachable or malformed revocation endpoint refuses the tool", async () => {
  const endpoint = `https://${server.domain}/rev-broken.json`;
  serveDiscovery(discoveryJson(key, { revocation_endpoint: endpoint }));
  server.answers.set("/rev-broken.json", { status: 503 });
  await rejects(
    verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }),
    "DISCOVERY_FETCH_FAILED",
  );
  server.answers.set("/rev-broken.json", {
    body: JSON.stringify({ domain: server.domain, revoked_keys: [{ fingerprint: "x" }] }),
  });
  await rejects(
    verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }),
    "DISCOVERY_INVALID",
  );
  server.answers.set("/rev-broken.json", { body: JSON.stringify({ domain: "other.example", revoked_keys: [] }) });
  await rejects(verifier().verifySchema({ schema, signature, domain: server.domain, toolId: "t" }), "DOMAIN_MISMATCH");
});

test("revocation: documents the operator configured are checked too", async () => {
  serveDiscovery(discoveryJson(key));
  const v = new SchemaPinVerifier({
    resolver: new WellKnownResolver({ ca: server.ca }),
    trustStore: null,
    revocations: [
      {
        domain: server.domain,
        updatedAt: null,
        revokedKeys: [{ fingerprint: key.fingerprint, revokedAt: null, reason: "superseded" }],
      },
    ],
  });
  await rejects(v.verifySchema({ schema, signature, domain: server.domain, toolId: "t" }), "KEY_REVOKED", /superseded/);
});

test("TOFU: after pinning, a different key served by the same endpoint is KEY_PIN_MISMATCH naming both fingerprints", async () => {
  serveDiscovery(discoveryJson(key));
  const store = freshStore();
  await verifier(store).verifySchema({ schema, signature, domain: server.domain, toolId: "lookup" });
  const rogue = testKey();
  serveDiscovery(discoveryJson(rogue));
  const err = await rejects(
    verifier(store).verifySchema({
      schema,
      signature: signSchema(schema, rogue.privateKey),
      domain: server.domain,
      toolId: "lookup",
    }),
    "KEY_PIN_MISMATCH",
  );
  assert.ok(err.message.includes(key.fingerprint) && err.message.includes(rogue.fingerprint), err.message);
  assert.is(store.pinnedKey(server.domain, "lookup")?.fingerprint, key.fingerprint);
});

test("TOFU: a bad signature on first use pins nothing", async () => {
  serveDiscovery(discoveryJson(key));
  const store = freshStore();
  const forged = signSchema({ ...schema, description: "other" }, key.privateKey);
  await rejects(
    verifier(store).verifySchema({ schema, signature: forged, domain: server.domain, toolId: "lookup" }),
    "SIGNATURE_INVALID",
  );
  assert.is(store.pinnedKey(server.domain, "lookup"), null);
});

test("a verifier fetches each domain's documents once per run", async () => {
  serveDiscovery(discoveryJson(key));
  const v = verifier(freshStore());
  const before = server.hits.length;
  for (let i = 0; i < 5; i++) await v.verifySchema({ schema, signature, domain: server.domain, toolId: `tool${i}` });
  assert.is(server.hits.length - before, 1);
});

test("offline: a local folder of discovery documents, and a trust bundle; a chain takes the first that knows the domain", async () => {
  const dir = join(tmp.dir, "discovery");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(dir);
  writeFileSync(join(dir, "tools.example.json"), JSON.stringify(discoveryJson(key)));
  const local = new SchemaPinVerifier({ resolver: new LocalFileResolver(dir), trustStore: null });
  assert.ok((await local.verifySchema({ schema, signature, domain: "tools.example", toolId: "t" })).valid);
  await rejects(
    local.verifySchema({ schema, signature, domain: "unknown.example", toolId: "t" }),
    "DISCOVERY_FETCH_FAILED",
  );

  const bundle = parseTrustBundleDocuments(
    {
      schemapin_bundle_version: "1.2",
      documents: [
        { domain: "bundled.example", ...discoveryJson(key, { revocation_endpoint: "https://bundled.example/r.json" }) },
      ],
      revocations: [{ domain: "bundled.example", revoked_keys: [] }],
    },
    "b.json",
  );
  const chain = new SchemaPinVerifier({
    resolver: new ChainResolver([new LocalFileResolver(dir), new TrustBundleResolver(bundle, "b.json")]),
    trustStore: null,
  });
  assert.ok((await chain.verifySchema({ schema, signature, domain: "bundled.example", toolId: "t" })).valid);
  assert.ok((await chain.verifySchema({ schema, signature, domain: "tools.example", toolId: "t" })).valid);
});

test("offline fails closed: a bundled document naming a revocation endpoint without a bundled revocation list is refused", async () => {
  const bundle = parseTrustBundleDocuments(
    {
      schemapin_bundle_version: "1.2",
      documents: [
        { domain: "bundled.example", ...discoveryJson(key, { revocation_endpoint: "https://bundled.example/r.json" }) },
      ],
    },
    "b.json",
  );
  const v = new SchemaPinVerifier({ resolver: new TrustBundleResolver(bundle, "b.json"), trustStore: null });
  await rejects(
    v.verifySchema({ schema, signature, domain: "bundled.example", toolId: "t" }),
    "DISCOVERY_FETCH_FAILED",
    /revocation/,
  );
});

test("discovery documents: revoked_keys entries are compared case-insensitively; contact and endpoint read", () => {
  const d = parseDiscoveryDocument(
    discoveryJson(key, { contact: "sec@x", revoked_keys: ["SHA256:" + "A".repeat(64)] }),
    "t",
  );
  assert.equal(d.revokedKeys, ["sha256:" + "a".repeat(64)]);
  assert.is(d.contact, "sec@x");
});

test.run();
