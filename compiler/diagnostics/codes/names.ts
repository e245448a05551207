import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0100–E0199 (and W0100–W0199): name resolution and scopes. */
export const namesCodes: CodeTable = {
  E0100: {
    severity: "error",
    title: "unknown name",
    explanation:
      "The name is not a variable in scope, a parameter, a function, a tool (from `tools/*.clad.toml`), an agent, a memory store or a builtin. The help suggests the closest known name.",
  },
  E0101: {
    severity: "error",
    title: "unknown type",
    explanation:
      "The type name is neither built in (`String`, `int`, `float`, `bool`, `Duration`, `List`, `Map`, `Option`, `Result`, `JSON`, ...) nor declared with `type Name = ...` in a file of the project.",
  },
  E0102: {
    severity: "error",
    title: "duplicate declaration",
    explanation:
      "Two declarations of the same kind share a name in the project (agents, functions, types, policies, memory stores, ...), or a function or tool takes the name of another function, tool or builtin, so calls would be ambiguous.",
  },
  E0103: {
    severity: "error",
    title: "variable already declared in this block",
    explanation:
      "`let` declares a new variable; this block already has one of that name. Assign to it (`x = ...`) or choose another name. (A `let` in an inner block may shadow an outer variable: see W0102.)",
  },
  E0104: {
    severity: "error",
    title: "not callable",
    explanation: "Only functions, tools, builtins and lambdas can be called; this name is a value of another type.",
  },
  E0105: {
    severity: "error",
    title: "used before its definition",
    explanation: "Variables exist from their `let` (or first assignment) onward; this use comes earlier in the block.",
  },
  E0106: {
    severity: "error",
    title: "variable not in scope",
    explanation:
      "Variables are block-scoped: one declared inside a block (`try`, `if`, `for`, a match arm, ...) does not exist after the block ends. Declare it before the block (`let x = ...;`) and assign it inside.",
  },
  E0107: {
    severity: "error",
    title: "cyclic type alias",
    explanation: "A `type A = B` alias chain leads back to itself, so it names no type.",
  },
  E0108: {
    severity: "error",
    title: "`break`/`continue` outside a loop",
    explanation: "`break;` and `continue;` end or skip an iteration of the innermost `for` loop; there is none here.",
  },
  E0109: {
    severity: "error",
    title: "binder declared twice",
    explanation: "Each name in a lambda's parameter list or an action pattern's binders must be distinct.",
  },
  E0110: {
    severity: "error",
    title: "reserved name",
    explanation:
      "Built-in actions (`invoke_tool`, `invoke_agent`, `receive`, ...) and action groups (`all_operations`, `all_interactions`, `invoke_agent`, `message_passing`) are names policies use. A tool contract, agent or function of the same name would take the name over: a `deny:` on the group would stop matching what it was written against. Choose another name.",
  },
  W0100: {
    severity: "warning",
    title: "unused variable",
    explanation: "The variable is declared but never read. Remove it, or name it `_` (or start it with `_`) to say so.",
  },
  W0101: {
    severity: "warning",
    title: "assignment declares a variable",
    explanation:
      "Assigning to a name that is not declared declares it in the current block (the reference language allows this), but a misspelled name silently becomes a new variable. Write `let name = ...` for the first assignment; the quick fix inserts `let `.",
  },
  W0102: {
    severity: "warning",
    title: "shadowed name",
    explanation:
      "A `let` in an inner block (or a lambda parameter) hides a variable or parameter of an enclosing scope with the same name; after the inner block ends the outer one is visible again. Rename one of them if this is not intended.",
  },
};
