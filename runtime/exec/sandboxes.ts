/**
 * The sandboxes of one run: one driver per tool, built from the entry `with` block's manifest
 * with the tool's own `[tool.sandbox]` image / user / workdir (manifestForTool). All of them
 * are checked before the run starts (Docker reachable, runtime registered, image present, the
 * process tier's namespaces), so a tier that cannot run here stops the run with one clear error
 * before any record is written — never a silent downgrade.
 */
import type { ToolContract } from "../../compiler/contracts/model.js";
import { InvalidSandboxManifestError, manifestForTool, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import { createSandbox, isSandboxError, type CreateSandboxOptions, type SandboxDriver } from "../sandbox/index.js";
import { ExitCode } from "../../formats/exit-codes.js";

/** The sandbox cannot run here (exit 1): the message is the sandbox driver's one line. */
export class SandboxSetupError extends Error {
  override readonly name = "SandboxSetupError";
  readonly exitCode = ExitCode.Error;
}

export class SandboxPool {
  private readonly drivers = new Map<string, SandboxDriver>();

  constructor(
    readonly base: SandboxManifest,
    private readonly options: CreateSandboxOptions = {},
  ) {}

  /** The driver for a tool (created on first use). Throws SandboxSetupError for an invalid per-tool manifest. */
  driverFor(contract: ToolContract): SandboxDriver {
    let d = this.drivers.get(contract.name);
    if (d) return d;
    const o: { image?: string; user?: string; workdir?: string } = {};
    if (contract.sandbox.image !== undefined) o.image = contract.sandbox.image;
    if (contract.sandbox.user !== undefined) o.user = contract.sandbox.user;
    if (contract.sandbox.workdir !== undefined) o.workdir = contract.sandbox.workdir;
    let m: SandboxManifest;
    try {
      m = manifestForTool(this.base, o);
    } catch (e) {
      if (e instanceof InvalidSandboxManifestError)
        throw new SandboxSetupError(`tool \`${contract.name}\`: its [tool.sandbox] settings give ${e.message}`);
      throw e;
    }
    d = createSandbox(m, this.options);
    this.drivers.set(contract.name, d);
    return d;
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
