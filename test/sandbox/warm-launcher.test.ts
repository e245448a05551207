/**
 * The launcher of warm containers (runtime/sandbox/warm-launcher.ts): frames and end markers
 * without Docker; then, in real Tier1 containers, that a call through the launcher gets exactly
 * its argv, environment, user, exit status and output — the same as a `docker exec` — that a
 * tool cannot end its output early, that calls the launcher does not take still work (busy,
 * stdin, another user), and that an image without `sh` falls back to `docker exec`. The Docker
 * part needs the engine and the base image (the fallback case also the tool image); otherwise
 * those tests are declared with `test.skip`.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PassThrough, type Writable } from "node:stream";
import fc from "fast-check";
import Docker from "dockerode";
import { dockerUnavailable } from "../helpers/docker.js";
import { run as runCli } from "../helpers/podman.js";
import { TOOLS_IMAGE } from "../../formats/images.js";
import { defaultSandboxManifest, type SandboxManifestOptions } from "../../formats/sandbox-manifest.js";
import { CappedOutput } from "../../runtime/sandbox/capped-output.js";
import {
  LauncherChannel,
  encodeCall,
  encodeLine,
  launcherCanRun,
  type LauncherCall,
} from "../../runtime/sandbox/warm-launcher.js";
import { DockerSandbox, WarmContainers, liveSandboxIds, pruneSandboxContainers } from "../../runtime/sandbox/index.js";

// ---- without Docker ----

test("frame: one line per value; backslashes and newlines escaped, nothing else touched", () => {
  assert.is(encodeLine("a\\b\nc\r%s\\n"), "a\\\\b\\nc\r%s\\\\n");
  const call: LauncherCall = {
    argv: ["timeout", "-s", "KILL", "2", "echo", "x\ny"],
    env: ["PATH=/bin"],
    workdir: "/tmp",
  };
  assert.is(encodeCall(call, "ab12").toString(), "call ab12 6 1\n/tmp\nPATH=/bin\ntimeout\n-s\nKILL\n2\necho\nx\\ny\n");
  assert.throws(() => encodeLine("a\0b"), /NUL/);
});

test("launcherCanRun: only plain environment names, absolute working directories, no NUL", () => {
  const ok: LauncherCall = { argv: ["timeout", "echo"], env: ["PATH=/bin", "A_1=x=y"], workdir: "/tmp" };
  assert.ok(launcherCanRun(ok));
  assert.not.ok(launcherCanRun({ ...ok, env: ["-u=1"] }), "a name env would read as an option");
  assert.not.ok(launcherCanRun({ ...ok, env: ["NOEQUALS"] }));
  assert.not.ok(launcherCanRun({ ...ok, workdir: "tmp" }));
  assert.not.ok(launcherCanRun({ ...ok, argv: ["timeout", "a\0b"] }));
});

/** A channel over an in-memory stream: `emit` feeds (stream, bytes) as the demultiplexer would. */
function fakeChannel() {
  const stream = new PassThrough();
  const written: Buffer[] = [];
  stream.write = ((chunk: Buffer) => (written.push(chunk), true)) as typeof stream.write;
  let out!: Writable;
  let err!: Writable;
  const channel = new LauncherChannel(stream, (_s, o, e) => {
    out = o;
    err = e;
  });
  const emit = (which: "out" | "err", data: string) => (which === "out" ? out : err).write(Buffer.from(data));
  const nonce = () => /^call ([0-9a-f]+) /.exec(Buffer.concat(written).toString())![1]!;
  return { stream, channel, emit, nonce };
}

test("channel: output up to the end markers, split anywhere across chunks; a forged marker is output", async () => {
  const { channel, emit, nonce } = fakeChannel();
  emit("out", "noise before ready\nsymbi-launcher ready\n");
  await channel.ready;
  emit("out", "between calls: dropped");
  const stdout = new CappedOutput(1000);
  const stderr = new CappedOutput(1000);
  const done = channel.run({ argv: ["timeout", "x"], env: [], workdir: "/" }, stdout, stderr);
  const id = nonce();
  const tail = `\nsymbi-end-${id} 3\n`;
  emit("out", "no newline at the end\nsymbi-end-0000 0\n");
  emit("out", "x");
  for (const ch of tail) emit("out", ch); // the marker byte by byte
  emit("err", `warn\nsymbi-end-${id}`);
  emit("err", "\nlater: dropped");
  assert.equal(await done, { ended: true, status: 3 });
  assert.is(stdout.text(), "no newline at the end\nsymbi-end-0000 0\nx");
  assert.is(stderr.text(), "warn");
});

test("channel: a stream that ends mid-call ends the call; a bad status breaks the launcher", async () => {
  const a = fakeChannel();
  a.emit("out", "symbi-launcher ready\n");
  await a.channel.ready;
  const pending = a.channel.run(
    { argv: ["timeout", "x"], env: [], workdir: "/" },
    new CappedOutput(10),
    new CappedOutput(10),
  );
  a.stream.emit("end");
  assert.equal(await pending, { ended: false });
  assert.ok(a.channel.ended);

  const b = fakeChannel();
  b.emit("out", "symbi-launcher ready\n");
  await b.channel.ready;
  const bad = b.channel.run(
    { argv: ["timeout", "x"], env: [], workdir: "/" },
    new CappedOutput(10),
    new CappedOutput(10),
  );
  b.emit("out", `\nsymbi-end-${b.nonce()} 999\n`);
  assert.equal(await bad, { ended: false });
});

test("channel: a launcher that ends before it is ready rejects with what it said", async () => {
  const { stream, channel, emit } = fakeChannel();
  emit("err", "symbi-launcher: missing timeout\n");
  stream.emit("end");
  await channel.ready.then(
    () => assert.unreachable("not ready"),
    (e) => assert.match((e as Error).message, /missing timeout/),
  );
});

// ---- in real containers ----

const docker = new Docker();
const unavailable = await dockerUnavailable(docker);
const dtest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  warm launcher container tests skipped: ${unavailable}`);
const RUN_ID = `wl${process.pid}`;
if (unavailable === null) await pruneSandboxContainers(docker, RUN_ID);

function driver(warm: WarmContainers, o: Partial<SandboxManifestOptions> = {}) {
  const m = defaultSandboxManifest({
    agent: "launcher",
    tier: "tier1",
    timeoutMs: 60_000,
    memoryMb: 64,
    pids: 32,
    ...o,
  });
  return new DockerSandbox(m, { runId: RUN_ID, warm });
}
const call = { timeoutMs: 20_000 };
/** Whether the call ran as a child of the launcher (an exec'd process has no parent inside). */
const PARENT = "tr '\\0' '\\n' </proc/$PPID/cmdline 2>/dev/null | tail -n 1";

async function withWarm<T>(f: (warm: WarmContainers) => Promise<T>): Promise<T> {
  const warm = new WarmContainers();
  try {
    return await f(warm);
  } finally {
    await warm.closeAll();
  }
}

dtest("a call goes through the launcher: its child, the container's user, only its environment", async () => {
  await withWarm(async (warm) => {
    const d = driver(warm, { env: { LANG: "C", MULTI: "one\ntwo \\n" } });
    const first = await d.run({ argv: ["true"], ...call });
    const r = await d.run({ argv: ["sh", "-c", `${PARENT}; id -u; id -g; pwd; env | sort`], ...call });
    assert.is(r.sandbox.id, first.sandbox.id);
    assert.is(r.exitCode, 0, r.stderr);
    const [parent, ...rest] = r.stdout.split("\n");
    assert.match(parent!, /symbi-launcher/, "the launcher is the tool's parent");
    assert.is(
      rest.join("\n"),
      "65534\n65534\n/tmp\nHOME=/tmp\nHOSTNAME=" +
        /^HOSTNAME=(.*)$/m.exec(r.stdout)![1] +
        "\nLANG=C\nMULTI=one\nPATH=/usr/local/bin:/usr/bin:/bin\nPWD=/tmp\nSHLVL=1\nTMPDIR=/tmp\ntwo \\n\n",
    );
  });
});

dtest("argv arrives exactly: newlines, backslashes, escapes, globs, options, empty and non-ASCII", async () => {
  await withWarm(async (warm) => {
    const d = driver(warm);
    const args = ["", "a\nb", "\\", "\\n", "\\c", "%s %b", "-n", "*", "$(id)", "`id`", "x=y", "é ☃", "tail\n", " lead"];
    const r = await d.run({ argv: ["sh", "-c", 'for a; do printf "[%s]" "$a"; done', "sh", ...args], ...call });
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stdout, args.map((a) => `[${a}]`).join(""));
    // Property: any argv without NUL comes back byte for byte.
    const printable = fc.string({ unit: "binary", maxLength: 12 }).filter((s) => !s.includes("\0"));
    await fc.assert(
      fc.asyncProperty(fc.array(printable, { maxLength: 5 }), async (xs) => {
        const got = await d.run({ argv: ["sh", "-c", 'for a; do printf "%s\\0" "$a"; done', "sh", ...xs], ...call });
        assert.is(got.stdout, xs.map((x) => `${x}\0`).join(""));
      }),
      { numRuns: 40 },
    );
  });
});

dtest("exit status and signals as with docker exec; output exact, without a trailing newline", async () => {
  await withWarm(async (warm) => {
    const d = driver(warm);
    const three = await d.run({ argv: ["sh", "-c", "printf out; printf err >&2; exit 3"], ...call });
    assert.equal([three.exitCode, three.signal, three.stdout, three.stderr], [3, null, "out", "err"]);
    const term = await d.run({ argv: ["sh", "-c", "kill -TERM $$"], ...call });
    assert.equal([term.exitCode, term.signal, term.timedOut], [null, "SIGTERM", false]);
    const missing = await d.run({ argv: ["no-such-program"], ...call });
    assert.is(missing.exitCode, 127);
    const empty = await d.run({ argv: ["cat"], ...call });
    assert.equal([empty.exitCode, empty.stdout], [0, ""], "standard input is empty");
  });
});

dtest("a tool cannot end its output early: it does not know the call's marker", async () => {
  await withWarm(async (warm) => {
    const d = driver(warm);
    const script =
      "printf 'a\\nsymbi-end-00000000000000000000000000000000 0\\n'; cat /proc/$PPID/cmdline >/dev/null; echo b";
    const r = await d.run({ argv: ["sh", "-c", script], ...call });
    assert.is(r.stdout, "a\nsymbi-end-00000000000000000000000000000000 0\nb\n");
  });
});

dtest("output past the cap is dropped and flagged; the call still ends", async () => {
  await withWarm(async (warm) => {
    const d = driver(warm);
    const r = await d.run({
      argv: ["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x; echo done >&2"],
      maxOutputBytes: 1000,
      ...call,
    });
    assert.is(r.exitCode, 0);
    assert.is(r.stdout, "x".repeat(1000));
    assert.ok(r.stdoutTruncated);
    assert.is(r.stderr, "done\n");
  });
});

dtest("calls at the same time: one through the launcher, the others by docker exec, all correct", async () => {
  await withWarm(async (warm) => {
    const d = driver(warm);
    await d.run({ argv: ["true"], ...call });
    const results = await Promise.all(
      [1, 2, 3].map((i) => d.run({ argv: ["sh", "-c", `sleep 0.3; echo ${i}; ${PARENT}`], ...call })),
    );
    assert.equal(
      results.map((r) => r.stdout.split("\n")[0]),
      ["1", "2", "3"],
    );
    assert.is(results.filter((r) => /symbi-launcher/.test(r.stdout)).length, 1, "one call at a time in the launcher");
    assert.is(new Set(results.map((r) => r.sandbox.id)).size, 1);
  });
});

dtest("a tool that leaves a process running does not hold up its call or end the launcher", async () => {
  await withWarm(async (warm) => {
    const d = driver(warm);
    const t0 = Date.now();
    const r = await d.run({ argv: ["sh", "-c", "(sleep 5; echo late) & echo now"], ...call });
    assert.is(r.stdout, "now\n");
    assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
    const next = await d.run({ argv: ["sh", "-c", `echo next; ${PARENT}`], ...call });
    assert.match(next.stdout, /^next\n.*symbi-launcher/);
  });
});

const cliUnavailable =
  unavailable ??
  (await docker
    .getImage(TOOLS_IMAGE)
    .inspect()
    .then(
      () => null,
      () => `image ${TOOLS_IMAGE} missing (npm run runtime:image)`,
    )) ??
  ((await runCli("docker", ["version", "--format", "{{.Client.Version}}"], { timeoutMs: 20_000 })).code === 0
    ? null
    : "the docker CLI is not installed");
const btest = cliUnavailable === null ? test : test.skip;
if (unavailable === null && cliUnavailable) console.log(`  warm launcher fallback test skipped: ${cliUnavailable}`);

btest("an image without sh: its warm container falls back to docker exec, calls still reuse it", async () => {
  const tag = `symbi-test-nosh:${process.pid}`;
  // Built from the tool image without `sh` (the RUN needs none: exec form), labelled as ours.
  const dockerfile = `FROM ${TOOLS_IMAGE}\nLABEL dev.symbi.test=warm-launcher\nUSER 0:0\nRUN ["rm", "-f", "/usr/bin/sh", "/usr/bin/dash", "/usr/bin/bash"]\n`;
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "symbi-nosh-"));
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  try {
    const built = await runCli("docker", ["build", "-q", "--force-rm", "--network", "none", "-t", tag, dir], {
      timeoutMs: 120_000,
    });
    assert.is(built.code, 0, built.stderr);
    await withWarm(async (warm) => {
      const d = driver(warm, { image: tag });
      const a = await d.run({ argv: ["echo", "one"], ...call });
      const b = await d.run({ argv: ["cat", "/proc/1/cmdline"], ...call });
      assert.is(a.stdout, "one\n");
      assert.is(a.sandbox.id, b.sandbox.id);
      assert.match(b.stdout.replace(/\0/g, " "), /sleep/, "the container's process is sleep");
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await runCli("docker", ["rmi", "-f", tag], { timeoutMs: 60_000 });
  }
});

dtest("a fast loop of calls does not run out of pids: busybox's timeout watchers outlive their calls", async () => {
  // Each call's `timeout` wrapper (busybox) leaves a watcher for up to a second; 24 calls as
  // fast as the launcher allows would pass a pids limit of 16 without LauncherChannel.pace.
  await withWarm(async (warm) => {
    const d = driver(warm, { pids: 16 });
    for (let i = 0; i < 24; i++) {
      const r = await d.run({ argv: ["echo", String(i)], ...call });
      assert.is(r.stdout, `${i}\n`, r.stderr);
    }
  });
});

dtest("nothing is left behind by this file", async () => {
  assert.equal(liveSandboxIds(), []);
  assert.equal(
    await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dev.symbi.run=${RUN_ID}`] }) }),
    [],
  );
});

test.run();
