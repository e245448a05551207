/** Shared fixtures for the SchemaPin tests: temporary folders, key pairs, discovery documents. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, loadP256PrivateKey, type GeneratedKeyPair } from "../../schemapin/keys.js";
import { parseDiscoveryDocument, type DiscoveryDocument } from "../../schemapin/documents.js";

export function tempDir(prefix = "schemapin-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestKey extends GeneratedKeyPair {
  privateKey: ReturnType<typeof loadP256PrivateKey>;
}

export function testKey(): TestKey {
  const pair = generateKeyPair();
  return { ...pair, privateKey: loadP256PrivateKey(pair.privateKeyPem) };
}

export function discoveryJson(
  key: { publicKeyPem: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schema_version: "1.2",
    developer_name: "Test Tools Inc",
    public_key_pem: key.publicKeyPem,
    revoked_keys: [],
    ...extra,
  };
}

export function discovery(key: { publicKeyPem: string }, extra: Record<string, unknown> = {}): DiscoveryDocument {
  return parseDiscoveryDocument(discoveryJson(key, extra), "test");
}
