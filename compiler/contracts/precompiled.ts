/**
 * A bundle's `contracts.json` (docs/bundle.md): the tool contracts of its `tools/*.clad.toml` as
 * `symbic build` resolved them (model.ts: custom types applied, `when` expressions parsed, the
 * output schema checked), so `symbi exec` loads them without a TOML parser, a span locator or
 * ajv's meta-schema — about a tenth of a run's start-up (issue 13).
 *
 * It is data, never code: the runtime checks its shape with a validator generated ahead of time
 * (precompiled.validator.ts, from precompiled.schema.json) and uses it only when the bundle's
 * hashes (and, for a folder, its signature) cover it like every other file. Each contract must
 * stand for exactly one `tools/<name>.clad.toml` of the bundle and vice versa, so what a reader
 * of the bundle sees is what runs. A bundle without the file (built before it existed, or whose
 * contracts do not survive JSON, say a non-finite number) is loaded from the TOML as before.
 */
import type { ToolContract } from "./model.js";
import validatePrecompiled from "./precompiled.validator.js";

export const PRECOMPILED_CONTRACTS_FILE = "contracts.json";
export const PRECOMPILED_CONTRACTS_FORMAT = "symbi-contracts/v1";

/** The bundle path of a contract's source: `tools/<name>.clad.toml`. */
export function bundledContractPath(name: string): string {
  return `tools/${name}.clad.toml`;
}

/** Whether `v` is plain JSON that JSON.stringify writes and JSON.parse reads back unchanged. */
function faithful(v: unknown): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(faithful);
  if (typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v as Record<string, unknown>).every((x) => x === undefined || faithful(x));
}

type Validate = ((v: unknown) => boolean) & {
  errors?: Array<{ instancePath: string; message?: string }> | null;
};
const validate = validatePrecompiled as unknown as Validate;

function shapeProblem(value: unknown): string | undefined {
  if (validate(value)) return undefined;
  const e = validate.errors?.[0];
  return e ? `${e.instancePath || "/"} ${e.message ?? "is invalid"}` : "is invalid";
}

/**
 * The text of contracts.json for `contracts` (each with `file` its bundle path), sorted by name;
 * undefined when a contract has errors or would not read back as it is (the bundle then carries
 * the TOML only).
 * Throws when the result does not match the schema: the model and the schema disagree, a bug.
 */
export function precompiledContractsText(contracts: readonly ToolContract[]): string | undefined {
  const sorted = [...contracts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const doc = { format: PRECOMPILED_CONTRACTS_FORMAT, contracts: sorted };
  // A contract with errors (a build told not to check) is left to the runtime's TOML path,
  // which refuses the bundle with the contract's own located error.
  if (sorted.some((c) => !c.valid) || !faithful(doc)) return undefined;
  const text = JSON.stringify(doc);
  const problem = shapeProblem(JSON.parse(text));
  if (problem !== undefined) throw new Error(`precompiled contracts do not match precompiled.schema.json: ${problem}`);
  return text + "\n";
}

export type PrecompiledContracts = { ok: true; contracts: Map<string, ToolContract> } | { ok: false; problem: string };

/**
 * Reads contracts.json: its shape, one contract per name, each contract's `file` its own bundle
 * path, and exactly the contracts of `contractFiles` (the bundle's `tools/*.clad.toml` paths).
 */
export function parsePrecompiledContracts(text: string, contractFiles: readonly string[]): PrecompiledContracts {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `is not valid JSON: ${(e as Error).message}` };
  }
  const problem = shapeProblem(value);
  if (problem !== undefined) return { ok: false, problem: `is not a contracts file: ${problem}` };
  const contracts = new Map<string, ToolContract>();
  for (const c of (value as { contracts: ToolContract[] }).contracts) {
    if (contracts.has(c.name)) return { ok: false, problem: `holds tool \`${c.name}\` twice` };
    if (c.file !== bundledContractPath(c.name))
      return { ok: false, problem: `says tool \`${c.name}\` comes from ${c.file}, not ${bundledContractPath(c.name)}` };
    contracts.set(c.name, c);
  }
  const files = new Set(contractFiles);
  for (const c of contracts.values())
    if (!files.has(c.file))
      return { ok: false, problem: `holds tool \`${c.name}\`, whose ${c.file} is not in the bundle` };
  for (const f of files)
    if (![...contracts.values()].some((c) => c.file === f)) return { ok: false, problem: `has no contract for ${f}` };
  return { ok: true, contracts };
}
