/**
 * Regression: "V8 abort in a Cedar call" — Node 20's V8 aborted the process ("Fatal error …
 * unreachable code" in Deoptimizer::DoComputeBuiltinContinuation) when it deoptimised a function
 * whose call into cedar-wasm it had inlined, while that call was running. It killed a CI test
 * process; formats/cedar-wasm.ts turns the inlining off. The fixture's loop of gate decisions,
 * run under tsx as the test suite runs, aborted on 5 runs of 5 before the fix.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(new URL("./fixtures/decide-loop.ts", import.meta.url));

test("V8 abort in a Cedar call: 8,000 decisions in a hot loop run to the end", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", FIXTURE], { encoding: "utf8", timeout: 120_000 });
  assert.not.match(r.stderr, "Fatal error", r.stderr.slice(0, 2000));
  assert.is(r.signal, null, `the child was killed by ${r.signal}`);
  assert.is(r.status, 0, r.stderr.slice(0, 2000));
  assert.match(r.stdout, "8000 of 8000 allowed");
});

test.run();
