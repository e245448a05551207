/**
 * `symbi audit verify|repair|archive`. The log, its key and the retention default come from the
 * flags or the configuration (`[security] audit_storage_path`, `audit_signing_key`,
 * `audit_retention_days`). Verify exits 0 when the log is intact, 3 when it is not (naming the
 * first bad record), 1 when it cannot be read at all.
 */
import { Option, type Command } from "commander";
import { ExitCode } from "../../../formats/exit-codes.js";
import { Config, security } from "../../../config/index.js";
import { loadPrivateKey, loadPublicKey, publicKeyPathFor } from "../../audit/keys.js";
import { describeResult, verifyLogs, type VerifyResult } from "../../audit/verify.js";
import { repairLog } from "../../audit/repair.js";
import { archiveLog } from "../../audit/archive.js";
import { headPathFor } from "../../audit/head.js";
import { isStale, lockPathFor, readLockOwner } from "../../audit/lock.js";
import { auditLogIn } from "../../audit/storage.js";
import { ExitStatus } from "../errors.js";
import { UserError } from "../../../formats/exit-codes.js";
import { commandConfig, givenFlags } from "../settings.js";

const DAY_MS = 86_400_000;

/** The log a command works on: the one named, or the configured storage's. */
function logFrom(config: Config, named: string | undefined): string {
  if (named !== undefined) return named;
  const storage = config.values(security).audit_storage_path;
  if (storage === undefined) throw new UserError("no audit log given, and [security] audit_storage_path is not set");
  return auditLogIn(storage);
}

/** The private key: --key, else [security] audit_signing_key. */
function privateKeyFrom(config: Config, flag: string | undefined): string {
  const key = flag ?? config.values(security).audit_signing_key;
  if (key === undefined) throw new UserError("no key given: pass --key KEYFILE or set [security] audit_signing_key");
  return key;
}

export function register(program: Command): void {
  const audit = program.command("audit").description("verify, repair or archive a tamper-evident audit log");

  audit
    .command("verify")
    .description("recompute every hash, link and signature of an audit log and name the first bad record")
    .argument(
      "[logs...]",
      "the audit log (JSON Lines); to verify archives with it, list them first, oldest first (default: the configured storage's audit.log)",
    )
    .option(
      "--pubkey <file>",
      "a public key of the log (default: [security] audit_signing_key + .pub); after rotations, the newest key proves the most",
    )
    .option("--head <file>", "head file holding the last signed checkpoint (default: <log>.head)")
    .option("--no-head", "do not check the end of the log against a head file (truncation goes unnoticed)")
    .option(
      "--expect-head <seq:hash>",
      "the head recorded earlier (printed by a run or by verify): the log must still hold it",
    )
    .addOption(new Option("--format <format>", "output format").choices(["pretty", "json"]).default("pretty"))
    .addHelpText(
      "after",
      "\nExit codes: 0 intact, 3 damaged or tampered (edited, inserted, deleted, reordered, bad_signature,\nwrong_key, truncated, not_at_rest, torn_tail, malformed, head_missing, head_invalid), 1 unreadable log or key.",
    )
    .action(
      (
        logs: string[],
        opts: { pubkey?: string; head?: string | false; expectHead?: string; format: "pretty" | "json" },
      ) => {
        const config = commandConfig(undefined);
        const files = logs.length > 0 ? logs : [logFrom(config, undefined)];
        const live = files[files.length - 1]!;
        const publicKey = loadPublicKey(opts.pubkey ?? publicKeyPathFor(privateKeyFrom(config, undefined)));
        const headPath = opts.head === false ? null : (opts.head ?? headPathFor(live));
        const expectHead = opts.expectHead === undefined ? undefined : parseHead(opts.expectHead);
        const result = verifyLogs(files, { publicKey, headPath, ...(expectHead ? { expectHead } : {}) });
        if (opts.format === "json") process.stdout.write(JSON.stringify(jsonView(result), null, 2) + "\n");
        else {
          process.stdout.write(describeResult(result) + "\n");
          if (result.ok) {
            // The head to keep elsewhere: `--expect-head` later proves nothing was cut from the end.
            process.stdout.write(`head ${result.lastSeq}:${result.lastHash}\n`);
            for (const seg of result.segments)
              process.stdout.write(`key ${seg.keyId} signs seq ${seg.fromSeq}–${seg.toSeq} (since ${seg.since})\n`);
          }
          for (const w of [...warnings(result, config), ...lockWarnings(live)]) process.stderr.write(`warning: ${w}\n`);
        }
        if (!result.ok) throw new ExitStatus(ExitCode.CheckFailed);
      },
    );

  audit
    .command("repair")
    .description(
      "after a crash: cut a torn last line, recreate a missing head, release a stale lock — and record that in the log",
    )
    .argument("[log]", "audit log file (default: the configured storage's audit.log)")
    .option(
      "--key <file>",
      "the log's private key (repair signs a repair record; default: [security] audit_signing_key)",
    )
    .option("--head <file>", "head file (default: <log>.head)")
    .addHelpText("after", "\nRepair verifies the whole log first and refuses (exit 3) anything but crash damage.")
    .action((log: string | undefined, opts: { key?: string; head?: string }) => {
      const config = commandConfig(undefined, givenFlags([["security.audit_signing_key", "--key", opts.key]]));
      const path = logFrom(config, log);
      const privateKey = loadPrivateKey(privateKeyFrom(config, undefined));
      const report = repairLog(path, { privateKey, ...(opts.head ? { headPath: opts.head } : {}) });
      for (const a of report.actions) process.stdout.write(`${a}\n`);
      if (report.record) process.stdout.write(`recorded repair event seq ${report.record.seq} in ${path}\n`);
    });

  audit
    .command("archive")
    .description("move records older than a date to a sealed, signed archive the live log continues from")
    .argument("[log]", "audit log file (default: the configured storage's audit.log)")
    .option(
      "--before <date>",
      "archive records older than this date (ISO 8601; default: now minus [security] audit_retention_days)",
    )
    .option("--key <file>", "the log's current private key (default: [security] audit_signing_key)")
    .option("--archive-dir <dir>", "where archives go (default: archive/ beside the log)")
    .addHelpText(
      "after",
      "\nThe archive ends with a signed checkpoint and the live log starts with a copy of it: verify both with\n  symbi audit verify ARCHIVE LOG",
    )
    .action((log: string | undefined, opts: { before?: string; key?: string; archiveDir?: string }) => {
      const config = commandConfig(undefined, givenFlags([["security.audit_signing_key", "--key", opts.key]]));
      const path = logFrom(config, log);
      const before = beforeDate(config, opts.before);
      const privateKey = loadPrivateKey(privateKeyFrom(config, undefined));
      const report = archiveLog(path, {
        privateKey,
        before,
        ...(opts.archiveDir ? { archiveDir: opts.archiveDir } : {}),
      });
      process.stdout.write(`${report.message}\n`);
    });
}

function beforeDate(config: Config, given: string | undefined): Date {
  if (given !== undefined) {
    const d = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(given) ? new Date(given) : new Date(NaN);
    if (Number.isNaN(d.getTime()))
      throw new UserError(`--before ${JSON.stringify(given)} is not an ISO 8601 date (e.g. 2025-01-31)`);
    return d;
  }
  const days = config.values(security).audit_retention_days;
  if (days === undefined)
    throw new UserError("no --before date, and [security] audit_retention_days is not set to derive one from");
  return new Date(Date.now() - days * DAY_MS);
}

function parseHead(text: string): { seq: number; hash: string } {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (!m)
    throw new UserError(`--expect-head must be SEQ:HASH (as verify prints after "head"), not ${JSON.stringify(text)}`);
  return { seq: Number(m[1]), hash: m[2]! };
}

function warnings(r: VerifyResult, config: Config): string[] {
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
  if (r.continues)
    out.push(
      `the log continues archived records (up to seq ${r.continues.seq}); verify them with it: symbi audit verify ARCHIVE ${r.path}`,
    );
  const interval = config.values(security).key_rotation_interval_days;
  const current = r.segments.at(-1);
  if (r.ok && interval !== undefined && current) {
    const age = (Date.now() - Date.parse(current.since)) / DAY_MS;
    if (age > interval)
      out.push(
        `the log's key ${current.keyId.slice(0, 16)}… has signed for ${Math.floor(age)} days, longer than key_rotation_interval_days = ${interval}: rotate it with symbi keygen --rotate`,
      );
  }
  return out;
}

/** A log being written, or left locked by a crashed writer, explains an unsigned or torn end. */
function lockWarnings(log: string): string[] {
  const owner = readLockOwner(lockPathFor(log));
  if (!owner) return [];
  if (isStale(owner))
    return [
      `the log is still locked by pid ${owner.pid}, which is no longer running (it crashed): the next run recovers it (recorded), or run symbi audit repair ${log}`,
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
    atRest: r.atRest,
    headChecked: r.headChecked,
    segments: r.segments,
    continues: r.continues,
    ...(r.firstBad ? { firstBad: r.firstBad } : {}),
  };
}
