/**
 * `symbic fmt`: printing, --write (only changed files, atomically, BOM and CRLF kept), --check
 * (exit 3 and the list of files), --diff (unified diff, exit 3), files with syntax errors or
 * invalid UTF-8 (reported, untouched, exit 3), machine-readable output, usage errors (exit 1).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { fmt } from "./helpers.js";

const UNFORMATTED = 'metadata{ version:"1.0",author:"Symbi"  }\n';
const FORMATTED = 'metadata {\n    version: "1.0",\n    author: "Symbi",\n}\n';
const BROKEN = "agent a {\n    with { let = 1; }\n}\n";

function project(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "symbic-fmt-"));
  for (const [name, content] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

function withProject(
  files: Record<string, string | Uint8Array>,
  body: (dir: string) => void | Promise<void>,
): () => Promise<void> {
  return async () => {
    const dir = project(files);
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "prints the formatted text of a file to stdout",
  withProject({ "a.symbi": UNFORMATTED }, (dir) => {
    const r = runCli("symbic", ["fmt", "a.symbi"], { cwd: dir });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, FORMATTED);
    assert.is(readFileSync(join(dir, "a.symbi"), "utf8"), UNFORMATTED, "nothing written");
  }),
);

test(
  "--check: exit 3 and the files that would change, on stdout; nothing written",
  withProject({ "a.symbi": UNFORMATTED, "b.symbi": FORMATTED, "sub/c.dsl": UNFORMATTED, "notes.txt": "x" }, (dir) => {
    const r = runCli("symbic", ["fmt", "--check", "."], { cwd: dir });
    assert.is(r.status, 3, r.stderr);
    assert.is(r.stdout, "a.symbi\nsub/c.dsl\n");
    assert.match(r.stderr, /2 of 3 files not formatted/);
    assert.is(readFileSync(join(dir, "a.symbi"), "utf8"), UNFORMATTED);
    const ok = runCli("symbic", ["fmt", "--check", "b.symbi"], { cwd: dir });
    assert.is(ok.status, 0, ok.stderr);
    assert.is(ok.stdout, "");
  }),
);

test(
  "--write: rewrites the files that change, keeps BOM and CRLF, leaves formatted files alone",
  withProject(
    {
      "a.symbi": UNFORMATTED,
      "b.symbi": FORMATTED,
      "bom.symbi": "\uFEFF" + UNFORMATTED,
      "crlf.symbi": UNFORMATTED.replace(/\n/g, "\r\n"),
    },
    async (dir) => {
      const r = runCli("symbic", ["fmt", "--write", "."], { cwd: dir });
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stderr, /3 of 4 files reformatted/);
      assert.is(readFileSync(join(dir, "a.symbi"), "utf8"), FORMATTED);
      assert.is(readFileSync(join(dir, "b.symbi"), "utf8"), FORMATTED);
      assert.is(readFileSync(join(dir, "bom.symbi"), "utf8"), "\uFEFF" + FORMATTED);
      assert.is(readFileSync(join(dir, "crlf.symbi"), "utf8"), FORMATTED.replace(/\n/g, "\r\n"));
      assert.equal(
        readdirSync(dir).sort(),
        ["a.symbi", "b.symbi", "bom.symbi", "crlf.symbi"],
        "no temporary files left",
      );
      assert.is(runCli("symbic", ["fmt", "--check", "."], { cwd: dir }).status, 0);
      assert.is(FORMATTED, await fmt(UNFORMATTED), "the CLI and the library agree");
    },
  ),
);

test(
  "--diff: a unified diff of each file that would change, exit 3",
  withProject({ "a.symbi": UNFORMATTED, "b.symbi": FORMATTED }, (dir) => {
    const r = runCli("symbic", ["fmt", "--diff", "."], { cwd: dir });
    assert.is(r.status, 3, r.stderr);
    assert.match(
      r.stdout,
      /^--- a\/a\.symbi\n\+\+\+ b\/a\.symbi\n@@ -1,1 \+1,4 @@\n-metadata\{ version:"1\.0",author:"Symbi" {2}\}\n\+metadata \{\n/m,
    );
    assert.not.match(r.stdout, /b\.symbi/);
    assert.is(runCli("symbic", ["fmt", "--diff", "b.symbi"], { cwd: dir }).status, 0);
  }),
);

test(
  "a file with syntax errors is reported with the parser's diagnostics and left untouched; the others are written",
  withProject({ "bad.symbi": BROKEN, "good.symbi": UNFORMATTED }, (dir) => {
    const r = runCli("symbic", ["fmt", "--write", "."], { cwd: dir });
    assert.is(r.status, 3);
    assert.match(r.stderr, /bad\.symbi:2:16: error\[E0010\]/);
    assert.match(r.stderr, /1 file could not be formatted/);
    assert.is(readFileSync(join(dir, "bad.symbi"), "utf8"), BROKEN);
    assert.is(readFileSync(join(dir, "good.symbi"), "utf8"), FORMATTED);
  }),
);

test(
  "invalid UTF-8 is reported (E0002) and the file left untouched",
  withProject(
    { "bin.symbi": new Uint8Array([...Buffer.from('metadata { a = "'), 0xc3, 0x28, ...Buffer.from('" }\n')]) },
    (dir) => {
      const before = readFileSync(join(dir, "bin.symbi"));
      const r = runCli("symbic", ["fmt", "--write", "bin.symbi"], { cwd: dir });
      assert.is(r.status, 3);
      assert.match(r.stderr, /E0002/);
      assert.equal(readFileSync(join(dir, "bin.symbi")), before);
    },
  ),
);

test(
  "--check --format github: one annotation per unformatted file, at its first changed line",
  withProject({ "a.symbi": "metadata {\n    a = 1,\n    b=2\n}\n", "bad.symbi": BROKEN }, (dir) => {
    const r = runCli("symbic", ["fmt", "--check", "--format", "github", "."], { cwd: dir });
    assert.is(r.status, 3);
    assert.match(r.stdout, /::error file=a\.symbi,line=3,col=1,[^\n]*title=E0700::file is not formatted/);
    assert.match(r.stdout, /::error file=bad\.symbi,line=2,col=16,[^\n]*title=E0010::/);
  }),
);

test(
  "--check --format json lists E0700 diagnostics",
  withProject({ "a.symbi": UNFORMATTED }, (dir) => {
    const r = runCli("symbic", ["fmt", "--check", "--format", "json", "a.symbi"], { cwd: dir });
    assert.is(r.status, 3);
    const parsed = JSON.parse(r.stdout) as unknown;
    assert.match(JSON.stringify(parsed), /"code":"E0700"/);
  }),
);

test(
  "usage errors exit 1 with one line: combined modes, missing files",
  withProject({ "a.symbi": FORMATTED }, (dir) => {
    const both = runCli("symbic", ["fmt", "--write", "--check", "a.symbi"], { cwd: dir });
    assert.is(both.status, 1);
    assert.match(both.stderr, /--write and --check cannot be combined/);
    const missing = runCli("symbic", ["fmt", "nope.symbi"], { cwd: dir });
    assert.is(missing.status, 1);
    assert.match(missing.stderr, /nope\.symbi: no such file or directory/);
    assert.not.match(missing.stderr, /at .*\.ts:\d+/, "no stack trace");
  }),
);

test("fmt --help documents the modes", () => {
  const r = runCli("symbic", ["fmt", "--help"]);
  assert.is(r.status, 0);
  for (const opt of ["--write", "--check", "--diff", "--format"]) assert.match(r.stdout, opt);
});

test.run();
