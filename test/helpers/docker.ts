/** Whether the Docker tests can run here: a reachable engine and the local sandbox image. */
import Docker from "dockerode";
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
  return null;
}
