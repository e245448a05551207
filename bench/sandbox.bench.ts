/**
 * Tool-call latency through the sandbox drivers (one `echo` per call, setup and teardown
 * included): the process tier, Docker tier1 with a fresh container per call (target p50 ≤ 150 ms),
 * and — to say what a warm container would give — `docker exec` into one running container that
 * was created with the same manifest settings.
 */
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { DEFAULT_SANDBOX_IMAGE, defaultSandboxManifest } from "../formats/sandbox-manifest.js";
import { DockerSandbox, ProcessSandbox } from "../runtime/sandbox/index.js";
import { report, timeAsync } from "./harness.js";

export async function run(): Promise<void> {
  const proc = new ProcessSandbox(defaultSandboxManifest({ agent: "bench", tier: "process" }));
  const p = await timeAsync(
    async () => {
      const r = await proc.run({ argv: ["/bin/echo", "hi"] });
      if (r.stdout !== "hi\n") throw new Error(`process tier: unexpected output ${JSON.stringify(r)}`);
    },
    40,
    5,
  );
  report("process tier call p50", p.median, "ms", { value: 150, higherIsBetter: false }, `p95 ${p.p95.toFixed(1)} ms`);

  const docker = new Docker();
  const why = await docker
    .ping()
    .then(() => docker.getImage(DEFAULT_SANDBOX_IMAGE).inspect())
    .then(
      () => null,
      (e: Error) => e.message,
    );
  if (why) {
    console.log(`docker tier1: skipped (${why.split("\n")[0]}; start dockerd and run npm run sandbox:image)`);
    return;
  }

  const manifest = defaultSandboxManifest({ agent: "bench", tier: "tier1" });
  const fresh = new DockerSandbox(manifest, { docker, runId: "bench" });
  const d = await timeAsync(
    async () => {
      const r = await fresh.run({ argv: ["echo", "hi"] });
      if (r.stdout !== "hi\n") throw new Error(`tier1: unexpected output ${JSON.stringify(r)}`);
    },
    30,
    3,
  );
  report(
    "docker tier1 fresh container call p50",
    d.median,
    "ms",
    { value: 150, higherIsBetter: false },
    `p95 ${d.p95.toFixed(1)} ms`,
  );

  // Warm: one container with the same settings kept running; each call is an exec into it.
  const spec = fresh.containerSpec("symbi-bench-warm", ["sleep", "3600"], false);
  await docker
    .getContainer("symbi-bench-warm")
    .remove({ force: true })
    .catch(() => undefined);
  const warm = await docker.createContainer(spec);
  try {
    await warm.start();
    const w = await timeAsync(
      async () => {
        const exec = await warm.exec({
          Cmd: ["echo", "hi"],
          AttachStdout: true,
          AttachStderr: true,
          User: manifest.user,
        });
        const stream = await exec.start({ hijack: true, stdin: false });
        let out = "";
        const stdout = new PassThrough().on("data", (c: Buffer) => (out += c));
        docker.modem.demuxStream(stream, stdout, new PassThrough());
        await new Promise<void>((resolve) => stream.on("end", resolve));
        const { ExitCode } = await exec.inspect();
        if (out !== "hi\n" || ExitCode !== 0)
          throw new Error(`warm exec: unexpected ${JSON.stringify(out)} exit ${ExitCode}`);
      },
      30,
      3,
    );
    report(
      "docker tier1 warm container exec p50",
      w.median,
      "ms",
      { value: 150, higherIsBetter: false },
      `p95 ${w.p95.toFixed(1)} ms (not used by the driver: one container per call)`,
    );
  } finally {
    await warm.remove({ force: true });
  }
}
