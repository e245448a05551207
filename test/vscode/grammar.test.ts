/**
 * TextMate grammar (grammar/symbiont.tmLanguage.json, scope `source.symbiont`) tests.
 *
 * The annotated files in test/vscode/grammar/*.symbi use vscode-tmgrammar-test's format: a
 * `// SYNTAX TEST "source.symbiont"` header, then `// ^^^ scope` lines under the source line they
 * check (`// <--- scope` for the first columns; `- scope` forbids a scope). Those assertion lines
 * are themselves `//` comments in Symbiont. Run them alone with
 *   npx vscode-tmgrammar-test -g grammar/symbiont.tmLanguage.json 'test/vscode/grammar/*.symbi'
 *
 * Scopes the grammar assigns (every name ends in `.symbiont`). The table is checked below: each
 * entry must be asserted by at least one test file, and all assertions must hold.
 */
const SCOPES: Record<string, string> = {
  "comment.line.double-slash": "`// ...` (punctuation.definition.comment on the marker)",
  "comment.line.number-sign": "`# ...` — anywhere outside a string",
  "string.quoted.double": '`"..."`, may span lines',
  "constant.character.escape": "any `\\x` inside a string",
  "string.other.link.vault": "`vault://a/b` (also marked inside a quoted string)",
  "constant.numeric.integer": "`42`, `1_000_000`",
  "constant.numeric.float": "`3.14`, `1_000.5`",
  "constant.numeric.duration": "`30s 5m 2h 7d 1w 6months 1y 100ms 1.5h 30.seconds`",
  "invalid.illegal.numeric": "a number glued to letters: `10days`, `2min`, `1e5`",
  "constant.language.boolean.true": "`true`",
  "constant.language.boolean.false": "`false`",
  "storage.type.agent": "`agent` starting a declaration (name: entity.name.type.agent)",
  "storage.type.policy": "`policy` starting a block (name: entity.name.type.policy)",
  "storage.type.function": "`function` starting a declaration (name: entity.name.function)",
  "storage.type.type": "`type` starting a declaration (name: entity.name.type)",
  "storage.type.metadata": "`metadata {`",
  "storage.type.schedule": "`schedule NAME {` (likewise channel, memory, webhook)",
  "storage.type.let": "`let` before a name",
  "entity.name.type.agent": "the agent's name",
  "entity.name.type.policy": "the policy's name",
  "entity.name.function": "a declared function's name",
  "entity.name.type": "type names: declared, referenced, `Type { ... }` literals, typed catch",
  "entity.name.function.call": "`name(` calls",
  "entity.name.function.member": "`.name(` method calls",
  "support.function.builtin": "calls of stdlib's built-in functions (`print`, `format`, `delegate`, `Some`, ...)",
  "support.constant.builtin": "stdlib's built-in values (`None`, `null`)",
  "support.type.primitive": "`String int float bool` in type positions",
  "support.type.builtin":
    "stdlib's other built-in types (`List Map Option Result Duration JSON ...`) in type positions",
  "support.type.property-name": "record keys and declarative-block keys (`key:`, `key =`, `key value`)",
  "variable.parameter": "parameters, lambda / closure parameters, the catch variable",
  "variable.parameter.named-argument": "`f(name = v)`, `f(name: v)`",
  "variable.other.property": "`.member` and struct fields",
  "variable.language.wildcard": "`_`, and `any` inside a policy's action pattern",
  "keyword.control.conditional": "`if`, `else`",
  "keyword.control.loop": "`for`, and `in` of a for loop",
  "keyword.control.match": "`match`",
  "keyword.control.exception": "`try`, `catch`",
  "keyword.control.return": "`return`",
  "keyword.other.policy.allow": "`allow:` at rule level of a policy (likewise deny / require / audit)",
  "keyword.other.policy.deny": "`deny:`",
  "keyword.other.policy.require": "`require:`",
  "keyword.other.policy.audit": "`audit:`",
  "keyword.other.policy.for": "`for` in `require: X for Y`",
  "keyword.other.with": "`with` opening a with block",
  "entity.other.attribute-name": "a `with` attribute name",
  "keyword.other.declaration.capabilities": "`capabilities =` / `capabilities:`",
  "keyword.other.declaration.search": "`search {` in memory blocks (likewise filter, data_classification)",
  "keyword.operator.in": "`in` as an operator",
  "keyword.operator.logical": "`&& || ! not`",
  "keyword.operator.comparison": "`== != < > <= >=`",
  "keyword.operator.arithmetic": "`+ - * / %`",
  "keyword.operator.assignment": "`=`",
  "keyword.operator.assignment.compound": "`+= -= *= /= %=`",
  "keyword.operator.arrow": "`=>` of a match arm",
  "keyword.operator.arrow.return": "`->` before a return type",
  "storage.type.function.arrow": "`=>` of a lambda `x => ...`",
  "punctuation.definition.parameters.begin": "`(` of a parameter list, first `|` of a closure",
  "punctuation.definition.typeparameters.begin": "`<` of generic arguments",
  "punctuation.section.block.begin": "`{` (meta.block, meta.block.policy, meta.block.match, ...)",
  "punctuation.section.brackets.begin": "`[`",
  "punctuation.section.parens.begin": "`(` of calls and grouping",
  "punctuation.separator.key-value": "`:` / `=` between a key and its value",
  "punctuation.separator.comma": "`,`",
  "punctuation.terminator.statement": "`;`",
  "punctuation.accessor": "`.`",
};

import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BUILTIN_FUNCTIONS, BUILTIN_TYPES, BUILTIN_VALUES } from "../../stdlib/index.js";
import { createRegistry, grammarPath, onigLibrary, repoRoot } from "./textmate.js";

const require = createRequire(import.meta.url);
interface TestFailure {
  missing: string[];
  unexpected: string[];
  actual: string[];
  line: number;
  srcLine: number;
  start: number;
  end: number;
}
interface GrammarTestCase {
  source: string[];
  assertions: { scopeAssertions: { scopes: string[]; exclude: string[] }[] }[];
}
const runner = require("vscode-tmgrammar-test/dist/unit/index.js") as {
  parseGrammarTestCase(text: string): GrammarTestCase;
  runGrammarTestCase(registry: unknown, testCase: GrammarTestCase): Promise<TestFailure[]>;
};

const casesDir = join(repoRoot, "test", "vscode", "grammar");
const caseFiles = readdirSync(casesDir)
  .filter((f) => f.endsWith(".symbi"))
  .sort();
const grammarText = readFileSync(grammarPath, "utf8");

function describeFailures(file: string, failures: TestFailure[]): string {
  return failures
    .map(
      (f) =>
        `${file}:${f.line + 1} cols ${f.start}-${f.end}: missing [${f.missing.join(" ")}] unexpected [${f.unexpected.join(" ")}] actual [${f.actual.join(" ")}]`,
    )
    .join("\n");
}

test("grammar: valid JSON, scope source.symbiont, every #include resolves", () => {
  const g = JSON.parse(grammarText);
  assert.is(g.scopeName, "source.symbiont");
  assert.equal(g.fileTypes, ["symbi", "dsl"]);
  const missing: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if (k === "include" && typeof v === "string" && v.startsWith("#") && !(v.slice(1) in g.repository))
          missing.push(v);
        visit(v);
      }
    }
  };
  visit(g);
  assert.equal(missing, [], `unresolved includes: ${missing.join(", ")}`);
});

test("grammar: every regex compiles with oniguruma (the engine VS Code uses)", async () => {
  await onigLibrary();
  const onig = require("vscode-oniguruma") as { OnigScanner: new (p: string[]) => { dispose?(): void } };
  const g = JSON.parse(grammarText);
  const bad: string[] = [];
  let count = 0;
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}[${i}]`));
    if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if ((k === "match" || k === "begin" || k === "end") && typeof v === "string") {
          count++;
          try {
            new onig.OnigScanner([v]);
          } catch (err) {
            bad.push(`${path}.${k}: ${(err as Error).message}`);
          }
        } else visit(v, `${path}.${k}`);
      }
    }
  };
  visit(g, "grammar");
  assert.ok(count > 50, `only ${count} regexes found`);
  assert.equal(bad, []);
});

test("grammar: every documented scope is asserted by a test file (so, with the next test, produced)", () => {
  const asserted = new Set<string>();
  for (const file of caseFiles) {
    const tc = runner.parseGrammarTestCase(readFileSync(join(casesDir, file), "utf8"));
    for (const a of tc.assertions) for (const s of a.scopeAssertions) s.scopes.forEach((x) => asserted.add(x));
  }
  const unasserted = Object.keys(SCOPES).filter((scope) => !asserted.has(`${scope}.symbiont`));
  assert.equal(unasserted, [], `documented but never asserted: ${unasserted.join(", ")}`);
});

test("grammar: the built-in function, type and value names are exactly stdlib's", () => {
  const g = JSON.parse(grammarText);
  /** The `(?:a|b|c)` word list of the repository rule whose pattern assigns `scope`. */
  const wordsOf = (scope: string): string[] => {
    const found: string[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (node && typeof node === "object") {
        const rec = node as Record<string, unknown>;
        if (rec.name === `${scope}.symbiont` && typeof rec.match === "string") found.push(rec.match);
        Object.values(rec).forEach(visit);
      }
    };
    visit(g.repository);
    assert.is(found.length, 1, `expected one rule for ${scope}`);
    return /\(\?:([A-Za-z0-9_|]+)\)/.exec(found[0]!)![1]!.split("|").sort();
  };
  const primitives = ["String", "bool", "float", "int"];
  assert.equal(
    wordsOf("support.function.builtin"),
    [...BUILTIN_FUNCTIONS.keys()].sort(),
    "run `npm run grammar:sync` to update the grammar from stdlib",
  );
  assert.equal(wordsOf("support.constant.builtin"), [...BUILTIN_VALUES.keys()].sort(), "run `npm run grammar:sync`");
  assert.equal(wordsOf("support.type.primitive"), primitives);
  assert.equal(
    wordsOf("support.type.builtin"),
    [...BUILTIN_TYPES.keys()].filter((t) => !primitives.includes(t)).sort(),
    "run `npm run grammar:sync`",
  );
});

test("grammar test files: all assertions hold (vscode-tmgrammar-test)", async () => {
  assert.ok(caseFiles.length >= 6, `expected the annotated test files, found ${caseFiles.join(", ")}`);
  const registry = createRegistry();
  let assertions = 0;
  const report: string[] = [];
  for (const file of caseFiles) {
    const tc = runner.parseGrammarTestCase(readFileSync(join(casesDir, file), "utf8"));
    const count = tc.assertions.reduce((n, a) => n + a.scopeAssertions.length, 0);
    assert.ok(count >= 10, `${file} has only ${count} assertions`);
    assertions += count;
    const failures = await runner.runGrammarTestCase(registry, tc);
    if (failures.length) report.push(describeFailures(file, failures));
  }
  assert.ok(assertions >= 250, `only ${assertions} assertions in total`);
  assert.is(report.join("\n"), "");
});

test("grammar test runner: a wrong assertion is reported (the check can fail)", async () => {
  const tc = runner.parseGrammarTestCase(
    [
      '// SYNTAX TEST "source.symbiont" "must fail"',
      "let type = 2;",
      "//  ^^^^ storage.type.type.symbiont",
      "//  ^^^^ - storage.type.type.symbiont",
    ].join("\n"),
  );
  const failures = await runner.runGrammarTestCase(createRegistry(), tc);
  assert.is(failures.length, 1);
  assert.equal(failures[0]!.missing, ["storage.type.type.symbiont"]);
});

test("grammar test runner CLI: the documented command passes", () => {
  const cli = join(require.resolve("vscode-tmgrammar-test/package.json"), "..", "dist", "unit.js");
  const r = spawnSync(
    process.execPath,
    [cli, "-c", "-g", "grammar/symbiont.tmLanguage.json", "test/vscode/grammar/*.symbi"],
    {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  for (const file of caseFiles) assert.ok(r.stdout.includes(file), `${file} not run by the CLI:\n${r.stdout}`);
});

test.run();
