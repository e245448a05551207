/**
 * The scanner's settings from the `[skills]` section of the configuration (config/skills.ts
 * declares and validates the keys; `symbi config show` lists them): custom rules, the executable
 * allowlist, the scan caps and whether inline suppressions are honoured — turned into the
 * scanner's options.
 */
import {
  Config,
  ConfigError,
  loadConfig,
  parseSeverity,
  skills,
  type LoadOptions,
  type SkillRuleSetting,
} from "../config/index.js";
import { DEFAULT_RULES, type ScanRule } from "./rules.js";
import { SCANNER_CHECK_IDS } from "./scanner-checks.js";
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_SKILL_BYTES, compileRules, type ScanOptions } from "./scanner.js";

export interface SkillsConfig {
  customRules: ScanRule[];
  allowedExecutables: string[] | null;
  maxFileBytes: number;
  maxSkillBytes: number;
  suppressions: boolean;
}

export const DEFAULT_SKILLS_CONFIG: SkillsConfig = {
  customRules: [],
  allowedExecutables: null,
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  maxSkillBytes: DEFAULT_MAX_SKILL_BYTES,
  suppressions: true,
};

/** A custom rule of `[[skills.rules]]` (already validated by the configuration loader) as a scanner rule. */
function customRule(r: SkillRuleSetting): ScanRule {
  return {
    id: r.id,
    category: "custom",
    severity: parseSeverity(r.severity) ?? "high",
    pattern: r.pattern,
    message: r.message,
    // Custom rules have no prefilter or anchors: the line planner makes them candidates on every line.
    prefilter: null,
    anchors: [],
  };
}

/** Ids a custom rule may not take: the default rules' and the scanner's own checks'. */
const BUILT_IN_IDS: ReadonlySet<string> = new Set([...DEFAULT_RULES.map((r) => r.id), ...SCANNER_CHECK_IDS]);

/**
 * The scanner's settings in a loaded configuration. Throws ConfigError for a custom rule that
 * takes the id of a built-in one (config/ validated everything else, each at its place).
 */
export function skillsConfigOf(config: Config): SkillsConfig {
  const v = config.values(skills);
  const setting = config.get("skills", "rules");
  const clashes = (v.rules ?? []).flatMap((r, i) =>
    BUILT_IN_IDS.has(r.id)
      ? [
          {
            where: setting ? Config.describe(setting.source).replace(/^\S+ file /, "") : "skills.rules",
            message: `skills.rules[${i}].id "${r.id}" is already taken by a default rule or a scanner check`,
          },
        ]
      : [],
  );
  if (clashes.length > 0) throw new ConfigError(clashes);
  return {
    customRules: (v.rules ?? []).map(customRule),
    allowedExecutables: v.allowed_executables ?? null,
    maxFileBytes: v.max_file_bytes ?? DEFAULT_MAX_FILE_BYTES,
    maxSkillBytes: v.max_skill_bytes ?? DEFAULT_MAX_SKILL_BYTES,
    suppressions: v.suppressions ?? true,
  };
}

/** Loads the configuration (config/load.ts: project file, operator files, environment) and returns its `[skills]`. Throws ConfigError. */
export function loadSkillsConfig(options: LoadOptions): SkillsConfig {
  return skillsConfigOf(loadConfig(options));
}

/** Scanner options for a configuration: the default rules, then the custom ones. */
export function scanOptionsFor(config: SkillsConfig): ScanOptions {
  return {
    rules: compileRules([...DEFAULT_RULES, ...config.customRules]),
    allowedExecutables: config.allowedExecutables,
    maxFileBytes: config.maxFileBytes,
    maxSkillBytes: config.maxSkillBytes,
    suppressions: config.suppressions,
  };
}
