/**
 * The context model of one agent: the shape of the Cedar `context` record for each action, as
 * the policies read it. It is written to policies.json (the runtime builds requests from it, see
 * request.ts) and turned into the Cedar schema (schema.ts).
 *
 *   context = {
 *     args:    the call's arguments (per action, from the tool contract; all of them),
 *     facts:   trusted facts about argument values (per action; only what guards read),
 *     input:   the agent's inputs (only what guards read),
 *     user, session, system, context: trusted records (only what guards read),
 *     derived: values the runtime computes from the request (policies.json "derived"),
 *   }
 *
 * Per action, `sharedRead` says which of the shared parts (input, trusted records, derived
 * values) the guards of the rules that can match the action read: a Cedar policy whose scope
 * excludes the action never evaluates its condition, so the runtime leaves out the rest
 * (runtime/gate/request.ts).
 *
 * Attributes a policy may find absent are optional (`required: false`); the generated policies
 * test them with `has` before reading them.
 */
import type { ActionCatalog } from "../../policy/catalog.js";
import type { AgentPolicyModel, CtxPath } from "../../policy/model.js";
import { shapeOf } from "../../policy/shape.js";
import {
  SHARED_ROOTS,
  type ActionContext,
  type ContextModel,
  type RecordShape,
  type Shape,
  type SharedRoot,
} from "../../../formats/policies-json.js";

type Attr = Shape & { required?: boolean };

const emptyRecord = (): RecordShape => ({ type: "Record", attributes: {} });

/** Adds a path's leaf to a record shape, creating the intermediate records. */
function insert(rec: RecordShape, path: CtxPath, from: number, leaf: Shape): void {
  let cur = rec;
  for (let i = from; i < path.segments.length; i++) {
    const name = path.segments[i]!;
    const required = !path.optional[i];
    const last = i === path.segments.length - 1;
    const existing = cur.attributes[name] as Attr | undefined;
    if (last) {
      if (!existing) cur.attributes[name] = { ...leaf, required };
      else if (existing.type !== leaf.type)
        throw new Error(`internal: context attribute ${path.segments.join(".")} has two shapes`);
      return;
    }
    if (!existing) {
      const next: Attr = { type: "Record", attributes: {}, required };
      cur.attributes[name] = next;
      cur = next as RecordShape;
    } else if (existing.type === "Record") {
      cur = existing as RecordShape;
    } else {
      throw new Error(
        `internal: context attribute ${path.segments.slice(0, i + 1).join(".")} is both a value and a record`,
      );
    }
  }
}

/** Sorts attribute names recursively so the schema and policies.json are stable. */
function sortShape<S extends Shape>(s: S): S {
  if (s.type === "Set") return { ...s, element: sortShape(s.element) };
  if (s.type !== "Record") return s;
  const attributes: { [k: string]: Attr } = {};
  for (const k of Object.keys(s.attributes).sort()) attributes[k] = sortShape(s.attributes[k]!);
  return { ...s, attributes };
}

/** The actions whose Cedar policies can evaluate a rule's guard: "all", or names. */
function actionsByRule(model: AgentPolicyModel): Map<string, "all" | Set<string>> {
  const out = new Map<string, "all" | Set<string>>();
  for (const r of model.rules) {
    const had = out.get(r.id);
    if (had === "all" || r.match.actions === "all") out.set(r.id, "all");
    else out.set(r.id, new Set([...(had ?? []), ...r.match.actions]));
  }
  return out;
}

export function buildContextModel(model: AgentPolicyModel, catalog: ActionCatalog): ContextModel {
  const shared = {} as Record<SharedRoot, RecordShape>;
  for (const r of SHARED_ROOTS) shared[r] = emptyRecord();
  const facts = new Map<string, RecordShape>();
  const args = new Map<string, RecordShape>();
  // What each action's policies read of the shared parts (ActionContext.sharedRead).
  const ruleActions = actionsByRule(model);
  const sharedRead = new Map<string, Record<SharedRoot, RecordShape>>();
  const readBy = (rule: string | undefined): "all" | Set<string> =>
    (rule === undefined ? undefined : ruleActions.get(rule)) ?? "all";
  const noteRead = (rule: string | undefined, add: (rec: Record<SharedRoot, RecordShape>) => void): void => {
    const by = readBy(rule);
    for (const action of catalog.actions.keys()) {
      if (by !== "all" && !by.has(action)) continue;
      let rec = sharedRead.get(action);
      if (!rec) {
        rec = {} as Record<SharedRoot, RecordShape>;
        for (const r of SHARED_ROOTS) rec[r] = emptyRecord();
        sharedRead.set(action, rec);
      }
      add(rec);
    }
  };
  for (const { path, node, rule } of model.cedarPaths) {
    const root = path.segments[0]!;
    const leaf = shapeOf(node);
    if (root === "args" || root === "facts") {
      // Per action; scalar arguments are all listed below, record-typed ones as far as read.
      const per = root === "args" ? args : facts;
      const action = path.action!;
      let rec = per.get(action);
      if (!rec) per.set(action, (rec = emptyRecord()));
      insert(rec, path, 1, leaf);
      continue;
    }
    if (path.segments.length === 1) continue; // a whole trusted record is never a leaf (checked by the analysis)
    insert(shared[root as SharedRoot], path, 1, leaf);
    noteRead(rule, (rec) => insert(rec[root as SharedRoot], path, 1, leaf));
  }
  for (const d of model.derived) {
    const shape = { ...shapeOf(d.node), required: false };
    shared.derived.attributes[d.id] = shape;
    noteRead(d.rule, (rec) => (rec.derived.attributes[d.id] = shape));
  }

  const actions: { [action: string]: ActionContext } = {};
  for (const name of [...catalog.actions.keys()].sort()) {
    const a = catalog.actions.get(name)!;
    const argShape = args.get(name) ?? emptyRecord();
    for (const arg of a.args) {
      if (arg.type === "Unsupported" || arg.type === "Record") continue;
      argShape.attributes[arg.name] = { type: arg.type === "Bool" ? "Boolean" : arg.type, required: arg.always };
    }
    const read = sharedRead.get(name);
    const readShapes: Partial<Record<SharedRoot, RecordShape>> = {};
    for (const r of SHARED_ROOTS)
      if (read && Object.keys(read[r].attributes).length > 0) readShapes[r] = sortShape(read[r]);
    actions[name] = {
      resource: a.resourceType,
      args: sortShape(argShape),
      facts: sortShape(facts.get(name) ?? emptyRecord()),
      groups: [...a.groups],
      sharedRead: readShapes,
    };
  }
  for (const r of SHARED_ROOTS) shared[r] = sortShape(shared[r]);
  return { shared, actions, groups: [...catalog.groups.keys()].filter((g) => !catalog.actions.has(g)).sort() };
}
