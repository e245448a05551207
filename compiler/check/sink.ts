/**
 * Where one file's checking writes its results: diagnostics, references and local symbols for
 * the symbol table, the type of every expression (for hover and the emitter), and what each
 * identifier resolved to.
 */
import type { Identifier, Node } from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import { diagnostic, type Diagnostic, type DiagnosticInit } from "../diagnostics/model.js";
import type { GlobalEnv } from "./globals.js";
import type { Reference, SymbolInfo } from "./symbols.js";
import type { Type } from "./types.js";

export class CheckSink {
  readonly diagnostics: Diagnostic[] = [];
  readonly references: Reference[] = [];
  readonly symbols: SymbolInfo[] = [];
  private readonly builtinIds = new Set<string>();

  constructor(
    readonly file: string,
    readonly env: GlobalEnv,
    readonly types: WeakMap<Node, Type>,
    readonly resolved: WeakMap<Identifier, string>,
  ) {}

  report(code: string, message: string, span: Span, extra: Omit<DiagnosticInit, "code" | "message" | "file" | "span"> = {}): void {
    this.diagnostics.push(diagnostic({ code, message, file: this.file, span, ...extra }));
  }

  ref(symbolId: string, id: Identifier | { span: Span }, opts: { decl?: boolean; write?: boolean } = {}): void {
    this.references.push({ symbolId, file: this.file, span: id.span, isDeclaration: opts.decl ?? false, isWrite: opts.write ?? false });
    if ("kind" in id && id.kind === "Identifier") this.resolved.set(id, symbolId);
  }

  /** Registers a builtin's symbol once (builtins have no declaration site). */
  builtin(id: string, info: Omit<SymbolInfo, "id">): void {
    if (this.builtinIds.has(id)) return;
    this.builtinIds.add(id);
    this.symbols.push({ id, ...info });
  }

  setType<N extends Node>(node: N, t: Type): Type {
    this.types.set(node, t);
    return t;
  }
}
