/**
 * `[skills]` is a section of the one configuration (config/skills.ts): custom rules (id, pattern,
 * severity, message) run beside the defaults; every mistake is an error at its line and column
 * (unknown key, bad type, a pattern RE2 cannot compile — including backreferences, which need
 * backtracking — a taken id); the operator's file wins per key; `config show` lists the keys.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, renderConfig, showConfig, type LoadOptions } from "../../config/index.js";
import { loadSkillsConfig, scanOptionsFor } from "../../skills/config.js";
import { scanText } from "../../skills/scanner.js";

const work = mkdtempSync(join(tmpdir(), "symbi-skills-config-"));
let n = 0;
/** A project folder whose symbi.toml is `toml`. */
function project(toml: string): string {
  const d = join(work, `p${++n}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "symbi.toml"), toml);
  return d;
}
const options = (toml: string, o: Partial<LoadOptions> = {}): LoadOptions => ({
  projectRoot: project(toml),
  env: {},
  operatorFiles: [],
  ...o,
});
const skillsOf = (toml: string, o: Partial<LoadOptions> = {}) => loadSkillsConfig(options(toml, o));

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
  const c = skillsOf(good);
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
  const c = skillsOf("[model]\nmax_tokens = 10\n");
  assert.is(c.allowedExecutables, null);
  assert.equal(c.customRules, []);
  assert.is(c.maxFileBytes, 4 * 1024 * 1024);
  assert.is(c.maxSkillBytes, 32 * 1024 * 1024);
  assert.is(c.suppressions, true);
});

function errorsOf(toml: string): string[] {
  try {
    skillsOf(toml);
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.is((err as ConfigError).exitCode, 3);
    return (err as ConfigError).lines.map((l) => l.replace(/^.*symbi\.toml:/, "symbi.toml:"));
  }
  return assert.unreachable("no error") as never;
}
const errorOf = (toml: string) => errorsOf(toml)[0]!;

test("mistakes are errors at their line and column", () => {
  assert.match(errorOf("[skills]\nallowed = ['x']\n"), /^symbi\.toml:2:1: unknown key skills\.allowed/);
  assert.match(
    errorOf("[skills]\nallowed_executables = ['/bin/sh']\n"),
    /^symbi\.toml:2:24: skills\.allowed_executables\[0\] must match/,
  );
  assert.match(
    errorOf("[skills]\nmax_file_bytes = 'big'\n"),
    /^symbi\.toml:2:1: skills\.max_file_bytes must be an integer/,
  );
  assert.match(errorOf("[skills]\nmax_file_bytes = 10\n"), /must be at least 1024/);
  const rule = (body: string) => `[skills]\n[[skills.rules]]\n${body}\n`;
  assert.match(
    errorOf(rule("id = 'x1'\npattern = '(a'\nseverity = 'high'\nmessage = 'm'")),
    /^symbi\.toml:4:1: skills\.rules\[0\]\.pattern is not a valid RE2 expression \(rule "x1"\)/,
  );
  assert.match(errorOf(rule("id = 'x1'\npattern = '(a)\\1'\nseverity = 'high'\nmessage = 'm'")), /not a valid RE2/);
  assert.match(
    errorOf(rule("id = 'pipe-to-shell'\npattern = 'a'\nseverity = 'high'\nmessage = 'm'")),
    /^symbi\.toml:2:1: skills\.rules\[0\]\.id "pipe-to-shell" is already taken by a default rule or a scanner check/,
  );
  assert.match(
    errorOf(rule("id = 'x1'\npattern = 'a'\nseverity = 'severe'\nmessage = 'm'")),
    /^symbi\.toml:5:1: skills\.rules\[0\]\.severity "severe" is not one of critical, high, medium, warning, info/,
  );
  assert.match(
    errorOf(rule("id = 'x1'\npattern = 'a'\nseverity = 'high'")),
    /^symbi\.toml:2:1: skills\.rules\[0\] must have the key message/,
  );
  assert.match(
    errorOf(rule("id = 'x1'\npattern = 'a'\nseverity = 'high'\nmessage = 'm'\nflags = 'i'")),
    /^symbi\.toml:7:1: skills\.rules\[0\] has an unknown key flags/,
  );
  assert.match(errorOf("[skills\n"), /^symbi\.toml:1:\d+: /);
});

test("every bad rule is reported, each at its own table", () => {
  const errs = errorsOf(
    "[[skills.rules]]\nid = 'a1'\npattern = '(x'\nseverity = 'high'\nmessage = 'm'\n" +
      "[[skills.rules]]\nid = 'a1'\npattern = 'y'\nseverity = 'loud'\nmessage = 'm'\n",
  );
  assert.match(
    errs[0]!,
    /^symbi\.toml:3:1: skills\.rules\[0\]\.pattern is not a valid RE2 expression \(rule "a1"\): .*missing closing \)/,
  );
  assert.equal(errs.slice(1), [
    'symbi.toml:7:1: skills.rules[1].id "a1" is already the id of another custom rule',
    'symbi.toml:9:1: skills.rules[1].severity "loud" is not one of critical, high, medium, warning, info',
  ]);
});

test("the operator's file wins per key; config show lists [skills] with each value's source", () => {
  const operatorDir = project("[skills]\nallowed_executables = ['python3']\n");
  const o = options("[skills]\nallowed_executables = ['python3', 'curl']\nmax_skill_bytes = 4096\n", {
    operatorFiles: [join(operatorDir, "symbi.toml")],
  });
  const c = loadSkillsConfig(o);
  assert.equal(c.allowedExecutables, ["python3"]);
  assert.is(c.maxSkillBytes, 4096);
  const shown = showConfig(loadConfig(o)).settings.filter((s) => s.key.startsWith("skills."));
  assert.equal(
    shown.map((s) => s.key),
    [
      "skills.allowed_executables",
      "skills.max_file_bytes",
      "skills.max_skill_bytes",
      "skills.suppressions",
      "skills.require_signatures",
      "skills.discovery_dir",
      "skills.rules",
    ],
  );
  assert.match(shown[0]!.source!, /^operator file .*symbi\.toml:2:1$/);
  assert.match(shown[2]!.source!, /^project file .*symbi\.toml:3:1$/);
  assert.is(shown[1]!.source, "default");
  assert.match(renderConfig(loadConfig(o)), /\n\[skills\]\nallowed_executables = \["python3"\] {2}# operator file /);
});

test("an untrusted custom pattern runs in linear time (no catastrophic backtracking)", () => {
  const c = skillsOf(
    `[skills]\n[[skills.rules]]\nid = "redos"\npattern = '(a+)+$'\nseverity = "info"\nmessage = "m"\n`,
  );
  const t0 = process.hrtime.bigint();
  scanText("a".repeat(5000) + "!", "x.md", scanOptionsFor(c));
  // A backtracking engine needs 2^5000 steps here; RE2 is linear. (A loose bound: correctness, not speed.)
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e9 < 10);
});

test.run();
