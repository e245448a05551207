/**
 * The Docker driver without a working daemon (runs everywhere): a dead or silent daemon gives one
 * clear typed error line, never a hang; and the container settings are exactly the manifest's.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { defaultSandboxManifest } from "../../formats/sandbox-manifest.js";
import { seccompProfileProblem } from "../../runtime/sandbox/seccomp.js";
import { LAUNCHER_SCRIPT } from "../../runtime/sandbox/warm-launcher.js";
import {
  DockerSandbox,
  gvisorHostPidsLimit,
  gvisorSeccompProfile,
  loadSeccompProfile,
  SandboxUnavailableError,
  SandboxUnsupportedError,
  isSandboxError,
} from "../../runtime/sandbox/index.js";

const manifest = (o: Parameters<typeof defaultSandboxManifest>[0] extends infer T ? Partial<T> : never = {}) =>
  defaultSandboxManifest({ agent: "errs", tier: "tier1", ...o });

test("a dead daemon (no socket): SandboxUnavailableError with one line, quickly", async () => {
  const dir = mkdtempSync(join(tmpdir(), "symbi-nodocker-"));
  try {
    const s = new DockerSandbox(manifest(), { docker: new Docker({ socketPath: join(dir, "docker.sock") }) });
    const t0 = Date.now();
    await s.run({ argv: ["true"] }).then(
      () => assert.unreachable("should fail"),
      (e) => {
        assert.instance(e, SandboxUnavailableError);
        assert.ok(isSandboxError(e));
        assert.is((e as SandboxUnavailableError).code, "SANDBOX_UNAVAILABLE");
        assert.match((e as Error).message, /^Docker daemon not reachable at .*ENOENT/);
        assert.not.match((e as Error).message, /\n/);
      },
    );
    assert.ok(Date.now() - t0 < 3000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a daemon that accepts but never answers: an error after the engine timeout, not a hang", async () => {
  const dir = mkdtempSync(join(tmpdir(), "symbi-silentdocker-"));
  const sock = join(dir, "docker.sock");
  const held: Socket[] = [];
  const server = createServer((c) => held.push(c)); // accepts, reads nothing, answers nothing
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    const s = new DockerSandbox(manifest(), { docker: new Docker({ socketPath: sock }), engineTimeoutMs: 300 });
    const t0 = Date.now();
    await s.check().then(
      () => assert.unreachable("should fail"),
      (e) => {
        assert.instance(e, SandboxUnavailableError);
        assert.match((e as Error).message, /no answer within 300 ms/);
      },
    );
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  } finally {
    for (const c of held) c.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a network allowlist is refused before the daemon is even asked", async () => {
  const s = new DockerSandbox(manifest({ network: { mode: "allowlist", allow: [{ host: "10.0.0.1", port: 443 }] } }), {
    docker: new Docker({ socketPath: "/nonexistent/docker.sock" }),
  });
  await s.check().then(
    () => assert.unreachable("should refuse"),
    (e) => {
      assert.instance(e, SandboxUnsupportedError);
      assert.match((e as Error).message, /cannot enforce a network allowlist \(10\.0\.0\.1:443\)/);
    },
  );
});

/** Runs `f` with SYMBI_SECCOMP_PROFILE naming a small deny-by-default profile of our own. */
function withTestProfile<T>(f: (json: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "symbi-seccomp-"));
  const profile = {
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" }],
  };
  writeFileSync(join(dir, "p.json"), JSON.stringify(profile, null, 2));
  const before = process.env.SYMBI_SECCOMP_PROFILE;
  process.env.SYMBI_SECCOMP_PROFILE = join(dir, "p.json");
  try {
    return f(JSON.stringify(profile));
  } finally {
    if (before === undefined) delete process.env.SYMBI_SECCOMP_PROFILE;
    else process.env.SYMBI_SECCOMP_PROFILE = before;
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the container settings are exactly the manifest's", () => {
  const m = manifest({
    memoryMb: 100,
    cpus: 0.5,
    pids: 20,
    user: "65100:65200",
    workdir: "/tmp/w",
    env: { LANG: "C", PATH: "/opt/bin" },
    tmpSizeMb: 16,
    timeoutMs: 30_000,
  });
  m.tmpfs.push({ path: "/run", mode: "0755", sizeMb: 2 });
  m.mounts = [{ source: "/srv/lists", target: "/lists", readOnly: true }];
  withTestProfile((profileJson) => {
    const before = Date.now();
    const spec = new DockerSandbox(m, { runId: "Spec Run!" }).containerSpec(
      "symbi-x-1",
      ["scan", "--fast", "a b"],
      false,
    );
    // The call's own limit inside the container: timeout + 1 s, whole seconds.
    assert.equal(spec.Entrypoint, ["timeout", "-s", "KILL", "31", "scan"]);
    assert.equal(spec.Cmd, ["--fast", "a b"]);
    assert.is(spec.Image, "symbi-sandbox:1");
    assert.is(spec.User, "65100:65200");
    assert.is(spec.WorkingDir, "/tmp/w");
    assert.equal(spec.Env, ["PATH=/opt/bin", "LANG=C", "HOME=/tmp", "TMPDIR=/tmp"]);
    assert.is(spec.NetworkDisabled, true);
    assert.is(spec.OpenStdin, false);
    const { "dev.symbi.deadline": deadline, ...labels } = spec.Labels!;
    assert.equal(labels, {
      "dev.symbi.sandbox": "1",
      "dev.symbi.run": "spec-run",
      "dev.symbi.agent": "errs",
      "dev.symbi.tier": "tier1",
      "dev.symbi.mode": "call",
    });
    assert.ok(Number(deadline) >= before + 31_000 && Number(deadline) <= Date.now() + 31_000 + 20_000, deadline);
    assert.equal(spec.HostConfig, {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Tmpfs: {
        "/tmp": "rw,nosuid,nodev,noexec,size=16m,mode=1777",
        "/run": "rw,nosuid,nodev,noexec,size=2m,mode=0755",
      },
      CapDrop: ["ALL"],
      SecurityOpt: [`seccomp=${profileJson}`, "no-new-privileges:true"],
      Memory: 100 * 1024 * 1024,
      MemorySwap: 100 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 20,
      Runtime: "runc",
      Privileged: false,
      Init: true,
      LogConfig: { Type: "none", Config: {} },
      AutoRemove: false,
      Mounts: [
        {
          Type: "bind",
          Source: "/srv/lists",
          Target: "/lists",
          ReadOnly: true,
          BindOptions: { Propagation: "rprivate" },
        },
      ],
    });
    const t2 = new DockerSandbox(manifest({ tier: "tier2", pids: 32 })).containerSpec("n", ["x"], true);
    assert.is(t2.HostConfig?.Runtime, "runsc");
    // gVisor's own threads count against the host pids limit; the tool's tasks are bounded inside.
    assert.is(t2.HostConfig?.PidsLimit, gvisorHostPidsLimit(32));
    assert.equal(t2.HostConfig?.Ulimits, [{ Name: "nproc", Soft: 32, Hard: 32 }]);
    assert.is(t2.OpenStdin, true);
    assert.is(t2.StdinOnce, true);
    // Tier2's profile is Docker's with clone3 as TRACE and no ptrace (seccomp.ts).
    assert.ok(t2.HostConfig?.SecurityOpt?.includes(`seccomp=${gvisorSeccompProfile(loadSeccompProfile()).json}`));
    // A warm container's process is the launcher under the block's limit, its stdin the runtime's.
    const warmDriver = new DockerSandbox(m, { runId: "w" });
    const warm = warmDriver.warmContainerSpec("symbi-w-w1");
    assert.equal(warm.Entrypoint, ["timeout", "-s", "KILL", "31", "sh", "-c", LAUNCHER_SCRIPT, "symbi-launcher"]);
    assert.equal([warm.OpenStdin, warm.StdinOnce, warm.AttachStdin], [true, true, true]);
    assert.is(warm.Labels?.["dev.symbi.mode"], "warm");
    assert.equal(warm.HostConfig, spec.HostConfig);
    // Without a launcher (no sh or env in the image): `sleep` under the same limit.
    const sleeping = warmDriver.sleepContainerSpec("symbi-w-w1");
    assert.equal(sleeping.Entrypoint, ["sleep", "31"]);
    assert.equal([sleeping.OpenStdin, sleeping.AttachStdin], [false, false]);
  });
});

test("item 12: Docker's default seccomp profile is passed explicitly; a permissive one is refused", () => {
  withTestProfile((profileJson) => {
    const spec = new DockerSandbox(manifest()).containerSpec("n", ["x"], false);
    // Whatever the daemon's own default is, the container gets this profile.
    assert.ok(
      spec.HostConfig?.SecurityOpt?.includes(`seccomp=${profileJson}`),
      JSON.stringify(spec.HostConfig?.SecurityOpt),
    );
  });
  assert.match(String(seccompProfileProblem({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] })), /lets every syscall/);
  assert.match(String(seccompProfileProblem({ defaultAction: "SCMP_ACT_LOG", syscalls: [{}] })), /lets every syscall/);
  assert.is(seccompProfileProblem({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"] }] }), null);
  const dir = mkdtempSync(join(tmpdir(), "symbi-seccomp-"));
  try {
    writeFileSync(join(dir, "allow.json"), JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] }));
    assert.throws(
      () => loadSeccompProfile({ SYMBI_SECCOMP_PROFILE: join(dir, "allow.json") }),
      (e: unknown) =>
        e instanceof SandboxUnavailableError && /refused: its defaultAction SCMP_ACT_ALLOW/.test((e as Error).message),
    );
    assert.throws(
      () => loadSeccompProfile({ SYMBI_SECCOMP_PROFILE: join(dir, "none.json") }),
      (e: unknown) => e instanceof SandboxUnavailableError && /cannot be read/.test((e as Error).message),
    );
    // No profile anywhere: the container tiers refuse, and say how to get it.
    assert.throws(
      () => loadSeccompProfile({ XDG_DATA_HOME: dir, HOME: dir }),
      (e: unknown) => e instanceof SandboxUnavailableError && /npm run sandbox:image/.test((e as Error).message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Docker driver refuses a process-tier manifest", () => {
  assert.throws(() => new DockerSandbox(defaultSandboxManifest({ agent: "a", tier: "process" })), /tier1 or tier2/);
});

test.run();
