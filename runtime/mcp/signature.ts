/**
 * SchemaPin signatures of MCP tools (compiler/mcp/README.md, "Signed MCP tools").
 *
 * A server that signs its tools puts the signature in the tool's `_meta` as it lists it:
 *
 *   "_meta": { "schemapin/signature": { "signature": "<base64 DER>", "domain": "example.com" } }
 *
 * What is signed is the tool's definition (formats/mcp.ts: name, title, description, input and
 * output schemas, annotations) — the same fields the definition hash covers, so a signature
 * vouches for exactly what is pinned and offered to the model. The SchemaPin tool id is the
 * tool's name on its server. Verification is the specification's (schemapin/verify.ts):
 * discovery, revocation (fail closed), the TOFU pin of the domain's key for that tool, then the
 * signature.
 */
import { isPlainObject } from "../../formats/json.js";
import type { McpToolDefinition } from "../../formats/mcp.js";
import { SchemaPinError } from "../../schemapin/errors.js";
import type { SchemaPinVerifier, VerificationResult } from "../../schemapin/verify.js";

export const MCP_SIGNATURE_META_KEY = "schemapin/signature";

export interface ListedSignature {
  signature: string;
  domain: string;
}

/** The signature a listed tool carries, if any. Throws SIGNATURE_INVALID for a malformed one. */
export function listedSignature(listed: Record<string, unknown>): ListedSignature | undefined {
  const meta = listed["_meta"];
  if (!isPlainObject(meta) || meta[MCP_SIGNATURE_META_KEY] === undefined) return undefined;
  const s = meta[MCP_SIGNATURE_META_KEY];
  if (!isPlainObject(s) || typeof s["signature"] !== "string" || typeof s["domain"] !== "string")
    throw new SchemaPinError(
      "SIGNATURE_INVALID",
      `tool ${JSON.stringify(listed["name"])}: _meta["${MCP_SIGNATURE_META_KEY}"] needs "signature" and "domain" strings`,
    );
  return { signature: s["signature"], domain: s["domain"] };
}

/** Verifies the signature of one listed tool over its definition. Throws SchemaPinError. */
export function verifyToolSignature(
  verifier: SchemaPinVerifier,
  definition: McpToolDefinition,
  sig: ListedSignature,
): Promise<VerificationResult> {
  return verifier.verifySchema({
    schema: definition,
    signature: sig.signature,
    domain: sig.domain,
    toolId: definition.name,
  });
}

export interface PinnedSignatureCheck {
  /** The definition the server lists now (already compared with the pin by hash). */
  definition: McpToolDefinition;
  /** The tool as listed (its `_meta` carries the signature). */
  listed: Record<string, unknown>;
  /** The signer recorded with the pin, when it was pinned signed. */
  pinned?: { domain: string; fingerprint: string };
  /** `[tools] require_signed_tools`. */
  requireSigned: boolean;
  /** The verifier (asked for only when a signature is to be verified). */
  verifier: () => Promise<SchemaPinVerifier>;
  /** Called before the signature is verified (the run's TOFU rule for a key not pinned yet). */
  beforeVerify?: (verifier: SchemaPinVerifier, sig: ListedSignature) => Promise<void>;
}

/**
 * The signature rules for a pinned tool as it is listed now — one reading for `symbi exec` (run
 * start) and `symbi tools verify`: a tool pinned signed must still be signed, by the same domain
 * and the same key, and its signature must verify; an unsigned tool is refused when signed tools
 * are required. Returns the verification, or undefined for an unsigned tool that may be unsigned.
 * Throws SchemaPinError with the specification's code.
 */
export async function checkPinnedSignature(o: PinnedSignatureCheck): Promise<VerificationResult | undefined> {
  const sig = listedSignature(o.listed);
  if (!sig) {
    if (o.pinned)
      throw new SchemaPinError(
        "SIGNATURE_INVALID",
        `it was pinned signed by ${o.pinned.domain} and the server now lists it without a signature`,
      );
    if (o.requireSigned)
      throw new SchemaPinError("SIGNATURE_INVALID", "it is not signed and [tools] require_signed_tools is true");
    return undefined;
  }
  if (o.pinned && sig.domain.toLowerCase() !== o.pinned.domain.toLowerCase())
    throw new SchemaPinError(
      "DOMAIN_MISMATCH",
      `it was pinned signed by ${o.pinned.domain} and is now signed by ${sig.domain}`,
    );
  const verifier = await o.verifier();
  await o.beforeVerify?.(verifier, sig);
  const r = await verifyToolSignature(verifier, o.definition, sig);
  if (o.pinned && r.fingerprint !== o.pinned.fingerprint)
    throw new SchemaPinError(
      "KEY_PIN_MISMATCH",
      `it was pinned signed with the key ${o.pinned.fingerprint} and is now signed with ${r.fingerprint}`,
    );
  return r;
}
