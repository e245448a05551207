/**
 * What the configuration (config/) means for one `symbi exec`: the trusted bundle keys, whether
 * unsigned bundles may run, the audit log and its key (or auditing turned off by the operator),
 * the policy enforcement mode, the default sandbox tier, network isolation and required skill
 * signatures — each with where
 * it was set, for the messages and the audit log.
 */
import { Config, bundles, security, skills } from "../../config/index.js";
import { keyIdOf, loadPublicKey } from "../../formats/keys.js";
import { auditLogIn, ensureStorage } from "../audit/storage.js";
import type { ExecOptions } from "../exec/run.js";
import { UserError } from "../../formats/exit-codes.js";

type RunSettings = Pick<
  ExecOptions,
  | "trust"
  | "auditLog"
  | "keyFile"
  | "auditDisabled"
  | "enforcement"
  | "defaultTier"
  | "networkIsolation"
  | "skillSignatures"
>;

function where(config: Config, section: string, key: string): string {
  const s = config.get(section, key);
  return s ? Config.describe(s.source) : "default";
}

/** `auditLogFlag`: the --audit-log flag (a log file; it turns auditing on for the run). */
export async function runSettings(config: Config, auditLogFlag: string | undefined): Promise<RunSettings> {
  const sec = config.values(security);
  const bun = config.values(bundles);
  const out: RunSettings = {};

  const keysFrom = where(config, "bundles", "trusted_keys");
  out.trust = {
    keys: (bun.trusted_keys ?? []).map((file) => {
      const key = loadPublicKey(file);
      return {
        keyId: keyIdOf(key),
        key,
        source: keysFrom.startsWith("flag") ? `--trust ${file}` : `${file} (${keysFrom})`,
      };
    }),
    ...(bun.allow_unsigned ? { allowUnsigned: where(config, "bundles", "allow_unsigned").replace(/^flag /, "") } : {}),
  };

  const storageLog = sec.audit_storage_path !== undefined ? auditLogIn(sec.audit_storage_path) : undefined;
  const key = sec.audit_signing_key;
  if (auditLogFlag === undefined && sec.audit_enabled === false) {
    // Off, by the operator: said at every run start, and in the log itself when there is one.
    if (storageLog !== undefined && key !== undefined) ensureStorage(sec.audit_storage_path!);
    out.auditDisabled = {
      source: where(config, "security", "audit_enabled"),
      ...(storageLog !== undefined && key !== undefined ? { log: storageLog, keyFile: key } : {}),
    };
  } else {
    const log = auditLogFlag ?? storageLog;
    if (sec.audit_enabled === true && log === undefined)
      throw new UserError(
        `auditing is on (security.audit_enabled, ${where(config, "security", "audit_enabled")}) but no log is configured: set [security] audit_storage_path or pass --audit-log LOG`,
      );
    if (log !== undefined) {
      if (key === undefined)
        throw new UserError(
          `${auditLogFlag !== undefined ? "--audit-log" : `the audit log ${log} (security.audit_storage_path)`} needs a signing key: --key KEYFILE or [security] audit_signing_key (make one with: symbi keygen --out FILE)`,
        );
      if (auditLogFlag === undefined) ensureStorage(sec.audit_storage_path!);
      out.auditLog = log;
      out.keyFile = key;
    } else if (config.get("security", "audit_signing_key")?.source.kind === "flag") {
      throw new UserError("--key needs --audit-log (the log to sign) or [security] audit_storage_path");
    }
  }

  const mode = sec.policy_enforcement_mode ?? "strict";
  out.enforcement = { mode, source: where(config, "security", "policy_enforcement_mode") };
  const tier = sec.default_sandbox_tier;
  if (tier === "tier1" || tier === "tier2")
    out.defaultTier = { tier, source: where(config, "security", "default_sandbox_tier") };
  if (sec.network_isolation === true) out.networkIsolation = where(config, "security", "network_isolation");

  const sk = config.values(skills);
  if (sk.require_signatures === true) {
    // Skill signers' keys: from the operator's discovery folder, else each domain's well-known
    // document over HTTPS; pinned on first use in the SchemaPin trust store. SchemaPin's modules
    // are loaded only here: a run that requires no signatures does not pay for them.
    const [{ defaultTrustStorePath, TrustStore }, { LocalFileResolver, WellKnownResolver }, { SchemaPinVerifier }] =
      await Promise.all([
        import("../../schemapin/pins.js"),
        import("../../schemapin/resolvers.js"),
        import("../../schemapin/verify.js"),
      ]);
    out.skillSignatures = {
      verifier: new SchemaPinVerifier({
        resolver: sk.discovery_dir !== undefined ? new LocalFileResolver(sk.discovery_dir) : new WellKnownResolver(),
        trustStore: new TrustStore(defaultTrustStorePath()),
        pinOnFirstUse: true,
      }),
      source: `skills.require_signatures, ${where(config, "skills", "require_signatures")}`,
    };
  }
  return out;
}
