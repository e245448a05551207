/**
 * Lexical scopes for agent and function bodies, lambdas and policy guards.
 *
 * Rules (README "Scopes"): variables are block-scoped; `let` declares in the current block; a
 * first assignment without `let` declares too (W0101); a `let` of a name the same block already
 * declares is E0103; a `let` (or lambda parameter) hiding a variable of an enclosing scope is
 * allowed with W0102. A scope remembers the names its statements declare further down (for
 * "used before its definition", E0105), and a function body remembers names that blocks already
 * closed declared (for "not in scope here", E0106).
 */
import type { Span } from "../../grammar/span.js";
import type { Type } from "./types.js";

export type VarKind = "variable" | "param" | "binder" | "lambda-param" | "catch" | "loop" | "pattern" | "trusted";

export interface VarInfo {
  name: string;
  type: Type;
  kind: VarKind;
  symbolId: string;
  span: Span;
  /** Read at least once. */
  used: boolean;
  /** Declared by a type containing `never` (`None`, `null`): a later assignment may refine it. */
  refinable: boolean;
  /** Called on every read (policy checks use it to flag binders that stand for nothing). */
  onUse?: (id: import("../../grammar/ast.js").Identifier) => void;
  /**
   * Set on policy binders of tool arguments: where a guard uses the binder as a record or a
   * collection it denotes the deployment's trusted facts about the argument's value (typed
   * JSON, README "Guards"); called on each such use.
   */
  onFactUse?: (id: import("../../grammar/ast.js").Identifier) => void;
}

const NO_VARS: ReadonlyMap<string, VarInfo> = new Map();

export class Scope {
  private own?: Map<string, VarInfo>;
  /** Names declared later in this block by `let` or a first assignment, with their spans. */
  pending?: Map<string, Span>;
  /** Names declared in blocks of this function that have already closed (for E0106). */
  closed?: Map<string, Span>;
  /**
   * The source range the scope covers (a block, a function, a lambda, a match arm, a policy
   * rule): where its variables stay visible, recorded for the language server (`visibleLocals`).
   */
  extent?: { start: number; end: number };

  constructor(
    readonly parent: Scope | undefined,
    readonly kind: "root" | "body" | "block" | "loop" | "lambda" | "guard",
  ) {}

  /** This scope's own variables (most blocks declare none, so the map is created on demand). */
  get vars(): ReadonlyMap<string, VarInfo> {
    return this.own ?? NO_VARS;
  }

  define(v: VarInfo): void {
    (this.own ??= new Map()).set(v.name, v);
  }

  lookup(name: string): VarInfo | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const v = s.own?.get(name);
      if (v) return v;
    }
    return undefined;
  }

  /** The variable an inner declaration of `name` would hide (searching enclosing scopes only). */
  outer(name: string): VarInfo | undefined {
    return this.parent?.lookup(name);
  }

  inLoop(): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      if (s.kind === "loop") return true;
      if (s.kind === "lambda" || s.kind === "body") return false;
    }
    return false;
  }

  /** The extent of this scope or of the nearest enclosing scope that has one. */
  range(): { start: number; end: number } | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.extent) return s.extent;
    return undefined;
  }

  /** The nearest function-level scope (where closed-block names are remembered). */
  body(): Scope {
    let s: Scope = this;
    while (s.parent && s.kind !== "body") s = s.parent;
    return s;
  }
}
