import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0300–E0399 (and W0300–W0399): policies. */
export const policyCodes: CodeTable = {
  E0300: {
    severity: "error",
    title: "unknown action",
    explanation:
      "An action pattern must name a tool (a contract in `tools/`), a built-in action (`delegate`, `ask`, `send_to`, `receive`, `spawn_agent`, `invoke_tool`, `use_llm`, `memory_read`, `memory_write`, `publish`, `request_approval`), a capability the agent declares, an agent, or an action group (`all_operations`, `all_interactions`, or a group tool contracts join with `[tool.policy] groups = [...]`).",
  },
  E0301: {
    severity: "error",
    title: "not an action pattern",
    explanation:
      '`allow`/`deny` (and non-record `audit`) take an action pattern: `name`, `"name"`, `["a", "b"]`, or `name(binder, "literal", any)`. Settings records belong to `require`/`audit`.',
  },
  E0302: {
    severity: "error",
    title: "too many binders",
    explanation:
      "An action pattern `tool(a, b)` binds the call's arguments by position; the action takes fewer arguments than the pattern lists.",
  },
  E0303: {
    severity: "error",
    title: "guard uses a value not available at decision time",
    explanation:
      "A guard is evaluated by the policy gate before the action runs. It may use the pattern's binders (the call's arguments), the agent's inputs (agent-level policies), and the trusted records `context`, `user`, `session` and `system` — not the agent's local variables or results.",
  },
  E0304: {
    severity: "error",
    title: "guard calls an action",
    explanation:
      "A guard must not have side effects: calling a tool, an agent or a gated builtin (`delegate`, `llm_call`, ...) in a guard would run it during the decision. Pure builtins and methods are fine.",
  },
  E0305: {
    severity: "error",
    title: "binder stands for nothing",
    explanation:
      "Binders of a capability, an agent or an action group have no single argument to stand for (group members take different arguments), so the guard cannot use them; use `any`, or name the tool.",
  },
  E0306: {
    severity: "error",
    title: "invalid setting value",
    explanation:
      "A `require: { ... }` or `audit: { ... }` setting has a value of the wrong kind (see the documented settings schema in compiler/check/README.md).",
  },
  E0307: {
    severity: "error",
    title: "settings in an allow/deny rule",
    explanation: "A record of settings only makes sense in `require` or `audit`.",
  },
  E0308: {
    severity: "error",
    title: "unknown agent",
    explanation:
      "An inter-agent action names its target agent with a string; no agent of that name is declared in the project.",
  },
  E0309: {
    severity: "error",
    title: "duplicate setting",
    explanation: "The same setting key appears twice in a policy's settings; the policy would be ambiguous.",
  },
  E0310: {
    severity: "error",
    title: "literal does not fit the action's argument",
    explanation:
      "A literal in an action pattern constrains the call's argument to that value: it must have the argument's type and, for an `enum` argument, be one of its allowed values. For paths, IP addresses, hosts, CIDR ranges and URLs it must be written in the canonical form the gate decides (`/etc/passwd`, not `//etc/passwd`; `10.0.0.1`, not `::ffff:10.0.0.1`; `http://example.com/`, not `HTTP://Example.com`): another spelling would never match, and a deny written with it would never apply. The same holds for a string literal passed to a tool's `enum` argument in a call.",
  },
  E0311: {
    severity: "error",
    title: "setting not enforced",
    explanation:
      'Every `require` setting is enforced — by the checker (`sandbox_tier`, `total_timeout`), by the runtime on each call the policy covers (`rate_limiting`, `max_data_size`, `timeout_per_request`, `approval_expiry`), as a flag of the trusted context the deployment must set (controls such as `pii_detection: true`), or because it is true of every run (`approval_scope = "single_action"`) — or it is this error: symbi cannot enforce it (`api_key_rotation`, `max_scan_depth`, AgentPin settings, ...), and a policy that only looked enforced would be worse than none. Remove it, or, when the deployment guarantees it, state that in the trusted context and require the flag (`require: keys_rotated`). The same holds for `audit` settings: `compliance_tags` and content filtering (`content_filtering`, `include_input: false`) are enforced by the runtime, `log_level`, `retention_days` and the items the log always records are true of every audited run, and `alert_on_*` (symbi raises no alerts) or `include_<item>: true` for an item the log has no field for are this error.',
  },
  W0300: {
    severity: "warning",
    title: "unknown setting",
    explanation:
      "The key is not in the documented `require`/`audit` settings schema, so nothing enforces it. Check its spelling.",
  },
  W0304: {
    severity: "warning",
    title: "deny that no request can match",
    explanation:
      'The deny names a capability the agent declares, but no tool contract, built-in action or action group provides it: no call is ever that action, so the rule never applies and protects nothing. Deny the tools that perform it, by name or through a group their contracts join (`[tool.policy] groups = ["network_access"]`).',
  },
  W0305: {
    severity: "warning",
    title: "top-level allow widens agents",
    explanation:
      "A top-level policy applies to every agent of the project (every `.symbi` file under the project root, or under the source folders `[project] sources` in `symbi.toml` lists). An `allow:` there adds permissions to agents that never asked for them; the warning names each one it widens. Allow in the agents' own policies, and keep top-level policies to `deny:`, `require:` and `audit:`.",
  },
  W0301: {
    severity: "warning",
    title: "rule names something that is never gated",
    explanation:
      "The name is a pure builtin or a user function: calling it is not an action, so the policy gate never sees it and the rule has no effect.",
  },
  W0303: {
    severity: "warning",
    title: "allow outside the agent's capabilities",
    explanation:
      "The agent declares capabilities, and they bound what it may do: an allow of an action outside them never permits it (the compiled policy forbids every action outside the capabilities). Add the action to `capabilities`, or remove the rule.",
  },
  W0302: {
    severity: "warning",
    title: "agent input hides a trusted record",
    explanation:
      "In this agent's guards, the name refers to the agent's input (data the caller chose), not to the trusted record of the same name supplied by the deployment. Rename the input if the guard means the trusted record.",
  },
};
