/**
 * A broken or looping symbolic link anywhere in a project is skipped with a warning by every
 * command that walks the project (compiler/project/files.ts is the one walk): `symbic check`,
 * `symbic build`, `symbi exec`. The language server's side is in test/lsp/workspace.test.ts.
 * Regression tests for issue 11 item 17 and issue 17 item 2 (before: exit 1 with an internal
 * ENOENT/ELOOP error, and the language server dropped the whole workspace).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { collectSourceFiles, setSkipReporter, walkFiles, type SkippedPath } from "../../compiler/project/files.js";
import { contractFiles } from "../../compiler/contracts/index.js";
import { runCli } from "../helpers/cli.js";
import { REPO } from "../helpers/corpus.js";

/** The quick start project with every kind of bad link planted in it. */
function projectWithBadLinks(): string {
  const dir = mkdtempSync(join(tmpdir(), "symbi-links-"));
  cpSync(join(REPO, "examples/quickstart"), dir, { recursive: true });
  mkdirSync(join(dir, "lib/deep"), { recursive: true });
  symlinkSync(join(dir, "nowhere.symbi"), join(dir, "dangling.symbi")); // dangling file link
  symlinkSync(join(dir, "gone"), join(dir, "lib/gone")); // dangling link that may have been a folder
  symlinkSync("loop-b.symbi", join(dir, "loop-a.symbi")); // a loop of two links
  symlinkSync("loop-a.symbi", join(dir, "loop-b.symbi"));
  symlinkSync(dir, join(dir, "lib/deep/up")); // a directory cycle
  symlinkSync(join(dir, "missing.clad.toml"), join(dir, "tools/missing.clad.toml")); // in tools/
  return dir;
}

function collected(fn: () => void): SkippedPath[] {
  const seen: SkippedPath[] = [];
  const previous = setSkipReporter((s) => seen.push(s));
  try {
    fn();
  } finally {
    setSkipReporter(previous);
  }
  return seen;
}

test("issue 11 item 17 / issue 17 item 2: the project walk skips dangling links, link loops and directory cycles, reporting each", () => {
  const dir = projectWithBadLinks();
  try {
    let files: string[] = [];
    let tools: string[] = [];
    const skipped = collected(() => {
      files = collectSourceFiles([dir]);
      tools = contractFiles(dir);
    });
    assert.equal(
      files.map((f) => f.slice(dir.length + 1)),
      ["agent.symbi"],
    );
    assert.equal(
      tools.map((f) => f.slice(dir.length + 1)),
      ["tools/factor.clad.toml", "tools/greet.clad.toml"],
    );
    const reasons = new Map(skipped.map((s) => [s.path.slice(s.path.indexOf(dir) + dir.length + 1), s.reason]));
    assert.match(reasons.get("dangling.symbi") ?? "", "broken symbolic link");
    assert.match(reasons.get("lib/gone") ?? "", "broken symbolic link");
    assert.match(reasons.get("loop-a.symbi") ?? "", "symbolic link loop");
    assert.match(reasons.get("lib/deep/up") ?? "", "cycle");
    assert.match(reasons.get("tools/missing.clad.toml") ?? "", "broken symbolic link");
    // Files with other extensions are not ours to report.
    symlinkSync(join(dir, "nothing"), join(dir, "notes.txt"));
    assert.equal(
      collected(() => walkFiles(dir, (n) => n.endsWith(".symbi"))).filter((s) => s.path.endsWith("notes.txt")),
      [],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("issue 11 item 17: symbic check skips a broken or looping symlink with a warning (was: exit 1, internal ENOENT/ELOOP)", () => {
  const dir = projectWithBadLinks();
  try {
    const r = runCli("symbic", ["check", "."], { cwd: dir });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /symbic: warning: dangling\.symbi: broken symbolic link .*; skipped/);
    assert.match(r.stderr, /symbic: warning: loop-a\.symbi: symbolic link loop; skipped/);
    assert.match(r.stderr, /symbic: warning: lib\/deep\/up: .*cycle.*; skipped/);
    assert.not.match(r.stderr, /internal|ENOENT|ELOOP/);
    // Each skipped entry is reported once, although the project is walked more than once.
    assert.is(r.stderr.split("dangling.symbi").length - 1, 1, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("issue 11 item 17: symbic build skips a broken or looping symlink with a warning", () => {
  const dir = projectWithBadLinks();
  try {
    const r = runCli("symbic", ["build", ".", "--out", join(dir, "out")], { cwd: dir });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /symbic: warning: dangling\.symbi: broken symbolic link/);
    assert.match(r.stderr, /symbic: warning: loop-a\.symbi: symbolic link loop/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("issue 11 item 17: symbi exec skips a broken or looping symlink with a warning and runs the agent", () => {
  const dir = projectWithBadLinks();
  try {
    const r = runCli("symbi", ["exec", "agent.symbi", "--input", '{"name": "Ada", "number": 12}'], { cwd: dir });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, "Hello, Ada!");
    assert.match(r.stderr, /symbi: warning: dangling\.symbi: broken symbolic link/);
    assert.match(r.stderr, /symbi: warning: loop-a\.symbi: symbolic link loop/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
