/** Shared checks for the formatter tests. */
import * as assert from "uvu/assert";
import { formatText, type FormatOutcome } from "../../compiler/format/format.js";
import { astDifference, commentDifference } from "../../compiler/format/equivalence.js";
import { parseText } from "../../grammar/index.js";

const BOM = "\uFEFF";

/** Formats `text` (without the self-check, so the tests check the guarantees themselves). */
export async function fmt(text: string, file = "test.symbi"): Promise<string> {
  const r = await formatText(text, file, { verify: false });
  if (!r.ok)
    throw new Error(
      `expected ${file} to format, got:\n${r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join("\n")}`,
    );
  return r.output;
}

export async function outcome(text: string, file = "test.symbi"): Promise<FormatOutcome> {
  return formatText(text, file);
}

function stripBom(s: string): string {
  return s.startsWith(BOM) ? s.slice(1) : s;
}

/**
 * The formatter's guarantees on one input: the output parses to the same tree (positions,
 * comment attachment and optional commas aside) with the same comments in the same order, and
 * formatting the output again changes nothing. Returns the formatted text.
 */
export async function assertGuarantees(text: string, name: string): Promise<string> {
  const before = parseText(stripBom(text), name);
  assert.equal(
    before.diagnostics.filter((d) => d.severity === "error"),
    [],
    `${name}: the input parses`,
  );
  const once = await fmt(text, name);
  const after = parseText(stripBom(once), name);
  assert.equal(
    after.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.span.line}:${d.span.col} ${d.message}`),
    [],
    `${name}: the output parses:\n${once}`,
  );
  const treeDiff = astDifference(before.program, after.program);
  assert.ok(treeDiff === undefined, `${name}: same tree, but ${treeDiff}\n--- output:\n${once}`);
  const commentDiff = commentDifference(before.program.comments, after.program.comments);
  assert.ok(commentDiff === undefined, `${name}: same comments, but ${commentDiff}\n--- output:\n${once}`);
  const twice = await fmt(once, name);
  if (twice !== once) assert.fixture(twice, once, `${name}: formatting is idempotent`);
  return once;
}
