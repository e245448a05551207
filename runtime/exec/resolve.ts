/**
 * What `symbi exec TARGET` runs:
 *
 *   FILE.symbi     compiled in memory into bundles (one per agent), through the compiler
 *   BUNDLE_DIR     a folder with bundle.json (from `symbic build`)
 *   BUILD_DIR      a folder of bundle folders (`build/`, one per agent)
 *
 * `--agent NAME` picks one agent when there are several (required then). The other agents of a
 * `.symbi` file or build folder are the run's peers (targets of `delegate`, `ask`, ...).
 */
import { readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ExitCode } from "../../formats/exit-codes.js";
import { BundleError } from "../../formats/bundle.js";
import { isBundleDir, loadBundleDir, type Bundle } from "./bundle.js";
import { compileToBundles } from "./compile.js";

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
  peers: Map<string, Bundle>;
}

function pick(
  all: Map<string, Bundle>,
  agent: string | undefined,
  where: string,
  candidates: string[] = [...all.keys()],
): ResolvedTarget {
  const names = [...candidates].sort();
  if (names.length === 0) throw new TargetError(`${where} holds no agent to run`, ExitCode.CheckFailed);
  let name = agent;
  if (name === undefined) {
    if (names.length > 1)
      throw new TargetError(`${where} holds several agents (${names.join(", ")}); choose one with --agent NAME`);
    name = names[0]!;
  }
  const bundle = all.get(name);
  if (!bundle) throw new TargetError(`${where} has no agent \`${name}\` (it has: ${names.join(", ")})`);
  return { bundle, peers: all };
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

function loadAll(dirs: string[]): Map<string, Bundle> {
  const all = new Map<string, Bundle>();
  for (const d of dirs) {
    const b = loadBundleDir(d);
    const first = all.get(b.agent);
    if (first) throw new BundleError(`two bundles hold agent \`${b.agent}\`: ${first.origin} and ${b.origin}`);
    all.set(b.agent, b);
  }
  return all;
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
    const compiled = await compileToBundles(target);
    return pick(compiled.bundles, agent, target, compiled.inFile);
  }
  if (!st.isDirectory()) throw new TargetError(`${target} is neither a .symbi file nor a bundle folder`);
  if (isBundleDir(target)) {
    const bundle = loadBundleDir(target);
    if (agent !== undefined && agent !== bundle.agent)
      throw new TargetError(`the bundle ${target} holds agent \`${bundle.agent}\`, not \`${agent}\``);
    // Its sibling bundles (same build folder) are its peers; each is verified like the bundle itself.
    const siblings = bundleDirsIn(dirname(target)).filter((d) => basename(d) !== basename(target));
    const peers = loadAll(siblings);
    peers.set(bundle.agent, bundle);
    return { bundle, peers };
  }
  const dirs = bundleDirsIn(target);
  if (dirs.length === 0)
    throw new TargetError(
      `${target} is not a bundle folder (no bundle.json) and holds none; build one with: symbic build`,
      ExitCode.CheckFailed,
    );
  return pick(loadAll(dirs), agent, target);
}
