/** Shared fixtures for the audit tests: temp dirs, keys, a deterministic generated log, line surgery. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { AuditLog, type AuditLogOptions } from "../../runtime/audit/writer.js";
import { generateKeyFiles, loadPrivateKey, loadPublicKey } from "../../runtime/audit/keys.js";
import { computeHash, serializeRecord, type AuditRecord } from "../../runtime/audit/record.js";

export function tempDir(prefix = "symbi-audit-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestKeys {
  privatePath: string;
  publicPath: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function makeKeys(dir: string, name = "key"): TestKeys {
  const g = generateKeyFiles(join(dir, name));
  return {
    privatePath: g.privateKeyPath,
    publicPath: g.publicKeyPath,
    privateKey: loadPrivateKey(g.privateKeyPath),
    publicKey: loadPublicKey(g.publicKeyPath),
    keyId: g.keyId,
  };
}

/** A clock that ticks one millisecond per call from a fixed instant. */
export function fakeClock(start = Date.UTC(2025, 0, 1)): () => Date {
  let t = start;
  return () => new Date(t++);
}

/** Appends one realistic run (run_start … run_end) and returns how many records it appended. */
export function appendRun(log: AuditLog, run: string, agent = "secure_data_access"): number {
  const events = [
    { type: "run_start", details: { bundle: "bundle.json" } },
    { type: "decision", details: { action: "read_file", decision: "allow", rules: ["secure_data_access.allow#1"] } },
    { type: "tool_start", details: { tool: "read_file", argv: ["cat", "/data/x"] } },
    { type: "tool_end", details: { tool: "read_file", exitCode: 0, durationMs: 12.5, outputSha256: "ab".repeat(32) } },
    {
      type: "decision",
      details: { action: "delete", decision: "require_approval", rules: ["secure_data_access.require#2"] },
    },
    { type: "approval", details: { action: "delete", approved: false, approver: "ops" } },
    { type: "decision", details: { action: "send_email", decision: "deny", rules: [] } },
    { type: "error", details: { message: "PolicyDenied: send_email", kind: "PolicyDenied" } },
    { type: "run_end", details: { status: "denied" } },
  ] as const;
  for (const e of events) log.append({ run, agent, type: e.type, details: { ...e.details } } as never);
  return events.length;
}

/** Writes a log of two runs (two writer sessions) with a checkpoint every `checkpointEvery` records. */
export function generateLog(path: string, keys: TestKeys, options: Partial<AuditLogOptions> = {}): void {
  const now = fakeClock();
  const opts = { privateKey: keys.privateKey, checkpointEvery: 4, now, ...options };
  const a = AuditLog.open(path, opts);
  appendRun(a, "run-1");
  a.close();
  const b = AuditLog.open(path, opts);
  appendRun(b, "run-2");
  b.close();
}

export function readLines(path: string): string[] {
  const text = readFileSync(path, "utf8");
  if (!text.endsWith("\n")) throw new Error("log does not end with a newline");
  return text.slice(0, -1).split("\n");
}

export function writeLines(path: string, lines: string[], tail = ""): void {
  writeFileSync(path, lines.map((l) => l + "\n").join("") + tail);
}

export function parse(line: string): AuditRecord {
  return JSON.parse(line) as AuditRecord;
}

/** Re-serializes a record after `change`, recomputing its hash (an attacker who knows the format). */
export function rehash(line: string, change: (r: AuditRecord) => void): string {
  const r = parse(line);
  change(r);
  r.hash = computeHash(r);
  return serializeRecord(r);
}

/**
 * Bundles test/audit/fixtures/writer.ts (and the audit sources it imports) into one .mjs, so
 * the crash test can spawn plain `node` ~20 times in a second or two instead of paying tsx's
 * start-up (~0.4 s) each time. Same sources, just pre-compiled.
 */
export async function bundleWriterFixture(outDir: string): Promise<string> {
  const { buildSync } = await import("esbuild");
  const outfile = join(outDir, "writer-fixture.mjs");
  buildSync({
    entryPoints: [new URL("./fixtures/writer.ts", import.meta.url).pathname],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "error",
  });
  return outfile;
}
