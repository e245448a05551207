/**
 * Which call arguments a Cedar policy reads: the attributes it takes of `context.args`, found in
 * the policy's own JSON form (Cedar's EST, from `policyToJson`), so what the gate leaves out of a
 * request follows from the policies Cedar is given, not from what the compiler recorded.
 *
 * A policy reads argument `x` when `context.args.x`, `context.args has x` (or `has x.y`) or
 * `context has args.x` occurs in its conditions. Any other use of `context.args` (compared whole, passed to a function, tested with
 * `is`), or of `context` itself (`context == …`), reads "all" of them: the gate then passes every
 * argument. A form this walk does not know is walked through, so it can only find more reads.
 */

/** The argument names a policy's conditions read, or "all". */
export function argumentsRead(conditions: unknown): ReadonlySet<string> | "all" {
  const read = new Set<string>();
  let all = false;
  const isContext = (e: unknown): boolean => (e as { Var?: unknown } | null)?.Var === "context";
  const isContextArgs = (e: unknown): boolean => {
    const dot = (e as { ".": { left?: unknown; attr?: unknown } } | null)?.["."];
    return typeof dot === "object" && dot !== null && dot.attr === "args" && isContext(dot.left);
  };
  const walk = (e: unknown): void => {
    if (all || typeof e !== "object" || e === null) return;
    if (Array.isArray(e)) {
      for (const x of e) walk(x);
      return;
    }
    const o = e as Record<string, unknown>;
    if ("Value" in o) return; // a literal: data, not expressions
    if (isContext(o)) {
      all = true; // the whole context record
      return;
    }
    if (isContextArgs(o)) {
      all = true; // the whole arguments record
      return;
    }
    for (const op of [".", "has"] as const) {
      const access = o[op] as { left?: unknown; attr?: unknown } | undefined;
      if (typeof access !== "object" || access === null) continue;
      // `has` takes a path too: `context.args has x.y` is `attr: ["x", "y"]`.
      const path = typeof access.attr === "string" ? [access.attr] : access.attr;
      if (!Array.isArray(path) || path.length === 0 || !path.every((a) => typeof a === "string")) continue;
      if (isContextArgs(access.left)) {
        read.add(path[0] as string);
        return;
      }
      if (isContext(access.left)) {
        // `context has args.x` reads argument x; `context.<attr>` and `context has <attr>` read one
        // attribute of the context, not all of it (`context has args` reads no argument).
        if (path[0] === "args" && path.length > 1) read.add(path[1] as string);
        return;
      }
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(conditions);
  return all ? "all" : read;
}
