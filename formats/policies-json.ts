/**
 * policies.json (docs/bundle.md), the file `symbic build` writes beside the Cedar policies and
 * `symbi exec` reads: one entry per Cedar policy (so a decision names the DSL rule that made
 * it), the context model (the shape of the Cedar context per action), the values the runtime
 * derives from each request, the ordered levels, and the settings of record-form rules.
 *
 * Shapes are written in the Cedar JSON-schema type syntax (`{ "type": "Set", "element": ... }`),
 * so one object is the Cedar schema fragment, the description in policies.json, and what the
 * runtime checks and projects request values against (`conforms`, `project`).
 */
import type { Expr } from "../grammar/ast.js";
import type { TrustedRecord } from "../stdlib/trusted-records.js";
import type { JsonValue } from "./json.js";

/** The Cedar model (DESIGN §5): namespace `Symbi`, principals are agents, resources tools or agents. */
export const NAMESPACE = "Symbi";
export const AGENT_TYPE = `${NAMESPACE}::Agent`;
export const TOOL_TYPE = `${NAMESPACE}::Tool`;
export const ACTION_TYPE = `${NAMESPACE}::Action`;

/** What a name in a guard (or a derived expression) denotes. */
export type RootRef =
  /** A binder, as the argument's value: `context.args.<arg>`. */
  | { kind: "arg"; action: string; arg: string }
  /** A binder, as the facts the runtime knows about the argument's value: `context.facts.<arg>`. */
  | { kind: "facts"; action: string; arg: string }
  /** An agent input: `context.input.<param>`. */
  | { kind: "input"; param: string }
  /** A trusted record: `context.user`, `context.session`, `context.system`, `context.context`. */
  | { kind: "trusted"; record: TrustedRecord }
  /** A lambda parameter (only inside runtime-computed expressions). */
  | { kind: "lambda"; name: string };

export type Shape =
  | { type: "String" }
  | { type: "Long" }
  | { type: "Boolean" }
  | { type: "Set"; element: Shape }
  | { type: "Record"; attributes: { [name: string]: Shape & { required?: boolean } } };

export type RecordShape = Extract<Shape, { type: "Record" }>;

export const SHARED_ROOTS = ["input", "user", "session", "system", "context", "derived"] as const;
export type SharedRoot = (typeof SHARED_ROOTS)[number];

export interface ActionContext {
  /** Cedar resource type of the call: the tool, or the target agent (inter-agent calls). */
  resource: "Tool" | "Agent";
  args: RecordShape;
  facts: RecordShape;
  /** Action groups the action belongs to (Cedar `memberOf`). */
  groups: string[];
  /**
   * The parts of `context.shared` the guards of this action's rules read (a subset of each
   * shape; a part none of them reads is left out). Policies of other actions never evaluate
   * their conditions for this one, so the runtime may leave the rest out of its requests.
   * Absent in bundles built before it existed.
   */
  sharedRead?: Partial<Record<SharedRoot, RecordShape>>;
}

export interface ContextModel {
  shared: Record<SharedRoot, RecordShape>;
  actions: { [action: string]: ActionContext };
  /** Action groups (Cedar action entities without a context of their own). */
  groups: string[];
}

export const POLICIES_FORMAT = "symbi-policies/v1";

export interface PolicyEntry {
  id: string;
  /** Which file holds the policy: policy.cedar or approval.cedar. */
  set: "policy" | "approval";
  verb: string;
  effect: "permit" | "forbid" | "approval";
  policy: string;
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  text: string;
  actions: "all" | string[];
  approver?: string;
}

export interface DerivedEntry {
  id: string;
  /** "run": depends only on the agent's inputs (compute once); "call": recompute for every request. */
  stage: "run" | "call";
  type: Shape;
  /** The expression; identifiers that read the request carry `root` (RootRef below). */
  expr: Expr;
  rule: string;
  file: string;
  line: number;
  col: number;
}

export interface PolicySettingEntry {
  id: string;
  kind: "require" | "audit";
  policy: string;
  file: string;
  line: number;
  col: number;
  text: string;
  settings: { [k: string]: JsonValue };
  actions?: "all" | string[];
}

export interface PoliciesJson {
  format: typeof POLICIES_FORMAT;
  agent: string;
  policies: PolicyEntry[];
  context: ContextModel;
  derived: DerivedEntry[];
  levels: string[];
  settings: PolicySettingEntry[];
}

const I64_MIN = -(2 ** 63);
const I64_MAX = 2 ** 63;

/** Whether a JSON value has the shape (records: required attributes present; other attributes are allowed). */
export function conforms(v: unknown, s: Shape): boolean {
  switch (s.type) {
    case "String":
      return typeof v === "string";
    case "Long":
      return typeof v === "number" && Number.isInteger(v) && v >= I64_MIN && v < I64_MAX;
    case "Boolean":
      return typeof v === "boolean";
    case "Set":
      return Array.isArray(v) && v.every((x) => conforms(x, s.element));
    case "Record": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      for (const [k, a] of Object.entries(s.attributes)) {
        if (!(k in o)) {
          if (a.required !== false) return false;
          continue;
        }
        if (!conforms(o[k], a)) return false;
      }
      return true;
    }
  }
}

/**
 * Projects a JSON value onto a shape, as the runtime does before handing a request to Cedar:
 * attributes the shape does not name are dropped, attributes of the wrong type are dropped
 * (absent: a guard reading them is undefined and fails closed). Returns undefined when the value
 * itself does not fit.
 */
export function project(v: unknown, s: Shape): unknown {
  switch (s.type) {
    case "String":
    case "Long":
    case "Boolean":
      return conforms(v, s) ? v : undefined;
    case "Set": {
      if (!Array.isArray(v)) return undefined;
      const out: unknown[] = [];
      for (const x of v) {
        const p = project(x, s.element);
        if (p === undefined) return undefined;
        out.push(p);
      }
      return out;
    }
    case "Record": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, a] of Object.entries(s.attributes)) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) {
          if (a.required !== false) return undefined;
          continue;
        }
        const p = project(o[k], a);
        if (p === undefined) {
          if (a.required !== false) return undefined;
          continue;
        }
        out[k] = p;
      }
      return out;
    }
  }
}
