/**
 * Regression: "EPIPE stack trace when the reader goes away" — `symbic test --format json | head`
 * and `symbi exec … | true` died of an unhandled 'error' event (write EPIPE) with a stack trace
 * and exit 1, `symbi` in the middle of its run. Now writes to a closed output are dropped and the
 * command exits with its own code (formats/closed-output.ts); a write that fails otherwise (a
 * full disk) is reported in one line and the run exits 1.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../helpers/corpus.js";

const TSX = import.meta.resolve("tsx");

/** Runs a CLI from source with stdout piped to a reader that closes it after `readBytes` bytes (0: at once). */
function runWithClosingReader(
  cli: "symbic" | "symbi",
  args: string[],
  readBytes: number,
): Promise<{ status: number | null; stderr: string; read: number }> {
  const entry = cli === "symbic" ? "compiler/cli/main.ts" : "runtime/cli/main.ts";
  const child = spawn(process.execPath, ["--import", TSX, join(REPO, entry), ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let stderr = "";
  let read = 0;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  if (readBytes === 0) child.stdout.destroy();
  else
    child.stdout.on("data", (d: Buffer) => {
      read += d.length;
      if (read >= readBytes) child.stdout.destroy();
    });
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stderr, read })));
}

test("EPIPE stack trace when the reader goes away: symbic test --format json | head exits with the tests' code", async () => {
  const dir = mkdtempSync(join(tmpdir(), "symbi-closed-output-"));
  try {
    cpSync(join(REPO, "examples/seed-policies"), dir, { recursive: true });
    const rows = Array.from({ length: 3000 }, (_, i) => `  { memory_mb = ${i + 1} },`).join("\n");
    writeFileSync(
      join(dir, "agents/many.test.toml"),
      `agent = "data_steward"\n[context]\nuser = { resource_quota = { remaining = 8192 }, max_priority = 3, background_check = { current = true } }\nsession = { secure_connection = true }\ncontext = { priority = 2 }\n[[case]]\nname = "allocations"\ntool = "allocate"\nexpect = "approval"\nrows = [\n${rows}\n]\n`,
    );
    const r = await runWithClosingReader(
      "symbic",
      ["test", join(dir, "agents/many.test.toml"), "--format", "json"],
      10,
    );
    assert.ok(r.read >= 10, "the reader saw the start of the report");
    assert.not.match(r.stderr, /EPIPE|node:events|\n\s+at /, r.stderr.slice(0, 2000));
    assert.is(r.status, 0, r.stderr.slice(0, 2000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("EPIPE stack trace when the reader goes away: symbi exec … | true runs the agent to its end", async () => {
  const r = await runWithClosingReader(
    "symbi",
    ["exec", "examples/quickstart/agent.symbi", "--input", '{"name": "Ada", "number": 360}'],
    0,
  );
  assert.not.match(r.stderr, /EPIPE|node:events|\n\s+at /, r.stderr.slice(0, 2000));
  assert.is(r.status, 0, r.stderr.slice(0, 2000));
});

if (existsSync("/dev/full"))
  test("an output that cannot be written (a full disk) is one line and exit 1, not a stack trace", async () => {
    const { spawnSync } = await import("node:child_process");
    const { openSync, closeSync } = await import("node:fs");
    const full = openSync("/dev/full", "w");
    try {
      const r = spawnSync(
        process.execPath,
        [
          "--import",
          TSX,
          join(REPO, "runtime/cli/main.ts"),
          "exec",
          "examples/quickstart/agent.symbi",
          "--input",
          '{"name": "Ada", "number": 360}',
        ],
        { cwd: REPO, stdio: ["ignore", full, "pipe"], encoding: "utf8" },
      );
      assert.is(r.status, 1, r.stderr);
      assert.match(r.stderr, "the output could not be written");
      assert.not.match(r.stderr, /node:events|\n\s+at /);
    } finally {
      closeSync(full);
    }
  });
else test.skip("an output that cannot be written (a full disk) is one line and exit 1, not a stack trace", () => {});

test.run();
