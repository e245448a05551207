/**
 * `[skills]` in symbi.toml: custom rules (id, pattern, severity, message) run beside the
 * defaults; every mistake is an error at its line and column (unknown key, bad type, a pattern
 * RE2 cannot compile — including backreferences, which need backtracking — a taken id).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseSkillsConfig, scanOptionsFor, SkillsConfigError } from "../../skills/config.js";
import { scanText } from "../../skills/scanner.js";

const good = `
[skills]
allowed_executables = ["python3", "jq"]
max_file_bytes = 2048
suppressions = false

[[skills.rules]]
id = "internal-hosts"
pattern = '(?i)\\bcorp\\.internal\\b'
severity = "HIGH"
message = "Skill names an internal host"
`;

test("custom rules are read and run beside the 40 defaults, with their severity and message", () => {
  const c = parseSkillsConfig(good, "symbi.toml");
  assert.equal(c.allowedExecutables, ["python3", "jq"]);
  assert.is(c.maxFileBytes, 2048);
  assert.is(c.suppressions, false);
  const opts = scanOptionsFor(c);
  assert.is(opts.rules.length, 41);
  const f = scanText("fetch data from https://api.CORP.internal/v1", "SKILL.md", opts).find(
    (x) => x.ruleId === "internal-hosts",
  )!;
  assert.is(f.severity, "high");
  assert.is(f.message, "Skill names an internal host");
  assert.is(f.match, "CORP.internal");
});

test("no [skills] section: the defaults", () => {
  const c = parseSkillsConfig("[project]\nname = 'x'\n", "symbi.toml");
  assert.is(c.allowedExecutables, null);
  assert.equal(c.customRules, []);
});

function errorOf(text: string): string {
  try {
    parseSkillsConfig(text, "symbi.toml");
  } catch (err) {
    assert.instance(err, SkillsConfigError);
    assert.is((err as SkillsConfigError).exitCode, 3);
    return (err as Error).message;
  }
  return assert.unreachable("no error") as never;
}

test("mistakes are errors at their line and column", () => {
  assert.match(errorOf("[skills]\nallowed = ['x']\n"), /^symbi\.toml:2:1: unknown key skills\.allowed/);
  assert.match(errorOf("[skills]\nallowed_executables = ['/bin/sh']\n"), /^symbi\.toml:2:23: .*program names/);
  assert.match(errorOf("[skills]\nmax_file_bytes = 'big'\n"), /^symbi\.toml:2:18: /);
  const rule = (body: string) => `[skills]\n[[skills.rules]]\n${body}\n`;
  assert.match(
    errorOf(rule("id = 'x1'\npattern = '(a'\nseverity = 'high'\nmessage = 'm'")),
    /^symbi\.toml:4:11: pattern of rule "x1" is not a valid RE2/,
  );
  assert.match(errorOf(rule("id = 'x1'\npattern = '(a)\\1'\nseverity = 'high'\nmessage = 'm'")), /not a valid RE2/);
  assert.match(
    errorOf(rule("id = 'pipe-to-shell'\npattern = 'a'\nseverity = 'high'\nmessage = 'm'")),
    /^symbi\.toml:3:6: rule id "pipe-to-shell" is already taken/,
  );
  assert.match(
    errorOf(rule("id = 'x1'\npattern = 'a'\nseverity = 'severe'\nmessage = 'm'")),
    /^symbi\.toml:5:12: severity "severe" is not one of critical, high, medium, warning, info/,
  );
  assert.match(
    errorOf(rule("id = 'x1'\npattern = 'a'\nseverity = 'high'")),
    /skills\.rules\[0\]\.message must be a non-empty string/,
  );
  assert.match(
    errorOf(rule("id = 'x1'\npattern = 'a'\nseverity = 'high'\nmessage = 'm'\nflags = 'i'")),
    /^symbi\.toml:7:1: unknown key flags/,
  );
  assert.match(errorOf("[skills\n"), /^symbi\.toml:1:\d+: invalid TOML/);
});

test("an untrusted custom pattern runs in linear time (no catastrophic backtracking)", () => {
  const c = parseSkillsConfig(
    `[skills]\n[[skills.rules]]\nid = "redos"\npattern = '(a+)+$'\nseverity = "info"\nmessage = "m"\n`,
    "symbi.toml",
  );
  const t0 = process.hrtime.bigint();
  scanText("a".repeat(5000) + "!", "x.md", scanOptionsFor(c));
  // A backtracking engine needs 2^5000 steps here; RE2 is linear. (A loose bound: correctness, not speed.)
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e9 < 10);
});

test.run();
