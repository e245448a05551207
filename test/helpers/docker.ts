/**
 * Whether the Docker tests can run here: a reachable engine, the local sandbox image and Docker's
 * default seccomp profile (the last two both come from `npm run sandbox:image`).
 */
import Docker from "dockerode";
import { loadSeccompProfile } from "../../runtime/sandbox/seccomp.js";
import { DEFAULT_SANDBOX_IMAGE } from "../../formats/sandbox-manifest.js";

/** Why the Docker tests cannot run here, or null when they can (bounded: never hangs). */
export async function dockerUnavailable(docker: Docker = new Docker()): Promise<string | null> {
  try {
    await docker.ping({ abortSignal: AbortSignal.timeout(3000) } as never);
  } catch (e) {
    return `no Docker daemon (${(e as Error).message})`;
  }
  try {
    await docker.getImage(DEFAULT_SANDBOX_IMAGE).inspect({ abortSignal: AbortSignal.timeout(3000) } as never);
  } catch {
    return `image ${DEFAULT_SANDBOX_IMAGE} missing (npm run sandbox:image)`;
  }
  try {
    loadSeccompProfile();
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/**
 * Why the Tier2 (gVisor) tests cannot run here, or null when they can: Docker and the image (as
 * above), a runtime registered as `runsc`, and a container that really starts under it (gVisor
 * needs kernel features a nested sandbox may lack). Bounded: never hangs.
 */
export async function gvisorUnavailable(docker: Docker = new Docker()): Promise<string | null> {
  const base = await dockerUnavailable(docker);
  if (base !== null) return base;
  const info = (await (docker.info as (o: object) => Promise<unknown>).call(docker, {
    abortSignal: AbortSignal.timeout(3000),
  })) as {
    Runtimes?: Record<string, unknown>;
  };
  if (!info.Runtimes || !("runsc" in info.Runtimes)) return "no `runsc` runtime registered with Docker (see .ci/run)";
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: DEFAULT_SANDBOX_IMAGE,
      Entrypoint: ["true"],
      NetworkDisabled: true,
      HostConfig: { NetworkMode: "none", Runtime: "runsc" },
      abortSignal: AbortSignal.timeout(10_000),
    } as Docker.ContainerCreateOptions);
    await container.start({ abortSignal: AbortSignal.timeout(20_000) } as never);
    return null;
  } catch (e) {
    return `gVisor cannot start a container here (${(e as Error).message.split("\n")[0]})`;
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

/** Waits (up to 15 s) until a container of the run `runId` is running; whether one is. */
export async function runContainerStarted(docker: Docker, runId: string): Promise<boolean> {
  const filters = JSON.stringify({ label: [`dev.symbi.run=${runId}`] });
  for (let i = 0; i < 150; i++) {
    if ((await docker.listContainers({ filters })).some((c) => c.State === "running")) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
