/**
 * The types of values a policy guard can see at decision time, and the unification that infers
 * them. These are DSL-level facts (what `user.clearance` is, what a binder holds), shared by the
 * DSL evaluator (evaluate.ts) and the Cedar emitter (compiler/emit/cedar), which turns them into
 * the Cedar schema.
 *
 * Only the shapes Cedar can hold are types here: strings, 64-bit integers, booleans, sets and
 * records. Trusted records (`user`, `session`, …), facts about a call's arguments and inputs of
 * unknown (`JSON`) type are *open* records: their attributes are discovered from the guards that
 * read them, typed by unification, and are always optional (absent until the runtime says
 * otherwise). Struct types declared in the DSL are *closed* records.
 */

export type Concrete =
  | { k: "String" }
  | { k: "Long" }
  | { k: "Bool" }
  | { k: "Set"; el: TNode }
  | { k: "Record"; fields: Map<string, Field>; open: boolean; name?: string }
  /** A type the DSL has but Cedar cannot hold (`float`, `Map<K,V>`): an error only when a guard reads it. */
  | { k: "Unsupported"; what: string };

export interface Field {
  node: TNode;
  optional: boolean;
}

/** A node of the union-find: a type variable, possibly bound to a concrete type. */
export class TNode {
  parent: TNode | undefined;
  ty: Concrete | undefined;
  constructor(ty?: Concrete) {
    this.ty = ty;
  }
  find(): TNode {
    let n: TNode = this;
    while (n.parent) n = n.parent;
    // Path compression keeps later lookups O(1)-ish.
    let m: TNode = this;
    while (m.parent && m.parent !== n) {
      const next: TNode = m.parent;
      m.parent = n;
      m = next;
    }
    return n;
  }
  get concrete(): Concrete | undefined {
    return this.find().ty;
  }
}

export const tString = (): TNode => new TNode({ k: "String" });
export const tLong = (): TNode => new TNode({ k: "Long" });
export const tBool = (): TNode => new TNode({ k: "Bool" });
export const tVar = (): TNode => new TNode();
export const tSet = (el: TNode): TNode => new TNode({ k: "Set", el });
export const tOpenRecord = (name?: string): TNode =>
  new TNode({ k: "Record", fields: new Map(), open: true, ...(name ? { name } : {}) });

export class UnifyError extends Error {}

/** Makes two nodes the same type, or throws UnifyError naming both types. */
export function unifyNodes(a: TNode, b: TNode): void {
  const ra = a.find();
  const rb = b.find();
  if (ra === rb) return;
  if (!ra.ty) {
    ra.parent = rb;
    return;
  }
  if (!rb.ty) {
    rb.parent = ra;
    return;
  }
  const x = ra.ty;
  const y = rb.ty;
  if (x.k !== y.k) throw new UnifyError(`${describe(ra)} and ${describe(rb)}`);
  if (x.k === "Set" && y.k === "Set") {
    ra.parent = rb;
    unifyNodes(x.el, y.el);
    return;
  }
  if (x.k === "Record" && y.k === "Record") {
    // Records meet only when a guard compares two of them, which Cedar-side lowering rejects;
    // unifyNodes the shared fields so the message is about the first real conflict.
    for (const [name, f] of x.fields) {
      const g = y.fields.get(name);
      if (g) unifyNodes(f.node, g.node);
      else if (y.open) y.fields.set(name, f);
      else throw new UnifyError(`a record with field \`${name}\` and ${describe(rb)}`);
    }
    ra.parent = rb;
    return;
  }
  if (x.k === "Unsupported" || y.k === "Unsupported") throw new UnifyError(`${describe(ra)} and ${describe(rb)}`);
  ra.parent = rb;
}

/** A short description for messages: `String`, `Set<Long>`, `record User`, `an unknown type`. */
export function describe(n: TNode): string {
  const t = n.concrete;
  if (!t) return "an unknown type";
  switch (t.k) {
    case "String":
    case "Long":
    case "Bool":
      return t.k === "Bool" ? "bool" : t.k === "Long" ? "int" : "String";
    case "Set":
      return `List<${describe(t.el)}>`;
    case "Record":
      return t.name ? `record ${t.name}` : "a record";
    case "Unsupported":
      return t.what;
  }
}

/** The field `name` of an open record, created (as an optional, unknown-typed attribute) on first use. */
export function fieldOf(record: TNode, name: string): Field | undefined {
  const t = record.concrete;
  if (!t || t.k !== "Record") return undefined;
  let f = t.fields.get(name);
  if (!f && t.open) {
    f = { node: tVar(), optional: true };
    t.fields.set(name, f);
  }
  return f;
}

/** Binds still-unknown variables to a default (String), so every used path has a Cedar type. */
export function defaultTo(n: TNode, ty: Concrete): void {
  const r = n.find();
  if (!r.ty) r.ty = ty;
}
