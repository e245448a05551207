/**
 * `symbi tools keygen|sign|verify`: SchemaPin for the project's own tool contracts.
 *   keygen — an ECDSA P-256 key pair, and with --domain the discovery document to publish at
 *            https://DOMAIN/.well-known/schemapin.json
 *   sign   — write NAME.clad.toml.sig beside each contract
 *   verify — check each contract against its signature and the signer's (pinned) key, and with
 *            --mcp each MCP server's live tools against their pins in mcp.lock.json (field by
 *            field) and their SchemaPin signatures; exit 3 on any failure, each failure on its
 *            own line (with its SchemaPin error code), exit 1 when a server cannot be reached
 *   pins, unpin — show and remove TOFU pins (after checking a key rotation with the provider)
 *   list, pin, unpin --server — the tools of the project's MCP servers (runtime/cli/mcp-tools.ts)
 */
import type { Command } from "commander";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../../formats/exit-codes.js";
import { writeFileAtomic } from "../../../schemapin/atomic-file.js";
import { SchemaPinError } from "../../../schemapin/errors.js";
import { generateKeyPair, loadP256PrivateKey } from "../../../schemapin/keys.js";
import { TRUST_STORE_ENV, TrustStore, defaultTrustStorePath } from "../../../schemapin/pins.js";
import { checkDomain } from "../../../schemapin/resolvers.js";
import { signContract, verifyContract } from "../../tools/contract-signature.js";
import { UserError } from "../../../formats/exit-codes.js";
import { ExitStatus } from "../errors.js";
import {
  addVerificationOptions,
  describePin,
  readKeyFile,
  verifierFromFlags,
  type VerificationFlags,
} from "../schemapin-options.js";
import { registerMcpTools, unpinServer, verifyMcpServers } from "../mcp-tools.js";

/** Contract files named on the command line: files as given, folders searched for *.clad.toml. */
function contractFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".clad.toml")) out.push(p);
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new UserError(`${p}: no such file or folder`);
    if (statSync(p).isDirectory()) walk(p);
    else out.push(p);
  }
  if (out.length === 0) throw new UserError(`no tool contracts (*.clad.toml) in ${paths.join(", ")}`);
  return out;
}

export function register(program: Command): void {
  const tools = program
    .command("tools")
    .description("sign and verify tool contracts with SchemaPin; list and pin the tools of MCP servers");
  registerMcpTools(tools);

  tools
    .command("keygen")
    .description("generate an ECDSA P-256 signing key (SchemaPin)")
    .requiredOption(
      "--out <keyfile>",
      "private key file to create (PKCS#8 PEM, mode 0600); the public key goes to <keyfile>.pub",
    )
    .option("--domain <domain>", "also write <keyfile>.schemapin.json, the discovery document to publish for DOMAIN")
    .option("--developer <name>", "developer_name in the discovery document")
    .option("--force", "overwrite existing files")
    .action((opts: { out: string; domain?: string; developer?: string; force?: boolean }) => {
      const files = [opts.out, `${opts.out}.pub`, ...(opts.domain ? [`${opts.out}.schemapin.json`] : [])];
      if (!opts.force)
        for (const f of files) if (existsSync(f)) throw new UserError(`${f} exists (use --force to overwrite)`);
      if (opts.domain) checkDomain(opts.domain);
      const pair = generateKeyPair();
      writeFileAtomic(opts.out, pair.privateKeyPem, 0o600);
      writeFileAtomic(`${opts.out}.pub`, pair.publicKeyPem);
      if (opts.domain) {
        const doc = {
          schema_version: "1.2",
          developer_name: opts.developer ?? opts.domain,
          public_key_pem: pair.publicKeyPem,
          revoked_keys: [],
        };
        writeFileAtomic(`${opts.out}.schemapin.json`, JSON.stringify(doc, null, 2) + "\n");
      }
      process.stdout.write(`wrote ${files.join(", ")}\nkey fingerprint ${pair.fingerprint}\n`);
    });

  tools
    .command("sign")
    .description("sign tool contracts (writes NAME.clad.toml.sig)")
    .argument("<contracts...>", "contract files or folders")
    .requiredOption("--key <keyfile>", "ECDSA P-256 private key (PEM)")
    .requiredOption("--domain <domain>", "the domain whose discovery document publishes the key")
    .action((paths: string[], opts: { key: string; domain: string }) => {
      const key = loadP256PrivateKey(readKeyFile(opts.key), opts.key);
      const domain = checkDomain(opts.domain);
      for (const file of contractFiles(paths)) {
        const sig = signContract(file, key, domain);
        process.stdout.write(`signed ${file} (tool ${sig.tool}, ${sig.schema_hash})\n`);
      }
    });

  tools
    .command("pins")
    .description("list the keys pinned in the trust store")
    .option("--trust-store <file>", `trust store (default: $${TRUST_STORE_ENV} or ~/.symbi/trust-store.json)`)
    .option("--format <format>", "pretty or json", "pretty")
    .action((opts: { trustStore?: string; format: string }) => {
      const store = new TrustStore(opts.trustStore ?? defaultTrustStorePath());
      if (opts.format === "json") {
        process.stdout.write(
          JSON.stringify({ keys: store.listKeys(), authorities: store.listAuthorities() }, null, 2) + "\n",
        );
        return;
      }
      for (const k of store.listKeys())
        process.stdout.write(`${k.domain} ${k.tool} ${k.fingerprint} (pinned ${k.pinnedAt})\n`);
      for (const a of store.listAuthorities())
        process.stdout.write(`bundle authority ${a.kid} ${a.fingerprint} (pinned ${a.pinnedAt})\n`);
    });

  tools
    .command("unpin")
    .description(
      "remove a pinned key (after checking a provider's key rotation with them), or with --server the pins of an MCP server's tools",
    )
    .argument("[tool]", "tool (or skill) name")
    .option("--domain <domain>", "the provider's domain")
    .option("--server <name>", "remove the pins of this MCP server's tools (all, or TOOL) from mcp.lock.json")
    .option("--project <dir>", "with --server: the project folder (default: found from the current directory)")
    .option("--trust-store <file>", `trust store (default: $${TRUST_STORE_ENV} or ~/.symbi/trust-store.json)`)
    .action(
      (tool: string | undefined, opts: { domain?: string; server?: string; project?: string; trustStore?: string }) => {
        if (opts.server !== undefined) return unpinServer(opts.server, tool, opts.project);
        if (tool === undefined || opts.domain === undefined)
          throw new UserError("unpin needs TOOL and --domain (a pinned key), or --server NAME (pins of an MCP server)");
        const store = new TrustStore(opts.trustStore ?? defaultTrustStorePath());
        if (!store.unpin(checkDomain(opts.domain), tool))
          throw new UserError(`no key is pinned for ${tool} of ${opts.domain}`);
        process.stdout.write(`unpinned ${tool} of ${opts.domain}\n`);
      },
    );

  addVerificationOptions(
    tools
      .command("verify")
      .description(
        "verify the project's tools: contracts against their signatures, and with --mcp each MCP server's live tools against their pins (exit 3 on any failure)",
      )
      .argument("[contracts...]", "contract files or folders (*.clad.toml) whose signatures to verify")
      .option(
        "--mcp",
        "list the project's MCP servers and compare every tool with mcp.lock.json (definitions, signatures)",
      )
      .option("--server <name>", "with --mcp: only this server (repeatable)", (v: string, p: string[] = []) => [
        ...p,
        v,
      ])
      .option("--project <dir>", "with --mcp: the project folder (default: found from the current directory)")
      .option("--format <format>", "pretty or json", "pretty")
      .addHelpText(
        "after",
        "\nExit codes: 0 everything verified; 3 a contract's signature fails, or an MCP tool drifted from its pin or its signature fails;\n1 usage or I/O error, or an MCP server could not be started or reached (and nothing failed verification).",
      ),
  ).action(
    async (
      paths: string[],
      opts: VerificationFlags & { format: string; mcp?: boolean; server?: string[]; project?: string },
    ) => {
      if (opts.format !== "pretty" && opts.format !== "json")
        throw new UserError(`unknown --format '${opts.format}' (expected pretty or json)`);
      const mcp = opts.mcp === true || (opts.server ?? []).length > 0;
      if (paths.length === 0 && !mcp)
        throw new UserError("verify needs contract files or folders, or --mcp (the project's MCP servers), or both");
      const pretty = opts.format === "pretty";
      const results: Record<string, unknown>[] = [];
      let failed = 0;
      if (paths.length > 0) {
        const files = contractFiles(paths);
        const { verifier } = await verifierFromFlags(opts);
        for (const file of files) {
          try {
            const r = await verifyContract(file, verifier, opts.domain);
            results.push({
              file,
              valid: true,
              tool: r.toolId,
              domain: r.domain,
              fingerprint: r.fingerprint,
              pin: r.pin,
            });
            if (pretty)
              process.stdout.write(
                `ok ${file}: tool ${r.toolId} signed by ${r.domain} (${r.fingerprint}, ${describePin(r.pin)})\n`,
              );
          } catch (err) {
            if (!(err instanceof SchemaPinError)) throw err;
            failed++;
            results.push({ file, valid: false, error_code: err.code, error: err.message });
            if (pretty) process.stderr.write(`symbi: error: ${file}: ${err.message}\n`);
          }
        }
      }
      let unreachable = 0;
      const mcpOut: Record<string, unknown> = {};
      if (mcp) {
        const v = await verifyMcpServers(opts.project, opts.server ?? [], opts);
        unreachable = v.unreachable.length;
        mcpOut["mcp"] = { tools: v.results, unreachable: v.unreachable };
        for (const r of v.results) {
          if (r.status !== "ok") failed++;
          if (!pretty) continue;
          const what = `${r.server}.${r.tool}`;
          if (r.status === "ok")
            process.stdout.write(
              `ok ${what}: listed as pinned (${r.hash})${r.signature ? `, signed by ${r.signature.domain} (${r.signature.fingerprint}, ${describePin(r.signature.pin)})` : ", unsigned"}\n`,
            );
          else
            for (const p of r.problems)
              process.stderr.write(
                `symbi: error: ${what}: ${r.status === "drift" ? "drift: " : ""}${r.errorCode && !p.includes(r.errorCode) ? `${r.errorCode}: ` : ""}${p}\n`,
              );
        }
        if (pretty) for (const u of v.unreachable) process.stderr.write(`symbi: error: ${u.error}\n`);
      }
      if (!pretty) process.stdout.write(JSON.stringify({ results, ...mcpOut }, null, 2) + "\n");
      if (failed > 0) throw new ExitStatus(ExitCode.CheckFailed);
      if (unreachable > 0) throw new ExitStatus(ExitCode.Error);
    },
  );
}
