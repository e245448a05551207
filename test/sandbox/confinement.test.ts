/**
 * The tool host's confinement probe, run inside real containers of the runtime image — runc,
 * and gVisor's runsc when the Docker daemon has it — and compared with manifests as the runtime
 * does in a pod. Needs Docker and the runtime image (`npm run runtime:image`); the gVisor case
 * also needs `runsc` registered with the daemon. Otherwise skipped, visibly.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { DEFAULT_RUNTIME_IMAGE } from "../../formats/images.js";
import { TOOL_HOST_MEMORY_MB } from "../../formats/pod.js";
import { defaultSandboxManifest } from "../../formats/sandbox-manifest.js";
import { gvisorSeccompProfile, loadSeccompProfile } from "../../runtime/sandbox/seccomp.js";
import { checkConfinement, type ConfinementReport } from "../../runtime/sandbox/tool-host/confinement.js";
import { dockerUnavailable } from "../helpers/docker.js";
import { run } from "../helpers/podman.js";

const docker = new Docker();
async function unavailableWhy(): Promise<string | null> {
  const why = await dockerUnavailable(docker);
  if (why) return why;
  try {
    await docker.getImage(DEFAULT_RUNTIME_IMAGE).inspect();
  } catch {
    return `image ${DEFAULT_RUNTIME_IMAGE} missing (npm run runtime:image)`;
  }
  const cli = await run("docker", ["version", "--format", "{{.Client.Version}}"], { timeoutMs: 20_000 });
  return cli.code === 0 ? null : "the docker CLI is not installed";
}
const unavailable = await unavailableWhy();
const ctest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  confinement probe tests skipped: ${unavailable}`);
const runtimes =
  unavailable === null ? Object.keys(((await docker.info()) as { Runtimes?: object }).Runtimes ?? {}) : [];
const gtest = runtimes.includes("runsc") ? ctest : test.skip;
if (unavailable === null && !runtimes.includes("runsc"))
  console.log("  gVisor probe test skipped: runsc is not registered");

const PROBE = `import("/opt/symbi/dist/runtime/sandbox/tool-host/confinement.js").then(async (m) => console.log(JSON.stringify(await m.probeConfinement())))`;
const manifest = (tier: "tier1" | "tier2") =>
  defaultSandboxManifest({ agent: "probe", tier, memoryMb: 128, cpus: 1, pids: 64 });
const check = (r: ConfinementReport, tier: "tier1" | "tier2") =>
  checkConfinement(r, manifest(tier), { memoryAllowanceMb: TOOL_HOST_MEMORY_MB });

/** The probe's report from a container made like the pod's tools container (plus `extra`). */
async function probe(extra: string[]): Promise<ConfinementReport> {
  const r = await run(
    "docker",
    [
      "run",
      "--rm",
      "--network",
      "none",
      "--read-only",
      "--tmpfs",
      "/tmp",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      "--user",
      "65534:65534",
      "--memory",
      `${128 + TOOL_HOST_MEMORY_MB}m`,
      "--cpus",
      "1",
      ...extra,
      "--entrypoint",
      "node",
      DEFAULT_RUNTIME_IMAGE,
      "-e",
      PROBE,
    ],
    { timeoutMs: 90_000 },
  );
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ConfinementReport;
}

ctest("runc: a container made like the tools container holds a tier1 manifest, not a tier2 one", async () => {
  const r = await probe([]);
  assert.equal(check(r, "tier1"), []);
  assert.equal(check(r, "tier2"), [
    `does not run under gVisor (kernel ${r.kernel}); tier2 needs the gVisor RuntimeClass`,
  ]);
  // Take away a constraint and the probe sees it.
  const loose = await probe(["--read-only=false", "--user", "0:0", "--cap-add", "NET_RAW", "--memory", "1g"]);
  const wrong = check(loose, "tier1");
  assert.ok(
    wrong.some((w) => /writable root/.test(w)),
    wrong.join("; "),
  );
  assert.ok(
    wrong.some((w) => /has capabilities/.test(w)),
    wrong.join("; "),
  );
  assert.ok(
    wrong.some((w) => /memory limit of 1024 MiB/.test(w)),
    wrong.join("; "),
  );
});

gtest("gVisor: the probe proves the gVisor kernel from inside, and the container holds a tier2 manifest", async () => {
  // The daemon here passes the OCI seccomp profile into gVisor (runsc --oci-seccomp): the tier2
  // profile (clone3 as TRACE, since this runsc ignores errnoRet) lets Node.js create its threads.
  const dir = mkdtempSync(join(tmpdir(), "symbi-seccomp-"));
  try {
    const file = join(dir, "tier2.json");
    writeFileSync(file, gvisorSeccompProfile(loadSeccompProfile()).json);
    const r = await probe(["--runtime", "runsc", "--security-opt", `seccomp=${file}`]);
    assert.is(r.gvisor, true);
    assert.is(r.seccomp, 2);
    assert.equal(check(r, "tier2"), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
