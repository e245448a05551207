/**
 * Loads a project's contracts: `<project>/toolclad.toml` (custom types, optional) and every
 * `<project>/tools/*.clad.toml`, in file-name order so results are deterministic.
 */
import { statSync } from "node:fs";
import { readBounded, formatSize, type BoundedReadError } from "../../formats/bounded-read.js";
import { join } from "node:path";
import { diagnostic, sortDiagnostics, type Diagnostic } from "../diagnostics/model.js";
import type { CustomTypeSpec, ToolContract } from "./model.js";
import { parseContract } from "./parse.js";
import { parseCustomTypes } from "./custom-types.js";
import { walkFiles } from "../project/files.js";

export interface SourceFile {
  file: string;
  text: string;
}

export interface LoadContractsResult {
  /** Tool name → contract (also contracts with errors, marked `valid: false`). */
  contracts: Map<string, ToolContract>;
  customTypes: Map<string, CustomTypeSpec>;
  diagnostics: Diagnostic[];
}

const NO_SPAN = { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };

/** Largest tool contract read (contracts are a few KiB; a FIFO or a device must not hang a check). */
export const MAX_CONTRACT_BYTES = 1024 * 1024;

/** A contract file's text, read with the size cap; throws BoundedReadError. */
export function readContractText(file: string): string {
  return readBounded(file, MAX_CONTRACT_BYTES).toString("utf8");
}

function readText(file: string, diagnostics: Diagnostic[]): string | undefined {
  try {
    return readContractText(file);
  } catch (e) {
    const err = e as BoundedReadError;
    const reason = err.code === "TOO_LARGE" ? `larger than ${formatSize(MAX_CONTRACT_BYTES)}` : err.code;
    diagnostics.push(diagnostic({ code: "E0523", message: `cannot read ${file}: ${reason}`, file, span: NO_SPAN }));
    return undefined;
  }
}

/** The contract files of a project, sorted by name (none when `tools/` does not exist). */
export function contractFiles(projectDir: string): string[] {
  const dir = join(projectDir, "tools");
  try {
    if (!statSync(dir).isDirectory()) return [];
  } catch {
    return [];
  }
  // The shared walk: a dangling or looping link in tools/ is skipped with a warning.
  return walkFiles(dir, (n) => n.endsWith(".clad.toml"), false);
}

export function loadContracts(projectDir: string): LoadContractsResult {
  const diagnostics: Diagnostic[] = [];
  const typesFile = join(projectDir, "toolclad.toml");
  let toolclad: SourceFile | undefined;
  let exists = false;
  try {
    exists = statSync(typesFile).isFile();
  } catch {
    exists = false;
  }
  if (exists) {
    const text = readText(typesFile, diagnostics);
    if (text !== undefined) toolclad = { file: typesFile, text };
  }
  const sources: SourceFile[] = [];
  for (const file of contractFiles(projectDir)) {
    const text = readText(file, diagnostics);
    if (text !== undefined) sources.push({ file, text });
  }
  const res = loadContractSources(sources, toolclad);
  return { ...res, diagnostics: sortDiagnostics([...diagnostics, ...res.diagnostics]) };
}

/** The same from texts in memory (the language server's open documents). */
export function loadContractSources(sources: readonly SourceFile[], toolclad?: SourceFile): LoadContractsResult {
  const diagnostics: Diagnostic[] = [];
  let customTypes = new Map<string, CustomTypeSpec>();
  if (toolclad) {
    const t = parseCustomTypes(toolclad.text, toolclad.file);
    customTypes = t.types;
    diagnostics.push(...t.diagnostics);
  }
  const contracts = new Map<string, ToolContract>();
  for (const src of sources) {
    const { contract, diagnostics: ds } = parseContract(src.text, src.file, { customTypes });
    diagnostics.push(...ds);
    if (!contract) continue;
    const first = contracts.get(contract.name);
    if (first) {
      diagnostics.push(
        diagnostic({
          code: "E0504",
          message: `tool \`${contract.name}\` is already declared in ${first.file}`,
          file: contract.file,
          span: contract.spans.name,
          help: "give each tool a unique `[tool] name`",
          related: [{ file: first.file, span: first.spans.name, message: "first declared here" }],
        }),
      );
      contract.valid = false;
      continue;
    }
    contracts.set(contract.name, contract);
  }
  return { contracts, customTypes, diagnostics: sortDiagnostics(diagnostics) };
}
