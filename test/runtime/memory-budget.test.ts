/**
 * Issue 11, item 14: agent code cannot exhaust the runtime's memory. The sizes of the Strings,
 * Lists and Maps it makes are counted against a budget (interpreter/budget.ts) before they are
 * made; past it the run ends with a located RuntimeError, a finished audit log and no lock.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Budget, runHeapBaseline } from "../../runtime/interpreter/budget.js";
import { DslError } from "../../runtime/interpreter/errors.js";
import { REPO } from "../helpers/corpus.js";
import { symbi } from "../helpers/symbi.js";
import { makeKeys } from "../audit/helpers.js";

const work = mkdtempSync(join(tmpdir(), "symbi-memory-"));
function agent(name: string, body: string, ret = "int"): string {
  const path = join(work, `${name}.symbi`);
  writeFileSync(
    path,
    `agent ${name}() -> ${ret} {\n    with sandbox = "process", timeout = 60s {\n${body}\n    }\n}\n`,
  );
  return path;
}

/** The review's reproduction: 22 doublings of a String, then one String per character. */
const DOUBLING = agent(
  "doubling",
  `        let s = "abcdefgh";
        for i in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22] {
            s = s + s;
        }
        return len(s.split(""));`,
);

/** `symbi exec` as a child process with a small Node heap (the old runtime died of it). */
function spawnExec(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", "runtime/cli/main.ts", "exec", ...args], {
      cwd: REPO,
      env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=256", SYMBI_DEBUG: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

test('item 14: `s = s + s` 22 times, then `len(s.split(""))`: a located RuntimeError, a finished log, no lock', async () => {
  const keys = makeKeys(work);
  const log = join(work, "audit.log");
  const r = await spawnExec([DOUBLING, "--audit-log", log, "--key", keys.privatePath]);
  assert.is(r.signal, null, `killed by ${r.signal}: ${r.stderr.slice(-500)}`);
  assert.is(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^symbi: error: \S*doubling\.symbi:7:20: RuntimeError: out of memory: .* its memory budget is \d+ MiB \(symbi exec --max-memory\)\n$/,
  );
  assert.not.ok(existsSync(`${log}.lock`), "the log's lock was released");
  const records = readFileSync(log, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> });
  const end = records.find((x) => x.type === "run_end");
  assert.ok(end, "the run's end is recorded");
  assert.is(end!.details["status"], "error");
  const verify = await symbi("audit", "verify", log, "--pubkey", keys.publicPath);
  assert.is(verify.code, 0, verify.stdout + verify.stderr);
});

test("item 14: the budget is what --max-memory says: a 4 MB list fails under 2 MiB and runs under 64", async () => {
  const build = agent(
    "builder",
    `        let xs = [];
        for i in "${"x".repeat(20_000)}" {
            xs.push(format("{} ${"-".repeat(200)}", i));
        }
        return len(xs);`,
  );
  const small = await symbi("exec", build, "--max-memory", "2");
  assert.is(small.code, 1, small.stderr);
  assert.match(small.stderr, /RuntimeError: out of memory: .* its memory budget is 2\.0 MiB/);
  const enough = await symbi("exec", build, "--max-memory", "64");
  assert.is(enough.code, 0, enough.stderr);
  assert.is(enough.stdout.trim(), "20000");
});

test("item 14: garbage does not count — 300 Strings of 64 KiB made and dropped (1 GB of estimates) run under 32 MiB", async () => {
  const churn = agent(
    "churn",
    `        let chunk = "${"y".repeat(1024)}";
        let total = 0;
        for i in "${"z".repeat(300)}" {
            let big = "";
            for j in "${"w".repeat(64)}" {
                big = big + chunk;
            }
            total = total + len(big);
        }
        return total;`,
  );
  const r = await symbi("exec", churn, "--max-memory", "32");
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), String(300 * 64 * 1024));
});

test("item 14: the out-of-memory error is catchable, and nothing was allocated for it", async () => {
  const careful = agent(
    "careful",
    `        let s = "${"q".repeat(1000)}";
        let caught = "";
        try {
            for i in "${"d".repeat(30)}" {
                s = s + s;
            }
        } catch (RuntimeError e) {
            caught = e.message;
        }
        return caught;`,
    "String",
  );
  const r = await symbi("exec", careful, "--max-memory", "8", "--compact");
  assert.is(r.code, 0, r.stderr);
  assert.match(JSON.parse(r.stdout) as string, /^out of memory:/);
});

test("item 14: --max-memory is a positive number of MiB this Node process can hold", async () => {
  const bad = await symbi("exec", DOUBLING, "--max-memory", "0");
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /--max-memory must be a positive integer/);
  const huge = await symbi("exec", DOUBLING, "--max-memory", "100000000");
  assert.is(huge.code, 1);
  assert.match(huge.stderr, /--max-memory 100000000 is more than this Node process can hold/);
});

test("item 14: Budget.allocate — within the budget, an addition; beyond it, a RuntimeError before the allocation", () => {
  const b = new Budget({ maxMemory: 1024 * 1024 });
  for (let i = 0; i < 1000; i++) b.allocate(512);
  let error: unknown;
  try {
    b.allocate(4 * 1024 * 1024, () => ({
      file: "a.symbi",
      span: { start: 0, end: 1, line: 3, col: 5, endLine: 3, endCol: 6 },
    }));
  } catch (e) {
    error = e;
  }
  assert.instance(error, DslError);
  assert.is((error as DslError).kind, "RuntimeError");
  assert.is((error as DslError).location?.span.line, 3);
});

/** Heap readings that say what was asked. */
function readings(inUse: number, live: number) {
  const asked: string[] = [];
  return {
    asked,
    heap: {
      inUse: () => (asked.push("inUse"), inUse),
      live: () => (asked.push("live"), live),
    },
  };
}

const MiB = 1024 * 1024;

test("the run's heap baseline: the heap in use, without a collection, while it is at most an eighth of the budget", () => {
  const r = readings(15 * MiB, 12 * MiB);
  assert.is(runHeapBaseline(512 * MiB, r.heap), 15 * MiB);
  assert.equal(r.asked, ["inUse"], "no full collection");
  const edge = readings(8 * MiB, 6 * MiB);
  assert.is(runHeapBaseline(64 * MiB, edge.heap), 8 * MiB);
  assert.equal(edge.asked, ["inUse"]);
});

test("the run's heap baseline: past an eighth of the budget, what a full collection leaves alive", () => {
  const r = readings(8 * MiB + 1, 6 * MiB);
  assert.is(runHeapBaseline(64 * MiB, r.heap), 6 * MiB);
  assert.equal(r.asked, ["inUse", "live"]);
  const small = readings(15 * MiB, 12 * MiB);
  assert.is(runHeapBaseline(2 * MiB, small.heap), 12 * MiB);
});

test.run();
