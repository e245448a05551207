/**
 * Kill tests (issue 11 item 15): a writer killed with SIGKILL at arbitrary moments, 50 times in a
 * row on one log. No stale lock refuses the next run — each next writer recovers the dead one's
 * lock by itself and records it — and no acknowledged record is lost: every record whose append
 * had returned (the child then printed its seq and hash) is in the final, verified log.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { verifyLog } from "../../runtime/audit/verify.js";
import { AuditLog } from "../../runtime/audit/writer.js";
import { bundleWriterFixture, makeKeys, parse, tempDir } from "./helpers.js";

const KILLS = 50;

/** Runs the fixture's `runs` mode and SIGKILLs it after `acks` acknowledged records; resolves to the acks. */
function killAfter(fixture: string, log: string, key: string, acks: number): Promise<Array<[number, string]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, "runs", log, key], { stdio: ["ignore", "pipe", "pipe"] });
    const got: Array<[number, string]> = [];
    let buffered = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const l of lines) {
        const [seq, hash] = l.split(" ");
        got.push([Number(seq), hash!]);
      }
      if (got.length >= acks && child.exitCode === null) child.kill("SIGKILL");
    });
    child.once("exit", (code, signal) =>
      signal === "SIGKILL"
        ? resolve(got)
        : reject(new Error(`the writer exited with ${code} before it was killed (a refused open?): ${stderr}`)),
    );
  });
}

test(`SIGKILL mid-run ${KILLS} times: no stale lock refuses the next run, no acknowledged record is lost`, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const keys = makeKeys(dir);
    const fixture = await bundleWriterFixture(dir);
    const log = join(dir, "killed.log");
    const acked = new Map<number, string>();
    for (let round = 0; round < KILLS; round++) {
      // Kill after 1 to 37 acknowledged records: inside runs, next to checkpoints (every 5), at start.
      const acks = await killAfter(fixture, log, keys.privatePath, 1 + ((round * 13) % 37));
      assert.ok(acks.length >= 1, `round ${round}: the writer opened the log and appended`);
      for (const [seq, hash] of acks) acked.set(seq, hash);
      assert.ok(existsSync(`${log}.lock`), `round ${round}: the killed writer left its lock`);
    }
    // One more writer: it recovers the last dead writer's lock too.
    AuditLog.open(log, { privateKey: keys.privateKey }).close();
    const v = verifyLog(log, { publicKey: keys.publicKey });
    assert.ok(v.ok, `${v.firstBad?.reason}: ${v.firstBad?.detail}`);
    const records = readFileSync(log, "utf8").trimEnd().split("\n").map(parse);
    const bySeq = new Map(records.map((r) => [r.seq, r.hash]));
    for (const [seq, hash] of acked) assert.is(bySeq.get(seq), hash, `acknowledged record seq ${seq} is in the log`);
    const recovered = records.filter((r) => r.type === "recovered");
    assert.is(recovered.length, KILLS, "every recovery is recorded");
    assert.ok(
      recovered.every((r) => typeof (r.details.staleLock as { pid?: unknown } | undefined)?.pid === "number"),
      "each names the dead writer",
    );
    assert.not.ok(existsSync(`${log}.lock`));
  } finally {
    cleanup();
  }
});

test.run();
