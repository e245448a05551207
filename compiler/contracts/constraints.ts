/**
 * Type-specific keys shared by `[args.<name>]` and `toolclad.toml` `[types.<name>]`: `allowed`,
 * `pattern`, `min`/`max`, `clamp`, `schemes`, `scope_check`. Reads them, checks that they fit the
 * base type (W0505 when a key has no effect) and agree with each other (E0508, E0509, E0521).
 */
import type { BuiltinArgType } from "./model.js";
import type { TomlPath } from "../../formats/toml-locator.js";
import type { ContractReader, TomlTable } from "./reader.js";
import { compilePattern } from "./values.js";

export interface Constraints {
  allowed?: string[];
  pattern?: string;
  min?: number;
  max?: number;
  clamp?: boolean;
  schemes?: string[];
  scopeCheck?: boolean;
}

/** Which base types each type-specific key applies to. */
const APPLIES: Record<string, readonly BuiltinArgType[]> = {
  allowed: ["enum"],
  pattern: ["string", "regex_match", "agent_summary"],
  min: ["integer", "number"],
  max: ["integer", "number"],
  min_float: ["number"],
  max_float: ["number"],
  clamp: ["integer", "number"],
  schemes: ["url"],
  scope_check: ["url", "scope_target", "ip_address", "cidr"],
};

export const CONSTRAINT_KEYS = Object.keys(APPLIES);

/**
 * Reads the constraint keys of `t` for an argument (or custom type) of `base`. `inherited` are
 * constraints from a custom type; keys written here override them.
 */
export function readConstraints(
  r: ContractReader,
  t: TomlTable,
  path: TomlPath,
  base: BuiltinArgType,
  inherited: Constraints = {},
  what = "argument",
): Constraints {
  for (const key of CONSTRAINT_KEYS) {
    if (t[key] !== undefined && !APPLIES[key]!.includes(base)) {
      r.atKey(
        "W0505",
        `\`${key}\` has no effect on a \`${base}\` ${what}`,
        [...path, key],
        `\`${key}\` applies to ${APPLIES[key]!.join(", ")}`,
      );
    }
  }
  const applies = (key: string) => APPLIES[key]!.includes(base);
  const c: Constraints = { ...inherited };

  if (applies("allowed")) {
    const allowed = r.stringArray(t, "allowed", path);
    if (allowed !== undefined) {
      if (allowed.length === 0) r.atValue("E0521", "`allowed` must list at least one value", [...path, "allowed"]);
      const seen = new Set<string>();
      allowed.forEach((a, i) => {
        if (seen.has(a)) r.atValue("E0521", `\`allowed\` lists ${JSON.stringify(a)} twice`, [...path, "allowed", i]);
        seen.add(a);
      });
      c.allowed = allowed;
    }
  }
  if (applies("pattern")) {
    const pattern = r.string(t, "pattern", path);
    if (pattern !== undefined) {
      const re = compilePattern(pattern);
      if (re instanceof Error) {
        r.atValue(
          "E0509",
          `invalid pattern: ${re.message}`,
          [...path, "pattern"],
          "patterns use JavaScript regular expression syntax",
        );
      }
      c.pattern = pattern;
    }
  }
  if (applies("min")) {
    const numeric = base === "number" ? r.number.bind(r) : r.integer.bind(r);
    const min =
      base === "number" ? (r.number(t, "min_float", path) ?? numeric(t, "min", path)) : numeric(t, "min", path);
    const max =
      base === "number" ? (r.number(t, "max_float", path) ?? numeric(t, "max", path)) : numeric(t, "max", path);
    if (min !== undefined) c.min = min;
    if (max !== undefined) c.max = max;
    const clamp = r.boolean(t, "clamp", path);
    if (clamp !== undefined) c.clamp = clamp;
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
      const at = t.max !== undefined ? [...path, "max"] : t.min !== undefined ? [...path, "min"] : path;
      r.atValue("E0521", `\`min\` (${c.min}) is greater than \`max\` (${c.max})`, at);
    }
  }
  if (applies("schemes")) {
    const schemes = r.stringArray(t, "schemes", path);
    if (schemes !== undefined) {
      if (schemes.length === 0) r.atValue("E0521", "`schemes` must list at least one scheme", [...path, "schemes"]);
      schemes.forEach((s, i) => {
        if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(s))
          r.atValue("E0502", `${JSON.stringify(s)} is not a URL scheme`, [...path, "schemes", i]);
      });
      c.schemes = schemes;
    }
  }
  if (applies("scope_check")) {
    const sc = r.boolean(t, "scope_check", path);
    if (sc !== undefined) c.scopeCheck = sc;
  }

  if (base === "enum" && (c.allowed === undefined || c.allowed.length === 0) && t.allowed === undefined) {
    r.atKey("E0508", `\`enum\` ${what} needs an \`allowed\` list`, path, 'add `allowed = ["a", "b"]`');
  }
  if (base === "regex_match" && c.pattern === undefined && t.pattern === undefined) {
    r.atKey("E0508", `\`regex_match\` ${what} needs a \`pattern\``, path, 'add `pattern = "^...$"`');
  }
  return c;
}
