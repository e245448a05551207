/**
 * Fragment placeholders: names under which mappings and conditionals enter a template, following
 * the reference executor:
 * - `[command.mappings.<arg>]` → `{_<arg>_flags}` and `{_<arg>}`, and for an arg named
 *   `<x>_type` also `{_<x>_flags}` (so `scan_type` gives `{_scan_flags}`);
 * - `[command.conditionals.<name>]` → `{_<name>}`;
 * - `{_conditional_flags}` → every conditional not placed by its own name, in file order
 *   (the reference documentation's hydra example).
 * A fragment standing alone as a word expands to several argv words; its text is tokenised like
 * a template, then its own placeholders are filled with validated values (never re-split).
 */
import type { CommandSpec } from "./model.js";

export type FragmentRef =
  { kind: "mapping"; arg: string } | { kind: "conditional"; name: string } | { kind: "remaining-conditionals" };

export const ALL_CONDITIONALS_PLACEHOLDER = "_conditional_flags";

export function mappingFragmentNames(arg: string): string[] {
  const names = [`_${arg}_flags`, `_${arg}`];
  if (arg.endsWith("_type") && arg.length > "_type".length) names.push(`_${arg.slice(0, -"_type".length)}_flags`);
  return names;
}

/** Placeholder name → what it stands for. Conditionals win over mappings on a name clash. */
export function fragmentTable(command: Pick<CommandSpec, "mappings" | "conditionals">): Map<string, FragmentRef> {
  const table = new Map<string, FragmentRef>();
  for (const arg of Object.keys(command.mappings)) {
    for (const n of mappingFragmentNames(arg)) table.set(n, { kind: "mapping", arg });
  }
  if (command.conditionals.length > 0) table.set(ALL_CONDITIONALS_PLACEHOLDER, { kind: "remaining-conditionals" });
  for (const c of command.conditionals) table.set(`_${c.name}`, { kind: "conditional", name: c.name });
  return table;
}
