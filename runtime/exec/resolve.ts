/**
 * What `symbi exec TARGET` runs:
 *
 *   FILE.symbi     compiled in memory into bundles (one per agent), through the compiler
 *   BUNDLE_DIR     a folder with bundle.json (from `symbic build`)
 *   BUILD_DIR      a folder of bundle folders (`build/`, one per agent)
 *
 * `--agent NAME` picks one agent when there are several (required then). The other agents of a
 * `.symbi` file or build folder are the run's peers (targets of `delegate`, `ask`, ...).
 *
 * In a build folder every bundle is a folder named after its agent (symbic build writes
 * `<out>/<agent>/`). Only the bundle that runs is loaded and verified up front; a peer is loaded
 * and verified when the run first delegates to it, so a broken or tampered sibling stops only a
 * run that needs it (and that run sees a catchable error naming the sibling). Whether a bundle's
 * signature is trusted is decided when it is about to run (trust.ts).
 */
import { readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ExitCode } from "../../formats/exit-codes.js";
import { BundleError } from "../../formats/bundle.js";
import { isBundleDir, loadBundleDir, type Bundle } from "./bundle.js";
import type { PeerLoader } from "./run.js";

export class TargetError extends Error {
  override readonly name = "TargetError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Error,
  ) {
    super(message);
  }
}

export interface ResolvedTarget {
  bundle: Bundle;
  peers: Map<string, Bundle | PeerLoader>;
}

/** The agent to run among `names`: `agent` when given, else the only one. */
function choose(names: string[], agent: string | undefined, where: string): string {
  names = [...names].sort();
  if (names.length === 0) throw new TargetError(`${where} holds no agent to run`, ExitCode.CheckFailed);
  if (agent === undefined) {
    if (names.length > 1)
      throw new TargetError(`${where} holds several agents (${names.join(", ")}); choose one with --agent NAME`);
    return names[0]!;
  }
  if (!names.includes(agent)) throw new TargetError(`${where} has no agent \`${agent}\` (it has: ${names.join(", ")})`);
  return agent;
}

/** Bundle folders directly inside `dir`. */
function bundleDirsIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((n) => join(dir, n)).filter((p) => isBundleDir(p));
}

/** Loads the bundle folder of agent `name` and checks that it holds that agent. */
function loadAgentDir(dir: string, name: string): Bundle {
  const b = loadBundleDir(dir);
  if (b.agent !== name)
    throw new BundleError(`${dir} holds agent \`${b.agent}\`; a bundle folder is named after its agent (\`${name}\`)`);
  return b;
}

/** Peers by folder name, each loaded and verified on first use (and only once). */
function lazyPeers(dirs: string[]): Map<string, Bundle | PeerLoader> {
  const out = new Map<string, Bundle | PeerLoader>();
  for (const d of dirs) {
    const name = basename(d);
    let loaded: Bundle | undefined;
    out.set(name, () => (loaded ??= loadAgentDir(d, name)));
  }
  return out;
}

export async function resolveTarget(target: string, agent: string | undefined): Promise<ResolvedTarget> {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new TargetError(`${target} does not exist`);
  }
  if (st.isFile()) {
    if (!target.endsWith(".symbi")) throw new TargetError(`${target} is neither a .symbi file nor a bundle folder`);
    // The compiler is loaded only here: running a built bundle never imports it.
    const { compileToBundles } = await import("./compile.js");
    const compiled = await compileToBundles(target);
    const name = choose(compiled.inFile, agent, target);
    return { bundle: compiled.bundles.get(name)!, peers: new Map(compiled.bundles) };
  }
  if (!st.isDirectory()) throw new TargetError(`${target} is neither a .symbi file nor a bundle folder`);
  if (isBundleDir(target)) {
    const bundle = loadBundleDir(target);
    if (agent !== undefined && agent !== bundle.agent)
      throw new TargetError(`the bundle ${target} holds agent \`${bundle.agent}\`, not \`${agent}\``);
    // Its sibling bundles (same build folder) are its peers, verified like it when first used.
    const siblings = bundleDirsIn(dirname(target)).filter((d) => basename(d) !== basename(target));
    const peers = lazyPeers(siblings);
    peers.set(bundle.agent, bundle);
    return { bundle, peers };
  }
  const dirs = bundleDirsIn(target);
  if (dirs.length === 0)
    throw new TargetError(
      `${target} is not a bundle folder (no bundle.json) and holds none; build one with: symbic build`,
      ExitCode.CheckFailed,
    );
  const name = choose(
    dirs.map((d) => basename(d)),
    agent,
    target,
  );
  const bundle = loadAgentDir(join(target, name), name);
  const peers = lazyPeers(dirs.filter((d) => basename(d) !== name));
  peers.set(name, bundle);
  return { bundle, peers };
}
