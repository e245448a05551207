/**
 * `symbi audit verify LOG --pubkey PUBFILE` and `symbi audit repair LOG --key KEYFILE`.
 * Verify exits 0 when the log is intact, 3 when it is not (naming the first bad record), 1 when
 * it cannot be read at all.
 */
import { Option, type Command } from "commander";
import { ExitCode } from "../../../formats/exit-codes.js";
import { loadPrivateKey, loadPublicKey } from "../../audit/keys.js";
import { describeResult, verifyLog, type VerifyResult } from "../../audit/verify.js";
import { repairLog } from "../../audit/repair.js";
import { headPathFor } from "../../audit/head.js";
import { isStale, lockPathFor, readLockOwner } from "../../audit/lock.js";
import { ExitStatus } from "../errors.js";

export function register(program: Command): void {
  const audit = program.command("audit").description("verify or repair a tamper-evident audit log");

  audit
    .command("verify")
    .description("recompute every hash, link and signature of an audit log and name the first bad record")
    .argument("<log>", "audit log file (JSON Lines)")
    .requiredOption("--pubkey <file>", "public key the log must be signed with (the .pub file from symbi keygen)")
    .option("--head <file>", "head file holding the last signed checkpoint (default: <log>.head)")
    .option("--no-head", "do not check the end of the log against a head file (truncation goes unnoticed)")
    .addOption(new Option("--format <format>", "output format").choices(["pretty", "json"]).default("pretty"))
    .addHelpText(
      "after",
      "\nExit codes: 0 intact, 3 damaged or tampered (edited, inserted, deleted, reordered, bad_signature,\nwrong_key, truncated, torn_tail, malformed, head_missing, head_invalid), 1 unreadable log or key.",
    )
    .action((log: string, opts: { pubkey: string; head?: string | false; format: "pretty" | "json" }) => {
      const publicKey = loadPublicKey(opts.pubkey);
      const headPath = opts.head === false ? null : (opts.head ?? headPathFor(log));
      const result = verifyLog(log, { publicKey, headPath });
      if (opts.format === "json") process.stdout.write(JSON.stringify(jsonView(result), null, 2) + "\n");
      else {
        process.stdout.write(describeResult(result) + "\n");
        for (const w of [...warnings(result), ...lockWarnings(log)]) process.stderr.write(`warning: ${w}\n`);
      }
      if (!result.ok) throw new ExitStatus(ExitCode.CheckFailed);
    });

  audit
    .command("repair")
    .description(
      "after a crash: cut a torn last line, recreate a missing head, release a stale lock — and record that in the log",
    )
    .argument("<log>", "audit log file")
    .requiredOption("--key <file>", "the log's private key (repair signs a repair record)")
    .option("--head <file>", "head file (default: <log>.head)")
    .addHelpText("after", "\nRepair verifies the whole log first and refuses (exit 3) anything but crash damage.")
    .action((log: string, opts: { key: string; head?: string }) => {
      const privateKey = loadPrivateKey(opts.key);
      const report = repairLog(log, { privateKey, ...(opts.head ? { headPath: opts.head } : {}) });
      for (const a of report.actions) process.stdout.write(`${a}\n`);
      if (report.record) process.stdout.write(`recorded repair event seq ${report.record.seq} in ${log}\n`);
    });
}

function warnings(r: VerifyResult): string[] {
  const out: string[] = [];
  if (r.ok && r.unsigned > 0) {
    out.push(
      `${r.unsigned} record${r.unsigned === 1 ? "" : "s"} after the last signed checkpoint (seq ${r.lastSignedSeq}) are not covered by a signature yet (a writer is running, or crashed)`,
    );
  }
  if (!r.headChecked)
    out.push(
      "the end of the log was not checked against a head file (--no-head): records removed from the end would go unnoticed",
    );
  return out;
}

/** A log being written, or left locked by a crashed writer, explains an unsigned or torn end. */
function lockWarnings(log: string): string[] {
  const owner = readLockOwner(lockPathFor(log));
  if (!owner) return [];
  if (isStale(owner))
    return [
      `the log is still locked by pid ${owner.pid}, which is no longer running (it crashed): check and unlock it with symbi audit repair ${log} --key KEYFILE`,
    ];
  return [
    `a writer (pid ${owner.pid} on ${owner.host}) is appending to this log: its last records may not be signed yet, and a line being written shows as torn`,
  ];
}

function jsonView(r: VerifyResult) {
  return {
    ok: r.ok,
    path: r.path,
    keyId: r.keyId,
    signing: r.signing,
    records: r.records,
    checkpoints: r.checkpoints,
    runs: r.runs,
    lastSeq: r.lastSeq,
    lastHash: r.lastHash,
    lastSignedSeq: r.lastSignedSeq,
    unsigned: r.unsigned,
    headChecked: r.headChecked,
    ...(r.firstBad ? { firstBad: r.firstBad } : {}),
  };
}
