/**
 * One negative test per contract diagnostic code: each asserts the code, the line (and where it
 * matters the column) and the message.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractsCodes } from "../../compiler/diagnostics/codes/contracts.js";
import { loadContracts, loadContractSources } from "../../compiler/contracts/load.js";
import { parseCustomTypes } from "../../compiler/contracts/custom-types.js";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { contractText, lineOf, parse, describe } from "./helpers.js";

interface Case {
  code: string;
  /** Contract text (parsed as tools/t.clad.toml unless `file` says otherwise). */
  text?: string;
  file?: string;
  /** Custom diagnostics producer (for codes that need several files or the file system). */
  run?: () => Diagnostic[];
  /** Expected line: a number, or the text of the line (its first occurrence, or the n-th). */
  line: number | string | [string, number];
  col?: number;
  message: string;
}

const mappedEnum = `[args.mode]
position = 1
type = "enum"
allowed = ["fast", "slow"]
description = "m"`;

const cases: Case[] = [
  { code: "E0500", text: '[tool]\nname = "t"\nbinary = \n', line: 3, col: 10, message: "invalid TOML: invalid value" },
  { code: "E0500", text: '[tool]\nname = "t"\n[tool]\n', line: 3, message: "invalid TOML" },
  {
    code: "E0501",
    text: contractText({ tool: ['binary = "t"', 'description = "d"'] }),
    line: 1,
    col: 1,
    message: "`[tool]` needs a `name`",
  },
  {
    code: "E0501",
    text: contractText({ args: '[args.x]\nposition = 1\ndescription = "x"' }),
    line: "[args.x]",
    message: "argument `x` needs a `type`",
  },
  {
    code: "E0501",
    text: contractText({ tool: ['name = "t"', 'description = "d"'] }),
    line: 1,
    message: "needs a `binary`",
  },
  { code: "E0501", text: "", line: 1, message: "no `[tool]` section" },
  {
    code: "E0502",
    text: contractText({ tool: ['name = "t"', 'binary = "t"', 'description = "d"', 'timeout_seconds = "30"'] }),
    line: "timeout_seconds",
    col: 19,
    message: "`tool.timeout_seconds` must be a number, found a string",
  },
  {
    code: "E0502",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "string"\nrequired = "yes"' }),
    line: "required",
    message: "`args.x.required` must be a boolean",
  },
  {
    code: "E0502",
    text: contractText({ args: '[args.x]\nposition = 0\ntype = "string"' }),
    line: "position = 0",
    message: "`position` must be 1 or more",
  },
  {
    code: "E0503",
    text: contractText({ tool: ['name = "bad-name"', 'binary = "t"', 'description = "d"'] }),
    file: "tools/bad-name.clad.toml",
    line: 2,
    col: 8,
    message: 'tool name "bad-name" is not an identifier',
  },
  {
    code: "E0503",
    text: contractText({ args: '[args.2x]\nposition = 1\ntype = "string"', command: '[command]\ntemplate = "t"' }),
    line: "[args.2x]",
    message: "argument name `2x` is not an identifier",
  },
  {
    code: "E0504",
    run: () =>
      loadContractSources([
        { file: "tools/t.clad.toml", text: contractText() },
        { file: "tools/u.clad.toml", text: contractText() },
      ]).diagnostics,
    line: 2,
    col: 8,
    message: "tool `t` is already declared in tools/t.clad.toml",
  },
  {
    code: "E0505",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "strng"' }),
    line: 'type = "strng"',
    col: 8,
    message: "unknown argument type `strng`",
  },
  {
    code: "E0505",
    run: () => parseCustomTypes('[types.host]\nbase = "hostnme"\n', "toolclad.toml").diagnostics,
    line: 2,
    message: "unknown base type `hostnme` for custom type `host`",
  },
  {
    code: "E0506",
    text: contractText({
      args: '[args.x]\nposition = 1\ntype = "string"\n\n[args.y]\nposition = 1\ntype = "string"',
      command: '[command]\ntemplate = "t {x} {y}"',
    }),
    line: ["position = 1", 2],
    message: "arguments `x` and `y` both have position 1",
  },
  {
    code: "E0507",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "string"\nrequired = true\ndefault = "a"' }),
    line: "required = true",
    message: "argument `x` is required but has a default",
  },
  {
    code: "E0508",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "enum"' }),
    line: "[args.x]",
    message: "`enum` argument needs an `allowed` list",
  },
  {
    code: "E0508",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "regex_match"' }),
    line: "[args.x]",
    message: "`regex_match` argument needs a `pattern`",
  },
  {
    code: "E0509",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "string"\npattern = "([a-z"' }),
    line: "pattern",
    message: "invalid pattern",
  },
  {
    code: "E0510",
    text: contractText({ command: '[command]\ntemplate = "t {x} {y}"' }),
    line: "template",
    col: 19,
    message: "unknown placeholder `{y}` in command",
  },
  {
    code: "E0510",
    text: contractText({
      command:
        '[command]\ntemplate = "t {_v}"\n\n[command.conditionals]\nv = { when = "verbose != \'\'", template = "-v" }',
    }),
    line: "when",
    col: 15,
    message: "unknown name `verbose` in the condition of `v`",
  },
  {
    code: "E0511",
    text: contractText({ command: '[command]\ntemplate = "t {_x_flags}"\n\n[command.mappings.x]\na = "-a"' }),
    line: "[command.mappings.x]",
    message: "mapping for `x`, which is a `string`, not an `enum`",
  },
  {
    code: "E0511",
    text: contractText({ command: '[command]\ntemplate = "t {x}"\n\n[command.mappings.nope]\na = "-a"' }),
    line: "[command.mappings.nope]",
    message: "mapping for unknown argument `nope`",
  },
  {
    code: "E0512",
    text: contractText({
      args: mappedEnum,
      command:
        '[command]\ntemplate = "t {_mode_flags}"\n\n[command.mappings.mode]\nfast = "-F"\nslow = "-S"\nturbo = "-T"',
    }),
    line: "turbo",
    col: 1,
    message: 'mapping for "turbo", which is not an allowed value of `mode`',
  },
  {
    code: "E0513",
    text: contractText({
      command: '[command]\ntemplate = "t {_v}"\n\n[command.conditionals]\nv = { when = "x == ", template = "-v" }',
    }),
    line: "when",
    col: 20,
    message: "invalid condition: expected a name or a value, found the end of the condition",
  },
  {
    code: "E0514",
    text: contractText({ output: '[output]\nformat = "json"\n\n[output.schema]\ntype = "strng"' }),
    line: 'type = "strng"',
    message: "invalid output schema: `type` must be equal to one of the allowed values",
  },
  {
    code: "E0514",
    text: contractText({
      output:
        '[output]\nformat = "json"\n\n[output.schema]\ntype = "object"\n\n[output.schema.properties.a]\ntpye = "string"',
    }),
    line: "tpye",
    message: 'unknown keyword: "tpye"',
  },
  {
    code: "E0515",
    text: contractText({ tool: ['name = "t"', 'binary = "t"', 'description = "d"', "timeout_seconds = 0"] }),
    line: "timeout_seconds",
    col: 19,
    message: "`timeout_seconds` must be a positive integer, found 0",
  },
  {
    code: "E0515",
    text: contractText({ tool: ['name = "t"', 'binary = "t"', 'description = "d"', "timeout_seconds = -5"] }),
    line: "timeout_seconds",
    message: "found -5",
  },
  {
    code: "E0516",
    text: contractText({ tool: ['name = "t"', 'binary = "t"', 'description = "d"', 'risk_tier = "extreme"'] }),
    line: "risk_tier",
    col: 13,
    message: "unknown risk tier `extreme`",
  },
  {
    code: "E0517",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "integer"\nmin = 1\nmax = 10\ndefault = 50' }),
    line: "default",
    col: 11,
    message: "default of `x` must be at most 10, got 50",
  },
  {
    code: "E0517",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "string"\ndefault = "a;b"' }),
    line: "default",
    message: "default of `x` contains the forbidden character `;`",
  },
  {
    code: "E0518",
    text: contractText({ output: '[output]\nformat = "yaml"\n\n[output.schema]\ntype = "object"' }),
    line: "format",
    col: 10,
    message: "unknown output format `yaml`",
  },
  {
    code: "E0519",
    text: contractText({ command: '[command]\ntemplate = "t \'{x}"' }),
    line: "template",
    col: 15,
    message: "invalid command template: unclosed quote `'`",
  },
  {
    code: "E0519",
    text: contractText({ command: '[command]\ntemplate = "t {x} }"' }),
    line: "template",
    col: 19,
    message: "unmatched `}`",
  },
  {
    code: "E0520",
    text: contractText({ tool: ['name = "t"', 'binary = "t"', 'description = "d"', 'mode = "daemon"'] }),
    line: "mode",
    message: "unknown mode `daemon`",
  },
  {
    code: "E0521",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "integer"\nmin = 10\nmax = 1' }),
    line: "max = 1",
    message: "`min` (10) is greater than `max` (1)",
  },
  {
    code: "E0521",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "enum"\nallowed = ["a", "a"]' }),
    line: "allowed",
    col: 17,
    message: '`allowed` lists "a" twice',
  },
  {
    code: "E0522",
    text: contractText({ extra: '[tool.sandbox]\nuser = "root"' }),
    line: 'user = "root"',
    col: 8,
    message: 'tools never run as root (user "root")',
  },
  {
    code: "E0522",
    text: contractText({ extra: '[tool.sandbox]\nnetwork = ["example.com:443", "example.com"]' }),
    line: "network",
    col: 31,
    message: 'invalid network entry "example.com": expected host:port',
  },
  {
    code: "E0522",
    text: contractText({ extra: '[tool.sandbox]\nmounts = ["relative/path"]' }),
    line: "mounts",
    message: "mount paths must be absolute",
  },
  {
    code: "E0523",
    run: () => {
      const dir = mkdtempSync(join(tmpdir(), "symbi-contracts-"));
      try {
        mkdirSync(join(dir, "tools", "broken.clad.toml"), { recursive: true });
        return loadContracts(dir).diagnostics;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    line: 1,
    message: "cannot read",
  },
  {
    code: "E0524",
    text: contractText({ command: '[command]\ntemplate = "other {x}"' }),
    line: "template",
    message: "the command starts with `other`, not the binary `t`",
  },
  {
    code: "W0500",
    text: contractText({ output: '[output]\nformat = "json"\nenvelop = true\n\n[output.schema]\ntype = "object"' }),
    line: "envelop",
    col: 1,
    message: "unknown key `envelop` in [output]",
  },
  {
    code: "W0500",
    text: contractText({ extra: "[scan]\nfast = true" }),
    line: "[scan]",
    message: "unknown key `scan` in a tool contract",
  },
  {
    code: "W0501",
    text: contractText(),
    file: "tools/other.clad.toml",
    line: 2,
    col: 8,
    message: "tool `t` is declared in `other.clad.toml`",
  },
  {
    code: "W0502",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "string"\nfeeds_decision = true' }),
    line: "feeds_decision",
    message: "`x` is free text (`string`) but feeds a decision",
  },
  {
    code: "W0503",
    text: contractText({
      args: '[args.x]\nposition = 1\ntype = "string"\n\n[args.y]\nposition = 3\ntype = "string"',
      command: '[command]\ntemplate = "t {x} {y}"',
    }),
    line: "position = 3",
    message: "position 2 is missing before `y` (position 3)",
  },
  {
    code: "W0503",
    text: contractText({ args: '[args.x]\ntype = "string"' }),
    line: "[args.x]",
    message: "argument `x` has no `position`",
  },
  {
    code: "W0504",
    text: contractText({ extra: '[http]\nmethod = "GET"' }),
    line: "[http]",
    message: "`[http]` is not supported",
  },
  {
    code: "W0504",
    text: contractText({
      output: '[output]\nformat = "json"\nparser = "scripts/parse.py"\n\n[output.schema]\ntype = "object"',
    }),
    line: "parser",
    message: "custom output parsers",
  },
  {
    code: "W0505",
    text: contractText({ args: '[args.x]\nposition = 1\ntype = "string"\nallowed = ["a"]' }),
    line: "allowed",
    message: "`allowed` has no effect on a `string` argument",
  },
  {
    code: "W0506",
    text: contractText({ tool: ['name = "t"', 'binary = "t"'] }),
    line: 1,
    message: "`[tool]` has no `description`",
  },
  {
    code: "W0507",
    text: contractText({
      args: mappedEnum,
      command: '[command]\ntemplate = "t {_mode_flags}"\n\n[command.mappings.mode]\nfast = "-F"',
    }),
    line: "[command.mappings.mode]",
    message: 'no mapping for "slow" of `mode`',
  },
  {
    code: "W0508",
    text: contractText({ output: '[output]\nformat = "text"' }),
    line: "[output]",
    message: "no `[output.schema]`",
  },
  {
    code: "W0509",
    text: contractText({
      command: '[command]\ntemplate = "t {x}"\n\n[command.conditionals]\nv = { when = "x != \'\'", template = "-v" }',
    }),
    line: "v = {",
    message: "conditional `v` is never used by the template",
  },
];

for (const c of cases) {
  test(`${c.code}: ${c.message}`, () => {
    const file = c.file ?? "tools/t.clad.toml";
    const ds = c.run ? c.run() : parse(c.text!, file).diagnostics;
    const expectedLine =
      typeof c.line === "number"
        ? c.line
        : Array.isArray(c.line)
          ? lineOf(c.text!, c.line[0], c.line[1])
          : lineOf(c.text!, c.line);
    const hit = ds.find((d) => d.code === c.code && d.message.includes(c.message));
    assert.ok(hit, `expected ${c.code} "${c.message}", got:\n${describe(ds)}`);
    assert.is(hit!.span.line, expectedLine, `line of ${c.code}: ${describe([hit!])}`);
    if (c.col !== undefined) assert.is(hit!.span.col, c.col, `column of ${c.code}: ${describe([hit!])}`);
    assert.is(hit!.severity, c.code.startsWith("E") ? "error" : "warning");
  });
}

test("every contract code has a negative test", () => {
  const tested = new Set(cases.map((c) => c.code));
  const untested = Object.keys(contractsCodes).filter((code) => !tested.has(code));
  assert.equal(untested, []);
});

test("every code used by the tests is registered with a title and explanation", () => {
  for (const c of cases) {
    const info = contractsCodes[c.code];
    assert.ok(info, `${c.code} is not registered`);
    assert.ok(info!.title.length > 0 && info!.explanation.length > 0);
  }
});

test("a contract with errors is marked invalid; warnings alone keep it valid", () => {
  const bad = parse(contractText({ command: '[command]\ntemplate = "t {y}"' }));
  assert.is(bad.contract?.valid, false);
  const warned = parse(contractText({ tool: ['name = "t"', 'binary = "t"'] }));
  assert.ok(warned.diagnostics.length > 0);
  assert.is(warned.contract?.valid, true);
});

test("help text suggests the closest known name", () => {
  const ds = parse(contractText({ args: '[args.x]\nposition = 1\ntype = "strng"' })).diagnostics;
  assert.is(ds.find((d) => d.code === "E0505")?.help, "did you mean `string`?");
  const w = parse(
    contractText({ output: '[output]\nformat = "json"\nenvelop = true\n\n[output.schema]\ntype = "object"' }),
  ).diagnostics;
  assert.is(w.find((d) => d.code === "W0500")?.help, "did you mean `envelope`?");
});

test("suggestions count a swapped pair of letters as one edit", () => {
  const ds = parse(
    contractText({ tool: ['name = "t"', 'binary = "t"', 'description = "d"', 'risk_tier = "hihg"'] }),
  ).diagnostics;
  assert.is(ds.find((d) => d.code === "E0516")?.help, "did you mean `high`?");
});

test("an argument with a broken declaration causes no second error where it is used", () => {
  const ds = parse(
    contractText({
      args: '[args.x]\nposition = 1\ntype = "strng"',
      command:
        '[command]\ntemplate = "t {x} {_x_flags}"\n\n[command.mappings.x]\na = "-a"\n\n[command.conditionals]\nc = { when = "x != \'\'", template = "-c {x}" }',
    }),
  ).diagnostics;
  assert.equal(
    ds.filter((d) => d.severity === "error").map((d) => d.code),
    ["E0505"],
    describe(ds),
  );
});

test.run();
