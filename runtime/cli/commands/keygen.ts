/**
 * `symbi keygen --out KEYFILE [--force]`: an Ed25519 key pair for signing audit logs and bundles.
 * `symbi keygen --rotate [--key KEYFILE] [--audit-log LOG]`: replaces the audit log's key —
 * the rotation is recorded in the log, signed by the old key and the new (runtime/audit/writer.ts
 * `rotate`); then the new pair takes KEYFILE's place. The old public key stays as
 * `KEYFILE.<old key id>.pub` (it verifies the log's older segments and archives); the old private
 * key is gone. KEYFILE and LOG default to [security] audit_signing_key and audit_storage_path.
 */
import type { Command } from "commander";
import { existsSync, renameSync } from "node:fs";
import { security } from "../../../config/index.js";
import { generateKeyFiles, loadPrivateKey, keyIdOf, publicKeyPathFor } from "../../audit/keys.js";
import { AuditLog } from "../../audit/writer.js";
import { auditLogIn } from "../../audit/storage.js";
import { UserError } from "../../../formats/exit-codes.js";
import { commandConfig, givenFlags } from "../settings.js";

export function register(program: Command): void {
  program
    .command("keygen")
    .description("generate an Ed25519 key pair for signing audit logs and bundles, or rotate an audit log's key")
    .option(
      "--out <keyfile>",
      "private key file to create (PKCS#8 PEM, mode 0600); the public key goes to <keyfile>.pub",
    )
    .option("--force", "overwrite existing key files")
    .option("--rotate", "replace the audit log's key: recorded in the log, signed by the old key and the new")
    .option("--key <keyfile>", "with --rotate: the current key (default: [security] audit_signing_key)")
    .option("--audit-log <log>", "with --rotate: the log (default: audit.log in [security] audit_storage_path)")
    .addHelpText(
      "after",
      "\nThe key id printed is the SHA-256 of the raw public key; audit logs name it in their genesis record and checkpoints.",
    )
    .action((opts: { out?: string; force?: boolean; rotate?: boolean; key?: string; auditLog?: string }) => {
      if (opts.rotate) return rotate(opts);
      if (opts.out === undefined) throw new UserError("--out KEYFILE is required (or --rotate)");
      if (opts.key !== undefined || opts.auditLog !== undefined)
        throw new UserError("--key and --audit-log go with --rotate");
      const r = generateKeyFiles(opts.out, { force: opts.force === true });
      process.stdout.write(
        `wrote private key ${r.privateKeyPath} (mode 0600) and public key ${r.publicKeyPath}\nkey id ${r.keyId}\n`,
      );
    });
}

function rotate(opts: { out?: string; force?: boolean; key?: string; auditLog?: string }): void {
  if (opts.out !== undefined) throw new UserError("--rotate replaces the key in place: use --key KEYFILE, not --out");
  const config = commandConfig(undefined, givenFlags([["security.audit_signing_key", "--key", opts.key]]));
  const sec = config.values(security);
  const keyFile = sec.audit_signing_key;
  if (keyFile === undefined)
    throw new UserError("--rotate needs the current key: --key KEYFILE or [security] audit_signing_key");
  const log = opts.auditLog ?? (sec.audit_storage_path !== undefined ? auditLogIn(sec.audit_storage_path) : undefined);
  if (log === undefined)
    throw new UserError(
      "--rotate records the rotation in the audit log: --audit-log LOG or [security] audit_storage_path",
    );
  const oldKey = loadPrivateKey(keyFile);
  const oldId = keyIdOf(oldKey);
  const next = `${keyFile}.next`;
  if (existsSync(next) && !opts.force)
    throw new UserError(`${next} exists (an interrupted rotation?); check it, then remove it or pass --force`);
  const generated = generateKeyFiles(next, { force: opts.force === true });
  // The log first: once it names the new key, the new files take the old ones' place.
  const writer = AuditLog.open(log, { privateKey: oldKey });
  let seq: number;
  try {
    seq = writer.rotate(loadPrivateKey(next)).seq;
  } finally {
    writer.close();
  }
  const retiredPub = `${keyFile}.${oldId.slice(0, 16)}.pub`;
  renameSync(publicKeyPathFor(keyFile), retiredPub);
  renameSync(next, keyFile);
  renameSync(publicKeyPathFor(next), publicKeyPathFor(keyFile));
  process.stdout.write(
    `rotated the key of ${log}: ${oldId.slice(0, 16)}… → ${generated.keyId.slice(0, 16)}… (recorded at seq ${seq}, signed by both)\n` +
      `new key in ${keyFile} and ${publicKeyPathFor(keyFile)}; the old public key is kept as ${retiredPub}\n` +
      `key id ${generated.keyId}\n`,
  );
}
