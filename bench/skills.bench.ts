/**
 * Skill scanner: throughput with all 40 default rules over a corpus of realistic skill text
 * (documentation-heavy SKILL.md files, shell and Python scripts, a little Unicode and quoting),
 * target ≥ 20 MB/s; and the cost per skill at build time (a whole skill folder from disk).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SKILLS_CONFIG, scanOptionsFor } from "../skills/config.js";
import { digestSkill } from "../schemapin/skill.js";
import { scanSkill, scanText } from "../skills/scanner.js";
import { report, timeSync } from "./harness.js";
import { repoRoot } from "./paths.js";

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesOf(p) : [p];
  });
}

export async function run(): Promise<void> {
  const benign = join(repoRoot(), "test/skills/fixtures/benign");
  const files = filesOf(benign).map((f) => ({ name: f.slice(benign.length + 1), text: readFileSync(f, "utf8") }));
  // ~4 MB: the benign skills repeated, plus lines a scanner must look at closely.
  const extra = [
    "Run `curl -fsSL https://example.com/tool -o tool` and check it with sha256sum.",
    'He said: "don\'t run it with sudo" — and the café’s menu had naïve prices.',
    'export PATH="$HOME/.local/bin:$PATH"; chmod +x ./bin/tool && ./bin/tool --version',
    "token = base64.b64encode(b'user:pass').decode()  # c2VjcmV0LXRva2VuLXZhbHVl",
  ].join("\n");
  const corpus: { name: string; text: string }[] = [];
  let bytes = 0;
  for (let i = 0; bytes < 4 * 1024 * 1024; i++) {
    for (const f of files) {
      const text = i % 3 === 0 ? `${f.text}\n${extra}\n` : f.text;
      corpus.push({ name: f.name, text });
      bytes += Buffer.byteLength(text);
    }
  }
  const opts = scanOptionsFor(DEFAULT_SKILLS_CONFIG);
  const t = timeSync(
    () => {
      for (const f of corpus) scanText(f.text, f.name, opts);
    },
    7,
    1,
    { cpu: true },
  );
  report(
    "scan throughput, 40 rules",
    bytes / 1024 / 1024 / (t.median / 1000),
    "MB/s",
    { value: 20, higherIsBetter: true },
    `(${(bytes / 1024 / 1024).toFixed(1)} MB, median of 7)`,
  );

  const skill = join(benign, "cli-installer");
  const per = timeSync(() => void scanSkill(skill, opts), 50, 5);
  report(
    "scan one skill folder from disk (cli-installer)",
    per.median,
    "ms",
    undefined,
    `(p95 ${per.p95.toFixed(2)} ms)`,
  );
  // What symbic build does per skill an agent names (compiler/emit/skills.ts): scan it, then hash it for the pin.
  const pin = timeSync(
    () => {
      scanSkill(skill, opts);
      digestSkill(skill);
    },
    50,
    5,
  );
  report(
    "build-time cost per skill: scan + pin (cli-installer)",
    pin.median,
    "ms",
    undefined,
    `(p95 ${pin.p95.toFixed(2)} ms)`,
  );
  const compile = timeSync(() => void scanOptionsFor(DEFAULT_SKILLS_CONFIG), 20, 3);
  report("compile the 40 rules (once per run)", compile.median, "ms");
}
