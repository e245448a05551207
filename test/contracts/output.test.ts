/** Output parsing per format, schema warnings and the evidence envelope. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { parseToolOutput, MAX_OUTPUT_CHARS } from "../../runtime/tools/output.js";
import { loadContracts } from "../../compiler/contracts/load.js";
import type { ToolContract } from "../../compiler/contracts/model.js";
import { contractText, parseClean, REFERENCE_PROJECT, referenceTest } from "./helpers.js";

function withOutput(output: string): ToolContract {
  return parseClean(contractText({ output }));
}

const run = { argv: ["t", "x"], exitCode: 0, durationMs: 12.4 };

test("json: parsed document, validated against the schema", () => {
  const c = withOutput(
    '[output]\nformat = "json"\nenvelope = false\n\n[output.schema]\ntype = "object"\nrequired = ["n"]\n\n[output.schema.properties.n]\ntype = "integer"',
  );
  const good = parseToolOutput(c, '{"n": 3}');
  assert.ok(good.ok);
  assert.equal(good.value, { n: 3 });
  assert.equal(good.schemaWarnings, []);
  assert.is(good.envelope, undefined);
  const warned = parseToolOutput(c, '{"n": "three"}');
  assert.ok(warned.ok, "schema violations are warnings, not failures");
  assert.equal(warned.schemaWarnings, ["/n must be integer"]);
  const missing = parseToolOutput(c, "{}");
  assert.equal(missing.schemaWarnings, ["(root) must have required property 'n'"]);
  const broken = parseToolOutput(c, "{nope");
  assert.not.ok(broken.ok);
  assert.ok(broken.error!.startsWith("invalid JSON output"));
  assert.equal(broken.results, { raw_output: "{nope" });
  assert.not.ok(parseToolOutput(c, "  \n").ok);
});

test("jsonl: one element per non-blank line; a bad line is named", () => {
  const c = withOutput('[output]\nformat = "jsonl"\nenvelope = false\n\n[output.schema]\ntype = "array"');
  assert.equal(parseToolOutput(c, '{"a":1}\n\n{"a":2}\r\n').value, [{ a: 1 }, { a: 2 }]);
  const bad = parseToolOutput(c, '{"a":1}\n{oops}\n');
  assert.not.ok(bad.ok);
  assert.ok(bad.error!.includes("line 2"));
});

test("csv: header row, quoted fields, type inference, delimiter detection", () => {
  const c = withOutput('[output]\nformat = "csv"\nenvelope = false\n\n[output.schema]\ntype = "array"');
  assert.equal(parseToolOutput(c, 'host,port,open,note\n"a, b",22,true,"say ""hi"""\nc,8.5,false,\n').value, [
    { host: "a, b", port: 22, open: true, note: 'say "hi"' },
    { host: "c", port: 8.5, open: false, note: "" },
  ]);
  assert.equal(parseToolOutput(c, "a\tb\n1\tx y\n").value, [{ a: 1, b: "x y" }]);
  assert.equal(parseToolOutput(c, "a|b\n1|2\n").value, [{ a: 1, b: 2 }]);
  const bad = parseToolOutput(c, 'a,b\n"unterminated,1\n');
  assert.not.ok(bad.ok);
  assert.ok(bad.error!.startsWith("invalid CSV output"));
});

test("xml: attributes as @name, repeated elements as arrays, invalid XML is an error", () => {
  const c = withOutput('[output]\nformat = "xml"\nenvelope = false\n\n[output.schema]\ntype = "object"');
  const xml =
    '<?xml version="1.0"?><nmaprun scanner="nmap"><host><address addr="10.0.0.1"/></host><host><address addr="10.0.0.2"/></host></nmaprun>';
  assert.equal(parseToolOutput(c, xml).value, {
    nmaprun: { host: [{ address: { "@addr": "10.0.0.1" } }, { address: { "@addr": "10.0.0.2" } }], "@scanner": "nmap" },
  });
  const bad = parseToolOutput(c, "<a><b></a>");
  assert.not.ok(bad.ok);
  assert.ok(bad.error!.startsWith("invalid XML output"));
});

referenceTest("text: raw output", () => {
  const c = loadContracts(REFERENCE_PROJECT).contracts.get("whois_lookup")!;
  const r = parseToolOutput(c, "Domain Name: EXAMPLE.COM\n", run);
  assert.ok(r.ok);
  assert.equal(r.results, { raw_output: "Domain Name: EXAMPLE.COM\n" });
  assert.equal(r.schemaWarnings, []);
});

referenceTest("envelope: status, tool, argv, duration, exit code, sha256 output hash, results, warnings", () => {
  const c = loadContracts(REFERENCE_PROJECT).contracts.get("submit_triage")!;
  const stdout = '{"routing_queue":"billing","escalated":false}';
  const r = parseToolOutput(c, stdout, run);
  assert.equal(r.value, {
    status: "success",
    tool: "submit_triage",
    argv: ["t", "x"],
    duration_ms: 12,
    exit_code: 0,
    output_hash: `sha256:${createHash("sha256").update(stdout).digest("hex")}`,
    results: { routing_queue: "billing", escalated: false },
    schema_warnings: [],
  });
  assert.is(r.envelope, r.value);
  const warned = parseToolOutput(c, '{"escalated":"yes"}', run);
  assert.equal(warned.envelope!.schema_warnings, ["/escalated must be boolean"]);
  assert.is(warned.envelope!.status, "success");
});

referenceTest("a non-zero exit code is an error whose results are the raw output", () => {
  const c = loadContracts(REFERENCE_PROJECT).contracts.get("submit_triage")!;
  const r = parseToolOutput(c, "partial", { ...run, exitCode: 2, stderr: "line1\nboom\n" });
  assert.not.ok(r.ok);
  assert.is(r.envelope!.status, "error");
  assert.is(r.envelope!.exit_code, 2);
  assert.is(r.envelope!.error, "`submit_triage` exited with code 2: line1\nboom");
  assert.equal(r.envelope!.results, { raw_output: "partial" });
});

test("oversized output is refused", () => {
  const c = withOutput('[output]\nformat = "text"\nenvelope = false\n\n[output.schema]\ntype = "object"');
  const r = parseToolOutput(c, "x".repeat(MAX_OUTPUT_CHARS + 1));
  assert.not.ok(r.ok);
  assert.ok(r.error!.includes("exceeds"));
});

test.run();
