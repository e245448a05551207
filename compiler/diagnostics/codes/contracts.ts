import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0500–E0599 (and W0500–W0599): tool contracts (`tools/*.clad.toml`, `toolclad.toml`). */
export const contractsCodes: CodeTable = {
  E0500: {
    severity: "error",
    title: "invalid TOML",
    explanation: "The contract file is not valid TOML; the position is the one the TOML parser reports.",
  },
  E0501: {
    severity: "error",
    title: "missing required key",
    explanation:
      "A contract needs a `[tool]` section with `name` and `binary`, a `type` for every argument, a `[command] template` (or `exec`), and `when` and `template` for every conditional; a custom type needs a `base`.",
  },
  E0502: {
    severity: "error",
    title: "invalid value",
    explanation:
      "The key holds a value of the wrong TOML type (a string where a number is expected, ...) or a value outside its range (a position below 1, ...).",
  },
  E0503: {
    severity: "error",
    title: "invalid name",
    explanation:
      "Tool and argument names become names in Symbiont code and in Cedar: they must be identifiers (letters, digits and `_`, not starting with a digit).",
  },
  E0504: {
    severity: "error",
    title: "duplicate tool name",
    explanation: "Two contract files declare the same `[tool] name`; calls to the tool would be ambiguous.",
  },
  E0505: {
    severity: "error",
    title: "unknown argument type",
    explanation:
      "The `type` is neither a built-in ToolClad type nor a custom type declared in `toolclad.toml` (custom types must be based on a built-in type).",
  },
  E0506: {
    severity: "error",
    title: "duplicate argument position",
    explanation: "Two arguments have the same `position`; positions give the argument order and must be distinct.",
  },
  E0507: {
    severity: "error",
    title: "required argument with a default",
    explanation:
      "An argument with a `default` can always be omitted, so `required = true` contradicts it: drop one of the two.",
  },
  E0508: {
    severity: "error",
    title: "missing type-specific key",
    explanation: "An `enum` argument needs a non-empty `allowed` list; a `regex_match` argument needs a `pattern`.",
  },
  E0509: {
    severity: "error",
    title: "invalid pattern",
    explanation:
      "The `pattern` is not a valid regular expression (patterns use JavaScript syntax; inline flags such as `(?i)` are not supported).",
  },
  E0510: {
    severity: "error",
    title: "unknown name in template or condition",
    explanation:
      "A `{placeholder}` or a name in a `when` condition is not an argument, a `[command.defaults]` key, a mapping or conditional fragment (`{_<arg>_flags}`, `{_<conditional>}`) or a runtime variable (`_output_file`, `_scan_id`, `_evidence_dir`).",
  },
  E0511: {
    severity: "error",
    title: "mapping for a non-enum argument",
    explanation:
      "`[command.mappings.<arg>]` maps the values of an `enum` argument to flags; the argument must exist and be an `enum`.",
  },
  E0512: {
    severity: "error",
    title: "mapping for a value not allowed",
    explanation:
      "A key of `[command.mappings.<arg>]` is not in the argument's `allowed` list, so it can never be used.",
  },
  E0513: {
    severity: "error",
    title: "invalid condition",
    explanation:
      "A conditional's `when` does not parse. The grammar: names, quoted strings, numbers, `==`, `!=`, `&&`/`and`, `||`/`or`, `!`/`not` and parentheses.",
  },
  E0514: {
    severity: "error",
    title: "invalid output schema",
    explanation:
      "`[output.schema]` is not a valid JSON Schema (it is compiled with ajv in strict-schema mode, so misspelled keywords are errors).",
  },
  E0515: { severity: "error", title: "invalid timeout", explanation: "`timeout_seconds` must be a positive integer." },
  E0516: {
    severity: "error",
    title: "invalid risk tier",
    explanation: "`risk_tier` must be `low`, `medium` or `high`.",
  },
  E0517: {
    severity: "error",
    title: "invalid default value",
    explanation:
      "The argument's `default` does not satisfy the argument's own type (an empty string is accepted as the default of an optional text argument: it means \"not given\").",
  },
  E0518: {
    severity: "error",
    title: "unknown output format",
    explanation: "`[output] format` must be `json`, `jsonl`, `csv`, `xml` or `text`.",
  },
  E0519: {
    severity: "error",
    title: "invalid command template",
    explanation:
      "The command template does not tokenize: an unclosed quote, an unclosed `{`, a stray `}` (write `{{`/`}}` for literal braces), an unsupported placeholder, or no words at all.",
  },
  E0520: {
    severity: "error",
    title: "unknown mode",
    explanation: "`[tool] mode` must be `oneshot` (the default), `session` or `browser`.",
  },
  E0521: {
    severity: "error",
    title: "inconsistent constraints",
    explanation:
      "The argument's constraints contradict each other or are empty: `min` greater than `max`, an empty or duplicated `allowed` list, an empty `schemes` list.",
  },
  E0522: {
    severity: "error",
    title: "invalid sandbox setting",
    explanation:
      '`[tool.sandbox]`: `user` is a numeric `"uid:gid"` with both ids in the sandbox range 65000-65534 (never root, a wrapped id such as 4294967295, a system group or a person\'s uid), `workdir` and mount paths must be absolute without `..`, mounts are `"/host/path"` or `"/host/path:/container/path"`, and `network` entries are `host:port`.',
  },
  E0523: {
    severity: "error",
    title: "cannot read contract file",
    explanation: "The contract file or `toolclad.toml` could not be read.",
  },
  E0524: {
    severity: "error",
    title: "template does not start with the binary",
    explanation:
      "The first word of the command template (or `exec[0]`) must be the `[tool] binary` (or its file name): the runtime always runs the declared binary as argv[0].",
  },
  W0500: {
    severity: "warning",
    title: "unknown key",
    explanation:
      "This section or key is not part of the ToolClad format (or of our `[tool.sandbox]` extension) and is ignored; check its spelling.",
  },
  W0501: {
    severity: "warning",
    title: "tool name does not match the file name",
    explanation:
      "A contract for tool `x` is expected in `tools/x.clad.toml`, so people and tools find it by name. The tool is still registered under its `[tool] name`.",
  },
  W0502: {
    severity: "warning",
    title: "free text feeds a decision",
    explanation:
      "`feeds_decision = true` on a free-text argument (`string`, `agent_summary`): privileged decisions should rest on an `enum` plus a policy over trusted context, never on text a model wrote.",
  },
  W0503: {
    severity: "warning",
    title: "argument positions not contiguous",
    explanation:
      "Argument positions should run 1, 2, 3, ... without gaps; an argument without `position` is ordered after the positioned ones.",
  },
  W0504: {
    severity: "warning",
    title: "unsupported feature",
    explanation:
      "This ToolClad feature (session or browser mode, `[http]`, `[mcp]`, a custom executor or output parser) is accepted for compatibility but not run by this toolchain: calling such a tool fails at run time.",
  },
  W0505: {
    severity: "warning",
    title: "key has no effect",
    explanation:
      "The key does not apply to the argument's type (for example `allowed` on a `string`, or `min` on an `enum`) and is ignored.",
  },
  W0506: {
    severity: "warning",
    title: "missing description",
    explanation: "The tool has no `description`; descriptions appear in hover and completion.",
  },
  W0507: {
    severity: "warning",
    title: "enum value without mapping",
    explanation: "An allowed value of a mapped `enum` has no entry in `[command.mappings.<arg>]`, so it adds no flags.",
  },
  W0508: {
    severity: "warning",
    title: "no output schema",
    explanation:
      "Without `[output.schema]` the tool's result has no declared shape: the checker types it loosely and the runtime cannot validate it.",
  },
  W0509: {
    severity: "warning",
    title: "unused mapping or conditional",
    explanation:
      "No placeholder of the command template uses this mapping or conditional, so it never changes the argv.",
  },
};
