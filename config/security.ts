/**
 * `[security]`: every key of the seed document's security configuration (security-model.ja.md,
 * "セキュリティ設定ファイル") and its environment variables, each honoured by this toolchain or
 * refused with what to use instead — plus the audit signing key's location, which the seed
 * leaves to its key store. config/README.md lists where each honoured key takes effect.
 */
import { bool, choice, int, path, section, text } from "./schema.js";

const NO_HSM =
  "this runtime keeps signing keys in files readable only by their owner (mode 0600); there is no HSM key store — set [security] audit_signing_key to the key file instead";

export const security = section("security", "Cryptography, audit log, sandbox and policy enforcement settings.", {
  crypto_provider: text({
    doc: "The cryptography implementation. Only `node` (Node's crypto, OpenSSL) exists here.",
    env: "SYMBIONT_CRYPTO_PROVIDER",
    unsupported: (v) =>
      v === "node"
        ? null
        : `crypto provider ${JSON.stringify(v)} is not available here: signatures and hashes use Node's crypto (OpenSSL); remove the key or set "node"`,
  }),
  signature_algorithm: text({
    doc: "The signature algorithm of audit logs and bundle signatures: `ed25519`, the only one.",
    unsupported: (v) =>
      v.toLowerCase() === "ed25519"
        ? null
        : `signature algorithm ${JSON.stringify(v)} is not supported: audit logs and bundles are signed with Ed25519`,
  }),
  encryption_algorithm: text({
    doc: "Refused: nothing is encrypted by this toolchain (logs and bundles are signed, not encrypted).",
    unsupported: () =>
      "encryption_algorithm is not supported: this toolchain encrypts nothing (audit logs and bundles are signed, not encrypted); keep them on an encrypted volume if they must be",
  }),
  key_rotation_interval_days: int({
    doc: "How long an audit signing key may sign before `symbi doctor` and `symbi audit verify` say it is due for `symbi keygen --rotate`.",
    min: 1,
  }),
  key_store_type: choice(["file", "hsm"], {
    doc: "Where signing keys live: `file` (key files, the only store here).",
    env: "SYMBIONT_KEY_STORE_TYPE",
    caseInsensitive: true,
    unsupported: (v) => (v === "hsm" ? NO_HSM : null),
  }),
  hsm_enabled: bool({
    doc: "Refused when true: there is no HSM support.",
    unsupported: (v) => (v ? NO_HSM : null),
  }),
  hsm_config_path: path({
    doc: "Refused: there is no HSM support.",
    env: "SYMBIONT_HSM_CONFIG_PATH",
    unsupported: () => NO_HSM,
  }),
  audit_enabled: bool({
    doc: "Audit every run (true: a log and key must be configured); false turns auditing off — only from the operator, and announced at every run start.",
    env: "SYMBIONT_AUDIT_ENABLED",
    operatorOnly: (v) => v === false,
  }),
  audit_storage_path: path({
    doc: "The folder of the audit log (`audit.log`, its head and lock; archives in `archive/`).",
    env: "SYMBIONT_AUDIT_STORAGE",
  }),
  audit_signing_key: path({
    doc: "The Ed25519 private key file (symbi keygen) that signs the audit log; its public key is the same path with `.pub`.",
    env: "SYMBIONT_AUDIT_SIGNING_KEY",
    flag: "--key",
  }),
  audit_retention_days: int({
    doc: "How long records stay in the live log: `symbi audit archive` without --before archives older ones; `symbi doctor` reports records past it.",
    env: "SYMBIONT_AUDIT_RETENTION_DAYS",
    min: 1,
  }),
  audit_compression: bool({
    doc: "Refused when true: logs and archives stay plain JSON Lines so they can be verified as streams.",
    unsupported: (v) =>
      v
        ? "audit_compression is not supported: logs and archives stay plain JSON Lines so verify can stream them; compress copies of sealed archives with an external tool if needed"
        : null,
  }),
  default_sandbox_tier: choice(["tier1", "tier2", "docker", "gvisor", "process"], {
    doc: "The tier of `with` blocks that name none (they are compiled for Tier1): Tier1/docker or Tier2/gvisor; never lower than Tier1.",
    env: "SYMBIONT_DEFAULT_SANDBOX_TIER",
    caseInsensitive: true,
    normalize: (v) => (v === "docker" ? "tier1" : v === "gvisor" ? "tier2" : v),
    unsupported: (v) =>
      v === "process"
        ? 'the default sandbox tier cannot be "process": a block that names no tier runs at least in Tier1; the development tier must be named in the agent (`with sandbox = "process"`)'
        : null,
  }),
  sandbox_escape_detection: bool({
    doc: "Refused when true: there is no escape detector (Tier2 runs tools on gVisor's own kernel).",
    unsupported: (v) =>
      v
        ? 'sandbox_escape_detection is not supported: there is no escape detector; isolate tools with Tier2 (gVisor) instead: default_sandbox_tier = "gvisor"'
        : null,
  }),
  resource_limit_enforcement: choice(["strict"], {
    doc: "Resource limits (memory, CPU, pids, time) are always enforced: `strict` is the only mode.",
  }),
  tls_min_version: choice(["1.2", "1.3"], {
    doc: "The lowest TLS version of every outgoing TLS connection (Docker over TLS, model providers, discovery).",
  }),
  certificate_pinning: bool({
    doc: "Refused when true: TLS certificates are not pinned (tool providers' keys are pinned by [tofu]).",
    unsupported: (v) =>
      v
        ? "certificate_pinning is not supported: TLS certificates are not pinned; tool providers' signing keys are pinned on first use ([tofu])"
        : null,
  }),
  network_isolation: bool({
    doc: "When true, no tool gets network access: a `with` block whose sandbox allows network is refused at run start.",
  }),
  policy_enforcement_mode: choice(["strict", "log_only"], {
    doc: "`strict` (default) enforces every policy denial; `log_only` (operator only) records would-be denials and lets the run continue.",
    env: "SYMBIONT_POLICY_ENFORCEMENT",
    default: "strict",
    operatorOnly: (v) => v === "log_only",
  }),
  policy_violation_action: choice(["deny", "deny_and_alert", "log", "alert"], {
    doc: "What a policy violation does: `deny` (the action never runs, the denial is audited).",
    unsupported: (v) =>
      v === "deny"
        ? null
        : `policy_violation_action = ${JSON.stringify(v)} is not supported: a violation is denied and recorded in the audit log (ship the log to raise alerts); for a rollout that only records denials use policy_enforcement_mode = "log_only" in the operator's file`,
  }),
  emergency_override_enabled: bool({
    doc: "Refused when true: there is no emergency override.",
    unsupported: (v) =>
      v
        ? 'emergency_override_enabled is not supported: there is no way around the policies at run time; change the policy and rebuild, or (operator) use policy_enforcement_mode = "log_only"'
        : null,
  }),
});
