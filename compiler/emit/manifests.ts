/**
 * `with` blocks → sandbox manifests (formats/sandbox-manifest.ts) and Kubernetes objects
 * (compiler/emit/kubernetes.ts), one per block of the agent (DESIGN §7).
 *
 * The attributes are validated by the checker (compiler/check/with-block.ts: tiers, limits,
 * timeouts — bare numbers are milliseconds — network settings); this module maps the validated
 * settings into the manifest and adds what only the whole build knows:
 *
 * - network: none, unless the policies allow tools whose contracts need destinations
 *   (`[tool.sandbox] network`); then the allowlist is their union. `network_policy = "deny_all"`
 *   with such a tool allowed, or a `network = [...]` allowlist that misses a destination such a
 *   tool needs, is a contradiction (E0615), as is a `require: { sandbox_tier: ... }` that
 *   differs from the block's tier;
 * - the manifest is validated against its JSON Schema; an error is placed on the attribute that
 *   set the field (E0616);
 * - the Kubernetes objects (kubernetes.ts) run the bundle's agent in one pod whose tools container
 *   carries the same constraints; the process tier has no Kubernetes form (no file is written
 *   for it), and a constraint Kubernetes cannot express (a host-name allowance) is an error
 *   (E0617), never an open rule.
 */
import type { AgentDef, WithBlock } from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import type { WithSettings } from "../check/with-block.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import type { ActionCatalog } from "../policy/catalog.js";
import type { AgentPolicyModel } from "../policy/model.js";
import { KubernetesRenderError, renderKubernetes, type KubernetesRenderOptions } from "./kubernetes.js";
import {
  defaultSandboxManifest,
  serializeSandboxManifest,
  validateSandboxManifest,
  type NetworkDestination,
  type SandboxManifest,
  type SandboxNetwork,
} from "../../formats/sandbox-manifest.js";
import { sandboxTierFromDsl, withAttributeForPath } from "../../stdlib/with-attributes.js";

export interface BlockOutput {
  index: number;
  manifest: SandboxManifest;
  /** `sandbox/<n>.json` text. */
  json: string;
  /** `k8s/<n>.yaml` text; undefined for the process tier. */
  yaml?: string;
}

export interface ManifestsInput {
  agent: AgentDef;
  file: string;
  model: AgentPolicyModel;
  catalog: ActionCatalog;
  /** Validated settings per `with` block, in order (the checker's AgentInfo.withBlocks). */
  settings: readonly WithSettings[];
  /** How the Kubernetes objects are rendered (`symbic build --runtime-image`). */
  kubernetes?: KubernetesRenderOptions;
}

function destKey(d: NetworkDestination): string {
  return `${d.host}\u0000${d.port}\u0000${d.protocol ?? "tcp"}`;
}

/** Tools some `allow` rule can permit, with the network destinations their contracts need. */
function networkNeeds(
  model: AgentPolicyModel,
  catalog: ActionCatalog,
): Array<{ tool: string; dest: NetworkDestination; rule: string }> {
  const out: Array<{ tool: string; dest: NetworkDestination; rule: string }> = [];
  const seen = new Set<string>();
  for (const r of model.rules) {
    if (r.effect !== "permit") continue;
    const names = r.match.actions === "all" ? [...catalog.actions.keys()] : r.match.actions;
    for (const n of names) {
      const a = catalog.actions.get(n);
      for (const d of a?.network ?? []) {
        const dest: NetworkDestination = { host: d.host, port: d.port };
        const k = `${n}\u0000${destKey(dest)}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({ tool: n, dest, rule: r.id });
      }
    }
  }
  return out;
}

function attrSpan(w: WithBlock, name: string): Span | undefined {
  const a = w.attributes.find((x) => x.name.name === name);
  return a?.value.span;
}

export function buildManifests(input: ManifestsInput): { blocks: BlockOutput[]; diagnostics: Diagnostic[] } {
  const { agent, file, model, catalog } = input;
  const diagnostics: Diagnostic[] = [];
  const settings = input.settings;
  const needs = networkNeeds(model, catalog);
  const tierRequirements = model.settings.filter(
    (s) => s.kind === "require" && typeof s.settings["sandbox_tier"] === "string",
  );
  const blocks: BlockOutput[] = [];
  const err = (code: string, message: string, span: Span, help?: string) =>
    diagnostics.push(diagnostic({ code, message, file, span, ...(help ? { help } : {}) }));

  settings.forEach((ws, index) => {
    const w = ws.node;
    const tier = ws.tier ?? "tier1";
    // require: { sandbox_tier: "Tier2" } must agree with the block's tier.
    for (const req of tierRequirements) {
      const wanted = sandboxTierFromDsl(String(req.settings["sandbox_tier"]));
      if (wanted.ok && wanted.tier !== tier) {
        err(
          "E0615",
          `policy \`${req.policy}\` requires sandbox tier ${String(req.settings["sandbox_tier"])}, but this \`with\` block runs in ${tier === "tier1" ? "Tier1" : tier === "tier2" ? "Tier2" : "process"}`,
          ws.tierSpan ?? w.span,
          `set \`sandbox = "${String(req.settings["sandbox_tier"])}"\` or change the requirement (${req.file}:${req.span.line})`,
        );
      }
    }
    let network: SandboxNetwork = { mode: "none" };
    const declared = ws.network;
    const netAttr = attrSpan(w, "network_policy") ?? attrSpan(w, "network") ?? w.span;
    if (declared && declared.mode === "none" && needs.length > 0) {
      const n = needs[0]!;
      err(
        "E0615",
        `this block denies all network access, but policy rule ${n.rule} allows \`${n.tool}\`, whose contract needs ${n.dest.host}:${n.dest.port}`,
        netAttr,
        "remove the network restriction, or stop allowing the tool",
      );
    } else if (declared && declared.mode === "allowlist") {
      const have = new Set(declared.allow.map(destKey));
      for (const n of needs) {
        if (!have.has(destKey(n.dest)))
          err(
            "E0615",
            `policy rule ${n.rule} allows \`${n.tool}\`, whose contract needs ${n.dest.host}:${n.dest.port}, which this block's \`network\` allowlist does not include`,
            netAttr,
            `add "${n.dest.host}:${n.dest.port}" to \`network\``,
          );
      }
      network = { mode: "allowlist", allow: declared.allow.map((d) => ({ ...d })) };
    } else if (needs.length > 0) {
      const uniq = new Map<string, NetworkDestination>();
      for (const n of needs) uniq.set(destKey(n.dest), n.dest);
      network = {
        mode: "allowlist",
        allow: [...uniq.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d),
      };
    }
    const m = defaultSandboxManifest({
      agent: agent.name.name,
      tier,
      ...(ws.tier === undefined ? { tierDefault: true } : {}),
      block: index,
      source: { file, line: w.span.line, column: w.span.col },
      ...(ws.timeoutMs !== undefined ? { timeoutMs: ws.timeoutMs } : {}),
      ...(ws.memoryMb !== undefined ? { memoryMb: ws.memoryMb } : {}),
      ...(ws.cpus !== undefined ? { cpus: ws.cpus } : {}),
      ...(ws.pids !== undefined ? { pids: ws.pids } : {}),
      ...(ws.fresh === true ? { fresh: true } : {}),
      network,
    });
    const v = validateSandboxManifest(m);
    if (!v.ok) {
      for (const e of v.errors) {
        const attr = withAttributeForPath(e.path);
        err(
          "E0616",
          `sandbox manifest ${e.path || "/"} ${e.message}`,
          (attr ? attrSpan(w, attr) : undefined) ?? w.span,
        );
      }
      return;
    }
    const out: BlockOutput = { index, manifest: m, json: serializeSandboxManifest(m) };
    if (m.tier !== "process") {
      try {
        out.yaml = renderKubernetes(m, input.kubernetes).yaml;
      } catch (e) {
        if (!(e instanceof KubernetesRenderError)) throw e;
        err(
          "E0617",
          e.message,
          netAttr,
          "give the tool's network allowance as an IP address or CIDR block in its contract",
        );
      }
    }
    blocks.push(out);
  });
  return { blocks, diagnostics };
}
