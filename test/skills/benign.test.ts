/**
 * False positives on ordinary skills (test/skills/fixtures/benign: documentation-heavy skills,
 * legitimate curl downloads to a file, chmod +x of their own script, .env.example mentions,
 * API clients, maintenance scripts). Target: no Critical or High finding. The rate per severity
 * (findings per 1,000 lines) is printed, with the shared rule list's patterns for comparison.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RE2JS } from "re2js";
import { DEFAULT_SKILLS_CONFIG, scanOptionsFor } from "../../skills/config.js";
import { scanSkill } from "../../skills/scanner.js";
import { SKILL_SEVERITIES } from "../../config/index.js";
import { SHARED } from "../helpers/corpus.js";

const corpus = fileURLToPath(new URL("./fixtures/benign/", import.meta.url));
const skills = readdirSync(corpus).sort();

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesOf(p) : [p];
  });
}

const lineCount = skills
  .flatMap((s) => filesOf(join(corpus, s)))
  .reduce((n, f) => n + readFileSync(f, "utf8").split("\n").length, 0);

test("the benign corpus has ordinary skills of each kind the issue names", () => {
  assert.ok(skills.length >= 6, skills.join(", "));
  const all = skills
    .flatMap((s) => filesOf(join(corpus, s)))
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
  assert.match(all, /curl -fsSL \S+ -o /);
  assert.match(all, /chmod \+x \.\/bin/);
  assert.match(all, /\.env\.example/);
});

test("benign corpus: no Critical or High finding; rate per severity reported", () => {
  const opts = scanOptionsFor(DEFAULT_SKILLS_CONFIG);
  const findings = skills.flatMap((s) => scanSkill(join(corpus, s), opts).findings);
  const counts = Object.fromEntries(
    SKILL_SEVERITIES.map((sev) => [sev, findings.filter((f) => f.severity === sev).length]),
  );
  const rate = (n: number) => ((n * 1000) / lineCount).toFixed(1);
  console.log(
    `  benign corpus (${skills.length} skills, ${lineCount} lines), findings per 1,000 lines: ` +
      SKILL_SEVERITIES.map((sev) => `${sev} ${counts[sev]} (${rate(counts[sev]!)})`).join(", "),
  );
  const blocking = findings.filter((f) => f.severity === "critical" || f.severity === "high");
  assert.equal(
    blocking.map((f) => `${f.file}:${f.line} ${f.ruleId} ${f.match}`),
    [],
  );
});

const sharedFile = join(SHARED, "data", "skill-scanner-rules.json");
(existsSync(sharedFile) ? test : test.skip)(
  "for comparison: the shared list's patterns flag these ordinary skills as High (counts printed)",
  () => {
    const rules = JSON.parse(readFileSync(sharedFile, "utf8")) as { name: string; severity: string; regex: string }[];
    const compiled = rules.map((r) => ({ ...r, re: RE2JS.compile(r.regex) }));
    const counts: Record<string, number> = {};
    for (const f of skills.flatMap((s) => filesOf(join(corpus, s)))) {
      for (const line of readFileSync(f, "utf8").split("\n")) {
        for (const r of compiled) if (r.re.matcher(line).find()) counts[r.severity] = (counts[r.severity] ?? 0) + 1;
      }
    }
    console.log(`  shared list's patterns on the benign corpus: ${JSON.stringify(counts)}`);
    // The reason our patterns are anchored: the list's own patterns block these ordinary skills.
    assert.ok((counts["HIGH"] ?? 0) + (counts["CRITICAL"] ?? 0) > 0);
  },
);

test.run();
