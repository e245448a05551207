/**
 * `symbic test` on cases that fail on purpose (fixtures/shop/failing.test.toml): each failure
 * is reported at the case's (or the row's) file:line:col with the expected and the actual
 * decision and the DSL rules that decided, in every output format; exit 2. The JUnit XML is
 * validated against an XML Schema of the JUnit format (junit.xsd beside this file).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateXML } from "xmllint-wasm";
import { runTests } from "../../testing/run.js";
import { githubTestReport, jsonTestReport, junitTestReport, prettyTestReport } from "../../testing/report.js";
import { runCli } from "../helpers/cli.js";
import { SHOP, shown } from "./helpers.js";

const FAILING = join(SHOP, "failing.test.toml");
const XSD = readFileSync(join(import.meta.dirname, "junit.xsd"), "utf8");

async function junitProblems(xml: string): Promise<string[]> {
  const r = await validateXML({
    xml: [{ fileName: "report.xml", contents: xml }],
    schema: [{ fileName: "junit.xsd", contents: XSD }],
  });
  return r.valid ? [] : r.errors.map((e) => e.rawMessage);
}

const run = await runTests([FAILING]);
const file = shown(FAILING);
const agentFile = shown(join(SHOP, "agent.symbi"));

test("failures carry the case's place, the expected and actual decision, and the deciding rules with DSL file:line", () => {
  assert.equal(run.diagnostics, []);
  assert.is(run.results.length, 5, "4 cases, one of them with two rows");
  const failed = run.results.filter((r) => !r.passed);
  assert.equal(
    failed.map((r) => `${r.file}:${r.line}:${r.col} ${r.name}`),
    [
      `${file}:13:1 wrong outcome`,
      `${file}:25:3 rows, the second one fails [order = "A-1", amount = 500]`,
      `${file}:28:1 right outcome, wrong rule`,
    ],
  );
  const [outcome, row, rule] = failed as [(typeof failed)[0], (typeof failed)[0], (typeof failed)[0]];
  assert.is(outcome.expected, "allow");
  assert.is(outcome.actual, `deny by shop.lookups.1 (${agentFile}:20:9)`);
  assert.equal(
    outcome.decidedBy.map((r) => [r.id, r.location, r.text]),
    [["shop.lookups.1", `${agentFile}:20:9`, 'deny: lookup(order) if order == "Z-1"']],
  );
  assert.ok(
    outcome.details.some((d) => d.includes(`shop.lookups.0  ${agentFile}:19:9  allow`)),
    "the allow that matched too is listed",
  );
  assert.is(row.actual, "deny by default-deny");
  assert.ok(
    row.details.some((d) => d.includes("shop.refunds.0") && d.includes("`amount <= 100`") && d.includes("is false")),
    "a default deny says which guard term kept each allow from matching",
  );
  assert.is(rule.expected, "allow by exactly shop.refunds.1");
  assert.ok(rule.actual.startsWith(`allow by shop.refunds.0 (${agentFile}:12:9), shop.refunds.1`));
});

test("pretty: FAIL lines with file:line:col, and the summary line", () => {
  const text = prettyTestReport(run, { color: false, coverageTable: false, verbose: false });
  assert.ok(text.includes(`FAIL ${file}:13:1  wrong outcome\n  expected: allow\n  actual:   deny by shop.lookups.1`));
  assert.ok(text.trimEnd().endsWith("2 passed, 3 failed"));
  assert.not.ok(text.includes("passes"), "passing cases are listed only with --verbose");
});

test("json: one document with every result and the coverage", () => {
  const doc = JSON.parse(jsonTestReport(run));
  assert.is(doc.format, "symbic-test/v1");
  assert.is(doc.passed, 2);
  assert.is(doc.failed, 3);
  assert.is(doc.results[1].line, 13);
  assert.is(doc.coverage.total, 7);
});

test("github: one ::error annotation per failure at the case, uncovered rules as notices", () => {
  const lines = githubTestReport(run).trimEnd().split("\n");
  const errors = lines.filter((l) => l.startsWith("::error "));
  assert.is(errors.length, 3);
  assert.ok(
    errors[0]!.startsWith(
      `::error file=${file},line=13,col=1,title=symbic test%3A wrong outcome::expected allow%0Aactual deny`,
    ),
  );
  assert.ok(lines.some((l) => l.startsWith(`::notice file=${agentFile},line=14,col=9,`)));
  assert.is(lines.at(-1), "2 passed, 3 failed");
});

test("junit: valid against the JUnit schema, failures with their message and place", async () => {
  const xml = junitTestReport(run);
  assert.equal(await junitProblems(xml), []);
  assert.ok(xml.includes('<testsuite name="' + file + '" tests="5" failures="3" errors="0" skipped="0"'));
  assert.ok(xml.includes(`line="25"`));
  assert.ok(xml.includes('<failure message="expected allow, got deny by shop.lookups.1'));
});

test("junit: the schema check can fail (a report without its counts is refused)", async () => {
  const bad = junitTestReport(run).replace(/ tests="\d+"/, "");
  assert.ok((await junitProblems(bad)).length > 0);
});

test("junit: names with XML metacharacters are escaped, and the document still validates", async () => {
  const odd = {
    ...run,
    results: run.results.map((r) => ({ ...r, name: `${r.name} <&"'>`, details: [...r.details, "]]> <x/>"] })),
  };
  const xml = junitTestReport(odd);
  assert.equal(await junitProblems(xml), []);
  assert.ok(xml.includes("&lt;&amp;&quot;"));
});

test("the CLI exits 2 when a case fails, and prints the failure on stdout", () => {
  const r = runCli("symbic", ["test", "test/testing/fixtures/shop/failing.test.toml"]);
  assert.is(r.status, 2, r.stderr);
  assert.ok(r.stdout.includes("FAIL test/testing/fixtures/shop/failing.test.toml:13:1  wrong outcome"), r.stdout);
});

test.run();
