/** `symbic check` from the command line: exit codes, the pretty rendering, machine formats, determinism. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { referenceProject, REPO } from "../helpers/corpus.js";

const dir = mkdtempSync(join(tmpdir(), "symbic-check-"));
mkdirSync(join(dir, "agents"));
mkdirSync(join(dir, "tools"));
writeFileSync(join(dir, "types.symbi"), "type Report = { total: int, label: String }\n");
writeFileSync(
  join(dir, "agents", "a.symbi"),
  `agent a(count: int) -> Report {
    with sandbox = "Tier1", timeout = 30s {
        let label = "n=" + cuont;
        return Report { total: "many", label: label };
    }
}
`,
);

test("errors: exit 3, each located with excerpt, caret, notes and did-you-mean help; types from another file resolve", () => {
  const r = runCli("symbic", ["check", "agents"], { cwd: dir });
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, "agents/a.symbi:3:28: error[E0100]: unknown name `cuont`");
  assert.match(r.stderr, '3 |         let label = "n=" + cuont;\n  |                            ^^^^^');
  assert.match(r.stderr, "help: did you mean `count`?");
  assert.match(r.stderr, "agents/a.symbi:4:32: error[E0200]: mismatched types in field `total`");
  assert.match(r.stderr, "note: expected: int\n  = note: found: String");
  assert.match(r.stderr, "1 file checked: 2 errors, 0 warnings");
});

test("json output is deterministic; a sound project exits 0", () => {
  const a = runCli("symbic", ["check", "--format", "json", "."], { cwd: dir });
  const b = runCli("symbic", ["check", "--format", "json", "."], { cwd: dir });
  assert.is(a.status, 3);
  assert.is(a.stdout, b.stdout);
  const out = JSON.parse(a.stdout) as { diagnostics: Array<{ code: string; file: string }> };
  assert.equal(
    out.diagnostics.map((d) => d.code),
    ["E0100", "E0200"],
  );
  writeFileSync(
    join(dir, "agents", "b.symbi"),
    'agent b() -> Report {\n    with sandbox = "Tier2" {\n        return Report { total: 1, label: "one" };\n    }\n}\n',
  );
  const ok = runCli("symbic", ["check", "agents/b.symbi"], { cwd: dir });
  assert.is(ok.status, 0, ok.stderr);
  // A sound project: only what the project is (root and members), no diagnostics.
  assert.is(ok.stderr, "project .: 3 source files from every folder under the root\n");
});

const reference = referenceProject();
(reference ? test : test.skip)(
  "the reference agents: exit 3 with exactly the expected diagnostics (github format)",
  () => {
    const r = runCli("symbic", ["check", "--format", "github", reference!]);
    assert.is(r.status, 3);
    const expected = JSON.parse(
      readFileSync(join(REPO, "test/fixtures/reference-project/expected-diagnostics.json"), "utf8"),
    ) as Array<{
      code: string;
    }>;
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("::"));
    assert.is(lines.length, expected.length);
  },
);

test.run();
