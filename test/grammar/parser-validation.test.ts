/**
 * The production parser skips chevrotain's grammar validations to start faster (parser.ts,
 * `skipValidations`); they run here instead: a grammar change that makes an alternative
 * unreachable, an ambiguity chevrotain cannot resolve, left recursion or a duplicate rule
 * fails this test rather than misparsing silently.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SymbiontParser } from "../../grammar/parser.js";

test("the grammar passes chevrotain's self-analysis validations", () => {
  const saved = process.env["SYMBI_PARSER_VALIDATE"];
  process.env["SYMBI_PARSER_VALIDATE"] = "1";
  try {
    // performSelfAnalysis throws on any definition error when validations are on.
    const parser = new SymbiontParser() as unknown as { definitionErrors: unknown[] };
    assert.equal(parser.definitionErrors, []);
  } finally {
    if (saved === undefined) delete process.env["SYMBI_PARSER_VALIDATE"];
    else process.env["SYMBI_PARSER_VALIDATE"] = saved;
  }
});

test.run();
