/**
 * What a project's agents need from the machine: the project is compiled in memory (the same
 * build as `symbic build`), and each agent's entry block — with the operator's default sandbox
 * tier applied exactly as `symbi exec` applies it — and each of its tools' sandboxes say which
 * tiers and images must be there; its code says whether it needs a model (`llm_call`,
 * `reason`), and its bundle's `mcp.json` which MCP servers it needs.
 */
import { projectMembers } from "../../compiler/project/members.js";
import { readSourceBytes } from "../../compiler/project/files.js";
import { buildProject, projectPath } from "../../compiler/emit/build.js";
import { hasErrors } from "../../compiler/diagnostics/model.js";
import { resolve } from "node:path";
import { bundleFromFiles } from "../exec/bundle.js";
import { runSandbox, type DefaultTier } from "../exec/sandbox-settings.js";
import { SandboxPool } from "../exec/sandboxes.js";
import type { SandboxManifest } from "../../formats/sandbox-manifest.js";

export interface ProjectNeeds {
  root: string;
  agents: string[];
  /** Agents by the tier they run in. */
  tiers: Map<"process" | "tier1" | "tier2", string[]>;
  /** Container images and the agents whose tools use them. */
  images: Map<string, string[]>;
  /** Agents whose code calls `llm_call` or `reason`, with the model their metadata names (if any). */
  models: Map<string, string | undefined>;
  /** MCP servers the agents' tools come from: the agents, and the sandbox of the first one's run (where exec starts it). */
  mcpServers: Map<string, { agents: string[]; sandbox: SandboxManifest }>;
  /** Why the needs could not be worked out (sources that do not compile, ...). */
  problem?: string;
}

const MODEL_BUILTINS = new Set(["llm_call", "reason"]);

/** Whether the agent's IR refers to a model builtin (`{ to: "builtin", builtin: "llm_call" }`). */
function callsModel(ir: unknown): boolean {
  const stack: unknown[] = [ir];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if (o["to"] === "builtin" && typeof o["builtin"] === "string" && MODEL_BUILTINS.has(o["builtin"])) return true;
      stack.push(...Object.values(o));
    }
  }
  return false;
}

function add<K>(m: Map<K, string[]>, k: K, agent: string): void {
  const l = m.get(k) ?? [];
  if (!l.includes(agent)) l.push(agent);
  m.set(k, l);
}

export function projectNeeds(root: string, defaultTier: DefaultTier | undefined): ProjectNeeds {
  const needs: ProjectNeeds = {
    root,
    agents: [],
    tiers: new Map(),
    images: new Map(),
    models: new Map(),
    mcpServers: new Map(),
  };
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
    if (callsModel(bundle.ir)) needs.models.set(b.agent, bundle.manifest.model);
    for (const server of Object.keys(bundle.mcp?.servers ?? {})) {
      const entry = needs.mcpServers.get(server);
      if (entry) entry.agents.push(b.agent);
      else needs.mcpServers.set(server, { agents: [b.agent], sandbox: manifest });
    }
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
