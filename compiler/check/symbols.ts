/**
 * The symbol table the language server uses for go-to-definition, find-references, rename and
 * hover: every declaration with its name span, and every reference to it. Symbols have stable
 * string ids, so per-file results cached across edits still point at the right symbol:
 *   global symbols  `<kind>:<name>` (`agent:x`, `function:f`, `type:T`, `tool:t`, `memory:m`,
 *                   `policy:p`, `field:T.f`, `builtin:len`, `capability:<agent>.<name>`)
 *   local symbols   `local:<file>:<offset of the name>` (variables, parameters, binders).
 */
import type { Span } from "../../grammar/span.js";
import type { Type } from "./types.js";

export type SymbolKind =
  | "agent"
  | "function"
  | "type"
  | "field"
  | "tool"
  | "memory"
  | "policy"
  | "webhook"
  | "schedule"
  | "channel"
  | "capability"
  | "builtin"
  | "param"
  | "variable"
  | "binder"
  | "group"
  | "action";

export interface SymbolInfo {
  id: string;
  kind: SymbolKind;
  name: string;
  /** Where it is declared (absent for builtins). For tools, the contract file. */
  file?: string;
  /** The span of the declaring name. */
  span?: Span;
  type?: Type;
  /** One line for hover (builtins: the stdlib doc; tools: the contract's description). */
  doc?: string;
  /** The enclosing declaration's name, e.g. the agent of a parameter. */
  container?: string;
}

export interface Reference {
  symbolId: string;
  file: string;
  span: Span;
  /** The declaration's own name (so "find references" can include or exclude it). */
  isDeclaration: boolean;
  /** An assignment target (`x = ...`). */
  isWrite: boolean;
}

/** Where a local symbol (variable, parameter, binder) can be used: offsets `[from, to]` of its file. */
export interface LocalBinding {
  symbolId: string;
  name: string;
  /** The first offset where the name refers to it (after its `let` statement, at its block's start, ...). */
  from: number;
  /** The end of the scope that declares it. */
  to: number;
}

export class SymbolTable {
  // Each index is built on first use: a completion needs `get`, a rename the references.
  private byIdMap: Map<string, SymbolInfo> | undefined;
  private refs: { byId: Map<string, Reference[]>; byFile: Map<string, Reference[]> } | undefined;

  constructor(
    private readonly symbolList: Iterable<SymbolInfo>,
    private readonly referenceList: Iterable<Reference>,
  ) {}

  private get byId(): Map<string, SymbolInfo> {
    if (!this.byIdMap) {
      const map = new Map<string, SymbolInfo>();
      for (const s of this.symbolList) map.set(s.id, s);
      this.byIdMap = map;
    }
    return this.byIdMap;
  }

  private get refsById(): Map<string, Reference[]> {
    return this.references().byId;
  }

  private get refsByFile(): Map<string, Reference[]> {
    return this.references().byFile;
  }

  private references(): { byId: Map<string, Reference[]>; byFile: Map<string, Reference[]> } {
    if (this.refs) return this.refs;
    const byId = new Map<string, Reference[]>();
    const byFile = new Map<string, Reference[]>();
    for (const r of this.referenceList) {
      let a = byId.get(r.symbolId);
      if (!a) byId.set(r.symbolId, (a = []));
      a.push(r);
      let b = byFile.get(r.file);
      if (!b) byFile.set(r.file, (b = []));
      b.push(r);
    }
    const order = (x: Reference, y: Reference) =>
      x.file < y.file ? -1 : x.file > y.file ? 1 : x.span.start - y.span.start;
    for (const a of byId.values()) a.sort(order);
    for (const a of byFile.values()) a.sort(order);
    return (this.refs = { byId, byFile });
  }

  get(id: string): SymbolInfo | undefined {
    return this.byId.get(id);
  }

  all(): SymbolInfo[] {
    return [...this.byId.values()];
  }

  /** Every reference to the symbol (its declaration included), sorted by file and position. */
  referencesTo(id: string): Reference[] {
    return this.refsById.get(id) ?? [];
  }

  referencesIn(file: string): Reference[] {
    return this.refsByFile.get(file) ?? [];
  }

  /** The reference (or declaring name) covering `offset` in `file` (end-inclusive), and its symbol. */
  at(file: string, offset: number): { reference: Reference; symbol: SymbolInfo | undefined } | undefined {
    const refs = this.refsByFile.get(file);
    if (!refs) return undefined;
    let lo = 0;
    let hi = refs.length - 1;
    let found: Reference | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = refs[mid]!;
      if (r.span.start > offset) hi = mid - 1;
      else {
        if (offset <= r.span.end) found = r;
        lo = mid + 1;
      }
    }
    return found ? { reference: found, symbol: this.byId.get(found.symbolId) } : undefined;
  }
}
