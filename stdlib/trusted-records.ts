/**
 * The trusted records (DESIGN §5): data the deployment supplies at decision time (`symbi exec
 * --context`), which guards and agent code may read but never write. Declared once here; the
 * checker types them (a project may redeclare the type to add fields), the policy compiler
 * reads them as `context.<record>`, and the runtime fills them from the operator's context.
 */
export const TRUSTED_RECORD_TYPES = {
  user: "User",
  session: "Session",
  system: "System",
  context: "Context",
} as const;

export type TrustedRecord = keyof typeof TRUSTED_RECORD_TYPES;

/** The record names, in a fixed order. */
export const TRUSTED_RECORDS: readonly TrustedRecord[] = Object.keys(TRUSTED_RECORD_TYPES) as TrustedRecord[];

export function isTrustedRecord(name: string): name is TrustedRecord {
  return Object.hasOwn(TRUSTED_RECORD_TYPES, name);
}
