/** Shared helpers for the contract tests. */
import { test } from "uvu";
import { fileURLToPath } from "node:url";
import { CORPUS, corpusMissing } from "../helpers/corpus.js";
import { parseContract } from "../../compiler/contracts/parse.js";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import type { CustomTypes, ToolContract } from "../../compiler/contracts/model.js";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
/** The reference's own contracts, read from the shared corpus (its `tools/` folder); absent → `corpusMissing`. */
export const REFERENCE_PROJECT = CORPUS;
/** `test` where the corpus is present, `test.skip` (visibly counted as skipped) where it is not. */
export const referenceTest = corpusMissing ? test.skip : test;

/** A small valid contract; `sections` replace or add whole sections by header. */
export function contractText(
  opts: { tool?: string[]; args?: string; command?: string; output?: string; extra?: string } = {},
): string {
  const tool = opts.tool ?? ['name = "t"', 'binary = "t"', 'description = "a test tool"'];
  return [
    "[tool]",
    ...tool,
    "",
    opts.args ?? '[args.x]\nposition = 1\ntype = "string"\ndescription = "x"',
    "",
    opts.command ?? '[command]\ntemplate = "t {x}"',
    "",
    opts.output ?? '[output]\nformat = "json"\n\n[output.schema]\ntype = "object"',
    "",
    opts.extra ?? "",
  ].join("\n");
}

/** 1-based line of the first occurrence of `needle` (throws when absent, so tests cannot pass vacuously). */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  let from = 0;
  let at = -1;
  for (let i = 0; i < occurrence; i++) {
    at = text.indexOf(needle, from);
    if (at < 0) throw new Error(`test bug: ${JSON.stringify(needle)} not in text`);
    from = at + 1;
  }
  return text.slice(0, at).split("\n").length;
}

export function parse(
  text: string,
  file = "tools/t.clad.toml",
  customTypes?: CustomTypes,
): { contract?: ToolContract; diagnostics: Diagnostic[] } {
  return parseContract(text, file, customTypes ? { customTypes } : {});
}

/** Parses a contract that must be valid and warning-free. */
export function parseClean(text: string, file = "tools/t.clad.toml"): ToolContract {
  const r = parse(text, file);
  if (r.diagnostics.length > 0 || !r.contract) {
    throw new Error(
      `expected a clean contract, got: ${r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`).join("; ")}`,
    );
  }
  return r.contract;
}

export function describe(ds: readonly Diagnostic[]): string {
  return ds.map((d) => `${d.code}@${d.span.line}:${d.span.col} ${d.message}`).join("\n");
}
