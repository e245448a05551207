/**
 * Issue 11 item 8 for `audit:` settings: `audit: { include_input: false, compliance_tags: [..],
 * alert_on_errors: true, ... }` checked clean and changed nothing — a run with no audit log at
 * all went ahead, arguments the policy wanted kept out of the log were written in full, tags were
 * never recorded, and no alert was ever raised. Each audit setting is now enforced by the
 * runtime, true of every audited run, or refused at check (E0311). Real projects, the shipping
 * checker, compiler and runtime, process tier, a real signed log.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkFiles } from "../../compiler/pipeline/check-files.js";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { compileToBundles, execAgent, type Bundle } from "../../runtime/exec/index.js";
import { quickstartProject } from "../semantics/helpers.js";
import { echoTool } from "./echo-tool.js";

const work = mkdtempSync(join(tmpdir(), "symbi-audit-settings-"));
const key = join(work, "audit.key");
generateKeyFiles(key);
const publicKey = loadPublicKey(`${key}.pub`);

const agent = (policy: string) => `
agent a(value: String) -> String {
    capabilities = ["send"]
    policy p {
        allow: send(v)
        ${policy}
    }
    with sandbox = "process", timeout = 30s {
        log("info", "about to send " + value);
        return send(value).raw_output.trim();
    }
}
`;

function project(policy: string): string {
  return quickstartProject(agent(policy), { send: echoTool({ name: "send" }) });
}

function diagnostics(policy: string): string[] {
  return checkFiles([project(policy)])
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.code} ${d.message}`);
}

async function bundleOf(policy: string): Promise<Bundle> {
  const dir = project(policy);
  assert.equal(diagnostics(policy), []);
  return (await compileToBundles(join(dir, "agent.symbi"))).bundles.get("a")!;
}

interface Rec {
  type: string;
  run: string | null;
  details: Record<string, unknown>;
}

let runs = 0;
async function runLogged(bundle: Bundle, value: string): Promise<{ value: unknown; records: Rec[] }> {
  const log = join(work, `run-${++runs}.log`);
  const r = await execAgent({ bundle, input: { value }, auditLog: log, keyFile: key, onLog: () => {} });
  assert.is(r.status, "ok", r.message);
  assert.ok(verifyLog(log, { publicKey }).ok, "the audit log verifies");
  const records = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Rec)
    .filter((rec) => rec.run !== null);
  return { value: r.value, records };
}

/** The error a promise rejects with (fails when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.unreachable("it was not refused");
  throw new Error("unreachable");
}

const sha = (v: unknown) => createHash("sha256").update(JSON.stringify(v), "utf8").digest("hex");

const T = suite("issue 11 item 8: audit settings that are accepted but not enforced");

T("alert_on_*: E0311 — symbi raises no alerts", () => {
  const d = diagnostics(`audit: { alert_on_errors: true }`);
  assert.equal(d.length, 1);
  assert.match(d[0]!, /^E0311 `alert_on_errors` is not enforced by symbi: symbi raises no alerts/);
});

T("include_<an item the log always records>: false is E0311; true checks clean", () => {
  const d = diagnostics(`audit: { include_policy_decisions: false }`);
  assert.equal(d.length, 1);
  assert.match(d[0]!, /^E0311 `include_policy_decisions` = false is not enforced by symbi: the log never leaves out/);
  assert.equal(diagnostics(`audit: { include_policy_decisions: true, include_approval_chain: true }`), []);
});

T("include_<something the log has no field for>: true is E0311; false checks clean", () => {
  const d = diagnostics(`audit: { include_cvss_scores: true }`);
  assert.equal(d.length, 1);
  assert.match(d[0]!, /^E0311 `include_cvss_scores` = true is not enforced by symbi: the log has no field of its own/);
  assert.equal(diagnostics(`audit: { include_cvss_scores: false }`), []);
});

T("log_level, retention_days, trace_id check clean (true of every audited run)", () => {
  assert.equal(diagnostics(`audit: { log_level: "warning", retention_days: 365, trace_id: true }`), []);
});

T("any audit setting: a run with no audit log is refused before anything runs, naming the rule", async () => {
  const bundle = await bundleOf(`audit: { log_level: "info" }`);
  const e = await rejection(execAgent({ bundle, input: { value: "x" }, onLog: () => {} }));
  assert.is(e.name, "ContextError");
  assert.match(
    e.message,
    /agent `a` must be audited \(a\.p\.\d+ \(.*agent\.symbi:\d+\)\), but no audit log is configured/,
  );
});

T("a run refused for its audit settings is refused for them even when its sandbox cannot run here either", async () => {
  // The sandbox check runs while the policies load (run.ts startSandboxCheck); its errors still
  // come after the steps before it.
  const audited = await bundleOf(`audit: { log_level: "info" }`);
  const bundle: Bundle = {
    ...audited,
    sandbox: { ...audited.sandbox, mounts: [{ source: "/srv", target: "/srv", readOnly: true }] },
  };
  const e = await rejection(execAgent({ bundle, input: { value: "x" }, onLog: () => {} }));
  assert.is(e.name, "ContextError");
  assert.match(e.message, /must be audited/);
  const logged = await rejection(
    execAgent({ bundle, input: { value: "x" }, onLog: () => {}, auditLog: join(work, "mounts.log"), keyFile: key }),
  );
  assert.match(logged.message, /the process sandbox cannot give a tool read-only mounts/);
});

T("require: audit_trail: a run with no audit log is refused too", async () => {
  const bundle = await bundleOf(`require: { audit_trail: "detailed" }`);
  const e = await rejection(execAgent({ bundle, input: { value: "x" }, onLog: () => {} }));
  assert.is(e.name, "ContextError");
  assert.match(e.message, /must be audited/);
  const { value } = await runLogged(bundle, "x");
  assert.is(value, "x");
});

T("compliance_tags: every record of the run carries them", async () => {
  const bundle = await bundleOf(`audit: { compliance_tags: ["SOC2", "GDPR", "SOC2"] }`);
  const { records } = await runLogged(bundle, "hello");
  assert.ok(records.length >= 5, `${records.length} records`);
  for (const r of records) assert.equal(r.details["compliance_tags"], ["GDPR", "SOC2"], r.type);
});

T(
  "include_input: false: arguments, argv and log messages are recorded as hashes; the tool gets the value",
  async () => {
    const bundle = await bundleOf(`audit: { include_input: false }`);
    const secret = "patient-4711";
    const { value, records } = await runLogged(bundle, secret);
    assert.is(value, secret, "the tool received the value itself");
    const text = JSON.stringify(records);
    assert.not.ok(text.includes(secret), "the value is nowhere in the log");
    const decision = records.find((r) => r.type === "decision" && r.details["action"] === "send")!;
    assert.equal(decision.details["args"], { sha256: sha({ value: secret }) });
    const start = records.find((r) => r.type === "tool_start")!;
    assert.equal(start.details["argv"], { sha256: sha(["echo", secret]) });
    const log = records.find((r) => r.type === "log")!;
    assert.equal(log.details["message"], { sha256: sha(`about to send ${secret}`) });
  },
);

T("content_filtering: true hashes contents too; without a filter they are recorded as before", async () => {
  const filtered = await runLogged(await bundleOf(`audit: { content_filtering: true }`), "abc-secret");
  assert.not.ok(JSON.stringify(filtered.records).includes("abc-secret"));
  const plain = await runLogged(await bundleOf(`audit: { log_level: "info" }`), "abc-plain");
  assert.ok(JSON.stringify(plain.records).includes("abc-plain"), "no filter: the arguments are recorded");
});

T.run();
