/** Loading a project: toolclad.toml custom types, tools/*.clad.toml, determinism, sandbox extension. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadContracts, loadContractSources, contractFiles } from "../../compiler/contracts/load.js";
import { parseCustomTypes } from "../../compiler/contracts/custom-types.js";
import { validateToolArgs } from "../../runtime/tools/validate.js";
import { contractText, describe, lineOf, parseClean, parse } from "./helpers.js";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "symbi-project-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const TOOLCLAD = `[types.severity_level]
base = "enum"
allowed = ["info", "low", "high"]

[types.scan_rate]
base = "integer"
min = 1
max = 10000

[types.hostname]
base = "string"
pattern = "^[a-z0-9.-]+$"
description = "A DNS host name"
`;

test("custom types from toolclad.toml resolve to their base type and constraints", () => {
  const dir = project({
    "toolclad.toml": TOOLCLAD,
    "tools/t.clad.toml": contractText({
      args: '[args.sev]\nposition = 1\ntype = "severity_level"\n\n[args.rate]\nposition = 2\ntype = "scan_rate"\nmax = 100\ndefault = 10\n\n[args.host]\nposition = 3\ntype = "hostname"',
      command: '[command]\ntemplate = "t {sev} {rate} {host}"',
    }),
  });
  try {
    const r = loadContracts(dir);
    assert.is(r.diagnostics.length, 0, describe(r.diagnostics));
    assert.equal([...r.customTypes.keys()], ["severity_level", "scan_rate", "hostname"]);
    const c = r.contracts.get("t")!;
    const [sev, rate, host] = c.args;
    assert.equal([sev!.type, sev!.baseType, sev!.allowed], ["severity_level", "enum", ["info", "low", "high"]]);
    assert.equal([rate!.baseType, rate!.min, rate!.max], ["integer", 1, 100], "arg keys override the custom type's");
    assert.equal([host!.baseType, host!.pattern, host!.description], ["string", "^[a-z0-9.-]+$", "A DNS host name"]);
    assert.ok(validateToolArgs(c, { sev: "high", host: "a.example" }).ok);
    assert.not.ok(validateToolArgs(c, { sev: "critical", host: "a.example" }).ok);
    assert.not.ok(validateToolArgs(c, { sev: "low", host: "A.EXAMPLE" }).ok);
    assert.not.ok(validateToolArgs(c, { sev: "low", host: "a", rate: 500 }).ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without toolclad.toml a custom type name is an unknown type", () => {
  const r = parse(
    contractText({
      args: '[args.sev]\nposition = 1\ntype = "severity_level"',
      command: '[command]\ntemplate = "t {sev}"',
    }),
  );
  assert.ok(r.diagnostics.some((d) => d.code === "E0505"));
});

test("toolclad.toml problems are located in toolclad.toml", () => {
  const r = parseCustomTypes(
    '[types.x]\nbase = "enum"\n\n[types.string]\nbase = "string"\n\n[types.y]\nbase = "integer"\nmin = 5\nmax = 1\nextra = 1\n',
    "toolclad.toml",
  );
  const got = r.diagnostics.map((d) => `${d.code}@${d.span.line}`).sort();
  assert.equal(got, ["E0503@4", "E0508@1", "E0521@10", "W0500@11"]);
  assert.ok(r.diagnostics.every((d) => d.file === "toolclad.toml"));
  assert.equal([...r.types.keys()], ["x", "y"]);
});

test("contract files load in name order, ignoring other files; a missing tools/ is no error", () => {
  const dir = project({
    "tools/b.clad.toml": contractText({ tool: ['name = "b"', 'binary = "t"', 'description = "d"'] }),
    "tools/a.clad.toml": contractText({ tool: ['name = "a"', 'binary = "t"', 'description = "d"'] }),
    "tools/notes.toml": "not a contract",
    "tools/README.md": "#",
  });
  try {
    assert.equal(
      contractFiles(dir).map((f) => f.slice(dir.length)),
      ["/tools/a.clad.toml", "/tools/b.clad.toml"],
    );
    const r = loadContracts(dir);
    assert.equal([...r.contracts.keys()], ["a", "b"]);
    assert.is(r.diagnostics.length, 0, describe(r.diagnostics));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const empty = mkdtempSync(join(tmpdir(), "symbi-empty-"));
  try {
    const r = loadContracts(empty);
    assert.is(r.contracts.size, 0);
    assert.is(r.diagnostics.length, 0);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("duplicate names: the second is reported with the first as related info and marked invalid", () => {
  const r = loadContractSources([
    { file: "tools/t.clad.toml", text: contractText() },
    { file: "tools/t2.clad.toml", text: contractText() },
  ]);
  const dup = r.diagnostics.find((d) => d.code === "E0504")!;
  assert.is(dup.file, "tools/t2.clad.toml");
  assert.equal(
    dup.related?.map((x) => [x.file, x.span.line]),
    [["tools/t.clad.toml", 2]],
  );
  assert.is(r.contracts.get("t")!.file, "tools/t.clad.toml");
});

test("diagnostics are sorted by file and position", () => {
  const r = loadContractSources([
    { file: "tools/b.clad.toml", text: contractText({ tool: ['name = "b"', 'binary = "t"'] }) },
    {
      file: "tools/a.clad.toml",
      text: contractText({
        tool: ['name = "a"', 'binary = "t"', 'description = "d"', 'risk_tier = "x"', "timeout_seconds = 0"],
      }),
    },
  ]);
  assert.equal(
    r.diagnostics.map((d) => `${d.file}:${d.span.line}:${d.code}`),
    ["tools/a.clad.toml:5:E0516", "tools/a.clad.toml:6:E0515", "tools/b.clad.toml:1:W0506"],
  );
});

test("[tool.sandbox]: image, user, workdir, read-only mounts, network allowlist", () => {
  const c = parseClean(
    contractText({
      extra:
        '[tool.sandbox]\nimage = "symbi/tools:1.2"\nuser = "65100:65100"\nworkdir = "/work"\nmounts = ["/srv/lists", "/data/in:/in"]\nnetwork = ["example.com:443", "10.0.0.1:53", "[2001:db8::1]:8443"]',
    }),
  );
  assert.equal(c.sandbox, {
    image: "symbi/tools:1.2",
    user: "65100:65100",
    workdir: "/work",
    mounts: [
      { source: "/srv/lists", target: "/srv/lists", readOnly: true },
      { source: "/data/in", target: "/in", readOnly: true },
    ],
    network: [
      { host: "example.com", port: 443 },
      { host: "10.0.0.1", port: 53 },
      { host: "2001:db8::1", port: 8443 },
    ],
  });
  const bad = parse(
    contractText({
      extra:
        '[tool.sandbox]\nuser = "0:0"\nworkdir = "rel"\nmounts = ["/a/../b"]\nnetwork = ["h:70000", "bad host:1"]\nprivileged = true',
    }),
  );
  assert.equal(bad.diagnostics.map((d) => d.code).sort(), ["E0522", "E0522", "E0522", "E0522", "E0522", "W0500"]);
  assert.ok(bad.diagnostics.some((d) => d.code === "W0500" && d.message.includes("privileged")));
});

test("item 1: uid/gid that wrap to root or pick a privileged group are check errors at the user value", () => {
  for (const [user, why] of [
    ["4294967295:1000", "uid 4294967295 is outside the sandbox range 65000-65534"],
    ["1000:4294967295", "uid 1000 is outside the sandbox range 65000-65534"],
    ["65534:4294967295", "gid 4294967295 is outside the sandbox range 65000-65534"],
    ["65534:106", "gid 106 is outside the sandbox range 65000-65534"],
    ["65534:42", "gid 42 is outside the sandbox range 65000-65534"],
    ["nobody", 'must be a numeric "uid:gid"'],
  ] as const) {
    const text = contractText({ extra: `[tool.sandbox]\nuser = "${user}"` });
    const r = parse(text);
    const d = r.diagnostics.find((x) => x.code === "E0522");
    assert.ok(d, `${user}: no E0522`);
    assert.ok(d!.message.startsWith(why), d!.message);
    assert.is(d!.span.line, lineOf(text, "user = "));
    assert.is(d!.span.col, 8);
    assert.is(r.contract?.sandbox.user, undefined);
  }
  assert.equal(parseClean(contractText({ extra: '[tool.sandbox]\nuser = "65000:65534"' })).sandbox.user, "65000:65534");
});

test("other ToolClad keys the reference uses are accepted silently", () => {
  const c = parseClean(
    contractText({
      tool: [
        'name = "t"',
        'binary = "t"',
        'description = "d"',
        'version = "2.0"',
        'mode = "oneshot"',
        "human_approval = true",
        'risk_tier = "high"',
        'dispatch = "exec"',
      ],
      args: '[args.x]\nposition = 1\ntype = "url"\nschemes = ["https"]\nscope_check = true\nsanitize = ["injection"]\ndescription = "u"',
      output:
        '[output]\nformat = "json"\nparser = "builtin:json"\nenvelope = false\n\n[output.schema]\ntype = "object"',
    }),
  );
  assert.equal([c.version, c.humanApproval, c.riskTier, c.output.envelope], ["2.0", true, "high", false]);
});

test("parser = builtin:<format> alone sets the format", () => {
  const c = parseClean(contractText({ output: '[output]\nparser = "builtin:csv"\n\n[output.schema]\ntype = "array"' }));
  assert.is(c.output.format, "csv");
});

test.run();
