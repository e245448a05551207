/**
 * The documented schema of policy settings: the record forms `require: { key: value, ... }` and
 * `audit: { key: value, ... }` (and `name = value` entries of a `require: [...]` list). Each key
 * has a kind; some families are matched by pattern (`include_*`, `alert_on_*`, `*_verification`,
 * `*_approval`, ...). Unknown keys are W0300 (nothing would enforce them); a value of the wrong
 * kind is E0306. The emitter and the runtime read the normalised values from SettingEntry.
 *
 * Nothing in `require` is accepted and ignored: every key says how it is enforced
 * (SettingEnforcement), and a key this toolchain cannot enforce is E0311.
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
import { INCLUDE_RECORDED_ITEM } from "../../stdlib/audit-items.js";

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

/**
 * How a setting is enforced:
 * - "check": against the agent's `with` blocks by the checker (E0403);
 * - "runtime": by the runtime (require: on each call the policy covers, runtime/exec/requirements.ts;
 *   audit: on the run's audit records, runtime/exec/audit-requirements.ts), for the listed values
 *   (all when absent);
 * - "context": a control that must be in place (`true`): the calls the policy covers are denied
 *   unless the deployment states it in the trusted context record (`context.<key> == true`), as
 *   the bare requirement `require: <key>` is;
 * - "always": true of every run of this runtime, for the listed values (all when absent);
 * - "unsupported": nothing here enforces it — E0311 (with why, when there is more to say).
 * A value outside the listed ones is E0311; `otherwise` then says why.
 */
export type SettingEnforcement =
  | { by: "check" }
  | { by: "runtime"; values?: readonly SettingValue[]; otherwise?: string }
  | { by: "context" }
  | { by: "always"; why: string; values?: readonly SettingValue[]; otherwise?: string }
  | { by: "unsupported"; why?: string };

export interface SettingSpec {
  kind: SettingKind;
  doc: string;
  enforced: SettingEnforcement;
}

/** A setting's kind and doc; `by` adds how it is enforced (every setting says). */
type Unenforced = Omit<SettingSpec, "enforced">;
const bool = (doc: string): Unenforced => ({ kind: { kind: "bool" }, doc });
const str = (doc: string): Unenforced => ({ kind: { kind: "string" }, doc });
const int = (doc: string): Unenforced => ({ kind: { kind: "int" }, doc });
const dur = (doc: string): Unenforced => ({ kind: { kind: "duration" }, doc });
const oneOf = (values: string[], doc: string): Unenforced => ({ kind: { kind: "enum", values }, doc });
const by = (spec: Unenforced, enforced: SettingEnforcement): SettingSpec => ({ ...spec, enforced });
const CHECK = { by: "check" } as const;
const RUNTIME = { by: "runtime" } as const;
const CONTEXT = { by: "context" } as const;
const UNSUPPORTED = { by: "unsupported" } as const;
const NO_RETRIES = {
  by: "always",
  why: "symbi never retries a tool call or a step on its own: agent code retries explicitly, and each attempt is decided",
} as const;

/** `require: { ... }` keys. */
export const REQUIRE_SETTINGS: ReadonlyMap<string, SettingSpec> = new Map([
  [
    "sandbox_tier",
    by(
      {
        kind: { kind: "tier" },
        doc: "The weakest sandbox tier the agent may run in; every `with` block in scope must name this tier or a stronger one (process < Tier1 < Tier2).",
      },
      CHECK,
    ),
  ],
  [
    "rate_limiting",
    by(
      {
        kind: { kind: "rate" },
        doc: 'Maximum number of calls of each tool the policy covers in a sliding window, e.g. "1000/hour"; "100/hour/recipient" counts each value of the argument `recipient` apart.',
      },
      RUNTIME,
    ),
  ],
  ["timeout_per_request", by(dur("Time limit of each call of a tool the policy covers."), RUNTIME)],
  ["timeout_per_channel", by(dur("Time limit per delivery channel."), UNSUPPORTED)],
  ["total_timeout", by(dur("Time limit of the whole run: every `with` block's timeout must be within it."), CHECK)],
  [
    "approval_expiry",
    by(dur("How long a human approval stays valid: an answer given later does not approve the call."), RUNTIME),
  ],
  ["api_key_rotation", by(dur("Maximum age of API keys used by the agent."), UNSUPPORTED)],
  [
    "max_data_size",
    by(
      {
        kind: { kind: "size" },
        doc: "Largest arguments (as JSON) and largest output of a call of a tool the policy covers.",
      },
      RUNTIME,
    ),
  ],
  ["max_document_size", by({ kind: { kind: "size" }, doc: "Largest document the agent stores." }, UNSUPPORTED)],
  ["max_scan_depth", by(int("Maximum recursion depth of scans."), UNSUPPORTED)],
  ["max_concurrent_agents", by(int("Maximum number of agents running at once for this agent."), UNSUPPORTED)],
  ["retry_attempts", by(int("Retries per failed delivery."), NO_RETRIES)],
  ["max_retry_attempts", by(int("Retries per failed step."), NO_RETRIES)],
  [
    "agentpin_algorithm",
    by(oneOf(["ES256", "ES384", "EdDSA"], "Signature algorithm of AgentPin credentials."), UNSUPPORTED),
  ],
  ["identity_domain", by(str("Domain whose AgentPin identities are accepted."), UNSUPPORTED)],
  [
    "approval_mechanism",
    by(oneOf(["cryptographic_token", "interactive", "ticket"], "How human approval is given."), {
      by: "always",
      why: "approvals are asked of the operator (`symbi exec --approve ask`) or given by the operator's flag",
      values: ["interactive"],
    }),
  ],
  [
    "approval_scope",
    by(oneOf(["single_action", "session", "run"], "What one approval covers."), {
      by: "always",
      why: "every approval covers the one call it was asked for",
      values: ["single_action"],
    }),
  ],
  [
    "schemapin_mode",
    by(
      oneOf(
        ["strict", "tofu", "permissive"],
        "SchemaPin verification mode: strict rejects unverified tools; tofu pins on first use.",
      ),
      UNSUPPORTED,
    ),
  ],
  ["trust_bundle", by(str("Name of the trust-anchor bundle for SchemaPin."), UNSUPPORTED)],
  [
    "failure_recovery",
    by(oneOf(["retry_with_backoff", "fail_fast", "skip"], "What happens when a step fails."), {
      by: "always",
      why: "an error agent code does not catch ends the run",
      values: ["fail_fast"],
    }),
  ],
  [
    "audit_trail",
    by(oneOf(["basic", "detailed", "full"], "Audit detail the actions require."), {
      by: "always",
      why: "every decision, approval and tool call is in the run's signed audit log with its arguments (contents as hashes unless `--audit-content full`)",
      values: ["basic", "detailed"],
    }),
  ],
  ["differential_privacy", by(bool("Aggregations must use differential privacy."), CONTEXT)],
]);

/** Key families of `require`, tried in order when a key is not listed above. */
export const REQUIRE_PATTERNS: ReadonlyArray<{ pattern: RegExp; spec: SettingSpec; example: string }> = [
  {
    pattern:
      /_(verification|verified|validation|sanitization|scanning|detection|moderation|classification|scoring|authorization|approval|approval_required|enabled)$/,
    spec: by(bool("A check or control that must be in place."), CONTEXT),
    example: "signature_verification",
  },
  {
    pattern:
      /^(pin_on_first_use|verify_tool_schemas|log_verification_failures|require_reason|notify_on_escalation|deduplication|circuit_breaker|tls_verification)$/,
    spec: by(bool("A control that must be in place."), CONTEXT),
    example: "deduplication",
  },
];

const CONTENT_AS_HASHES =
  "the run's records hold the contents of arguments, inputs, outputs, prompts and responses as SHA-256 hashes";

/**
 * `audit: { ... }` keys. Every audit setting needs a signed audit log: a run of an agent whose
 * policies have one is refused when no log is configured (runtime/exec/audit-requirements.ts).
 */
export const AUDIT_SETTINGS: ReadonlyMap<string, SettingSpec> = new Map([
  [
    "log_level",
    by(oneOf(["debug", "info", "warning", "error", "critical"], "Lowest level recorded for this policy's actions."), {
      by: "always",
      why: "every event of the run is recorded, whatever its level: the signed log never leaves a record out",
    }),
  ],
  [
    "retention_days",
    by(int("How long the records are kept (at least)."), {
      by: "always",
      why: "symbi never deletes audit records: `symbi audit archive` moves old ones into sealed, signed archives that are kept",
    }),
  ],
  [
    "compliance_tags",
    by(
      { kind: { kind: "string-list" }, doc: 'Tags copied into every audit record of the run ("GDPR", "SOC2", ...).' },
      RUNTIME,
    ),
  ],
  [
    "trace_id",
    by(bool("Record a trace id with every record."), {
      by: "always",
      why: "every record carries the run's id (`run`) and its place in the hash chain",
    }),
  ],
  [
    "content_filtering",
    by(bool(`Keep contents out of the log: ${CONTENT_AS_HASHES}, even with \`--audit-content full\`.`), RUNTIME),
  ],
]);

export const AUDIT_PATTERNS: ReadonlyArray<{ pattern: RegExp; spec: SettingSpec; example: string }> = [
  {
    pattern: INCLUDE_RECORDED_ITEM,
    spec: by(bool("Whether records include this item (the log always does)."), {
      by: "always",
      why: "the signed log records every decision, approval, tool call (with its timing) and error",
      values: [true],
      otherwise: "the log never leaves out a decision, an approval, a tool call or an error",
    }),
    example: "include_policy_decisions",
  },
  {
    pattern: /^include_(input|output)$/,
    spec: by(
      bool(
        `Whether records include the run's input or output: \`true\` as SHA-256 hashes (in full with \`--audit-content full\`); \`false\`: ${CONTENT_AS_HASHES}.`,
      ),
      RUNTIME,
    ),
    example: "include_input",
  },
  {
    pattern: /^include_[a-z0-9_]+$/,
    spec: by(bool(`Whether records include this content; \`false\`: ${CONTENT_AS_HASHES}.`), {
      by: "runtime",
      values: [false],
      otherwise: `the log has no field of its own for it: ${CONTENT_AS_HASHES} (in full with \`--audit-content full\`); write \`false\` to keep it out, or remove the setting`,
    }),
    example: "include_code_diffs",
  },
  {
    pattern: /^alert_on_[a-z0-9_]+$/,
    spec: by(bool("Raise an alert on this event."), {
      by: "unsupported",
      why: "symbi raises no alerts; every denial, error and approval is a record of the signed log, which your monitoring can watch",
    }),
    example: "alert_on_errors",
  },
];

export type SettingValue = string | number | boolean | string[];

export interface SettingEntry {
  key: string;
  /** The value as written (strings unquoted). */
  value: SettingValue;
  /** Normalised: milliseconds (duration), bytes (size), calls per second (rate), the manifest tier (tier). */
  normalized?: number | SandboxTier;
  /** `rate`: at most `count` calls in any `windowMs`. */
  rate?: { count: number; windowMs: number };
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

/**
 * `"100/hour"`, `"5/minute/recipient"` → at most `count` calls in any window of `windowMs`
 * (counted per value of the argument `per`, when given); undefined when malformed. The count is
 * a whole number of at least 1: a sliding window counts calls.
 */
export function parseRateText(
  text: string,
): { count: number; windowMs: number; perSecond: number; per?: string } | undefined {
  const m = /^\s*(\d+)\s*\/\s*([a-z]+)(?:\s*\/\s*([a-z_]+))?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = PER_SECOND[m[2]!];
  const count = Number(m[1]);
  if (unit === undefined || !Number.isSafeInteger(count) || count < 1) return undefined;
  return { count, windowMs: unit * 1000, perSecond: count / unit, ...(m[3] ? { per: m[3] } : {}) };
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
        ? {
            entry: {
              value: raw as string,
              normalized: r.perSecond,
              rate: { count: r.count, windowMs: r.windowMs },
              ...(r.per ? { per: r.per } : {}),
            },
          }
        : fail("a whole number of calls per second, minute, hour or day");
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
