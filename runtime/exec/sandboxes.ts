/**
 * The sandboxes of one run: one driver per tool, built from the entry `with` block's manifest
 * with the tool's own `[tool.sandbox]` image / user / workdir / mounts (manifestForTool). All of
 * them are checked before the run starts (Docker reachable, runtime registered, image present,
 * gVisor proved, the process tier's namespaces), so a tier that cannot run here stops the run
 * with one clear error before any record is written — never a silent downgrade.
 *
 * The container tiers share one set of warm containers per run (runtime/sandbox/warm-containers.ts):
 * calls with the same container settings reuse one container, unless the block or the tool says
 * `fresh = true`. `close()` removes them; the run calls it when it ends, however it ends.
 */
import type { ToolContract } from "../../compiler/contracts/model.js";
import {
  InvalidSandboxManifestError,
  manifestForTool,
  type SandboxManifest,
  type ToolSandboxOverrides,
} from "../../formats/sandbox-manifest.js";
import { createSandbox, type CreateSandboxOptions } from "../sandbox/create.js";
import { isSandboxError } from "../sandbox/errors.js";
import type { SandboxDriver } from "../sandbox/types.js";
import { WarmContainers } from "../sandbox/warm-containers.js";
import { ExitCode } from "../../formats/exit-codes.js";

/** The sandbox cannot run here (exit 1): the message is the sandbox driver's one line. */
export class SandboxSetupError extends Error {
  override readonly name = "SandboxSetupError";
  readonly exitCode = ExitCode.Error;
}

export class SandboxPool {
  private readonly drivers = new Map<string, SandboxDriver>();
  /** The run's warm containers, shared by every driver of the pool. */
  readonly warm = new WarmContainers();

  constructor(
    readonly base: SandboxManifest,
    private readonly options: CreateSandboxOptions = {},
  ) {}

  /** The driver for a tool (created on first use). Throws SandboxSetupError for an invalid per-tool manifest. */
  driverFor(contract: ToolContract): SandboxDriver {
    let d = this.drivers.get(contract.name);
    if (d) return d;
    const o: ToolSandboxOverrides = {};
    if (contract.sandbox.image !== undefined) o.image = contract.sandbox.image;
    if (contract.sandbox.user !== undefined) o.user = contract.sandbox.user;
    if (contract.sandbox.workdir !== undefined) o.workdir = contract.sandbox.workdir;
    if (contract.sandbox.mounts.length > 0) o.mounts = contract.sandbox.mounts;
    let m: SandboxManifest;
    try {
      m = manifestForTool(this.base, o);
    } catch (e) {
      if (e instanceof InvalidSandboxManifestError)
        throw new SandboxSetupError(`tool \`${contract.name}\`: its [tool.sandbox] settings give ${e.message}`);
      throw e;
    }
    // `fresh = true` on the block is in the manifest (the driver reads it); on the tool, here.
    const fresh = contract.sandbox.fresh === true;
    d = createSandbox(m, { ...this.options, docker: { ...this.options.docker, warm: this.warm, fresh } });
    this.drivers.set(contract.name, d);
    return d;
  }

  /** Removes the run's warm containers (run end, timeout, interrupt). Never throws. */
  close(): Promise<void> {
    return this.warm.closeAll();
  }

  /** Checks every tool's sandbox can run here; throws SandboxSetupError with the driver's message. */
  async checkAll(contracts: Iterable<ToolContract>): Promise<void> {
    // The block's own tier first: even an agent without tools may not run under a tier that is missing.
    try {
      await createSandbox(this.base, this.options).check();
    } catch (e) {
      if (isSandboxError(e)) throw new SandboxSetupError(e.message);
      throw e;
    }
    for (const c of contracts) {
      try {
        await this.driverFor(c).check();
      } catch (e) {
        if (isSandboxError(e)) throw new SandboxSetupError(`tool \`${c.name}\`: ${e.message}`);
        throw e;
      }
    }
  }
}
