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
 *                            (and `<name>.clad.toml.sig`, the contract's SchemaPin signature, when it has one)
 *   contracts.json           the same contracts as resolved here (../contracts/precompiled.ts)
 *   mcp.json                 the MCP tools among them: their servers and pinned definitions
 *   skills/<path>.manifest.json  the SchemaPin manifest of each skill it names (skills.ts)
 *   bundle.json              hashes of all of the above (bundle.ts)
 * Paths inside a bundle (and the DSL locations it records) are relative to the project folder,
 * so a bundle does not depend on where the build ran.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import type { AgentDef, Program } from "../../grammar/ast.js";
import { decodeSource, parseText } from "../../grammar/index.js";
import { Project, type AgentInfo, type CheckResult } from "../check/index.js";
import { VERSION } from "../version.js";
import { readContractText, type ToolContract } from "../contracts/index.js";
import { diagnostic, hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics/model.js";
import type { ActionCatalog } from "../policy/catalog.js";
import type { BundleFiles } from "../../formats/bundle.js";
import { MCP_BUNDLE_FILE, MCP_BUNDLE_FORMAT, type McpBundle } from "../../formats/mcp.js";
import { CONTRACT_SIGNATURE_SUFFIX } from "../contracts/model.js";
import { PRECOMPILED_CONTRACTS_FILE, bundledContractPath, precompiledContractsText } from "../contracts/precompiled.js";
import { lockPath, serializeMcpLock, type McpLock } from "../mcp/lock.js";
import type { AgentIR } from "../../formats/ir.js";
import { sealBundle } from "./bundle.js";
import { policyFiles, type CedarCompilation } from "./cedar/index.js";
import type { ValidationMemory } from "./cedar/validate.js";
import { compileAgent } from "./agent.js";
import { buildSkills } from "./skills.js";

export interface SourceInput {
  /** Path relative to the project folder, POSIX separators (as recorded in the bundle). */
  file: string;
  bytes: Buffer;
}

export interface BuildInput {
  projectDir: string;
  /** The files whose agents are built. */
  sources: SourceInput[];
  /** Other source files of the project: checked with the build (names resolve across files), not built. */
  otherSources?: SourceInput[];
  /** Contract files in memory (project-relative paths); default: `<projectDir>/tools/*.clad.toml`. */
  contractTexts?: Array<{ file: string; text: string }>;
  /** Refuse to build when the checker reports errors (default true, as `symbic build` does). */
  check?: boolean;
  compilerVersion?: string;
  /** The image the Kubernetes Jobs run (default DEFAULT_RUNTIME_IMAGE; `symbic build --runtime-image`). */
  runtimeImage?: string;
  /**
   * The MCP pins to build with instead of `<projectDir>/mcp.lock.json` (`symbic build` listing the
   * servers itself: compiler/mcp/README.md, "Pins at build time").
   */
  mcpLock?: McpLock;
  /**
   * Validation inputs that passed before, not validated again (a build in memory: `symbi exec
   * FILE.symbi`, `symbic test`; compiler/emit/cedar/validate.ts). `symbic build` validates all.
   */
  validationMemory?: ValidationMemory;
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
  if (!isAbsolute(file)) return file.split(sep).join("/");
  const rel = relative(projectDir, file);
  return (rel.startsWith("..") || rel === "" ? file : rel).split(sep).join("/");
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + "\n");
}

/** The ordered levels of the stdlib's `Clearance` type (what `<` on levels ranks by). */
export function buildProject(input: BuildInput): BuildOutput {
  const diagnostics: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const wanted = new Set(input.sources.map((s) => s.file));
  const project = new Project(input.projectDir, { loadContractsFromDisk: input.contractTexts === undefined });
  for (const c of input.contractTexts ?? []) project.setFile(c.file, c.text);
  if (input.mcpLock) project.setFile(lockPath(input.projectDir), serializeMcpLock(input.mcpLock));
  for (const s of [...input.sources, ...(input.otherSources ?? [])]) {
    const decoded = decodeSource(s.bytes, s.file);
    if ("diagnostic" in decoded) {
      if (wanted.has(s.file)) diagnostics.push(decoded.diagnostic);
      continue;
    }
    texts.set(s.file, decoded.text);
    // Syntax errors stop the build before the checker sees a recovered tree.
    const syntax = parseText(decoded.text, s.file).diagnostics.filter((d) => d.severity === "error");
    if (syntax.length > 0) {
      if (wanted.has(s.file)) diagnostics.push(...syntax);
      continue;
    }
    project.setFile(s.file, decoded.text);
  }
  if (hasErrors(diagnostics)) return { bundles: [], diagnostics: sortDiagnostics(diagnostics), texts };
  const res = project.check();
  const rel = (f: string) => projectPath(input.projectDir, f);
  for (const d of res.diagnostics) {
    const file = rel(d.file);
    // Report the built files, the contracts, and project-wide problems; other files are the
    // business of `symbic check`.
    if (texts.has(file) && !wanted.has(file)) continue;
    diagnostics.push({
      ...d,
      file,
      ...(d.related ? { related: d.related.map((r) => ({ ...r, file: rel(r.file) })) } : {}),
    });
  }
  const check = input.check ?? true;
  const syntaxErrors = [...wanted].some((f) => res.files.get(f)?.diagnostics.some((d) => d.severity === "error"));
  // With `check: false` (tests of the emitter alone) the checker's findings in the built files
  // are shown but do not stop the build; syntax errors and broken contracts always do.
  const blocking = check
    ? hasErrors(diagnostics)
    : syntaxErrors || hasErrors(diagnostics.filter((d) => !wanted.has(d.file)));
  if (blocking) return { bundles: [], diagnostics: sortDiagnostics(diagnostics), texts };
  const buildDiagnostics: Diagnostic[] = [];

  const contracts = new Map<string, ToolContract>();
  for (const [name, c] of res.contracts) contracts.set(name, { ...c, file: rel(c.file) });
  for (const cp of res.channelPolicies) {
    if (wanted.has(rel(cp.file)))
      buildDiagnostics.push(
        diagnostic({
          code: "W0601",
          message: `channel policy \`${cp.name}\` is not compiled (channels do not run in this toolchain)`,
          file: rel(cp.file),
          span: cp.node.name.span,
        }),
      );
  }
  const bundles: AgentBundle[] = [];
  const seen = new Map<string, { file: string; agent: AgentDef }>();
  for (const s of input.sources) {
    const program = res.files.get(s.file)?.program;
    if (!program) continue;
    for (const it of program.items) {
      if (it.kind !== "Agent") continue;
      const name = it.name.name;
      const prev = seen.get(name);
      if (prev) {
        buildDiagnostics.push(
          diagnostic({
            code: "E0618",
            message: `agent \`${name}\` is defined twice in this build`,
            file: s.file,
            span: it.name.span,
            related: [{ file: prev.file, span: prev.agent.name.span, message: "first defined here" }],
          }),
        );
        continue;
      }
      seen.set(name, { file: s.file, agent: it });
      const info = res.agents.get(name);
      if (!info || info.node !== it) continue;
      const b = buildAgent(info, s, program, res, contracts, texts, input, buildDiagnostics);
      if (b) bundles.push(b);
    }
  }
  const all = sortDiagnostics([...diagnostics, ...buildDiagnostics]);
  // Nothing is built unless every agent compiled: a failed build never yields part of a project.
  return { bundles: hasErrors(buildDiagnostics) ? [] : bundles, diagnostics: all, texts };
}

/** `metadata { model = "..." }` of the agent's file (the checker has made sure it is a string). */
function metadataModel(program: Program): string | undefined {
  for (const it of program.items) {
    if (it.kind !== "Metadata") continue;
    for (const e of it.entries)
      if (e.kind === "Property" && e.key.name === "model" && e.value.kind === "String") return e.value.value;
  }
  return undefined;
}

function rel(file: string, input: BuildInput): string {
  return projectPath(input.projectDir, file);
}

function buildAgent(
  info: AgentInfo,
  source: SourceInput,
  program: Program,
  res: CheckResult,
  contracts: Map<string, ToolContract>,
  texts: Map<string, string>,
  input: BuildInput,
  diagnostics: Diagnostic[],
): AgentBundle | undefined {
  const agent = info.node;
  const file = source.file;
  const compiled = compileAgent(info, res, contracts, {
    file,
    text: (f) => texts.get(f),
    display: (f) => rel(f, input),
    validate: true,
    ...(input.validationMemory ? { validationMemory: input.validationMemory } : {}),
    ...(input.runtimeImage !== undefined ? { kubernetes: { runtimeImage: input.runtimeImage } } : {}),
  });
  diagnostics.push(...compiled.diagnostics);
  const { cedar, catalog, ir } = compiled;
  const skills = buildSkills(input.projectDir, file, info.withBlocks);
  diagnostics.push(...skills.diagnostics);
  for (const [f, t] of skills.texts) texts.set(f, t);
  if (!ir || hasErrors(skills.diagnostics)) return undefined;

  const files: BundleFiles = new Map();
  const pf = policyFiles(cedar);
  files.set("policy.cedar", Buffer.from(pf.policy));
  files.set("approval.cedar", Buffer.from(pf.approval));
  files.set("schema.cedarschema.json", json(cedar.schema));
  files.set("policies.json", json(cedar.policiesJson));
  for (const b of compiled.manifests) {
    files.set(`sandbox/${b.index}.json`, Buffer.from(b.json));
    if (b.yaml !== undefined) files.set(`k8s/${b.index}.yaml`, Buffer.from(b.yaml));
  }
  files.set("agent.ir.json", Buffer.from(JSON.stringify(ir) + "\n"));
  for (const m of skills.files) files.set(m.path, m.bytes);
  // The contracts, verbatim, of the tools the agent's code calls (every call is decided, and a
  // denied one is audited with its arguments validated) and of those its allow rules can permit.
  const callable = new Set<string>(toolsCalledBy(ir).filter((t) => contracts.has(t)));
  for (const r of cedar.model.rules) {
    if (r.effect !== "permit") continue;
    for (const a of r.match.actions === "all" ? catalog.actions.keys() : r.match.actions)
      if (contracts.has(a)) callable.add(a);
  }
  const mcp: McpBundle = { format: MCP_BUNDLE_FORMAT, servers: {}, tools: {} };
  const fileContracts: ToolContract[] = [];
  for (const name of [...callable].sort()) {
    const c = contracts.get(name)!;
    if (c.mcp) {
      // An MCP tool: its server and pinned definition go to mcp.json (docs/bundle.md, "MCP tools").
      const server = res.mcpServers.get(c.mcp.server)!;
      mcp.servers[c.mcp.server] = server.decl;
      mcp.tools[name] = {
        server: c.mcp.server,
        definition: c.mcp.definition,
        hash: c.mcp.hash,
        ...(c.mcp.signature ? { signature: c.mcp.signature } : {}),
        riskTier: c.riskTier,
        humanApproval: c.humanApproval,
        groups: c.policy?.groups ?? [],
      };
      continue;
    }
    fileContracts.push({ ...c, file: bundledContractPath(name) });
    const inMemory = input.contractTexts?.find((t) => t.file === c.file);
    files.set(
      bundledContractPath(name),
      inMemory ? Buffer.from(inMemory.text) : Buffer.from(readContractText(join(input.projectDir, c.file))),
    );
    // Its SchemaPin signature, when it has one: the runtime verifies it (and requires it when the
    // operator requires signed tools).
    const sig = join(input.projectDir, `${c.file}${CONTRACT_SIGNATURE_SUFFIX}`);
    if (!inMemory && existsSync(sig))
      files.set(`tools/${name}.clad.toml${CONTRACT_SIGNATURE_SUFFIX}`, Buffer.from(readContractText(sig)));
  }
  if (Object.keys(mcp.tools).length > 0) files.set(MCP_BUNDLE_FILE, json(sortedMcpBundle(mcp)));
  // Contracts may use the project's custom argument types: the runtime needs their definitions.
  if (fileContracts.length > 0) {
    // The contracts as resolved here, so a run loads them without parsing TOML (compiler/contracts/precompiled.ts).
    const precompiled = precompiledContractsText(fileContracts);
    if (precompiled !== undefined) files.set(PRECOMPILED_CONTRACTS_FILE, Buffer.from(precompiled));
    const toolclad = join(input.projectDir, "toolclad.toml");
    if (existsSync(toolclad)) files.set("toolclad.toml", Buffer.from(readContractText(toolclad)));
  }
  const model = metadataModel(program);
  const sealed = sealBundle(
    agent.name.name,
    files,
    [{ path: file, bytes: source.bytes }],
    input.compilerVersion ?? VERSION,
    model !== undefined ? { model } : {},
  );
  return { agent: agent.name.name, file, files: sealed, cedar, catalog, cedarValidationMs: cedar.validationMillis };
}

/** mcp.json with servers and tools in name order (a rebuild gives the same bytes). */
function sortedMcpBundle(m: McpBundle): McpBundle {
  const byName = <T>(r: Record<string, T>): Record<string, T> =>
    Object.fromEntries(
      Object.keys(r)
        .sort()
        .map((k) => [k, r[k]!]),
    );
  return { format: m.format, servers: byName(m.servers), tools: byName(m.tools) };
}

/** The tools the IR refers to (calls, and tools passed around as values). */
function toolsCalledBy(ir: AgentIR): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.kind === "Name") {
        const r = o.ref as { to: string; tool?: string };
        if (r.to === "tool" && r.tool) out.add(r.tool);
      }
      for (const [k, x] of Object.entries(o)) if (k !== "span") walk(x);
    }
  };
  walk([ir.agent.withBlocks, ir.functions]);
  return [...out].sort();
}
