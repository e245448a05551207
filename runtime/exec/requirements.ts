/**
 * The `require` settings the runtime enforces on tool calls (compiler/check/settings-schema.ts,
 * enforcement "runtime"), read from the bundle's policies.json:
 *
 *   rate_limiting        "N/unit[/arg]"  at most N calls of each covered tool in any window of one
 *                                        unit (per value of the argument `arg` when given), counted
 *                                        across runs in the audit log (RateLedger below)
 *   max_data_size        "10MB"          the call's arguments (as JSON, UTF-8) and the tool's output
 *   timeout_per_request  "3000ms"        the tool's timeout (the shorter of this and its contract's)
 *   approval_expiry      "5m"            an approval answered later than this does not approve
 *
 * A setting covers the actions of its `for` scope, or every tool call when it has none. When
 * several cover a call, the strictest holds. A setting the runtime cannot read (a bundle not made
 * by this compiler) refuses every call it covers: fail closed, never ignored.
 */
import { createHash } from "node:crypto";
import type { PolicySettingEntry } from "../../formats/policies-json.js";
import { recentRecords } from "../audit/recent.js";

/**
 * The admitted calls that rate limits count, shared by every run of one execution (an agent and
 * the peers it delegates to) and seeded from the audit log, so that the runs recorded in one log
 * share their limits: `tool_start` records carry the keys of the limits they were counted in
 * (`rateKeys`), and a run starts by reading the log's records inside the widest window. A key is
 * the SHA-256 of (rule, tool, value of the `/arg` argument): the record carries no argument
 * value, so content filtering (audit-requirements.ts) holds for it too. Times are wall-clock
 * milliseconds, as the log's `ts`.
 */
export class RateLedger {
  private readonly calls = new Map<string, number[]>();
  /** When the log was first read and how far back the reads reach from then. */
  private seeded: { at: number; back: number } | undefined;

  constructor(
    /** The run's audit log (the ledger's memory across runs); undefined: this execution only. */
    private readonly log?: string,
    readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Reads the log's calls inside the last `windowMs`. Once read, the log is read again only for
   * a wider window (a peer's limit), and then only further back: what this execution appended
   * since (the log is locked to it) is counted as it happens.
   */
  seed(windowMs: number): void {
    if (this.log === undefined || (this.seeded && windowMs <= this.seeded.back)) return;
    const now = this.now();
    const from = now - windowMs;
    const until = this.seeded ? this.seeded.at - this.seeded.back : Infinity;
    for (const r of recentRecords(this.log, from, (rec) => rec.type === "tool_start")) {
      const at = Date.parse(r.ts);
      if (!(at < until)) continue;
      const keys = (r.details as { rateKeys?: unknown }).rateKeys;
      if (!Array.isArray(keys)) continue;
      for (const k of keys) if (typeof k === "string") this.times(k).push(at);
    }
    for (const t of this.calls.values()) t.sort((a, b) => a - b);
    this.seeded = { at: this.seeded?.at ?? now, back: (this.seeded?.at ?? now) - from };
  }

  /** The admitted calls of `key` inside the window (older ones are dropped). */
  recent(key: string, windowMs: number, now: number): number[] {
    const kept = this.times(key).filter((t) => now - t < windowMs);
    this.calls.set(key, kept);
    return kept;
  }

  private times(key: string): number[] {
    let t = this.calls.get(key);
    if (!t) this.calls.set(key, (t = []));
    return t;
  }
}

/** A refusal: the setting's rule id and why (for PolicyDenied and the audit record). */
export interface RequirementRefusal {
  rule: string;
  reason: string;
}

interface Covered {
  rule: string;
  /** The setting's text as written (`"2/minute"`), for messages. */
  text: string;
  actions: "all" | readonly string[];
}

interface RateLimit extends Covered {
  count: number;
  windowMs: number;
  per?: string;
}

interface Limit extends Covered {
  /** Bytes or milliseconds; NaN when the bundle's value cannot be read (refuses). */
  value: number;
}

const covers = (c: Covered, action: string) => c.actions === "all" || c.actions.includes(action);

function num(v: unknown): number {
  if (typeof v === "object" && v !== null && "normalized" in v) {
    const n = (v as { normalized: unknown }).normalized;
    if (typeof n === "number" && Number.isFinite(n) && n > 0) return n;
  }
  return NaN;
}

function textOf(v: unknown): string {
  if (typeof v === "object" && v !== null && "value" in v) return String((v as { value: unknown }).value);
  return JSON.stringify(v);
}

export class CallRequirements {
  private readonly rates: RateLimit[] = [];
  private readonly dataSizes: Limit[] = [];
  private readonly timeouts: Limit[] = [];
  private readonly expiries: Limit[] = [];
  constructor(
    settings: readonly PolicySettingEntry[],
    /** Where admitted calls are counted (shared across the runs of an execution and the log). */
    private readonly ledger: RateLedger = new RateLedger(),
  ) {
    for (const s of settings) {
      if (s.kind !== "require") continue;
      const base = (key: string): Covered => ({
        rule: s.id,
        text: textOf(s.settings[key]),
        actions: s.actions ?? "all",
      });
      for (const [key, v] of Object.entries(s.settings)) {
        if (key === "rate_limiting") {
          const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
          const count = typeof o["count"] === "number" && Number.isSafeInteger(o["count"]) ? o["count"] : NaN;
          const windowMs = typeof o["window_ms"] === "number" ? o["window_ms"] : NaN;
          const r: RateLimit = {
            ...base(key),
            count: count >= 1 ? count : NaN,
            windowMs: windowMs > 0 ? windowMs : NaN,
          };
          if (typeof o["per"] === "string") r.per = o["per"];
          this.rates.push(r);
        } else if (key === "max_data_size") this.dataSizes.push({ ...base(key), value: num(v) });
        else if (key === "timeout_per_request") this.timeouts.push({ ...base(key), value: num(v) });
        else if (key === "approval_expiry") this.expiries.push({ ...base(key), value: num(v) });
      }
    }
    const widest = Math.max(0, ...this.rates.map((r) => (Number.isNaN(r.windowMs) ? 0 : r.windowMs)));
    if (widest > 0) this.ledger.seed(widest);
  }

  /** Whether some rate limit counts calls (such a run needs the audit log as its ledger). */
  get rateLimited(): boolean {
    return this.rates.length > 0;
  }

  /**
   * Whether a call may go ahead (before approval, so nobody is asked for a call that would be
   * refused): its arguments within max_data_size, and a slot in every rate limit that covers it.
   */
  check(action: string, args: Record<string, unknown>): RequirementRefusal | undefined {
    for (const l of this.dataSizes) {
      if (!covers(l, action)) continue;
      if (Number.isNaN(l.value)) return unreadable(l, "max_data_size");
      const bytes = Buffer.byteLength(JSON.stringify(args), "utf8");
      if (bytes > l.value)
        return {
          rule: l.rule,
          reason: `the arguments of \`${action}\` are ${bytes} bytes, more than max_data_size ${l.text}`,
        };
    }
    const now = this.ledger.now();
    for (const r of this.rates) {
      if (!covers(r, action)) continue;
      if (Number.isNaN(r.count) || Number.isNaN(r.windowMs)) return unreadable(r, "rate_limiting");
      const recent = this.ledger.recent(rateKey(r, action, args), r.windowMs, now);
      if (recent.length >= r.count) {
        const who = r.per !== undefined ? ` for ${r.per} ${JSON.stringify(args[r.per] ?? null)}` : "";
        return {
          rule: r.rule,
          reason: `rate_limiting ${r.text} reached: ${recent.length} call${recent.length === 1 ? "" : "s"} of \`${action}\`${who} in the last ${r.windowMs / 1000}s`,
        };
      }
    }
    return undefined;
  }

  /**
   * Records a call that is about to run, in every rate limit that covers it; returns the keys it
   * was counted under, for its `tool_start` record (`rateKeys`), which is what later runs count.
   */
  admit(action: string, args: Record<string, unknown>): string[] {
    const now = this.ledger.now();
    const keys: string[] = [];
    for (const r of this.rates) {
      if (!covers(r, action)) continue;
      const key = rateKey(r, action, args);
      this.ledger.recent(key, r.windowMs, now).push(now);
      keys.push(key);
    }
    return keys;
  }

  /**
   * The output limit of a call (bytes), with the setting that sets it; undefined when none covers
   * it. An unreadable size was already refused by check() before the call ran, so it is skipped.
   */
  outputLimit(action: string): { bytes: number; rule: string; text: string } | undefined {
    const l = strictest(this.dataSizes, action, "skip");
    return l && { bytes: l.value, rule: l.rule, text: l.text };
  }

  /** The per-request timeout (ms) of a call, with its setting; undefined when none covers it. */
  timeout(action: string): { ms: number; rule: string; text: string } | undefined {
    const l = strictest(this.timeouts, action, "as-zero");
    return l && { ms: l.value, rule: l.rule, text: l.text };
  }

  /** How long an approval of this call stays valid (ms), with its setting; undefined when none covers it. */
  approvalExpiry(action: string): { ms: number; rule: string; text: string } | undefined {
    const l = strictest(this.expiries, action, "as-zero");
    return l && { ms: l.value, rule: l.rule, text: l.text };
  }
}

/** The ledger key of a call under a rate limit: a hash, so no argument value reaches the log. */
function rateKey(r: RateLimit, action: string, args: Record<string, unknown>): string {
  const per = r.per !== undefined ? (args[r.per] ?? null) : null;
  return createHash("sha256")
    .update(JSON.stringify([r.rule, action, per]), "utf8")
    .digest("hex");
}

function unreadable(c: Covered, key: string): RequirementRefusal {
  return { rule: c.rule, reason: `the bundle's ${key} setting ${c.text} cannot be read; the call is refused` };
}

/**
 * The smallest limit of those covering the action. An unreadable value counts as 0 ("as-zero":
 * nothing is allowed time) or is passed over ("skip": refused elsewhere).
 */
function strictest(
  list: readonly Limit[],
  action: string,
  unreadable: "as-zero" | "skip",
): { value: number; rule: string; text: string } | undefined {
  let best: { value: number; rule: string; text: string } | undefined;
  for (const l of list) {
    if (!covers(l, action)) continue;
    if (Number.isNaN(l.value) && unreadable === "skip") continue;
    const value = Number.isNaN(l.value) ? 0 : l.value;
    if (!best || value < best.value) best = { value, rule: l.rule, text: l.text };
  }
  return best;
}
