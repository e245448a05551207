/**
 * Lexical scopes. Every block opens a scope; functions start from the program's global scope
 * (they do not see the caller's variables); lambdas capture the scope they are written in (by
 * reference, so they see later assignments, as closures in JavaScript and Rust's `move`-less
 * closures over mutable cells would).
 *
 * `let x = ...` declares in the current scope (shadowing an outer `x`); `x = ...` assigns the
 * nearest existing `x`, or declares it in the current scope when there is none (the language's
 * "first assignment declares" rule, which the checker flags with a lint warning).
 */
import type { Value } from "./values.js";

export class Environment {
  private readonly vars = new Map<string, Value>();

  constructor(readonly parent: Environment | null = null) {}

  child(): Environment {
    return new Environment(this);
  }

  declare(name: string, value: Value): void {
    this.vars.set(name, value);
  }

  /** The scope that holds `name`, or null. */
  private owner(name: string): Environment | null {
    for (let s: Environment | null = this; s; s = s.parent) if (s.vars.has(name)) return s;
    return null;
  }

  has(name: string): boolean {
    return this.owner(name) !== null;
  }

  /** The value of `name`; undefined when no scope declares it. */
  lookup(name: string): Value | undefined {
    for (let s: Environment | null = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined || s.vars.has(name)) return v;
    }
    return undefined;
  }

  /** Assigns the nearest declaration of `name`, or declares it here. */
  assign(name: string, value: Value): void {
    (this.owner(name) ?? this).vars.set(name, value);
  }
}
