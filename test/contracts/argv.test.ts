/** argv building: tokenisation before substitution, fragments, conditionals, and the no-splitting property. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { buildArgv, buildCommand, ToolArgvError } from "../../runtime/tools/argv.js";
import { validateToolArgs } from "../../runtime/tools/validate.js";
import { tokenizeTemplate } from "../../compiler/contracts/template.js";
import { loadContracts } from "../../compiler/contracts/load.js";
import { SHELL_METACHARACTERS } from "../../compiler/contracts/values.js";
import type { ToolContract } from "../../compiler/contracts/model.js";
import { contractText, parseClean, parse, REFERENCE_PROJECT, referenceTest } from "./helpers.js";

function argvOf(c: ToolContract, values: Record<string, unknown>): string[] {
  const r = validateToolArgs(c, values);
  if (!r.ok) throw new Error(`rejected: ${JSON.stringify(r.errors)}`);
  return buildArgv(c, r.args, { scanId: "S" });
}

const stringArg = (name: string, pos: number, extra = "") =>
  `[args.${name}]\nposition = ${pos}\ntype = "string"\ndescription = "${name}"\n${extra}`;

test("tokenizer: words, quotes, escapes and placeholders", () => {
  const r = tokenizeTemplate(`t -a "b c" 'd {x}' e\\ f {{lit}} pre{x}post ''`);
  assert.ok(r.ok);
  if (!r.ok) return;
  const shape = r.words.map((w) => w.parts.map((p) => (p.kind === "text" ? p.text : `<${p.name}>`)).join(""));
  assert.equal(shape, ["t", "-a", "b c", "d <x>", "e f", "{lit}", "pre<x>post", ""]);
  assert.is(r.words[7]!.quoted, true);
  const dq = tokenizeTemplate(String.raw`t "a\"b\\c"`);
  assert.ok(
    dq.ok && dq.words[1]!.parts[0]!.kind === "text" && (dq.words[1]!.parts[0] as { text: string }).text === 'a"b\\c',
  );
});

test("tokenizer: errors carry the offset", () => {
  const cases: [string, number, string][] = [
    ["t 'abc", 2, "unclosed quote"],
    ['t "abc', 2, "unclosed quote"],
    ["t {abc", 2, "unclosed placeholder"],
    ["t abc}", 5, "unmatched `}`"],
    ["t {a b}", 2, "invalid placeholder"],
    ["t {_secret:key}", 2, "secret placeholders"],
    ["t abc\\", 5, "trailing"],
  ];
  for (const [text, offset, message] of cases) {
    const r = tokenizeTemplate(text);
    assert.not.ok(r.ok, text);
    if (!r.ok) {
      assert.is(r.error.offset, offset, text);
      assert.ok(r.error.message.includes(message), `${text}: ${r.error.message}`);
    }
  }
});

test("a value with spaces, quotes and dashes inside stays one argv entry", () => {
  const c = parseClean(
    contractText({ args: stringArg("x", 1), command: "[command]\ntemplate = 't --name={x} \"{x}\" {x}'" }),
  );
  assert.equal(argvOf(c, { x: "a b 'c' \"d\" e-f" }), [
    "t",
    "--name=a b 'c' \"d\" e-f",
    "a b 'c' \"d\" e-f",
    "a b 'c' \"d\" e-f",
  ]);
});

test("unset optional arguments leave no empty argv entry; a literal '' is kept", () => {
  const c = parseClean(contractText({ args: stringArg("x", 1), command: "[command]\ntemplate = \"t {x} -- ''\"" }));
  assert.equal(argvOf(c, {}), ["t", "--", ""]);
  assert.equal(argvOf(c, { x: "v" }), ["t", "v", "--", ""]);
});

test("argv[0] is the declared binary even when the template names it by file name", () => {
  const c = parseClean(
    contractText({ tool: ['name = "t"', 'binary = "/usr/bin/t"', 'description = "d"'], args: stringArg("x", 1) }),
  );
  assert.equal(argvOf(c, { x: "v" }), ["/usr/bin/t", "v"]);
});

test("exec arrays: one element per entry, never re-split", () => {
  const c = parseClean(
    contractText({ args: stringArg("x", 1), command: '[command]\nexec = ["t", "--x={x}", "{x}", "a b"]' }),
  );
  assert.equal(argvOf(c, { x: "p q" }), ["t", "--x=p q", "p q", "a b"]);
});

const modeArgs = `[args.scan_type]\nposition = 1\nrequired = true\ntype = "enum"\nallowed = ["fast", "slow", "none"]\ndescription = "m"\n\n${stringArg("x", 2)}`;
const modeMappings = '[command.mappings.scan_type]\nfast = "-F --level 2"\nslow = "-S {x}"\nnone = ""';

test("mappings expand under every reference name, with placeholders filled per word", () => {
  for (const placeholder of ["_scan_type_flags", "_scan_type", "_scan_flags"]) {
    const c = parseClean(
      contractText({ args: modeArgs, command: `[command]\ntemplate = "t {${placeholder}} {x}"\n\n${modeMappings}` }),
    );
    assert.equal(argvOf(c, { scan_type: "fast" }), ["t", "-F", "--level", "2"], placeholder);
    assert.equal(argvOf(c, { scan_type: "slow", x: "a b" }), ["t", "-S", "a b", "a b"], placeholder);
    assert.equal(argvOf(c, { scan_type: "none", x: "v" }), ["t", "v"], placeholder);
  }
});

test("a fragment glued to other text contributes its words joined by spaces", () => {
  const c = parseClean(
    contractText({ args: modeArgs, command: `[command]\ntemplate = "t --flags={_scan_flags} {x}"\n\n${modeMappings}` }),
  );
  assert.equal(argvOf(c, { scan_type: "fast", x: "v" }), ["t", "--flags=-F --level 2", "v"]);
});

const condArgs = `${stringArg("user", 1, 'default = ""')}\n\n${stringArg("user_file", 2, 'default = ""')}\n\n[args.port]\nposition = 3\ntype = "integer"\ndefault = 0\ndescription = "p"\n\n[args.verbose]\nposition = 4\ntype = "boolean"\ndefault = false\ndescription = "v"`;
const condTable = `[command.conditionals]
single_user = { when = "user != '' and user_file == ''", template = "-l {user}" }
user_list = { when = "user_file != ''", template = "-L {user_file}" }
port = { when = "port != 0", template = "-s {port}" }
verbose = { when = "verbose", template = "-v" }
either = { when = "(port == 22 || port == 2222) && !verbose", template = "--ssh" }`;

test("conditionals: placed by name, in declaration order, only when `when` holds", () => {
  const c = parseClean(
    contractText({
      args: condArgs,
      command: `[command]\ntemplate = "t {_single_user} {_user_list} {_port} {_verbose} {_either} end"\n\n${condTable}`,
    }),
  );
  assert.equal(argvOf(c, {}), ["t", "end"]);
  assert.equal(argvOf(c, { user: "bob" }), ["t", "-l", "bob", "end"]);
  assert.equal(argvOf(c, { user: "bob", user_file: "u.txt" }), ["t", "-L", "u.txt", "end"]);
  assert.equal(argvOf(c, { port: 22 }), ["t", "-s", "22", "--ssh", "end"]);
  assert.equal(argvOf(c, { port: 22, verbose: true }), ["t", "-s", "22", "-v", "end"]);
  assert.equal(argvOf(c, { port: 8080, verbose: "false" }), ["t", "-s", "8080", "end"]);
});

test("{_conditional_flags} places every conditional not placed by name", () => {
  const c = parseClean(
    contractText({
      args: condArgs,
      command: `[command]\ntemplate = "t {_port} {_conditional_flags} end"\n\n${condTable}`,
    }),
  );
  assert.equal(argvOf(c, { user: "al", port: 2222, verbose: true }), ["t", "-s", "2222", "-l", "al", "-v", "end"]);
});

test("runtime variables: _scan_id, _evidence_dir, _output_file", () => {
  const c = parseClean(
    contractText({
      args: stringArg("x", 1),
      command: '[command]\ntemplate = "t --id {_scan_id} --dir {_evidence_dir} -o {_output_file} {x}"',
    }),
  );
  const built = buildCommand(c, { x: "v" }, { scanId: "abc", evidenceDir: "/e" });
  assert.equal(built.argv, ["t", "--id", "abc", "--dir", "/e", "-o", "/e/abc-output", "v"]);
  assert.is(built.outputFile, "/e/abc-output");
  const plain = buildCommand(parseClean(contractText()), { x: "v" });
  assert.is(plain.outputFile, undefined);
  assert.match(plain.scanId, /^\d+-[0-9a-f]{8}$/);
});

/** validateToolArgs then buildCommand; the first refusal's message, or the argv. */
function argvOrRefusal(c: ToolContract, values: Record<string, unknown>): string[] | string {
  const r = validateToolArgs(c, values);
  if (!r.ok) return r.errors.map((e) => e.message).join("; ");
  try {
    return buildArgv(c, r.args, { scanId: "S" });
  } catch (e) {
    if (e instanceof ToolArgvError) return e.message;
    throw e;
  }
}

test("item 6: option injection through glued placeholders is refused", () => {
  const c = parseClean(
    contractText({
      args: `${stringArg("prefix", 1, 'required = false\ndefault = ""')}\n${stringArg("name", 2)}`,
      command: "[command]\ntemplate = 't {prefix}{name}'",
    }),
  );
  const refused = argvOrRefusal(c, { prefix: "", name: "-rf" });
  assert.type(refused, "string");
  assert.match(refused as string, /`name` would start an argv word with `-`/);
  assert.match(argvOrRefusal(c, { name: "-rf" }) as string, /would start an argv word with `-`/);
  // The same value glued behind text is harmless: the word starts with the text.
  assert.equal(argvOrRefusal(c, { prefix: "x", name: "-rf" }), ["t", "x-rf"]);
  assert.equal(argvOrRefusal(c, { prefix: "", name: "rf" }), ["t", "rf"]);
  // A caller value that begins a word glued to literal text is still in an option position.
  const g = parseClean(contractText({ args: stringArg("file", 1), command: "[command]\ntemplate = 't {file}.txt'" }));
  assert.match(argvOrRefusal(g, { file: "-oN" }) as string, /would start an argv word with `-`/);
});

test("item 6: negative numbers in option positions are refused unless the contract allows negatives", () => {
  const kill = parseClean(
    contractText({
      args: '[args.pid]\nposition = 1\ntype = "integer"\ndescription = "pid"',
      command: "[command]\ntemplate = 't {pid}'",
    }),
  );
  assert.match(argvOrRefusal(kill, { pid: -1 }) as string, /`pid` would start an argv word with `-` \("-1"\)/);
  assert.equal(argvOrRefusal(kill, { pid: 42 }), ["t", "42"]);
  // Behind an option name the number is that option's value, not an option.
  const glued = parseClean(
    contractText({
      args: '[args.pid]\nposition = 1\ntype = "integer"\ndescription = "pid"',
      command: "[command]\ntemplate = 't --pid={pid}'",
    }),
  );
  assert.equal(argvOrRefusal(glued, { pid: -1 }), ["t", "--pid=-1"]);
  const offset = parseClean(
    contractText({
      args: '[args.n]\nposition = 1\ntype = "integer"\nmin = -10\nmax = 10\ndescription = "n"',
      command: "[command]\ntemplate = 't {n}'",
    }),
  );
  assert.equal(argvOrRefusal(offset, { n: -3 }), ["t", "-3"]);
  const num = parseClean(
    contractText({
      args: '[args.x]\nposition = 1\ntype = "number"\ndescription = "x"',
      command: "[command]\ntemplate = 't {x}'",
    }),
  );
  assert.match(argvOrRefusal(num, { x: -0.5 }) as string, /would start an argv word with `-`/);
});

test("item 6: a leading `-` the contract wrote itself is kept", () => {
  const c = parseClean(
    contractText({
      args: `[args.mode]\nposition = 1\ntype = "enum"\nallowed = ["-v", "-q"]\ndescription = "m"\n${stringArg("flag", 2, 'required = false\ndefault = "-n"')}`,
      command: "[command]\ntemplate = 't {mode} {flag} {dash}'\n[command.defaults]\ndash = \"-x\"",
    }),
  );
  assert.equal(argvOrRefusal(c, { mode: "-v" }), ["t", "-v", "-n", "-x"]);
});

test("contracts with errors or unsupported modes are never turned into an argv", () => {
  const bad = parse(contractText({ command: '[command]\ntemplate = "t {nope}"' })).contract!;
  assert.throws(
    () => buildArgv(bad, {}),
    (e: unknown) => e instanceof ToolArgvError && /has errors/.test((e as Error).message),
  );
  const session = parse(
    contractText({ tool: ['name = "t"', 'binary = "t"', 'description = "d"', 'mode = "session"'] }),
  ).contract!;
  assert.throws(
    () => buildArgv(session, { x: "v" }),
    (e: unknown) => e instanceof ToolArgvError && /session mode/.test((e as Error).message),
  );
});

// --- Property: a value is either rejected or exactly one whole argv element. ---

const nasty = fc.constantFrom(
  " ",
  "\t",
  "\n",
  "\r",
  "\0",
  "'",
  '"',
  "\\",
  "{",
  "}",
  "{{",
  "-",
  "--",
  ";",
  "|",
  "&",
  "$",
  "`",
  "(",
  ")",
  "[",
  "]",
  "<",
  ">",
  "!",
  "*",
  "?",
  "~",
  "#",
  "=",
  ":",
  "/",
  ".",
  "a",
  "Z",
  "0",
  "é",
  "\u200B",
  "\u202E",
  "<!--",
  "-->",
  "$(id)",
  "${x}",
  "{x}",
  "\u0007",
);
const arbitraryValue = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
  fc.array(nasty, { maxLength: 12 }).map((a) => a.join("")),
);
const METAS = new Set<string>(SHELL_METACHARACTERS);

function assertClean(s: string): void {
  for (const ch of s) if (METAS.has(ch)) throw new Error(`metacharacter ${JSON.stringify(ch)} reached the argv`);
}

test("property: a string value is rejected or appears as exactly one whole argv element", () => {
  const c = parseClean(
    contractText({
      args: stringArg("v", 1, "required = true"),
      command: "[command]\ntemplate = 't -a \"{v}\" --k={v} -z'",
    }),
  );
  fc.assert(
    fc.property(arbitraryValue, (s) => {
      const r = validateToolArgs(c, { v: s });
      if (!r.ok) return;
      const argv = buildArgv(c, r.args);
      assert.is(r.args.v, s, "a plain string is passed through unchanged");
      assert.equal(argv, ["t", "-a", s, `--k=${s}`, "-z"]);
      assertClean(argv[2]!);
    }),
    { numRuns: 4000 },
  );
});

test("property: the same holds for every text type and for conditional fragments", () => {
  const types = ["path", "scope_target", "url", "agent_summary"];
  for (const type of types) {
    const c = parseClean(
      contractText({
        args: `[args.v]\nposition = 1\nrequired = true\ntype = "${type}"\ndescription = "v"`,
        command: '[command]\ntemplate = "t {v} end"',
      }),
    );
    fc.assert(
      fc.property(arbitraryValue, (s) => {
        const r = validateToolArgs(c, { v: s });
        if (!r.ok) return;
        const argv = buildArgv(c, r.args);
        assert.equal(argv, ["t", String(r.args.v), "end"], type);
        assertClean(argv[1]!);
      }),
      { numRuns: 1500 },
    );
  }
});

referenceTest("property: a header value of the reference's curl_fetch conditional stays one argv element", () => {
  const curl = loadContracts(REFERENCE_PROJECT).contracts.get("curl_fetch")!;
  const base = buildArgv(curl, { url: "https://example.com/", method: "GET", headers: "" });
  fc.assert(
    fc.property(arbitraryValue, (s) => {
      const r = validateToolArgs(curl, { url: "https://example.com", headers: s });
      if (!r.ok) return;
      const argv = buildArgv(curl, r.args);
      if (s === "") {
        assert.equal(argv, base);
        return;
      }
      assert.is(argv.length, base.length + 2);
      const at = argv.indexOf("-H");
      assert.is(argv[at + 1], s);
      assertClean(s);
    }),
    { numRuns: 3000 },
  );
});

test("property: the template tokenizer never throws on arbitrary text", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 60 }),
        fc.array(nasty, { maxLength: 20 }).map((a) => a.join("")),
      ),
      (t) => {
        const r = tokenizeTemplate(t);
        assert.type(r.ok, "boolean");
      },
    ),
    { numRuns: 3000 },
  );
});

test.run();
