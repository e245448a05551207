/**
 * Sign/verify round trips and canonicalisation edge cases: key order, Unicode (non-ASCII kept,
 * astral-plane keys ordered by UTF-16 code units as RFC 8785 says), numbers (ECMAScript form),
 * and values that have no JSON form (refused with SCHEMA_CANONICALIZATION_FAILED).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { SchemaPinError } from "../../schemapin/errors.js";
import { loadP256PrivateKey, loadP256PublicKey } from "../../schemapin/keys.js";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  canonicalSchema,
  checkCanonicalization,
  decodeBase64,
  signSchema,
  verifySchemaSignature,
} from "../../schemapin/signature.js";
import { testKey } from "./helpers.js";

const key = testKey();
const pub = loadP256PublicKey(key.publicKeyPem);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SchemaPinError ? err.code : `not a SchemaPinError: ${String(err)}`;
  }
  return undefined;
}

test("round trip: a signed schema verifies; the signature is base64 DER (SEQUENCE of two INTEGERs)", () => {
  const schema = { name: "whois", inputSchema: { type: "object", properties: { domain: { type: "string" } } } };
  const sig = signSchema(schema, key.privateKey);
  const der = decodeBase64(sig)!;
  assert.is(der[0], 0x30);
  assert.is(verifySchemaSignature(schema, sig, pub.key), "schemapin-v1");
});

test("round trip (property): any JSON object signs and verifies; key order in the source does not matter", () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), (obj) => {
      const sig = signSchema(obj, key.privateKey);
      const reversed = Object.fromEntries(Object.entries(obj).reverse());
      assert.is(verifySchemaSignature(reversed, sig, pub.key), "schemapin-v1");
    }),
    { numRuns: 40 },
  );
});

test("a signature by another key, a truncated or non-base64 signature: SIGNATURE_INVALID", () => {
  const schema = { name: "t" };
  const other = testKey();
  const sig = signSchema(schema, other.privateKey);
  assert.is(
    code(() => verifySchemaSignature(schema, sig, pub.key)),
    "SIGNATURE_INVALID",
  );
  const good = signSchema(schema, key.privateKey);
  assert.is(
    code(() => verifySchemaSignature(schema, good.slice(0, -8), pub.key)),
    "SIGNATURE_INVALID",
  );
  assert.is(
    code(() => verifySchemaSignature(schema, good + "!", pub.key)),
    "SIGNATURE_INVALID",
  );
  assert.is(
    code(() => verifySchemaSignature(schema, "", pub.key)),
    "SIGNATURE_INVALID",
  );
  assert.is(
    code(() => verifySchemaSignature(schema, 42, pub.key)),
    "SIGNATURE_INVALID",
  );
});

test("canonical form: keys sorted recursively, no whitespace, array order kept", () => {
  assert.is(
    canonicalSchema({ b: 1, a: { d: [3, 1, { z: 0, y: 1 }], c: null } }),
    '{"a":{"c":null,"d":[3,1,{"y":1,"z":0}]},"b":1}',
  );
});

test("canonical form: Unicode is kept as UTF-8 text (not \\u-escaped); control characters are escaped", () => {
  assert.is(
    canonicalSchema({ d: "émojis 🔧 ñoñó", e: "tab\tnl\n\u0001" }),
    '{"d":"émojis 🔧 ñoñó","e":"tab\\tnl\\n\\u0001"}',
  );
});

test("canonical form: keys are ordered by UTF-16 code units (RFC 8785), so U+FB33 sorts after an astral-plane key", () => {
  assert.is(canonicalSchema({ "\uFB33": 1, "\u{1F600}": 2, a: 3, Z: 4 }), '{"Z":4,"a":3,"\u{1F600}":2,"\uFB33":1}');
});

test("canonical form: numbers in their shortest ECMAScript form (1.0 → 1, 1e21, -0 → 0)", () => {
  assert.is(
    canonicalSchema({ a: 1.0, b: 1e21, c: -0, d: 0.1, e: 1e-7, f: 100 }),
    '{"a":1,"b":1e+21,"c":0,"d":0.1,"e":1e-7,"f":100}',
  );
});

test("values with no JSON form are refused with SCHEMA_CANONICALIZATION_FAILED", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic["self"] = cyclic;
  for (const bad of [
    { n: NaN },
    { n: Infinity },
    { f: () => 1 },
    { d: new Date(0) },
    { b: BigInt(1) },
    cyclic,
    [1],
    null,
    "s",
  ]) {
    assert.is(
      code(() => canonicalSchema(bad)),
      "SCHEMA_CANONICALIZATION_FAILED",
      String(bad),
    );
  }
});

test("a canonicalization identifier other than schemapin-v1 is CANONICALIZATION_UNSUPPORTED", () => {
  assert.is(
    code(() => checkCanonicalization(undefined)),
    undefined,
  );
  assert.is(
    code(() => checkCanonicalization("schemapin-v1")),
    undefined,
  );
  assert.is(
    code(() => checkCanonicalization("jcs-rfc8785")),
    "CANONICALIZATION_UNSUPPORTED",
  );
});

test("keys: P-256 only; another curve, RSA, Ed25519, junk or a private key is KEY_NOT_FOUND", () => {
  const pem = (k: { publicKey: KeyObject }) => k.publicKey.export({ type: "spki", format: "pem" }).toString();
  assert.is(
    code(() => loadP256PublicKey(pem(generateKeyPairSync("ec", { namedCurve: "secp384r1" })))),
    "KEY_NOT_FOUND",
  );
  assert.is(
    code(() => loadP256PublicKey(pem(generateKeyPairSync("ed25519")))),
    "KEY_NOT_FOUND",
  );
  assert.is(
    code(() => loadP256PublicKey(pem(generateKeyPairSync("rsa", { modulusLength: 1024 })))),
    "KEY_NOT_FOUND",
  );
  assert.is(
    code(() => loadP256PublicKey("-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----")),
    "KEY_NOT_FOUND",
  );
  assert.is(
    code(() => loadP256PublicKey(key.privateKeyPem)),
    "KEY_NOT_FOUND",
  );
  assert.is(
    code(() => loadP256PrivateKey("nope")),
    "KEY_NOT_FOUND",
  );
  assert.match(pub.fingerprint, /^sha256:[0-9a-f]{64}$/);
  assert.is(pub.fingerprint, key.fingerprint);
});

test.run();
