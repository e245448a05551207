/**
 * The Cedar schema (JSON form) of one agent's policies, derived from its context model:
 *
 *   namespace Symbi {
 *     entity Agent; entity Tool;
 *     type InputRecord = {...}; type UserRecord = {...}; …          // shared context parts
 *     action "<group>";                                             // action groups
 *     action "<tool>" in ["<group>"] appliesTo {
 *       principal: Agent, resource: Tool (or Agent for inter-agent calls),
 *       context: { args: {...}, facts: {...}, input: InputRecord, user: UserRecord, … }
 *     };
 *   }
 */
import type { SchemaJson } from "../../../formats/cedar-wasm.js";
import { NAMESPACE, type ContextModel, type Shape, type SharedRoot } from "../../../formats/policies-json.js";

const COMMON_TYPE: Record<SharedRoot, string> = {
  input: "InputRecord",
  user: "UserRecord",
  session: "SessionRecord",
  system: "SystemRecord",
  context: "ContextRecord",
  derived: "DerivedRecord",
};

/**
 * The schema's records list exactly what the policies read. Cedar's open records
 * (`additionalAttributes`) are experimental, so the runtime projects its values onto these shapes
 * (compiler/policy/shape.ts `project`, used by request.ts) before asking Cedar.
 */
function open(s: Shape): unknown {
  return s;
}

/** Top-level context attributes the runtime may leave out (guards test them with `has`). */
const OPTIONAL_ROOTS: ReadonlySet<string> = new Set(["facts", "user", "session", "system", "context", "derived"]);

export function cedarSchema(cm: ContextModel): SchemaJson<string> {
  const commonTypes: Record<string, unknown> = {};
  for (const [root, name] of Object.entries(COMMON_TYPE)) commonTypes[name] = open(cm.shared[root as SharedRoot]);
  const actions: Record<string, unknown> = {};
  for (const g of cm.groups) actions[g] = {};
  for (const [name, a] of Object.entries(cm.actions)) {
    const attributes: Record<string, unknown> = {
      args: open(a.args),
      facts: { ...(open(a.facts) as object), required: false },
    };
    for (const [root, type] of Object.entries(COMMON_TYPE))
      attributes[root] = OPTIONAL_ROOTS.has(root) ? { type, required: false } : { type };
    actions[name] = {
      appliesTo: { principalTypes: ["Agent"], resourceTypes: [a.resource], context: { type: "Record", attributes } },
      ...(a.groups.length > 0 ? { memberOf: a.groups.map((id) => ({ id })) } : {}),
    };
  }
  return {
    [NAMESPACE]: {
      commonTypes,
      entityTypes: { Agent: {}, Tool: {} },
      actions,
    },
  } as unknown as SchemaJson<string>;
}
