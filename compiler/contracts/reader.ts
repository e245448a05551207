/**
 * Reading a parsed TOML document into the model while reporting located diagnostics: typed
 * getters that report a wrong value type (E0502) at the value, and the unknown-key check (W0500).
 */
import { closestName } from "../../grammar/suggest.js";
import type { Span } from "../../grammar/span.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import type { TomlLocator, TomlPath } from "../../formats/toml-locator.js";

export type TomlTable = Record<string, unknown>;

export function isTable(v: unknown): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function tomlTypeName(v: unknown): string {
  if (typeof v === "string") return "a string";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "number" || typeof v === "bigint") return Number.isInteger(Number(v)) ? "an integer" : "a float";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  if (isTable(v)) return "a table";
  return "a value";
}

export class ContractReader {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly loc: TomlLocator,
  ) {}

  report(code: string, message: string, span: Span, help?: string): void {
    this.diagnostics.push(
      diagnostic({ code, message, file: this.file, span, ...(help !== undefined ? { help } : {}) }),
    );
  }

  /** Reports at the key naming `path` (for "this key is wrong/unknown/missing here"). */
  atKey(code: string, message: string, path: TomlPath, help?: string): void {
    this.report(code, message, this.loc.key(path), help);
  }

  /** Reports at the value of `path` (for "this value is wrong"). */
  atValue(code: string, message: string, path: TomlPath, help?: string): void {
    this.report(code, message, this.loc.value(path), help);
  }

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === "error");
  }

  private wrongType(path: TomlPath, expected: string, v: unknown): undefined {
    this.atValue("E0502", `\`${path.join(".")}\` must be ${expected}, found ${tomlTypeName(v)}`, path);
    return undefined;
  }

  string(t: TomlTable, key: string, path: TomlPath): string | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : this.wrongType([...path, key], "a string", v);
  }

  boolean(t: TomlTable, key: string, path: TomlPath): boolean | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    return typeof v === "boolean" ? v : this.wrongType([...path, key], "a boolean (true or false)", v);
  }

  /** Any TOML number (integer or float). */
  number(t: TomlTable, key: string, path: TomlPath): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v === "bigint") return Number(v);
    return typeof v === "number" ? v : this.wrongType([...path, key], "a number", v);
  }

  integer(t: TomlTable, key: string, path: TomlPath): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    const n = typeof v === "bigint" ? Number(v) : v;
    return typeof n === "number" && Number.isInteger(n) ? n : this.wrongType([...path, key], "an integer", v);
  }

  stringArray(t: TomlTable, key: string, path: TomlPath): string[] | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) return this.wrongType([...path, key], "an array of strings", v);
    const out: string[] = [];
    let ok = true;
    v.forEach((el, i) => {
      if (typeof el === "string") out.push(el);
      else {
        ok = false;
        this.wrongType([...path, key, i], "a string", el);
      }
    });
    return ok ? out : undefined;
  }

  table(t: TomlTable, key: string, path: TomlPath): TomlTable | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    return isTable(v) ? v : this.wrongType([...path, key], "a table", v);
  }

  /** W0500 for every key of `t` not in `known`. */
  unknownKeys(t: TomlTable, known: readonly string[], path: TomlPath, what: string): void {
    for (const key of Object.keys(t)) {
      if (known.includes(key)) continue;
      const suggestion = closestName(key, known);
      this.atKey(
        "W0500",
        `unknown key \`${key}\` in ${what}`,
        [...path, key],
        suggestion ? `did you mean \`${suggestion}\`?` : `known keys: ${known.join(", ")}`,
      );
    }
  }
}
