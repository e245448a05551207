/**
 * The `symbi` CLI: exit codes (0 ok, 1 usage/I-O, 3 verification failure), one-line errors
 * without stack traces, --help everywhere, JSON output. The first test spawns the real entry
 * point as users run it (`node --import tsx runtime/cli/main.ts …` from the repo root); the rest
 * call the same main() in-process with stdout/stderr captured, because each tsx start costs
 * ~0.4 s and the suite must stay fast.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { appendFileSync, copyFileSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSymbi, symbi, type Run } from "../helpers/symbi.js";
import { AuditLog } from "../../runtime/audit/writer.js";
import { generateLog, makeKeys, readLines, tempDir, writeLines } from "./helpers.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const { dir, cleanup } = tempDir();
const keys = makeKeys(dir);
const log = join(dir, "audit.log");
generateLog(log, keys);
const N = readLines(log).length;

function oneErrorLine(r: Run, pattern: RegExp, code = 1): void {
  assert.is(r.code, code, r.stderr + r.stdout);
  const lines = r.stderr.trimEnd().split("\n");
  assert.is(lines.length, 1, `one line on stderr: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.not.match(r.stderr, /^\s+at /m, "no stack trace");
}

test("main.ts is an executable node script; the real entry point runs commands with the right exit codes", async () => {
  assert.ok(readFileSync(join(root, "runtime/cli/main.ts"), "utf8").startsWith("#!/usr/bin/env node\n"));
  const tampered = join(dir, "spawn-tampered.log");
  const lines = readLines(log);
  lines[1] = lines[1]!.replace('"run-1"', '"run-9"');
  writeLines(tampered, lines);
  copyFileSync(`${log}.head`, `${tampered}.head`);
  const [help, ok, bad, missing] = await Promise.all([
    spawnSymbi("audit", "--help"), // (top-level --help loads every command, exec's runtime included: tested in-process below)
    spawnSymbi("audit", "verify", log, "--pubkey", keys.publicPath),
    spawnSymbi("audit", "verify", tampered, "--pubkey", keys.publicPath),
    spawnSymbi("audit", "verify", log, "--pubkey", join(dir, "missing.pub")),
  ]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /Usage: symbi audit/);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^OK /);
  assert.is(bad.code, 3);
  assert.match(bad.stdout, /spawn-tampered\.log:2: edited: /);
  oneErrorLine(missing, /^symbi: error: public key file .*missing\.pub not found$/);
});

test("--help everywhere; unknown commands and options are usage errors", async () => {
  const [top, keygen, audit, verify, repair, unknown, badOpt, none, version] = await Promise.all([
    symbi("--help"),
    symbi("keygen", "--help"),
    symbi("audit", "--help"),
    symbi("audit", "verify", "--help"),
    symbi("audit", "repair", "--help"),
    symbi("frobnicate"),
    symbi("audit", "verify", log, "--pubkey", keys.publicPath, "--colour"),
    symbi(),
    symbi("--version"),
  ]);
  const helpAudit = await symbi("help", "audit");
  assert.is(helpAudit.code, 0);
  assert.match(helpAudit.stdout, /Usage: symbi audit/);
  assert.is(top.code, 0);
  assert.match(top.stdout, /Usage: symbi/);
  assert.match(top.stdout, /keygen/);
  assert.match(top.stdout, /audit/);
  assert.equal([keygen.code, audit.code, verify.code, repair.code], [0, 0, 0, 0]);
  assert.match(keygen.stdout, /--out <keyfile>/);
  assert.match(audit.stdout, /verify/);
  assert.match(audit.stdout, /repair/);
  assert.match(verify.stdout, /--pubkey <file>/);
  assert.match(verify.stdout, /--format <format>/);
  assert.match(verify.stdout, /Exit codes: 0 intact, 3 damaged/);
  assert.match(repair.stdout, /--key <file>/);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.is(badOpt.code, 1);
  assert.match(badOpt.stderr, /unknown option '--colour'/);
  assert.is(none.code, 1, "no command is a usage error");
  assert.match(none.stderr, /Usage: symbi/);
  assert.is(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
});

test("keygen: writes the pair and prints the key id; never overwrites; clear errors", async () => {
  const out = join(dir, "cli-key");
  const first = await symbi("keygen", "--out", out);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, /wrote private key .*cli-key \(mode 0600\) and public key .*cli-key\.pub/);
  assert.match(first.stdout, /key id [0-9a-f]{64}/);
  assert.is(statSync(out).mode & 0o777, 0o600);
  const [again, missingDir, noOut] = await Promise.all([
    symbi("keygen", "--out", out),
    symbi("keygen", "--out", join(dir, "nope", "k")),
    symbi("keygen"),
  ]);
  oneErrorLine(again, /^symbi: error: .*cli-key already exists; pass --force to overwrite it$/);
  oneErrorLine(missingDir, /^symbi: error: cannot write key file .*nope\/k: no such file or directory$/);
  oneErrorLine(noOut, /^symbi: error: --out KEYFILE is required \(or --rotate\)$/);
  const forced = await symbi("keygen", "--out", out, "--force");
  assert.is(forced.code, 0);
  assert.is.not(forced.stdout, first.stdout);
});

test("audit verify: OK with counts, FAILED naming the line and reason (exit 3), JSON output", async () => {
  const tampered = join(dir, "tampered.log");
  const lines = readLines(log);
  lines[4] = lines[4]!.replace('"exitCode":0', '"exitCode":1');
  writeLines(tampered, lines);
  copyFileSync(`${log}.head`, `${tampered}.head`);
  const other = makeKeys(dir, "other");
  const [ok, bad, json, badJson, wrongKey, noHead] = await Promise.all([
    symbi("audit", "verify", log, "--pubkey", keys.publicPath),
    symbi("audit", "verify", tampered, "--pubkey", keys.publicPath),
    symbi("audit", "verify", log, "--pubkey", keys.publicPath, "--format", "json"),
    symbi("audit", "verify", tampered, "--pubkey", keys.publicPath, "--format", "json"),
    symbi("audit", "verify", log, "--pubkey", other.publicPath),
    symbi("audit", "verify", log, "--pubkey", keys.publicPath, "--no-head"),
  ]);
  assert.is(ok.code, 0, ok.stderr);
  const last = JSON.parse(readLines(log).at(-1)!) as { hash: string };
  assert.is(
    ok.stdout,
    `OK ${log}: ${N} records, 2 runs, ${readLines(log).filter((l) => l.includes('"type":"checkpoint"')).length} checkpoints; last seq ${N}; key ${keys.keyId.slice(0, 16)}…\n` +
      `head ${N}:${last.hash}\n` +
      `key ${keys.keyId} signs seq 1–${N} (since 2025-01-01T00:00:00.000Z)\n`,
  );
  assert.is(ok.stderr, "");

  assert.is(bad.code, 3);
  assert.is(bad.stdout, `FAILED ${tampered}:5: edited: record content does not match its hash\n`);

  assert.is(json.code, 0);
  const j = JSON.parse(json.stdout);
  assert.equal([j.ok, j.records, j.runs, j.keyId, j.headChecked, j.unsigned], [true, N, 2, keys.keyId, true, 0]);
  assert.is(badJson.code, 3);
  assert.equal(JSON.parse(badJson.stdout).firstBad, {
    index: 5,
    seq: 5,
    reason: "edited",
    detail: "record content does not match its hash",
  });

  assert.is(wrongKey.code, 3);
  assert.match(
    wrongKey.stdout,
    /^FAILED .*audit\.log:1: wrong_key: log is signed by key [0-9a-f]{16}…, but the given key is [0-9a-f]{16}…\n$/,
  );

  assert.is(noHead.code, 0);
  assert.match(noHead.stderr, /^warning: the end of the log was not checked against a head file \(--no-head\)/);

  // A log a live writer holds: the unsigned records and the writer are pointed out.
  const liveLog = join(dir, "live.log");
  copyFileSync(log, liveLog);
  copyFileSync(`${log}.head`, `${liveLog}.head`);
  const live = AuditLog.open(liveLog, { privateKey: keys.privateKey, checkpointEvery: 100 });
  live.append({ run: "run-3", agent: null, type: "run_start", details: {} });
  const during = await symbi("audit", "verify", liveLog, "--pubkey", keys.publicPath);
  live.close();
  assert.is(during.code, 0);
  assert.match(
    during.stderr,
    /warning: 1 record after the last signed checkpoint \(seq \d+\) are not covered by a signature yet/,
  );
  assert.match(during.stderr, new RegExp(`warning: a writer \\(pid ${process.pid} on .*\\) is appending to this log`));
});

test("audit verify: unreadable log or key is one error line, exit 1", async () => {
  const [noLog, noKey, privateAsPublic, noPubkeyOption, badFormat] = await Promise.all([
    symbi("audit", "verify", join(dir, "missing.log"), "--pubkey", keys.publicPath),
    symbi("audit", "verify", log, "--pubkey", join(dir, "missing.pub")),
    symbi("audit", "verify", log, "--pubkey", keys.privatePath),
    symbi("audit", "verify", log),
    symbi("audit", "verify", log, "--pubkey", keys.publicPath, "--format", "xml"),
  ]);
  oneErrorLine(noLog, /^symbi: error: cannot read audit log .*missing\.log: no such file or directory$/);
  oneErrorLine(noKey, /^symbi: error: public key file .*missing\.pub not found$/);
  oneErrorLine(privateAsPublic, /^symbi: error: .* is a private key; pass the public key file/);
  oneErrorLine(
    noPubkeyOption,
    /^symbi: error: no key given: pass --key KEYFILE or set \[security\] audit_signing_key$/,
  );
  assert.is(badFormat.code, 1);
  assert.match(badFormat.stderr, /argument 'xml' is invalid. Allowed choices are pretty, json/);
});

test("audit repair: cuts a torn tail and says so; refuses tampering with exit 3", async () => {
  const torn = join(dir, "torn.log");
  copyFileSync(log, torn);
  copyFileSync(`${log}.head`, `${torn}.head`);
  appendFileSync(torn, '{"agent":"x"');
  const before = await symbi("audit", "verify", torn, "--pubkey", keys.publicPath);
  assert.is(before.code, 3);
  assert.match(
    before.stdout,
    new RegExp(`torn\\.log:${N + 1}: torn_tail: the last line is incomplete \\(12 bytes without a newline\\)`),
  );
  const fixed = await symbi("audit", "repair", torn, "--key", keys.privatePath);
  assert.is(fixed.code, 0, fixed.stderr);
  assert.match(
    fixed.stdout,
    new RegExp(`cut the torn last line \\(line ${N + 1}, 12 bytes\\)\nrecorded repair event seq ${N + 1} in `),
  );
  const after = await symbi("audit", "verify", torn, "--pubkey", keys.publicPath);
  assert.is(after.code, 0, after.stdout);

  const tampered = join(dir, "tampered2.log");
  const lines = readLines(log);
  lines[2] = lines[2]!.replace('"allow"', '"deny"');
  writeLines(tampered, lines, "{");
  copyFileSync(`${log}.head`, `${tampered}.head`);
  const [refused, noKey] = await Promise.all([
    symbi("audit", "repair", tampered, "--key", keys.privatePath),
    symbi("audit", "repair", tampered, "--key", join(dir, "nokey")),
  ]);
  oneErrorLine(
    refused,
    /^symbi: error: repair refused: audit log .*tampered2\.log fails verification at line 3 \(edited: /,
    3,
  );
  oneErrorLine(noKey, /^symbi: error: private key file .*nokey not found$/);
});

test.after(cleanup);
test.run();
