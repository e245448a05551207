/**
 * Deciding without handing Cedar the schema (README.md, "Deciding without the schema").
 *
 * Given a schema, Cedar does two things for a request the gate builds: it parses the context
 * against the action's context type, and it adds the schema's action entities (with their
 * `memberOf` hierarchy) to the request's entities. The first is redundant here: `request.ts`
 * projects every context value onto the shape the policies read (only String, Long, Boolean,
 * Set and Record, formats/policies-json.ts), and Cedar's schema-less reading of such JSON gives
 * the same values — unless a record has a key Cedar's JSON format reserves as an escape
 * (`__entity`, `__extn`, `__expr`), which it would read as an entity, an extension value or an
 * expression. The second is given explicitly: the request's action entity with its ancestors
 * (nothing for an action without ancestors).
 * The emitter (compiler/emit/cedar/policies.ts) writes action entities only in policy scopes
 * (`action == A`, `action in [A, …]`, `action in G`), which read only the request action and its
 * ancestors.
 *
 * Schema-directed parsing costs 20–40% of a decision (more the larger the context), so the gate
 * decides schema-free wherever this module says the result is the same, and passes the schema
 * where it cannot say so.
 */
import type { EntityJson } from "../../formats/cedar-wasm.js";
import { deepFreeze } from "../../formats/json.js";
import { ACTION_TYPE, NAMESPACE, type PoliciesJson, type Shape } from "../../formats/policies-json.js";

/** Record keys Cedar's JSON value format reads as escapes rather than as attributes. */
export const CEDAR_JSON_ESCAPES: ReadonlySet<string> = new Set(["__entity", "__extn", "__expr"]);

/** The entities to pass with a request for each action, or why the gate must pass the schema instead. */
export type SchemaFreeEntities = { entitiesOf: Map<string, EntityJson[]> } | { unusable: string };

/**
 * The action entities Cedar would take from `schema` for each action policies.json declares:
 * the action with its ancestors (transitively) as parents. Unusable when a shape has an escape
 * key, or the schema's actions are not the plain form symbic writes.
 */
export function schemaFreeEntities(schema: unknown, pj: PoliciesJson): SchemaFreeEntities {
  const escape = escapeKeyIn(pj);
  if (escape) return { unusable: `the context has an attribute named \`${escape}\`` };
  const hierarchy = actionAncestors(schema, pj);
  if ("unusable" in hierarchy) return hierarchy;
  const entitiesOf = new Map<string, EntityJson[]>();
  for (const [action, ancestors] of hierarchy.ancestorsOf) {
    // An action without ancestors needs no entity: `action in X` is then `action == X` in Cedar
    // whether or not the entity is known, and action entities have no attributes.
    const uid = (id: string) => ({ type: ACTION_TYPE, id });
    const entities =
      ancestors.size === 0 ? [] : [{ uid: uid(action), attrs: {}, parents: [...ancestors].sort().map(uid) }];
    entitiesOf.set(action, deepFreeze(entities) as EntityJson[]);
  }
  return { entitiesOf };
}

/** The action hierarchy as Cedar reads it from the schema, or why it cannot be read here. */
export type ActionHierarchy = { ancestorsOf: Map<string, ReadonlySet<string>> } | { unusable: string };

/**
 * For each action policies.json declares, every action of the schema it is a member of,
 * directly or not (the `memberOf` lists Cedar takes the action entities from). Unusable when the
 * schema's actions are not the plain form symbic writes.
 */
export function actionAncestors(schema: unknown, pj: PoliciesJson): ActionHierarchy {
  const ns = (schema as Record<string, unknown> | null)?.[NAMESPACE] as { actions?: unknown } | undefined;
  const actions = ns?.actions;
  if (typeof actions !== "object" || actions === null || Array.isArray(actions))
    return { unusable: `the schema has no ${NAMESPACE} actions` };
  const parentsOf = new Map<string, string[]>();
  for (const [name, decl] of Object.entries(actions as Record<string, unknown>)) {
    const memberOf = (decl as { memberOf?: unknown } | null)?.memberOf;
    if (memberOf === undefined || memberOf === null) {
      parentsOf.set(name, []);
      continue;
    }
    if (!Array.isArray(memberOf)) return { unusable: `action ${name}: memberOf is not a list` };
    const parents: string[] = [];
    for (const m of memberOf) {
      const ref = m as { id?: unknown; type?: unknown } | null;
      if (typeof ref?.id !== "string") return { unusable: `action ${name}: a memberOf entry has no id` };
      if (ref.type !== undefined && ref.type !== "Action" && ref.type !== ACTION_TYPE)
        return { unusable: `action ${name}: memberOf names another entity type` };
      parents.push(ref.id);
    }
    parentsOf.set(name, parents);
  }
  const ancestorsOf = new Map<string, ReadonlySet<string>>();
  for (const action of Object.keys(pj.context.actions)) {
    if (!parentsOf.has(action)) return { unusable: `action ${action} is not in the schema` };
    const ancestors = transitiveParents(action, parentsOf);
    if (ancestors === undefined) return { unusable: `the action hierarchy above ${action} has a cycle` };
    ancestorsOf.set(action, ancestors);
  }
  return { ancestorsOf };
}

/** Every action `action` is a member of, directly or not; undefined on a cycle. */
function transitiveParents(action: string, parentsOf: Map<string, string[]>): Set<string> | undefined {
  const seen = new Set<string>();
  const stack = [...(parentsOf.get(action) ?? [])];
  while (stack.length > 0) {
    const a = stack.pop()!;
    if (a === action) return undefined;
    if (seen.has(a)) continue;
    seen.add(a);
    stack.push(...(parentsOf.get(a) ?? []));
  }
  return seen;
}

/** The first attribute name in any shape of policies.json that Cedar's JSON format reserves. */
function escapeKeyIn(pj: PoliciesJson): string | undefined {
  const shapes: Shape[] = [...Object.values(pj.context.shared), ...pj.derived.map((d) => d.type)];
  for (const a of Object.values(pj.context.actions)) shapes.push(a.args, a.facts);
  // Derived values live under `context.derived.<id>`: their ids are attribute names too.
  for (const d of pj.derived) if (CEDAR_JSON_ESCAPES.has(d.id)) return d.id;
  const stack = [...shapes];
  while (stack.length > 0) {
    const s = stack.pop();
    if (typeof s !== "object" || s === null) continue;
    if (s.type === "Set") stack.push(s.element);
    else if (s.type === "Record")
      for (const [k, a] of Object.entries(s.attributes)) {
        if (CEDAR_JSON_ESCAPES.has(k)) return k;
        stack.push(a);
      }
  }
  return undefined;
}
