/**
 * One meaning per program (issue "One meaning per program"): `symbic check`, `symbic build` and
 * `symbi exec` read a program the same way. Each test is a disagreement that was reproduced
 * with the quick start's tools, and fails on the code that had it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { codes, checkBuildRun, quickstartProject } from "./helpers.js";

test("error() inside catch (error) calls the builtin in check, build and exec alike", async () => {
  // The checker resolves `error(..)` in call position to the builtin (compiler/check/README.md:
  // a local is called only when it holds a function); the runtime used to call the local and
  // fail with "Error is not a function".
  const dir = quickstartProject(`
agent a(name: String) -> String {
    capabilities = ["greet"]
    policy p {
        allow: greet(who)
    }
    with sandbox = "process", timeout = 10s {
        try {
            let g = greet(name);
            if name == "Boom" { return to_string(error("forced")); }
            return g.raw_output.trim();
        } catch (error) {
            return to_string(error("boom: " + error.message));
        }
    }
}
`);
  const o = await checkBuildRun(dir, "a", { name: "Boom" });
  assert.equal(codes(o.check.filter((d) => d.severity === "error")), []);
  assert.equal(codes(o.build), []);
  assert.is(o.run?.status, "error");
  assert.is(o.run?.message, "agent.symbi:13:30: Error: boom: forced");
  const fine = await checkBuildRun(dir, "a", { name: "Ada" });
  assert.is(fine.run?.status, "ok", fine.run?.message);
  assert.is(fine.run?.value, "Hello, Ada!");
});

test("require: approval for greet is an approval in check, build and exec alike", async () => {
  // The checker warned W0300 "unknown require setting `approval`: nothing enforces it" while the
  // compiler emitted an approval policy and the runtime enforced it.
  const dir = quickstartProject(`
agent a(name: String) -> String {
    capabilities = ["greet"]
    policy p {
        allow: greet(who)
        require: approval for greet
    }
    with sandbox = "process", timeout = 10s {
        try { let g = greet(name); return g.raw_output.trim(); }
        catch (PolicyDenied e) { return "refused: " + e.rule; }
    }
}
`);
  const refused = await checkBuildRun(dir, "a", { name: "Ada" }, { approve: "none" });
  assert.equal(codes(refused.check), [], "no warning: the requirement is understood and enforced");
  assert.equal(codes(refused.build), []);
  assert.is(refused.run?.status, "ok", refused.run?.message);
  assert.is(refused.run?.value, "refused: a.p.1");
  const approved = await checkBuildRun(dir, "a", { name: "Ada" }, { approve: "all" });
  assert.is(approved.run?.value, "Hello, Ada!");
});

test("calling a tool that no rule allows is a PolicyDenied by default-deny, decided and audited", async () => {
  // It used to end the run with "RuntimeError: unknown function" (exit 1, not catchable), with
  // no decision in the audit log: the bundle carried contracts only for allowable tools.
  const dir = quickstartProject(`
agent a(n: int) -> String {
    capabilities = ["greet", "factor"]
    policy p {
        allow: greet(who)
    }
    with sandbox = "process", timeout = 10s {
        try { let f = factor(n); return f.raw_output; }
        catch (PolicyDenied e) { return e.rule + ": " + e.reason; }
    }
}
`);
  const work = mkdtempSync(join(tmpdir(), "symbi-meaning-log-"));
  const key = join(work, "key");
  generateKeyFiles(key);
  const log = join(work, "audit.log");
  const o = await checkBuildRun(dir, "a", { n: 12 }, { auditLog: log, keyFile: key });
  assert.is(o.run?.status, "ok", o.run?.message);
  assert.match(String(o.run?.value), /^default-deny: no policy allows `factor` for agent `a` \(default deny\)$/);
  const v = verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) });
  assert.ok(v.ok);
  const decisions = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> })
    .filter((r) => r.type === "decision")
    .map((r) => [r.details.action, r.details.decision, r.details.rules]);
  assert.equal(decisions, [["factor", "deny", ["default-deny"]]]);
});

test.run();
