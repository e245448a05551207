/**
 * The tool host of a Kubernetes pod and the runtime's driver for it, without a pod: the wire
 * format and its bounds, the confinement comparison, and a real tool host on loopback running
 * real calls (the pod itself is test/sandbox/podman.test.ts). Outside a container the report
 * cannot match a manifest, so these runs compare with a stand-in `verify`; the comparison itself
 * is tested on its own.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { defaultSandboxManifest, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import {
  SandboxAbortedError,
  SandboxEngineError,
  SandboxUnavailableError,
  SandboxUnsupportedError,
} from "../../runtime/sandbox/errors.js";
import {
  checkConfinement,
  isGvisor,
  memTotal,
  probeConfinement,
  rootReadOnly,
  type ConfinementReport,
} from "../../runtime/sandbox/tool-host/confinement.js";
import { PodSandbox, ToolHostClient } from "../../runtime/sandbox/tool-host/client.js";
import { parseHostPort } from "../../runtime/cli/address.js";
import { UserError } from "../../formats/exit-codes.js";
import {
  LineSplitter,
  parseToRuntime,
  parseToToolHost,
  ProtocolError,
  TOOL_HOST_PROTOCOL,
} from "../../runtime/sandbox/tool-host/protocol.js";
import { serveToolHost, type ToolHostOutcome } from "../../runtime/sandbox/tool-host/server.js";
import { tempDir } from "../audit/helpers.js";
import { symbi } from "../helpers/symbi.js";

const MiB = 1024 * 1024;

function manifest(o: Partial<Parameters<typeof defaultSandboxManifest>[0]> = {}): SandboxManifest {
  return defaultSandboxManifest({ agent: "a", tier: "tier1", memoryMb: 128, cpus: 1, pids: 32, ...o });
}

/** What a tools container holding `manifest()` reports. */
function goodReport(o: Partial<ConfinementReport> = {}): ConfinementReport {
  return {
    uid: 65534,
    gid: 65534,
    capEff: "0000000000000000",
    noNewPrivs: true,
    seccomp: 2,
    rootReadOnly: true,
    memoryLimitBytes: (128 + 96) * MiB,
    cpuLimit: 1,
    kernel: "6.1.0",
    gvisor: false,
    interfaces: [],
    apiServer: null,
    image: "symbi-runtime:1",
    toolsImage: "symbi-tools:1",
    ...o,
  };
}
const check = (r: ConfinementReport, m = manifest()) => checkConfinement(r, m, { memoryAllowanceMb: 96 });

// ---- wire format ----

test("lines: split across chunks, bounded even without a newline", () => {
  const s = new LineSplitter(10);
  assert.equal(s.push(Buffer.from("ab")), []);
  assert.equal(s.push(Buffer.from("c\nde\nf")), ["abc", "de"]);
  assert.equal(s.push(Buffer.from("\n")), ["f"]);
  assert.throws(
    () => new LineSplitter(4).push(Buffer.from("12345")),
    (e: unknown) => e instanceof ProtocolError,
  );
  assert.throws(
    () => {
      const t = new LineSplitter(4);
      t.push(Buffer.from("12"));
      t.push(Buffer.from("345"));
    },
    (e: unknown) => e instanceof ProtocolError,
  );
});

test("messages from the tool host are checked field by field", () => {
  const cap = (id: number) => (id === 1 ? 4 : undefined);
  const result = {
    exitCode: 0,
    signal: null,
    stdout: "ok",
    stderr: "",
    stdoutTruncated: false,
    stderrTruncated: false,
    durationMs: 1,
    timedOut: false,
    oomKilled: false,
    id: "pid 7",
  };
  const ok = parseToRuntime(JSON.stringify({ type: "result", id: 1, result }), cap);
  assert.is(ok.type, "result");
  const bad = [
    "not json",
    "[1]",
    JSON.stringify({ type: "surprise" }),
    JSON.stringify({ type: "result", id: 2, result }), // no such call
    JSON.stringify({ type: "result", id: 1, result: { ...result, stdout: "12345" } }), // over the call's cap
    JSON.stringify({ type: "result", id: 1, result: { ...result, exitCode: -1 } }),
    JSON.stringify({ type: "result", id: 1, result: { ...result, signal: "kill -9; rm" } }),
    JSON.stringify({ type: "result", id: 1, result: { ...result, durationMs: "1" } }),
    JSON.stringify({ type: "error", id: 1, code: "SOMETHING", message: "x" }),
    JSON.stringify({ type: "hello", protocol: TOOL_HOST_PROTOCOL }),
  ];
  for (const line of bad)
    assert.throws(
      () => parseToRuntime(line, cap),
      (e: unknown) => e instanceof ProtocolError,
      line,
    );
});

test("requests to the tool host are checked field by field", () => {
  const run = { type: "run", id: 3, manifest: {}, argv: ["echo"], timeoutMs: 5, maxOutputBytes: 10 };
  assert.is(parseToToolHost(JSON.stringify(run)).type, "run");
  assert.equal(parseToToolHost(JSON.stringify({ type: "abort", id: 3 })), { type: "abort", id: 3 });
  for (const m of [
    { ...run, id: 0 },
    { ...run, argv: "echo" },
    { ...run, argv: [1] },
    { ...run, timeoutMs: 0 },
    { ...run, maxOutputBytes: 1.5 },
    { ...run, stdin: 5 },
    { type: "abort", id: "3" },
    { type: "exec" },
  ])
    assert.throws(
      () => parseToToolHost(JSON.stringify(m)),
      (e: unknown) => e instanceof ProtocolError,
    );
});

test("tool host addresses are HOST:PORT", () => {
  assert.equal(parseHostPort("--tool-host", "127.0.0.1:7070"), { host: "127.0.0.1", port: 7070 });
  assert.equal(parseHostPort("--tool-host", "[::1]:7070"), { host: "::1", port: 7070 });
  for (const bad of ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "::1:7070", "host:port", " a:1"])
    assert.throws(
      () => parseHostPort("--tool-host", bad),
      (e: unknown) => e instanceof UserError && e.message.startsWith("--tool-host: "),
      bad,
    );
});

// ---- confinement ----

test("a container that holds the manifest passes; each shortfall is named", () => {
  assert.equal(check(goodReport()), []);
  const cases: Array<[Partial<ConfinementReport>, RegExp]> = [
    [{ uid: 0, gid: 0 }, /runs as 0:0, not 65534:65534/],
    [{ capEff: "00000000a80425fb" }, /has capabilities/],
    [{ capEff: "unknown" }, /has capabilities/],
    [{ noNewPrivs: false }, /no_new_privs/],
    [{ rootReadOnly: false }, /writable root filesystem/],
    [{ rootReadOnly: null }, /writable root filesystem/],
    [{ seccomp: 0 }, /no seccomp filter/],
    [{ memoryLimitBytes: null }, /no memory limit/],
    [{ memoryLimitBytes: 512 * MiB }, /memory limit of 512 MiB, above 224 MiB/],
    [{ cpuLimit: null }, /no CPU limit/],
    [{ cpuLimit: 2 }, /CPU limit of 2 cores/],
    [{ interfaces: ["eth0"] }, /no Kubernetes API server to prove/],
    [
      { interfaces: ["eth0"], apiServer: { address: "10.96.0.1:443", reachable: true } },
      /NetworkPolicy .* is not enforced/,
    ],
  ];
  for (const [change, why] of cases) {
    const wrong = check(goodReport(change));
    assert.is(wrong.length, 1, JSON.stringify(change));
    assert.match(wrong[0]!, why);
  }
});

test("network: interfaces are fine when the API server is out of reach, or allowlisted", () => {
  const blocked = { interfaces: ["eth0"], apiServer: { address: "10.96.0.1:443", reachable: false } };
  assert.equal(check(goodReport(blocked)), []);
  const reachable = { interfaces: ["eth0"], apiServer: { address: "10.96.0.1:443", reachable: true } };
  const allowing = manifest({ network: { mode: "allowlist", allow: [{ host: "10.96.0.0/12", port: 443 }] } });
  assert.equal(check(goodReport(reachable), allowing), []);
  const other = manifest({ network: { mode: "allowlist", allow: [{ host: "10.96.0.0/12", port: 6443 }] } });
  assert.is(check(goodReport(reachable), other).length, 1);
});

test("tier2 needs gVisor's kernel, which is also the system-call boundary and hides the CPU quota", () => {
  const m = manifest({ tier: "tier2" });
  assert.match(check(goodReport(), m).join(), /does not run under gVisor/);
  assert.equal(check(goodReport({ gvisor: true, seccomp: 0, cpuLimit: null }), m), []);
  assert.match(check(goodReport({ gvisor: true, memoryLimitBytes: null }), m).join(), /no memory limit/);
  // gVisor's fixed version string, as its /proc/version says it (measured under Debian's runsc).
  assert.ok(isGvisor("Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016\n"));
  assert.not.ok(isGvisor("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian\n"));
  assert.is(memTotal("MemTotal:         229376 kB\nMemFree: 1 kB\n"), 224 * MiB);
  assert.is(memTotal("nothing"), null);
});

test("the root mount's options decide read-only", () => {
  const line = (mountPoint: string, options: string) =>
    `100 90 0:50 / ${mountPoint} ${options} master:1 - overlay overlay rw,lowerdir=/x`;
  assert.is(rootReadOnly([line("/", "ro,relatime"), line("/tmp", "rw")].join("\n")), true);
  assert.is(rootReadOnly([line("/", "rw,relatime")].join("\n")), false);
  // The last mount on / is what the process sees.
  assert.is(rootReadOnly([line("/", "ro"), line("/", "rw")].join("\n")), false);
  assert.is(rootReadOnly(line("/tmp", "ro")), null);
  assert.is(rootReadOnly(null), null);
});

test("the probe measures this process", async () => {
  const r = await probeConfinement({});
  assert.is(r.uid, process.getuid!());
  assert.is(r.gid, process.getgid!());
  assert.match(r.capEff, /^[0-9a-f]{16}$/);
  assert.is(r.apiServer, null);
  assert.is(r.image, null);
});

// ---- a real tool host on loopback ----

interface Host {
  port: number;
  done: Promise<ToolHostOutcome>;
  stop: AbortController;
}

async function startHost(report = goodReport()): Promise<Host> {
  const stop = new AbortController();
  let ready!: (port: number) => void;
  const listening = new Promise<number>((resolve) => (ready = resolve));
  const done = serveToolHost({
    host: "127.0.0.1",
    port: 0,
    acceptTimeoutMs: 20_000,
    signal: stop.signal,
    report: async () => report,
    onListening: ready,
  });
  return { port: await listening, done, stop };
}

const trusting = { verify: () => [] as string[] };

test("calls run in the tool host: output, exit status, the limits of the call", async () => {
  const host = await startHost();
  const client = new ToolHostClient({ host: "127.0.0.1", port: host.port }, trusting);
  const sandbox = new PodSandbox(manifest(), client);
  await sandbox.check();
  assert.equal(sandbox.imageIdentity(), { reference: "symbi-runtime:1", id: null, digest: null });
  const r = await sandbox.run({ argv: ["sh", "-c", "echo out; echo err >&2; exit 3"] });
  assert.equal([r.exitCode, r.stdout, r.stderr, r.timedOut], [3, "out\n", "err\n", false]);
  assert.equal(r.sandbox.tier, "tier1");
  assert.match(r.sandbox.id, /^tool-host pid \d+$/);
  const capped = await sandbox.run({ argv: ["sh", "-c", "head -c 5000 /dev/zero"], maxOutputBytes: 100 });
  assert.equal([capped.stdout.length, capped.stdoutTruncated], [100, true]);
  const slow = await sandbox.run({ argv: ["sleep", "5"], timeoutMs: 300 });
  assert.equal([slow.timedOut, slow.exitCode, slow.signal], [true, null, "SIGKILL"]);
  // Overlapping calls are told apart.
  const [a, b] = await Promise.all([
    sandbox.run({ argv: ["sh", "-c", "sleep 0.2; echo a"] }),
    sandbox.run({ argv: ["echo", "b"] }),
  ]);
  assert.equal([a.stdout, b.stdout], ["a\n", "b\n"]);
  await client.close();
  const outcome = await host.done;
  assert.equal(outcome, { ok: true, calls: 5 });
});

test("an abort kills the call; the runtime going away kills every call and ends the tool host", async () => {
  const host = await startHost();
  const client = new ToolHostClient({ host: "127.0.0.1", port: host.port }, trusting);
  const sandbox = new PodSandbox(manifest(), client);
  const ac = new AbortController();
  const started = Date.now();
  const call = sandbox.run({ argv: ["sleep", "30"], signal: ac.signal });
  setTimeout(() => ac.abort(), 300);
  await call.then(
    () => assert.unreachable("the aborted call resolved"),
    (e: unknown) => assert.ok(e instanceof SandboxAbortedError, String(e)),
  );
  assert.ok(Date.now() - started < 5000);
  const pending = sandbox.run({ argv: ["sleep", "30"] }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 300));
  await client.close();
  const outcome = await host.done;
  assert.is(outcome.ok, true);
  assert.ok((await pending) instanceof SandboxEngineError);
  assert.ok(Date.now() - started < 10_000);
});

test("the tool host serves one runtime only: a second connection is turned away", async () => {
  const host = await startHost();
  const client = new ToolHostClient({ host: "127.0.0.1", port: host.port }, trusting);
  await client.connect();
  const second = await new Promise<string>((resolve) => {
    const s = connect({ host: "127.0.0.1", port: host.port });
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("error", () => resolve(`refused ${got}`));
    s.on("close", () => resolve(`closed ${got}`));
  });
  assert.not.match(second, /hello/);
  await client.close();
  await host.done;
});

test("a container that does not hold the manifest refuses the run, naming why", async () => {
  const host = await startHost(goodReport({ rootReadOnly: false, uid: 0, gid: 0 }));
  const client = new ToolHostClient({ host: "127.0.0.1", port: host.port }); // the real comparison
  const sandbox = new PodSandbox(manifest(), client);
  await sandbox.check().then(
    () => assert.unreachable("accepted"),
    (e: unknown) => {
      assert.ok(e instanceof SandboxUnavailableError);
      assert.match(
        (e as Error).message,
        /does not hold agent a's sandbox manifest \(tier1\): it runs as 0:0, not 65534:65534; it has a writable root filesystem/,
      );
    },
  );
  // Another image than the pod's, or host names without the egress gateway: refused too.
  await new PodSandbox(manifest({ image: "other:1" }), client).check().then(
    () => assert.unreachable("accepted"),
    (e: unknown) => assert.ok(e instanceof SandboxUnsupportedError && /image other:1 cannot be used/.test(e.message)),
  );
  await client.close();
  await host.done;
});

test("what a pod cannot give is refused before connecting: fresh containers, host mounts", async () => {
  const nowhere = new ToolHostClient({ host: "127.0.0.1", port: 9 }, { connectTimeoutMs: 100 });
  const refused = async (s: PodSandbox, why: RegExp) =>
    s.check().then(
      () => assert.unreachable("accepted"),
      (e: unknown) => assert.ok(e instanceof SandboxUnsupportedError && why.test(e.message), String(e)),
    );
  const fresh = { ...manifest(), fresh: true as const };
  await refused(new PodSandbox(fresh, nowhere), /`fresh = true` asks for one container per call/);
  await refused(new PodSandbox(manifest(), nowhere, true), /`fresh = true` asks for one container per call/);
  const mounted = { ...manifest(), mounts: [{ source: "/srv/lists", target: "/lists", readOnly: true as const }] };
  await refused(new PodSandbox(mounted, nowhere), /host mounts \(\/srv\/lists\) have no place/);
});

test("host names need the egress gateway; addresses alone are the NetworkPolicy's", async () => {
  const host = await startHost();
  const client = new ToolHostClient({ host: "127.0.0.1", port: host.port }, trusting);
  const named = manifest({ network: { mode: "allowlist", allow: [{ host: "api.example.org", port: 443 }] } });
  await new PodSandbox(named, client).check().then(
    () => assert.unreachable("accepted"),
    (e: unknown) => assert.ok(e instanceof SandboxUnavailableError && /--egress-gateway/.test(e.message), String(e)),
  );
  const addressed = manifest({ network: { mode: "allowlist", allow: [{ host: "10.0.0.1", port: 443 }] } });
  await new PodSandbox(addressed, client).check();
  await client.close();
  await host.done;
});

/** A tool host stand-in that says hello and then does what `then` says. */
async function fakeHost(then: (s: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => {
    s.on("error", () => undefined); // the client hangs up on a host that misbehaves
    s.write(`${JSON.stringify({ type: "hello", protocol: TOOL_HOST_PROTOCOL, report: goodReport() })}\n`);
    s.once("data", () => then(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, server };
}

test("a tool host that breaks the protocol or goes silent ends the run's sandbox, bounded", async () => {
  const garbage = await fakeHost((s) => s.write("{not json}\n"));
  const c1 = new ToolHostClient({ host: "127.0.0.1", port: garbage.port }, trusting);
  const e1 = await new PodSandbox(manifest(), c1).run({ argv: ["true"] }).catch((e: unknown) => e);
  assert.ok(e1 instanceof SandboxEngineError && /broke the protocol/.test(e1.message), String(e1));
  // Later calls fail at once: the connection is gone.
  const e1b = await new PodSandbox(manifest(), c1).run({ argv: ["true"] }).catch((e: unknown) => e);
  assert.ok(e1b instanceof SandboxEngineError);
  garbage.server.close();

  const flood = await fakeHost((s) => s.write(Buffer.alloc(17 * MiB, 0x61)));
  const c2 = new ToolHostClient({ host: "127.0.0.1", port: flood.port }, trusting);
  const e2 = await new PodSandbox(manifest(), c2).run({ argv: ["true"] }).catch((e: unknown) => e);
  assert.ok(e2 instanceof SandboxEngineError && /longer than/.test(e2.message), String(e2));
  flood.server.close();

  const silent = await fakeHost(() => undefined);
  const c3 = new ToolHostClient({ host: "127.0.0.1", port: silent.port }, { ...trusting, resultGraceMs: 200 });
  const e3 = await new PodSandbox(manifest(), c3).run({ argv: ["true"], timeoutMs: 100 }).catch((e: unknown) => e);
  assert.ok(e3 instanceof SandboxEngineError && /gave no result within 300 ms/.test(e3.message), String(e3));
  silent.server.close();
});

test("no tool host: the check fails with where it looked", async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as AddressInfo).port;
  probe.close();
  const client = new ToolHostClient({ host: "127.0.0.1", port }, { connectTimeoutMs: 300 });
  await new PodSandbox(manifest(), client).check().then(
    () => assert.unreachable("connected"),
    (e: unknown) =>
      assert.ok(e instanceof SandboxUnavailableError && /no tool host answers at 127\.0\.0\.1:\d+/.test(e.message)),
  );
});

test("the tool host gives up when no runtime comes", async () => {
  const outcome = await serveToolHost({
    host: "127.0.0.1",
    port: 0,
    acceptTimeoutMs: 200,
    report: async () => goodReport(),
  });
  assert.equal(outcome, { ok: false, calls: 0, reason: "no runtime connected within 200 ms" });
});

// ---- the command lines ----

test("symbi exec's pod options: usage errors are one line, exit 1; the process tier has no tool host", async () => {
  const agent = "examples/quickstart/agent.symbi";
  const input = ["--input", '{"name": "Ada", "number": 6}'];
  const cases: Array<[string[], RegExp]> = [
    [["--tool-host", "nope"], /^symbi: error: --tool-host: "nope" is not HOST:PORT\n$/],
    [
      ["--egress-gateway", "127.0.0.1:2"],
      /^symbi: error: --egress-gateway and --egress-token-file go with --tool-host/,
    ],
    [
      ["--tool-host", "127.0.0.1:1", "--egress-gateway", "127.0.0.1:2"],
      /^symbi: error: --egress-gateway and --egress-token-file go together/,
    ],
    [
      ["--tool-host", "127.0.0.1:1", "--egress-gateway", "127.0.0.1:2", "--egress-token-file", "/nonexistent/token"],
      /^symbi: error: cannot read the egress token file \/nonexistent\/token/,
    ],
    [
      ["--tool-host", "127.0.0.1:1"],
      /^symbi: error: agent quickstart runs in the process tier, which has no tool host/,
    ],
  ];
  for (const [args, expected] of cases) {
    const r = await symbi("exec", agent, ...input, ...args);
    assert.is(r.code, 1, args.join(" "));
    assert.match(r.stderr, expected);
    assert.is(r.stdout, "");
  }
});

test("symbi tool-host and symbi egress-gateway refuse bad options", async () => {
  const { dir, cleanup } = tempDir("symbi-cli-");
  try {
    const short = join(dir, "short");
    writeFileSync(short, "abc\n");
    const cases: Array<[string[], RegExp]> = [
      [["tool-host", "--listen", "7070"], /^symbi: error: --listen: "7070" is not HOST:PORT/],
      [
        ["tool-host", "--listen", "127.0.0.1:7070", "--accept-timeout", "0"],
        /--accept-timeout must be a positive number/,
      ],
      [
        ["egress-gateway", "--listen", "127.0.0.1:1", "--allow", "example.org", "--token-file", short],
        /--allow "example.org" is not HOST:PORT/,
      ],
      [
        ["egress-gateway", "--listen", "127.0.0.1:1", "--allow", "10.0.0.0/40:443", "--token-file", short],
        /10\.0\.0\.0\/40 is not a CIDR block/,
      ],
      [
        ["egress-gateway", "--listen", "127.0.0.1:1", "--allow", "example.org:443", "--token-file", short],
        /must hold one line of 16 to 4096 visible ASCII characters/,
      ],
    ];
    for (const [args, expected] of cases) {
      const r = await symbi(...args);
      assert.is(r.code, 1, args.join(" "));
      assert.match(r.stderr, expected);
    }
  } finally {
    cleanup();
  }
});

test.run();
