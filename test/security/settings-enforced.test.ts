/**
 * Issue 11 item 8, "settings that are accepted but not enforced": `require: { rate_limiting:
 * "2/minute", max_data_size: "10B", timeout_per_request, approval_expiry, api_key_rotation }`
 * checked clean and did nothing. Each is now enforced by the runtime on the calls the policy
 * covers, by the trusted context (controls that must be in place), or refused at check (E0311).
 * And a `deny:` of a capability no request can match is a warning (W0304). Real projects, the
 * shipping checker, compiler and runtime, process tier.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { checkFiles } from "../../compiler/pipeline/check-files.js";
import { compileToBundles, execAgent, type Bundle } from "../../runtime/exec/index.js";
import type { ExecOptions } from "../../runtime/exec/run.js";
import type { Approver } from "../../runtime/gate/approval.js";
import { quickstartProject } from "../semantics/helpers.js";

const echoTool = (name: string) => `
[tool]
name = "${name}"
version = "1.0.0"
binary = "echo"
description = "prints its argument"
timeout_seconds = 10
risk_tier = "low"

[args.value]
position = 1
required = true
type = "string"
description = "the value"

[args.recipient]
position = 2
required = false
type = "string"
description = "who it is for"

[command]
template = "echo {value} {recipient}"

[output]
format = "text"
envelope = false
`;

const SLEEP = `
[tool]
name = "nap"
version = "1.0.0"
binary = "sleep"
description = "sleeps"
timeout_seconds = 10
risk_tier = "low"

[args.seconds]
position = 1
required = true
type = "integer"
min = 0
max = 60
description = "how long"

[command]
template = "sleep {seconds}"

[output]
format = "text"
envelope = false
`;

const SEQ = `
[tool]
name = "count"
version = "1.0.0"
binary = "seq"
description = "counts"
timeout_seconds = 10
risk_tier = "low"

[args.n]
position = 1
required = true
type = "integer"
min = 1
max = 1000
description = "up to"

[command]
template = "seq {n}"

[output]
format = "text"
envelope = false
`;

/** An agent that calls `send(value, recipient)` for each pair and reports what happened to each. */
const sender = (requirements: string, extra = "") => `
agent a(values: List<String>, recipients: List<String>) -> List<String> {
    capabilities = ["send", "nap"]
    policy p {
        allow: send(v, r)
        allow: nap(s)
        require: ${requirements}
    }
    ${extra}
    with sandbox = "process", timeout = 30s {
        let out = [];
        let i = 0;
        for v in values {
            try {
                out = out + [send(v, recipients[i]).raw_output.trim()];
            } catch (PolicyDenied e) {
                out = out + ["denied " + e.rule + ": " + e.reason];
            } catch (ToolError e) {
                out = out + ["tool error: " + e.message];
            }
            i = i + 1;
        }
        return out;
    }
}
`;

async function build(src: string): Promise<{ dir: string; bundle: Bundle }> {
  const dir = quickstartProject(src, { send: echoTool("send"), nap: SLEEP });
  const errors = checkFiles([dir]).diagnostics.filter((d) => d.severity === "error");
  assert.equal(
    errors.map((d) => `${d.code} ${d.message}`),
    [],
  );
  const { bundles } = await compileToBundles(join(dir, "agent.symbi"));
  return { dir, bundle: bundles.get("a")! };
}

const work = mkdtempSync(join(tmpdir(), "symbi-settings-"));
const key = join(work, "audit.key");
generateKeyFiles(key);
let logs = 0;
/** A fresh signed audit log (rate limits count calls across the runs recorded in one log). */
const freshLog = () => join(work, `run-${++logs}.log`);

async function run(bundle: Bundle, values: string[], recipients: string[], o: Partial<ExecOptions> = {}) {
  const r = await execAgent({
    bundle,
    input: { values, recipients },
    onLog: () => {},
    auditLog: freshLog(),
    keyFile: key,
    ...o,
  });
  assert.is(r.status, "ok", r.message);
  return r.value as string[];
}

const T = suite("issue 11 item 8: settings that are accepted but not enforced");

T('rate_limiting "2/minute": the third call in the minute is PolicyDenied naming the rule', async () => {
  const { bundle } = await build(sender('{ rate_limiting: "2/minute" }'));
  const out = await run(bundle, ["a", "b", "c"], ["x", "x", "x"]);
  assert.is(out[0], "a x");
  assert.is(out[1], "b x");
  assert.match(out[2]!, /^denied a\.p\.\d+: rate_limiting 2\/minute reached: 2 calls of `send` in the last 60s$/);
});

T("rate_limiting counts across runs: runs recorded in one audit log share the limit", async () => {
  const { bundle } = await build(sender('{ rate_limiting: "3/hour/recipient" }'));
  const log = freshLog();
  const first = await run(bundle, ["a", "b"], ["ann", "ann"], { auditLog: log });
  assert.equal(first, ["a ann", "b ann"]);
  // A new process would read the same log: a second run may make one more call for ann, not three.
  const second = await run(bundle, ["c", "d", "e"], ["ann", "ann", "bob"], { auditLog: log });
  assert.is(second[0], "c ann");
  assert.match(second[1]!, /^denied .*rate_limiting 3\/hour\/recipient reached: 3 calls of `send` for recipient "ann"/);
  assert.is(second[2], "e bob");
  // What the log keeps to count with names no argument value.
  const text = readFileSync(log, "utf8");
  const starts = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: { rateKeys?: string[] } })
    .filter((r) => r.type === "tool_start");
  assert.is(starts.length, 4);
  for (const st of starts) assert.match(st.details.rateKeys?.[0] ?? "", /^[0-9a-f]{64}$/);
  assert.ok(verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) }).ok);
});

T("rate_limiting: a run with no audit log to count earlier runs in is refused, naming the rule", async () => {
  const { bundle } = await build(sender('{ rate_limiting: "2/minute" }'));
  let refused: Error | undefined;
  try {
    await execAgent({ bundle, input: { values: ["a"], recipients: ["x"] }, onLog: () => {} });
  } catch (e) {
    refused = e as Error;
  }
  assert.is(refused?.name, "ContextError");
  assert.match(
    refused!.message,
    /agent `a` has rate limits \(a\.p\.\d+ \(.*\)\), which count calls across runs in the audit log, but no audit log is configured/,
  );
});

T('rate_limiting "1/hour/recipient" counts each recipient apart', async () => {
  const { bundle } = await build(sender('{ rate_limiting: "1/hour/recipient" }'));
  const out = await run(bundle, ["a", "b", "c"], ["ann", "bob", "ann"]);
  assert.equal(out.slice(0, 2), ["a ann", "b bob"]);
  assert.match(out[2]!, /^denied .*rate_limiting 1\/hour\/recipient reached: 1 call of `send` for recipient "ann"/);
});

T('max_data_size "40B": larger arguments are denied before the tool runs; a larger output is a ToolError', async () => {
  const { bundle } = await build(sender('{ max_data_size: "40B" }'));
  const long = "z".repeat(60);
  const out = await run(bundle, ["small", long], ["x", "x"]);
  assert.is(out[0], "small x");
  assert.match(out[1]!, /^denied .*the arguments of `send` are \d+ bytes, more than max_data_size 40B$/);
  // Arguments within the limit whose output is not: `seq 100` prints 292 bytes.
  const dir = quickstartProject(
    `
agent a() -> String {
    capabilities = ["count"]
    policy p {
        allow: count(n)
        require: { max_data_size: "100B" }
    }
    with sandbox = "process", timeout = 30s {
        try { return count(100).raw_output; } catch (ToolError e) { return e.message; }
    }
}
`,
    { count: SEQ },
  );
  const { bundles } = await compileToBundles(join(dir, "agent.symbi"));
  const r = await execAgent({ bundle: bundles.get("a")!, input: {}, onLog: () => {} });
  assert.match(
    String(r.value),
    /^`count` printed 292 bytes, more than max_data_size 100B \(a\.p\.\d+\); its output is not used$/,
  );
});

T('timeout_per_request "500ms" kills a tool whose contract allows 10s', async () => {
  const dir = quickstartProject(
    `
agent a() -> String {
    capabilities = ["nap"]
    policy p {
        allow: nap(s)
        require: { timeout_per_request: "500ms" } for nap
    }
    with sandbox = "process", timeout = 30s {
        try { nap(5); return "slept"; } catch (Timeout e) { return e.message; }
    }
}
`,
    { nap: SLEEP },
  );
  const { bundles } = await compileToBundles(join(dir, "agent.symbi"));
  const t0 = Date.now();
  const r = await execAgent({ bundle: bundles.get("a")!, input: {}, onLog: () => {} });
  assert.ok(Date.now() - t0 < 4500, "the tool did not run for its contract's timeout");
  assert.match(String(r.value), /was killed after timeout_per_request 500ms/);
});

T('approval_expiry "1s": an approval answered after it does not approve the call', async () => {
  const { bundle } = await build(sender('[approval, { approval_expiry: "1s" }] for send'));
  const slowYes = (ms: number): Approver => ({
    mode: "ask",
    approve: () => new Promise((res) => setTimeout(() => res({ approved: true, approver: "test", answer: "y" }), ms)),
  });
  const late = await run(bundle, ["a"], ["x"], { approver: slowYes(1300) });
  assert.match(late[0]!, /^denied .*not given: the approval came after \d+ ms, later than approval_expiry 1s/);
  const prompt = await run(bundle, ["a"], ["x"], { approver: slowYes(0) });
  assert.equal(prompt, ["a x"]);
});

T("a control that must be in place (pii_detection: true) denies until the deployment states it", async () => {
  const { bundle } = await build(sender("{ pii_detection: true } for send"));
  const without = await run(bundle, ["a"], ["x"]);
  assert.match(without[0]!, /^denied a\.p\.\d+\.pii_detection: /);
  const stated = await run(bundle, ["a"], ["x"], { context: { context: { pii_detection: true } } });
  assert.equal(stated, ["a x"]);
});

T("settings nothing enforces are check errors (E0311), and the build refuses them too", async () => {
  for (const [setting, message] of [
    ['{ api_key_rotation: "30d" }', "`api_key_rotation` is not enforced by symbi"],
    ["{ max_scan_depth: 3 }", "`max_scan_depth` is not enforced by symbi"],
    ['{ approval_scope: "session" }', '`approval_scope` = "session" is not enforced by symbi'],
  ] as const) {
    const dir = quickstartProject(sender(setting), { send: echoTool("send"), nap: SLEEP });
    const errs = checkFiles([dir]).diagnostics.filter((d) => d.severity === "error");
    assert.equal(
      errs.map((d) => d.code),
      ["E0311"],
      setting,
    );
    assert.ok(errs[0]!.message.startsWith(message), errs[0]!.message);
    let built = true;
    try {
      await compileToBundles(join(dir, "agent.symbi"));
    } catch {
      built = false;
    }
    assert.not.ok(built, `${setting}: the build refused it too`);
  }
});

T("deny: <capability> that no request can match is a warning (W0304)", () => {
  const dir = quickstartProject(
    `
agent a() -> String {
    capabilities = ["greet", "network_access"]
    policy p {
        allow: greet(w)
        deny: network_access
    }
    with sandbox = "process", timeout = 10s { return greet("x").raw_output; }
}
`,
  );
  const w = checkFiles([dir]).diagnostics.filter((d) => d.code === "W0304");
  assert.is(w.length, 1);
  assert.match(w[0]!.message, /no request can match `network_access`/);
});

T.run();
