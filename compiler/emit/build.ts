/**
 * `symbic build` in memory: sources and tool contracts in, one bundle (docs/bundle.md) per agent
 * out, or diagnostics. Nothing is returned for writing unless the whole build is free of errors,
 * so a failed build never produces a weaker or partial bundle.
 *
 * Per agent:
 *   policy.cedar / approval.cedar / schema.cedarschema.json / policies.json   (cedar/)
 *   sandbox/<n>.json / k8s/<n>.yaml                                           (manifests.ts)
 *   agent.ir.json                                                             (ir.ts)
 *   tools/<name>.clad.toml   contracts of the tools the agent's policies can allow, verbatim
 *   bundle.json              hashes of all of the above (bundle.ts)
 * Paths inside a bundle (and the DSL locations it records) are relative to the project folder,
 * so a bundle does not depend on where the build ran.
 */
import { readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { AgentDef, Program } from "../../grammar/ast.js";
import { parseBytes } from "../../grammar/index.js";
import { VERSION } from "../cli/version.js";
import { loadContracts, type LoadContractsResult, type ToolContract } from "../contracts/index.js";
import { diagnostic, hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics/model.js";
import { levelsFromMetadata } from "../policy/analyze.js";
import { buildCatalog, type ActionCatalog } from "../policy/catalog.js";
import { typeTable } from "../policy/dsl-types.js";
import { sealBundle, type BundleFiles } from "./bundle.js";
import { compileCedar, policyFiles, type CedarCompilation } from "./cedar/index.js";
import { agentIR } from "./ir.js";
import { buildManifests } from "./manifests.js";

export interface SourceInput {
  /** Path relative to the project folder, POSIX separators (as recorded in the bundle). */
  file: string;
  bytes: Buffer;
}

export interface BuildInput {
  projectDir: string;
  sources: SourceInput[];
  /** The project's contracts (default: loaded from `<projectDir>/tools`). */
  contracts?: LoadContractsResult;
  compilerVersion?: string;
}

export interface AgentBundle {
  agent: string;
  /** The agent's source file (project-relative). */
  file: string;
  files: BundleFiles;
  /** The Cedar compilation (for tests and tools that decide requests in memory). */
  cedar: CedarCompilation;
  catalog: ActionCatalog;
  /** Milliseconds spent validating the agent's policies with cedar-wasm. */
  cedarValidationMs: number;
}

export interface BuildOutput {
  /** Empty whenever `diagnostics` has an error. */
  bundles: AgentBundle[];
  diagnostics: Diagnostic[];
  /** Source texts by project-relative path (for rendering diagnostics). */
  texts: Map<string, string>;
}

/** A path relative to the project, with POSIX separators. */
export function projectPath(projectDir: string, file: string): string {
  const rel = relative(projectDir, file);
  return (rel.startsWith("..") || rel === "" ? file : rel).split(sep).join("/");
}

function capabilities(agent: AgentDef): string[] {
  const out: string[] = [];
  for (const m of agent.members) {
    if (m.kind !== "Capabilities") continue;
    for (const e of m.list.elements) {
      if (e.kind === "String") out.push(e.value);
      else if (e.kind === "Identifier") out.push(e.name);
    }
  }
  return out;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + "\n");
}

export function buildProject(input: BuildInput): BuildOutput {
  const diagnostics: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const parsed: Array<{ file: string; bytes: Buffer; program: Program; text: string }> = [];
  for (const s of input.sources) {
    const r = parseBytes(s.bytes, s.file);
    texts.set(s.file, r.text);
    diagnostics.push(...r.diagnostics);
    parsed.push({ file: s.file, bytes: s.bytes, program: r.program, text: r.text });
  }
  if (hasErrors(diagnostics)) return { bundles: [], diagnostics: sortDiagnostics(diagnostics), texts };

  const loaded = input.contracts ?? loadContracts(input.projectDir);
  const contracts = new Map<string, ToolContract>();
  for (const [name, c] of loaded.contracts) contracts.set(name, { ...c, file: projectPath(input.projectDir, c.file) });
  for (const d of loaded.diagnostics) diagnostics.push({ ...d, file: projectPath(input.projectDir, d.file) });

  const types = typeTable(parsed.map((p) => p.program));
  const seen = new Map<string, { file: string; agent: AgentDef }>();
  const bundles: AgentBundle[] = [];
  for (const p of parsed) {
    const lv = levelsFromMetadata(p.program);
    if (lv.error) diagnostics.push(diagnostic({ code: "E0607", message: lv.error.message, file: p.file, span: lv.error.span }));
    for (const it of p.program.items) {
      if (it.kind === "Channel") {
        for (const m of it.members) {
          if (m.kind === "Policy") diagnostics.push(diagnostic({ code: "W0601", message: `channel policy \`${m.name.name}\` is not compiled (channels do not run in this toolchain)`, file: p.file, span: m.name.span }));
        }
      }
      if (it.kind !== "Agent") continue;
      const name = it.name.name;
      const prev = seen.get(name);
      if (prev) {
        diagnostics.push(
          diagnostic({
            code: "E0618",
            message: `agent \`${name}\` is defined twice in this build`,
            file: p.file,
            span: it.name.span,
            related: [{ file: prev.file, span: prev.agent.name.span, message: "first defined here" }],
          }),
        );
        continue;
      }
      seen.set(name, { file: p.file, agent: it });
      const b = buildAgent(it, p, types, contracts, input, lv.levels, diagnostics);
      if (b) bundles.push(b);
    }
  }
  const sorted = sortDiagnostics(diagnostics);
  return { bundles: hasErrors(sorted) ? [] : bundles, diagnostics: sorted, texts };
}

function buildAgent(
  agent: AgentDef,
  p: { file: string; bytes: Buffer; program: Program; text: string },
  types: ReturnType<typeof typeTable>,
  contracts: Map<string, ToolContract>,
  input: BuildInput,
  levels: string[] | undefined,
  diagnostics: Diagnostic[],
): AgentBundle | undefined {
  const catalog = buildCatalog(contracts, capabilities(agent));
  const cedar = compileCedar({ agent, file: p.file, text: p.text, program: p.program, types, catalog, ...(levels ? { levels } : {}) });
  diagnostics.push(...cedar.diagnostics);
  const manifests = buildManifests({ agent, file: p.file, model: cedar.model, catalog });
  diagnostics.push(...manifests.diagnostics);
  if (hasErrors(cedar.diagnostics) || hasErrors(manifests.diagnostics) || !cedar.policiesJson) return undefined;

  const files: BundleFiles = new Map();
  const pf = policyFiles(cedar);
  files.set("policy.cedar", Buffer.from(pf.policy));
  files.set("approval.cedar", Buffer.from(pf.approval));
  files.set("schema.cedarschema.json", json(cedar.schema));
  files.set("policies.json", json(cedar.policiesJson));
  for (const b of manifests.blocks) {
    files.set(`sandbox/${b.index}.json`, Buffer.from(b.json));
    if (b.yaml !== undefined) files.set(`k8s/${b.index}.yaml`, Buffer.from(b.yaml));
  }
  files.set("agent.ir.json", Buffer.from(JSON.stringify(agentIR(agent, p.program, p.file)) + "\n"));
  // The contracts of the tools the agent's allow rules can permit.
  const callable = new Set<string>();
  for (const r of cedar.model.rules) {
    if (r.effect !== "permit") continue;
    for (const a of r.match.actions === "all" ? catalog.actions.keys() : r.match.actions) if (contracts.has(a)) callable.add(a);
  }
  for (const name of [...callable].sort()) {
    const c = contracts.get(name)!;
    files.set(`tools/${name}.clad.toml`, readFileSync(join(input.projectDir, c.file)));
  }
  const sealed = sealBundle(agent.name.name, files, [{ path: p.file, bytes: p.bytes }], input.compilerVersion ?? VERSION);
  return { agent: agent.name.name, file: p.file, files: sealed, cedar, catalog, cedarValidationMs: cedar.validationMillis };
}
