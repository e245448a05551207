/**
 * A checked project: source files (`.symbi`, `.dsl`) and tool contracts (`tools/*.clad.toml`,
 * `toolclad.toml`) in memory, checked incrementally. The language server calls `setFile` on
 * every edit and `check()` after; the CLI uses `checkFiles`.
 *
 * Incrementality: a changed file is re-parsed from its last parse, only the top-level items the
 * edit touched (grammar/incremental.ts); the global declaration pass runs on every check (it reads
 * only declaration headers); each top-level item is checked on its own, and re-checked only when
 * it was parsed again or the environment's fingerprint (everything one item can see of the
 * others: declarations, top-level policies, capabilities, contracts) changed. The results of the
 * items an edit moved follow them (moved-results.ts).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { capDiagnostics, parseText, type ParseResult } from "../../grammar/index.js";
import { reparseText } from "../../grammar/incremental.js";
import type { AgentDef, Identifier, Item, Node } from "../../grammar/ast.js";
import { present } from "./present.js";
import { compareDiagnostics, diagnostic, sortDiagnostics, type Diagnostic } from "../diagnostics/model.js";
import {
  contractFiles,
  loadContractSources,
  readContractText,
  type LoadContractsResult,
  type ToolContract,
} from "../contracts/index.js";
import { buildGlobalEnv, type GlobalEnv, type ParamInfo, type SourceUnit } from "./globals.js";
import { checkItem, isOwner, type AgentPart, type ItemCheck } from "./file-checker.js";
import { moveItemCheck } from "./moved-results.js";
import { isRecoveryError, withoutRecoveryArtefacts } from "./recovery.js";
import type { PolicyInfo } from "./policies.js";
import type { SettingEntry } from "./settings-schema.js";
import { SymbolTable, type LocalBinding, type Reference, type SymbolInfo } from "./symbols.js";
import type { Type } from "./types.js";
import type { WithSettings } from "./with-block.js";
import { checkSkills } from "./skills.js";
import { loadMcpTools, MCP_LOCK_FILE, readMcpText, type TextFile } from "../mcp/index.js";
import type { McpServerSettings } from "../../config/mcp.js";

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
  /**
   * An opaque value that is the same object for as long as the check results of a top-level
   * item stay the same (the item was neither re-parsed nor re-checked); undefined for an item of
   * no checked file. Caches of what is derived from an item's results key on it.
   */
  itemResultKey(item: Item): object | undefined;
  /** Tool contracts by tool name (including invalid ones, `valid: false`), and the MCP tools (`contract.mcp`). */
  contracts: ReadonlyMap<string, ToolContract>;
  /** The MCP servers `symbi.toml` declares (those that could be read), by name. */
  mcpServers: ReadonlyMap<string, McpServerSettings>;
  agents: ReadonlyMap<string, AgentInfo>;
  /** Top-level policies. */
  policies: PolicyInfo[];
  /** Policies inside channels. */
  channelPolicies: PolicyInfo[];
  env: GlobalEnv;
  /** Files whose bodies were (re-)checked by this call; the others reused cached results. */
  checkedFiles: string[];
  /** How many top-level items this call checked (the others reused their cached results). */
  checkedItems: number;
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
  /** The parse of an earlier text of the file, re-parsed incrementally into `parse` (grammar/incremental.ts). */
  base?: ParseResult;
  /** Per-item check results by item node, for the environment fingerprint they were made with. */
  items: Map<Item, { fingerprint: string; check: ItemCheck }>;
  /** The file's merged result for `parse` and `fingerprint`. */
  check?: { fingerprint: string; parse: ParseResult; result: FileView };
}

/** One file's check: its items' results merged (node-keyed results stay per item, in `items`). */
interface FileView {
  file: string;
  diagnostics: Diagnostic[];
  references: Reference[];
  symbols: SymbolInfo[];
  locals: LocalBinding[];
  agents: AgentPart[];
  topPolicies: PolicyInfo[];
  channelPolicies: PolicyInfo[];
  /** The items in source order with their checks. */
  items: Array<{ item: Item; start: number; end: number; check: ItemCheck }>;
}

export function isContractPath(path: string): boolean {
  return path.endsWith(".clad.toml") || isToolcladPath(path);
}

/** `symbi.toml` (MCP servers) and `mcp.lock.json` (their pinned tools): the project's MCP tools. */
function mcpFileKind(path: string): "config" | "lock" | undefined {
  const base = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  return base === "symbi.toml" ? "config" : base === MCP_LOCK_FILE ? "lock" : undefined;
}

function isToolcladPath(path: string): boolean {
  return path === "toolclad.toml" || path.endsWith("/toolclad.toml") || path.endsWith("\\toolclad.toml");
}

export class Project {
  private readonly sources = new Map<string, FileEntry>();
  private readonly contractTexts = new Map<string, string>();
  private readonly mcpTexts: { config?: TextFile; lock?: TextFile } = {};
  private contractsVersion = 0;
  private contracts?: LoadContractsResult & { mcpServers: ReadonlyMap<string, McpServerSettings> };
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
      for (const name of ["symbi.toml", MCP_LOCK_FILE]) {
        const path = join(root, name);
        try {
          if (statSync(path).isFile()) this.setFile(path, readMcpText(path));
        } catch {
          // absent (or unreadable: the configuration reports symbi.toml; an unreadable lock is no pins)
        }
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
    const mcp = mcpFileKind(path);
    if (mcp) {
      if (this.mcpTexts[mcp]?.text === text && this.mcpTexts[mcp]?.file === path) return;
      this.mcpTexts[mcp] = { file: path, text };
      this.contractsVersion++;
      return;
    }
    if (isContractPath(path)) {
      if (this.contractTexts.get(path) === text) return;
      this.contractTexts.set(path, text);
      this.contractsVersion++;
      return;
    }
    const entry = this.sources.get(path);
    if (entry && entry.text === text) return;
    if (!entry) {
      this.sources.set(path, { text, items: new Map() });
      return;
    }
    // The new text is parsed on the next check, from the last parse (only the edited items).
    entry.base = entry.parse ?? entry.base;
    entry.parse = undefined;
    entry.text = text;
  }

  removeFile(path: string): void {
    const mcp = mcpFileKind(path);
    if (mcp && this.mcpTexts[mcp]?.file === path) {
      delete this.mcpTexts[mcp];
      this.contractsVersion++;
    }
    if (this.contractTexts.delete(path)) this.contractsVersion++;
    this.sources.delete(path);
  }

  /** Paths of the source files in the project, sorted. */
  sourceFiles(): string[] {
    return [...this.sources.keys()].sort();
  }

  private loadContracts(): LoadContractsResult & { mcpServers: ReadonlyMap<string, McpServerSettings> } {
    if (this.contracts && this.contractsLoadedAt === this.contractsVersion) return this.contracts;
    const sources: Array<{ file: string; text: string }> = [];
    let toolclad: { file: string; text: string } | undefined;
    for (const [file, text] of [...this.contractTexts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (text.startsWith("\u0000unreadable")) continue;
      if (isToolcladPath(file)) toolclad = { file, text };
      else sources.push({ file, text });
    }
    const files = loadContractSources(sources, toolclad);
    const mcp = loadMcpTools(this.mcpTexts.config, this.mcpTexts.lock);
    // One name, one tool: an MCP tool named like a contract is refused (the contract keeps the name).
    const contracts = new Map(files.contracts);
    const diagnostics = [...files.diagnostics, ...mcp.diagnostics];
    for (const [name, c] of mcp.contracts) {
      const other = contracts.get(name);
      if (other) {
        diagnostics.push(
          diagnostic({
            code: "E0804",
            message: `tool \`${name}\` of MCP server \`${c.mcp!.server}\` has the name of the contract in ${other.file}`,
            file: c.file,
            span: c.spans.name,
            help: "give the server a `prefix`, or leave the tool out with `tools = [...]`",
            related: [{ file: other.file, span: other.spans.name, message: "the contract" }],
          }),
        );
        continue;
      }
      contracts.set(name, c);
    }
    this.contracts = { contracts, customTypes: files.customTypes, diagnostics, mcpServers: mcp.servers };
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
      entry.parse ??= this.parse(path, entry);
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
    const fileChecks: FileView[] = [];
    const checkedFiles: string[] = [];
    let checkedItems = 0;
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
        let view: FileView & { checked: number };
        try {
          view = this.checkItems(u, entry, env);
        } catch (err) {
          entry.check = undefined;
          entry.items.clear();
          diagnostics.push(checkerFailure(u.file, err));
          continue;
        }
        checkedItems += view.checked;
        c = { fingerprint: env.fingerprint, parse, result: view };
        entry.check = c;
        if (view.checked > 0) checkedFiles.push(u.file);
      }
      fileChecks.push(c.result);
      // Around a syntax error, what the checker says about the holes recovery left is dropped
      // (recovery.ts); the rest of the file keeps its errors and warnings.
      const syntaxErrors = parse.diagnostics.filter((d) => d.severity === "error" && isRecoveryError(d.code));
      for (const d of withoutRecoveryArtefacts(parse.program, syntaxErrors, c.result.diagnostics)) diagnostics.push(d);
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
    // Node-keyed results live per item: find the item around the node in each file.
    const itemAt = (items: FileView["items"], at: number) => {
      let lo = 0;
      let hi = items.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const it = items[mid]!;
        if (at < it.start) hi = mid - 1;
        else if (at > it.end) lo = mid + 1;
        else return it;
      }
      return undefined;
    };
    const lookup = <K extends Node, V>(pick: (c: ItemCheck) => ReadonlyMap<K, V>, key: K): V | undefined => {
      for (const f of fileChecks) {
        const found = itemAt(f.items, key.span.start)?.check;
        const v = found && pick(found).get(key);
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
      diagnostics: capDiagnostics(dedupeSorted(sortDiagnostics(diagnostics))),
      files,
      get symbols() {
        return buildTable();
      },
      typeOf: (node) => lookup((c) => c.types, node),
      resolutionOf: (id) => lookup((c) => c.resolved, id),
      symbolOf: (id) => {
        const sid = lookup((c) => c.resolved, id);
        return sid === undefined ? undefined : buildTable().get(sid);
      },
      itemResultKey: (item) => {
        for (const f of fileChecks) {
          const it = itemAt(f.items, item.span.start);
          if (it?.item === item) return it.check;
        }
        return undefined;
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
      mcpServers: contracts.mcpServers,
      agents,
      policies,
      channelPolicies: fileChecks.flatMap((f) => f.channelPolicies),
      env,
      checkedFiles,
      checkedItems,
    };
  }

  /** The parse of a file's text: from its last parse when there is one (only the edited items are parsed again). */
  private parse(path: string, entry: FileEntry): ParseResult {
    const base = entry.base;
    entry.base = undefined;
    if (!base) return parseText(entry.text, path);
    const r = reparseText(base, entry.text, path);
    if (!r.incremental) entry.items.clear();
    else if (r.shift) for (const [item, { check }] of entry.items) moveItemCheck(check, path, r.shift, item.span.end);
    return r.parse;
  }

  /** Checks the items of a file whose cached check does not apply (edited, or the environment changed). */
  private checkItems(u: SourceUnit, entry: FileEntry, env: GlobalEnv): FileView & { checked: number } {
    const file = u.file;
    const next = new Map<Item, { fingerprint: string; check: ItemCheck }>();
    let checked = 0;
    const merged: FileView & { checked: number } = {
      file,
      diagnostics: [],
      references: [],
      symbols: [],
      locals: [],
      agents: [],
      topPolicies: [],
      channelPolicies: [],
      items: [],
      checked: 0,
    };
    for (const item of present(u.program.items)) {
      let cached = entry.items.get(item);
      if (!cached || cached.fingerprint !== env.fingerprint || cached.check.owner !== isOwner(item, env)) {
        cached = { fingerprint: env.fingerprint, check: checkItem(item, file, env, this.recordSymbols) };
        checked++;
      }
      next.set(item, cached);
      const c = cached.check;
      merged.items.push({ item, start: item.span.start, end: item.span.end, check: c });
      // Loops, not push(...list): one item may hold a very long list.
      for (const d of c.diagnostics) merged.diagnostics.push(d);
      for (const r of c.references) merged.references.push(r);
      for (const x of c.symbols) merged.symbols.push(x);
      for (const l of c.locals) merged.locals.push(l);
      if (c.agent) {
        // The declaration is the current environment's (an equal one, made by this check).
        const decl = env.agents.get(c.agent.decl.name);
        if (decl) c.agent.decl = decl;
        merged.agents.push(c.agent);
      }
      if (c.topPolicy) merged.topPolicies.push(c.topPolicy);
      merged.channelPolicies.push(...c.channelPolicies);
    }
    entry.items = next;
    merged.checked = checked;
    return merged;
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

/**
 * The same diagnostic reported twice (e.g. by two checks of one shared declaration) is shown
 * once. `sorted` is in `compareDiagnostics` order (a stable sort): equal ones are adjacent, the
 * first reported first. (Cheaper than a set of keys built from every diagnostic's text.)
 */
function dedupeSorted(sorted: Diagnostic[]): Diagnostic[] {
  return sorted.filter((d, i) => i === 0 || compareDiagnostics(sorted[i - 1]!, d) !== 0);
}
