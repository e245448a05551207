/**
 * Sandbox drivers (DESIGN §7, §8): `createSandbox(manifest)` validates a manifest and returns
 * the driver for its tier — the process tier, or Docker under runc (tier1) or runsc (tier2), or
 * (in a Kubernetes pod, `toolHost` given) the pod's tools container for either container tier.
 * The tier is never changed: if it cannot run here, `check()`/`run()` throw a SandboxError with
 * a one-line message.
 *
 *   const sandbox = createSandbox(manifest);
 *   await sandbox.check();                       // optional: fail early, before the agent starts
 *   const r = await sandbox.run({ argv: ["scanner", "--target", t], signal });
 */
import { assertSandboxManifest, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import { DockerSandbox, type DockerSandboxOptions } from "./docker-driver.js";
import { SandboxUnsupportedError } from "./errors.js";
import { ProcessSandbox, type ProcessSandboxOptions } from "./process-driver.js";
import { PodSandbox, ToolHostClient } from "./tool-host/client.js";
import type { SandboxDriver } from "./types.js";

export interface CreateSandboxOptions {
  docker?: DockerSandboxOptions;
  process?: ProcessSandboxOptions;
  /**
   * Inside a Kubernetes pod (`symbi exec --tool-host`): container tiers run their calls in the
   * pod's tools container through this tool host instead of Docker (tool-host/client.ts).
   */
  toolHost?: ToolHostClient;
}

/** Validates `manifest` (throws InvalidSandboxManifestError) and returns the driver for its tier. No I/O. */
export function createSandbox(manifest: unknown, options: CreateSandboxOptions = {}): SandboxDriver {
  const m: SandboxManifest = assertSandboxManifest(manifest);
  switch (m.tier) {
    case "process":
      if (options.toolHost)
        throw new SandboxUnsupportedError(
          `agent ${m.agent} runs in the process tier, which has no tool host: a Kubernetes Job runs container tiers only`,
        );
      return new ProcessSandbox(m, options.process);
    case "tier1":
    case "tier2":
      return options.toolHost
        ? new PodSandbox(m, options.toolHost, options.docker?.fresh === true)
        : new DockerSandbox(m, options.docker);
  }
}

/** createSandbox + check(): a driver known to be able to run here, or a thrown SandboxError. */
export async function openSandbox(manifest: unknown, options: CreateSandboxOptions = {}): Promise<SandboxDriver> {
  const driver = createSandbox(manifest, options);
  await driver.check();
  return driver;
}

export { DockerSandbox, gvisorHostPidsLimit, type DockerSandboxOptions } from "./docker-driver.js";
export {
  DEADLINE_LABEL,
  RUN_LABEL,
  SANDBOX_LABEL,
  dockerEndpoint,
  pruneSandboxContainers,
  type PruneOptions,
} from "./docker-engine.js";
export { WarmContainers, type WarmContainer } from "./warm-containers.js";
export { loadSeccompProfile, seccompProfileCandidates, type SeccompProfile } from "./seccomp.js";
export { ProcessSandbox, pruneProcessScratchDirs, type ProcessSandboxOptions } from "./process-driver.js";
export { PodSandbox, ToolHostClient, type ToolHostAddress } from "./tool-host/client.js";
export { destroyAllSandboxes, liveSandboxIds } from "./live-sandboxes.js";
export * from "./errors.js";
export * from "./types.js";
