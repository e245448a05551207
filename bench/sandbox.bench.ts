/**
 * Tool-call latency through the sandbox drivers, one `echo` per call, setup and teardown
 * included, in interleaved rounds (each round calls every tier once, so a load spike on the
 * shared machine hits them all alike): the process tier; Docker Tier1 with the run's warm
 * container (through its launcher, target p50 ≤ 60 ms), the same container by `docker exec` (a
 * call with standard input, which the launcher does not take: the former path, for comparison)
 * and a fresh container per call (`fresh = true`, target p50 ≤ 150 ms); the same three under
 * gVisor (Tier2) where it runs. Every figure is also given as a ratio to the process tier.
 */
import Docker from "dockerode";
import { DEFAULT_SANDBOX_IMAGE, defaultSandboxManifest, type SandboxTier } from "../formats/sandbox-manifest.js";
import { DockerSandbox, ProcessSandbox, WarmContainers, type SandboxDriver } from "../runtime/sandbox/index.js";
import { report, stats } from "./harness.js";

interface Lane {
  name: string;
  driver: SandboxDriver;
  argv: string[];
  /** Standard input for the call (routes a warm call through `docker exec`). */
  stdin?: string;
  target?: number;
  samples: number[];
}

const ROUNDS = 30;
const WARMUP = 3;

async function unavailable(docker: Docker, runtime: "runc" | "runsc"): Promise<string | null> {
  try {
    await docker.ping();
    await docker.getImage(DEFAULT_SANDBOX_IMAGE).inspect();
    const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
    if (!info.Runtimes || !(runtime in info.Runtimes)) return `no ${runtime} runtime registered`;
    return null;
  } catch (e) {
    return (e as Error).message.split("\n")[0]!;
  }
}

export async function run(): Promise<void> {
  const docker = new Docker();
  // A long block timeout: the warm containers live through the whole benchmark.
  const manifest = (tier: SandboxTier) => defaultSandboxManifest({ agent: "bench", tier, timeoutMs: 600_000 });
  const lanes: Lane[] = [
    {
      name: "process tier",
      driver: new ProcessSandbox(manifest("process")),
      argv: ["/bin/echo", "hi"],
      target: 150,
      samples: [],
    },
  ];
  const warmSets: WarmContainers[] = [];
  for (const [tier, runtime, label] of [
    ["tier1", "runc", "Tier1"],
    ["tier2", "runsc", "Tier2 (gVisor)"],
  ] as const) {
    const why = await unavailable(docker, runtime);
    if (why) {
      console.log(`${label}: skipped (${why}; see .ci/run and npm run sandbox:image)`);
      continue;
    }
    const warm = new WarmContainers();
    warmSets.push(warm);
    lanes.push(
      {
        name: `${label} warm container`,
        driver: new DockerSandbox(manifest(tier), { docker, runId: "bench", warm }),
        argv: ["echo", "hi"],
        ...(tier === "tier1" ? { target: 60 } : {}),
        samples: [],
      },
      {
        name: `${label} warm container by docker exec`,
        driver: new DockerSandbox(manifest(tier), { docker, runId: "bench", warm }),
        argv: ["echo", "hi"],
        stdin: "",
        samples: [],
      },
      {
        name: `${label} fresh container`,
        driver: new DockerSandbox(manifest(tier), { docker, runId: "bench", warm, fresh: true }),
        argv: ["echo", "hi"],
        ...(tier === "tier1" ? { target: 150 } : {}),
        samples: [],
      },
    );
  }
  try {
    for (const lane of lanes) await lane.driver.check();
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      for (const lane of lanes) {
        const t0 = performance.now();
        const r = await lane.driver.run({
          argv: lane.argv,
          timeoutMs: 20_000,
          ...(lane.stdin !== undefined ? { stdin: lane.stdin } : {}),
        });
        const ms = performance.now() - t0;
        if (r.stdout !== "hi\n") throw new Error(`${lane.name}: unexpected output ${JSON.stringify(r)}`);
        if (round >= WARMUP) lane.samples.push(ms);
      }
    }
  } finally {
    for (const w of warmSets) await w.closeAll();
  }
  const base = stats(lanes[0]!.samples).median;
  for (const lane of lanes) {
    const s = stats(lane.samples);
    report(
      `${lane.name} call p50`,
      s.median,
      "ms",
      lane.target !== undefined ? { value: lane.target, higherIsBetter: false } : undefined,
      `p95 ${s.p95.toFixed(1)} ms; ${(s.median / base).toFixed(2)}× the process tier`,
    );
  }
}
