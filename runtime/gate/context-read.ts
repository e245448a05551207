/**
 * What of the request context a Cedar policy reads: the attributes it takes of `context`, and of
 * `context.args` (the call's arguments), found in the policy's own JSON form (Cedar's EST, from
 * `policyToJson`), so what the gate leaves out of a request follows from the policies Cedar is
 * given, not from what the compiler recorded.
 *
 * A policy reads context attribute `a` when `context.a` or `context has a` (or `has a.b`) occurs
 * in its conditions, and argument `x` when `context.args.x`, `context.args has x` (or `has x.y`)
 * or `context has args.x` does; reading an argument reads `args`. Any other use of
 * `context.args` (compared whole, passed to a function, tested with `is`) reads every argument,
 * and any other use of `context` (`context == …`) reads all of it. A form this walk does not know
 * is walked through, so it can only find more reads.
 */

/** Names read, or "all". */
export type Reads = ReadonlySet<string> | "all";

export interface ContextRead {
  /** Top-level context attributes (`args`, `input`, `user`, `derived`, …). */
  attributes: Reads;
  /** Attributes of `context.args`. */
  arguments: Reads;
}

/** What a policy's conditions read of the context. */
export function contextRead(conditions: unknown): ContextRead {
  const attributes = new Set<string>();
  const args = new Set<string>();
  let allAttributes = false;
  let allArguments = false;
  const isContext = (e: unknown): boolean => (e as { Var?: unknown } | null)?.Var === "context";
  const isContextArgs = (e: unknown): boolean => {
    const dot = (e as { ".": { left?: unknown; attr?: unknown } } | null)?.["."];
    return typeof dot === "object" && dot !== null && dot.attr === "args" && isContext(dot.left);
  };
  const walk = (e: unknown): void => {
    if (allAttributes || typeof e !== "object" || e === null) return;
    if (Array.isArray(e)) {
      for (const x of e) walk(x);
      return;
    }
    const o = e as Record<string, unknown>;
    if ("Value" in o) return; // a literal: data, not expressions
    if (isContext(o)) {
      allAttributes = allArguments = true; // the whole context record
      return;
    }
    if (isContextArgs(o)) {
      attributes.add("args");
      allArguments = true; // the whole arguments record
      return;
    }
    for (const op of [".", "has"] as const) {
      const access = o[op] as { left?: unknown; attr?: unknown } | undefined;
      if (typeof access !== "object" || access === null) continue;
      // `has` takes a path too: `context.args has x.y` is `attr: ["x", "y"]`.
      const path = typeof access.attr === "string" ? [access.attr] : access.attr;
      if (!Array.isArray(path) || path.length === 0 || !path.every((a) => typeof a === "string")) continue;
      if (isContextArgs(access.left)) {
        attributes.add("args");
        args.add(path[0] as string);
        return;
      }
      if (isContext(access.left)) {
        attributes.add(path[0] as string);
        if (path[0] === "args" && path.length > 1) args.add(path[1] as string);
        return;
      }
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(conditions);
  return {
    attributes: allAttributes ? "all" : attributes,
    arguments: allArguments ? "all" : args,
  };
}

/** Both reads together. */
export function unionOfReads(reads: readonly ContextRead[]): ContextRead {
  const attributes = new Set<string>();
  const args = new Set<string>();
  let allAttributes = false;
  let allArguments = false;
  for (const r of reads) {
    if (r.attributes === "all") allAttributes = true;
    else for (const a of r.attributes) attributes.add(a);
    if (r.arguments === "all") allArguments = true;
    else for (const a of r.arguments) args.add(a);
  }
  return { attributes: allAttributes ? "all" : attributes, arguments: allArguments ? "all" : args };
}

/** Whether `reads` names top-level context part `part`. */
export function readsPart(reads: ContextRead, part: string): boolean {
  return reads.attributes === "all" || reads.attributes.has(part);
}

/** The arguments record cut down to the arguments `reads` names. */
export function argumentsKept(args: Record<string, unknown>, reads: ContextRead): Record<string, unknown> {
  if (reads.arguments === "all") return args;
  const kept: Record<string, unknown> = {};
  for (const [a, v] of Object.entries(args)) if (reads.arguments.has(a)) kept[a] = v;
  return kept;
}
