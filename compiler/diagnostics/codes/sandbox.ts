import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0400–E0499 (and W0400–W0499): with blocks, sandbox settings and manifests. */
export const sandboxCodes: CodeTable = {
  E0400: {
    severity: "error",
    title: "invalid sandbox tier",
    explanation:
      "`sandbox` must name an available tier: `Tier1` (alias `docker`), `Tier2` (alias `gvisor`) or `process` (development only), case-insensitive. `Tier3`/`firecracker` and `e2b` are recognised but not supported: a tier that is not available is an error, never a silent downgrade.",
  },
  E0401: {
    severity: "error",
    title: "invalid timeout",
    explanation:
      '`timeout` is a duration literal (`30s`, `5m`, `100ms`, `1.5h`), a duration string (`"30m"`), or a bare number of milliseconds; it must be positive and at most 24 hours.',
  },
  E0402: {
    severity: "error",
    title: "invalid resource limit",
    explanation:
      "`max_memory_mb` and `max_pids` take a positive whole number, `max_cpu_cores` a positive number (fractions allowed), each within the documented range.",
  },
  E0403: {
    severity: "error",
    title: "policy contradicts the with block",
    explanation:
      'A policy in scope requires a setting that this `with` block does not give, e.g. `require: { sandbox_tier: "Tier2" }` under `with sandbox = "Tier1"`: the weaker sandbox would violate the policy.',
  },
  E0404: {
    severity: "error",
    title: "duplicate attribute",
    explanation: "The `with` block sets the same attribute twice.",
  },
  E0405: {
    severity: "error",
    title: "invalid attribute value",
    explanation:
      "The attribute's value is not one of the documented values (for example `memory` is `ephemeral`, `persistent`, `session` or `encrypted`; `network_policy` is `deny_all`).",
  },
  E0406: {
    severity: "error",
    title: "skill not found",
    explanation:
      "A name in `with skills = [...]` must be a folder inside the project (relative to its root, no `..` leaving it) that holds a `SKILL.md`.",
  },
  E0407: {
    severity: "error",
    title: "invalid skill front matter",
    explanation:
      "A skill's `SKILL.md` starts with YAML front matter between `---` lines with at least `name` and `description` (non-empty strings).",
  },
  E0408: {
    severity: "error",
    title: "skill blocked by the scanner",
    explanation:
      "`symbic build` scans every skill an agent names (`symbi skills scan`: the 40 default rules, the project's rules and executable allowlist). A Critical or High finding blocks the build; fix the line, or suppress a reviewed line with `skill-scan: allow RULE -- reason`.",
  },
  W0400: {
    severity: "warning",
    title: "bare number timeout",
    explanation:
      "A bare number in `timeout` means milliseconds (the example agents' comments say so; the reference read seconds). Write a duration literal such as `30s` to make the unit explicit; the quick fix does it.",
  },
  W0401: {
    severity: "warning",
    title: "unknown with attribute",
    explanation:
      "The attribute is not one the toolchain knows (`sandbox`, `timeout`, `max_memory_mb`, `max_cpu_cores`, `max_pids`, `network_policy`, `network`, `memory`, `security`, `privacy`, `requires`, `coordination`, ...) and has no effect. Check its spelling.",
  },
  W0402: {
    severity: "warning",
    title: "no sandbox tier",
    explanation:
      "The `with` block names no `sandbox`; it runs in the default tier (Tier1). Name the tier to make the isolation explicit.",
  },
};
