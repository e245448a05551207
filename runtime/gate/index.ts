/** The policy gate: cedar-wasm decisions over a bundle's compiled policies, and the approval step. */
export {
  PolicyGate,
  GateLoadError,
  RESERVED_CONTEXT_KEYS,
  type GateDecision,
  type GateRequest,
  type GateOptions,
  type DecisionKind,
} from "./gate.js";
export {
  approverFor,
  APPROVAL_MODES,
  type ApprovalMode,
  type Approver,
  type ApprovalAnswer,
  type ApprovalRequest,
  type TerminalIO,
} from "./approval.js";
export { CedarSchema, SchemaError, type CedarType } from "./schema.js";
export { toCedar, toCedarUntyped, CedarValueError, type CedarJson } from "./cedar-values.js";
export { splitPolicies, PolicyLoadError, type PolicyInfo } from "./policies.js";
