/**
 * Kill test of `symbi exec` itself (issue 11 item 15): the runtime killed with SIGKILL in the
 * middle of a run (a tool running, records written) leaves its audit log locked; the next
 * `symbi exec` on the same log must not be refused — it recovers the dead run's lock, records
 * that, and the log verifies with every record the killed run had written.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyFiles, loadPublicKey } from "../../formats/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { symbi } from "../helpers/symbi.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const agents = join(root, "test/runtime/fixtures/e2e/agents");
const ROUNDS = 1;

/** Starts `symbi exec` of the `patient` agent and SIGKILLs it once its log shows a running tool. */
function killMidRun(log: string, key: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "runtime/cli/main.ts",
        "exec",
        join(agents, "patient.symbi"),
        "--input",
        '{"rounds": 10}',
        "--audit-log",
        log,
        "--key",
        key,
      ],
      { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const before = existsSync(log) ? readFileSync(log).length : 0;
    const poll = setInterval(() => {
      const text = existsSync(log) ? readFileSync(log).subarray(before).toString("utf8") : "";
      const runs = text.split('"type":"run_start"').length - 1;
      const tools = text.split('"type":"tool_start"').length - 1;
      if (runs > 0 && tools >= runs) {
        clearInterval(poll);
        child.kill("SIGKILL");
      }
    }, 20);
    child.once("exit", (code, signal) => {
      clearInterval(poll);
      if (signal === "SIGKILL") done();
      else fail(new Error(`symbi exec ended with ${code} before it was killed: ${stderr}`));
    });
  });
}

test("symbi exec killed mid-run: the next run recovers the lock by itself, recorded; nothing written is lost", async () => {
  const work = mkdtempSync(join(tmpdir(), "symbi-kill-"));
  try {
    const key = join(work, "audit.key");
    generateKeyFiles(key);
    const log = join(work, "audit.log");
    for (let round = 0; round < ROUNDS; round++) {
      await killMidRun(log, key);
      assert.ok(existsSync(`${log}.lock`), "the killed run left its lock");
      const written = readFileSync(log, "utf8");
      const next = await symbi(
        "exec",
        join(agents, "uncaught.symbi"),
        "--input",
        '{"number": 6}',
        "--audit-log",
        log,
        "--key",
        key,
      );
      assert.is(next.code, 0, next.stderr);
      assert.ok(readFileSync(log, "utf8").startsWith(written), "every record of the killed run is kept");
    }
    const v = verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) });
    assert.ok(v.ok, `${v.firstBad?.reason}: ${v.firstBad?.detail}`);
    const recovered = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> })
      .filter((r) => r.type === "recovered");
    assert.is(recovered.length, ROUNDS);
    assert.ok(recovered.every((r) => r.details.staleLock !== undefined));
    assert.not.ok(existsSync(`${log}.lock`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
