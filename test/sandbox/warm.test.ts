/**
 * Warm containers (Tier1): calls of one run that share a `with` block and container settings
 * reuse one container (`docker exec` per call), with each call's own user and environment; state
 * persists between them; another run gets another container; a timeout or abort removes it; the
 * run's end removes it; `fresh` gives one container per call. Needs Docker and the base image;
 * otherwise every test here is declared with `test.skip`.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { dockerUnavailable, runContainerStarted } from "../helpers/docker.js";
import { defaultSandboxManifest, type SandboxManifestOptions } from "../../formats/sandbox-manifest.js";
import {
  DockerSandbox,
  SandboxAbortedError,
  WarmContainers,
  liveSandboxIds,
  pruneSandboxContainers,
} from "../../runtime/sandbox/index.js";

const docker = new Docker();
const unavailable = await dockerUnavailable(docker);
const dtest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  warm container tests skipped: ${unavailable}`);

const RUN_ID = `warm${process.pid}`;
if (unavailable === null) await pruneSandboxContainers(docker, RUN_ID);

function driver(warm: WarmContainers | undefined, o: Partial<SandboxManifestOptions> = {}, fresh = false) {
  const m = defaultSandboxManifest({ agent: "warm", tier: "tier1", timeoutMs: 60_000, memoryMb: 64, pids: 32, ...o });
  return new DockerSandbox(m, { runId: RUN_ID, ...(warm ? { warm } : {}), fresh });
}
const sh = (script: string) => ["sh", "-c", script];
const call = { timeoutMs: 10_000 };

async function exists(name: string): Promise<boolean> {
  return (await docker.listContainers({ all: true, filters: JSON.stringify({ name: [`^/${name}$`] }) })).length > 0;
}

dtest("calls of one run reuse one warm container; state persists; each call has its own user and env", async () => {
  const warm = new WarmContainers();
  try {
    const a = driver(warm, { env: { WHO: "a" } });
    const b = driver(warm, { user: "65001:65001", env: { WHO: "b" } });
    const r1 = await a.run({ argv: sh("echo kept > /tmp/state; id -u; echo $WHO"), ...call });
    const r2 = await b.run({ argv: sh("cat /tmp/state; id -u; echo $WHO"), ...call });
    const r3 = await a.run({ argv: ["cat"], stdin: "in\n", ...call });
    assert.is(r1.sandbox.id, r2.sandbox.id, "the second tool reuses the container");
    assert.is(r1.sandbox.id, r3.sandbox.id);
    assert.match(r1.sandbox.id, new RegExp(`^symbi-${RUN_ID}-w\\d+$`));
    assert.is(r1.stdout, "65534\na\n");
    assert.is(r2.stdout, "kept\n65001\nb\n");
    assert.is(r3.stdout, "in\n");
    assert.equal(warm.names(), [r1.sandbox.id]);
  } finally {
    await warm.closeAll();
  }
  assert.equal(warm.names(), []);
});

dtest("isolation between runs: another run gets another container and none of the first run's state", async () => {
  const run1 = new WarmContainers();
  const run2 = new WarmContainers();
  try {
    const r1 = await driver(run1).run({ argv: sh("echo secret > /tmp/left; echo done"), ...call });
    const r2 = await driver(run2).run({ argv: sh("cat /tmp/left 2>&1; ls /tmp | wc -l"), ...call });
    assert.is.not(r1.sandbox.id, r2.sandbox.id);
    assert.match(r2.stdout, /No such file/);
    assert.not.match(r2.stdout, /secret/);
  } finally {
    await run1.closeAll();
    await run2.closeAll();
  }
});

dtest("the run's end removes its warm containers", async () => {
  const warm = new WarmContainers();
  const r = await driver(warm).run({ argv: ["true"], ...call });
  assert.ok(await exists(r.sandbox.id));
  await warm.closeAll();
  assert.not.ok(await exists(r.sandbox.id), "removed at close");
  assert.equal(
    liveSandboxIds().filter((id) => id === r.sandbox.id),
    [],
  );
});

dtest("a call that times out removes the warm container; the next call gets a new one", async () => {
  const warm = new WarmContainers();
  try {
    const d = driver(warm);
    const first = await d.run({ argv: ["true"], ...call });
    const t0 = Date.now();
    const slow = await d.run({ argv: sh("echo started; sleep 30"), timeoutMs: 700 });
    assert.is(slow.timedOut, true);
    assert.is(slow.signal, "SIGKILL");
    assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`);
    assert.is(slow.sandbox.id, first.sandbox.id);
    assert.not.ok(await exists(first.sandbox.id), "the timed-out call's container is gone");
    const next = await d.run({ argv: ["echo", "again"], ...call });
    assert.is.not(next.sandbox.id, first.sandbox.id);
    assert.is(next.stdout, "again\n");
  } finally {
    await warm.closeAll();
  }
});

dtest("an abort (Ctrl-C of the run) removes the warm container and rejects", async () => {
  const warm = new WarmContainers();
  const d = driver(warm);
  const first = await d.run({ argv: ["true"], ...call });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  await d.run({ argv: ["sleep", "30"], signal: ac.signal, ...call }).then(
    () => assert.unreachable("should be aborted"),
    (e) => assert.instance(e, SandboxAbortedError),
  );
  assert.not.ok(await exists(first.sandbox.id));
  await warm.closeAll();
});

dtest("fresh = true: one container per call, each removed afterwards", async () => {
  const warm = new WarmContainers();
  try {
    const d = driver(warm, {}, true);
    const a = await d.run({ argv: sh("echo x > /tmp/state"), ...call });
    const b = await d.run({ argv: sh("cat /tmp/state 2>&1"), ...call });
    assert.is.not(a.sandbox.id, b.sandbox.id);
    assert.match(b.stdout, /No such file/);
    assert.not.ok(await exists(a.sandbox.id));
    assert.equal(warm.names(), []);
    // Per block (`with fresh = true`): the manifest says it.
    const perBlock = driver(warm, { fresh: true });
    assert.is(perBlock.reusesContainers, false);
    const c = await perBlock.run({ argv: ["true"], ...call });
    assert.match(c.sandbox.id, new RegExp(`^symbi-${RUN_ID}-\\d+$`));
  } finally {
    await warm.closeAll();
  }
});

dtest("a warm container bounds its own life: its only process ends at the block's timeout", async () => {
  const warm = new WarmContainers();
  try {
    const d = driver(warm, { timeoutMs: 1000 });
    const r = await d.run({ argv: ["true"], timeoutMs: 500 });
    const info = await docker.getContainer(r.sandbox.id).inspect();
    // The launcher, bounded by `timeout -s KILL <block timeout + 1 s>`.
    assert.equal(info.Config.Entrypoint?.slice(0, 6), ["timeout", "-s", "KILL", "2", "sh", "-c"]);
    assert.ok(Number(info.Config.Labels["dev.symbi.deadline"]) > Date.now());
    // Its own process ends it by the deadline, whoever is (or is not) there to remove it.
    let running = true;
    for (let i = 0; i < 60 && running; i++) {
      await new Promise((res) => setTimeout(res, 100));
      running = (await docker.getContainer(r.sandbox.id).inspect()).State.Running;
    }
    assert.not.ok(running, "still running past its deadline");
  } finally {
    await warm.closeAll();
  }
});

/** Runs the interrupt fixture in warm mode, waits for its container, sends `signal`; returns how it ended. */
async function interruptWarm(runId: string, signal: NodeJS.Signals) {
  const fixture = fileURLToPath(new URL("./fixtures/interrupt-child.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", fixture, runId, "warm"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, sig) => resolve({ code, signal: sig })),
  );
  const filters = JSON.stringify({ label: [`dev.symbi.run=${runId}`] });
  try {
    const running = await runContainerStarted(docker, runId);
    assert.ok(running, `the child never started its warm container: ${output}`);
    await new Promise((r) => setTimeout(r, 300)); // the exec is under way
    child.kill(signal);
    const end = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    assert.ok(end, "the interrupted program did not exit");
    return await docker.listContainers({ all: true, filters });
  } finally {
    child.kill("SIGKILL");
  }
}

dtest("Ctrl-C and SIGTERM of the program remove its warm container", async () => {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const runId = `wint${sig.slice(3, 5).toLowerCase()}${process.pid}`;
    try {
      assert.equal(await interruptWarm(runId, sig), [], `${sig} left a container behind`);
    } finally {
      await pruneSandboxContainers(docker, runId);
    }
  }
});

dtest(
  "SIGKILL of the program: the launcher sees its input close and the container stops after the running call",
  async () => {
    // The block's timeout is 60 s; the call sleeps 3 s. Nobody removes the container (the program
    // is killed outright), yet it stops once the call is over — not at the block's timeout.
    const runId = `wkill${process.pid}`;
    const fixture = fileURLToPath(new URL("./fixtures/interrupt-child.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture, runId, "warm", "3"], { stdio: "ignore" });
    const filters = JSON.stringify({ label: [`dev.symbi.run=${runId}`] });
    try {
      const running = await runContainerStarted(docker, runId);
      assert.ok(running, "the child never started its warm container");
      child.kill("SIGKILL");
      const killedAt = Date.now();
      let stopped = false;
      while (!stopped && Date.now() - killedAt < 20_000) {
        await new Promise((r) => setTimeout(r, 250));
        stopped = !(await docker.listContainers({ all: true, filters })).some((c) => c.State === "running");
      }
      assert.ok(stopped, "the warm container still runs 20 s after its runtime was killed");
    } finally {
      child.kill("SIGKILL");
      await pruneSandboxContainers(docker, runId);
    }
  },
);

dtest("nothing is left behind by this file", async () => {
  assert.equal(liveSandboxIds(), []);
  assert.equal(
    await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dev.symbi.run=${RUN_ID}`] }) }),
    [],
  );
});

test.run();
