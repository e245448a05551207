/** The policy gate: cedar-wasm decisions over a bundle's compiled policies, and the approval step. */
export {
  PolicyGate,
  GateLoadError,
  RESERVED_CONTEXT_KEYS,
  type GateDecision,
  type GateRequest,
  PolicySet,
  DEFAULT_DENY,
  type CompiledPolicies,
  type RunContext,
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
export { splitPolicies, PolicyLoadError, type CedarPolicyText } from "./policies.js";
