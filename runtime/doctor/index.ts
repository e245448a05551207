/**
 * `symbi doctor`: checks the machine and the project and says what works and what to fix —
 * Node's version, the configuration, whether the CLIs start from their code caches, what the
 * project's agents need (Docker, images by digest,
 * gVisor proved from inside), the key files (readable, safe modes, matching halves), the audit
 * log (verifies, not locked, within retention, key not overdue for rotation), the model provider
 * of model-driven agents (reachable, key accepted, model listed — no token spent), and the MCP
 * servers (started as a run starts them, listed, compared with their pins, stopped).
 *
 * Checks are a list (CHECKS below): a part of the toolchain with its own needs (a model
 * provider, MCP servers) adds one function returning its findings.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import semver from "semver";
import { Config, ConfigError, bundles, loadConfig, security } from "../../config/index.js";
import { findProjectRoot } from "../../compiler/project/root.js";
import { keyIdOf, loadPrivateKey, loadPublicKey, publicKeyPathFor } from "../../formats/keys.js";
import { verifyLog } from "../audit/verify.js";
import { isStale, lockPathFor, readLockOwner } from "../audit/lock.js";
import { auditLogIn } from "../audit/storage.js";
import { SUPPORTED_NODE } from "../../compiler/version.js";
import type { DefaultTier } from "../exec/sandbox-settings.js";
import { codeCacheFindings } from "./code-cache.js";
import { dockerFindings } from "./docker.js";
import { mcpFindings } from "./mcp.js";
import { modelFindings, type ModelCheckOptions } from "./model.js";
import { projectNeeds, type ProjectNeeds } from "./project.js";
import type { DoctorReport, DoctorFinding } from "./report.js";

export { renderReport, type DoctorReport, type DoctorFinding, type DoctorFindingStatus } from "./report.js";

export interface DoctorContext {
  config: Config;
  needs: ProjectNeeds;
  now: number;
  /** The environment (the providers' variables, MCP servers' `pass_env` and tokens). */
  env: Readonly<Record<string, string | undefined>>;
  options: DoctorOptions;
}

export type DoctorCheck = (ctx: DoctorContext) => Promise<DoctorFinding[]> | DoctorFinding[];

const DAY_MS = 86_400_000;

function nodeFinding(): DoctorFinding {
  const range = SUPPORTED_NODE;
  const v = process.versions.node;
  if (!range)
    return { subject: "Node.js", status: "warn", detail: `${v} (the toolchain's supported range is unknown)` };
  return semver.satisfies(v, range)
    ? { subject: "Node.js", status: "ok", detail: `${v} (supported: ${range})` }
    : {
        subject: "Node.js",
        status: "fail",
        detail: `${v} is outside the supported range ${range}`,
        fix: `install a Node.js in ${range}`,
      };
}

function projectFinding(n: ProjectNeeds): DoctorFinding {
  if (n.problem) return { subject: "project", status: "fail", detail: `${n.root}: ${n.problem}` };
  if (n.agents.length === 0) return { subject: "project", status: "ok", detail: `${n.root}: no agents` };
  const tiers = [...n.tiers].map(
    ([t, a]) => `${t === "tier1" ? "Tier1" : t === "tier2" ? "Tier2" : "process"}: ${a.join(", ")}`,
  );
  return {
    subject: "project",
    status: "ok",
    detail: `${n.root}: ${n.agents.length} agent${n.agents.length === 1 ? "" : "s"} (${tiers.join("; ")})`,
  };
}

function keyFindings(ctx: DoctorContext): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const sec = ctx.config.values(security);
  const bun = ctx.config.values(bundles);
  const fixMode = (p: string) => `chmod 600 ${p}; keep it out of the agents' reach`;
  if (sec.audit_signing_key !== undefined) {
    const p = sec.audit_signing_key;
    try {
      const priv = loadPrivateKey(p);
      const pubPath = publicKeyPathFor(p);
      if (!existsSync(pubPath))
        out.push({
          subject: `audit key ${p}`,
          status: "warn",
          detail: `readable, mode 0600, but ${pubPath} is missing`,
          fix: "keep the public key beside it (symbi audit verify reads it)",
        });
      else if (keyIdOf(loadPublicKey(pubPath)) !== keyIdOf(priv))
        out.push({
          subject: `audit key ${p}`,
          status: "fail",
          detail: `${pubPath} is not its public key`,
          fix: "restore the matching .pub",
        });
      else
        out.push({
          subject: `audit key ${p}`,
          status: "ok",
          detail: `readable, mode 0600, key id ${keyIdOf(priv).slice(0, 16)}…`,
        });
    } catch (e) {
      out.push({
        subject: `audit key ${p}`,
        status: "fail",
        detail: (e as Error).message,
        fix: /group or others/.test((e as Error).message) ? fixMode(p) : "make one with: symbi keygen --out FILE",
      });
    }
  }
  if (bun.signing_key !== undefined) {
    const p = bun.signing_key;
    try {
      loadPrivateKey(p);
      out.push({ subject: `bundle signing key ${p}`, status: "ok", detail: "readable, mode 0600" });
    } catch (e) {
      out.push({
        subject: `bundle signing key ${p}`,
        status: "fail",
        detail: (e as Error).message,
        fix: /group or others/.test((e as Error).message) ? fixMode(p) : "make one with: symbi keygen --out FILE",
      });
    }
  }
  for (const p of bun.trusted_keys ?? []) {
    try {
      const k = loadPublicKey(p);
      out.push({ subject: `trusted bundle key ${p}`, status: "ok", detail: `key id ${keyIdOf(k).slice(0, 16)}…` });
    } catch (e) {
      out.push({ subject: `trusted bundle key ${p}`, status: "fail", detail: (e as Error).message });
    }
  }
  return out;
}

function writable(dir: string): boolean {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    accessSync(d, constants.W_OK);
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
}

function auditFindings(ctx: DoctorContext): DoctorFinding[] {
  const sec = ctx.config.values(security);
  const subject = "audit log";
  if (sec.audit_enabled === false)
    return [
      {
        subject,
        status: "warn",
        detail: "auditing is turned OFF by the operator (security.audit_enabled = false)",
        fix: "remove audit_enabled = false once the reason is gone",
      },
    ];
  if (sec.audit_storage_path === undefined)
    return [
      sec.audit_enabled === true
        ? {
            subject,
            status: "fail",
            detail: "auditing is on but no storage is configured",
            fix: "set [security] audit_storage_path and audit_signing_key",
          }
        : { subject, status: "skip", detail: "no storage configured (runs are audited only with --audit-log)" },
    ];
  const log = auditLogIn(sec.audit_storage_path);
  if (!existsSync(log)) {
    return [
      writable(sec.audit_storage_path)
        ? { subject, status: "ok", detail: `${log} does not exist yet; the first run creates it` }
        : {
            subject,
            status: "fail",
            detail: `${sec.audit_storage_path} cannot be created or written`,
            fix: "create it, writable by the user that runs symbi",
          },
    ];
  }
  if (sec.audit_signing_key === undefined)
    return [
      {
        subject,
        status: "fail",
        detail: `${log} exists but no key is configured to verify or continue it`,
        fix: "set [security] audit_signing_key",
      },
    ];
  let pub;
  try {
    pub = loadPublicKey(publicKeyPathFor(sec.audit_signing_key));
  } catch (e) {
    return [{ subject, status: "fail", detail: `cannot verify ${log}: ${(e as Error).message}` }];
  }
  const out: DoctorFinding[] = [];
  const v = verifyLog(log, { publicKey: pub });
  const owner = readLockOwner(lockPathFor(log));
  const locked = owner
    ? isStale(owner)
      ? `; locked by pid ${owner.pid}, which is no longer running (the next run recovers it, recorded)`
      : `; in use by pid ${owner.pid} on ${owner.host}`
    : "";
  if (v.ok)
    out.push({ subject, status: "ok", detail: `${log} verifies: ${v.records} records, ${v.runs} runs${locked}` });
  else
    out.push({
      subject,
      status: "fail",
      detail: `${log} fails verification at line ${v.firstBad!.index}: ${v.firstBad!.reason}: ${v.firstBad!.detail}`,
      fix: `look at it with: symbi audit verify ${log}`,
    });
  const current = v.segments.at(-1);
  if (v.ok && current && sec.key_rotation_interval_days !== undefined) {
    const age = (ctx.now - Date.parse(current.since)) / DAY_MS;
    if (age > sec.key_rotation_interval_days)
      out.push({
        subject: "audit key rotation",
        status: "warn",
        detail: `the log's key has signed for ${Math.floor(age)} days (interval ${sec.key_rotation_interval_days})`,
        fix: "symbi keygen --rotate",
      });
    else
      out.push({
        subject: "audit key rotation",
        status: "ok",
        detail: `the log's key has signed for ${Math.floor(age)} of ${sec.key_rotation_interval_days} days`,
      });
  }
  const first = v.segments[0];
  if (v.ok && first && sec.audit_retention_days !== undefined) {
    const age = (ctx.now - Date.parse(first.since)) / DAY_MS;
    if (age > sec.audit_retention_days)
      out.push({
        subject: "audit retention",
        status: "warn",
        detail: `the live log holds records ${Math.floor(age)} days old (retention ${sec.audit_retention_days} days)`,
        fix: "symbi audit archive",
      });
    else
      out.push({
        subject: "audit retention",
        status: "ok",
        detail: `oldest live record ${Math.floor(age)} days old (retention ${sec.audit_retention_days} days)`,
      });
  }
  return out;
}

/** The checks after the configuration and the project's needs, in order. */
export const CHECKS: readonly DoctorCheck[] = [
  () => codeCacheFindings(),
  (ctx) => [projectFinding(ctx.needs)],
  (ctx) => dockerFindings(ctx.needs),
  keyFindings,
  auditFindings,
  (ctx) => modelFindings(ctx, ctx.options.model),
  (ctx) => mcpFindings(ctx, ctx.options.mcpTimeoutMs),
];

export interface DoctorOptions {
  /** A file or folder of the project (default: the current directory). */
  path?: string;
  env?: Readonly<Record<string, string | undefined>>;
  now?: number;
  /** `--model PROVIDER:MODEL`: the model setting as a flag (as `symbi exec --model`). */
  modelFlag?: string;
  /** `--model replay:FILE` and the listing's deadline. */
  model?: ModelCheckOptions;
  /** Bound on starting and listing one MCP server. */
  mcpTimeoutMs?: number;
}

export async function runDoctor(o: DoctorOptions = {}): Promise<DoctorReport> {
  const findings: DoctorFinding[] = [nodeFinding()];
  const root = findProjectRoot(o.path ?? process.cwd());
  let config: Config;
  try {
    config = loadConfig({
      projectRoot: root,
      ...(o.env ? { env: o.env } : {}),
      ...(o.modelFlag !== undefined ? { flags: { "model.model": { value: o.modelFlag, flag: "--model" } } } : {}),
    });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const l of e.lines) findings.push({ subject: "configuration", status: "fail", detail: l });
    return { findings, ok: false };
  }
  findings.push({
    subject: "configuration",
    status: "ok",
    detail:
      config.files.length === 0
        ? "valid (no configuration file: defaults, environment)"
        : `valid: ${config.files.map((f) => `${f.scope} file ${f.path}`).join(", ")}`,
  });
  const sec = config.values(security);
  const tier = sec.default_sandbox_tier;
  const defaultTier: DefaultTier | undefined =
    tier === "tier1" || tier === "tier2" ? { tier, source: "configuration" } : undefined;
  const ctx: DoctorContext = {
    config,
    needs: projectNeeds(root, defaultTier),
    now: o.now ?? Date.now(),
    env: o.env ?? process.env,
    options: o,
  };
  for (const check of CHECKS) findings.push(...(await check(ctx)));
  return { findings, ok: findings.every((f) => f.status !== "fail") };
}
