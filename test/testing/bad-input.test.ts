/**
 * Bad test files get located errors (exit 3), never a silent pass or deny: malformed TOML, an
 * unknown key, agent, tool, argument, rule, parameter or trusted record (with a did-you-mean),
 * arguments the tool's contract refuses, and context that does not fit the declared
 * trusted-record types. Usage and I/O problems exit 1.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTests } from "../../testing/run.js";
import { parseTestFile } from "../../testing/file.js";
import { runCli } from "../helpers/cli.js";
import { shopCopy } from "./helpers.js";

/** The problems `symbic test` reports for a test file in the shop project: `line:col code message`. */
async function problems(text: string): Promise<string[]> {
  const dir = shopCopy({ "bad.test.toml": text });
  const r = await runTests([join(dir, "bad.test.toml")]);
  assert.is(r.results.length, 0, "nothing is decided when a test file has problems");
  return r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`);
}

function parsed(text: string): string[] {
  return parseTestFile(text, "t.test.toml", "/t.test.toml").diagnostics.map(
    (d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`,
  );
}

const CASE = (body: string) => `agent = "shop"\n\n[[case]]\nname = "c"\n${body}\n`;

test("malformed TOML: the parser's position", () => {
  const p = parsed('agent = "shop"\n[[case]]\nname = "c\n');
  assert.is(p.length, 1);
  assert.match(p[0]!, /^3:\d+ E1000 invalid TOML: /);
});

test("an unknown key, a missing expect, a wrong type, a misspelt expectation", () => {
  assert.equal(parsed(CASE('tool = "lookup"\nexpct = "allow"')), [
    "6:1 E1001 `expct` is not a key of a case; did you mean `expect`?",
    "3:1 E1002 the case has no `expect` (allow, deny or approval)",
  ]);
  assert.equal(parsed(CASE('tool = "lookup"\nexpect = "alow"\nargs = 3')), [
    '6:10 E1003 "alow" is not one of "allow", "deny", "approval"; did you mean "allow"?',
    "7:8 E1003 `args` must be a table, not an integer",
  ]);
  assert.equal(parsed('agent = "shop"\n'), [
    "1:1 E1002 the file declares no test: add `[[case]]` (policy tests) or `[[run]]` (agent tests)",
  ]);
});

test("unknown agent, tool, argument (in args and in a row) and rule: did-you-mean", async () => {
  assert.equal(await problems('agent = "shp"\n[[case]]\nname = "c"\ntool = "lookup"\nexpect = "allow"\n'), [
    "1:9 E1004 the project has no agent `shp`; did you mean `shop`?",
  ]);
  assert.equal(await problems(CASE('tool = "refnd"\nexpect = "allow"')), [
    "5:8 E1005 agent `shop` has no tool `refnd`; did you mean `refund`?",
  ]);
  assert.equal(
    await problems(
      CASE('tool = "refund"\nargs = { order = "A-1", amout = 5 }\nexpect = "allow"\nrows = [{ ordr = "A-2" }]'),
    ),
    [
      "6:25 E1006 `refund` has no argument `amout`; did you mean `amount`?",
      "8:11 E1006 `refund` has no argument `ordr`; did you mean `order`?",
    ],
  );
  assert.equal(
    await problems(CASE('tool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\nrule = "shop.lookup.0"')),
    ["8:8 E1007 agent `shop` has no rule `shop.lookup.0`; did you mean `shop.lookups.0`?"],
  );
});

test("arguments the contract refuses never reach the gate: a located error, not a deny", async () => {
  const p = await problems(CASE('tool = "lookup"\nargs = { order = "not an order" }\nexpect = "deny"'));
  assert.is(p.length, 1);
  assert.match(p[0]!, /^6:18 E1006 invalid arguments for `lookup`: `order`: /);
});

test("context that does not fit the trusted-record types: a wrong type, an unknown field, an unknown record", async () => {
  assert.equal(
    await problems(CASE('tool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\ncontext.user = { role = 5 }')),
    ["8:25 E1008 `user.role`: expected a String, found the number 5"],
  );
  const unknownField = await problems(
    CASE('tool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\ncontext.user = { rol = "manager" }'),
  );
  assert.equal(unknownField, ["8:18 E1008 `user.rol`: is not a field of User"]);
  assert.equal(
    await problems(CASE('tool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\ncontext.usr = { role = "x" }')),
    ["8:1 E1008 `usr` is not a trusted record; did you mean `user`?"],
  );
  assert.equal(
    await problems(
      CASE('tool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\ncontext.context = { run_id = "x" }'),
    ),
    ['8:21 E1008 a test may not set `context.run_id`: the runtime fills it itself (a test run\'s is "symbic-test")'],
    "a value the runtime would replace is an error, not silently ignored",
  );
});

test("inputs: a parameter the agent does not take, and a value of the wrong type", async () => {
  assert.equal(
    await problems(CASE('tool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\ninput = { ordr = "A-1" }')),
    ["8:11 E1009 `ordr` is not a parameter of agent `shop`; did you mean `order`?"],
  );
  const p = await problems(CASE('tool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\ninput = { order = 5 }'));
  assert.is(p.length, 1);
  assert.match(p[0]!, /^8:19 E1009 input `order`: /);
});

test("the CLI: a bad test file exits 3 with file:line:col; a missing path or no test files exit 1", () => {
  const dir = shopCopy({ "bad.test.toml": CASE('tool = "refnd"\nexpect = "allow"') });
  const r = runCli("symbic", ["test", dir], { cwd: dir });
  assert.is(r.status, 3, r.stdout + r.stderr);
  assert.ok(
    r.stderr.includes("bad.test.toml:5:8: error[E1005]: agent `shop` has no tool `refnd`; did you mean `refund`?"),
    r.stderr,
  );
  const missing = runCli("symbic", ["test", join(dir, "nowhere")]);
  assert.is(missing.status, 1);
  const empty = mkdtempSync(join(tmpdir(), "symbic-test-empty-"));
  mkdirSync(join(empty, "sub"));
  // A link back up is not followed (the search would never end).
  symlinkSync("..", join(empty, "sub", "loop"));
  writeFileSync(join(empty, "notes.toml"), "");
  const none = runCli("symbic", ["test", empty]);
  assert.is(none.status, 1);
  assert.ok(none.stderr.includes("no test files (*.test.toml)"), none.stderr);
});

test("facts about an argument the tool does not take: at the case's facts, else the file's", async () => {
  assert.equal(
    await problems(CASE('tool = "lookup"\nargs = { order = "A-1" }\nfacts.ordr = { x = 1 }\nexpect = "allow"')),
    ["7:1 E1006 facts are about the call's arguments, and `lookup` has no argument `ordr`; did you mean `order`?"],
  );
  assert.equal(
    await problems(
      'agent = "shop"\nfacts = { ordr = { x = 1 } }\n[[case]]\nname = "c"\ntool = "lookup"\nargs = { order = "A-1" }\nexpect = "allow"\n',
    ),
    ["2:11 E1006 facts are about the call's arguments, and `lookup` has no argument `ordr`; did you mean `order`?"],
  );
});

test("a date in a case's arguments or rows: at the date", () => {
  assert.equal(
    parsed(CASE('tool = "lookup"\nargs = { order = "A-1", when = { at = 1979-05-27 } }\nexpect = "allow"')),
    ["6:39 E1003 a date is not a value a request can carry; write it as a string"],
  );
  assert.equal(
    parsed(
      CASE('tool = "lookup"\nexpect = "allow"\nrows = [\n  { order = "A-1" },\n  { order = [1, 1979-05-27] },\n]'),
    ),
    ["9:17 E1003 a date is not a value a request can carry; write it as a string"],
  );
});

test.run();
