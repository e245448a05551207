import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0600–E0699 (and W0600–W0699): compilation to Cedar and bundles. */
export const buildCodes: CodeTable = {
  E0600: {
    severity: "error",
    title: "not an action pattern",
    explanation:
      'The expression after `allow:` / `deny:` (or after `for` in `require: X for Y`) must name actions: a call pattern `read(file)`, an action name `"read"`, a list of names `["read", "write"]`, or an action group such as `all_operations`. Call-pattern arguments are binders, `any`/`_`, or literals.',
  },
  E0601: {
    severity: "error",
    title: "action pattern matches no tool",
    explanation:
      'Every action a policy names must be a tool declared by a tool contract (`tools/<name>.clad.toml`), one of the agent\'s capabilities, an inter-agent action (`ask`, `delegate`, `send_to`), or an action group (`all_operations`, or a group a contract declares with `[tool.cedar] action = "<group>"`). A rule about an action that does not exist would be compiled into a policy that never applies, so the build stops instead.',
  },
  E0602: {
    severity: "error",
    title: "action pattern arguments do not fit the tool",
    explanation:
      "A call pattern binds the tool's arguments in argv order (or by name with `name = x`). The pattern has more arguments than the tool, names an argument the tool does not have, or gives a literal of the wrong type.",
  },
  E0603: {
    severity: "error",
    title: "guard cannot be compiled to Cedar",
    explanation:
      "Cedar evaluates guards over the request context; it has no user functions, loops, records built on the fly or string building. Pure computations over the request (`any(xs, |x| ...)`, `xs.map(...)`, `len(..)`, `lower(..)`, indexing) are computed by the runtime before the decision and passed as `context.derived` attributes; other function calls and constructs are rejected rather than dropped.",
  },
  E0604: {
    severity: "error",
    title: "unknown name in a guard",
    explanation:
      "A guard may read only what exists when the decision is made: the action's binders, the agent's inputs, and the trusted records `user`, `session`, `system` and `context`. In `require:` a bare name that is none of these is a flag of the trusted `context` record.",
  },
  E0605: {
    severity: "error",
    title: "floating-point value in a guard",
    explanation:
      "Cedar has no floating-point numbers. Compare integers instead (for example scale a ratio by 100), or compute the value outside the policy.",
  },
  E0606: {
    severity: "error",
    title: "operator Cedar does not have",
    explanation:
      "Cedar has `+`, `-` and `*` on integers but no division or remainder. Rewrite the comparison (`a < b * 2` instead of `a / 2 < b`).",
  },
  E0607: {
    severity: "error",
    title: "ordering on strings that are not levels",
    explanation:
      "`<`, `<=`, `>` and `>=` on strings compare ordered levels (the stdlib's `Clearance`, lowest first: public, internal, confidential, secret, top_secret). Cedar has no string order, so the compiler ranks levels; a literal outside the list cannot be ranked.",
  },
  E0608: {
    severity: "error",
    title: "type conflict in a policy",
    explanation:
      "Every value a policy reads has one type across all the agent's rules (Cedar's schema gives each context attribute one type). This value is used as two different types, or an operator is applied to a type it does not accept.",
  },
  E0609: {
    severity: "error",
    title: "value a guard reads has no Cedar type",
    explanation: "The guard reads a value whose type Cedar cannot hold (a float, a map, a record compared as a whole).",
  },
  E0611: {
    severity: "error",
    title: "generated Cedar failed validation (compiler bug)",
    explanation:
      "The Cedar policy generated from this rule did not validate against the generated schema in strict mode. This is a bug in symbic: please report it with the rule. The build stops rather than emit a policy that might not mean what the rule says.",
  },
  E0615: {
    severity: "error",
    title: "policy and `with` block contradict each other",
    explanation:
      'What the policies allow and what the `with` block grants disagree: a requirement (`require: { sandbox_tier: "Tier2" }` under `with sandbox = "Tier1"`), or a tool the policies allow that needs network destinations (its contract\'s `[tool.sandbox] network`) under `network_policy = "deny_all"` or outside the block\'s `network = [...]` allowlist. The build does not pick one of them.',
  },
  E0616: {
    severity: "error",
    title: "invalid sandbox setting",
    explanation:
      "A `with` attribute has a value the sandbox manifest cannot hold (for example a root user, or a relative working directory).",
  },
  E0617: {
    severity: "error",
    title: "sandbox cannot be expressed for Kubernetes",
    explanation:
      "The sandbox manifest has a setting the Kubernetes objects cannot enforce faithfully: a network allowance by host name over UDP (a NetworkPolicy needs IP addresses, and the egress gateway that enforces host names carries TCP only), or a tool user that is the runtime's own.",
  },
  E0618: {
    severity: "error",
    title: "two agents with the same name",
    explanation:
      "Each agent is built into `<out>/<agent>/`, so agent names must be unique across the files of one build.",
  },
  E0619: {
    severity: "error",
    title: "invalid approval requirement",
    explanation:
      'Approval requirements are `require: approval`, `require: approval("<approver>")` or `require: <approver>_approval`, optionally with `for <actions>` and `if <guard>`.',
  },
  E0620: {
    severity: "error",
    title: "code that cannot be compiled",
    explanation:
      "The agent's code holds a name the checker did not resolve (only possible when the checker reported errors): fix what `symbic check` reports.",
  },
  W0601: {
    severity: "warning",
    title: "channel policies are not compiled",
    explanation:
      "Policies inside `channel` blocks govern channel traffic, which this toolchain does not run; they are not part of any agent's bundle.",
  },
};
