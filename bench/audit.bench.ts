/**
 * Audit log: append throughput (durable at checkpoints) with checkpoint signing vs signing every
 * record, single-append latency, verify throughput, reopening a big log, and the SHA-256 choice
 * (node:crypto vs @noble/hashes). `npm run bench -- audit`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex } from "@noble/hashes/utils";
import { report, stats, timeSync } from "./harness.js";
import { AuditLog } from "../runtime/audit/writer.js";
import { verifyLog } from "../runtime/audit/verify.js";
import { generateKeyFiles, loadPrivateKey, loadPublicKey } from "../runtime/audit/keys.js";
import { canonicalBody } from "../runtime/audit/record.js";

type Event = Parameters<AuditLog["append"]>[0];

/** A realistic mix: decisions, tool start/end with output hashes, approvals. */
function event(i: number): Event {
  switch (i % 4) {
    case 0:
      return {
        run: "run-7f3a9c2e",
        agent: "secure_data_access",
        type: "decision",
        details: {
          action: "read_file",
          decision: "allow",
          rules: ["secure_data_access.allow#1"],
          args: { path: `/data/${i}.csv` },
        },
      };
    case 1:
      return {
        run: "run-7f3a9c2e",
        agent: "secure_data_access",
        type: "tool_start",
        details: { tool: "read_file", argv: ["cat", `/data/${i}.csv`] },
      };
    case 2:
      return {
        run: "run-7f3a9c2e",
        agent: "secure_data_access",
        type: "tool_end",
        details: { tool: "read_file", exitCode: 0, durationMs: 12.5, outputSha256: "ab".repeat(32) },
      };
    default:
      return {
        run: "run-7f3a9c2e",
        agent: "secure_data_access",
        type: "approval",
        details: { action: "delete", approved: false, approver: "ops" },
      };
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "symbi-audit-bench-"));
  try {
    const keyFile = join(dir, "key");
    generateKeyFiles(keyFile);
    const privateKey = loadPrivateKey(keyFile);
    const publicKey = loadPublicKey(`${keyFile}.pub`);
    let logNo = 0;

    /** Records/s for writing `n` records from open to close (final checkpoint + fsync included). */
    const appendRate = (
      n: number,
      options: { checkpointEvery: number; signEveryRecord?: boolean },
      keep?: string,
    ): number => {
      const samples: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        const path = rep === 2 && keep ? keep : join(dir, `a${++logNo}.log`);
        const t0 = performance.now();
        const log = AuditLog.open(path, { privateKey, ...options });
        for (let i = 0; i < n; i++) log.append(event(i));
        log.close();
        samples.push(n / ((performance.now() - t0) / 1000));
        if (path !== keep) {
          rmSync(path);
          rmSync(`${path}.head`);
        }
      }
      return stats(samples).median;
    };

    const N = 100_000;
    const big = join(dir, "big.log");
    report(
      "append, checkpoint signed every 1000 (durable at checkpoints)",
      appendRate(N, { checkpointEvery: 1000 }, big),
      "records/s",
      { value: 50_000, higherIsBetter: true },
      `(${N} records, open→close)`,
    );
    report("append, checkpoint signed every 100", appendRate(N / 2, { checkpointEvery: 100 }), "records/s", {
      value: 50_000,
      higherIsBetter: true,
    });
    const everyLog = join(dir, "every.log");
    report(
      "append, every record signed (alternative)",
      appendRate(20_000, { checkpointEvery: 1000, signEveryRecord: true }, everyLog),
      "records/s",
      { value: 50_000, higherIsBetter: true },
    );

    // Single-append latency (what the policy gate pays per action), checkpoints included.
    {
      const log = AuditLog.open(join(dir, "lat.log"), { privateKey, checkpointEvery: 1000 });
      for (let i = 0; i < 2000; i++) log.append(event(i)); // warm-up
      const samples: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const t0 = performance.now();
        log.append(event(i));
        samples.push((performance.now() - t0) * 1000);
      }
      log.close();
      const s = stats(samples);
      report(
        "single append latency p50",
        s.median,
        "µs",
        { value: 100, higherIsBetter: false },
        "(budget shared with the gate: p50 ≤ 100 µs for gate + append)",
      );
      report(
        "single append latency p99",
        s.p99,
        "µs",
        undefined,
        "(a checkpoint every 1000 appends: sign + fsync + head)",
      );
    }

    // Verify.
    const verifyRate = (path: string, records: number): number => {
      const s = timeSync(
        () => {
          const r = verifyLog(path, { publicKey });
          if (!r.ok) throw new Error(`bench log does not verify: ${r.firstBad?.detail}`);
        },
        5,
        1,
      );
      return records / (s.median / 1000);
    };
    const bigRecords = verifyLog(big, { publicKey }).records;
    report(
      "verify",
      verifyRate(big, bigRecords),
      "records/s",
      { value: 100_000, higherIsBetter: true },
      `(${bigRecords} records incl. checkpoints)`,
    );
    const everyRecords = verifyLog(everyLog, { publicKey }).records;
    report("verify, every record signed", verifyRate(everyLog, everyRecords), "records/s", {
      value: 100_000,
      higherIsBetter: true,
    });

    // Reopening a big log reads only its tail after the last checkpoint.
    {
      const s = timeSync(() => AuditLog.open(big, { privateKey }).close(), 10, 2);
      report(`reopen a ${bigRecords}-record log (append nothing, close)`, s.median, "ms");
    }

    // SHA-256 choice for the chain: node:crypto vs @noble/hashes on a typical record body.
    {
      const body = canonicalBody({
        seq: 12345,
        ts: new Date().toISOString(),
        run: "run-7f3a9c2e",
        agent: "secure_data_access",
        type: "tool_end",
        details: event(2).details as never,
        prev: "b".repeat(64),
      });
      const prev = "c".repeat(64);
      const enc = new TextEncoder();
      const reps = 50_000;
      const node = timeSync(
        () => {
          for (let i = 0; i < reps; i++) createHash("sha256").update(prev).update(body).digest("hex");
        },
        5,
        1,
      );
      const noble = timeSync(
        () => {
          for (let i = 0; i < reps; i++) bytesToHex(sha256(enc.encode(prev + body)));
        },
        5,
        1,
      );
      report(
        "sha256 per record, node:crypto (chosen)",
        (node.median * 1000) / reps,
        "µs",
        undefined,
        `(${body.length + 64} bytes)`,
      );
      report("sha256 per record, @noble/hashes", (noble.median * 1000) / reps, "µs");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
