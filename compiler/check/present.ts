/**
 * The parser puts an `Error` node wherever it recovered — also inside lists whose static type
 * says otherwise (a with block's attributes, a policy's rules, parameters, fields). Every loop
 * of the checker over such a list goes through `present`, so a recovered file never crashes it.
 */
export function present<T>(list: readonly T[] | undefined): T[] {
  if (!list) return [];
  return list.filter((n) => n !== undefined && n !== null && (n as { kind?: string }).kind !== "Error");
}

/** Whether a node the types promise is really there (not an `Error` placeholder or missing). */
export function isNode<T extends { kind: string }>(n: T | undefined | null, kind?: T["kind"]): n is T {
  return n !== undefined && n !== null && n.kind !== "Error" && (kind === undefined || n.kind === kind);
}
