/**
 * Sandbox behaviour seen through whole runs and tool contracts: OOM kills reported as
 * memory-limit kills (item 13 of issue 11), read-only bind mounts from `[tool.sandbox] mounts`,
 * and `fresh = true`. The Docker tests are declared with `test.skip` without Docker and the image.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { REPO } from "../helpers/corpus.js";
import { dockerUnavailable } from "../helpers/docker.js";
import { contractText, parse } from "../contracts/helpers.js";
import { defaultSandboxManifest, manifestForTool } from "../../formats/sandbox-manifest.js";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { compileToBundles, execAgent, SandboxPool, SandboxSetupError } from "../../runtime/exec/index.js";
import {
  DockerSandbox,
  ProcessSandbox,
  SandboxUnsupportedError,
  pruneSandboxContainers,
} from "../../runtime/sandbox/index.js";

const docker = new Docker();
const unavailable = await dockerUnavailable(docker);
const dtest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  sandbox run tests skipped: ${unavailable}`);

const work = mkdtempSync(join(tmpdir(), "symbi-runs-test-"));
const RUN_ID = `runs${process.pid}`;

dtest("item 13: an OOM kill is reported as a memory-limit kill, in the error and the audit record", async () => {
  const { bundles } = await compileToBundles(join(REPO, "test/sandbox/fixtures/runs/agents/hungry.symbi"));
  const key = join(work, "oom.key");
  generateKeyFiles(key, { force: true });
  const log = join(work, "oom.log");
  const r = await execAgent({
    bundle: bundles.get("hungry")!,
    input: {},
    auditLog: log,
    keyFile: key,
    onLog: () => {},
  });
  assert.is(r.status, "ok", r.message);
  // The agent caught a ToolError that says what happened — not "exited with code -1".
  assert.is(r.value, "`hog` was killed for exceeding its memory limit of 32 MiB");
  assert.ok(verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) }).ok);
  const records = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> });
  const end = records.find((x) => x.type === "tool_end")!;
  assert.is(end.details.oomKilled, true);
  assert.is(end.details.memoryLimitMb, 32);
  const error = records.find((x) => x.type === "error")!;
  assert.match(String(error.details.message), /killed for exceeding its memory limit of 32 MiB/);
});

dtest("item 8: [tool.sandbox] mounts are read-only bind mounts in the container tiers", async () => {
  // The tool's identity (65000-65534, no groups) reads only what anyone may read.
  chmodSync(work, 0o755);
  const host = mkdtempSync(join(work, "mount-"));
  chmodSync(host, 0o755);
  writeFileSync(join(host, "list.txt"), "from the host\n", { mode: 0o644 });
  const m = manifestForTool(defaultSandboxManifest({ agent: "mounts", tier: "tier1", timeoutMs: 20_000 }), {
    mounts: [{ source: host, target: "/data" }],
  });
  assert.equal(m.mounts, [{ source: host, target: "/data", readOnly: true }]);
  const r = await new DockerSandbox(m, { runId: RUN_ID }).run({
    argv: ["sh", "-c", "cat /data/list.txt; touch /data/new; echo touch=$?; grep ' /data ' /proc/mounts"],
  });
  assert.match(r.stdout, /^from the host$/m);
  assert.match(r.stdout, /^touch=1$/m);
  assert.match(r.stderr, /Read-only file system/);
  assert.match(r.stdout, / \/data \S+ ro[, ]/);
  await pruneSandboxContainers(docker, RUN_ID);
});

test("item 8: mounts are never dropped silently: the process tier refuses them; bad paths are check errors", async () => {
  const m = manifestForTool(defaultSandboxManifest({ agent: "mounts", tier: "process" }), {
    mounts: [{ source: "/srv/lists", target: "/lists" }],
  });
  await new ProcessSandbox(m).run({ argv: ["/bin/true"] }).then(
    () => assert.unreachable("the process tier cannot mount"),
    (e) => {
      assert.instance(e, SandboxUnsupportedError);
      assert.match((e as Error).message, /cannot give a tool read-only mounts \(\/srv\/lists:\/lists\)/);
    },
  );
  for (const [mount, why] of <[string, string][]>[
    ["/proc:/p", "/proc is the kernel's own file system"],
    ["/srv:/sys/x", "/sys is the kernel's own file system"],
    ["/:/host", "the root directory cannot be mounted"],
    ["/a/../b", "must be absolute, without `..`"],
  ]) {
    const d = parse(contractText({ extra: `[tool.sandbox]\nmounts = ["${mount}"]` })).diagnostics.find(
      (x) => x.code === "E0522",
    );
    assert.ok(d && d.message.includes(why), `${mount}: ${d?.message}`);
  }
  // The pool hands a contract's mounts to the tool's sandbox.
  const contract = parse(
    contractText({ extra: '[tool.sandbox]\nmounts = ["/srv/lists:/lists"]\nfresh = true' }),
  ).contract!;
  const pool = new SandboxPool(defaultSandboxManifest({ agent: "a", tier: "tier1" }));
  const driver = pool.driverFor(contract) as DockerSandbox;
  assert.equal(driver.manifest.mounts, [{ source: "/srv/lists", target: "/lists", readOnly: true }]);
  assert.is(driver.reusesContainers, false, "[tool.sandbox] fresh = true: one container per call");
  await pool.close();
  // A run in the process tier with such a tool is refused before it starts.
  await new SandboxPool(defaultSandboxManifest({ agent: "a", tier: "process" })).checkAll([contract]).then(
    () => assert.unreachable("must refuse"),
    (e) => {
      assert.instance(e, SandboxSetupError);
      assert.match((e as Error).message, /cannot give a tool read-only mounts/);
    },
  );
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
