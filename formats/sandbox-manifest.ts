/**
 * Sandbox manifest v1 (DESIGN §7): the type, its JSON Schema, a validator that reports errors by
 * JSON pointer, builder helpers for the compiler, and a stable serialisation.
 *
 * The manifest is the contract between `symbic build` (which writes one per agent and per `with`
 * block) and the runtime's sandbox drivers (which apply every field or refuse to run). The
 * security settings (read-only root, all capabilities dropped, no_new_privs, default seccomp)
 * are constants in v1: a manifest can say them, never weaken them.
 *
 * The field-by-field documentation lives in `sandbox-manifest.schema.json` (its `description`s),
 * so the published schema and this module cannot drift apart: the validator is generated from
 * that file ahead of time (sandbox-manifest.validator.ts, ajv's standalone code; a test fails when
 * it is stale), so no command compiles it at start-up.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import schemaJson from "./sandbox-manifest.schema.json" with { type: "json" };
import generatedValidator from "./sandbox-manifest.validator.js";
import { SANDBOX_ID_RANGE } from "./sandbox-identity.js";

export { SANDBOX_ID_RANGE, SandboxIdentityError, sandboxIdentity, sandboxIdentityProblem } from "./sandbox-identity.js";

export const SANDBOX_MANIFEST_API_VERSION = "symbi.dev/v1";
export const SANDBOX_MANIFEST_KIND = "SandboxManifest";
/** The local base image built by `npm run sandbox:image` (the script reads this line). */
export const DEFAULT_SANDBOX_IMAGE = "symbi-sandbox:1";
/** The base image's unprivileged `sandbox` user (nobody:nogroup). */
export const DEFAULT_SANDBOX_USER = "65534:65534";
export const DEFAULT_SANDBOX_WORKDIR = "/tmp";
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({ memoryMb: 256, cpus: 1, pids: 64 });
export const DEFAULT_SANDBOX_TIMEOUT_MS = 30_000;
export const DEFAULT_TMP_SIZE_MB = 64;

/** The JSON Schema (draft-07) of manifest v1. */
export const sandboxManifestSchema: Readonly<Record<string, unknown>> = schemaJson;

export type SandboxTier = "process" | "tier1" | "tier2";
export type ContainerRuntime = "runc" | "runsc";

export interface TmpfsMount {
  /** Absolute mount point. */
  path: string;
  /** Octal mode of the mount root, e.g. "1777". */
  mode: string;
  sizeMb: number;
}

/** A read-only bind mount (from a tool contract's `[tool.sandbox] mounts`). */
export interface BindMount {
  source: string;
  target: string;
  readOnly: true;
}

export interface NetworkDestination {
  /** Host name, IP address or CIDR block. */
  host: string;
  port: number;
  protocol?: "tcp" | "udp";
}

export type SandboxNetwork = { mode: "none" } | { mode: "allowlist"; allow: NetworkDestination[] };

export interface SandboxLimits {
  memoryMb: number;
  cpus: number;
  pids: number;
}

export interface SourcePoint {
  file: string;
  line: number;
  column: number;
}

export interface SandboxManifest {
  apiVersion: typeof SANDBOX_MANIFEST_API_VERSION;
  kind: typeof SANDBOX_MANIFEST_KIND;
  agent: string;
  /** 0-based index of the `with` block in the agent, or null for the agent-level default. */
  block: number | null;
  source?: SourcePoint;
  tier: SandboxTier;
  /** True when the block names no tier (the compiler chose it): the operator's default tier may raise it. */
  tierDefault?: true;
  /** runc for tier1, runsc for tier2, null for the process tier. */
  runtime: ContainerRuntime | null;
  /** Null for the process tier. */
  image: string | null;
  /** Numeric "uid:gid", both in SANDBOX_ID_RANGE. */
  user: string;
  workdir: string;
  readOnlyRoot: true;
  tmpfs: TmpfsMount[];
  /** Read-only bind mounts; absent when there are none. */
  mounts?: BindMount[];
  capDrop: ["ALL"];
  noNewPrivileges: true;
  seccomp: "default";
  limits: SandboxLimits;
  timeoutMs: number;
  network: SandboxNetwork;
  env: Record<string, string>;
  /** `with fresh = true`: one container per call instead of the block's warm container. Absent means false. */
  fresh?: true;
}

/** One validation error: where (a JSON pointer into the manifest, "" for the root) and what. */
export interface ManifestError {
  path: string;
  message: string;
}

export type ManifestValidation = { ok: true; manifest: SandboxManifest } | { ok: false; errors: ManifestError[] };

/** Thrown by `assertSandboxManifest`; its message is one line naming the first errors. */
export class InvalidSandboxManifestError extends Error {
  readonly errors: ManifestError[];
  constructor(errors: ManifestError[], what = "sandbox manifest") {
    const shown = errors
      .slice(0, 3)
      .map((e) => `${e.path || "/"}: ${e.message}`)
      .join("; ");
    const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : "";
    super(`invalid ${what}: ${shown}${more}`);
    this.name = "InvalidSandboxManifestError";
    this.errors = errors;
  }
}

const schemaValidator = generatedValidator as unknown as ValidateFunction;

/**
 * Validates an untrusted value (parsed JSON) against manifest v1: the JSON Schema first, then
 * the rules a schema cannot say (distinct tmpfs paths). Errors are sorted by path, then message.
 */
export function validateSandboxManifest(value: unknown): ManifestValidation {
  const errors: ManifestError[] = [];
  if (!schemaValidator(value)) {
    errors.push(...toManifestErrors(schemaValidator.errors ?? []));
  } else {
    const m = value as unknown as SandboxManifest;
    const seen = new Set<string>();
    m.tmpfs.forEach((t, i) => {
      const p = t.path.replace(/\/+$/, "");
      if (seen.has(p)) errors.push({ path: `/tmpfs/${i}/path`, message: `duplicate tmpfs mount ${t.path}` });
      seen.add(p);
    });
    (m.mounts ?? []).forEach((b, i) => {
      for (const side of ["source", "target"] as const) {
        const problem = mountPathProblem(b[side]);
        if (problem !== null) errors.push({ path: `/mounts/${i}/${side}`, message: problem });
      }
      const t = b.target.replace(/\/+$/, "");
      if (seen.has(t)) errors.push({ path: `/mounts/${i}/target`, message: `${b.target} is mounted twice` });
      seen.add(t);
    });
  }
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) };
  return { ok: true, manifest: value as SandboxManifest };
}

/** Parses manifest JSON text and validates it; a JSON syntax error is reported at path "". */
export function parseSandboxManifest(text: string): ManifestValidation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [{ path: "", message: `not valid JSON: ${(e as Error).message}` }] };
  }
  return validateSandboxManifest(value);
}

/** Validates and returns the manifest, or throws InvalidSandboxManifestError. */
export function assertSandboxManifest(value: unknown): SandboxManifest {
  const r = validateSandboxManifest(value);
  if (!r.ok) throw new InvalidSandboxManifestError(r.errors);
  return r.manifest;
}

/** Turns ajv's errors into path + message pairs a person can act on. */
function toManifestErrors(list: ErrorObject[]): ManifestError[] {
  const out: ManifestError[] = [];
  for (const e of list) {
    // "must match then schema" only restates the errors found inside the branch; the errors
    // inside `contains` and `propertyNames` are restated by those keywords' own errors.
    if (e.keyword === "if" || e.schemaPath.includes("/contains/") || e.propertyName !== undefined) continue;
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case "required":
        out.push({ path: `${e.instancePath}/${String(params.missingProperty)}`, message: "is required" });
        break;
      case "additionalProperties":
        out.push({ path: `${e.instancePath}/${String(params.additionalProperty)}`, message: "is not a known field" });
        break;
      case "const":
        out.push({ path: e.instancePath, message: `must be ${JSON.stringify(params.allowedValue)}` });
        break;
      case "enum":
        out.push({
          path: e.instancePath,
          message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        });
        break;
      case "propertyNames": {
        const name = String(params.propertyName);
        out.push({
          path: `${e.instancePath}/${name}`,
          message: isLoaderVariable(name)
            ? "is a loader or C library variable, which a sandbox never passes to a tool"
            : "is not an allowed variable name (HOME and TMPDIR are reserved)",
        });
        break;
      }
      case "contains":
        out.push({ path: e.instancePath, message: "must include a /tmp mount" });
        break;
      case "not":
        if (e.instancePath === "/network")
          out.push({ path: "/network/allow", message: 'is only allowed with mode "allowlist"' });
        else if (!e.instancePath.startsWith("/env/"))
          out.push({ path: e.instancePath, message: e.message ?? "is not allowed" });
        break;
      case "pattern":
        out.push({
          path: e.instancePath,
          message: PATTERN_MESSAGES[e.instancePath.replace(/\/\d+\//g, "/*/")] ?? e.message ?? "has a bad format",
        });
        break;
      default:
        out.push({ path: e.instancePath, message: e.message ?? e.keyword });
    }
  }
  return out;
}

/** Plain words for the schema's regular expressions, by (generalised) instance path. */
const PATTERN_MESSAGES: Record<string, string> = {
  "/agent": "must be an identifier (letters, digits, underscores)",
  "/image":
    'must be a local image reference such as "symbi-sandbox:1" (lowercase name, optional :tag and @sha256: digest)',
  "/user": `must be a numeric "uid:gid" with both ids in ${SANDBOX_ID_RANGE.min}-${SANDBOX_ID_RANGE.max}, such as "65534:65534"`,
  "/workdir": "must be an absolute path",
  "/tmpfs/*/path": "must be an absolute path other than / without spaces or commas",
  "/tmpfs/*/mode": 'must be octal permission bits such as "1777"',
  "/network/allow/*/host": "must be a host name, IP address or CIDR block",
};

function dedupe(errors: ManifestError[]): ManifestError[] {
  const seen = new Set<string>();
  const out = errors.filter((e) => {
    const k = `${e.path}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return out.sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0,
  );
}

const envNameRules = (
  schemaJson.properties.env.propertyNames.not.anyOf as ({ enum: string[] } | { pattern: string })[]
).slice(1);
const loaderNames = new Set(envNameRules.flatMap((r) => ("enum" in r ? r.enum : [])));
const loaderPatterns = envNameRules.flatMap((r) => ("pattern" in r ? [new RegExp(r.pattern)] : []));

/**
 * Variables that steer the dynamic loader or the C library (LD_PRELOAD, GCONV_PATH, ...): never
 * given to a tool. The list lives in the manifest schema (`env.propertyNames`); drivers check it
 * again right before they build an environment.
 */
export function isLoaderVariable(name: string): boolean {
  return loaderNames.has(name) || loaderPatterns.some((p) => p.test(name));
}

function isSafeAbsolute(p: string): boolean {
  return p.startsWith("/") && !p.split("/").includes("..") && !/[\0\n\r]/.test(p);
}

/** Host and container paths a mount may not use: the root, and the kernel's own file systems. */
const SYSTEM_MOUNT_ROOTS = ["/proc", "/sys", "/dev"];

/**
 * Why a mount's source or target path is refused, or null. Besides being absolute without `..`,
 * neither side is `/` or under /proc, /sys or /dev (the container runtime's own mounts, and the
 * host's kernel interfaces). Whatever is mounted, a tool can only read what its identity
 * (SANDBOX_ID_RANGE, no groups) may read, and never write: mounts are always read-only.
 */
export function mountPathProblem(p: string): string | null {
  if (!isSafeAbsolute(p) || /[\s,:]/.test(p))
    return "mount paths must be absolute, without `..`, spaces, commas or colons";
  const norm = p.replace(/\/+/g, "/").replace(/\/$/, "");
  if (norm === "" || norm === "/.") return "the root directory cannot be mounted";
  const sys = SYSTEM_MOUNT_ROOTS.find((r) => norm === r || norm.startsWith(`${r}/`));
  if (sys) return `${sys} is the kernel's own file system and cannot be mounted`;
  return null;
}

/** The OCI runtime a tier requires. */
export function runtimeForTier(tier: SandboxTier): ContainerRuntime | null {
  return tier === "tier1" ? "runc" : tier === "tier2" ? "runsc" : null;
}

/** What the compiler knows for one agent / `with` block; everything but agent and tier has a default. */
export interface SandboxManifestOptions {
  agent: string;
  tier: SandboxTier;
  /** The block names no tier: `tier` is the compiler's default. */
  tierDefault?: boolean;
  block?: number | null;
  source?: SourcePoint;
  /** Container image (ignored for the process tier). Default DEFAULT_SANDBOX_IMAGE. */
  image?: string;
  user?: string;
  workdir?: string;
  memoryMb?: number;
  cpus?: number;
  pids?: number;
  timeoutMs?: number;
  tmpSizeMb?: number;
  /** Default `{ mode: "none" }`. An allowlist comes from policy. */
  network?: SandboxNetwork;
  env?: Record<string, string>;
  /** One container per call (`with fresh = true`); default false (a warm container per block). */
  fresh?: boolean;
}

/**
 * Builds a manifest with safe defaults for every field not given. It does not validate (the
 * compiler maps `validateSandboxManifest` errors back to DSL ranges); the result of defaults
 * alone is always valid.
 */
export function defaultSandboxManifest(o: SandboxManifestOptions): SandboxManifest {
  const m: SandboxManifest = {
    apiVersion: SANDBOX_MANIFEST_API_VERSION,
    kind: SANDBOX_MANIFEST_KIND,
    agent: o.agent,
    block: o.block ?? null,
    tier: o.tier,
    runtime: runtimeForTier(o.tier),
    image: o.tier === "process" ? null : (o.image ?? DEFAULT_SANDBOX_IMAGE),
    user: o.user ?? DEFAULT_SANDBOX_USER,
    workdir: o.workdir ?? DEFAULT_SANDBOX_WORKDIR,
    readOnlyRoot: true,
    tmpfs: [{ path: "/tmp", mode: "1777", sizeMb: o.tmpSizeMb ?? DEFAULT_TMP_SIZE_MB }],
    capDrop: ["ALL"],
    noNewPrivileges: true,
    seccomp: "default",
    limits: {
      memoryMb: o.memoryMb ?? DEFAULT_SANDBOX_LIMITS.memoryMb,
      cpus: o.cpus ?? DEFAULT_SANDBOX_LIMITS.cpus,
      pids: o.pids ?? DEFAULT_SANDBOX_LIMITS.pids,
    },
    timeoutMs: o.timeoutMs ?? DEFAULT_SANDBOX_TIMEOUT_MS,
    network: o.network ? cloneNetwork(o.network) : { mode: "none" },
    env: { ...(o.env ?? {}) },
  };
  if (o.source) m.source = { ...o.source };
  if (o.fresh === true) m.fresh = true;
  if (o.tierDefault) m.tierDefault = true;
  return m;
}

function cloneNetwork(n: SandboxNetwork): SandboxNetwork {
  return n.mode === "none" ? { mode: "none" } : { mode: "allowlist", allow: n.allow.map((d) => ({ ...d })) };
}

/** A tool contract's `[tool.sandbox]` overrides (DESIGN §6), applied on top of the agent's manifest. */
export interface ToolSandboxOverrides {
  image?: string;
  user?: string;
  workdir?: string;
  /** Read-only bind mounts (`[tool.sandbox] mounts`). */
  mounts?: readonly { source: string; target: string }[];
}

/**
 * The manifest for one tool call: the agent's constraints with the tool's own image, user or
 * working directory. Limits, network and security settings always come from the agent's
 * manifest. Throws InvalidSandboxManifestError if the result is invalid (e.g. user "0:0").
 */
export function manifestForTool(base: SandboxManifest, tool: ToolSandboxOverrides): SandboxManifest {
  const m: SandboxManifest = structuredClone(base);
  if (tool.image !== undefined && m.tier !== "process") m.image = tool.image;
  if (tool.user !== undefined) m.user = tool.user;
  if (tool.workdir !== undefined) m.workdir = tool.workdir;
  if (tool.mounts !== undefined && tool.mounts.length > 0)
    m.mounts = [
      ...(m.mounts ?? []),
      ...tool.mounts.map((b) => ({ source: b.source, target: b.target, readOnly: true as const })),
    ];
  return assertSandboxManifest(m);
}

/** The file `symbic build` writes for a manifest: `<agent>.sandbox.json` or `<agent>.with<N>.sandbox.json`. */
export function sandboxManifestFileName(m: Pick<SandboxManifest, "agent" | "block">): string {
  return m.block === null ? `${m.agent}.sandbox.json` : `${m.agent}.with${m.block}.sandbox.json`;
}

const KEY_ORDER = [
  ...(schemaJson.required as string[]).slice(0, 4),
  "source",
  ...(schemaJson.required as string[]).slice(4, 11),
  "mounts",
  ...(schemaJson.required as string[]).slice(11),
  "fresh",
  "file",
  "line",
  "column",
  "path",
  "mode",
  "sizeMb",
  "target",
  "readOnly",
  "memoryMb",
  "cpus",
  "pids",
  "allow",
  "host",
  "port",
  "protocol",
];

/**
 * Deterministic JSON text (2-space indent, trailing newline): keys in the schema's order, env
 * variables sorted, so rebuilding an unchanged agent gives a byte-identical file.
 */
export function serializeSandboxManifest(m: SandboxManifest): string {
  return JSON.stringify(ordered(m, ""), null, 2) + "\n";
}

function ordered(v: unknown, key: string): unknown {
  if (Array.isArray(v)) return v.map((x) => ordered(x, ""));
  if (v === null || typeof v !== "object") return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (key === "env") keys.sort();
  else keys.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = ordered(obj[k], k);
  return out;
}

function rank(k: string): number {
  const i = KEY_ORDER.indexOf(k);
  return i < 0 ? KEY_ORDER.length : i;
}
