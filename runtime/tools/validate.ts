/**
 * Call-time argument validation against a tool contract: unknown and missing arguments,
 * defaults, and each value against its ToolClad type (compiler/contracts/values.ts, the table
 * the compiler also uses for defaults). Fails closed: anything not understood is rejected.
 *
 * Beyond the per-type rules (which reject shell metacharacters in every text value):
 * - option injection: a text value that becomes a whole argv word on its own (its placeholder
 *   stands alone in the template, e.g. `whois {target}`) must not start with `-`, or the tool
 *   would read it as an option (`-oN /etc/x`). Values glued to other text (`--out={file}`) are
 *   not affected; numbers are checked by their own type rules.
 * - `credential_file` must name an existing regular file (relative to `options.baseDir`).
 * - a contract that had errors at load time (`valid: false`) validates nothing.
 */
import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { STRING_ARG_TYPES, type ArgSpec, type ToolContract } from "../../compiler/contracts/model.js";
import { checkValue } from "../../compiler/contracts/values.js";
import {
  tokenizeTemplate,
  parseExecElement,
  standalonePlaceholder,
  type TemplateWord,
} from "../../compiler/contracts/template.js";

export type ValidatedValue = string | number | boolean;
export type ValidatedArgs = Record<string, ValidatedValue>;

export interface ToolArgError {
  /** The argument's name (`""` for problems with the call as a whole). */
  arg: string;
  message: string;
}

export type ToolArgsValidation = { ok: true; args: ValidatedArgs } | { ok: false; errors: ToolArgError[] };

export interface ValidateOptions {
  /** Directory `credential_file` paths are relative to (default: the current directory). */
  baseDir?: string;
}

const standaloneCache = new WeakMap<ToolContract, Set<string>>();

function wordsOf(text: string): TemplateWord[] {
  const r = tokenizeTemplate(text);
  return r.ok ? r.words : [];
}

/** Names whose placeholder stands alone as an argv word somewhere (template, exec, fragments). */
export function standaloneArgNames(contract: ToolContract): Set<string> {
  let set = standaloneCache.get(contract);
  if (set) return set;
  set = new Set<string>();
  const words: TemplateWord[] = [];
  if (contract.command.exec) {
    for (const el of contract.command.exec) {
      const r = parseExecElement(el);
      if (r.ok) words.push(r.word);
    }
  } else if (contract.command.template !== undefined) words.push(...wordsOf(contract.command.template));
  for (const c of contract.command.conditionals) words.push(...wordsOf(c.template));
  for (const m of Object.values(contract.command.mappings))
    for (const flags of Object.values(m)) words.push(...wordsOf(flags));
  for (const w of words) {
    const name = standalonePlaceholder(w);
    if (name !== undefined) set.add(name);
  }
  standaloneCache.set(contract, set);
  return set;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function credentialFileError(path: string, baseDir: string): string | undefined {
  const full = resolve(baseDir, path);
  try {
    if (!statSync(full).isFile()) return `${JSON.stringify(path)} is not a regular file`;
    accessSync(full, constants.R_OK);
    return undefined;
  } catch {
    return `${JSON.stringify(path)} does not exist or is not readable`;
  }
}

function checkOne(
  spec: ArgSpec,
  raw: unknown,
  standalone: boolean,
  options: ValidateOptions,
): { value: ValidatedValue } | { error: string } {
  // An empty value for an optional text argument whose default is empty means "not given".
  if (raw === "" && spec.default === "" && !spec.required) return { value: "" };
  const res = checkValue(raw, spec);
  if (!res.ok) return { error: res.message };
  const value = res.value;
  if (
    typeof value === "string" &&
    STRING_ARG_TYPES.has(spec.baseType) &&
    spec.baseType !== "enum" &&
    standalone &&
    value.startsWith("-")
  ) {
    return {
      error: `${JSON.stringify(value.slice(0, 40))} must not start with \`-\`: the tool would read it as an option`,
    };
  }
  if (spec.baseType === "credential_file" && typeof value === "string") {
    const err = credentialFileError(value, options.baseDir ?? process.cwd());
    if (err) return { error: err };
  }
  return { value };
}

/** Validates a call's arguments; on success returns every argument that has a value (given or default). */
export function validateToolArgs(
  contract: ToolContract,
  values: Record<string, unknown>,
  options: ValidateOptions = {},
): ToolArgsValidation {
  if (!contract.valid)
    return {
      ok: false,
      errors: [{ arg: "", message: `the contract of \`${contract.name}\` has errors; the tool cannot be called` }],
    };
  if (!isPlainObject(values))
    return { ok: false, errors: [{ arg: "", message: "arguments must be given as a record of name → value" }] };

  const errors: ToolArgError[] = [];
  const known = new Set(contract.args.map((a) => a.name));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) errors.push({ arg: key, message: `\`${contract.name}\` has no argument \`${key}\`` });
  }
  const standalone = standaloneArgNames(contract);
  const args: ValidatedArgs = Object.create(null) as ValidatedArgs;
  for (const spec of contract.args) {
    const given = Object.prototype.hasOwnProperty.call(values, spec.name) ? values[spec.name] : undefined;
    if (given === undefined || given === null) {
      if (spec.default !== undefined) {
        // Defaults come from the contract author and were checked at load time; re-check anyway
        // (the option-injection rule is for caller-supplied values only).
        if (spec.default === "") args[spec.name] = "";
        else {
          const res = checkValue(spec.default, spec);
          if (res.ok) args[spec.name] = res.value;
          else errors.push({ arg: spec.name, message: `default ${res.message}` });
        }
      } else if (spec.required) {
        errors.push({ arg: spec.name, message: `missing required argument \`${spec.name}\`` });
      }
      continue;
    }
    const r = checkOne(spec, given, standalone.has(spec.name), options);
    if ("error" in r) errors.push({ arg: spec.name, message: r.error });
    else args[spec.name] = r.value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, args: { ...args } };
}
