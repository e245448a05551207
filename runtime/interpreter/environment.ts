/**
 * Lexical environments. Every block opens one; functions start from an empty one (they do not
 * see the caller's variables); lambdas capture the environment they are written in (by
 * reference, so they see later assignments, as closures in JavaScript do).
 *
 * Variables are keyed by the slot the IR gave their declaration (formats/ir.ts): slots are unique
 * per declaration, so an inner `let x` never touches an outer `x` and nothing is looked up by
 * name. Each loop iteration and each call gets fresh environments, so a closure keeps the
 * binding of the iteration or call that created it.
 */
import type { Value } from "./values.js";

export class Environment {
  private readonly vars = new Map<number, Value>();

  constructor(readonly parent: Environment | null = null) {}

  child(): Environment {
    return new Environment(this);
  }

  declare(slot: number, value: Value): void {
    this.vars.set(slot, value);
  }

  /** The value of `slot`; undefined when no enclosing environment holds it (not yet declared). */
  lookup(slot: number): Value | undefined {
    for (let s: Environment | null = this; s; s = s.parent) {
      const v = s.vars.get(slot);
      if (v !== undefined || s.vars.has(slot)) return v;
    }
    return undefined;
  }

  /** Assigns the environment that holds `slot`; false when none does. */
  assign(slot: number, value: Value): boolean {
    for (let s: Environment | null = this; s; s = s.parent) {
      if (s.vars.has(slot)) {
        s.vars.set(slot, value);
        return true;
      }
    }
    return false;
  }
}
