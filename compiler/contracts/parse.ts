/**
 * One contract file → ToolContract + located diagnostics. Used by loadContracts (whole project)
 * and directly by the language server (one open document).
 */
import {
  RISK_TIERS,
  type PolicySpec,
  type CedarSpec,
  type CustomTypes,
  type EvidenceSpec,
  type RiskTier,
  type ToolContract,
  type ToolMode,
} from "./model.js";
import type { Diagnostic } from "../diagnostics/model.js";
import { parseTomlSource } from "./toml-source.js";
import { ContractReader, type TomlTable } from "./reader.js";
import { closestName as closest } from "../../grammar/suggest.js";
import { readArgs, IDENTIFIER } from "./args-section.js";
import { readCommand } from "./command-section.js";
import { readOutput } from "./output-section.js";
import { readSandbox } from "./sandbox-section.js";

const TOP_KEYS = ["tool", "args", "command", "output", "http", "mcp", "session", "browser"];
const TOOL_KEYS = [
  "name",
  "version",
  "binary",
  "description",
  "mode",
  "timeout_seconds",
  "risk_tier",
  "human_approval",
  "dispatch",
  "cedar",
  "evidence",
  "sandbox",
  "policy",
];
const MODES = ["oneshot", "session", "browser"] as const;
/** ToolClad's default when `timeout_seconds` is absent. */
export const DEFAULT_TIMEOUT_SECONDS = 60;

export interface ParseContractOptions {
  /** Custom types from the project's `toolclad.toml`. */
  customTypes?: CustomTypes;
}

export interface ParseContractResult {
  /** Absent when the file is not TOML or names no tool. */
  contract?: ToolContract;
  diagnostics: Diagnostic[];
}

/** `tools/nmap_scan.clad.toml` (or a file:// URI) → `nmap_scan`; undefined for other file names. */
export function contractStem(file: string): string | undefined {
  const base = file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1);
  let decoded = base;
  try {
    decoded = decodeURIComponent(base);
  } catch {
    decoded = base;
  }
  return decoded.endsWith(".clad.toml") ? decoded.slice(0, -".clad.toml".length) : undefined;
}

export function parseContract(text: string, file: string, options: ParseContractOptions = {}): ParseContractResult {
  const src = parseTomlSource(text, file);
  if (!src.ok) return { diagnostics: [src.diagnostic] };
  const doc = src.value;
  const r = new ContractReader(file, src.locator);

  r.unknownKeys(doc, TOP_KEYS, [], "a tool contract");
  for (const section of ["http", "mcp", "session", "browser"]) {
    if (doc[section] !== undefined)
      r.atKey(
        "W0504",
        `\`[${section}]\` is not supported by this toolchain`,
        [section],
        "calls to this tool will fail at run time",
      );
  }

  const tool = r.table(doc, "tool", []);
  if (!tool) {
    if (doc.tool === undefined)
      r.report(
        "E0501",
        "the contract has no `[tool]` section",
        src.locator.lines.span(0, 0),
        'start the file with [tool] and name = "..."',
      );
    return { diagnostics: r.diagnostics };
  }
  r.unknownKeys(tool, TOOL_KEYS, ["tool"], "[tool]");

  const name = r.string(tool, "name", ["tool"]);
  if (name === undefined) {
    if (tool.name === undefined) r.atKey("E0501", "`[tool]` needs a `name`", ["tool"], 'add name = "<tool name>"');
  } else if (!IDENTIFIER.test(name)) {
    r.atValue(
      "E0503",
      `tool name ${JSON.stringify(name)} is not an identifier`,
      ["tool", "name"],
      "use letters, digits and `_`, not starting with a digit",
    );
  } else {
    const stem = contractStem(file);
    if (stem !== undefined && stem !== name) {
      r.atValue(
        "W0501",
        `tool \`${name}\` is declared in \`${stem}.clad.toml\``,
        ["tool", "name"],
        `rename the file to \`${name}.clad.toml\``,
      );
    }
  }

  const modeText = r.string(tool, "mode", ["tool"]);
  let mode: ToolMode = "oneshot";
  if (modeText !== undefined) {
    if ((MODES as readonly string[]).includes(modeText)) mode = modeText as ToolMode;
    else r.atValue("E0520", `unknown mode \`${modeText}\``, ["tool", "mode"], "modes: oneshot, session, browser");
    if (mode !== "oneshot")
      r.atValue(
        "W0504",
        `\`${mode}\` mode is not supported by this toolchain`,
        ["tool", "mode"],
        "calls to this tool will fail at run time",
      );
  }
  const otherBackend = doc.http !== undefined || doc.mcp !== undefined || mode !== "oneshot";

  const binary = r.string(tool, "binary", ["tool"]);
  if (binary === undefined) {
    if (tool.binary === undefined && !otherBackend)
      r.atKey("E0501", "`[tool]` needs a `binary` (the program the tool runs)", ["tool"]);
  } else if (binary.trim() === "" || /[\s\0]/.test(binary)) {
    r.atValue("E0502", "`binary` must be a program name or path without spaces", ["tool", "binary"]);
  }

  const description = r.string(tool, "description", ["tool"]);
  if (description === undefined && tool.description === undefined)
    r.atKey("W0506", "`[tool]` has no `description`", ["tool"]);
  const version = r.string(tool, "version", ["tool"]);

  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  const timeout = r.number(tool, "timeout_seconds", ["tool"]);
  if (timeout !== undefined) {
    if (!Number.isInteger(timeout) || timeout <= 0)
      r.atValue("E0515", `\`timeout_seconds\` must be a positive integer, found ${timeout}`, [
        "tool",
        "timeout_seconds",
      ]);
    else timeoutSeconds = timeout;
  }

  let riskTier: RiskTier = "low";
  const risk = r.string(tool, "risk_tier", ["tool"]);
  if (risk !== undefined) {
    if ((RISK_TIERS as readonly string[]).includes(risk)) riskTier = risk as RiskTier;
    else {
      const s = closest(risk, RISK_TIERS);
      r.atValue(
        "E0516",
        `unknown risk tier \`${risk}\``,
        ["tool", "risk_tier"],
        s ? `did you mean \`${s}\`?` : "risk tiers: low, medium, high",
      );
    }
  }
  const humanApproval = r.boolean(tool, "human_approval", ["tool"]) ?? false;
  r.string(tool, "dispatch", ["tool"]);
  const cedar = readCedar(r, tool);
  const evidence = readEvidence(r, tool);
  const sandbox = readSandbox(r, tool);
  const policy = readPolicy(r, tool);

  const { args, declared } = readArgs(r, doc, options.customTypes ?? new Map());
  const command = readCommand(r, doc, args, declared, binary, !otherBackend);
  const output = readOutput(r, doc);

  if (name === undefined || name === "") return { diagnostics: r.diagnostics };
  const contract: ToolContract = {
    name,
    description: description ?? "",
    binary: binary ?? "",
    mode,
    timeoutSeconds,
    riskTier,
    humanApproval,
    args,
    command,
    output,
    sandbox,
    file,
    spans: { name: src.locator.value(["tool", "name"]), tool: src.locator.key(["tool"]) },
    valid: !r.hasErrors,
  };
  if (version !== undefined) contract.version = version;
  if (cedar) contract.cedar = cedar;
  if (policy) contract.policy = policy;
  if (evidence) contract.evidence = evidence;
  if (output.schema) contract.spans.outputSchema = src.locator.key(["output", "schema"]);
  return { contract, diagnostics: r.diagnostics };
}

function readCedar(r: ContractReader, tool: TomlTable): CedarSpec | undefined {
  const t = r.table(tool, "cedar", ["tool"]);
  if (!t) return undefined;
  r.unknownKeys(t, ["resource", "action"], ["tool", "cedar"], "[tool.cedar]");
  const spec: CedarSpec = {};
  const resource = r.string(t, "resource", ["tool", "cedar"]);
  const action = r.string(t, "action", ["tool", "cedar"]);
  if (resource !== undefined) spec.resource = resource;
  if (action !== undefined) spec.action = action;
  return spec;
}

/** `[tool.policy] groups = ["network_access"]`: the action groups the tool joins (our extension). */
function readPolicy(r: ContractReader, tool: TomlTable): PolicySpec | undefined {
  const t = r.table(tool, "policy", ["tool"]);
  if (!t) return undefined;
  const path = ["tool", "policy"];
  r.unknownKeys(t, ["groups"], path, "[tool.policy]");
  const groups: string[] = [];
  (r.stringArray(t, "groups", path) ?? []).forEach((g, i) => {
    if (!IDENTIFIER.test(g))
      r.atValue(
        "E0503",
        `action group name ${JSON.stringify(g)} is not an identifier`,
        [...path, "groups", i],
        "use letters, digits and `_`, not starting with a digit",
      );
    else if (!groups.includes(g)) groups.push(g);
  });
  return { groups };
}

function readEvidence(r: ContractReader, tool: TomlTable): EvidenceSpec | undefined {
  const t = r.table(tool, "evidence", ["tool"]);
  if (!t) return undefined;
  const path = ["tool", "evidence"];
  r.unknownKeys(t, ["output_dir", "capture", "hash"], path, "[tool.evidence]");
  const spec: EvidenceSpec = {
    capture: r.boolean(t, "capture", path) ?? true,
    hash: r.string(t, "hash", path) ?? "sha256",
  };
  const dir = r.string(t, "output_dir", path);
  if (dir !== undefined) spec.outputDir = dir;
  if (spec.hash !== "sha256")
    r.atValue("W0504", `evidence hash \`${spec.hash}\` is not supported; outputs are hashed with sha256`, [
      ...path,
      "hash",
    ]);
  return spec;
}
