/**
 * What a project's agents need from the machine: the project is compiled in memory (the same
 * build as `symbic build`), and each agent's entry block — with the operator's default sandbox
 * tier applied exactly as `symbi exec` applies it — and each of its tools' sandboxes say which
 * tiers and images must be there.
 */
import { projectMembers } from "../../compiler/project/members.js";
import { readSourceBytes } from "../../compiler/project/files.js";
import { buildProject, projectPath } from "../../compiler/emit/build.js";
import { hasErrors } from "../../compiler/diagnostics/model.js";
import { resolve } from "node:path";
import { bundleFromFiles } from "../exec/bundle.js";
import { runSandbox, type DefaultTier } from "../exec/sandbox-settings.js";
import { SandboxPool } from "../exec/sandboxes.js";

export interface ProjectNeeds {
  root: string;
  agents: string[];
  /** Agents by the tier they run in. */
  tiers: Map<"process" | "tier1" | "tier2", string[]>;
  /** Container images and the agents whose tools use them. */
  images: Map<string, string[]>;
  /** Why the needs could not be worked out (sources that do not compile, ...). */
  problem?: string;
}

function add<K>(m: Map<K, string[]>, k: K, agent: string): void {
  const l = m.get(k) ?? [];
  if (!l.includes(agent)) l.push(agent);
  m.set(k, l);
}

export function projectNeeds(root: string, defaultTier: DefaultTier | undefined): ProjectNeeds {
  const needs: ProjectNeeds = { root, agents: [], tiers: new Map(), images: new Map() };
  let files: string[];
  try {
    files = projectMembers(root).files;
  } catch (e) {
    needs.problem = (e as Error).message;
    return needs;
  }
  if (files.length === 0) return needs;
  let out;
  try {
    const sources = files.map((f) => ({ file: projectPath(root, resolve(f)), bytes: readSourceBytes(f) }));
    out = buildProject({ projectDir: root, sources });
  } catch (e) {
    needs.problem = `cannot read the project's sources: ${(e as Error).message}`;
    return needs;
  }
  if (hasErrors(out.diagnostics)) {
    const n = out.diagnostics.filter((d) => d.severity === "error").length;
    needs.problem = `the project does not compile (${n} error${n === 1 ? "" : "s"}): run symbic check ${root}`;
    return needs;
  }
  for (const b of out.bundles) {
    const bundle = bundleFromFiles(b.files.get("bundle.json")!.toString("utf8"), b.files, `${b.agent} (doctor)`);
    needs.agents.push(b.agent);
    let manifest;
    try {
      manifest = runSandbox(bundle, defaultTier ? { defaultTier } : {}).manifest;
    } catch (e) {
      needs.problem = (e as Error).message;
      continue;
    }
    add(needs.tiers, manifest.tier, b.agent);
    if (manifest.tier === "process") continue;
    const pool = new SandboxPool(manifest);
    if (manifest.image) add(needs.images, manifest.image, b.agent);
    for (const c of bundle.contracts.values()) {
      const image = pool.driverFor(c).manifest.image;
      if (image) add(needs.images, image, b.agent);
    }
  }
  return needs;
}
