/** `symbi keygen --out KEYFILE [--force]`: an Ed25519 key pair for signing audit logs. */
import type { Command } from "commander";
import { generateKeyFiles } from "../../audit/keys.js";

export function register(program: Command): void {
  program
    .command("keygen")
    .description("generate an Ed25519 key pair for signing audit logs")
    .requiredOption(
      "--out <keyfile>",
      "private key file to create (PKCS#8 PEM, mode 0600); the public key goes to <keyfile>.pub",
    )
    .option("--force", "overwrite existing key files")
    .addHelpText(
      "after",
      "\nThe key id printed is the SHA-256 of the raw public key; audit logs name it in their genesis record and checkpoints.",
    )
    .action((opts: { out: string; force?: boolean }) => {
      const r = generateKeyFiles(opts.out, { force: opts.force === true });
      process.stdout.write(
        `wrote private key ${r.privateKeyPath} (mode 0600) and public key ${r.publicKeyPath}\nkey id ${r.keyId}\n`,
      );
    });
}
