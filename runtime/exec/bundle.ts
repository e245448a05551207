/**
 * Bundles (docs/bundle.md): loading one from a folder (or from files built in memory), and
 * verifying it before anything runs — the format, every file's SHA-256 against `bundle.json`,
 * no unlisted files, no symlinks or paths escaping the folder, every file the runtime needs
 * present (a missing one is an error, never a weaker mode), and the shape of each part the
 * runtime reads. A bundle that fails any check is refused with BundleError (exit 3).
 *
 * A folder's `bundle.sig` (formats/bundle-signature.ts) is read and parsed here; whether its
 * key is trusted is decided by trust.ts when the bundle is about to run.
 *
 * Each file is read once; the bytes that were hashed are the bytes that are used.
 */
import { lstatSync, readdirSync } from "node:fs";
import { readBounded } from "../../formats/bounded-read.js";
import { join } from "node:path";
import { loadContractSources } from "../../compiler/contracts/load.js";
import type { ToolContract } from "../../compiler/contracts/model.js";
import { PRECOMPILED_CONTRACTS_FILE, parsePrecompiledContracts } from "../../compiler/contracts/precompiled.js";
import { validateSandboxManifest, type SandboxManifest } from "../../formats/sandbox-manifest.js";
import { GateLoadError, PolicySet, type CompiledPolicies } from "../gate/gate.js";
import { irProblem, type AgentIR, type IrWithBlock } from "../../formats/ir.js";
import { BundleError, parseBundleManifest, sha256Hex, type BundleManifest } from "../../formats/bundle.js";
import { DefinitionError, MCP_BUNDLE_FILE, parseMcpBundle, type McpBundle } from "../../formats/mcp.js";
import { mcpToolContract } from "../../compiler/mcp/contract.js";
import {
  BUNDLE_SIGNATURE_FILE,
  MAX_BUNDLE_SIGNATURE_BYTES,
  parseBundleSignature,
  type BundleSignature,
} from "../../formats/bundle-signature.js";

/** Largest bundle file the runtime reads. */
export const MAX_BUNDLE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Where a bundle comes from: a folder on disk (which may carry a signature, and must be trusted
 * before it runs: trust.ts), or compiled in this process from the operator's own sources
 * (`symbi exec FILE.symbi`), which no one could have altered between build and run.
 */
export type BundleSource = "folder" | "compiled";

export interface Bundle {
  /** Where it came from, for messages: the folder, or `<file> (compiled in memory)`. */
  origin: string;
  source: BundleSource;
  /** SHA-256 of bundle.json (identifies the bundle in the audit log). */
  sha256: string;
  /** The exact bytes of bundle.json (what a signature covers). */
  manifestBytes: Buffer;
  /** The parsed bundle.sig of a folder bundle; null when the bundle is not signed. */
  signature: BundleSignature | null;
  manifest: BundleManifest;
  agent: string;
  ir: AgentIR;
  /** The `with` block that runs (the agent's first) and its index among the agent's `with` blocks. */
  entry: IrWithBlock;
  entryIndex: number;
  /** The sandbox manifest of the entry block. */
  sandbox: SandboxManifest;
  /** The four compiled policy files, all required (runtime/gate loads them). */
  policies: CompiledPolicies;
  contracts: Map<string, ToolContract>;
  /** `mcp.json`: the MCP servers of the agent's tools and their pinned definitions (null: none). */
  mcp: McpBundle | null;
  /** Every verified file, by bundle path. */
  files: ReadonlyMap<string, Buffer>;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BundleError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(dir, name));
    if (st.isSymbolicLink())
      throw new BundleError(`${join(dir, name)} is a symbolic link; a bundle holds only regular files`);
    if (st.isDirectory()) out.push(...listFiles(join(dir, name), rel));
    else if (st.isFile()) out.push(rel);
    else throw new BundleError(`${join(dir, name)} is not a regular file`);
  }
  return out;
}

/** Whether `dir` holds a bundle (a bundle.json). */
export function isBundleDir(dir: string): boolean {
  try {
    return lstatSync(join(dir, "bundle.json")).isFile();
  } catch {
    return false;
  }
}

/** Loads and verifies the bundle in `dir`. Throws BundleError. */
export function loadBundleDir(dir: string): Bundle {
  const manifestPath = join(dir, "bundle.json");
  let manifestBytes: Buffer;
  try {
    if (!lstatSync(manifestPath).isFile()) throw new BundleError(`${manifestPath} is not a regular file`);
    manifestBytes = readBounded(manifestPath, MAX_BUNDLE_FILE_BYTES);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(
      `${dir} is not a bundle: cannot read ${manifestPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const manifest = parseBundleManifest(manifestBytes.toString("utf8"), dir);
  const listed = new Set(Object.keys(manifest.files));
  let present: string[];
  try {
    present = listFiles(dir);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(`cannot list bundle ${dir}: ${(e as Error).message}`);
  }
  for (const p of present) {
    if (p !== "bundle.json" && p !== BUNDLE_SIGNATURE_FILE && !listed.has(p))
      throw new BundleError(`${dir}/${p} is not listed in bundle.json: the bundle was modified after it was built`);
  }
  if (listed.has(BUNDLE_SIGNATURE_FILE))
    throw new BundleError(`${dir}/bundle.json lists ${BUNDLE_SIGNATURE_FILE}, which only a signature may be`);
  const files = new Map<string, Buffer>();
  for (const p of listed) {
    const full = join(dir, ...p.split("/"));
    let st;
    try {
      st = lstatSync(full);
    } catch {
      throw new BundleError(`${dir}/${p} is listed in bundle.json but missing`);
    }
    if (!st.isFile()) throw new BundleError(`${dir}/${p} is not a regular file`);
    if (st.size > MAX_BUNDLE_FILE_BYTES)
      throw new BundleError(`${dir}/${p} is larger than ${MAX_BUNDLE_FILE_BYTES / 1048576} MiB`);
    // Bounded again: the file may have been swapped since the lstat.
    try {
      files.set(p, readBounded(full, MAX_BUNDLE_FILE_BYTES));
    } catch (e) {
      throw new BundleError(`${dir}/${p}: ${(e as Error).message.replace(`${full}: `, "")}`);
    }
  }
  const bundle = verifyBundle(manifest, manifestBytes, files, dir, "folder");
  if (present.includes(BUNDLE_SIGNATURE_FILE)) bundle.signature = readSignature(dir);
  return bundle;
}

/** Reads and parses `bundle.sig` (present: listFiles found it as a regular file). */
function readSignature(dir: string): BundleSignature {
  const path = join(dir, BUNDLE_SIGNATURE_FILE);
  let bytes: Buffer;
  try {
    if (lstatSync(path).size > MAX_BUNDLE_SIGNATURE_BYTES)
      throw new BundleError(`${path} is not a bundle signature: it is too large`);
    bytes = readBounded(path, MAX_BUNDLE_SIGNATURE_BYTES);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const parsed = parseBundleSignature(bytes);
  if (!parsed.ok) throw new BundleError(`${path} is not a bundle signature: ${parsed.problem}`);
  return parsed.signature;
}

/**
 * Builds a verified bundle from files compiled in memory by this process (`symbi exec
 * FILE.symbi` compiles into this); `bundleJson` is the text of bundle.json. The same checks as
 * for a folder apply.
 */
export function bundleFromFiles(
  bundleJson: string,
  files: ReadonlyMap<string, Buffer | string>,
  origin: string,
): Bundle {
  const manifest = parseBundleManifest(bundleJson, origin);
  const bufs = new Map<string, Buffer>();
  for (const [p, c] of files) {
    if (p === "bundle.json") continue;
    if (!Object.hasOwn(manifest.files, p)) throw new BundleError(`${origin}: ${p} is not listed in bundle.json`);
    bufs.set(p, typeof c === "string" ? Buffer.from(c, "utf8") : c);
  }
  for (const p of Object.keys(manifest.files))
    if (!bufs.has(p)) throw new BundleError(`${origin}: ${p} is listed in bundle.json but missing`);
  return verifyBundle(manifest, Buffer.from(bundleJson, "utf8"), bufs, origin, "compiled");
}

function text(files: ReadonlyMap<string, Buffer>, p: string): string | undefined {
  const b = files.get(p);
  if (b === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    throw new BundleError(`bundle file ${p} is not valid UTF-8`);
  }
}

function verifyBundle(
  manifest: BundleManifest,
  manifestBytes: Buffer,
  files: Map<string, Buffer>,
  origin: string,
  source: BundleSource,
): Bundle {
  for (const [p, want] of Object.entries(manifest.files)) {
    const got = sha256Hex(files.get(p)!);
    if (got !== want)
      throw new BundleError(
        `${origin}/${p} does not match its hash in bundle.json (expected ${want.slice(0, 12)}…, found ${got.slice(0, 12)}…): the bundle was modified after it was built`,
      );
  }
  const need = (p: string): string => {
    const t = text(files, p);
    if (t === undefined)
      throw new BundleError(
        `${origin} has no ${p}, which every bundle must hold: the bundle is incomplete (rebuild it with symbic build)`,
      );
    return t;
  };

  const ir = parseIr(need("agent.ir.json"), origin);
  if (ir.agent.name !== manifest.agent)
    throw new BundleError(
      `${origin}: agent.ir.json holds agent \`${ir.agent.name}\`, bundle.json names \`${manifest.agent}\``,
    );
  const entry = ir.agent.withBlocks[0];
  if (!entry) throw new BundleError(`agent \`${manifest.agent}\` has no \`with\` block, so there is nothing to run`);
  const entryIndex = 0;

  const sandboxPath = `sandbox/${entryIndex}.json`;
  const sv = validateSandboxManifest(parseJson(need(sandboxPath), `${origin}/${sandboxPath}`));
  if (!sv.ok)
    throw new BundleError(
      `${origin}/${sandboxPath} is not a valid sandbox manifest: ${sv.errors
        .slice(0, 3)
        .map((e) => `${e.path || "/"} ${e.message}`)
        .join("; ")}`,
    );
  if (sv.manifest.agent !== manifest.agent)
    throw new BundleError(
      `${origin}/${sandboxPath} is the manifest of agent \`${sv.manifest.agent}\`, not \`${manifest.agent}\``,
    );

  // All four policy files are required: a bundle missing one is refused, never decided in a
  // weaker mode.
  const policies: CompiledPolicies = {
    policy: need("policy.cedar"),
    approval: need("approval.cedar"),
    schema: parseJson(need("schema.cedarschema.json"), `${origin}/schema.cedarschema.json`),
    policiesJson: parseJson(need("policies.json"), `${origin}/policies.json`),
  };

  // Tool contracts: as `symbic build` resolved them (contracts.json, checked against the bundle's
  // contract files), or parsed from the TOML as the compiler parsed them (custom types from
  // toolclad.toml if carried) in a bundle without contracts.json.
  const contractFiles = [...files.keys()].filter((p) => /^tools\/[^/]+\.clad\.toml$/.test(p)).sort();
  const contracts = files.has(PRECOMPILED_CONTRACTS_FILE)
    ? precompiledContracts(need(PRECOMPILED_CONTRACTS_FILE), contractFiles, origin)
    : parsedContracts(files, contractFiles, need, origin);
  const mcp = loadMcpPart(files, origin);
  for (const [name, c] of mcp?.contracts ?? []) {
    if (contracts.has(name))
      throw new BundleError(`${origin}/${MCP_BUNDLE_FILE}: tool \`${name}\` is also a contract of the bundle`);
    contracts.set(name, c);
  }

  const bundle: Bundle = {
    origin,
    source,
    sha256: sha256Hex(manifestBytes),
    manifestBytes,
    signature: null,
    manifest,
    agent: manifest.agent,
    ir,
    entry,
    entryIndex,
    sandbox: sv.manifest,
    policies,
    contracts,
    mcp: mcp?.bundle ?? null,
    files,
  };
  return bundle;
}

function precompiledContracts(text: string, contractFiles: string[], origin: string): Map<string, ToolContract> {
  const r = parsePrecompiledContracts(text, contractFiles);
  if (!r.ok) throw new BundleError(`${origin}/${PRECOMPILED_CONTRACTS_FILE} ${r.problem}`);
  return r.contracts;
}

function parsedContracts(
  files: ReadonlyMap<string, Buffer>,
  contractFiles: string[],
  need: (p: string) => string,
  origin: string,
): Map<string, ToolContract> {
  const toolcladText = text(files, "toolclad.toml");
  const loaded = loadContractSources(
    contractFiles.map((p) => ({ file: p, text: need(p) })),
    toolcladText === undefined ? undefined : { file: "toolclad.toml", text: toolcladText },
  );
  const bad = loaded.diagnostics.find((d) => d.severity === "error");
  if (bad) throw new BundleError(`${origin}/${bad.file}:${bad.span.line}:${bad.span.col}: ${bad.message}`);
  return loaded.contracts;
}

const NO_SPAN = { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };

/**
 * `mcp.json`: the agent's MCP servers and pinned tools, each tool made into its contract by the
 * compiler's own conversion (compiler/mcp/contract.ts), so the runtime reads it as the checker did.
 */
function loadMcpPart(
  files: ReadonlyMap<string, Buffer>,
  origin: string,
): { bundle: McpBundle; contracts: Map<string, ToolContract> } | undefined {
  const t = text(files, MCP_BUNDLE_FILE);
  if (t === undefined) return undefined;
  let bundle: McpBundle;
  try {
    bundle = parseMcpBundle(t, `${origin}/${MCP_BUNDLE_FILE}`);
  } catch (e) {
    if (e instanceof DefinitionError) throw new BundleError(e.message);
    throw e;
  }
  const contracts = new Map<string, ToolContract>();
  for (const [name, tool] of Object.entries(bundle.tools)) {
    const r = mcpToolContract({
      server: {
        name: tool.server,
        prefix: "",
        riskTier: tool.riskTier,
        humanApproval: tool.humanApproval,
        groups: tool.groups,
        decl: bundle.servers[tool.server]!,
      },
      locked: tool,
      name,
      file: MCP_BUNDLE_FILE,
      span: NO_SPAN,
    });
    if (!r.contract) throw new BundleError(`${origin}/${MCP_BUNDLE_FILE}: ${r.problems.join("; ")}`);
    contracts.set(name, r.contract);
  }
  return { bundle, contracts };
}

const policySets = new WeakMap<Bundle, PolicySet>();

/**
 * The bundle's policy set, parsed once per bundle: what `symbi exec` decides with, and what
 * `symbic test` and `symbic explain` load from a project built in memory (one way to load a
 * gate). Throws BundleError when the policies cannot be used.
 */
export function policySetOf(bundle: Bundle): PolicySet {
  let set = policySets.get(bundle);
  if (!set) {
    try {
      set = PolicySet.load(bundle.policies);
    } catch (e) {
      if (e instanceof GateLoadError) throw new BundleError(`${bundle.origin}: ${e.message}`);
      throw e;
    }
    policySets.set(bundle, set);
  }
  return set;
}

export function parseIr(textValue: string, origin: string): AgentIR {
  const ir = parseJson(textValue, `${origin}/agent.ir.json`);
  const problem = irProblem(ir);
  if (problem !== undefined) throw new BundleError(`${origin}/agent.ir.json cannot be run: ${problem}`);
  return ir as AgentIR;
}
