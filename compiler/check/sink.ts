/**
 * Where one file's checking writes its results: diagnostics, references and local symbols for
 * the symbol table, the type of every expression (for hover and the emitter), and what each
 * identifier resolved to.
 */
import type { Identifier, Node } from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import { diagnostic, type Diagnostic, type DiagnosticInit } from "../diagnostics/model.js";
import type { GlobalEnv } from "./globals.js";
import type { LocalBinding, Reference, SymbolInfo } from "./symbols.js";
import type { Type } from "./types.js";

export class CheckSink {
  readonly diagnostics: Diagnostic[] = [];
  readonly references: Reference[] = [];
  readonly symbols: SymbolInfo[] = [];
  /** Where each local (variable, parameter, binder) is visible, for `CheckResult.visibleLocals`. */
  readonly locals: LocalBinding[] = [];
  private readonly builtinIds = new Set<string>();

  /** Per file, in plain Maps (much cheaper than WeakMaps); dropped with the file's cached result. */
  readonly types = new Map<Node, Type>();
  readonly resolved = new Map<Identifier, string>();

  constructor(
    readonly file: string,
    readonly env: GlobalEnv,
    /** Record references, symbols and expression types (the language server needs them; the CLI does not). */
    readonly record = true,
  ) {}

  report(
    code: string,
    message: string,
    span: Span,
    extra: Omit<DiagnosticInit, "code" | "message" | "file" | "span"> = {},
  ): void {
    this.diagnostics.push(diagnostic({ code, message, file: this.file, span, ...extra }));
  }

  ref(symbolId: string, id: Identifier | { span: Span }, opts: { decl?: boolean; write?: boolean } = {}): void {
    // What a name resolved to is always kept: the policy compiler and the IR read it.
    if ("kind" in id && id.kind === "Identifier") this.resolved.set(id, symbolId);
    if (!this.record) return;
    this.references.push({
      symbolId,
      file: this.file,
      span: id.span,
      isDeclaration: opts.decl ?? false,
      isWrite: opts.write ?? false,
    });
  }

  /** Registers a builtin's symbol once (builtins have no declaration site). */
  builtin(id: string, info: Omit<SymbolInfo, "id">): void {
    if (!this.record || this.builtinIds.has(id)) return;
    this.builtinIds.add(id);
    this.symbols.push({ id, ...info });
  }

  setType<N extends Node>(node: N, t: Type): Type {
    if (this.record) this.types.set(node, t);
    return t;
  }

  symbol(info: SymbolInfo): void {
    if (this.record) this.symbols.push(info);
  }

  /** A local symbol visible in `[from, to]` (offsets of this file). */
  local(symbolId: string, name: string, from: number, to: number): void {
    if (this.record && symbolId) this.locals.push({ symbolId, name, from, to });
  }
}
