/**
 * SchemaPin: verification of one tool's signed schema with the provider's key already pinned
 * and its discovery document already resolved this run (the steady state at `symbi exec` start:
 * canonical JSON, SHA-256, the pin lookup and one ECDSA P-256 verification). Target ≤ 1 ms per
 * tool. Also the first verification of a provider (discovery read from a local file, key parsed,
 * revocation checked, pin written atomically), for scale.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { generateKeyPair, loadP256PrivateKey } from "../schemapin/keys.js";
import { signSchema } from "../schemapin/signature.js";
import { TrustStore } from "../schemapin/pins.js";
import { LocalFileResolver } from "../schemapin/resolvers.js";
import { SchemaPinVerifier } from "../schemapin/verify.js";
import { report, stats } from "./harness.js";

/** A tool definition of realistic size (an MCP tool with a nested input schema, ~1.5 KB). */
function toolSchema(i: number): Record<string, unknown> {
  return {
    name: `search_issues_${i}`,
    description:
      "Search issues in a repository by text, label, state and assignee. Returns at most `limit` issues, newest first.",
    inputSchema: {
      type: "object",
      properties: {
        repo: { type: "string", description: "owner/name", pattern: "^[\\w.-]+/[\\w.-]+$" },
        query: { type: "string", maxLength: 256 },
        labels: { type: "array", items: { type: "string" }, maxItems: 10 },
        state: { type: "string", enum: ["open", "closed", "all"] },
        assignee: { type: "string" },
        limit: { type: "integer", minimum: 1, maximum: 100, default: 20 },
        since: { type: "string", format: "date-time" },
      },
      required: ["repo"],
      additionalProperties: false,
    },
    outputSchema: {
      type: "object",
      properties: { issues: { type: "array", items: { type: "object" } }, total: { type: "integer" } },
    },
    annotations: { readOnlyHint: true, openWorldHint: true, title: "Search issues" },
  };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-schemapin-"));
  try {
    const pair = generateKeyPair();
    const key = loadP256PrivateKey(pair.privateKeyPem);
    writeFileSync(
      join(dir, "tools.example.json"),
      JSON.stringify({ schema_version: "1.2", public_key_pem: pair.publicKeyPem, revoked_keys: [] }),
    );
    const tools = Array.from({ length: 200 }, (_, i) => ({
      schema: toolSchema(i),
      signature: signSchema(toolSchema(i), key),
    }));

    const firstUse: number[] = [];
    for (let r = 0; r < 15; r++) {
      const v = new SchemaPinVerifier({
        resolver: new LocalFileResolver(dir),
        trustStore: new TrustStore(join(dir, `pins-${r}.json`)),
      });
      const t0 = performance.now();
      await v.verifySchema({ ...tools[0]!, domain: "tools.example", toolId: "t0" });
      firstUse.push(performance.now() - t0);
    }
    report("first verification of a provider (discovery file, pin written)", stats(firstUse).median, "ms");

    const store = new TrustStore(join(dir, "pins.json"));
    const verifier = new SchemaPinVerifier({ resolver: new LocalFileResolver(dir), trustStore: store });
    for (const [i, t] of tools.entries())
      await verifier.verifySchema({ ...t, domain: "tools.example", toolId: `t${i}` });
    const perTool: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      for (const [i, t] of tools.entries()) {
        const res = await verifier.verifySchema({ ...t, domain: "tools.example", toolId: `t${i}` });
        if (res.pin !== "pinned") throw new Error("expected a pinned key");
      }
      perTool.push((performance.now() - t0) / tools.length);
    }
    const s = stats(perTool);
    report(
      "verify one tool, key pinned",
      s.median * 1000,
      "µs",
      { value: 1000, higherIsBetter: false },
      `(p95 ${(s.p95 * 1000).toFixed(0)} µs)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
