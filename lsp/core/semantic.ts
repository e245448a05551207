/**
 * What the language server reads from the type checker (compiler/check) for one state of the
 * project: the global environment (agents, functions, tools, groups, types), the type of every
 * expression, what every identifier resolved to, and the symbol table. Features take a
 * `CheckView | undefined` so they keep working on the parse alone if the checker failed.
 */
import type { Identifier, Item, Node } from "../../grammar/ast.js";
import type { GlobalEnv } from "../../compiler/check/globals.js";
import type { SymbolInfo, SymbolTable } from "../../compiler/check/symbols.js";
import type { Type } from "../../compiler/check/types.js";

export interface CheckView {
  env: GlobalEnv;
  symbols: SymbolTable;
  /** The type the checker gave an expression node of the given file's current AST. */
  typeOf(node: Node): Type | undefined;
  /** The symbol id an identifier resolved to. */
  resolvedId(id: Identifier): string | undefined;
  /** The locals visible at an offset of a file, innermost first (the checker's scopes). */
  visibleLocals(uri: string, offset: number): SymbolInfo[];
  /** The same object while a top-level item's check results stay the same (a cache key). */
  itemResultKey(item: Item): object | undefined;
}
