/**
 * The reference's five contracts (read from the shared corpus, skipped visibly where absent) load
 * without any diagnostic, produce the model the checker and emitters need, and build the argv
 * the reference would run.
 */

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadContracts } from "../../compiler/contracts/load.js";
import { returnSchema, argValueKind } from "../../compiler/contracts/signature.js";
import { validateToolArgs, type ValidatedArgs } from "../../runtime/tools/validate.js";
import { buildArgv, buildCommand } from "../../runtime/tools/argv.js";
import type { ToolContract } from "../../compiler/contracts/model.js";
import { REFERENCE_PROJECT, describe, lineOf, referenceTest } from "./helpers.js";

const loaded = loadContracts(REFERENCE_PROJECT);
if (loaded.contracts.size === 0) console.log("  reference contract tests skipped: the shared corpus is absent");
const get = (name: string): ToolContract => {
  const c = loaded.contracts.get(name);
  if (!c) throw new Error(`contract ${name} not loaded`);
  return c;
};

function validArgs(c: ToolContract, values: Record<string, unknown>): ValidatedArgs {
  const r = validateToolArgs(c, values);
  if (!r.ok) throw new Error(`rejected: ${JSON.stringify(r.errors)}`);
  return r.args;
}

referenceTest("all five reference contracts load with zero diagnostics", () => {
  assert.is(loaded.diagnostics.length, 0, describe(loaded.diagnostics));
  assert.equal([...loaded.contracts.keys()].sort(), [
    "curl_fetch",
    "dig_lookup",
    "nmap_scan",
    "submit_triage",
    "whois_lookup",
  ]);
  for (const c of loaded.contracts.values()) assert.ok(c.valid, c.name);
});

referenceTest("nmap_scan model: tool metadata, ordered args, command pieces, output", () => {
  const c = get("nmap_scan");
  assert.is(c.binary, "nmap");
  assert.is(c.version, "1.0.0");
  assert.is(c.description, "Network port scanning and service detection");
  assert.is(c.mode, "oneshot");
  assert.is(c.timeoutSeconds, 600);
  assert.is(c.riskTier, "low");
  assert.is(c.humanApproval, false);
  assert.equal(c.cedar, { resource: "Tool::NmapScan", action: "execute_tool" });
  assert.equal(c.evidence, { outputDir: "{evidence_dir}/{scan_id}-nmap", capture: true, hash: "sha256" });
  assert.equal(
    c.args.map((a) => [a.position, a.name, a.type, a.baseType, a.required]),
    [
      [1, "target", "scope_target", "scope_target", true],
      [2, "scan_type", "enum", "enum", true],
      [3, "extra_flags", "string", "string", false],
    ],
  );
  assert.equal(c.args[1]!.allowed, ["ping", "service", "version", "syn", "os_detect", "aggressive", "vuln_script"]);
  assert.is(c.args[2]!.default, "");
  assert.equal(c.command.defaults, { max_rate: 1000 });
  assert.is(c.command.mappings.scan_type!.ping, "-sn -PE");
  assert.is(c.output.format, "xml");
  assert.is(c.output.envelope, true);
  assert.is((c.output.schema as { type: string }).type, "object");
  assert.equal(c.sandbox, { mounts: [], network: [] });
});

referenceTest("spans point at the tool name and argument headers (go-to-definition)", () => {
  const c = get("nmap_scan");
  const text = readFileSync(join(REFERENCE_PROJECT, "tools", "nmap_scan.clad.toml"), "utf8");
  assert.is(c.spans.name.line, lineOf(text, 'name = "nmap_scan"'));
  assert.is(text.slice(c.spans.name.start, c.spans.name.end), '"nmap_scan"');
  assert.is(text.slice(c.spans.tool.start, c.spans.tool.end), "[tool]");
  assert.is(text.slice(c.args[1]!.span.start, c.args[1]!.span.end), "[args.scan_type]");
  assert.is(c.spans.outputSchema?.line, lineOf(text, "[output.schema]"));
});

referenceTest("submit_triage: feeds_decision enums, no cedar table, json output", () => {
  const c = get("submit_triage");
  assert.is(c.cedar, undefined);
  assert.equal(
    c.args.filter((a) => a.feedsDecision).map((a) => a.name),
    ["category", "severity"],
  );
  assert.is(c.output.format, "json");
  assert.is(c.output.envelope, true);
});

referenceTest("curl_fetch: url schemes, conditional parsed", () => {
  const c = get("curl_fetch");
  assert.equal(c.args[0]!.schemes, ["http", "https"]);
  assert.is(c.args[0]!.scopeCheck, true);
  assert.equal(
    c.command.conditionals.map((x) => [x.name, x.when, x.template]),
    [["header_flags", "headers != ''", "-H '{headers}'"]],
  );
});

referenceTest("argv: whois_lookup", () => {
  const c = get("whois_lookup");
  assert.equal(buildArgv(c, validArgs(c, { target: "example.com" })), ["whois", "example.com"]);
});

referenceTest("argv: dig_lookup with the default record type and an explicit one", () => {
  const c = get("dig_lookup");
  assert.equal(buildArgv(c, validArgs(c, { target: "example.com" })), ["dig", "+short", "example.com", "A"]);
  assert.equal(buildArgv(c, validArgs(c, { target: "2001:db8::1", record_type: "PTR" })), [
    "dig",
    "+short",
    "2001:db8::1",
    "PTR",
  ]);
});

referenceTest("argv: nmap_scan expands the scan_type mapping, the max_rate default and the output file", () => {
  const c = get("nmap_scan");
  const built = buildCommand(c, validArgs(c, { target: "10.0.1.0/24", scan_type: "os_detect" }), {
    scanId: "42",
    evidenceDir: "/ev",
  });
  assert.equal(built.argv, [
    "nmap",
    "-sS",
    "-O",
    "--osscan-guess",
    "--max-rate",
    "1000",
    "-oX",
    "/ev/42-output",
    "--no-stylesheet",
    "-v",
    "10.0.1.0/24",
  ]);
  assert.is(built.outputFile, "/ev/42-output");
  assert.is(built.scanId, "42");
  const withFlags = buildArgv(c, validArgs(c, { target: "scanme.example.org", scan_type: "ping", extra_flags: "T4" }), {
    scanId: "1",
  });
  assert.equal(withFlags, [
    "nmap",
    "-sn",
    "-PE",
    "--max-rate",
    "1000",
    "-oX",
    "/tmp/evidence/1-output",
    "--no-stylesheet",
    "-v",
    "T4",
    "scanme.example.org",
  ]);
});

referenceTest("argv: curl_fetch keeps the -w format as one word and adds -H only when headers are given", () => {
  const c = get("curl_fetch");
  assert.equal(buildArgv(c, validArgs(c, { url: "https://example.com/a" })), [
    "curl",
    "-s",
    "-S",
    "-X",
    "GET",
    "--max-time",
    "25",
    "-w",
    "\\n%{http_code}",
    "https://example.com/a",
  ]);
  assert.equal(
    buildArgv(c, validArgs(c, { url: "http://example.com", method: "HEAD", headers: "Accept: text/plain" })),
    [
      "curl",
      "-s",
      "-S",
      "-X",
      "HEAD",
      "--max-time",
      "25",
      "-w",
      "\\n%{http_code}",
      "-H",
      "Accept: text/plain",
      "http://example.com/",
    ],
  );
});

referenceTest("argv: submit_triage passes only the typed decision args", () => {
  const c = get("submit_triage");
  assert.equal(
    buildArgv(c, validArgs(c, { category: "infra", severity: "critical", rationale: "disk full on db-3" })),
    ["submit_triage", "infra", "critical"],
  );
});

referenceTest("signature helpers: argument value kinds and the enveloped return schema", () => {
  assert.is(argValueKind("port"), "integer");
  assert.is(argValueKind("duration"), "integer");
  assert.is(argValueKind("boolean"), "boolean");
  assert.is(argValueKind("scope_target"), "string");
  const s = returnSchema(get("submit_triage")) as { properties: Record<string, unknown>; required: string[] };
  assert.ok(s.required.includes("results"));
  assert.equal((s.properties.results as { properties: Record<string, unknown> }).properties.escalated, {
    type: "boolean",
    description: "True when the grounded Cedar policy permitted exec_escalation",
  });
});

test.run();
