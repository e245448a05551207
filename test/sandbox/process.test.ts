/**
 * The process tier, proved by running real child processes: scrubbed environment, private
 * temporary directory (removed afterwards), rlimits, network namespace, privilege drop, and
 * kills of the whole process group on timeout, abort and exit.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { defaultSandboxManifest, type SandboxManifestOptions } from "../../formats/sandbox-manifest.js";
import {
  ProcessSandbox,
  SandboxAbortedError,
  SandboxUnsupportedError,
  createSandbox,
  liveSandboxIds,
  type SandboxRunResult,
} from "../../runtime/sandbox/index.js";

const asRoot = process.getuid?.() === 0;

function sandbox(o: Partial<SandboxManifestOptions> = {}, allowHostNetwork = false): ProcessSandbox {
  return new ProcessSandbox(defaultSandboxManifest({ agent: "dev", tier: "process", timeoutMs: 10_000, ...o }), {
    allowHostNetwork,
  });
}

/** Running (or sleeping): a zombie has been killed and only waits for its new parent to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** Waits briefly for the kernel to reap a killed process (it is gone, but not always instantly). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

const sh = (script: string) => ["/bin/sh", "-c", script];

test("exit status, stdout and stderr are captured separately", async () => {
  const r = await sandbox().run({ argv: sh("echo out; echo err >&2; exit 7") });
  assert.is(r.exitCode, 7);
  assert.is(r.signal, null);
  assert.is(r.stdout, "out\n");
  assert.is(r.stderr, "err\n");
  assert.is(r.timedOut, false);
  assert.is(r.sandbox.tier, "process");
});

test("argv is passed as is, never through a shell", async () => {
  const r = await sandbox().run({ argv: ["/bin/echo", "$HOME; rm -rf /", "`id`"] });
  assert.is(r.stdout, "$HOME; rm -rf / `id`\n");
});

test("a missing program exits with status 127", async () => {
  const r = await sandbox().run({ argv: ["no-such-program-here"] });
  assert.is(r.exitCode, 127);
  assert.match(r.stderr, /no-such-program-here/);
});

test("the environment is scrubbed: only PATH, HOME, TMPDIR and the manifest's env", async () => {
  process.env.SYMBI_TEST_SECRET = "hunter2";
  try {
    const r = await sandbox({ env: { LANG: "C" } }).run({ argv: ["/usr/bin/env"] });
    const names = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("=")[0])
      .sort();
    assert.equal(names, ["HOME", "LANG", "PATH", "TMPDIR"]);
    assert.not.match(r.stdout, /hunter2/);
  } finally {
    delete process.env.SYMBI_TEST_SECRET;
  }
});

test("item 10: loader variables are refused, whatever the manifest's validation said", async () => {
  for (const name of ["LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH", "GLIBC_TUNABLES"]) {
    const m = { ...defaultSandboxManifest({ agent: "dev", tier: "process" }), env: { [name]: "/tmp/x.so" } };
    await new ProcessSandbox(m).run({ argv: ["/usr/bin/env"] }).then(
      (r) => assert.unreachable(`${name} reached the tool: ${r.stdout}`),
      (e) => {
        assert.instance(e, SandboxUnsupportedError);
        assert.match((e as Error).message, new RegExp(`sets ${name}, which steers the loader`));
      },
    );
  }
});

test("item 10: the tool's environment is applied only at its own exec, never to the helpers before it", async () => {
  // The helper that execs the tool is its parent (the in-sandbox deadline); it runs with no
  // environment at all, while the tool sees exactly its own.
  const r = await sandbox({ env: { MARKER: "tool-only" } }).run({
    argv: sh('echo "self=$MARKER"; echo "parent=$(tr "\\0" " " < /proc/$PPID/environ)"'),
  });
  assert.match(r.stdout, /^self=tool-only$/m);
  assert.match(r.stdout, /^parent=$/m);
});

test("a private temporary directory is the working directory, HOME and TMPDIR, and is removed afterwards", async () => {
  const r = await sandbox().run({
    argv: sh('pwd; echo "$HOME"; echo "$TMPDIR"; stat -c %a .; echo data > file && cat file'),
  });
  const [pwd, home, tmp, mode, data] = r.stdout.trim().split("\n");
  assert.ok(pwd && pwd.includes("symbi-sbx-"), r.stdout);
  assert.is(home, pwd);
  assert.is(tmp, pwd);
  assert.is(mode, "700");
  assert.is(data, "data");
  assert.not.ok(existsSync(pwd!), "the temporary directory must be deleted");
});

test("resource limits are set by the kernel before the tool starts", async () => {
  const r = await sandbox({ memoryMb: 128, pids: 20, timeoutMs: 4000, cpus: 0.5, tmpSizeMb: 8 }).run({
    argv: ["/bin/cat", "/proc/self/limits"],
  });
  const limit = (name: string) => new RegExp(`^${name}\\s+(\\S+)`, "m").exec(r.stdout)?.[1];
  assert.is(limit("Max address space"), String(128 * 1024 * 1024));
  assert.is(limit("Max cpu time"), "2"); // cpus × timeout = 0.5 × 4 s
  assert.is(limit("Max file size"), String(8 * 1024 * 1024));
  assert.is(limit("Max core file size"), "0");
  assert.ok(Number(limit("Max processes")) >= 20, r.stdout);
});

test("the file-size limit stops a tool from filling the disk", async () => {
  const r = await sandbox({ tmpSizeMb: 1 }).run({
    argv: sh("head -c 3000000 /dev/zero > big; echo rc=$?; wc -c < big"),
  });
  assert.match(r.stdout, /rc=[1-9]/);
  assert.ok(Number(r.stdout.trim().split("\n").pop()) <= 1024 * 1024, r.stdout);
});

/** The network interfaces a tool in a default sandbox sees (/proc/net/dev). */
async function interfacesSeenByTool(): Promise<string[]> {
  const r = await sandbox().run({ argv: ["/bin/cat", "/proc/net/dev"] });
  return r.stdout
    .split("\n")
    .slice(2)
    .filter(Boolean)
    .map((l) => l.split(":")[0]!.trim());
}

test("no network: the tool sees only a loopback interface", async () => {
  assert.equal(await interfacesSeenByTool(), ["lo"]);
});

test("privileges: no_new_privs, and as root a switch to the manifest's non-root user with no capabilities", async () => {
  const r = await sandbox({ user: "65534:65534" }).run({
    argv: sh("id -u; id -g; grep -E '^(NoNewPrivs|CapEff|CapBnd|Groups):' /proc/self/status"),
  });
  assert.match(r.stdout, /^NoNewPrivs:\s+1$/m);
  const [uid, gid] = r.stdout.split("\n");
  assert.is.not(uid, "0");
  if (asRoot) {
    assert.is(uid, "65534");
    assert.is(gid, "65534");
    assert.match(r.stdout, /^CapEff:\s+0+$/m);
    assert.match(r.stdout, /^CapBnd:\s+0+$/m);
    assert.match(r.stdout, /^Groups:\s*$/m);
  }
});

test("item 1: uid/gid that wrap to root or a privileged group are refused again at run time", async () => {
  // A manifest that skipped validation (built by hand, edited after the build): the driver
  // checks the identity itself before it creates anything.
  for (const user of ["4294967295:1000", "65534:4294967295", "65534:106", "0:0"]) {
    const m = { ...defaultSandboxManifest({ agent: "dev", tier: "process" }), user };
    await new ProcessSandbox(m).run({ argv: sh("id -u; id -g") }).then(
      (r) => assert.unreachable(`${user} ran as ${r.stdout.replace(/\n/g, " ")}`),
      (e) => {
        assert.instance(e, SandboxUnsupportedError);
        assert.match((e as Error).message, new RegExp(`refusing to run the tool: sandbox user "${user}"`));
      },
    );
  }
});

test("timeout kills the whole process group, grandchildren included", async () => {
  const t0 = Date.now();
  const r = await sandbox({ timeoutMs: 500 }).run({ argv: sh("sleep 30 & echo $!; sleep 30") });
  assert.ok(Date.now() - t0 < 5000, "killed promptly");
  assert.is(r.timedOut, true);
  assert.is(r.exitCode, null);
  assert.is(r.signal, "SIGKILL");
  const grandchild = Number(r.stdout.trim());
  assert.ok(grandchild > 0, r.stdout);
  assert.ok(await gone(grandchild), `grandchild ${grandchild} survived`);
});

test("a background process left behind after a normal exit is killed too", async () => {
  const r = await sandbox().run({ argv: sh("sleep 30 >/dev/null 2>&1 & echo $!") });
  assert.is(r.exitCode, 0);
  assert.is(r.timedOut, false);
  assert.ok(await gone(Number(r.stdout.trim())), "the background sleep survived");
});

test("a shorter per-call timeout applies; the manifest's is the upper bound", async () => {
  const r = await sandbox({ timeoutMs: 300 }).run({ argv: ["/bin/sleep", "5"], timeoutMs: 60_000 });
  assert.is(r.timedOut, true);
  assert.ok(r.durationMs < 3000, String(r.durationMs));
  const r2 = await sandbox({ timeoutMs: 10_000 }).run({ argv: ["/bin/sleep", "5"], timeoutMs: 200 });
  assert.is(r2.timedOut, true);
  assert.ok(r2.durationMs < 3000, String(r2.durationMs));
});

test("abort kills the group, removes the directory and rejects with SandboxAbortedError", async () => {
  const ac = new AbortController();
  const s = sandbox();
  setTimeout(() => ac.abort(), 300);
  try {
    await s.run({ argv: sh("sleep 30"), signal: ac.signal });
    assert.unreachable("should have been aborted");
  } catch (e) {
    assert.instance(e, SandboxAbortedError);
  }
  assert.equal(liveSandboxIds(), []);
  // An already-aborted signal never starts anything.
  await s.run({ argv: ["/bin/true"], signal: AbortSignal.abort() }).then(
    () => assert.unreachable("should reject"),
    (e) => assert.instance(e, SandboxAbortedError),
  );
});

test("output is capped per stream and flagged; the tool is not blocked", async () => {
  const r = await sandbox().run({ argv: sh("head -c 300000 /dev/zero; echo tail >&2"), maxOutputBytes: 1000 });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout.length, 1000);
  assert.is(r.stdoutTruncated, true);
  assert.is(r.stderr, "tail\n");
  assert.is(r.stderrTruncated, false);
});

test("stdin is delivered and closed", async () => {
  const r: SandboxRunResult = await sandbox().run({ argv: ["/bin/cat"], stdin: "line one\nline two\n" });
  assert.is(r.stdout, "line one\nline two\n");
  const empty = await sandbox().run({ argv: ["/bin/cat"] });
  assert.is(empty.stdout, "");
});

test("a signal death is reported as a signal", async () => {
  const r = await sandbox().run({ argv: sh("kill -TERM $$") });
  assert.is(r.exitCode, null);
  assert.is(r.signal, "SIGTERM");
});

test("a network allowlist cannot be enforced here: refused unless host networking is accepted explicitly", async () => {
  const network = { mode: "allowlist" as const, allow: [{ host: "127.0.0.1", port: 9 }] };
  await sandbox({ network })
    .run({ argv: ["/bin/true"] })
    .then(
      () => assert.unreachable("should refuse"),
      (e) => {
        assert.instance(e, SandboxUnsupportedError);
        assert.match((e as Error).message, /cannot enforce a network allowlist/);
      },
    );
  const r = await sandbox({ network }, true).run({ argv: ["/bin/true"] });
  assert.is(r.exitCode, 0);
});

test("createSandbox validates the manifest and picks the driver by tier", () => {
  const p = createSandbox(defaultSandboxManifest({ agent: "a", tier: "process" }));
  assert.is(p.tier, "process");
  assert.instance(p, ProcessSandbox);
  assert.is(createSandbox(defaultSandboxManifest({ agent: "a", tier: "tier2" })).tier, "tier2");
  assert.throws(() => createSandbox({ tier: "process" }), /invalid sandbox manifest/);
});

test("bad argv is a TypeError before anything runs", async () => {
  for (const argv of [[], [""], ["a\0b"]]) {
    await sandbox()
      .run({ argv })
      .then(
        () => assert.unreachable("should reject"),
        (e) => assert.instance(e, TypeError),
      );
  }
});

test("the network-namespace probe runs once per process, not once per tool's sandbox", async () => {
  // Count the driver's probes (`unshare … -- /bin/true`; a tool's call starts `prlimit`):
  // node:child_process's exports are synced into the ES module namespace the driver imports from.
  const cp = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
  const original = cp.spawn;
  const probes: string[] = [];
  cp.spawn = ((file: string, args: readonly string[], ...rest: unknown[]) => {
    if (args.at(-1) === "/bin/true") probes.push(file);
    return (original as (...a: unknown[]) => unknown)(file, args, ...rest);
  }) as typeof cp.spawn;
  syncBuiltinESMExports();
  try {
    for (let i = 0; i < 3; i++) await sandbox().check();
  } finally {
    cp.spawn = original;
    syncBuiltinESMExports();
  }
  assert.ok(probes.length <= 1, `probes: ${probes.join(", ")}`);
  // And the sandboxes still isolate the network.
  assert.equal(await interfacesSeenByTool(), ["lo"]);
});

test("whileRunning is called once, after the tool has started and before the call ends", async () => {
  const marks: string[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "symbi-while-"));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp; // the call's private directory is made in it
  try {
    const r = await sandbox()
      .run({
        // The tool waits for a file the callback writes into its private directory: the call
        // ends with 0 only if the callback ran while the tool was running.
        argv: sh("for i in $(seq 100); do [ -e go ] && exit 0; sleep 0.05; done; exit 9"),
        whileRunning: () => {
          marks.push("called");
          for (const n of readdirSync(tmp)) writeFileSync(join(tmp, n, "go"), "");
        },
      })
      .finally(() => marks.push("ended"));
    assert.equal(marks, ["called", "ended"]);
    assert.is(r.exitCode, 0, r.stderr);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
});

test("a whileRunning callback that throws does not change the call", async () => {
  const r = await sandbox().run({
    argv: ["/bin/echo", "fine"],
    whileRunning: () => {
      throw new Error("boom");
    },
  });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, "fine\n");
});

test("nothing is left live after all these runs", () => {
  assert.equal(liveSandboxIds(), []);
});

test.run();
