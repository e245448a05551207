/**
 * The `with` attributes (LANGUAGE.md Appendix D), declared once: the checker validates them
 * (compiler/check/with-block.ts implements each `kind`), the compiler places manifest errors on
 * them (`manifestField`), the language server offers and documents them.
 *
 * `effect` says what the toolchain does with an attribute: "enforced" ones become sandbox
 * constraints or run settings; "recorded" ones are validated and carried in the bundle's
 * settings but change nothing at run time (the checker says so, W0403), because the guide uses
 * them and the reference corpus writes them.
 */
export type WithAttributeKind =
  | "tier"
  | "duration"
  | "memory-mb"
  | "cpus"
  | "pids"
  | "boolean"
  | "network-policy"
  | "network-allowlist"
  | "string-list"
  | "enum"
  | "any";

export interface WithAttributeDecl {
  name: string;
  kind: WithAttributeKind;
  effect: "enforced" | "recorded";
  doc: string;
  /** For `enum`: the allowed values; for others: values to offer, as source text. */
  values?: readonly string[];
  /** Example value for the snippet inserted with the name. */
  example: string;
  /** The sandbox manifest field it sets (a JSON pointer), if any. */
  manifestField?: string;
}

export const WITH_ATTRIBUTE_DECLS: readonly WithAttributeDecl[] = [
  {
    name: "sandbox",
    kind: "tier",
    effect: "enforced",
    doc: 'Isolation tier the block runs in: `"Tier1"` (Docker, runc), `"Tier2"` (gVisor, runsc) or `"process"` (a scrubbed child process, development only). A tier that is not available is an error, never a silent downgrade.',
    values: ['"Tier1"', '"Tier2"', '"process"'],
    example: '"Tier1"',
    manifestField: "/tier",
  },
  {
    name: "timeout",
    kind: "duration",
    effect: "enforced",
    doc: 'Wall-clock limit of the whole block: a duration literal (`30s`, `5m`, `100ms`, `1.5h`) or string (`"30m"`). A bare number means milliseconds and draws a warning (W0400).',
    values: ["30s", "5m", "1h", '"30m"'],
    example: "30s",
    manifestField: "/timeoutMs",
  },
  {
    name: "max_memory_mb",
    kind: "memory-mb",
    effect: "enforced",
    doc: "Memory limit of the sandbox in MiB (a whole number from 4 to 1048576).",
    values: ["256", "512", "1024"],
    example: "512",
    manifestField: "/limits/memoryMb",
  },
  {
    name: "max_cpu_cores",
    kind: "cpus",
    effect: "enforced",
    doc: "CPU limit of the sandbox in cores; fractions allowed (`0.5`), at most 256.",
    values: ["0.5", "1.0", "2.0"],
    example: "1.0",
    manifestField: "/limits/cpus",
  },
  {
    name: "max_pids",
    kind: "pids",
    effect: "enforced",
    doc: "Maximum number of processes in the sandbox (1 to 32768).",
    values: ["64", "128"],
    example: "64",
    manifestField: "/limits/pids",
  },
  {
    name: "fresh",
    kind: "boolean",
    effect: "enforced",
    doc: "`true`: every tool call gets its own container. By default the calls of a run that share this block and an image reuse one warm container, so files and processes a tool leaves there are seen by the next call of the run.",
    values: ["true", "false"],
    example: "true",
    manifestField: "/fresh",
  },
  {
    name: "network_policy",
    kind: "network-policy",
    effect: "enforced",
    doc: 'Network access of the sandbox: `"deny_all"` (no network; the default).',
    values: ['"deny_all"'],
    example: '"deny_all"',
    manifestField: "/network",
  },
  {
    name: "network",
    kind: "network-allowlist",
    effect: "enforced",
    doc: 'Network destinations the sandbox may reach (`["api.example.com:443"]`); everything else is blocked.',
    example: '["api.example.com:443"]',
    manifestField: "/network",
  },
  {
    name: "skills",
    kind: "string-list",
    effect: "enforced",
    doc: 'Skills the block may give the model: folders with a `SKILL.md`, relative to the project root (`["skills/triage"]`). `symbic check` checks that each exists and has front matter with `name` and `description`; `symbic build` scans them (a Critical or High finding is a build error). `symbi exec` refuses a skill changed since the build and gives their instructions to the model in `reason(...)`.',
    example: '["skills/triage"]',
  },
  {
    name: "requires",
    kind: "string-list",
    effect: "recorded",
    doc: 'Clearances the block needs: a string or an array of strings (`["security_clearance"]`).',
    example: '["security_clearance"]',
  },
  {
    name: "memory",
    kind: "enum",
    effect: "recorded",
    doc: 'Agent memory mode: `"ephemeral"`, `"persistent"`, `"session"` or `"encrypted"` (unrelated to top-level `memory` blocks).',
    values: ["ephemeral", "persistent", "session", "encrypted"],
    example: '"ephemeral"',
  },
  {
    name: "security",
    kind: "enum",
    effect: "recorded",
    doc: "Declared security level of the block.",
    values: ["low", "medium", "standard", "high", "maximum"],
    example: '"high"',
  },
  {
    name: "privacy",
    kind: "enum",
    effect: "recorded",
    doc: "Declared privacy level of the block.",
    values: ["standard", "high", "strict", "differential"],
    example: '"strict"',
  },
  {
    name: "coordination",
    kind: "enum",
    effect: "recorded",
    doc: 'Inter-agent coordination: `"enabled"` or `"disabled"`.',
    values: ["enabled", "disabled"],
    example: '"enabled"',
  },
  ...["storage", "cleanup", "epsilon", "encryption", "communication", "authentication", "retry_policy", "priority"].map(
    (name): WithAttributeDecl => ({
      name,
      kind: "any",
      effect: "recorded",
      doc: "Recorded with the block's settings (the guide uses it); it does not change how the block runs.",
      example: '""',
    }),
  ),
];

export const WITH_ATTRIBUTES: ReadonlyMap<string, WithAttributeDecl> = new Map(
  WITH_ATTRIBUTE_DECLS.map((d) => [d.name, d]),
);

/** The `with` attribute behind a sandbox manifest error path (the longest matching field), if any. */
export function withAttributeForPath(path: string): string | undefined {
  let best: WithAttributeDecl | undefined;
  for (const d of WITH_ATTRIBUTE_DECLS) {
    const f = d.manifestField;
    if (f === undefined || !(path === f || path.startsWith(`${f}/`))) continue;
    if (!best || f.length > best.manifestField!.length) best = d;
  }
  return best?.name;
}

/**
 * The sandbox tier a DSL `sandbox = ...` value names, with the reference's spellings
 * (case-insensitive, quotes stripped): `docker`/`tier1`, `gvisor`/`tier2`, and our explicit
 * `process`. `firecracker`/`tier3`/`e2b` parse in the reference but have no driver here, so they
 * are an error (never a silent downgrade).
 */
export function sandboxTierFromDsl(
  value: string,
): { ok: true; tier: "process" | "tier1" | "tier2" } | { ok: false; message: string } {
  const v = value
    .trim()
    .replace(/^["']|["']$/g, "")
    .toLowerCase();
  if (v === "tier1" || v === "docker") return { ok: true, tier: "tier1" };
  if (v === "tier2" || v === "gvisor") return { ok: true, tier: "tier2" };
  if (v === "process") return { ok: true, tier: "process" };
  if (v === "tier3" || v === "firecracker" || v === "e2b") {
    return {
      ok: false,
      message: `sandbox tier "${value}" is not supported by this toolchain; use "Tier1" (Docker), "Tier2" (gVisor) or "process" (development)`,
    };
  }
  return {
    ok: false,
    message: `unknown sandbox tier "${value}"; valid tiers are "Tier1" (docker), "Tier2" (gvisor) and "process" (development only)`,
  };
}
