/**
 * `symbi tools keygen|sign|verify` for the project's own contracts: a signed contract verifies
 * (key discovered over HTTPS from a loopback server whose CA the test passes with --ca, or from a
 * local discovery file); a changed contract, a changed key, a revoked key or an unreadable
 * revocation source is refused with the SchemaPin error code and exit 3.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../helpers/corpus.js";
import { symbi } from "../helpers/symbi.js";
import { startServer, type TestServer } from "./https-server.js";

const tmp = mkdtempSync(join(tmpdir(), "tools-cli-"));
let server: TestServer;
test.before(async () => {
  server = await startServer();
});
test.after(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const contract = join(tmp, "whois.clad.toml");
copyFileSync(join(REPO, "examples/quickstart/tools/greet.clad.toml"), contract);
const key = join(tmp, "signer.pem");
const store = join(tmp, "pins.json");

test("keygen writes a P-256 key (0600), its public key and a discovery document", async () => {
  const r = await symbi("tools", "keygen", "--out", key, "--domain", server.domain, "--developer", "Tools Team");
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /key fingerprint sha256:[0-9a-f]{64}/);
  assert.is(statSync(key).mode & 0o077, 0);
  const doc = JSON.parse(readFileSync(`${key}.schemapin.json`, "utf8")) as Record<string, unknown>;
  assert.is(doc["developer_name"], "Tools Team");
  const again = await symbi("tools", "keygen", "--out", key);
  assert.is(again.code, 1);
  assert.match(again.stderr, /exists \(use --force/);
});

test("sign, then verify with the key discovered over HTTPS (pinned on first use, then pinned)", async () => {
  server.answers.set("/.well-known/schemapin.json", { body: readFileSync(`${key}.schemapin.json`, "utf8") });
  const signed = await symbi("tools", "sign", contract, "--key", key, "--domain", server.domain);
  assert.is(signed.code, 0, signed.stderr);
  const ca = join(tmp, "ca.pem");
  writeFileSync(ca, server.ca);
  const first = await symbi("tools", "verify", contract, "--ca", ca, "--trust-store", store);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, /key pinned on first use/);
  const second = await symbi("tools", "verify", contract, "--ca", ca, "--trust-store", store, "--format", "json");
  const json = JSON.parse(second.stdout) as { results: { valid: boolean; pin: string }[] };
  assert.equal([json.results[0]!.valid, json.results[0]!.pin], [true, "pinned"]);
});

test("without --ca the loopback certificate is not trusted: DISCOVERY_FETCH_FAILED, exit 3", async () => {
  const r = await symbi("tools", "verify", contract, "--trust-store", join(tmp, "other-pins.json"));
  assert.is(r.code, 3);
  assert.match(r.stderr, /DISCOVERY_FETCH_FAILED/);
});

test("a changed value in the contract is refused; a comment or layout change is not", async () => {
  const args = ["--discovery", `${key}.schemapin.json`, "--offline", "--trust-store", store];
  const original = readFileSync(contract, "utf8");
  writeFileSync(contract, `# reviewed\n${original}\n\n`);
  assert.is((await symbi("tools", "verify", contract, ...args)).code, 0);
  writeFileSync(contract, original.replace(/timeout_seconds = \d+/, "timeout_seconds = 999"));
  const r = await symbi("tools", "verify", contract, ...args);
  assert.is(r.code, 3);
  assert.match(r.stderr, /SIGNATURE_INVALID: .*changed since it was signed/);
  writeFileSync(contract, original);
});

test("a different key served for the domain after pinning: KEY_PIN_MISMATCH with both fingerprints", async () => {
  const rogue = join(tmp, "rogue.pem");
  await symbi("tools", "keygen", "--out", rogue, "--domain", server.domain);
  const copy = join(tmp, "copy.clad.toml");
  copyFileSync(contract, copy);
  await symbi("tools", "sign", copy, "--key", rogue, "--domain", server.domain);
  const r = await symbi(
    "tools",
    "verify",
    copy,
    "--discovery",
    `${rogue}.schemapin.json`,
    "--offline",
    "--trust-store",
    store,
  );
  assert.is(r.code, 3);
  assert.match(r.stderr, /KEY_PIN_MISMATCH: .*pinned sha256:[0-9a-f]{64} .*offered sha256:[0-9a-f]{64}/);
});

test("revocation sources: a configured revocation list naming the key refuses; one that cannot be read refuses too", async () => {
  const fp = /sha256:[0-9a-f]{64}/.exec(
    (
      await symbi(
        "tools",
        "verify",
        contract,
        "--discovery",
        `${key}.schemapin.json`,
        "--offline",
        "--trust-store",
        store,
      )
    ).stdout,
  )![0];
  const rev = join(tmp, "rev.json");
  writeFileSync(
    rev,
    JSON.stringify({
      schemapin_version: "1.2",
      domain: server.domain,
      revoked_keys: [{ fingerprint: fp, reason: "key_compromise" }],
    }),
  );
  const args = ["--discovery", `${key}.schemapin.json`, "--offline", "--trust-store", store];
  const revoked = await symbi("tools", "verify", contract, ...args, "--revocations", rev);
  assert.is(revoked.code, 3);
  assert.match(revoked.stderr, /KEY_REVOKED/);
  const missing = await symbi("tools", "verify", contract, ...args, "--revocations", join(tmp, "nope.json"));
  assert.is(missing.code, 3);
  assert.match(missing.stderr, /DISCOVERY_FETCH_FAILED: cannot read .*nope\.json/);
  const http = await symbi(
    "tools",
    "verify",
    contract,
    "--trust-store",
    store,
    "--revocations",
    `http://${server.domain}/rev.json`,
    "--discovery",
    `${key}.schemapin.json`,
  );
  assert.is(http.code, 3);
  assert.match(http.stderr, /only fetched over https/);
});

test("pins lists the pinned key; unpin removes it, after which the rotated key is pinned on first use", async () => {
  const list = await symbi("tools", "pins", "--trust-store", store);
  assert.match(list.stdout, new RegExp(`^${server.domain.replace(/\./g, "\\.")} greet sha256:[0-9a-f]{64}`, "m"));
  const un = await symbi("tools", "unpin", "greet", "--domain", server.domain, "--trust-store", store);
  assert.is(un.code, 0, un.stderr);
  const rogue = join(tmp, "rogue.pem");
  const copy = join(tmp, "copy.clad.toml");
  const r = await symbi(
    "tools",
    "verify",
    copy,
    "--discovery",
    `${rogue}.schemapin.json`,
    "--offline",
    "--trust-store",
    store,
  );
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /key pinned on first use/);
  const again = await symbi("tools", "unpin", "nope", "--domain", server.domain, "--trust-store", store);
  assert.is(again.code, 1);
});

test("an unsigned contract and a damaged trust store are errors with one line each", async () => {
  const plain = join(tmp, "plain.clad.toml");
  copyFileSync(join(REPO, "examples/quickstart/tools/greet.clad.toml"), plain);
  const r = await symbi(
    "tools",
    "verify",
    plain,
    "--discovery",
    `${key}.schemapin.json`,
    "--offline",
    "--trust-store",
    store,
  );
  assert.is(r.code, 3);
  assert.match(r.stderr, /SIGNATURE_INVALID: .*not signed/);
  const broken = join(tmp, "broken.json");
  writeFileSync(broken, "{");
  const b = await symbi(
    "tools",
    "verify",
    contract,
    "--discovery",
    `${key}.schemapin.json`,
    "--offline",
    "--trust-store",
    broken,
  );
  assert.is(b.code, 1);
  assert.match(b.stderr, /^symbi: error: trust store .* is damaged/);
});

test.run();
