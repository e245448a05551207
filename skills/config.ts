/**
 * The `[skills]` section of the project's `symbi.toml`: custom rules, the executable
 * allowlist, the scan caps and whether inline suppressions are honoured. Read through this one
 * module so it can move into the project's configuration module (top-level `config/`) when that
 * lands; the section's meaning stays here.
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
 * Every key is checked: an unknown key, a wrong type, a pattern RE2 cannot compile or a rule id
 * that collides with another is an error at its line and column — never silently ignored.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RE2JS } from "re2js";
import { parse as parseToml, TomlError } from "smol-toml";
import { parseTOML, type AST } from "toml-eslint-parser";
import { LineMap } from "../grammar/span.js";
import { ExitCode } from "../formats/exit-codes.js";
import { fsErrorText } from "../schemapin/errors.js";
import { DEFAULT_RULES, type ScanRule } from "./rules.js";
import { SCANNER_CHECK_IDS } from "./scanner-checks.js";
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_SKILL_BYTES, compileRules, type ScanOptions } from "./scanner.js";
import { SKILL_SEVERITIES, parseSeverity } from "./severity.js";

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

/** A bad `symbi.toml`: the message starts with `file:line:col:`. Exit 3 (a validation failure). */
export class SkillsConfigError extends Error {
  override readonly name = "SkillsConfigError";
  readonly exitCode = ExitCode.CheckFailed;
}

const SECTION_KEYS = new Set(["allowed_executables", "max_file_bytes", "max_skill_bytes", "suppressions", "rules"]);
const RULE_KEYS = new Set(["id", "pattern", "severity", "message"]);
const RULE_ID = /^[a-z][a-z0-9-]{1,63}$/;

/** Reads `[skills]` from `<projectRoot>/symbi.toml`; the defaults when there is no file or no section. */
export function readSkillsConfig(projectRoot: string): SkillsConfig {
  const file = join(projectRoot, "symbi.toml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { ...DEFAULT_SKILLS_CONFIG };
    throw new SkillsConfigError(`${file}: cannot read: ${fsErrorText(err)}`);
  }
  return parseSkillsConfig(text, file);
}

type TomlPath = readonly (string | number)[];

/**
 * Where a `[skills]` key or value is written, for located errors: smol-toml (the values) keeps no
 * positions, toml-eslint-parser's AST has them. Paths: `["skills", key]` and
 * `["skills", "rules", i, key]`; anything else falls back to the section's header.
 */
function skillsLocator(text: string): (path: TomlPath, key: boolean) => { line: number; col: number } {
  const lines = new LineMap(text);
  const found = new Map<string, { key: number; value: number }>();
  try {
    const ast = parseTOML(text);
    for (const node of ast.body[0].body) {
      if (node.type !== "TOMLTable") continue;
      // `[[skills.rules]]` resolves to ["skills", "rules", i]: the index is part of the key.
      const path = node.resolvedKey;
      const prefix: TomlPath | null =
        path.length === 1 && path[0] === "skills"
          ? path
          : node.kind === "array" && path.length === 3 && path[0] === "skills" && path[1] === "rules"
            ? path
            : null;
      if (!prefix) continue;
      found.set(prefix.join("\u0000"), { key: node.range[0], value: node.range[0] });
      for (const kv of node.body) {
        const k = kv.key.keys.map((x: AST.TOMLBare | AST.TOMLQuoted) => (x.type === "TOMLBare" ? x.name : x.value));
        found.set([...prefix, ...k].join("\u0000"), { key: kv.key.range[0], value: kv.value.range[0] });
      }
    }
  } catch {
    /* positions degrade to the start of the file */
  }
  return (path, key) => {
    for (let n = path.length; n > 0; n--) {
      const e = found.get(path.slice(0, n).join("\u0000"));
      if (e) {
        const span = lines.span(key || n < path.length ? e.key : e.value, key || n < path.length ? e.key : e.value);
        return { line: span.line, col: span.col };
      }
    }
    return { line: 1, col: 1 };
  };
}

export function parseSkillsConfig(text: string, file: string): SkillsConfig {
  let value: Record<string, unknown>;
  try {
    value = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message
        .replace(/^Invalid TOML document:\s*/, "")
        .split("\n")[0]!
        .trim();
      throw new SkillsConfigError(`${file}:${err.line}:${err.column}: invalid TOML: ${reason}`);
    }
    throw new SkillsConfigError(`${file}: invalid TOML: ${(err as Error).message}`);
  }
  const section = value["skills"];
  if (section === undefined) return { ...DEFAULT_SKILLS_CONFIG };
  const locate = skillsLocator(text);
  const fail = (path: TomlPath, message: string, key = false): never => {
    const at = locate(path, key);
    throw new SkillsConfigError(`${file}:${at.line}:${at.col}: ${message}`);
  };
  if (!isTable(section)) return fail(["skills"], "[skills] must be a table");
  for (const k of Object.keys(section)) {
    if (!SECTION_KEYS.has(k))
      fail(["skills", k], `unknown key skills.${k} (expected one of: ${[...SECTION_KEYS].join(", ")})`, true);
  }
  const config: SkillsConfig = { ...DEFAULT_SKILLS_CONFIG, customRules: [] };
  const ae = section["allowed_executables"];
  if (ae !== undefined) {
    if (!Array.isArray(ae) || !ae.every((x) => typeof x === "string" && /^[\w.+-]+$/.test(x))) {
      fail(["skills", "allowed_executables"], "skills.allowed_executables must be a list of program names (no paths)");
    }
    config.allowedExecutables = ae as string[];
  }
  for (const key of ["max_file_bytes", "max_skill_bytes"] as const) {
    const v = section[key];
    if (v === undefined) continue;
    if (typeof v !== "bigint" && typeof v !== "number") fail(["skills", key], `skills.${key} must be an integer`);
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1024)
      fail(["skills", key], `skills.${key} must be an integer of at least 1024`);
    if (key === "max_file_bytes") config.maxFileBytes = n;
    else config.maxSkillBytes = n;
  }
  const sup = section["suppressions"];
  if (sup !== undefined) {
    if (typeof sup !== "boolean") fail(["skills", "suppressions"], "skills.suppressions must be true or false");
    config.suppressions = sup as boolean;
  }
  const rules = section["rules"];
  if (rules !== undefined) {
    if (!Array.isArray(rules))
      return fail(["skills", "rules"], "skills.rules must be an array of tables ([[skills.rules]])");
    const taken = new Set([...DEFAULT_RULES.map((r) => r.id), ...SCANNER_CHECK_IDS]);
    rules.forEach((r, i) => {
      const at = (k?: string): TomlPath => (k ? ["skills", "rules", i, k] : ["skills", "rules", i]);
      if (!isTable(r)) return fail(at(), `skills.rules[${i}] must be a table`);
      for (const k of Object.keys(r))
        if (!RULE_KEYS.has(k))
          fail(at(k), `unknown key ${k} in a skills rule (expected id, pattern, severity, message)`, true);
      for (const k of RULE_KEYS)
        if (typeof r[k] !== "string" || r[k] === "")
          fail(r[k] === undefined ? at() : at(k), `skills.rules[${i}].${k} must be a non-empty string`);
      const id = r["id"] as string;
      if (!RULE_ID.test(id)) fail(at("id"), `rule id "${id}" must be lower-case letters, digits and dashes`);
      if (taken.has(id))
        fail(at("id"), `rule id "${id}" is already taken (by a default rule, a scanner check or another custom rule)`);
      taken.add(id);
      const severity = parseSeverity(r["severity"]);
      if (!severity)
        fail(at("severity"), `severity "${String(r["severity"])}" is not one of ${SKILL_SEVERITIES.join(", ")}`);
      try {
        RE2JS.compile(r["pattern"] as string);
      } catch (err) {
        fail(at("pattern"), `pattern of rule "${id}" is not a valid RE2 expression: ${(err as Error).message}`);
      }
      config.customRules.push({
        id,
        category: "custom",
        severity: severity!,
        pattern: r["pattern"] as string,
        message: r["message"] as string,
        prefilter: null,
        anchors: [],
      });
    });
  }
  return config;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
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
