/**
 * The kill tests of the sandbox side: `symbi exec` is killed outright (SIGKILL) while a tool
 * runs, and no sandbox outlives its deadline — the limit inside the sandbox (the `timeout`
 * wrapper, a warm container's own life limit) ends it without the runtime; what is left (a stopped
 * container, a private directory) carries its deadline and is removed by `symbi sandbox prune` or
 * the next start. SIGHUP ends a run like SIGTERM: a clean log and a clear exit.
 *
 * The agents (fixtures/runs) call `sleep 30` under a 3 s `with` timeout. The Docker tests are
 * declared with `test.skip` when Docker or the base image is missing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { REPO } from "../helpers/corpus.js";
import { dockerUnavailable } from "../helpers/docker.js";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { pruneSandboxContainers } from "../../runtime/sandbox/index.js";

const docker = new Docker();
const unavailable = await dockerUnavailable(docker);
const dtest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  Docker kill tests skipped: ${unavailable}`);

const work = mkdtempSync(join(tmpdir(), "symbi-kill-test-"));
const agentFile = (name: string) => join(REPO, "test/sandbox/fixtures/runs/agents", `${name}.symbi`);
/** The `with` timeout of the fixture agents, and the grace of the limit inside the sandbox. */
const TIMEOUT_MS = 3000;
const INNER_GRACE_MS = 1000;
/** Scheduling slack on a shared machine. */
const SLACK_MS = 3000;

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnSymbi(args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, ["--import", "tsx", "runtime/cli/main.ts", ...args], {
    cwd: REPO,
    env: { ...process.env, SYMBI_DEBUG: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids of live (not zombie) processes whose working directory is `dir`. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/cwd`) !== dir) continue;
      if (/^State:\s+[ZX]/m.test(readFileSync(`/proc/${e}/status`, "utf8"))) continue;
      out.push(Number(e));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** The private directory of the process-tier call and the tool processes working in it. */
async function runningProcessTool(tmp: string, s: Spawned): Promise<{ dir: string; pids: number[] }> {
  return until(
    `the tool to start (${s.output()})`,
    () => {
      const name = readdirSync(tmp).find((n) => n.startsWith("symbi-sbx-"));
      if (!name) return undefined;
      const dir = join(tmp, name);
      const pids = processesIn(dir);
      return pids.some((p) => /^sleep\0/.test(readFileSync(`/proc/${p}/cmdline`, "latin1")))
        ? { dir, pids }
        : undefined;
    },
    15_000,
  );
}

test("kill: SIGKILL of `symbi exec` mid-run, process tier: the tool ends by its deadline; its directory is pruned", async () => {
  const tmp = mkdtempSync(join(work, "tmp-"));
  const s = spawnSymbi(["exec", agentFile("kill_process"), "--input", '{"seconds": 30}'], { TMPDIR: tmp });
  try {
    const { dir, pids } = await runningProcessTool(tmp, s);
    const started = Date.now();
    s.child.kill("SIGKILL");
    await s.exited;
    // Nobody is left to kill the tool: the limit inside the sandbox does it.
    await until(
      "the tool to end",
      () => (processesIn(dir).length === 0 ? true : undefined),
      TIMEOUT_MS + INNER_GRACE_MS + SLACK_MS,
    );
    assert.ok(
      Date.now() - started <= TIMEOUT_MS + INNER_GRACE_MS + SLACK_MS,
      `the tool outlived its deadline (${pids})`,
    );
    // The directory carries its deadline; past it, `symbi sandbox prune` removes it.
    const deadline = Number(/^symbi-sbx-(\d+)-/.exec(dir.slice(tmp.length + 1))![1]) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, deadline + 2100 - Date.now())));
    const prune = spawnSymbi(["sandbox", "prune"], {
      TMPDIR: tmp,
      DOCKER_HOST: `unix://${join(tmp, "no-docker.sock")}`,
    });
    const end = await prune.exited;
    assert.is(end.code, 0, prune.output());
    assert.match(prune.output(), new RegExp(`removed directory ${dir}`));
    assert.equal(
      readdirSync(tmp).filter((n) => n.startsWith("symbi-sbx-")),
      [],
      "a private directory was left behind",
    );
  } finally {
    s.child.kill("SIGKILL");
  }
});

test("the next run's start reaps a private directory left past its deadline, and keeps one within it", async () => {
  // What `symbi exec` killed outright leaves behind (see the test above), found by the next run
  // of the process tier, which reaps it beside its own work.
  const tmp = mkdtempSync(join(tmpdir(), "symbi-reap-"));
  const past = Math.floor(Date.now() / 1000) - 60;
  const future = Math.floor(Date.now() / 1000) + 3600;
  const stale = join(tmp, `symbi-sbx-${past}-AbC123`);
  const live = join(tmp, `symbi-sbx-${future}-XyZ789`);
  for (const d of [stale, live]) mkdirSync(join(d, "inner"), { recursive: true });
  const s = spawnSymbi(["exec", agentFile("kill_process"), "--input", '{"seconds": 0}'], { TMPDIR: tmp });
  const end = await s.exited;
  assert.is(end.code, 0, s.output());
  assert.equal(
    readdirSync(tmp)
      .filter((n) => n.startsWith("symbi-sbx-"))
      .sort(),
    [`symbi-sbx-${future}-XyZ789`],
  );
  rmSync(tmp, { recursive: true, force: true });
});

test("kill: SIGHUP ends a run like SIGTERM: exit 1, `interrupted (SIGHUP)`, a verified log, nothing left", async () => {
  const tmp = mkdtempSync(join(work, "tmp-"));
  const key = join(work, "hup.key");
  generateKeyFiles(key, { force: true });
  const log = join(work, "hup.log");
  const s = spawnSymbi(
    ["exec", agentFile("kill_process"), "--input", '{"seconds": 30}', "--audit-log", log, "--key", key],
    { TMPDIR: tmp },
  );
  try {
    const { dir } = await runningProcessTool(tmp, s);
    s.child.kill("SIGHUP");
    const end = await Promise.race([s.exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    assert.ok(end, "SIGHUP did not end the run");
    assert.is(end!.code, 1, s.output());
    assert.match(s.output(), /symbi: error: .*interrupted \(SIGHUP\)/);
    assert.equal(processesIn(dir), []);
    assert.equal(
      readdirSync(tmp).filter((n) => n.startsWith("symbi-sbx-")),
      [],
    );
    const v = verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) });
    assert.ok(v.ok, JSON.stringify(v));
    const records = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> });
    const runEnd = records.filter((r) => r.type === "run_end").pop();
    assert.is(runEnd?.details.status, "error");
  } finally {
    s.child.kill("SIGKILL");
  }
});

/** SIGKILLs `symbi exec AGENT` while its tool runs in a container; returns that container. */
async function killDuringContainerCall(agent: string): Promise<Docker.ContainerInfo> {
  const filters = JSON.stringify({ label: [`dev.symbi.agent=${agent}`] });
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker.getContainer(c.Id).remove({ force: true });
  const s = spawnSymbi(["exec", agentFile(agent), "--input", '{"seconds": 30}']);
  try {
    const c = await until(
      `a running container of ${agent} (${s.output()})`,
      async () => (await docker.listContainers({ filters })).find((x) => x.State === "running"),
      20_000,
    );
    // The call is under way inside it (a warm container starts its launcher first, then the call).
    await until(
      "the call inside",
      async () => {
        const top = await docker
          .getContainer(c.Id)
          .top()
          .catch(() => null);
        return top && top.Processes.some((p: string[]) => p.join(" ").includes("sleep 30")) ? true : undefined;
      },
      10_000,
    );
    s.child.kill("SIGKILL");
    await s.exited;
    return c;
  } finally {
    s.child.kill("SIGKILL");
  }
}

for (const mode of ["warm", "fresh"] as const) {
  dtest(
    `kill: SIGKILL of \`symbi exec\` mid-run, Tier1 ${mode} container: it stops by its deadline and is pruned`,
    async () => {
      const c = await killDuringContainerCall(`kill_${mode}`);
      const created = c.Created * 1000;
      const container = docker.getContainer(c.Id);
      // Its own limit ends it: the call's `timeout` (fresh; warm too, after which the launcher
      // reads the end of its input) or the container's own (warm).
      await until(
        "the container to stop",
        async () => ((await container.inspect()).State.Running ? undefined : true),
        TIMEOUT_MS + INNER_GRACE_MS + 1000 + SLACK_MS,
      );
      assert.ok(Date.now() - created <= TIMEOUT_MS + INNER_GRACE_MS + 2000 + SLACK_MS, "it outlived its deadline");
      const deadline = Number(c.Labels["dev.symbi.deadline"]);
      assert.ok(deadline > created && deadline < created + 60_000, String(deadline));
      // Within its deadline it is kept (its run could be alive); past it, the next start or a prune removes it.
      assert.not.ok((await pruneSandboxContainers(docker, { now: deadline - 1 })).includes(c.Names[0]!.slice(1)));
      if (mode === "warm") {
        assert.ok((await pruneSandboxContainers(docker, { now: deadline + 1 })).includes(c.Names[0]!.slice(1)));
      } else {
        const prune = spawnSymbi(["sandbox", "prune", "--run", c.Labels["dev.symbi.run"]!]);
        assert.is((await prune.exited).code, 0, prune.output());
        assert.match(prune.output(), new RegExp(`removed container ${c.Names[0]!.slice(1)}`));
      }
      assert.equal(await docker.listContainers({ all: true, filters: JSON.stringify({ id: [c.Id] }) }), []);
    },
  );
}

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
