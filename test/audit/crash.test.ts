/**
 * Crash test: a child process appends in a tight loop and is killed with SIGKILL at varied
 * moments, many times. After every kill, verify must accept every complete line (the intact
 * prefix) and report an incomplete last line as torn_tail — never as tampering; repair must then
 * cut the torn line (recording it), and the chain must continue in a new writer session.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { verifyLog } from "../../runtime/audit/verify.js";
import { repairLog } from "../../runtime/audit/repair.js";
import { AuditLog } from "../../runtime/audit/writer.js";
import { bundleWriterFixture, makeKeys, parse, tempDir } from "./helpers.js";

const ROUNDS = 20;
/** Under heavy machine load the parent may miss the mid-write moment; keep going (targeted kills only) until a line was torn. */
const MAX_ROUNDS = 60;

/**
 * Starts the looping writer and SIGKILLs it: after `delayMs` when given (an arbitrary moment,
 * possibly inside a checkpoint's fsync or head update), otherwise as soon as the parent sees the
 * log's size end mid-line, i.e. while a write(2) of a 1 MiB record is in progress.
 */
function killWriter(fixture: string, log: string, key: string, delayMs: number | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, "loop", log, key], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.once("data", () => {
      if (delayMs !== null) setTimeout(() => child.kill("SIGKILL"), delayMs);
      else killWhenMidLine(log, () => child.kill("SIGKILL"));
    });
    child.once("exit", (code, signal) =>
      signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited with ${code}: ${stderr}`)),
    );
  });
}

function killWhenMidLine(log: string, kill: () => void): void {
  const fd = openSync(log, "r");
  const byte = Buffer.alloc(1);
  const deadline = Date.now() + 3000;
  try {
    while (Date.now() < deadline) {
      const size = fstatSync(fd).size;
      if (size > 0 && readSync(fd, byte, 0, 1, size - 1) === 1 && byte[0] !== 10) break;
      if (size > 4 * 1024 * 1024) break; // keep the log small: kill anyway (it may land between lines)
    }
  } finally {
    closeSync(fd);
    kill();
  }
}

test("SIGKILL mid-append: intact prefix always verifies, torn tail reported and repaired", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const keys = makeKeys(dir);
    const fixture = await bundleWriterFixture(dir);
    let rounds = 0;
    let torn = 0;
    const round = async (n: number) => {
      const log = join(dir, `crash-${n}.log`);
      await killWriter(fixture, log, keys.privatePath, n % 2 === 0 ? 3 + ((n * 7) % 23) : null);
      const bytes = readFileSync(log);
      const completeLines = bytes.toString("latin1").split("\n").length - 1;
      const r = verifyLog(log, { publicKey: keys.publicKey });
      assert.is(
        r.records,
        completeLines,
        `round ${n}: every complete line verifies (${r.firstBad?.reason}: ${r.firstBad?.detail})`,
      );
      if (bytes[bytes.length - 1] === 10) {
        assert.ok(r.ok, `round ${n}: a log cut at a line boundary verifies`);
      } else {
        torn++;
        assert.equal(
          { reason: r.firstBad?.reason, index: r.firstBad?.index },
          { reason: "torn_tail", index: completeLines + 1 },
          `round ${n}`,
        );
        assert.is(r.intactBytes, bytes.lastIndexOf(10) + 1);
      }
      const rep = repairLog(log, { privateKey: keys.privateKey });
      assert.ok(rep.repaired, `round ${n}: the killed writer's lock is released by repair`);
      const repairRecord = parse(readFileSync(log, "utf8").trimEnd().split("\n").at(-2)!);
      assert.is(repairRecord.type, "repair");
      assert.is(
        repairRecord.details.tornTail !== undefined,
        bytes[bytes.length - 1] !== 10,
        `round ${n}: a torn tail is recorded iff there was one`,
      );
      // The chain continues across the crash in a new writer session.
      const w = AuditLog.open(log, { privateKey: keys.privateKey });
      w.append({ run: "after-crash", agent: null, type: "run_start", details: {} });
      w.close();
      const after = verifyLog(log, { publicKey: keys.publicKey });
      assert.ok(after.ok, `round ${n} after repair: ${after.firstBad?.detail}`);
      assert.is(after.records, completeLines + 4, "repair + checkpoint + run_start + checkpoint");
      rounds++;
    };
    for (let n = 0; n < ROUNDS; n++) await round(n);
    for (let n = ROUNDS; n < MAX_ROUNDS && torn < 2; n += 2) await round(n + 1);
    console.log(`crash test: ${torn} torn tails in ${rounds} rounds`);
    assert.ok(torn >= 1, `at least one kill tore a line (${torn} in ${rounds} rounds)`);
  } finally {
    cleanup();
  }
});

test("a process that exits without close() still signs its records and releases the lock", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const keys = makeKeys(dir);
    const fixture = await bundleWriterFixture(dir);
    const log = join(dir, "exit.log");
    const r = spawnSync(process.execPath, [fixture, "exit", log, keys.privatePath], { encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    const v = verifyLog(log, { publicKey: keys.publicKey });
    assert.equal([v.ok, v.records, v.unsigned], [true, 5, 0]);
    assert.is(existsSync(`${log}.lock`), false);
  } finally {
    cleanup();
  }
});

test("a write that fails (file size limit: EFBIG) leaves no partial line and the writer stays usable", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const keys = makeKeys(dir);
    const fixture = await bundleWriterFixture(dir);
    const log = join(dir, "full.log");
    // 64 blocks of 1 KiB: the 4 KiB records stop fitting after ~14; the first failing write is partial.
    const r = spawnSync(
      "bash",
      ["-c", `ulimit -f 64 && exec "$0" "$@"`, process.execPath, fixture, "fill", log, keys.privatePath],
      { encoding: "utf8" },
    );
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      appended: number;
      lastSeq: number;
      error: { code: string; message: string } | null;
      closeError: string | null;
    };
    assert.is(out.error?.code, "IO");
    assert.match(out.error!.message, /cannot append to audit log .*full\.log: EFBIG/);
    assert.ok(out.appended > 5);
    const bytes = readFileSync(log);
    assert.is(bytes[bytes.length - 1], 10, "the log ends with a whole line");
    const v = verifyLog(log, { publicKey: keys.publicKey });
    assert.ok(v.ok, v.firstBad?.detail);
    assert.is(v.records, out.lastSeq, "every record the writer reported is in the log, nothing else");
  } finally {
    cleanup();
  }
});

test.run();
