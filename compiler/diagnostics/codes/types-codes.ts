import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0200–E0299 (and W0200–W0299): types. */
export const typesCodes: CodeTable = {
  E0200: {
    severity: "error",
    title: "mismatched types",
    explanation:
      "The value's type does not fit where it is used: an argument, an assignment, a record field or a list element. The notes give the expected and the found type.",
  },
  E0201: {
    severity: "error",
    title: "wrong number of arguments",
    explanation:
      "The call passes more arguments than the function, tool or builtin takes, or leaves out a required one.",
  },
  E0202: {
    severity: "error",
    title: "bad named argument",
    explanation:
      "A named argument (`limit: 10` or `limit = 10`) names no parameter of the callee, names one twice, or names one already given by position.",
  },
  E0203: {
    severity: "error",
    title: "no such field",
    explanation:
      "The record type has no field of this name (closed records list every field; see the type's declaration).",
  },
  E0204: {
    severity: "error",
    title: "no such method",
    explanation:
      "The type has no method of this name. Methods of built-in types are listed in the stdlib table (`stdlib/builtins.ts`).",
  },
  E0205: {
    severity: "error",
    title: "operator does not apply",
    explanation:
      "The operator is not defined for these operand types: arithmetic needs numbers (or Durations), `+` also joins text and lists, `&&`/`||`/`!` need `bool`, `in` needs a List, Map or String on the right.",
  },
  E0206: {
    severity: "error",
    title: "condition is not bool",
    explanation:
      "`if` conditions, `&&`/`||` operands, negations and policy guards must be `bool`; Symbiont has no truthiness.",
  },
  E0207: {
    severity: "error",
    title: "not iterable",
    explanation: "`for x in e` iterates over a List (its items), a Map (its keys) or a String (its characters).",
  },
  E0208: {
    severity: "error",
    title: "cannot index",
    explanation: "Indexing works on a List or String with an `int`, and on a Map with its key type.",
  },
  E0209: {
    severity: "error",
    title: "pattern does not fit the value",
    explanation:
      "A `match` arm's literal must have the scrutinee's type; an `if let` pattern must fit the value (`Some(x)` needs an Option, `Ok(x)`/`Err(e)` a Result).",
  },
  E0210: {
    severity: "error",
    title: "wrong return value",
    explanation:
      "The returned value does not fit the declared return type of the function or agent (`-> T`), or a value is missing.",
  },
  E0211: {
    severity: "error",
    title: "missing field",
    explanation:
      "A type literal `Name { ... }` must give every field of the struct, except fields whose type is `Option<...>` (they default to `None`).",
  },
  E0212: {
    severity: "error",
    title: "unknown field in literal",
    explanation: "A type literal gives a field the struct does not declare.",
  },
  E0213: {
    severity: "error",
    title: "ordered comparison on unordered values",
    explanation:
      '`<`, `>`, `<=` and `>=` compare numbers, Durations, or values of an ordered level type (`Clearance`: public < internal < confidential < secret < top_secret). Text has no order in Symbiont: `user.clearance >= "secret"` works because `User.clearance` is a `Clearance`; declare such fields with a level type.',
  },
  E0214: {
    severity: "error",
    title: "not a level of the type",
    explanation: "A string compared with (or given as) a level type must be one of its levels.",
  },
  E0215: {
    severity: "error",
    title: "wrong number of type arguments",
    explanation:
      "`List<T>`/`Array<T>`/`Option<T>` take one type argument, `Map<K, V>` two, `Result<T>` or `Result<T, E>` one or two; other types take none.",
  },
  E0216: {
    severity: "error",
    title: "not an error type",
    explanation:
      "`catch (T e)` filters errors by kind: `T` must be `Error`, one of the runtime's error kinds (`PolicyDenied`, `ToolError`, `ArgumentError`, `Timeout`, `RuntimeError`, `VaultError`) or an alias of one (`type APIError = Error`); the caught value is an error record whose `kind` is `T`.",
  },
  E0217: {
    severity: "error",
    title: "expression nested too deeply",
    explanation:
      "The checker checks expressions up to a fixed nesting depth so that hostile input cannot exhaust the stack; split the expression with `let`.",
  },
  E0218: {
    severity: "error",
    title: "comparison of unrelated types",
    explanation:
      "`==`/`!=` between values of unrelated types is always false (or always true); convert one side first.",
  },
  E0219: {
    severity: "error",
    title: "no value",
    explanation:
      "The expression produces no value (a call returning `unit`, such as `log(...)`), but a value is needed here.",
  },
  E0220: {
    severity: "error",
    title: "metadata `model` is not a model name",
    explanation:
      'The runtime reads `metadata { model = "..." }` as the model the file\'s agents use for `llm_call` and `reason`: a model name (`"claude-sonnet-4-5"`) or `"PROVIDER:MODEL"` (`"openai:gpt-4o-mini"`), written as a string. Anything else would be ignored, so it is an error.',
  },
  W0200: {
    severity: "warning",
    title: "unreachable match arm",
    explanation:
      "An earlier arm already matches everything this arm matches (a `_`/binding arm, or the same literal), so this arm never runs.",
  },
  W0201: {
    severity: "warning",
    title: "generic type without arguments",
    explanation:
      "`List` (or `Map`, `Option`) without type arguments holds unchecked `JSON` values; write `List<T>` to have them checked.",
  },
  W0202: {
    severity: "warning",
    title: "undeclared field of a trusted record",
    explanation:
      "`user`, `session`, `system` and `context` are supplied by the deployment; fields beyond their stdlib declaration are not checked (typed JSON). Declare the record in the project (`type User = { ... }`) to check them.",
  },
  W0203: {
    severity: "warning",
    title: "unreachable code",
    explanation: "The statement follows a `return` (or a call to `error`) in the same block and never runs.",
  },
};
