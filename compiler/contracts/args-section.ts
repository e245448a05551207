/**
 * `[args.<name>]`: typed arguments. Resolves custom types, reads constraints and defaults, checks
 * positions, and returns the arguments ordered by position.
 */
import {
  BUILTIN_ARG_TYPES,
  FREE_TEXT_ARG_TYPES,
  STRING_ARG_TYPES,
  isBuiltinArgType,
  type ArgSpec,
  type CustomTypes,
  type BuiltinArgType,
  type ScalarValue,
} from "./model.js";
import { readConstraints, CONSTRAINT_KEYS, type Constraints } from "./constraints.js";
import { ContractReader, isTable, tomlTypeName, type TomlTable } from "./reader.js";
import { closestName as closest } from "../../grammar/suggest.js";
import { checkValue } from "./values.js";

const ARG_KEYS = [
  "position",
  "required",
  "type",
  "description",
  "default",
  "sanitize",
  "feeds_decision",
  ...CONSTRAINT_KEYS,
];
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Draft {
  spec: ArgSpec;
  /** The position as written (undefined when absent or invalid). */
  written?: number;
}

export interface ReadArgsResult {
  /** Ordered by position; arguments whose declaration has errors (no or unknown type) are left out. */
  args: ArgSpec[];
  /** Every declared argument name, so templates naming a broken argument report no second error. */
  declared: Set<string>;
}

export function readArgs(r: ContractReader, doc: TomlTable, customTypes: CustomTypes): ReadArgsResult {
  const args = r.table(doc, "args", []);
  if (!args) return { args: [], declared: new Set() };
  const drafts: Draft[] = [];
  for (const [name, def] of Object.entries(args)) {
    const path = ["args", name];
    if (!isTable(def)) {
      r.atValue("E0502", `\`args.${name}\` must be a table`, path, `write it as [args.${name}]`);
      continue;
    }
    if (!IDENTIFIER.test(name)) {
      r.atKey(
        "E0503",
        `argument name \`${name}\` is not an identifier`,
        path,
        "use letters, digits and `_`, not starting with a digit",
      );
    }
    const d = readArg(r, name, def, path, customTypes);
    if (d) drafts.push(d);
  }
  return { args: order(r, drafts), declared: new Set(Object.keys(args)) };
}

function readArg(
  r: ContractReader,
  name: string,
  def: TomlTable,
  path: string[],
  customTypes: CustomTypes,
): Draft | undefined {
  r.unknownKeys(def, ARG_KEYS, path, `argument \`${name}\``);
  const type = r.string(def, "type", path);
  if (type === undefined) {
    if (def.type === undefined)
      r.atKey("E0501", `argument \`${name}\` needs a \`type\``, path, `add e.g. type = "string"`);
    return undefined;
  }
  let base: BuiltinArgType;
  let inherited: Constraints = {};
  let inheritedDescription: string | undefined;
  const custom = customTypes.get(type);
  if (isBuiltinArgType(type)) base = type;
  else if (custom) {
    base = custom.base;
    inherited = {
      allowed: custom.allowed,
      pattern: custom.pattern,
      min: custom.min,
      max: custom.max,
      clamp: custom.clamp,
      schemes: custom.schemes,
      scopeCheck: custom.scopeCheck,
    };
    for (const k of Object.keys(inherited) as (keyof Constraints)[])
      if (inherited[k] === undefined) delete inherited[k];
    inheritedDescription = custom.description;
  } else {
    const s = closest(type, [...BUILTIN_ARG_TYPES, ...customTypes.keys()]);
    r.atValue(
      "E0505",
      `unknown argument type \`${type}\``,
      [...path, "type"],
      s ? `did you mean \`${s}\`?` : "declare it under [types] in toolclad.toml, or use a built-in type",
    );
    return undefined;
  }

  const c = readConstraints(r, def, path, base, inherited);
  const required = r.boolean(def, "required", path) ?? false;
  const description = r.string(def, "description", path) ?? inheritedDescription ?? "";
  const feedsDecision = r.boolean(def, "feeds_decision", path) ?? false;
  r.stringArray(def, "sanitize", path); // accepted for compatibility: every text value is always sanitised

  const spec: ArgSpec = {
    name,
    position: 0,
    required,
    type,
    baseType: base,
    description,
    scopeCheck: c.scopeCheck ?? false,
    feedsDecision,
    span: r.loc.key(path),
  };
  if (c.allowed !== undefined) spec.allowed = c.allowed;
  if (c.pattern !== undefined) spec.pattern = c.pattern;
  if (c.min !== undefined) spec.min = c.min;
  if (c.max !== undefined) spec.max = c.max;
  if (c.clamp !== undefined) spec.clamp = c.clamp;
  if (c.schemes !== undefined) spec.schemes = c.schemes;

  if (def.default !== undefined) {
    const dv = def.default;
    const scalar =
      typeof dv === "string" ||
      typeof dv === "boolean" ||
      (typeof dv === "number" && Number.isFinite(dv)) ||
      typeof dv === "bigint";
    if (!scalar) {
      r.atValue("E0502", `\`default\` must be a string, number or boolean, found ${tomlTypeName(dv)}`, [
        ...path,
        "default",
      ]);
    } else {
      const value: ScalarValue = typeof dv === "bigint" ? Number(dv) : (dv as ScalarValue);
      spec.default = value;
      if (required) {
        r.atKey(
          "E0507",
          `argument \`${name}\` is required but has a default`,
          [...path, "required"],
          "remove `required = true` (an argument with a default is optional) or remove the default",
        );
      }
      // An empty default on an optional text argument means "not given" (the reference's idiom).
      const unsetSentinel = value === "" && STRING_ARG_TYPES.has(base);
      if (!unsetSentinel) {
        const check = checkValue(value, { baseType: base, ...c });
        if (!check.ok) r.atValue("E0517", `default of \`${name}\` ${check.message}`, [...path, "default"]);
      }
    }
  }

  if (feedsDecision && FREE_TEXT_ARG_TYPES.has(base)) {
    r.atValue(
      "W0502",
      `\`${name}\` is free text (\`${type}\`) but feeds a decision`,
      [...path, "feeds_decision"],
      "use an `enum` and decide with a policy over trusted context",
    );
  }

  const draft: Draft = { spec };
  const pos = def.position;
  if (pos !== undefined) {
    const n = r.integer(def, "position", path);
    if (n !== undefined && n < 1)
      r.atValue("E0502", `\`position\` must be 1 or more, found ${n}`, [...path, "position"]);
    else if (n !== undefined) draft.written = n;
  } else {
    r.atKey("W0503", `argument \`${name}\` has no \`position\`; it is ordered after the positioned arguments`, path);
  }
  return draft;
}

/** Orders by position (unpositioned last, in file order); reports duplicates and gaps. */
function order(r: ContractReader, drafts: Draft[]): ArgSpec[] {
  const byPos = new Map<number, Draft>();
  for (const d of drafts) {
    if (d.written === undefined) continue;
    const first = byPos.get(d.written);
    if (first) {
      r.atValue("E0506", `arguments \`${first.spec.name}\` and \`${d.spec.name}\` both have position ${d.written}`, [
        "args",
        d.spec.name,
        "position",
      ]);
      continue;
    }
    byPos.set(d.written, d);
  }
  const positions = [...byPos.keys()].sort((a, b) => a - b);
  let expected = 1;
  for (const p of positions) {
    if (p > expected) {
      const d = byPos.get(p)!;
      const missing = p - expected === 1 ? `position ${expected} is` : `positions ${expected}-${p - 1} are`;
      r.atValue(
        "W0503",
        `${missing} missing before \`${d.spec.name}\` (position ${p})`,
        ["args", d.spec.name, "position"],
        "number positions 1, 2, 3, ...",
      );
    }
    expected = p + 1;
  }
  const positioned = drafts
    .filter((d) => d.written !== undefined)
    .sort((a, b) => a.written! - b.written! || drafts.indexOf(a) - drafts.indexOf(b));
  const rest = drafts.filter((d) => d.written === undefined);
  const last = positions.length > 0 ? positions[positions.length - 1]! : 0;
  positioned.forEach((d) => (d.spec.position = d.written!));
  rest.forEach((d, i) => (d.spec.position = last + i + 1));
  return [...positioned, ...rest].map((d) => d.spec);
}
