/**
 * The parts of a Cedar schema (JSON form, as the bundle's `schema.cedarschema.json`) the gate
 * needs at run time: the context type of each action (to validate and convert the request's
 * context in JavaScript, which is several times cheaper than cedar-wasm's request validation)
 * and the action hierarchy (to know which approval policies can apply to an action).
 *
 * Only the shapes the JSON schema format defines are accepted; anything else is a load error,
 * so the gate never runs with a schema it half understands.
 */
export type CedarType =
  | { kind: "String" }
  | { kind: "Long" }
  | { kind: "Boolean" }
  | { kind: "Set"; element: CedarType }
  | { kind: "Record"; attributes: Map<string, { type: CedarType; required: boolean }>; open: boolean }
  | { kind: "Entity"; name: string }
  | { kind: "Extension"; name: string };

export class SchemaError extends Error {
  override readonly name = "SchemaError";
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const PRIMITIVES = new Set(["String", "Long", "Boolean"]);

export class CedarSchema {
  /** Fully qualified action id ("Symbi::Action::\"wc\"" is keyed as "Symbi::wc") → context type. */
  private readonly contexts = new Map<string, CedarType | undefined>();
  /** action key → the keys of the groups it is (transitively) a member of. */
  private readonly groups = new Map<string, Set<string>>();
  private readonly commonTypes = new Map<string, unknown>();
  private readonly resolving = new Set<string>();

  private constructor(private readonly json: Json) {}

  /** Parses the JSON form (object or text). Throws SchemaError on a shape it does not understand. */
  static parse(input: unknown): CedarSchema {
    let json: unknown = input;
    if (typeof input === "string") {
      try {
        json = JSON.parse(input);
      } catch (e) {
        throw new SchemaError(`the Cedar schema is not valid JSON: ${(e as Error).message}`);
      }
    }
    if (!isObject(json)) throw new SchemaError("the Cedar schema must be a JSON object of namespaces");
    const s = new CedarSchema(json);
    s.load();
    return s;
  }

  private load(): void {
    for (const [ns, def] of Object.entries(this.json)) {
      if (!isObject(def)) throw new SchemaError(`namespace ${JSON.stringify(ns)} must be an object`);
      const common = def.commonTypes ?? {};
      if (!isObject(common)) throw new SchemaError(`${ns}: commonTypes must be an object`);
      for (const [name, t] of Object.entries(common)) this.commonTypes.set(qualify(ns, name), t);
    }
    const memberOf = new Map<string, string[]>();
    for (const [ns, def] of Object.entries(this.json)) {
      const actions = (def as Json).actions ?? {};
      if (!isObject(actions)) throw new SchemaError(`${ns}: actions must be an object`);
      for (const [name, a] of Object.entries(actions)) {
        if (!isObject(a)) throw new SchemaError(`${ns}: action ${JSON.stringify(name)} must be an object`);
        const key = qualify(ns, name);
        const applies = a.appliesTo;
        let ctx: CedarType | undefined;
        if (isObject(applies) && applies.context !== undefined)
          ctx = this.resolve(applies.context, ns, `${key} context`);
        else if (isObject(applies)) ctx = { kind: "Record", attributes: new Map(), open: false };
        this.contexts.set(key, ctx);
        const parents = Array.isArray(a.memberOf) ? a.memberOf : [];
        memberOf.set(
          key,
          parents.map((p) => {
            if (!isObject(p) || typeof p.id !== "string") throw new SchemaError(`${key}: memberOf entries need an id`);
            // `type` is the parent's action entity type ("Symbi::Action"); absent or bare "Action" means this namespace.
            const parentNs = typeof p.type === "string" && p.type !== "Action" ? p.type.replace(/::Action$/, "") : ns;
            return qualify(parentNs, p.id);
          }),
        );
      }
    }
    const ancestors = (key: string, seen: Set<string>): Set<string> => {
      for (const p of memberOf.get(key) ?? []) {
        if (seen.has(p)) continue;
        seen.add(p);
        ancestors(p, seen);
      }
      return seen;
    };
    for (const key of memberOf.keys()) this.groups.set(key, ancestors(key, new Set()));
  }

  /** Whether the schema declares `Symbi::Action::"<id>"` (namespace `ns`). */
  hasAction(ns: string, id: string): boolean {
    return this.contexts.has(qualify(ns, id));
  }

  /** The context type of an action (undefined when it declares none: anything goes). */
  contextType(ns: string, id: string): CedarType | undefined {
    return this.contexts.get(qualify(ns, id));
  }

  /** The action groups the action belongs to, transitively (keys `ns::id`). */
  groupsOf(ns: string, id: string): ReadonlySet<string> {
    return this.groups.get(qualify(ns, id)) ?? new Set();
  }

  private resolve(t: unknown, ns: string, where: string): CedarType {
    if (!isObject(t) || typeof t.type !== "string")
      throw new SchemaError(`${where}: a type must be an object with a "type"`);
    const name = t.type.replace(/^__cedar::/, "");
    switch (name) {
      case "String":
      case "Long":
      case "Boolean":
        return { kind: name };
      case "Set":
        return { kind: "Set", element: this.resolve(t.element, ns, `${where} element`) };
      case "Record": {
        const attrs = new Map<string, { type: CedarType; required: boolean }>();
        const src = t.attributes ?? {};
        if (!isObject(src)) throw new SchemaError(`${where}: attributes must be an object`);
        for (const [k, a] of Object.entries(src)) {
          attrs.set(k, {
            type: this.resolve(a, ns, `${where}.${k}`),
            required: !(isObject(a) && a.required === false),
          });
        }
        return { kind: "Record", attributes: attrs, open: t.additionalAttributes === true };
      }
      case "Entity":
        if (typeof t.name !== "string") throw new SchemaError(`${where}: an Entity type needs a name`);
        return { kind: "Entity", name: qualifyType(ns, t.name) };
      case "Extension":
        if (typeof t.name !== "string") throw new SchemaError(`${where}: an Extension type needs a name`);
        return { kind: "Extension", name: t.name };
      case "EntityOrCommon": {
        if (typeof t.name !== "string") throw new SchemaError(`${where}: an EntityOrCommon type needs a name`);
        const n = t.name.replace(/^__cedar::/, "");
        if (PRIMITIVES.has(n)) return { kind: n as "String" | "Long" | "Boolean" };
        const common = this.common(n, ns, where);
        return common ?? { kind: "Entity", name: qualifyType(ns, n) };
      }
      default: {
        const common = this.common(name, ns, where);
        if (common) return common;
        throw new SchemaError(`${where}: unknown type ${JSON.stringify(t.type)}`);
      }
    }
  }

  private common(name: string, ns: string, where: string): CedarType | undefined {
    const key = name.includes("::") ? name : qualify(ns, name);
    const t = this.commonTypes.get(key) ?? this.commonTypes.get(qualify("", name));
    if (t === undefined) return undefined;
    if (this.resolving.has(key)) throw new SchemaError(`${where}: common type ${name} refers to itself`);
    this.resolving.add(key);
    try {
      return this.resolve(t, ns, where);
    } finally {
      this.resolving.delete(key);
    }
  }
}

function qualify(ns: string, name: string): string {
  return ns ? `${ns}::${name}` : name;
}

function qualifyType(ns: string, name: string): string {
  return name.includes("::") || !ns ? name : `${ns}::${name}`;
}
