/**
 * Issue 11, item 17: no file the user names makes a CLI hang or spin — devices that never end,
 * `/proc` paths, and `/dev/null` as a source. Every file input goes through one bounded read
 * (formats/bounded-read.ts). Each hang of the old code shows here as a timeout.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BoundedReadError, readBounded } from "../../formats/bounded-read.js";
import { makeFolders } from "../../compiler/project/make-folders.js";
import { runCli } from "../helpers/cli.js";

const QUICKSTART = "examples/quickstart/agent.symbi";
const work = mkdtempSync(join(tmpdir(), "symbi-bounded-"));
/** Well above what a bounded run needs, well below "hangs". */
const TIMEOUT = 30_000;

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof BoundedReadError ? e.code : `unexpected ${String(e)}`;
  }
}

test("item 17: the bounded read: exactly the limit passes, one byte more or an endless device does not", () => {
  const f = join(work, "ten.txt");
  writeFileSync(f, "0123456789");
  assert.is(readBounded(f, 10).toString(), "0123456789");
  assert.is(
    code(() => readBounded(f, 9)),
    "TOO_LARGE",
  );
  assert.is(
    code(() => readBounded("/dev/zero", 1024 * 1024)),
    "TOO_LARGE",
  );
  assert.is(
    code(() => readBounded("/dev/urandom", 4096)),
    "TOO_LARGE",
  );
  assert.is(readBounded("/dev/null", 10).length, 0);
  assert.is(
    code(() => readBounded(work, 10)),
    "EISDIR",
  );
  assert.is(
    code(() => readBounded(join(work, "missing"), 10)),
    "ENOENT",
  );
});

for (const [option, device] of [
  ["--input", "/dev/zero"],
  ["--input", "/dev/urandom"],
  ["--context", "/dev/zero"],
  ["--facts", "/dev/urandom"],
] as const) {
  // Spawned, not in-process: the old runtime's read of the device never returned to a timer.
  test(`item 17: symbi exec ${option} @${device} ends with a one-line error (exit 1)`, () => {
    const r = runCli("symbi", ["exec", QUICKSTART, option, `@${device}`], { timeoutMs: TIMEOUT });
    assert.is(r.status, 1, r.stderr);
    assert.is(r.stderr, `symbi: error: ${option} @${device}: the file is larger than 16 MiB\n`);
  });
}

test("item 17: symbi exec --model replay:/dev/zero ends with a one-line error (exit 1)", () => {
  const r = runCli(
    "symbi",
    ["exec", QUICKSTART, "--input", '{"name": "a", "number": 3}', "--model", "replay:/dev/zero"],
    {
      timeoutMs: TIMEOUT,
    },
  );
  assert.is(r.status, 1, r.stderr);
  assert.is(r.stderr, "symbi: error: cannot read the recording /dev/zero: larger than 256 MiB\n");
});

test("item 17: a FIFO nobody writes to is read as empty, not waited on forever", () => {
  const fifo = join(work, "pipe.symbi");
  execFileSync("mkfifo", [fifo]);
  assert.is(readBounded(fifo, 1024).length, 0);
  const r = runCli("symbic", ["parse", fifo], { timeoutMs: TIMEOUT });
  assert.is(r.status, 0, r.stderr);
});

test("item 17: symbic fmt / parse / check of /dev/zero end with a one-line error (exit 1)", () => {
  for (const cmd of ["fmt", "parse", "check"]) {
    const r = runCli("symbic", [cmd, "/dev/zero"], { timeoutMs: TIMEOUT });
    assert.is(r.status, 1, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, "/dev/zero: larger than 16 MiB, the limit for a source file");
  }
});

test("item 17: symbic build --out /proc/x fails at once instead of spinning", () => {
  const r = runCli("symbic", ["build", QUICKSTART, "--out", "/proc/x"], { timeoutMs: TIMEOUT });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, "cannot write the bundle of quickstart to /proc/x/quickstart");
  assert.throws(() => makeFolders("/proc/x/y"), /ENOENT/);
});

test("item 17: makeFolders creates what is missing and refuses a file in the way", () => {
  makeFolders(join(work, "a/b/c"));
  makeFolders(join(work, "a/b/c"));
  writeFileSync(join(work, "file"), "");
  assert.throws(() => makeFolders(join(work, "file/sub")), /ENOTDIR|not a folder/);
  mkdirSync(join(work, "d"));
  makeFolders(join(work, "d"));
});

test("item 17: symbic check /dev/null checks that one empty file, without walking /dev", () => {
  const r = runCli("symbic", ["check", "/dev/null"], { timeoutMs: TIMEOUT });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, "");
  // A non-source file beside a project is checked alone too: the sibling's error is not reported.
  const dir = join(work, "proj");
  mkdirSync(dir);
  writeFileSync(join(dir, "broken.symbi"), "agent {");
  writeFileSync(join(dir, "notes.txt"), "type T = { a: int }\n");
  const alone = runCli("symbic", ["check", join(dir, "notes.txt")], { timeoutMs: TIMEOUT });
  assert.is(alone.status, 0, alone.stderr);
});

test.run();
