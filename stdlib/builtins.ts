/**
 * THE table of built-ins every Symbiont program sees: types, values, functions, methods and
 * fields of built-in types, the built-in policy actions and action groups. The type checker
 * (compiler/check), the language server (hover, completion) and the runtime (the interpreter
 * implements each function/method keyed by `name` + `receiver`) all read this one table, so a
 * builtin is declared once. Signatures use the syntax of ./type-syntax.ts.
 *
 * Conventions:
 * - `action` on a function: calling it is a governed action (policy gate + audit, DESIGN §8);
 *   the value names the action policies match (`allow: delegate(agent) if ...`). `target` names
 *   the parameter the action's first binder stands for. Functions without `action` are pure
 *   (no side effect but logging) and never gated.
 * - Method receivers name their type parameters (`List<T>`); a signature may add its own (`<U>`).
 * - `now()` returns an RFC 3339 UTC timestamp string; durations are milliseconds at run time.
 */

export interface BuiltinTypeDecl {
  kind: "type";
  name: string;
  /** Type parameters (`List<T>` has `["T"]`). */
  params: string[];
  /**
   * How the checker sees the type:
   * - `primitive`: String, int, float, bool, Duration;
   * - `generic`: List, Array, Map, Option, Result (built into the checker);
   * - `dynamic`: any member, index, call or operation is allowed and yields the same type (JSON, Secret);
   * - `opaque`: a handle with no members (Memory);
   * - `record`: `definition` is a record type; `open` records allow undeclared fields (typed JSON, with a warning);
   * - `alias`: `definition` is another type;
   * - `levels`: an ordered set of string levels (`levels`, lowest first) — ordered comparisons allowed.
   */
  shape: "primitive" | "generic" | "dynamic" | "opaque" | "record" | "alias" | "levels";
  /**
   * An error type `catch (T e)` may name: `Error` (every error) or one of the catchable kinds the
   * runtime raises (runtime/interpreter/errors.ts `DslErrorKind`), each a record of Error's fields.
   */
  error?: true;
  definition?: string;
  levels?: string[];
  doc: string;
}

export interface BuiltinValueDecl {
  kind: "value";
  name: string;
  type: string;
  doc: string;
}

export interface BuiltinFunctionDecl {
  kind: "function";
  name: string;
  signature: string;
  doc: string;
  /** The policy action a call is gated as; absent for pure functions. */
  action?: string;
  /** The parameter the action's first binder stands for (`delegate(agent)` → the `agent` argument). */
  target?: string;
}

export interface BuiltinMethodDecl {
  kind: "method";
  /** The receiver type, with its type parameters named (`List<T>`, `Map<K, V>`, `String`). */
  receiver: string;
  name: string;
  signature: string;
  doc: string;
}

export interface BuiltinFieldDecl {
  kind: "field";
  receiver: string;
  name: string;
  type: string;
  doc: string;
}

export interface BuiltinActionDecl {
  kind: "action";
  name: string;
  /** What the pattern's binders stand for, in order: `delegate(agent)` binds the target agent. */
  binders: Array<[name: string, type: string]>;
  /**
   * The Cedar resource of a request: `agent` for the inter-agent actions (the other agent:
   * the target, or a message's sender), `tool` otherwise (`Symbi::Tool::"<action>"`).
   */
  resource: "agent" | "tool";
  doc: string;
}

export interface BuiltinGroupDecl {
  kind: "group";
  name: string;
  /** `"*"`: every action; otherwise the built-in actions in the group (contracts add tools to groups). */
  members: "*" | string[];
  doc: string;
}

export type BuiltinDecl =
  | BuiltinTypeDecl
  | BuiltinValueDecl
  | BuiltinFunctionDecl
  | BuiltinMethodDecl
  | BuiltinFieldDecl
  | BuiltinActionDecl
  | BuiltinGroupDecl;

const COLLECTION = "String | List<T> | Map<K, V>";

/** What every caught error carries (runtime/interpreter/errors.ts `DslError.toValue`). */
const ERROR_FIELDS = "{ kind: String, message: String, details: JSON, rule: String, reason: String }";

/** A catchable error kind of the runtime: a record of Error's fields, named for `catch (K e)`. */
function errorKind(name: string, doc: string): BuiltinTypeDecl {
  return {
    kind: "type",
    name,
    params: [],
    shape: "record",
    error: true,
    definition: ERROR_FIELDS,
    doc: `${doc} Caught by \`catch (${name} e)\` (and \`catch (Error e)\`); \`rule\` and \`reason\` are set only for \`PolicyDenied\`.`,
  };
}

export const BUILTINS: readonly BuiltinDecl[] = [
  // ------------------------------------------------------------------------------------------
  // Types
  // ------------------------------------------------------------------------------------------
  {
    kind: "type",
    name: "String",
    params: [],
    shape: "primitive",
    doc: "Text (UTF-8). `+` concatenates; a String on either side of `+` turns the other operand into text.",
  },
  { kind: "type", name: "int", params: [], shape: "primitive", doc: "A whole number (64-bit range at run time)." },
  {
    kind: "type",
    name: "float",
    params: [],
    shape: "primitive",
    doc: "A floating-point number; an `int` is accepted where a `float` is expected.",
  },
  { kind: "type", name: "bool", params: [], shape: "primitive", doc: "`true` or `false`." },
  {
    kind: "type",
    name: "Duration",
    params: [],
    shape: "primitive",
    doc: "A span of time written as a literal (`30s`, `5m`, `100ms`, `1.5h`); milliseconds at run time.",
  },
  {
    kind: "type",
    name: "List",
    params: ["T"],
    shape: "generic",
    doc: "An ordered list of values of one type: `[1, 2, 3]`.",
  },
  { kind: "type", name: "Array", params: ["T"], shape: "generic", doc: "Another name for `List<T>`." },
  {
    kind: "type",
    name: "Map",
    params: ["K", "V"],
    shape: "generic",
    doc: 'Keys to values. Record literals with string keys (`{"a": 1}`) are maps when every value has one type.',
  },
  { kind: "type", name: "Option", params: ["T"], shape: "generic", doc: "`Some(value)` or `None`." },
  {
    kind: "type",
    name: "Maybe",
    params: ["T"],
    shape: "generic",
    doc: "Another name for `Option<T>` (used by the example agents).",
  },
  {
    kind: "type",
    name: "Result",
    params: ["T", "E"],
    shape: "generic",
    doc: "`Ok(value)` or `Err(error)`; `Result<T>` means `Result<T, Error>`.",
  },
  {
    kind: "type",
    name: "JSON",
    params: [],
    shape: "dynamic",
    doc: "Untyped data (parsed JSON, webhook bodies, tool results without a schema): members, indexes and operators are checked at run time.",
  },
  {
    kind: "type",
    name: "Secret",
    params: [],
    shape: "dynamic",
    doc: "A value read from the vault (`vault://path`); resolved at run time, never logged.",
  },
  {
    kind: "type",
    name: "Memory",
    params: [],
    shape: "opaque",
    doc: "A persistent memory store declared by a top-level `memory` block; pass it to `memory_search` / `memory_write`.",
  },
  {
    kind: "type",
    name: "Error",
    params: [],
    shape: "record",
    error: true,
    definition: ERROR_FIELDS,
    doc: 'A caught error; `catch (Error e)` and `catch (e)` catch every kind. `kind` is the error\'s kind (`RuntimeError`, `PolicyDenied`, `ArgumentError`, `ToolError`, `Timeout`, `VaultError`, `Error`, or a user alias `type APIError = Error`), `message` says what happened, `details` holds `location` ("file:line:col") and more (`tool`, `exit_code`, ...); `rule` and `reason` name the denying rule for `PolicyDenied` and are empty otherwise.',
  },
  // The catchable error kinds the runtime raises (runtime/interpreter/errors.ts): `catch (K e)`
  // catches kind K only. Each carries Error's fields, so it is an Error wherever one is expected.
  errorKind(
    "RuntimeError",
    "Evaluation failed: wrong operand types, an unknown name, an index out of range, division by zero, overflow.",
  ),
  errorKind(
    "PolicyDenied",
    "The policy gate denied a call, or its approval was refused; the tool never started. `e.rule` is the id of the denying rule (`<agent>.<policy>.<n>`, or `default-deny`), `e.reason` says why.",
  ),
  errorKind(
    "ArgumentError",
    "A tool call's arguments do not satisfy its contract; the tool never started. `e.details.tool` names the tool.",
  ),
  errorKind(
    "ToolError",
    "The tool ran and failed: non-zero exit, output that does not parse or is over its cap. `e.details.tool` names the tool.",
  ),
  errorKind(
    "Timeout",
    "A tool ran past its own `timeout_seconds` and was killed. (The `with` block's timeout ends the run: no `catch` sees it.)",
  ),
  errorKind("VaultError", "A `vault://` reference could not be read: this runtime has no secret store."),
  {
    kind: "type",
    name: "Clearance",
    params: [],
    shape: "levels",
    levels: ["public", "internal", "confidential", "secret", "top_secret"],
    doc: 'Ordered clearance levels, lowest first: public < internal < confidential < secret < top_secret. `user.clearance >= "secret"` compares levels, not text.',
  },
  {
    kind: "type",
    name: "AgentInfo",
    params: [],
    shape: "record",
    definition: "{ name: String, id: String, agentpin_verified: bool }",
    doc: "An agent as seen by an inter-agent policy: its name, run id, and whether its AgentPin credential verified.",
  },
  {
    kind: "type",
    name: "Message",
    params: [],
    shape: "record",
    definition: "{ sender: AgentInfo, recipient: AgentInfo, content: JSON }",
    doc: "An inter-agent message as seen by `receive(message)` policies.",
  },
  {
    kind: "type",
    name: "ToolInfo",
    params: [],
    shape: "record",
    definition:
      "{ name: String, risk_tier: String, human_approval: bool, schema_verified: bool, requires_elevated: bool }",
    doc: "A tool as seen by `invoke_tool(tool)` policies, from its contract: `schema_verified` is true when the contract's pinned signature verified; `requires_elevated` when its risk tier is `high`.",
  },
  {
    kind: "type",
    name: "User",
    params: [],
    shape: "record",
    definition: "{ id: String, name: String, role: String, roles: List<String>, clearance: Clearance, .. }",
    doc: "The trusted `user` record (the principal the run acts for), supplied by the deployment at decision time. Declare `type User = { ... }` in the project to type further fields.",
  },
  {
    kind: "type",
    name: "Session",
    params: [],
    shape: "record",
    definition: "{ id: String, mfa_verified: bool, secure_connection: bool, .. }",
    doc: "The trusted `session` record, supplied by the deployment at decision time. Declare `type Session = { ... }` to type further fields.",
  },
  {
    kind: "type",
    name: "System",
    params: [],
    shape: "record",
    definition: "{ maintenance_mode: bool, environment: String, .. }",
    doc: "The trusted `system` record (deployment state), supplied at decision time. Declare `type System = { ... }` to type further fields.",
  },
  {
    kind: "type",
    name: "Context",
    params: [],
    shape: "record",
    definition: "{ has_human_approval: bool, run_id: String, agent: String, time: String, .. }",
    doc: "The trusted `context` record of a decision: approval state, run id, agent name, time. Declare `type Context = { ... }` to type further fields.",
  },

  // ------------------------------------------------------------------------------------------
  // Values
  // ------------------------------------------------------------------------------------------
  { kind: "value", name: "None", type: "Option<never>", doc: "The empty `Option`." },
  {
    kind: "value",
    name: "null",
    type: "null",
    doc: "No value. Compares equal only to itself and to `None`; assignable to any `Option<T>`.",
  },

  // ------------------------------------------------------------------------------------------
  // Functions
  // ------------------------------------------------------------------------------------------
  {
    kind: "function",
    name: "print",
    signature: "fn(...values: any) -> unit",
    doc: "Writes the values, separated by spaces, to the run's output.",
  },
  {
    kind: "function",
    name: "log",
    signature: "fn(level: String, message: String) -> unit",
    doc: "Writes a log line at `level` (DEBUG, INFO, WARNING, ERROR, CRITICAL) to the run log and the audit trail.",
  },
  {
    kind: "function",
    name: "len",
    signature: `<T, K, V> fn(value: ${COLLECTION}) -> int`,
    doc: "The length of a String (in characters), List or Map.",
  },
  {
    kind: "function",
    name: "length",
    signature: `<T, K, V> fn(value: ${COLLECTION}) -> int`,
    doc: "Another name for `len`.",
  },
  {
    kind: "function",
    name: "format",
    signature: "fn(template: String, ...args: any) -> String",
    doc: "Replaces each `{}` in `template` with the next argument, as text.",
  },
  { kind: "function", name: "upper", signature: "fn(text: String) -> String", doc: "The text in upper case." },
  { kind: "function", name: "lower", signature: "fn(text: String) -> String", doc: "The text in lower case." },
  {
    kind: "function",
    name: "now",
    signature: "fn() -> String",
    doc: "The current time as an RFC 3339 UTC timestamp (`2025-01-31T12:00:00.000Z`).",
  },
  {
    kind: "function",
    name: "time_since",
    signature: "fn(timestamp: String) -> int",
    doc: "Milliseconds elapsed since an RFC 3339 timestamp (as returned by `now()`).",
  },
  {
    kind: "function",
    name: "error",
    signature: "fn(message: String) -> never",
    doc: "Raises an error of kind `Error` with this message; `return error(...)` ends the agent with a failure.",
  },
  { kind: "function", name: "Some", signature: "<T> fn(value: T) -> Option<T>", doc: "An `Option` holding `value`." },
  { kind: "function", name: "Ok", signature: "<T> fn(value: T) -> Result<T, never>", doc: "A successful `Result`." },
  { kind: "function", name: "Err", signature: "<E> fn(error: E) -> Result<never, E>", doc: "A failed `Result`." },
  {
    kind: "function",
    name: "parse_json",
    signature: "fn(text: String) -> JSON",
    doc: "Parses JSON text; raises an error on malformed input.",
  },
  {
    kind: "function",
    name: "to_json",
    signature: "fn(value: any) -> String",
    doc: "Serialises a value as compact JSON text (keys in insertion order).",
  },
  {
    kind: "function",
    name: "any",
    signature: "<T> fn(items: List<T>, predicate: fn(T) -> bool) -> bool",
    doc: "Whether `predicate` holds for at least one item.",
  },
  {
    kind: "function",
    name: "all",
    signature: "<T> fn(items: List<T>, predicate: fn(T) -> bool) -> bool",
    doc: "Whether `predicate` holds for every item (true for an empty list).",
  },
  { kind: "function", name: "min", signature: "fn(a: float, b: float) -> float", doc: "The smaller of two numbers." },
  { kind: "function", name: "max", signature: "fn(a: float, b: float) -> float", doc: "The larger of two numbers." },
  {
    kind: "function",
    name: "to_string",
    signature: "fn(value: any) -> String",
    doc: "The value as text (what `format` inserts).",
  },
  {
    kind: "function",
    name: "to_int",
    signature: "fn(text: String) -> int",
    doc: "Parses a decimal integer; raises an error on malformed input.",
  },
  {
    kind: "function",
    name: "hash_sha256",
    signature: "fn(data: String) -> String",
    doc: "The SHA-256 digest of the text's UTF-8 bytes, as lowercase hex.",
  },
  {
    kind: "function",
    name: "verify_hmac_sha256",
    signature: "fn(data: String, secret: String, signature: String) -> bool",
    doc: "Whether `signature` (hex, optionally `sha256=`-prefixed) is the HMAC-SHA256 of `data` under `secret`; constant-time.",
  },
  {
    kind: "function",
    name: "base64_encode",
    signature: "fn(text: String) -> String",
    doc: "The text's UTF-8 bytes in base64 (standard alphabet, padded) — safe to pass as a tool argument.",
  },
  {
    kind: "function",
    name: "base64_decode",
    signature: "fn(encoded: String) -> String",
    doc: "Decodes base64 (standard alphabet) to text; raises an error on malformed input or invalid UTF-8.",
  },
  { kind: "function", name: "generate_id", signature: "fn() -> String", doc: "A fresh random identifier (UUID v4)." },
  // Inter-agent communication (LANGUAGE.md Appendix A and C): governed by the communication policy.
  {
    kind: "function",
    name: "delegate",
    signature: "fn(agent: String, message: any) -> JSON",
    action: "delegate",
    target: "agent",
    doc: "Runs agent `agent` with `message` as its input and returns its result (policy action `delegate`).",
  },
  {
    kind: "function",
    name: "ask",
    signature: "fn(agent: String, message: any) -> String",
    action: "ask",
    target: "agent",
    doc: "Sends `message` to agent `agent` and returns its reply as text (policy action `ask`).",
  },
  {
    kind: "function",
    name: "send_to",
    signature: "fn(agent: String, message: any) -> unit",
    action: "send_to",
    target: "agent",
    doc: "Sends `message` to agent `agent` without waiting for a reply (policy action `send_to`).",
  },
  {
    kind: "function",
    name: "parallel",
    signature: "fn(tasks: List<{ agent: String, message: any }>) -> List<JSON>",
    action: "ask",
    target: "tasks",
    doc: "Asks every agent at once after checking every target's policy first; returns the replies in input order, each a reply or `{error}`.",
  },
  {
    kind: "function",
    name: "race",
    signature: "fn(tasks: List<{ agent: String, message: any }>) -> String",
    action: "ask",
    target: "tasks",
    doc: "Asks every agent at once (all policies checked first); the first reply wins and the rest are cancelled.",
  },
  {
    kind: "function",
    name: "spawn_agent",
    signature: "fn(name: String, config: any) -> JSON",
    action: "spawn_agent",
    target: "name",
    doc: "Registers a new agent at run time (policy action `spawn_agent`); returns `{agent_id, name}`.",
  },
  // Models.
  {
    kind: "function",
    name: "llm_call",
    signature: "fn(prompt: String) -> String",
    action: "use_llm",
    target: "prompt",
    doc: "One completion from the configured model (policy action `use_llm`).",
  },
  {
    kind: "function",
    name: "reason",
    signature:
      "fn(system: String, user: String, max_iterations?: int) -> { response: String, iterations: int, total_tokens: int, termination_reason: String }",
    action: "use_llm",
    target: "user",
    doc: "Runs a reasoning loop with the configured model; tool calls it makes are gated like the agent's own (policy action `use_llm`).",
  },
  // Memory stores (top-level `memory` blocks).
  {
    kind: "function",
    name: "memory_search",
    signature: "fn(store: Memory, query: String, limit?: int) -> List<JSON>",
    action: "memory_read",
    target: "store",
    doc: "Hybrid (vector + keyword) search of a memory store; at most `limit` entries (default 10), best first (policy action `memory_read`).",
  },
  {
    kind: "function",
    name: "memory_write",
    signature: "fn(store: Memory, entry: any) -> unit",
    action: "memory_write",
    target: "store",
    doc: "Appends an entry to a memory store (policy action `memory_write`).",
  },
  // Human approval (DESIGN §5/§8: a require-approval decision becomes a human approval step).
  {
    kind: "function",
    name: "request_approval",
    signature: "fn(request: any) -> { verified: bool, expired: bool, approver: String, reason: String, token: String }",
    action: "request_approval",
    target: "request",
    doc: "Asks a human approver to approve `request` and waits for the signed decision; `verified` is true when the approval token's signature checks out (policy action `request_approval`).",
  },
  // Events.
  {
    kind: "function",
    name: "publish",
    signature: "fn(topic: String, payload: any) -> unit",
    action: "publish",
    target: "topic",
    doc: "Publishes `payload` on a topic (`topic://alerts`) for subscribers (policy action `publish`).",
  },

  // ------------------------------------------------------------------------------------------
  // Methods and fields
  // ------------------------------------------------------------------------------------------
  { kind: "field", receiver: "String", name: "length", type: "int", doc: "The number of characters." },
  { kind: "method", receiver: "String", name: "len", signature: "fn() -> int", doc: "The number of characters." },
  {
    kind: "method",
    receiver: "String",
    name: "is_empty",
    signature: "fn() -> bool",
    doc: "Whether the text is empty.",
  },
  {
    kind: "method",
    receiver: "String",
    name: "contains",
    signature: "fn(needle: String) -> bool",
    doc: "Whether `needle` occurs in the text.",
  },
  {
    kind: "method",
    receiver: "String",
    name: "starts_with",
    signature: "fn(prefix: String) -> bool",
    doc: "Whether the text starts with `prefix`.",
  },
  {
    kind: "method",
    receiver: "String",
    name: "ends_with",
    signature: "fn(suffix: String) -> bool",
    doc: "Whether the text ends with `suffix`.",
  },
  {
    kind: "method",
    receiver: "String",
    name: "contains_pattern",
    signature: "fn(pattern: String) -> bool",
    doc: "Whether the regular expression `pattern` matches somewhere in the text.",
  },
  { kind: "method", receiver: "String", name: "upper", signature: "fn() -> String", doc: "The text in upper case." },
  { kind: "method", receiver: "String", name: "lower", signature: "fn() -> String", doc: "The text in lower case." },
  {
    kind: "method",
    receiver: "String",
    name: "trim",
    signature: "fn() -> String",
    doc: "The text without leading and trailing white space.",
  },
  {
    kind: "method",
    receiver: "String",
    name: "split",
    signature: "fn(separator: String) -> List<String>",
    doc: "The pieces between occurrences of `separator`.",
  },
  {
    kind: "method",
    receiver: "String",
    name: "replace",
    signature: "fn(from: String, to: String) -> String",
    doc: "The text with every occurrence of `from` replaced by `to`.",
  },

  { kind: "field", receiver: "List<T>", name: "length", type: "int", doc: "The number of items." },
  { kind: "method", receiver: "List<T>", name: "len", signature: "fn() -> int", doc: "The number of items." },
  {
    kind: "method",
    receiver: "List<T>",
    name: "is_empty",
    signature: "fn() -> bool",
    doc: "Whether the list has no items.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "push",
    signature: "fn(item: T) -> unit",
    doc: "Appends an item (the list is changed in place).",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "append",
    signature: "fn(item: T) -> unit",
    doc: "Another name for `push`.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "contains",
    signature: "fn(item: T) -> bool",
    doc: "Whether an item equals `item`.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "map",
    signature: "<U> fn(f: fn(T) -> U) -> List<U>",
    doc: "A new list with `f` applied to each item.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "filter",
    signature: "fn(predicate: fn(T) -> bool) -> List<T>",
    doc: "A new list of the items for which `predicate` holds.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "find",
    signature: "fn(predicate: fn(T) -> bool) -> Option<T>",
    doc: "The first item for which `predicate` holds.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "any",
    signature: "fn(predicate: fn(T) -> bool) -> bool",
    doc: "Whether `predicate` holds for at least one item.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "all",
    signature: "fn(predicate: fn(T) -> bool) -> bool",
    doc: "Whether `predicate` holds for every item.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "join",
    signature: "fn(separator: String) -> String",
    doc: "The items as text, separated by `separator`.",
  },
  {
    kind: "method",
    receiver: "List<T>",
    name: "first",
    signature: "fn() -> Option<T>",
    doc: "The first item, if any.",
  },
  { kind: "method", receiver: "List<T>", name: "last", signature: "fn() -> Option<T>", doc: "The last item, if any." },
  {
    kind: "method",
    receiver: "List<T>",
    name: "reverse",
    signature: "fn() -> List<T>",
    doc: "A new list with the items in reverse order.",
  },

  { kind: "field", receiver: "Map<K, V>", name: "length", type: "int", doc: "The number of entries." },
  { kind: "method", receiver: "Map<K, V>", name: "len", signature: "fn() -> int", doc: "The number of entries." },
  {
    kind: "method",
    receiver: "Map<K, V>",
    name: "is_empty",
    signature: "fn() -> bool",
    doc: "Whether the map has no entries.",
  },
  {
    kind: "method",
    receiver: "Map<K, V>",
    name: "keys",
    signature: "fn() -> List<K>",
    doc: "The keys, in insertion order.",
  },
  {
    kind: "method",
    receiver: "Map<K, V>",
    name: "values",
    signature: "fn() -> List<V>",
    doc: "The values, in insertion order.",
  },
  {
    kind: "method",
    receiver: "Map<K, V>",
    name: "contains",
    signature: "fn(key: K) -> bool",
    doc: "Whether the map has an entry for `key`.",
  },
  {
    kind: "method",
    receiver: "Map<K, V>",
    name: "get",
    signature: "fn(key: K) -> Option<V>",
    doc: "The value for `key`, if any.",
  },
  {
    kind: "method",
    receiver: "Map<K, V>",
    name: "insert",
    signature: "fn(key: K, value: V) -> unit",
    doc: "Sets the value for `key` (the map is changed in place).",
  },
  {
    kind: "method",
    receiver: "Map<K, V>",
    name: "remove",
    signature: "fn(key: K) -> Option<V>",
    doc: "Removes the entry for `key`, returning its value.",
  },

  {
    kind: "method",
    receiver: "Option<T>",
    name: "is_some",
    signature: "fn() -> bool",
    doc: "Whether a value is present.",
  },
  {
    kind: "method",
    receiver: "Option<T>",
    name: "is_none",
    signature: "fn() -> bool",
    doc: "Whether no value is present.",
  },
  {
    kind: "method",
    receiver: "Option<T>",
    name: "unwrap",
    signature: "fn() -> T",
    doc: "The value; raises an error for `None`.",
  },
  {
    kind: "method",
    receiver: "Option<T>",
    name: "unwrap_or",
    signature: "fn(default: T) -> T",
    doc: "The value, or `default` for `None`.",
  },

  {
    kind: "method",
    receiver: "Result<T, E>",
    name: "is_ok",
    signature: "fn() -> bool",
    doc: "Whether the result is `Ok`.",
  },
  {
    kind: "method",
    receiver: "Result<T, E>",
    name: "is_err",
    signature: "fn() -> bool",
    doc: "Whether the result is `Err`.",
  },
  {
    kind: "method",
    receiver: "Result<T, E>",
    name: "unwrap",
    signature: "fn() -> T",
    doc: "The `Ok` value; raises the error for `Err`.",
  },
  {
    kind: "method",
    receiver: "Result<T, E>",
    name: "unwrap_or",
    signature: "fn(default: T) -> T",
    doc: "The `Ok` value, or `default` for `Err`.",
  },

  { kind: "field", receiver: "Duration", name: "millis", type: "int", doc: "The duration in milliseconds." },
  { kind: "field", receiver: "Duration", name: "seconds", type: "float", doc: "The duration in seconds." },

  // ------------------------------------------------------------------------------------------
  // Policy actions (besides tools from contracts and the agent's capabilities) and groups
  // ------------------------------------------------------------------------------------------
  {
    kind: "action",
    name: "delegate",
    binders: [["agent", "AgentInfo"]],
    resource: "agent",
    doc: "Running another agent with `delegate(...)`; the binder is the target agent.",
  },
  {
    kind: "action",
    name: "ask",
    binders: [["agent", "AgentInfo"]],
    resource: "agent",
    doc: "Asking another agent with `ask`, `parallel` or `race`; the binder is the target agent.",
  },
  {
    kind: "action",
    name: "send_to",
    binders: [["agent", "AgentInfo"]],
    resource: "agent",
    doc: "Sending to another agent with `send_to`; the binder is the target agent.",
  },
  {
    kind: "action",
    name: "receive",
    binders: [["message", "Message"]],
    resource: "agent",
    doc: "Accepting a message from another agent; the binder is the message (with its sender).",
  },
  {
    kind: "action",
    name: "spawn_agent",
    binders: [["agent", "AgentInfo"]],
    resource: "agent",
    doc: "Registering a new agent with `spawn_agent`; the binder is the new agent.",
  },
  {
    kind: "action",
    name: "invoke_tool",
    binders: [["tool", "ToolInfo"]],
    resource: "tool",
    doc: "Any tool call (checked besides the tool's own action); the binder describes the tool from its contract.",
  },
  {
    kind: "action",
    name: "use_llm",
    binders: [["prompt", "String"]],
    resource: "tool",
    doc: "A model call (`llm_call`, `reason`); the binder is the prompt.",
  },
  {
    kind: "action",
    name: "memory_read",
    binders: [["store", "String"]],
    resource: "tool",
    doc: "Reading a memory store (`memory_search`); the binder is the store's name.",
  },
  {
    kind: "action",
    name: "memory_write",
    binders: [["store", "String"]],
    resource: "tool",
    doc: "Writing a memory store (`memory_write`); the binder is the store's name.",
  },
  {
    kind: "action",
    name: "request_approval",
    binders: [["request", "JSON"]],
    resource: "tool",
    doc: "Asking a human for approval (`request_approval`); the binder is the request.",
  },
  {
    kind: "action",
    name: "publish",
    binders: [["topic", "String"]],
    resource: "tool",
    doc: "Publishing an event (`publish`); the binder is the topic.",
  },
  {
    kind: "group",
    name: "all_operations",
    members: "*",
    doc: "Every action: tools, inter-agent calls, model calls, memory and publishing.",
  },
  {
    kind: "group",
    name: "all_interactions",
    members: ["delegate", "ask", "send_to", "receive", "spawn_agent"],
    doc: "Every inter-agent action.",
  },
  {
    kind: "group",
    name: "invoke_agent",
    members: ["delegate", "ask"],
    doc: "Running or asking another agent (`delegate`, `ask`, `parallel`, `race`).",
  },
  {
    kind: "group",
    name: "message_passing",
    members: ["send_to", "receive"],
    doc: "Sending messages to and receiving messages from other agents.",
  },
];
