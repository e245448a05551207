/**
 * Cross-language compatibility: the signed schemas, the signed trust bundle and the skill
 * signature published by the SchemaPin SDKs (test/schemapin/vectors/, data only) verify here.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadP256PublicKey } from "../../schemapin/keys.js";
import { canonicalSchema, verifySchemaSignature } from "../../schemapin/signature.js";
import { parseDiscoveryDocument } from "../../schemapin/documents.js";
import { parseTrustBundle } from "../../schemapin/trust-bundle.js";
import { rootHashOfManifest } from "../../schemapin/skill.js";
import { SchemaPinError } from "../../schemapin/errors.js";
import { TrustStore } from "../../schemapin/pins.js";
import { tempDir } from "./helpers.js";

const dir = fileURLToPath(new URL("./vectors/", import.meta.url));
const load = (name: string) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>;

interface SchemaVector {
  name: string;
  schema: Record<string, unknown>;
  signature: string;
  discovery: Record<string, unknown>;
}
const schemas = load("signed-schemas.json")["vectors"] as SchemaVector[];

test("the vectors cover the Python, JavaScript and Go SDKs", () => {
  assert.equal(
    schemas.map((v) => v.name),
    ["python-sdk", "javascript-sdk", "go-sdk-cli", "go-sdk-example"],
  );
});

for (const v of schemas) {
  test(`vector ${v.name}: the SDK's signed schema verifies with its published key`, () => {
    const doc = parseDiscoveryDocument(v.discovery, v.name);
    const key = loadP256PublicKey(doc.publicKeyPem);
    const form = verifySchemaSignature(v.schema, v.signature, key.key);
    assert.is(form, v.name.startsWith("go-") ? "prehashed" : "schemapin-v1");
  });

  test(`vector ${v.name}: one changed character in the schema fails with SIGNATURE_INVALID`, () => {
    const key = loadP256PublicKey(parseDiscoveryDocument(v.discovery, v.name).publicKeyPem);
    const tampered = JSON.parse(JSON.stringify(v.schema).replace(/"(string|number)"/, '"integer"')) as unknown;
    try {
      verifySchemaSignature(tampered, v.signature, key.key);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, SchemaPinError);
      assert.is((err as SchemaPinError).code, "SIGNATURE_INVALID");
    }
  });
}

test("vector: the specification's canonicalisation example (§4)", () => {
  const text = canonicalSchema({
    description: "Calculates the sum",
    name: "calculate_sum",
    parameters: { b: "integer", a: "integer" },
  });
  assert.is(
    text,
    '{"description":"Calculates the sum","name":"calculate_sum","parameters":{"a":"integer","b":"integer"}}',
  );
});

test("vector: the key fingerprints of the published discovery documents", () => {
  const fps = schemas.map((v) => loadP256PublicKey(v.discovery["public_key_pem"]).fingerprint);
  assert.is(fps[0], "sha256:23126becd9f4f73aff0088cfd07512acf4b61ee114ef9717259c8db54b7b60f7");
  assert.is(fps[1], "sha256:1e5cb07433ed740a40122dfd3183c970ad07ca5eefc2383ef722c39cf950d0ed");
  assert.is(fps[2], "sha256:8120d9001e5cb51e54e2910c0e5fe97bf1ed4e699587f5af94e285a9bbafa07d");
});

test("vector: the Rust SDK's signed trust bundle verifies and pins its authority by kid", () => {
  const { dir: tmp, cleanup } = tempDir();
  try {
    const store = new TrustStore(join(tmp, "pins.json"));
    const bundle = parseTrustBundle(load("signed-trust-bundle.json"), "signed_bundle.json", {
      trustStore: store,
      requireSigned: true,
      now: new Date("2026-06-01T00:00:00Z"),
    });
    assert.is(bundle.authority?.kid, "schemapin-bundle-authority-2026");
    assert.is(bundle.authority?.pin, "first-use");
    assert.ok(bundle.documents.has("example.com"));
    assert.is(store.listAuthorities()[0]?.fingerprint, bundle.authority?.fingerprint);
    // Its authority key is the Go SDK's demo key: the same fingerprint as the go-sdk-cli vector.
    assert.is(bundle.authority?.fingerprint, loadP256PublicKey(schemas[2]!.discovery["public_key_pem"]).fingerprint);
  } finally {
    cleanup();
  }
});

test("vector: the trust bundle with one field changed is refused with SIGNATURE_INVALID", () => {
  const b = load("signed-trust-bundle.json");
  const docs = b["documents"] as Record<string, unknown>[];
  docs[0]!["developer_name"] = "Evil Corp";
  try {
    parseTrustBundle(b, "tampered", { now: new Date("2026-06-01T00:00:00Z") });
    assert.unreachable();
  } catch (err) {
    assert.is((err as SchemaPinError).code, "SIGNATURE_INVALID");
  }
});

test("vector: the trust bundle after its expires_at is BUNDLE_EXPIRED", () => {
  try {
    parseTrustBundle(load("signed-trust-bundle.json"), "late", { now: new Date("2100-01-01T00:00:00Z") });
    assert.unreachable();
  } catch (err) {
    assert.is((err as SchemaPinError).code, "BUNDLE_EXPIRED");
  }
});

test("vector: SchemaPin's own skill signature: skill_hash is the root hash of its file manifest", () => {
  const sig = load("skill-signature.json");
  const root = rootHashOfManifest(sig["file_manifest"] as Record<string, string>);
  assert.is(`sha256:${root.toString("hex")}`, sig["skill_hash"]);
});

test.run();
