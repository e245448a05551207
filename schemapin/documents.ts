/**
 * The SchemaPin documents we read, checked field by field: discovery documents
 * (`/.well-known/schemapin.json`, §6, §8.1), standalone revocation documents (§8.5) and trust
 * bundles (§13, §21). A document that is malformed is refused with DISCOVERY_INVALID; a field we
 * would act on is never silently ignored. Unknown fields are allowed (forward compatibility, §12).
 */
import { isPlainObject } from "../formats/json.js";
import { SchemaPinError } from "./errors.js";
import { normalizeFingerprint } from "./keys.js";

export interface DiscoveryDocument {
  schemaVersion: string;
  developerName: string | null;
  /** The PEM text as published; parsed (and checked to be P-256) when it is used. */
  publicKeyPem: string;
  /** Normalised `sha256:<hex>` fingerprints. */
  revokedKeys: string[];
  contact: string | null;
  revocationEndpoint: string | null;
}

export const REVOCATION_REASONS = ["key_compromise", "superseded", "cessation_of_operation", "privilege_withdrawn"];

export interface RevokedKey {
  fingerprint: string;
  revokedAt: string | null;
  reason: string;
}

export interface RevocationDocument {
  domain: string;
  updatedAt: string | null;
  revokedKeys: RevokedKey[];
}

function invalid(where: string, message: string): SchemaPinError {
  return new SchemaPinError("DISCOVERY_INVALID", `${where}: ${message}`);
}

function optionalString(obj: Record<string, unknown>, key: string, where: string): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw invalid(where, `"${key}" must be a string`);
  return v;
}

/** Parses JSON text (DISCOVERY_INVALID when it is not JSON). */
export function parseJsonDocument(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(where, `not valid JSON (${(err as Error).message})`);
  }
}

export function isHttpsUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "https:" && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}

export function parseDiscoveryDocument(value: unknown, where: string): DiscoveryDocument {
  if (!isPlainObject(value)) throw invalid(where, "a discovery document must be a JSON object");
  const pem = value["public_key_pem"];
  if (typeof pem !== "string" || !pem.includes("-----BEGIN PUBLIC KEY-----")) {
    throw invalid(where, `"public_key_pem" must be a PEM public key`);
  }
  const version = value["schema_version"];
  if (typeof version !== "string" || !/^\d+\.\d+(\.\d+)?$/.test(version)) {
    throw invalid(where, `"schema_version" must be a version string such as "1.2"`);
  }
  const revoked: string[] = [];
  const list = value["revoked_keys"];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) throw invalid(where, `"revoked_keys" must be an array of key fingerprints`);
    list.forEach((entry, i) => {
      // Entries are compared, not parsed: the specification's own examples (and the SDKs' demo
      // documents) list placeholders of the wrong length, which can match no key but are not errors.
      if (typeof entry !== "string") throw invalid(where, `"revoked_keys"[${i}] must be a key fingerprint string`);
      revoked.push(normalizeFingerprint(entry) ?? entry.trim().toLowerCase());
    });
  }
  const endpoint = optionalString(value, "revocation_endpoint", where);
  if (endpoint !== null && !isHttpsUrl(endpoint)) {
    throw invalid(where, `"revocation_endpoint" must be an https:// URL (got ${JSON.stringify(endpoint)})`);
  }
  return {
    schemaVersion: version,
    developerName: optionalString(value, "developer_name", where),
    publicKeyPem: pem,
    revokedKeys: revoked,
    contact: optionalString(value, "contact", where),
    revocationEndpoint: endpoint,
  };
}

export function parseRevocationDocument(value: unknown, where: string, expectedDomain?: string): RevocationDocument {
  if (!isPlainObject(value)) throw invalid(where, "a revocation document must be a JSON object");
  const domain = value["domain"];
  if (typeof domain !== "string" || domain === "") throw invalid(where, `"domain" must be a non-empty string`);
  if (expectedDomain !== undefined && domain.toLowerCase() !== expectedDomain.toLowerCase()) {
    throw new SchemaPinError(
      "DOMAIN_MISMATCH",
      `${where}: the revocation document is for ${domain}, not ${expectedDomain}`,
    );
  }
  const list = value["revoked_keys"];
  if (!Array.isArray(list)) throw invalid(where, `"revoked_keys" must be an array`);
  const revokedKeys = list.map((entry, i): RevokedKey => {
    if (!isPlainObject(entry)) throw invalid(where, `"revoked_keys"[${i}] must be an object`);
    const fp = normalizeFingerprint(entry["fingerprint"]);
    if (!fp) throw invalid(where, `"revoked_keys"[${i}].fingerprint is not a key fingerprint`);
    const reason = entry["reason"];
    if (typeof reason !== "string" || !REVOCATION_REASONS.includes(reason)) {
      throw invalid(where, `"revoked_keys"[${i}].reason must be one of ${REVOCATION_REASONS.join(", ")}`);
    }
    const at = entry["revoked_at"];
    return { fingerprint: fp, revokedAt: typeof at === "string" ? at : null, reason };
  });
  return { domain, updatedAt: optionalString(value, "updated_at", where), revokedKeys };
}

export interface TrustBundle {
  documents: Map<string, DiscoveryDocument>;
  revocations: Map<string, RevocationDocument>;
}

/**
 * The documents of a trust bundle, keyed by lower-case domain. Documents are parsed here, so a
 * bundle with one malformed document is refused whole (an operator's bundle is checked when it is
 * read, not when a tool happens to need that domain).
 */
export function parseTrustBundleDocuments(value: unknown, where: string): TrustBundle {
  if (!isPlainObject(value)) throw invalid(where, "a trust bundle must be a JSON object");
  if (typeof value["schemapin_bundle_version"] !== "string") {
    throw invalid(where, `"schemapin_bundle_version" must be a string`);
  }
  const docs = value["documents"];
  const revs = value["revocations"] ?? [];
  if (!Array.isArray(docs)) throw invalid(where, `"documents" must be an array`);
  if (!Array.isArray(revs)) throw invalid(where, `"revocations" must be an array`);
  const documents = new Map<string, DiscoveryDocument>();
  docs.forEach((d, i) => {
    const at = `${where}: documents[${i}]`;
    if (!isPlainObject(d) || typeof d["domain"] !== "string" || d["domain"] === "") {
      throw invalid(at, `needs a "domain"`);
    }
    const domain = d["domain"].toLowerCase();
    if (documents.has(domain)) throw invalid(at, `a second document for ${domain}`);
    documents.set(domain, parseDiscoveryDocument(d, at));
  });
  const revocations = new Map<string, RevocationDocument>();
  revs.forEach((r, i) => {
    const doc = parseRevocationDocument(r, `${where}: revocations[${i}]`);
    const domain = doc.domain.toLowerCase();
    const prior = revocations.get(domain);
    // Two revocation lists for one domain: both count (a revocation is never dropped).
    revocations.set(domain, prior ? { ...prior, revokedKeys: [...prior.revokedKeys, ...doc.revokedKeys] } : doc);
  });
  return { documents, revocations };
}
