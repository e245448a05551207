/** Key files: generation (modes, no overwrite), key ids, loading errors, signatures. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import {
  generateKeyFiles,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  signHash,
  signedMessage,
  verifyHashSignature,
} from "../../runtime/audit/keys.js";
import { KeyError } from "../../formats/keys.js";
import { tempDir } from "./helpers.js";

const { dir, cleanup } = tempDir();

function throwsKey(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, KeyError);
    assert.is((err as KeyError).code, "KEY");
    assert.is((err as KeyError).exitCode, 1);
    assert.match((err as Error).message, pattern);
    assert.not.match((err as Error).message, /\n/, "one line");
    return;
  }
  assert.unreachable(`expected KeyError ${pattern}`);
}

test("keygen writes PKCS#8 (0600) and SPKI (.pub) PEM files and a key id of the raw public key", () => {
  const out = join(dir, "k1");
  const g = generateKeyFiles(out);
  assert.is(g.privateKeyPath, out);
  assert.is(g.publicKeyPath, `${out}.pub`);
  assert.is(statSync(out).mode & 0o777, 0o600);
  assert.match(readFileSync(out, "utf8"), /^-----BEGIN PRIVATE KEY-----/);
  assert.match(readFileSync(`${out}.pub`, "utf8"), /^-----BEGIN PUBLIC KEY-----/);
  const spki = createPublicKey(readFileSync(`${out}.pub`, "utf8")).export({ type: "spki", format: "der" });
  const raw = spki.subarray(spki.length - 32); // Ed25519 SPKI ends with the 32-byte key
  assert.is(g.keyId, createHash("sha256").update(raw).digest("hex"));
  assert.is(keyIdOf(loadPrivateKey(out)), g.keyId);
  assert.is(keyIdOf(loadPublicKey(`${out}.pub`)), g.keyId);
  assert.equal(
    readdirSync(dir).filter((f) => f.includes(".tmp-")),
    [],
    "no temporaries left",
  );
});

test("keygen never overwrites without force, and force replaces both files", () => {
  const out = join(dir, "k2");
  const first = generateKeyFiles(out);
  const before = readFileSync(out, "utf8");
  throwsKey(() => generateKeyFiles(out), /k2 already exists; pass --force/);
  assert.is(readFileSync(out, "utf8"), before);

  const lonely = join(dir, "k3");
  writeFileSync(`${lonely}.pub`, "someone else's public key");
  throwsKey(() => generateKeyFiles(lonely), /k3\.pub already exists/);
  assert.is(existsSync(lonely), false, "the private key is removed again when the public one cannot be written");

  const second = generateKeyFiles(out, { force: true });
  assert.is.not(second.keyId, first.keyId);
  assert.is(keyIdOf(loadPublicKey(`${out}.pub`)), second.keyId);
  assert.is(statSync(out).mode & 0o777, 0o600);
});

test("keygen into a missing directory is one clear error and writes nothing", () => {
  throwsKey(
    () => generateKeyFiles(join(dir, "nope", "k")),
    /cannot write key file .*nope\/k: no such file or directory/,
  );
});

test("loading keys: missing, wrong half, wrong algorithm, not PEM, too open", () => {
  const g = generateKeyFiles(join(dir, "k4"));
  throwsKey(() => loadPrivateKey(join(dir, "missing")), /private key file .*missing not found/);
  throwsKey(() => loadPublicKey(join(dir, "missing.pub")), /public key file .*missing\.pub not found/);
  throwsKey(() => loadPrivateKey(dir), /not a regular file/);
  throwsKey(() => loadPublicKey(g.privateKeyPath), /is a private key; pass the public key file/);

  const pubAsPrivate = join(dir, "pub-as-private");
  writeFileSync(pubAsPrivate, readFileSync(g.publicKeyPath), { mode: 0o600 });
  throwsKey(() => loadPrivateKey(pubAsPrivate), /not a PEM private key \(it is a public key/);

  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const rsaPriv = join(dir, "rsa");
  writeFileSync(rsaPriv, rsa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  throwsKey(() => loadPrivateKey(rsaPriv), /holds a rsa key; signatures here use Ed25519 keys/);
  const rsaPub = join(dir, "rsa.pub");
  writeFileSync(rsaPub, rsa.publicKey.export({ type: "spki", format: "pem" }));
  throwsKey(() => loadPublicKey(rsaPub), /holds a rsa key/);

  const junk = join(dir, "junk");
  writeFileSync(junk, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", { mode: 0o600 });
  throwsKey(() => loadPrivateKey(junk), /not a readable PEM private key/);

  chmodSync(g.privateKeyPath, 0o644);
  throwsKey(() => loadPrivateKey(g.privateKeyPath), /accessible by group or others \(mode 0644\); run: chmod 600/);
});

test("signatures cover a domain-separated message and fail for another hash or key", () => {
  const g = generateKeyFiles(join(dir, "k5"));
  const priv = loadPrivateKey(g.privateKeyPath);
  const pub = loadPublicKey(g.publicKeyPath);
  const hash = "ab".repeat(32);
  const sig = signHash(priv, hash);
  assert.is(Buffer.from(sig, "base64").length, 64);
  assert.ok(verifyHashSignature(pub, hash, sig));
  assert.is(verifyHashSignature(pub, "cd".repeat(32), sig), false);
  assert.is(verifyHashSignature(pub, hash, Buffer.alloc(64).toString("base64")), false);
  assert.is(verifyHashSignature(pub, hash, "AAAA"), false);
  const other = generateKeyFiles(join(dir, "k6"));
  assert.is(verifyHashSignature(loadPublicKey(other.publicKeyPath), hash, sig), false);
  assert.is(signedMessage(hash).toString(), `symbi-audit/1:${hash}`);
});

test.after(cleanup);
test.run();
