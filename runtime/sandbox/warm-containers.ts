/**
 * The warm containers of one run: one container per `with` block and container settings (image,
 * runtime, limits, mounts — everything but the per-call user, working directory and
 * environment), started at the first call that needs it; each call goes to its launcher
 * (warm-launcher.ts) or is a `docker exec` in it. The
 * drivers of one run share a set (SandboxPool hands the same one to each), so two tools with the
 * same image share a container.
 *
 * A warm container is removed: at the end of the run (`closeAll`), when a call in it times out or
 * is aborted (a running exec cannot be killed on its own), when it died (a gVisor sandbox ends
 * whole on OOM), when too little of its life is left for the next call, and on Ctrl-C, SIGTERM,
 * SIGHUP and exit (live-sandboxes.ts). If the runtime dies without any of that, the container's
 * own process (the launcher, or `sleep`, under the block's timeout) ends it, and its deadline label lets the next
 * start remove it.
 *
 * State a tool leaves in the container (files in /tmp, background processes) is visible to the
 * next call of the same run and block. `fresh = true` (per tool or per block) gives one container
 * per call instead.
 */
import type Docker from "dockerode";
import type { LauncherChannel } from "./warm-launcher.js";

export interface WarmContainer {
  /** The key it was made for (see DockerSandbox.warmKey). */
  readonly key: string;
  readonly name: string;
  /** Created and started (with its launcher ready, if it has one); rejects if that failed. */
  readonly ready: Promise<WarmReady>;
  /** Unix milliseconds at which its own process ends it. */
  readonly lifeEndsAt: number;
  /** Kills and removes it (idempotent, never throws). */
  destroy(): Promise<void>;
}

/** A started warm container. */
export interface WarmReady {
  readonly container: Docker.Container;
  /** Its launcher (warm-launcher.ts); null for an image without one (every call a `docker exec`). */
  readonly launcher: LauncherChannel | null;
  /** The `uid:gid` its processes run as: only calls as that user may use the launcher. */
  readonly user: string;
}

/**
 * The warm containers a container driver's calls use: `warm`, unless the tool (`fresh`) or the
 * block (the manifest's `fresh`) asks for one container per call.
 */
export function warmContainersFor(
  manifest: { fresh?: true },
  options: { warm?: WarmContainers; fresh?: boolean },
): WarmContainers | undefined {
  return options.fresh || manifest.fresh === true ? undefined : options.warm;
}

export class WarmContainers {
  private readonly byKey = new Map<string, WarmContainer>();
  private closed = false;

  /** The live container for `key`, if any. */
  get(key: string): WarmContainer | undefined {
    return this.byKey.get(key);
  }

  /** Registers a container being started; after `closeAll` it is destroyed at once. */
  add(c: WarmContainer): void {
    if (this.closed) {
      void c.destroy();
      return;
    }
    this.byKey.set(c.key, c);
  }

  /** Forgets and destroys `c` (when it is still the one registered for its key, or not registered). */
  async retire(c: WarmContainer): Promise<void> {
    if (this.byKey.get(c.key) === c) this.byKey.delete(c.key);
    await c.destroy();
  }

  /** Names of the containers alive now. */
  names(): string[] {
    return [...this.byKey.values()].map((c) => c.name);
  }

  /** Removes every container (run end). Later `add`s destroy their container at once. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.byKey.values()];
    this.byKey.clear();
    await Promise.allSettled(all.map((c) => c.destroy()));
  }
}
