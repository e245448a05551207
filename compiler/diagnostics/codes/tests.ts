import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E1000–E1099: test files of `symbic test` (`*.test.toml`, testing/README.md). */
export const testsCodes: CodeTable = {
  E1000: {
    severity: "error",
    title: "invalid TOML in a test file",
    explanation: "The test file is not valid TOML; the position is the one the TOML parser reports.",
  },
  E1001: {
    severity: "error",
    title: "unknown key in a test file",
    explanation:
      "The key is not part of the test file format (testing/README.md). A misspelt key would otherwise be ignored and the test would check less than it says.",
  },
  E1002: {
    severity: "error",
    title: "missing key in a test file",
    explanation:
      "A case needs a `name`, an `expect`, and a `tool` or `action`; a run needs a `name` and an `[run.expect]`; the agent must be named by the case or by the file.",
  },
  E1003: {
    severity: "error",
    title: "invalid value in a test file",
    explanation:
      "The value has the wrong TOML type, or is not one of the values the key takes (`expect` is allow, deny or approval).",
  },
  E1004: {
    severity: "error",
    title: "unknown agent",
    explanation: "The test names an agent that the project does not define.",
  },
  E1005: {
    severity: "error",
    title: "unknown tool or action",
    explanation:
      "The case names a tool or action the agent cannot request: not a tool of the project, a built-in action or one of the agent's capabilities.",
  },
  E1006: {
    severity: "error",
    title: "invalid arguments",
    explanation:
      "An argument is not one the tool or action takes, or its value does not satisfy the tool's contract. Such a call never reaches the policy gate (`symbi exec` stops it with an ArgumentError), so a policy test of it would test nothing.",
  },
  E1007: {
    severity: "error",
    title: "unknown rule",
    explanation:
      "The expected rule id is not a rule of the agent's policies (ids are `<agent>.<policy>.<n>` for an agent's policies and `<policy>.<n>` for top-level ones; `symbic build` writes them in policies.json).",
  },
  E1008: {
    severity: "error",
    title: "context does not fit the trusted records",
    explanation:
      "A trusted record given by the test (`user`, `session`, `system`, `context`) has a field its declared type does not have, or a value of the wrong type. At run time such a value would be dropped and the guards reading it would be unknown; in a test it is a mistake, reported rather than silently denied.",
  },
  E1009: {
    severity: "error",
    title: "invalid agent input",
    explanation: "The test's `input` does not fit the agent's parameters (as `symbi exec --input` checks them).",
  },
  E1010: {
    severity: "error",
    title: "unusable agent-test fixture",
    explanation:
      "A model recording or a tool double of an agent test cannot be used: the recording is missing or not a recording, or a double names a tool the agent does not have.",
  },
};
