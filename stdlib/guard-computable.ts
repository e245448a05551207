/**
 * The built-ins a policy guard may use beyond what Cedar evaluates itself: pure computations the
 * gate performs on the request before deciding (`context.derived`, compiler/emit/README.md
 * "Computed values"). Declared once: the policy compiler accepts exactly these in guards
 * (anything else is E0603), and the gate's evaluator (runtime/gate/derived.ts) implements each,
 * with the same meaning as the interpreter's implementation of the same built-in.
 */
export const GUARD_FUNCTIONS: ReadonlySet<string> = new Set(["any", "all", "len", "lower", "upper"]);

export const GUARD_METHODS: ReadonlySet<string> = new Set([
  "map",
  "filter",
  "any",
  "all",
  "len",
  "length",
  "count",
  "lower",
  "upper",
  "to_lowercase",
  "to_uppercase",
  "trim",
  "contains",
  "contains_pattern",
  "starts_with",
  "ends_with",
  "is_empty",
]);
