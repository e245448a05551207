import { test } from "uvu";
import * as assert from "uvu/assert";
import { BUILTIN_FUNCTIONS, builtinMethods } from "../../stdlib/index.js";
import { GOVERNED_BUILTINS } from "../../runtime/exec/actions.js";
import { implementationGaps, stdlibRegistry, list, map, NONE, ok } from "../../runtime/interpreter/index.js";

test("every stdlib table entry has a runtime implementation, and every implementation a table entry", () => {
  assert.equal(implementationGaps(), []);
});

test("the registry resolves every table function and the methods of each receiver kind", () => {
  const reg = stdlibRegistry();
  for (const name of BUILTIN_FUNCTIONS.keys()) assert.ok(reg.func(name), `function ${name}`);
  const samples = { String: "s", List: list([]), Map: map([]), Option: NONE, Result: ok(1) } as const;
  for (const [recv, value] of Object.entries(samples)) {
    for (const name of builtinMethods(recv).keys()) assert.ok(reg.method(value, name), `${recv}.${name}`);
  }
  assert.is(reg.method(1, "len"), undefined);
  assert.is(reg.property("abc", "length"), 3);
});

test("every governed builtin of the table (an `action` entry) is performed by the runtime's action runner, and only those", () => {
  const governed = [...BUILTIN_FUNCTIONS.values()]
    .filter((d) => d.action)
    .map((d) => d.name)
    .sort();
  assert.equal([...GOVERNED_BUILTINS].sort(), governed);
});

test.run();
