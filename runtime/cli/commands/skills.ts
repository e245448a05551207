/**
 * `symbi skills scan|sign|verify`.
 *   scan   — the skill scanner (40 default rules, the project's rules and executable allowlist
 *            from symbi.toml [skills]); exit 3 when a Critical or High finding is not suppressed
 *   sign   — SchemaPin skill signature (.schemapin.sig); a skill with blocking findings is not signed
 *   verify — refuse a skill edited after signing, or signed by a revoked, changed or unknown key
 */
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import pc from "picocolors";
import { ExitCode } from "../../../formats/exit-codes.js";
import { useColor } from "../../../compiler/cli/output.js";
import { VERSION } from "../../../compiler/version.js";
import { SchemaPinError } from "../../../schemapin/errors.js";
import { loadP256PrivateKey } from "../../../schemapin/keys.js";
import { checkDomain } from "../../../schemapin/resolvers.js";
import { signSkill, verifySkill } from "../../../schemapin/skill.js";
import { loadSkillsConfig, scanOptionsFor, skillsConfigOf, type SkillsConfig } from "../../../skills/config.js";
import { skillFolders } from "../../../skills/discover.js";
import {
  renderFindingsGithub,
  renderFindingsJson,
  renderFindingsPretty,
  renderFindingsSarif,
  SCAN_FORMATS,
  summarize,
  type ScanFormat,
} from "../../../skills/report.js";
import { DEFAULT_RULES } from "../../../skills/rules.js";
import { blockingFindings, scanSkill, type SkillScan } from "../../../skills/scanner.js";
import type { SkillSeverity } from "../../../config/index.js";
import { UserError } from "../../../formats/exit-codes.js";
import { ExitStatus } from "../errors.js";
import { commandConfig } from "../settings.js";
import {
  addVerificationOptions,
  describePin,
  readKeyFile,
  verifierFromFlags,
  type VerificationFlags,
} from "../schemapin-options.js";

/**
 * The scanner's settings: `[skills]` of the configuration of the project of the first path
 * (config/: project file, operator files, environment); `--config FILE` is read as the project
 * file instead. Throws ConfigError (every problem, located; exit 3, or 1 when unreadable).
 */
function scannerConfig(paths: string[], configFile?: string): SkillsConfig {
  if (configFile !== undefined) return loadSkillsConfig({ projectFile: configFile });
  return skillsConfigOf(commandConfig(resolve(paths[0]!)));
}

function skillsOf(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UserError(`${p}: no such file or folder`);
    out.push(...skillFolders(p));
  }
  return out;
}

export function scanPaths(paths: string[], config: SkillsConfig): SkillScan[] {
  const opts = scanOptionsFor(config);
  return skillsOf(paths).map((s) => scanSkill(s, opts));
}

const paint: Record<SkillSeverity, (s: string) => string> = {
  critical: (s) => pc.bold(pc.red(s)),
  high: pc.red,
  medium: pc.yellow,
  warning: pc.yellow,
  info: pc.cyan,
};

export function register(program: Command): void {
  const skills = program.command("skills").description("scan, sign and verify agent skills (folders with SKILL.md)");

  skills
    .command("scan")
    .description("scan skills with the 40 default rules, the project's rules and the executable allowlist")
    .argument("<paths...>", "skill folders, folders of skills, or files")
    .option("--format <format>", `output format: ${SCAN_FORMATS.join(", ")}`, "pretty")
    .option("--config <file>", "read this file as the project's symbi.toml (operator files and SYMBIONT_* still apply)")
    .addHelpText(
      "after",
      "\nExit status: 0 no blocking finding; 3 a Critical or High finding (not suppressed); 1 usage or I/O error.",
    )
    .action((paths: string[], opts: { format: string; config?: string }) => {
      if (!(SCAN_FORMATS as readonly string[]).includes(opts.format)) {
        throw new UserError(`unknown --format '${opts.format}' (expected one of: ${SCAN_FORMATS.join(", ")})`);
      }
      const config = scannerConfig(paths, opts.config);
      const scans = scanPaths(paths, config);
      const format = opts.format as ScanFormat;
      if (format === "pretty") {
        const color = useColor(process.stderr);
        process.stderr.write(renderFindingsPretty(scans, color ? (sev, t) => paint[sev](t) : undefined));
      } else if (format === "json") process.stdout.write(renderFindingsJson(scans));
      else if (format === "sarif")
        process.stdout.write(renderFindingsSarif(scans, [...DEFAULT_RULES, ...config.customRules], VERSION));
      else process.stdout.write(renderFindingsGithub(scans));
      if (summarize(scans).blocking > 0) throw new ExitStatus(ExitCode.CheckFailed);
    });

  skills
    .command("sign")
    .description("sign skills with SchemaPin (writes .schemapin.sig); skills with blocking findings are refused")
    .argument("<paths...>", "skill folders")
    .requiredOption("--key <keyfile>", "ECDSA P-256 private key (PEM)")
    .requiredOption("--domain <domain>", "the domain whose discovery document publishes the key")
    .option("--expires-in-days <days>", "signature expiry (v1.4 expires_at)")
    .option("--config <file>", "read this file as the project's symbi.toml (operator files and SYMBIONT_* still apply)")
    .action((paths: string[], opts: { key: string; domain: string; expiresInDays?: string; config?: string }) => {
      const key = loadP256PrivateKey(readKeyFile(opts.key), opts.key);
      const domain = checkDomain(opts.domain);
      let expiresInMs: number | undefined;
      if (opts.expiresInDays !== undefined) {
        const days = Number(opts.expiresInDays);
        if (!Number.isFinite(days) || days <= 0) throw new UserError(`--expires-in-days must be a positive number`);
        expiresInMs = days * 86_400_000;
      }
      const config = scannerConfig(paths, opts.config);
      const opts2 = scanOptionsFor(config);
      let refused = 0;
      for (const dir of skillsOf(paths)) {
        const scan = scanSkill(dir, opts2);
        const blocking = blockingFindings(scan.findings);
        if (blocking.length > 0) {
          refused++;
          process.stderr.write(renderFindingsPretty([{ ...scan, findings: blocking }]));
          process.stderr.write(
            `symbi: error: ${dir}: not signed: ${blocking.length} blocking finding${blocking.length === 1 ? "" : "s"}\n`,
          );
          continue;
        }
        const sig = signSkill(dir, key, domain, expiresInMs !== undefined ? { expiresInMs } : {});
        process.stdout.write(
          `signed ${dir} (skill ${sig.skill_name}, ${Object.keys(sig.file_manifest).length} files, ${sig.skill_hash})\n`,
        );
      }
      if (refused > 0) throw new ExitStatus(ExitCode.CheckFailed);
    });

  addVerificationOptions(
    skills
      .command("verify")
      .description("verify signed skills: unchanged since signing, signed by the domain's pinned, unrevoked key")
      .argument("<paths...>", "skill folders")
      .option("--format <format>", "pretty or json", "pretty"),
  ).action(async (paths: string[], opts: VerificationFlags & { format: string }) => {
    if (opts.format !== "pretty" && opts.format !== "json")
      throw new UserError(`unknown --format '${opts.format}' (expected pretty or json)`);
    const { verifier } = await verifierFromFlags(opts);
    const results: Record<string, unknown>[] = [];
    let failed = 0;
    for (const dir of skillsOf(paths)) {
      try {
        const r = await verifySkill(dir, verifier, opts.domain ? { expectedDomain: opts.domain } : {});
        results.push({
          skill: dir,
          valid: true,
          name: r.toolId,
          domain: r.domain,
          fingerprint: r.fingerprint,
          pin: r.pin,
          skill_hash: r.skillHash,
          files: r.files,
          expired: r.expired,
          warnings: r.warnings,
        });
        if (opts.format === "pretty") {
          process.stdout.write(
            `ok ${dir}: skill ${r.toolId}, ${r.files} files, signed by ${r.domain} (${r.fingerprint}, ${describePin(r.pin)})\n`,
          );
          for (const w of r.warnings) process.stderr.write(`symbi: warning: ${dir}: ${w}\n`);
        }
      } catch (err) {
        if (!(err instanceof SchemaPinError)) throw err;
        failed++;
        results.push({ skill: dir, valid: false, error_code: err.code, error: err.message });
        if (opts.format === "pretty") process.stderr.write(`symbi: error: ${err.message}\n`);
      }
    }
    if (opts.format === "json") process.stdout.write(JSON.stringify({ results }, null, 2) + "\n");
    if (failed > 0) throw new ExitStatus(ExitCode.CheckFailed);
  });
}
