/**
 * The documented schema of policy settings: the record forms `require: { key: value, ... }` and
 * `audit: { key: value, ... }` (and `name = value` entries of a `require: [...]` list). Each key
 * has a kind; some families are matched by pattern (`include_*`, `alert_on_*`, `*_verification`,
 * `*_approval`, ...). Unknown keys are W0300 (nothing would enforce them); a value of the wrong
 * kind is E0306. The emitter and the runtime read the normalised values from SettingEntry.
 *
 * Kinds:
 *   bool, string, int (whole number ≥ 0), string-list,
 *   duration  "3000ms", "5m", "30_days", or a duration literal        → milliseconds
 *   size      "100MB", "5 MiB"                                          → bytes
 *   rate      "1000/hour", "100/hour/recipient" (second|minute|hour|day) → per-second rate
 *   tier      a sandbox tier name ("Tier2", "gvisor", ...)              → the manifest tier
 *   enum      one of a fixed list
 */
import { present } from "./present.js";
import type { Expr } from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import type { SandboxTier } from "../../formats/sandbox-manifest.js";
import { sandboxTierFromDsl } from "../../stdlib/with-attributes.js";

export type SettingKind =
  | { kind: "bool" }
  | { kind: "string" }
  | { kind: "int" }
  | { kind: "string-list" }
  | { kind: "duration" }
  | { kind: "size" }
  | { kind: "rate" }
  | { kind: "tier" }
  | { kind: "enum"; values: readonly string[] };

export interface SettingSpec {
  kind: SettingKind;
  doc: string;
}

const bool = (doc: string): SettingSpec => ({ kind: { kind: "bool" }, doc });
const str = (doc: string): SettingSpec => ({ kind: { kind: "string" }, doc });
const int = (doc: string): SettingSpec => ({ kind: { kind: "int" }, doc });
const dur = (doc: string): SettingSpec => ({ kind: { kind: "duration" }, doc });
const oneOf = (values: string[], doc: string): SettingSpec => ({ kind: { kind: "enum", values }, doc });

/** `require: { ... }` keys. */
export const REQUIRE_SETTINGS: ReadonlyMap<string, SettingSpec> = new Map([
  [
    "sandbox_tier",
    {
      kind: { kind: "tier" },
      doc: "The weakest sandbox tier the agent may run in; every `with` block in scope must name this tier or a stronger one (process < Tier1 < Tier2).",
    },
  ],
  [
    "rate_limiting",
    {
      kind: { kind: "rate" },
      doc: 'Maximum call rate for the actions the policy covers, e.g. "1000/hour" or "100/hour/recipient".',
    },
  ],
  ["timeout_per_request", dur("Time limit of each outgoing request.")],
  ["timeout_per_channel", dur("Time limit per delivery channel.")],
  ["total_timeout", dur("Time limit of the whole run.")],
  ["approval_expiry", dur("How long a human approval stays valid.")],
  ["api_key_rotation", dur("Maximum age of API keys used by the agent.")],
  ["max_data_size", { kind: { kind: "size" }, doc: "Largest input the agent accepts." }],
  ["max_document_size", { kind: { kind: "size" }, doc: "Largest document the agent stores." }],
  ["max_scan_depth", int("Maximum recursion depth of scans.")],
  ["max_concurrent_agents", int("Maximum number of agents running at once for this agent.")],
  ["retry_attempts", int("Retries per failed delivery.")],
  ["max_retry_attempts", int("Retries per failed step.")],
  ["agentpin_algorithm", oneOf(["ES256", "ES384", "EdDSA"], "Signature algorithm of AgentPin credentials.")],
  ["identity_domain", str("Domain whose AgentPin identities are accepted.")],
  ["approval_mechanism", oneOf(["cryptographic_token", "interactive", "ticket"], "How human approval is given.")],
  ["approval_scope", oneOf(["single_action", "session", "run"], "What one approval covers.")],
  [
    "schemapin_mode",
    oneOf(
      ["strict", "tofu", "permissive"],
      "SchemaPin verification mode: strict rejects unverified tools; tofu pins on first use.",
    ),
  ],
  ["trust_bundle", str("Name of the trust-anchor bundle for SchemaPin.")],
  ["failure_recovery", oneOf(["retry_with_backoff", "fail_fast", "skip"], "What happens when a step fails.")],
  ["audit_trail", oneOf(["basic", "detailed", "full"], "Audit detail the actions require.")],
  ["differential_privacy", bool("Aggregations must use differential privacy.")],
]);

/** Key families of `require`, tried in order when a key is not listed above. */
export const REQUIRE_PATTERNS: ReadonlyArray<{ pattern: RegExp; spec: SettingSpec; example: string }> = [
  {
    pattern:
      /_(verification|verified|validation|sanitization|scanning|detection|moderation|classification|scoring|authorization|approval|approval_required|enabled)$/,
    spec: bool("A check or control that must be in place."),
    example: "signature_verification",
  },
  {
    pattern:
      /^(pin_on_first_use|verify_tool_schemas|log_verification_failures|require_reason|notify_on_escalation|deduplication|circuit_breaker|tls_verification)$/,
    spec: bool("A control that must be in place."),
    example: "deduplication",
  },
];

/** `audit: { ... }` keys. */
export const AUDIT_SETTINGS: ReadonlyMap<string, SettingSpec> = new Map([
  [
    "log_level",
    oneOf(["debug", "info", "warning", "error", "critical"], "Lowest level recorded for this policy's actions."),
  ],
  ["retention_days", int("How long the records are kept.")],
  [
    "compliance_tags",
    { kind: { kind: "string-list" }, doc: 'Tags copied into every audit record ("GDPR", "SOC2", ...).' },
  ],
  ["trace_id", bool("Record a trace id with every record.")],
  ["content_filtering", bool("Filter content before it is recorded.")],
]);

export const AUDIT_PATTERNS: ReadonlyArray<{ pattern: RegExp; spec: SettingSpec; example: string }> = [
  { pattern: /^include_[a-z0-9_]+$/, spec: bool("Whether records include this item."), example: "include_input" },
  { pattern: /^alert_on_[a-z0-9_]+$/, spec: bool("Raise an alert on this event."), example: "alert_on_errors" },
];

export type SettingValue = string | number | boolean | string[];

export interface SettingEntry {
  key: string;
  /** The value as written (strings unquoted). */
  value: SettingValue;
  /** Normalised: milliseconds (duration), bytes (size), calls per second (rate), the manifest tier (tier). */
  normalized?: number | SandboxTier;
  /** `rate` with a per-entity suffix (`/recipient`). */
  per?: string;
  keySpan: Span;
  valueSpan: Span;
}

export function specFor(which: "require" | "audit", key: string): SettingSpec | undefined {
  const table = which === "require" ? REQUIRE_SETTINGS : AUDIT_SETTINGS;
  const hit = table.get(key);
  if (hit) return hit;
  for (const p of which === "require" ? REQUIRE_PATTERNS : AUDIT_PATTERNS) if (p.pattern.test(key)) return p.spec;
  return undefined;
}

export function knownKeys(which: "require" | "audit"): string[] {
  return [...(which === "require" ? REQUIRE_SETTINGS : AUDIT_SETTINGS).keys()];
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
  months: 2_592_000_000,
  month: 2_592_000_000,
  y: 31_536_000_000,
  year: 31_536_000_000,
  years: 31_536_000_000,
};

/** `"3000ms"`, `"5m"`, `"30_days"`, `"1.5 h"` → milliseconds; undefined when malformed. */
export function parseDurationText(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)[\s_]*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = UNIT_MS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

const SIZE: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

export function parseSizeText(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = SIZE[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

const PER_SECOND: Record<string, number> = {
  second: 1,
  s: 1,
  minute: 60,
  min: 60,
  m: 60,
  hour: 3600,
  h: 3600,
  day: 86400,
  d: 86400,
};

export function parseRateText(text: string): { perSecond: number; per?: string } | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)(?:\s*\/\s*([a-z_]+))?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = PER_SECOND[m[2]!];
  if (unit === undefined) return undefined;
  return { perSecond: Number(m[1]) / unit, ...(m[3] ? { per: m[3] } : {}) };
}

export interface SettingProblem {
  message: string;
  help?: string;
}

/** Reads a literal setting value (strings, numbers, booleans, durations, lists of strings). */
export function literalValue(e: Expr): SettingValue | { durationMs: number } | undefined {
  switch (e.kind) {
    case "String":
      return e.value;
    case "Number":
      return e.value;
    case "Bool":
      return e.value;
    case "Duration":
      return { durationMs: e.millis };
    case "Array": {
      const out: string[] = [];
      for (const el of present(e.elements)) {
        if (el.kind !== "String") return undefined;
        out.push(el.value);
      }
      return out;
    }
    default:
      return undefined;
  }
}

const KIND_TEXT: Record<SettingKind["kind"], string> = {
  bool: "`true` or `false`",
  string: "a string",
  int: "a whole number",
  "string-list": "a list of strings",
  duration: 'a duration such as "30s" or "5m"',
  size: 'a size such as "100MB"',
  rate: 'a rate such as "100/hour"',
  tier: 'a sandbox tier ("Tier1", "Tier2" or "process")',
  enum: "one of the allowed values",
};

/** Validates and normalises one value against its spec; a string is a problem to report. */
export function validateSetting(
  spec: SettingSpec,
  e: Expr,
): { entry: Omit<SettingEntry, "key" | "keySpan" | "valueSpan"> } | { problem: SettingProblem } {
  const raw = literalValue(e);
  const want = spec.kind;
  const fail = (extra?: string): { problem: SettingProblem } => ({
    problem: {
      message: `expected ${want.kind === "enum" ? `one of ${want.values.map((v) => JSON.stringify(v)).join(", ")}` : KIND_TEXT[want.kind]}`,
      ...(extra ? { help: extra } : {}),
    },
  });
  if (raw === undefined) return fail("settings are literal values");
  if (typeof raw === "object" && !Array.isArray(raw)) {
    return want.kind === "duration" ? { entry: { value: `${raw.durationMs}ms`, normalized: raw.durationMs } } : fail();
  }
  switch (want.kind) {
    case "bool":
      return typeof raw === "boolean" ? { entry: { value: raw } } : fail();
    case "string":
      return typeof raw === "string" ? { entry: { value: raw } } : fail();
    case "int":
      return typeof raw === "number" && Number.isInteger(raw) && raw >= 0 ? { entry: { value: raw } } : fail();
    case "string-list":
      return Array.isArray(raw) ? { entry: { value: raw } } : fail();
    case "enum":
      if (typeof raw === "string" && want.values.includes(raw)) return { entry: { value: raw } };
      return fail();
    case "duration": {
      const ms = typeof raw === "string" ? parseDurationText(raw) : undefined;
      return ms !== undefined && ms > 0 ? { entry: { value: raw as string, normalized: ms } } : fail();
    }
    case "size": {
      const b = typeof raw === "string" ? parseSizeText(raw) : undefined;
      return b !== undefined ? { entry: { value: raw as string, normalized: b } } : fail();
    }
    case "rate": {
      const r = typeof raw === "string" ? parseRateText(raw) : undefined;
      return r
        ? { entry: { value: raw as string, normalized: r.perSecond, ...(r.per ? { per: r.per } : {}) } }
        : fail();
    }
    case "tier": {
      if (typeof raw !== "string") return fail();
      const t = sandboxTierFromDsl(raw);
      return t.ok ? { entry: { value: raw, normalized: t.tier } } : { problem: { message: t.message } };
    }
  }
}

/** Tier strength for "at least this tier" comparisons. */
export function tierRank(t: SandboxTier): number {
  return t === "process" ? 0 : t === "tier1" ? 1 : 2;
}

export function tierName(t: SandboxTier): string {
  return t === "process" ? "process" : t === "tier1" ? "Tier1" : "Tier2";
}
