/**
 * Sandbox truth for the container tier, proved from inside real containers: each claim of the
 * manifest is checked by a command that would print something else if the setting were missing.
 * Needs a running Docker daemon and the base image (`npm run sandbox:image`); without them every
 * test here is declared with `test.skip`, so the summary line counts them as skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { dockerUnavailable, runContainerStarted } from "../helpers/docker.js";
import {
  DEFAULT_SANDBOX_IMAGE,
  defaultSandboxManifest,
  type SandboxManifestOptions,
} from "../../formats/sandbox-manifest.js";
import {
  DockerSandbox,
  SandboxAbortedError,
  SandboxImageMissingError,
  SandboxUnavailableError,
  SandboxUnsupportedError,
  liveSandboxIds,
  pruneSandboxContainers,
} from "../../runtime/sandbox/index.js";

const docker = new Docker();

const unavailable = await dockerUnavailable(docker);
const dtest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  docker sandbox tests skipped: ${unavailable}`);

const RUN_ID = `t${process.pid}`;
// A crashed earlier run with the same pid could have left containers with our names.
if (unavailable === null) await pruneSandboxContainers(docker, RUN_ID);

function sandbox(o: Partial<SandboxManifestOptions> = {}): DockerSandbox {
  return new DockerSandbox(
    defaultSandboxManifest({ agent: "truth", tier: "tier1", timeoutMs: 20_000, memoryMb: 64, pids: 32, ...o }),
    { runId: RUN_ID },
  );
}
const sh = (script: string) => ["sh", "-c", script];

async function containerExists(name: string): Promise<boolean> {
  try {
    await docker.getContainer(name).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

dtest("runs argv in a named container and captures stdout, stderr and the exit status", async () => {
  const r = await sandbox().run({ argv: sh("echo out; echo err >&2; exit 5") });
  assert.is(r.exitCode, 5);
  assert.is(r.stdout, "out\n");
  assert.is(r.stderr, "err\n");
  assert.match(r.sandbox.id, new RegExp(`^symbi-${RUN_ID}-\\d+$`));
  assert.is(r.sandbox.tier, "tier1");
  assert.not.ok(await containerExists(r.sandbox.id), "the container is removed after the call");
});

dtest("output of a tool that runs longer than the engine-call timeout is complete", async () => {
  const s = new DockerSandbox(defaultSandboxManifest({ agent: "slow", tier: "tier1" }), {
    runId: RUN_ID,
    engineTimeoutMs: 500,
  });
  const r = await s.run({ argv: sh("echo early; sleep 1.5; echo late; echo err >&2") });
  assert.is(r.stdout, "early\nlate\n");
  assert.is(r.stderr, "err\n");
});

dtest("argv is exact: the image's entrypoint and a shell play no part", async () => {
  const r = await sandbox().run({ argv: ["echo", "$HOME; id", "`x`"] });
  assert.is(r.stdout, "$HOME; id `x`\n");
});

dtest("a program missing from the image is a tool failure with status 127, not an engine error", async () => {
  const r = await sandbox().run({ argv: ["no-such-program", "x"] });
  assert.is(r.exitCode, 127);
  assert.match(r.stderr, /can't execute 'no-such-program'/);
  assert.not.ok(await containerExists(r.sandbox.id));
  const r2 = await sandbox().run({ argv: ["/etc/passwd"] });
  assert.is(r2.exitCode, 126);
});

dtest("network none: only a loopback interface, and the host cannot be reached", async () => {
  // A listener on this machine; the container must not be able to connect to it.
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  const port = (server.address() as AddressInfo).port;
  const hostIp =
    Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal)?.address ?? "127.0.0.1";
  try {
    const r = await sandbox().run({
      argv: sh(
        `cat /proc/net/dev; nc -w 2 ${hostIp} ${port} </dev/null; echo nc=$?; wget -q -T 2 -O- http://${hostIp}:${port}/; echo wget=$?`,
      ),
    });
    const ifaces = r.stdout
      .split("\n")
      .filter((l) => /^\s*[\w-]+:/.test(l) && !/Inter-|face/.test(l))
      .map((l) => l.split(":")[0]!.trim());
    assert.equal(ifaces, ["lo"]);
    assert.match(r.stdout, /^nc=[1-9]/m);
    assert.match(r.stdout, /^wget=[1-9]/m);
    assert.match(r.stderr, /unreachable/i);
    assert.is(connections, 0);
  } finally {
    server.close();
  }
});

dtest("read-only root: writing to / fails, /tmp is a writable tmpfs with mode 1777", async () => {
  const r = await sandbox().run({
    argv: sh("touch /evil; echo root=$?; echo ok > /tmp/f && cat /tmp/f; stat -c %a /tmp; grep ' /tmp ' /proc/mounts"),
  });
  assert.match(r.stdout, /^root=1$/m);
  assert.match(r.stderr, /Read-only file system/);
  assert.match(r.stdout, /^ok$/m);
  assert.match(r.stdout, /^1777$/m);
  assert.match(r.stdout, /^tmpfs \/tmp tmpfs rw,nosuid,nodev,noexec/m);
});

dtest("non-root user: the manifest's uid:gid", async () => {
  const r = await sandbox().run({ argv: sh("id -u; id -g") });
  assert.is(r.stdout, "65534\n65534\n");
  const other = await sandbox({ user: "65001:65002" }).run({ argv: sh("id -u; id -g") });
  assert.is(other.stdout, "65001\n65002\n");
});

dtest("no capabilities and no_new_privs", async () => {
  const r = await sandbox().run({
    argv: ["grep", "-E", "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):", "/proc/self/status"],
  });
  for (const cap of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"])
    assert.match(r.stdout, new RegExp(`^${cap}:\\s+0{16}$`, "m"));
  assert.match(r.stdout, /^NoNewPrivs:\s+1$/m);
  assert.match(r.stdout, /^Seccomp:\s+2$/m); // 2 = filter mode: the default profile is loaded
});

dtest("memory limit: a memory hog is OOM-killed", async () => {
  const r = await sandbox({ memoryMb: 32 }).run({ argv: sh("head -c 200000000 /dev/zero | tail") });
  assert.is(r.oomKilled, true);
  assert.is(r.signal, "SIGKILL");
  assert.is(r.timedOut, false);
});

dtest("pids limit holds: a fork loop stops at the limit (and runs to the end without it)", async () => {
  const loop = sh("i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); echo $i; done");
  const limited = await sandbox({ pids: 8 }).run({ argv: loop });
  const started = Number(limited.stdout.trim().split("\n").pop());
  assert.ok(started < 8, `started ${started} background processes under a limit of 8`);
  assert.match(limited.stderr, /can't fork|Resource temporarily unavailable/);
  const control = await sandbox({ pids: 64 }).run({ argv: loop });
  assert.is(control.stdout.trim().split("\n").pop(), "20");
});

dtest("timeout kills the container and removes it", async () => {
  const t0 = Date.now();
  const r = await sandbox({ timeoutMs: 1000 }).run({ argv: ["sleep", "30"] });
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  assert.is(r.timedOut, true);
  assert.is(r.exitCode, null);
  assert.is(r.signal, "SIGKILL");
  assert.not.ok(await containerExists(r.sandbox.id), "the container must be gone");
  const byName = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [r.sandbox.id] }) });
  assert.equal(byName, []);
});

dtest("abort kills and removes the container and rejects with SandboxAbortedError", async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 500);
  await sandbox()
    .run({ argv: ["sleep", "30"], signal: ac.signal })
    .then(
      () => assert.unreachable("should have been aborted"),
      (e) => assert.instance(e, SandboxAbortedError),
    );
  const mine = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.symbi.run=${RUN_ID}`] }),
  });
  assert.equal(mine, []);
});

/** Runs the interrupt fixture, waits for its container to run, sends SIGINT; returns how it ended. */
async function interruptChild(
  runId: string,
  mode = "",
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const fixture = fileURLToPath(new URL("./fixtures/interrupt-child.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", fixture, runId, mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  try {
    const running = await runContainerStarted(docker, runId);
    assert.ok(running, `the child never started its container: ${output}`);
    child.kill("SIGINT");
    const end = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    assert.ok(end, "the interrupted program did not exit");
    return { ...end!, output };
  } finally {
    child.kill("SIGKILL");
  }
}

dtest("Ctrl-C on the program kills and removes its live containers, then the signal ends it", async () => {
  const runId = `int${process.pid}`;
  try {
    const end = await interruptChild(runId);
    assert.is(end.signal, "SIGINT", `exit ${JSON.stringify(end)}`);
    assert.equal(
      await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dev.symbi.run=${runId}`] }) }),
      [],
      "a container was left behind",
    );
  } finally {
    await pruneSandboxContainers(docker, runId);
  }
});

const dockerCli = spawnSync("docker", ["--version"], { stdio: "ignore" }).status === 0;
(dockerCli ? dtest : test.skip)(
  "Ctrl-C in a program whose own handler exits at once still leaves no container",
  async () => {
    const runId = `intx${process.pid}`;
    try {
      const end = await interruptChild(runId, "own-handler");
      assert.is(end.code, 130, `exit ${JSON.stringify(end)}`);
      assert.equal(
        await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dev.symbi.run=${runId}`] }) }),
        [],
        "a container was left behind",
      );
    } finally {
      await pruneSandboxContainers(docker, runId);
    }
  },
);

dtest("pruneSandboxContainers removes leftovers of a run that was killed outright", async () => {
  const runId = `prune${process.pid}`;
  const s = new DockerSandbox(defaultSandboxManifest({ agent: "prune", tier: "tier1" }), { runId });
  const a = await docker.createContainer(s.containerSpec(`symbi-${runId}-a`, ["sleep", "60"], false));
  await a.start();
  await docker.createContainer(s.containerSpec(`symbi-${runId}-b`, ["true"], false));
  const removed = await pruneSandboxContainers(docker, runId);
  assert.equal(removed.sort(), [`symbi-${runId}-a`, `symbi-${runId}-b`]);
  assert.equal(
    await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dev.symbi.run=${runId}`] }) }),
    [],
  );
});

dtest("output is capped per stream, and stdin is delivered", async () => {
  const r = await sandbox().run({ argv: sh("head -c 300000 /dev/zero; echo tail >&2"), maxOutputBytes: 1000 });
  assert.is(r.stdout.length, 1000);
  assert.is(r.stdoutTruncated, true);
  assert.is(r.stderr, "tail\n");
  assert.is(r.stderrTruncated, false);
  const s = await sandbox().run({ argv: ["cat"], stdin: "to the tool\n" });
  assert.is(s.stdout, "to the tool\n");
});

dtest("environment: only PATH, HOME, TMPDIR, HOSTNAME and the manifest's env", async () => {
  process.env.SYMBI_TEST_SECRET = "hunter2";
  try {
    const r = await sandbox({ env: { LANG: "C" } }).run({ argv: ["env"] });
    const names = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("=")[0])
      .sort();
    // Docker itself adds HOSTNAME (the container id); nothing comes from the host.
    assert.equal(names, ["HOME", "HOSTNAME", "LANG", "PATH", "TMPDIR"]);
  } finally {
    delete process.env.SYMBI_TEST_SECRET;
  }
});

dtest("an image that does not exist: one clear typed error, quickly", async () => {
  const t0 = Date.now();
  await sandbox({ image: "symbi-no-such-image:0" })
    .run({ argv: ["true"] })
    .then(
      () => assert.unreachable("should fail"),
      (e) => {
        assert.instance(e, SandboxImageMissingError);
        assert.match(
          (e as Error).message,
          /^sandbox image symbi-no-such-image:0 is not present in the local Docker engine; /,
        );
        assert.not.match((e as Error).message, /\n/);
      },
    );
  assert.ok(Date.now() - t0 < 5000);
  const missingDefault = new SandboxImageMissingError(DEFAULT_SANDBOX_IMAGE, "build it with `npm run sandbox:image`");
  assert.match(missingDefault.message, /npm run sandbox:image/);
});

dtest("tier2 without runsc registered is an error naming runsc, never a downgrade", async () => {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  const s = sandbox({ tier: "tier2" });
  if (info.Runtimes && "runsc" in info.Runtimes) {
    const r = await s.run({ argv: sh("id -u") });
    assert.is(r.stdout, "65534\n");
    return;
  }
  await s.run({ argv: ["true"] }).then(
    () => assert.unreachable("tier2 must not run without runsc"),
    (e) => {
      assert.instance(e, SandboxUnavailableError);
      assert.match((e as Error).message, /runsc/);
    },
  );
});

dtest("a network allowlist is refused before any container exists (fail closed)", async () => {
  const s = sandbox({ network: { mode: "allowlist", allow: [{ host: "10.0.0.1", port: 443 }] } });
  await s.check().then(
    () => assert.unreachable("should refuse"),
    (e) => assert.instance(e, SandboxUnsupportedError),
  );
});

dtest("nothing is left behind by this file", async () => {
  assert.equal(liveSandboxIds(), []);
  assert.equal(
    await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dev.symbi.run=${RUN_ID}`] }) }),
    [],
  );
});

test.run();
