/**
 * The `require` settings the runtime enforces on tool calls (compiler/check/settings-schema.ts,
 * enforcement "runtime"), read from the bundle's policies.json:
 *
 *   rate_limiting        "N/unit[/arg]"  at most N calls of each covered tool in any window of one
 *                                        unit (per value of the argument `arg` when given), per run
 *   max_data_size        "10MB"          the call's arguments (as JSON, UTF-8) and the tool's output
 *   timeout_per_request  "3000ms"        the tool's timeout (the shorter of this and its contract's)
 *   approval_expiry      "5m"            an approval answered later than this does not approve
 *
 * A setting covers the actions of its `for` scope, or every tool call when it has none. When
 * several cover a call, the strictest holds. A setting the runtime cannot read (a bundle not made
 * by this compiler) refuses every call it covers: fail closed, never ignored.
 */
import type { PolicySettingEntry } from "../../formats/policies-json.js";

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
  /** Start times of admitted calls, by setting, tool and (for `/arg` rates) argument value. */
  private readonly calls = new Map<string, number[]>();

  constructor(
    settings: readonly PolicySettingEntry[],
    private readonly now: () => number = () => performance.now(),
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
    const now = this.now();
    for (const r of this.rates) {
      if (!covers(r, action)) continue;
      if (Number.isNaN(r.count) || Number.isNaN(r.windowMs)) return unreadable(r, "rate_limiting");
      const recent = this.recent(r, action, args, now);
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

  /** Records a call that is about to run, in every rate limit that covers it. */
  admit(action: string, args: Record<string, unknown>): void {
    const now = this.now();
    for (const r of this.rates) if (covers(r, action)) this.recent(r, action, args, now).push(now);
  }

  /** The output limit of a call (bytes), with the setting that sets it; undefined when none covers it. */
  outputLimit(action: string): { bytes: number; rule: string; text: string } | undefined {
    let best: { bytes: number; rule: string; text: string } | undefined;
    for (const l of this.dataSizes) {
      if (!covers(l, action) || Number.isNaN(l.value)) continue;
      if (!best || l.value < best.bytes) best = { bytes: l.value, rule: l.rule, text: l.text };
    }
    return best;
  }

  /** The per-request timeout (ms) of a call, with its setting; undefined when none covers it. */
  timeout(action: string): { ms: number; rule: string; text: string } | undefined {
    return strictest(this.timeouts, action);
  }

  /** How long an approval of this call stays valid (ms), with its setting; undefined when none covers it. */
  approvalExpiry(action: string): { ms: number; rule: string; text: string } | undefined {
    return strictest(this.expiries, action);
  }

  /** The admitted calls inside the window (older ones are dropped). */
  private recent(r: RateLimit, action: string, args: Record<string, unknown>, now: number): number[] {
    const key = JSON.stringify([r.rule, action, r.per !== undefined ? (args[r.per] ?? null) : null]);
    const kept = (this.calls.get(key) ?? []).filter((t) => now - t < r.windowMs);
    this.calls.set(key, kept);
    return kept;
  }
}

function unreadable(c: Covered, key: string): RequirementRefusal {
  return { rule: c.rule, reason: `the bundle's ${key} setting ${c.text} cannot be read; the call is refused` };
}

function strictest(list: readonly Limit[], action: string): { ms: number; rule: string; text: string } | undefined {
  let best: { ms: number; rule: string; text: string } | undefined;
  for (const l of list) {
    if (!covers(l, action)) continue;
    // An unreadable value is the strictest: nothing is allowed time.
    const ms = Number.isNaN(l.value) ? 0 : l.value;
    if (!best || ms < best.ms) best = { ms, rule: l.rule, text: l.text };
  }
  return best;
}
