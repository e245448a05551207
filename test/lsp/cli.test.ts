/** `symbi-lsp` as a command: usage, and a clear error without a transport. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { REPO } from "../helpers/corpus.js";

const TSX = import.meta.resolve("tsx");
const run = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", TSX, join(REPO, "lsp/main.ts"), ...args], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 30_000,
    input: "",
  });

test("--help prints usage and exits 0; no transport is a usage error (exit 1)", () => {
  const help = run("--help");
  assert.is(help.status, 0);
  assert.match(help.stdout, "usage: symbi-lsp --stdio");
  const bare = run();
  assert.is(bare.status, 1);
  assert.match(bare.stderr, "error: no transport given");
  assert.not.match(bare.stderr, /\bat \S+:\d+:\d+/, "no stack trace");
});

test.run();
