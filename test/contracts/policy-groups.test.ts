/** `[tool.policy] groups`: the action groups a tool joins (our extension, read by the checker). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { contractText, parse, lineOf } from "./helpers.js";

test("groups are read, de-duplicated, in order", () => {
  const r = parse(
    contractText({ extra: '[tool.policy]\ngroups = ["network_access", "long_running_operations", "network_access"]' }),
  );
  assert.equal(r.contract?.policy, { groups: ["network_access", "long_running_operations"] });
  assert.equal(
    r.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
});

test("no [tool.policy] means no groups", () => {
  assert.is(parse(contractText()).contract?.policy, undefined);
});

test("a group name that is not an identifier is E0503 at the value; unknown keys are W0500", () => {
  const text = contractText({ extra: '[tool.policy]\ngroups = ["ok", "not ok"]\ngrups = []' });
  const r = parse(text);
  const e = r.diagnostics.find((d) => d.code === "E0503");
  assert.ok(e);
  assert.is(e!.span.line, lineOf(text, '"not ok"'));
  assert.ok(r.diagnostics.some((d) => d.code === "W0500" && d.message.includes("grups")));
  assert.is(r.contract?.valid, false);
});

test("groups must be an array of strings", () => {
  const r = parse(contractText({ extra: '[tool.policy]\ngroups = "network_access"' }));
  assert.ok(r.diagnostics.some((d) => d.code === "E0502"));
});

test.run();
