/**
 * Sandbox drivers (DESIGN §7, §8), all of them; a run imports create.ts instead, which loads
 * the container drivers only when one is used. `createSandbox(manifest)` validates a manifest
 * and returns the driver for its tier — the process tier, or Docker under runc (tier1) or runsc
 * (tier2), or (in a Kubernetes pod, `toolHost` given) the pod's tools container for either
 * container tier. The tier is never changed: if it cannot run here, `check()`/`run()` throw a
 * SandboxError with a one-line message.
 *
 *   const sandbox = createSandbox(manifest);
 *   await sandbox.check();                       // optional: fail early, before the agent starts
 *   const r = await sandbox.run({ argv: ["scanner", "--target", t], signal });
 */
export { createSandbox, openSandbox, type CreateSandboxOptions } from "./create.js";
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
export { gvisorSeccompProfile, loadSeccompProfile, seccompProfileCandidates, type SeccompProfile } from "./seccomp.js";
export { ProcessSandbox, pruneProcessScratchDirs, type ProcessSandboxOptions } from "./process-driver.js";
export { PodSandbox, ToolHostClient, type ToolHostAddress } from "./tool-host/client.js";
export { destroyAllSandboxes, liveSandboxIds } from "./live-sandboxes.js";
export * from "./errors.js";
export * from "./types.js";
