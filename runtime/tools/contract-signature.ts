/**
 * SchemaPin signatures for the project's own tool contracts (`tools/NAME.clad.toml`), so an
 * operator can require signed tools. What is signed is the contract's meaning, the SchemaPin way:
 * the TOML parsed to JSON (date-times as their TOML text), canonicalised (RFC 8785) and hashed —
 * comments and layout can change, a value cannot. The signature sits beside the contract in
 * `NAME.clad.toml.sig` (JSON):
 *
 *   { "schemapin_version": "1.3", "tool": NAME, "schema_hash": "sha256:…", "signature": base64 DER,
 *     "signed_at": RFC 3339, "domain": the signer's domain, "signer_kid": "sha256:<key fingerprint>" }
 *
 * Verification finds the signer's key through SchemaPin discovery for `domain` and pins it for
 * the tool (TOFU), like any provider's tool.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createPublicKey, type KeyObject } from "node:crypto";
import { parse as parseToml, TomlDate } from "smol-toml";
import { isPlainObject } from "../../formats/json.js";
import { writeFileAtomic } from "../../schemapin/atomic-file.js";
import { SchemaPinError, fsErrorText } from "../../schemapin/errors.js";
import { fingerprintOf } from "../../schemapin/keys.js";
import { canonicalSchema, checkCanonicalization, sha256, signSchemaPinHash } from "../../schemapin/signature.js";
import type { SchemaPinVerifier, VerificationResult } from "../../schemapin/verify.js";
import { CONTRACT_SIGNATURE_SUFFIX } from "../../compiler/contracts/model.js";

export { CONTRACT_SIGNATURE_SUFFIX };

export interface ContractSignature {
  schemapin_version: string;
  tool: string;
  schema_hash: string;
  signature: string;
  signed_at: string;
  domain: string;
  signer_kid: string;
  canonicalization?: string;
}

function toJson(value: unknown): unknown {
  if (value instanceof TomlDate) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

export interface ContractDocument {
  tool: string;
  canonical: string;
  hash: Buffer;
}

/** Reads a contract and returns its canonical JSON and hash; SCHEMA_CANONICALIZATION_FAILED when it is not TOML. */
export function contractDocument(path: string): ContractDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SchemaPinError("SCHEMA_CANONICALIZATION_FAILED", `cannot read ${path}: ${fsErrorText(err)}`, 1);
  }
  let value: unknown;
  try {
    value = toJson(parseToml(text));
  } catch (err) {
    throw new SchemaPinError(
      "SCHEMA_CANONICALIZATION_FAILED",
      `${path}: not valid TOML: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  const canonical = canonicalSchema(value);
  const tool =
    isPlainObject(value) && isPlainObject(value["tool"]) && typeof value["tool"]["name"] === "string"
      ? value["tool"]["name"]
      : basename(path).replace(/\.clad\.toml$/, "");
  return { tool, canonical, hash: sha256(canonical) };
}

export function signContract(path: string, privateKey: KeyObject, domain: string, now = new Date()): ContractSignature {
  const doc = contractDocument(path);
  const sig: ContractSignature = {
    schemapin_version: "1.3",
    tool: doc.tool,
    schema_hash: `sha256:${doc.hash.toString("hex")}`,
    signature: signSchemaPinHash(doc.hash, privateKey),
    signed_at: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    domain,
    signer_kid: fingerprintOf(createPublicKey(privateKey)),
  };
  writeFileAtomic(path + CONTRACT_SIGNATURE_SUFFIX, JSON.stringify(sig, null, 2) + "\n");
  return sig;
}

export function readContractSignature(path: string): ContractSignature {
  const sigPath = path + CONTRACT_SIGNATURE_SUFFIX;
  let text: string;
  try {
    text = readFileSync(sigPath, "utf8");
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT"
        ? `the contract is not signed (no ${basename(sigPath)})`
        : fsErrorText(err);
    throw new SchemaPinError("SIGNATURE_INVALID", `${path}: ${why}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new SchemaPinError("SIGNATURE_INVALID", `${sigPath}: not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(v)) throw new SchemaPinError("SIGNATURE_INVALID", `${sigPath}: not a JSON object`);
  for (const f of ["tool", "schema_hash", "signature", "domain"]) {
    if (typeof v[f] !== "string" || v[f] === "")
      throw new SchemaPinError("SIGNATURE_INVALID", `${sigPath}: "${f}" must be a non-empty string`);
  }
  return v as unknown as ContractSignature;
}

export interface ContractVerification extends VerificationResult {
  schemaHash: string;
}

/** Verifies a contract against its `.sig`: unchanged since signing, signed by the domain's (pinned) key. */
export async function verifyContract(
  path: string,
  verifier: SchemaPinVerifier,
  expectedDomain?: string,
): Promise<ContractVerification> {
  const sig = readContractSignature(path);
  checkCanonicalization(sig.canonicalization);
  if (expectedDomain && sig.domain.toLowerCase() !== expectedDomain.toLowerCase()) {
    throw new SchemaPinError("DOMAIN_MISMATCH", `${path} is signed for ${sig.domain}, not ${expectedDomain}`);
  }
  const doc = contractDocument(path);
  const hash = `sha256:${doc.hash.toString("hex")}`;
  if (sig.schema_hash.toLowerCase() !== hash) {
    throw new SchemaPinError(
      "SIGNATURE_INVALID",
      `${path} changed since it was signed (signed ${sig.schema_hash}, now ${hash})`,
    );
  }
  if (sig.tool !== doc.tool) {
    throw new SchemaPinError(
      "SIGNATURE_INVALID",
      `${path}: the signature names tool "${sig.tool}", the contract "${doc.tool}"`,
    );
  }
  const r = await verifier.verifyHash(sig.domain, doc.tool, doc.hash, doc.canonical, sig.signature);
  return { ...r, schemaHash: hash };
}
