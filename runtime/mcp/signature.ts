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
