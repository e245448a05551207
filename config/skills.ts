/**
 * `[skills]`: the skill scanner's settings (skills/README.md) — the executable allowlist, the
 * scan caps, whether inline suppressions are honoured, and custom rules run beside the 40
 * defaults:
 *
 * ```toml
 * [skills]
 * allowed_executables = ["python3", "jq"]   # AllowedExecutablesOnly; absent = not enforced
 * max_file_bytes = 4194304                  # per file (default 4 MiB)
 * max_skill_bytes = 33554432                # per skill (default 32 MiB)
 * suppressions = true                       # honour `skill-scan: allow RULE -- reason`
 *
 * [[skills.rules]]
 * id = "internal-hosts"
 * pattern = '(?i)\bcorp\.internal\b'        # RE2 syntax (linear time)
 * severity = "high"                         # critical | high | medium | warning | info
 * message = "Skill names an internal host"
 * ```
 *
 * Read like every other section (operator files over the project's symbi.toml, per key). A rule
 * whose pattern RE2 cannot compile (a backreference, a lookahead), whose severity is not one of
 * the five or whose id another custom rule has is an error at its own line and column; an id
 * taken by a default rule or a scanner check is refused by skills/config.ts (config/ does not
 * know the scanner's rules). The five severities are declared here: they are the vocabulary of
 * `severity`, and the scanner (skills/severity.ts) uses them.
 */
import { createRequire } from "node:module";
import type { RE2JS } from "re2js";
import { bool, int, path, section, tableList, textList, type LocatedProblem, type SectionValues } from "./schema.js";

// RE2 is loaded when a custom rule is checked, not by every command that reads the configuration.
const require = createRequire(import.meta.url);
let re2Class: typeof RE2JS | undefined;
const re2 = (): typeof RE2JS => (re2Class ??= (require("re2js") as typeof import("re2js")).RE2JS);

/**
 * The scanner's five severities, most severe first. Critical and High block a skill (the scan
 * fails, exit 3); Medium and Warning warn; Info is logged.
 */
export const SKILL_SEVERITIES = ["critical", "high", "medium", "warning", "info"] as const;
export type SkillSeverity = (typeof SKILL_SEVERITIES)[number];

/** Reads a severity written in any case (`CRITICAL`, `High`, …); null when it is not one. */
export function parseSeverity(value: unknown): SkillSeverity | null {
  if (typeof value !== "string") return null;
  const v = value.toLowerCase();
  return (SKILL_SEVERITIES as readonly string[]).includes(v) ? (v as SkillSeverity) : null;
}

/** A custom rule as written in `[[skills.rules]]` (severity in lower case once accepted). */
export interface SkillRuleSetting extends Record<string, unknown> {
  id: string;
  pattern: string;
  severity: string;
  message: string;
}

const MIB = 1024 * 1024;
/** The caps' ceiling: a file or skill is held in memory while it is scanned. */
const MAX_CAP = 1024 * MIB;

/** Rule ids: what SARIF and suppressions name; the defaults and the scanner's own checks are taken. */
export const SKILL_RULE_ID_PATTERN = "^[a-z][a-z0-9-]{1,63}$";

function checkRules(rules: readonly SkillRuleSetting[]): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const taken = new Set<string>();
  rules.forEach((r, i) => {
    if (taken.has(r.id))
      problems.push({ at: [i, "id"], problem: `"${r.id}" is already the id of another custom rule` });
    taken.add(r.id);
    if (parseSeverity(r.severity) === null)
      problems.push({
        at: [i, "severity"],
        problem: `"${r.severity}" is not one of ${SKILL_SEVERITIES.join(", ")}`,
      });
    try {
      re2().compile(r.pattern);
    } catch (err) {
      problems.push({
        at: [i, "pattern"],
        problem: `is not a valid RE2 expression (rule "${r.id}"): ${(err as Error).message}`,
      });
    }
  });
  return problems;
}

export const skills = section("skills", "The skill scanner (symbi skills scan, symbic build).", {
  allowed_executables: textList({
    doc: "Programs a skill may run (AllowedExecutablesOnly): shebang interpreters, commands of shell scripts and of SKILL.md shell blocks; unset, the allowlist is not enforced.",
    pattern: "^[\\w.+-]+$",
  }),
  max_file_bytes: int({
    doc: "Bytes of one file scanned; a larger file is scanned up to this and reported High.",
    min: 1024,
    max: MAX_CAP,
    default: 4 * MIB,
  }),
  max_skill_bytes: int({
    doc: "Bytes of one skill scanned; files past this are reported High.",
    min: 1024,
    max: MAX_CAP,
    default: 32 * MIB,
  }),
  suppressions: bool({
    doc: "Honour inline suppressions (`skill-scan: allow RULE -- reason`); they are reported either way.",
    default: true,
  }),
  require_signatures: bool({
    doc: "symbi exec refuses a skill an agent uses unless its SchemaPin signature (.schemapin.sig) verifies with its domain's key (discovery, revocation, key pinning).",
    default: false,
  }),
  discovery_dir: path({
    doc: "A folder of SchemaPin discovery documents (<domain>.json, <domain>.revocations.json) in which symbi exec finds skill signers' keys; unset: https://<domain>/.well-known/schemapin.json.",
  }),
  rules: tableList<SkillRuleSetting>({
    doc: "Custom rules ([[skills.rules]]: id, pattern in RE2 syntax, severity, message), run beside the 40 defaults.",
    item: {
      type: "object",
      additionalProperties: false,
      required: ["id", "pattern", "severity", "message"],
      properties: {
        id: { type: "string", pattern: SKILL_RULE_ID_PATTERN },
        pattern: { type: "string", minLength: 1 },
        severity: { type: "string", minLength: 1 },
        message: { type: "string", minLength: 1 },
      },
    },
    check: checkRules,
    normalize: (rules) => rules.map((r) => ({ ...r, severity: parseSeverity(r.severity) ?? r.severity })),
  }),
});

export type SkillsSectionValues = SectionValues<typeof skills>;
