/**
 * `createSandbox(manifest)`: validates a manifest and returns the driver for its tier — the
 * process tier, or Docker under runc (tier1) or runsc (tier2), or (in a Kubernetes pod,
 * `toolHost` given) the pod's tools container for either container tier. The tier is never
 * changed: if it cannot run here, `check()`/`run()` throw a SandboxError with a one-line message.
 *
 * The container drivers' modules — the Docker client (dockerode, with its SSH and gRPC stacks)
 * and the tool host's client — are imported when such a driver is first checked or run, so a
 * run in the process tier never loads them (start-up: runtime/exec/README.md).
 */
import { assertSandboxManifest, type SandboxManifest, type SandboxTier } from "../../formats/sandbox-manifest.js";
import type { DockerSandboxOptions } from "./docker-driver.js";
import { SandboxUnsupportedError } from "./errors.js";
import { ProcessSandbox, type ProcessSandboxOptions } from "./process-driver.js";
import type { ToolHostClient } from "./tool-host/client.js";
import type {
  ImageIdentity,
  SandboxDriver,
  SandboxProcess,
  SandboxRunRequest,
  SandboxRunResult,
  SandboxSpawnRequest,
} from "./types.js";
import { warmContainersFor } from "./warm-containers.js";

export interface CreateSandboxOptions {
  docker?: DockerSandboxOptions;
  process?: ProcessSandboxOptions;
  /**
   * Inside a Kubernetes pod (`symbi exec --tool-host`): container tiers run their calls in the
   * pod's tools container through this tool host instead of Docker (tool-host/client.ts).
   */
  toolHost?: ToolHostClient;
}

/** A container tier's driver whose module is imported on first use; it then answers as that driver. */
class DeferredSandbox implements SandboxDriver {
  readonly tier: SandboxTier;
  private driver: SandboxDriver | undefined;
  private loading: Promise<SandboxDriver> | undefined;

  constructor(
    readonly manifest: SandboxManifest,
    private readonly make: () => Promise<SandboxDriver>,
    /** Whether calls reuse a warm container (DockerSandbox.reusesContainers), known before the driver loads. */
    readonly reusesContainers: boolean,
  ) {
    this.tier = manifest.tier;
  }

  private load(): Promise<SandboxDriver> {
    return (this.loading ??= this.make().then((d) => (this.driver = d)));
  }

  async check(): Promise<void> {
    await (await this.load()).check();
  }

  async run(request: SandboxRunRequest): Promise<SandboxRunResult> {
    return (await this.load()).run(request);
  }

  imageIdentity(): ImageIdentity | null {
    return this.driver?.imageIdentity?.() ?? null;
  }

  /** A long-lived process (an MCP server), when the loaded driver can start one. */
  async spawn(request: SandboxSpawnRequest): Promise<SandboxProcess> {
    const d = await this.load();
    if (!d.spawn) throw new SandboxUnsupportedError(`the ${this.tier} sandbox here cannot run a long-lived process`);
    return d.spawn(request);
  }
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
    case "tier2": {
      const toolHost = options.toolHost;
      return new DeferredSandbox(
        m,
        async () =>
          toolHost
            ? new (await import("./tool-host/client.js")).PodSandbox(m, toolHost, options.docker?.fresh === true)
            : new (await import("./docker-driver.js")).DockerSandbox(m, options.docker),
        !toolHost && warmContainersFor(m, options.docker ?? {}) !== undefined,
      );
    }
  }
}

/** createSandbox + check(): a driver known to be able to run here, or a thrown SandboxError. */
export async function openSandbox(manifest: unknown, options: CreateSandboxOptions = {}): Promise<SandboxDriver> {
  const driver = createSandbox(manifest, options);
  await driver.check();
  return driver;
}
