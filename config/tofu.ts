/**
 * `[tofu]`: trust on first use for the signing keys of tool providers (the seed's SchemaPin key
 * pinning). The pin store that consults these settings is the tool verification's (MCP tools,
 * SchemaPin); `firstUseDecision` below is their one meaning, so every consumer decides alike.
 */
import { bool, int, section, type SectionValues } from "./schema.js";

export const tofu = section("tofu", "Trust on first use of tool providers' signing keys.", {
  enabled: bool({
    doc: "Whether a provider's key seen for the first time may be trusted (pinned) at all; when false every key must be pinned explicitly.",
    env: "SYMBIONT_TOFU_ENABLED",
    default: true,
  }),
  key_verification_required: bool({
    doc: "A first-seen key is pinned only if it verified against the provider's published key (discovery or trust bundle).",
    default: true,
  }),
  trust_on_first_use_timeout_hours: int({
    doc: "How long after a key is first seen it may still be trusted on first use; after that it must be pinned explicitly (0: no limit).",
    min: 0,
    default: 24,
  }),
  automatic_key_pinning: bool({
    doc: "Pin an acceptable first-seen key without asking; when false the operator pins it (the use is refused until then).",
    default: false,
  }),
});

export type TofuSettings = SectionValues<typeof tofu>;

/** What happens to a provider key that is not pinned yet. */
export type FirstUseDecision =
  { action: "pin" } | { action: "ask"; reason: string } | { action: "refuse"; reason: string };

/**
 * The decision for a provider key seen without a pin: `verified` — it matched the provider's
 * published key; `firstSeenMs` — when this key was first seen (now, on its very first use).
 */
export function firstUseDecision(
  s: TofuSettings,
  key: { verified: boolean; firstSeenMs: number },
  nowMs: number,
): FirstUseDecision {
  if (s.enabled === false)
    return {
      action: "refuse",
      reason: "trust on first use is disabled ([tofu] enabled = false): pin the key explicitly",
    };
  if (s.key_verification_required !== false && !key.verified)
    return {
      action: "refuse",
      reason: "the key did not verify against the provider's published key ([tofu] key_verification_required = true)",
    };
  const hours = s.trust_on_first_use_timeout_hours ?? 24;
  if (hours > 0 && nowMs - key.firstSeenMs > hours * 3_600_000)
    return {
      action: "refuse",
      reason: `the key was first seen more than ${hours} h ago and never pinned ([tofu] trust_on_first_use_timeout_hours): pin it explicitly`,
    };
  if (s.automatic_key_pinning !== true)
    return { action: "ask", reason: "a new key needs the operator's pin ([tofu] automatic_key_pinning = false)" };
  return { action: "pin" };
}
