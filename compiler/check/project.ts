/**
 * A checked project: source files (`.symbi`, `.dsl`) and tool contracts (`tools/*.clad.toml`,
 * `toolclad.toml`) in memory, checked incrementally. The language server calls `setFile` on
 * every edit and `check()` after; the CLI uses `checkFiles`.
 *
 * Incrementality: parse results are cached per file; the global declaration pass runs on every
 * check (it reads only declaration headers); a file's bodies are re-checked only when its text
 * changed or when the environment's fingerprint (everything one file can see of the others:
 * declarations, top-level policies, capabilities, contracts) changed.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { capDiagnostics, parseText, type ParseResult } from "../../grammar/index.js";
import type { AgentDef, Identifier, Node } from "../../grammar/ast.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import {
  contractFiles,
  loadContractSources,
  readContractText,
  type LoadContractsResult,
  type ToolContract,
} from "../contracts/index.js";
import { buildGlobalEnv, type GlobalEnv, type ParamInfo, type SourceUnit } from "./globals.js";
import { checkFile, type FileCheck } from "./file-checker.js";
import { isRecoveryError, withoutRecoveryArtefacts } from "./recovery.js";
import type { PolicyInfo } from "./policies.js";
import type { SettingEntry } from "./settings-schema.js";
import { SymbolTable, type LocalBinding, type SymbolInfo } from "./symbols.js";
import type { Type } from "./types.js";
import type { WithSettings } from "./with-block.js";
import { checkSkills } from "./skills.js";

/** Everything the emitter needs about one agent. */
export interface AgentInfo {
  name: string;
  file: string;
  node: AgentDef;
  params: ParamInfo[];
  returnType?: Type;
  capabilities: string[];
  /** The agent's own policies, then every top-level policy of the project (file order). */
  policies: PolicyInfo[];
  withBlocks: WithSettings[];
  /** Record-form `require` settings of the policies in scope (the agent's own first). */
  requireSettings: SettingEntry[];
  /** Record-form `audit` settings of the policies in scope (the agent's own first). */
  auditSettings: SettingEntry[];
}

export interface CheckResult {
  /** Every diagnostic (sources, contracts, global pass), sorted by file, position, code. */
  diagnostics: Diagnostic[];
  /** Parse results by file. */
  files: ReadonlyMap<string, ParseResult>;
  /** Declarations and references (built on first access). */
  readonly symbols: SymbolTable;
  /** The checked type of an expression or declaration name (for hover); undefined when none. */
  typeOf(node: Node): Type | undefined;
  /** The symbol an identifier resolved to. */
  symbolOf(id: Identifier): SymbolInfo | undefined;
  /**
   * The id of the symbol an identifier resolved to (`local:<file>:<offset>`, `function:f`,
   * `tool:t`, `builtin:len`, `trusted:user`, `memory:m`, ...; see symbols.ts), also for names
   * with no table entry. A declaring name resolves to its own symbol. Kept even without
   * `recordSymbols`.
   */
  resolutionOf(id: Identifier): string | undefined;
  /**
   * The local variables, parameters and policy binders a name typed at `offset` of `file`
   * would refer to, innermost first, shadowed ones left out (the scopes of the checker itself,
   * README "Scopes"; completion uses them).
   */
  visibleLocals(file: string, offset: number): SymbolInfo[];
  /** Tool contracts by tool name (including invalid ones, `valid: false`). */
  contracts: ReadonlyMap<string, ToolContract>;
  agents: ReadonlyMap<string, AgentInfo>;
  /** Top-level policies. */
  policies: PolicyInfo[];
  /** Policies inside channels. */
  channelPolicies: PolicyInfo[];
  env: GlobalEnv;
  /** Files whose bodies were (re-)checked by this call; the others reused cached results. */
  checkedFiles: string[];
}

export interface ProjectOptions {
  /** Read `<root>/tools/*.clad.toml` and `<root>/toolclad.toml` from disk at construction (default true). */
  loadContractsFromDisk?: boolean;
  /**
   * Record references, local symbols and expression types for the symbol table, `typeOf` and
   * `symbolOf` (default true; the CLI turns it off: diagnostics and agent info are unaffected).
   */
  recordSymbols?: boolean;
}

interface FileEntry {
  text: string;
  parse?: ParseResult;
  check?: { fingerprint: string; parse: ParseResult; result: FileCheck };
}

export function isContractPath(path: string): boolean {
  return path.endsWith(".clad.toml") || isToolcladPath(path);
}

function isToolcladPath(path: string): boolean {
  return path === "toolclad.toml" || path.endsWith("/toolclad.toml") || path.endsWith("\\toolclad.toml");
}

export class Project {
  private readonly sources = new Map<string, FileEntry>();
  private readonly contractTexts = new Map<string, string>();
  private contractsVersion = 0;
  private contracts?: LoadContractsResult;
  private contractsLoadedAt = -1;

  private readonly recordSymbols: boolean;

  constructor(
    readonly root: string,
    opts: ProjectOptions = {},
  ) {
    this.recordSymbols = opts.recordSymbols ?? true;
    if (opts.loadContractsFromDisk ?? true) {
      for (const f of contractFiles(root)) this.readContract(f);
      const toolclad = join(root, "toolclad.toml");
      try {
        if (statSync(toolclad).isFile()) this.readContract(toolclad);
      } catch {
        // no toolclad.toml: no custom types
      }
    }
  }

  private readContract(path: string): void {
    try {
      this.setFile(path, readContractText(path));
    } catch (e) {
      // Unreadable: the loader reports E0523 for a missing text; keep a marker so it is listed.
      this.contractTexts.set(path, `\u0000unreadable: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
      this.contractsVersion++;
    }
  }

  /** Adds or replaces a source file or a contract file (by extension). */
  setFile(path: string, text: string): void {
    if (isContractPath(path)) {
      if (this.contractTexts.get(path) === text) return;
      this.contractTexts.set(path, text);
      this.contractsVersion++;
      return;
    }
    const entry = this.sources.get(path);
    if (entry && entry.text === text) return;
    this.sources.set(path, { text, ...(entry?.check ? { check: entry.check } : {}) });
  }

  removeFile(path: string): void {
    if (this.contractTexts.delete(path)) this.contractsVersion++;
    this.sources.delete(path);
  }

  /** Paths of the source files in the project, sorted. */
  sourceFiles(): string[] {
    return [...this.sources.keys()].sort();
  }

  private loadContracts(): LoadContractsResult {
    if (this.contracts && this.contractsLoadedAt === this.contractsVersion) return this.contracts;
    const sources: Array<{ file: string; text: string }> = [];
    let toolclad: { file: string; text: string } | undefined;
    for (const [file, text] of [...this.contractTexts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (text.startsWith("\u0000unreadable")) continue;
      if (isToolcladPath(file)) toolclad = { file, text };
      else sources.push({ file, text });
    }
    this.contracts = loadContractSources(sources, toolclad);
    this.contractsLoadedAt = this.contractsVersion;
    return this.contracts;
  }

  /**
   * The declaration pass over every unit; when it throws, it is run again without each unit in
   * turn, and a unit whose absence lets it finish is recorded in `failed` (E0900 on that file).
   * If no single unit is to blame, every unit is.
   */
  private globalEnv(units: SourceUnit[], contracts: LoadContractsResult, failed: Map<string, unknown>): GlobalEnv {
    const version = `contracts@${this.contractsVersion}`;
    try {
      return buildGlobalEnv(units, contracts.contracts, version);
    } catch (err) {
      for (const culprit of units) {
        try {
          const env = buildGlobalEnv(
            units.filter((u) => u !== culprit),
            contracts.contracts,
            version,
          );
          failed.set(culprit.file, err);
          return env;
        } catch {
          // not this one alone
        }
      }
      for (const u of units) failed.set(u.file, err);
      return buildGlobalEnv([], contracts.contracts, version);
    }
  }

  check(): CheckResult {
    const files = new Map<string, ParseResult>();
    const units: SourceUnit[] = [];
    for (const path of this.sourceFiles()) {
      const entry = this.sources.get(path)!;
      entry.parse ??= parseText(entry.text, path);
      files.set(path, entry.parse);
      units.push({ file: path, program: entry.parse.program, text: entry.parse.text });
    }
    const contracts = this.loadContracts();
    // A checker bug on one file must not cost the project its diagnostics (the language server
    // publishes them all): the file that breaks the declaration pass is left out of it, and a
    // file whose bodies break the checker gets E0900 (an error) while the others are checked.
    const failed = new Map<string, unknown>();
    const env = this.globalEnv(units, contracts, failed);

    const diagnostics: Diagnostic[] = [...env.diagnostics, ...contracts.diagnostics];
    const fileChecks: FileCheck[] = [];
    const checkedFiles: string[] = [];
    for (const u of units) {
      const entry = this.sources.get(u.file)!;
      const parse = entry.parse!;
      // Loops, not push(...list): a spread of a very long list overflows the stack.
      for (const d of parse.diagnostics) diagnostics.push(d);
      if (failed.has(u.file)) {
        diagnostics.push(checkerFailure(u.file, failed.get(u.file)));
        continue;
      }
      let c = entry.check;
      if (!c || c.fingerprint !== env.fingerprint || c.parse !== parse) {
        let result: FileCheck;
        try {
          result = checkFile(u, env, this.recordSymbols);
        } catch (err) {
          entry.check = undefined;
          diagnostics.push(checkerFailure(u.file, err));
          continue;
        }
        c = { fingerprint: env.fingerprint, parse, result };
        entry.check = c;
        checkedFiles.push(u.file);
      }
      fileChecks.push(c.result);
      // Around a syntax error, what the checker says about the holes recovery left is dropped
      // (recovery.ts); the rest of the file keeps its errors and warnings.
      const syntaxErrors = parse.diagnostics.filter((d) => d.severity === "error" && isRecoveryError(d.code));
      diagnostics.push(...withoutRecoveryArtefacts(parse.program, syntaxErrors, c.result.diagnostics));
    }

    const policies = fileChecks.flatMap((f) => f.topPolicies);
    const agents = new Map<string, AgentInfo>();
    for (const f of fileChecks) {
      for (const part of f.agents) {
        const inScope = [...part.policies, ...policies];
        const settings = (verb: "require" | "audit") =>
          inScope.flatMap((p) => p.rules.filter((r) => r.verb === verb).flatMap((r) => r.settings));
        const info: AgentInfo = {
          name: part.decl.name,
          file: part.decl.file,
          node: part.decl.node,
          params: part.decl.params,
          capabilities: part.decl.capabilities.map((c) => c.name),
          policies: inScope,
          withBlocks: part.withBlocks,
          requireSettings: settings("require"),
          auditSettings: settings("audit"),
        };
        if (part.decl.returnType) info.returnType = part.decl.returnType;
        agents.set(info.name, info);
        diagnostics.push(...checkSkills(this.root, part.withBlocks));
      }
    }

    let table: SymbolTable | undefined;
    const lookup = <K, V>(pick: (f: FileCheck) => ReadonlyMap<K, V>, key: K): V | undefined => {
      for (const f of fileChecks) {
        const v = pick(f).get(key);
        if (v !== undefined) return v;
      }
      return undefined;
    };
    const buildTable = () =>
      (table ??= new SymbolTable(
        [...env.symbols, ...fileChecks.flatMap((f) => f.symbols)],
        [...env.references, ...fileChecks.flatMap((f) => f.references)],
      ));
    const localsOf = new Map<string, readonly LocalBinding[]>();
    for (const f of fileChecks) localsOf.set(f.file, f.locals);
    return {
      // Sorted, and at most MAX_DIAGNOSTICS_PER_FILE per file (the rest counted in one summary).
      diagnostics: capDiagnostics(dedupe(diagnostics)),
      files,
      get symbols() {
        return buildTable();
      },
      typeOf: (node) => lookup((f) => f.types, node),
      resolutionOf: (id) => lookup((f) => f.resolved, id),
      symbolOf: (id) => {
        const sid = lookup((f) => f.resolved, id);
        return sid === undefined ? undefined : buildTable().get(sid);
      },
      visibleLocals: (file, offset) => {
        // The innermost binding of a name is the one whose visibility starts last.
        const best = new Map<string, LocalBinding>();
        for (const l of localsOf.get(file) ?? []) {
          if (l.from > offset || offset > l.to) continue;
          const seen = best.get(l.name);
          if (!seen || l.from >= seen.from) best.set(l.name, l);
        }
        const table = buildTable();
        return [...best.values()]
          .sort((a, b) => b.from - a.from)
          .map((l) => table.get(l.symbolId))
          .filter((s): s is SymbolInfo => s !== undefined);
      },
      contracts: contracts.contracts,
      agents,
      policies,
      channelPolicies: fileChecks.flatMap((f) => f.channelPolicies),
      env,
      checkedFiles,
    };
  }
}

/** E0900 on the first line of `file`: the checker failed there (the rest of the project was checked). */
function checkerFailure(file: string, err: unknown): Diagnostic {
  const message = err instanceof Error ? err.message : String(err);
  if (process.env["SYMBI_DEBUG"] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return diagnostic({
    code: "E0900",
    message: `internal error: the checker failed on this file (${message.split("\n")[0]})`,
    file,
    span: { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 },
    help: "this is a checker bug; please report it with the file (SYMBI_DEBUG=1 prints a stack trace)",
  });
}

/** The same diagnostic reported twice (e.g. by two checks of one shared declaration) is shown once. */
function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.file}\u0000${d.span.start}\u0000${d.span.end}\u0000${d.code}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
