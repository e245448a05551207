/**
 * `symbi exec` end to end, in the process tier (runs everywhere): the fixture project in
 * fixtures/e2e is compiled by the real compiler, run by the real runtime (gate, sandbox,
 * audit), and every decision is checked in the verified audit log. Bad inputs of every kind are
 * refused before anything is written.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import {
  compileToBundles,
  execAgent,
  InputError,
  ContextError,
  SandboxSetupError,
  type Bundle,
  type ExecOptions,
} from "../../runtime/exec/index.js";
import { writeBundle } from "../../compiler/emit/bundle.js";
import { BundleError } from "../../formats/bundle.js";
import { buildProject } from "../../compiler/emit/build.js";
import { bundleFromFiles, loadBundleDir } from "../../runtime/exec/bundle.js";
import { AuditError } from "../../runtime/audit/errors.js";
import { KeyError } from "../../formats/keys.js";
import { rejects } from "./helpers.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const fixtures = join(root, "test/runtime/fixtures/e2e");
const work = mkdtempSync(join(tmpdir(), "symbi-exec-test-"));
const key = join(work, "audit.key");
generateKeyFiles(key);
const publicKey = loadPublicKey(`${key}.pub`);

// The fixture project compiles once (every agent of it); each test picks its agent.
let project: Promise<Map<string, Bundle>> | undefined;
async function agent(name: string): Promise<Bundle> {
  project ??= compileToBundles(join(fixtures, "agents", "e2e.symbi")).then((c) => c.bundles);
  const b = (await project).get(name);
  if (!b) throw new Error(`no agent ${name} in the fixture project`);
  return b;
}

let logCounter = 0;
function freshLog(): string {
  return join(work, `run-${++logCounter}.log`);
}

interface Rec {
  seq: number;
  type: string;
  run: string | null;
  details: Record<string, unknown>;
}
function records(log: string): Rec[] {
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Rec);
}
function verified(log: string): Rec[] {
  const v = verifyLog(log, { publicKey });
  assert.ok(v.ok, `the audit log verifies: ${JSON.stringify(v.firstBad)}`);
  return records(log);
}
const silent: ExecOptions["onLog"] = () => {};

const E2E = suite("end to end (process tier)");

E2E(
  "allowed call runs, denial is caught, approval-gated call runs with approval; all in the verified log",
  async () => {
    const log = freshLog();
    const r = await execAgent({
      bundle: await agent("e2e"),
      input: { name: "Ada", number: 12 },
      approve: "all",
      auditLog: log,
      keyFile: key,
      onLog: silent,
    });
    assert.is(r.status, "ok", r.message);
    assert.is(r.exitCode, 0);
    assert.equal(r.value, {
      greeting: "Hello, Ada!",
      factors: "12: 2 2 3",
      denied: "e2e.rules.2",
      reason: "denied by rule e2e.rules.2 (agents/e2e.symbi:9:9 `deny: factor(n) if n > 1000`)",
      stamped: "stamped final",
      failed: "ToolError",
    });
    const recs = verified(log);
    const types = recs.map((x) => x.type);
    assert.equal(types[0], "genesis");
    assert.is(types.filter((t) => t === "run_start").length, 1);
    const decisions = recs
      .filter((x) => x.type === "decision")
      .map((x) => [x.details.action, x.details.decision, x.details.rules]);
    assert.equal(decisions, [
      ["greet", "allow", ["e2e.rules.0"]],
      ["factor", "deny", ["e2e.rules.2"]],
      ["stamp", "require_approval", ["e2e.rules.4"]],
      ["fail_tool", "allow", ["e2e.rules.5"]],
      ["factor", "allow", ["e2e.rules.1"]],
    ]);
    const approval = recs.find((x) => x.type === "approval")!;
    assert.is(approval.details.approved, true);
    assert.is(approval.details.action, "stamp");
    // The denied call never started; the approved one did.
    const started = recs.filter((x) => x.type === "tool_start").map((x) => x.details.tool);
    assert.equal(started, ["greet", "stamp", "fail_tool", "factor"]);
    const ends = recs.filter((x) => x.type === "tool_end");
    assert.ok(
      ends.every((x) => typeof x.details.outputSha256 === "string" && typeof x.details.durationMs === "number"),
    );
    assert.equal(
      ends.map((x) => x.details.exitCode),
      [0, 0, 1, 0],
    );
    assert.ok(recs.some((x) => x.type === "error" && x.details.kind === "ToolError"));
    const end = recs.find((x) => x.type === "run_end")!;
    assert.is(end.details.status, "ok");
    assert.is(types[types.length - 1], "checkpoint");
  },
);

E2E("without approval the gated call is denied (caught) and never starts; the refusal is audited", async () => {
  const log = freshLog();
  const r = await execAgent({
    bundle: await agent("e2e"),
    input: { name: "Ada", number: 12 },
    approve: "none",
    auditLog: log,
    keyFile: key,
    onLog: silent,
  });
  assert.is(r.status, "ok", r.message);
  assert.is((r.value as Record<string, unknown>).stamped, "refused by e2e.rules.4");
  const recs = verified(log);
  const approval = recs.find((x) => x.type === "approval")!;
  assert.is(approval.details.approved, false);
  assert.ok(!recs.some((x) => x.type === "tool_start" && x.details.tool === "stamp"));
});

E2E("--approve ask without a terminal refuses", async () => {
  const r = await execAgent({
    bundle: await agent("e2e"),
    input: { name: "Ada", number: 12 },
    approve: "ask",
    onLog: silent,
  });
  assert.is((r.value as Record<string, unknown>).stamped, "refused by e2e.rules.4");
});

E2E("an uncaught denial ends the run with exit 2, recorded as denied", async () => {
  const log = freshLog();
  const r = await execAgent({
    bundle: await agent("uncaught"),
    input: { number: 5000 },
    auditLog: log,
    keyFile: key,
    onLog: silent,
  });
  assert.is(r.status, "denied");
  assert.is(r.exitCode, 2);
  assert.match(
    r.message!,
    /^agents\/uncaught\.symbi:11:9: PolicyDenied: `factor` was denied: denied by rule uncaught\.rules\.1/,
  );
  const recs = verified(log);
  assert.is(recs.find((x) => x.type === "run_end")!.details.status, "denied");
  assert.ok(!recs.some((x) => x.type === "tool_start"));
  const ok = await execAgent({ bundle: await agent("uncaught"), input: { number: 10 }, onLog: silent });
  assert.equal(ok.value, "10: 2 5\n");
});

E2E("the with timeout bounds the run: a running tool is killed and the run ends with Timeout", async () => {
  const log = freshLog();
  const t0 = performance.now();
  const r = await execAgent({
    bundle: await agent("slow"),
    input: { seconds: 30 },
    auditLog: log,
    keyFile: key,
    onLog: silent,
  });
  assert.ok(performance.now() - t0 < 5000, "stopped at the deadline");
  assert.is(r.status, "timeout");
  assert.is(r.exitCode, 1);
  assert.match(r.message!, /agents\/slow\.symbi:10:9: Timeout: the run exceeded the `with` block's timeout \(1s\)/);
  const recs = verified(log);
  assert.is(recs.find((x) => x.type === "run_end")!.details.status, "timeout");
  assert.is(recs.find((x) => x.type === "tool_end")!.details.exitCode, null);
});

E2E(
  "delegate runs a peer as a child run under its own policies; the caller's rule and the peer's receive rule both gate it",
  async () => {
    const all = await project!;
    const log = freshLog();
    const r = await execAgent({
      bundle: await agent("lead"),
      peers: all,
      input: { who: "Ada" },
      auditLog: log,
      keyFile: key,
      onLog: silent,
    });
    assert.is(r.status, "ok", r.message);
    assert.equal(r.value, { answer: "Hello, Ada!", refused: "default-deny" });
    const recs = verified(log);
    const starts = recs.filter((x) => x.type === "run_start");
    assert.is(starts.length, 2);
    assert.is(starts[1]!.details.parentRun, starts[0]!.run);
    const helperDecision = recs.find((x) => x.type === "decision" && x.details.action === "greet")!;
    assert.is(helperDecision.run, starts[1]!.run, "the peer's tool call is recorded under the child run");
    const refused = await execAgent({
      bundle: await agent("outsider"),
      peers: all,
      input: { who: "Ada" },
      onLog: silent,
    });
    assert.is(refused.exitCode, 2);
    assert.match(refused.message!, /agent `helper` refused the message: denied by rule helper\.rules\.1/);
  },
);

E2E(
  "invoke_tool policies restrict every tool call (a deny on the tool's risk tier wins over its own allow)",
  async () => {
    const r = await execAgent({ bundle: await agent("picky"), input: { name: "Ada" }, onLog: silent });
    assert.equal(r.value, { greeting: "Hello, Ada!", stamped: "denied by picky.rules.2" });
  },
);

E2E("the trusted --context feeds guards (user, context.has_human_approval)", async () => {
  const b = await agent("approved");
  const no = await execAgent({
    bundle: b,
    input: { name: "Ada" },
    context: { user: { role: "operator" } },
    onLog: silent,
  });
  assert.is(no.exitCode, 2);
  assert.match(no.message!, /approved\.rules\.1/);
  const yes = await execAgent({
    bundle: b,
    input: { name: "Ada" },
    context: { user: { role: "operator" }, context: { has_human_approval: true, run_id: "forged" } },
    onLog: silent,
  });
  assert.is(yes.status, "ok", yes.message);
  assert.is(yes.value, "Hello, Ada!");
  const wrongRole = await execAgent({
    bundle: b,
    input: { name: "Ada" },
    context: { user: { role: "guest" }, context: { has_human_approval: true } },
    onLog: silent,
  });
  assert.is(wrongRole.exitCode, 2);
});

E2E(
  "a tool no rule allows (its contract is not in the bundle) is a catchable denial, not an unknown name",
  async () => {
    const r = await execAgent({ bundle: await agent("unlisted"), input: { number: 12 }, onLog: silent });
    // The agent's capabilities do not include `factor`: the bound denies it, naming the declaration.
    assert.is(
      r.value,
      'unlisted.capabilities: denied by rule unlisted.capabilities (agents/unlisted.symbi:3:5 `capabilities = ["greet"]`)',
    );
  },
);

E2E("arguments failing the contract raise ArgumentError before the gate; the tool never starts", async () => {
  const log = freshLog();
  const r = await execAgent({
    bundle: await agent("careful"),
    input: { name: "Ada; rm -rf /" },
    auditLog: log,
    keyFile: key,
    onLog: silent,
  });
  assert.match(r.value as string, /^invalid arguments for `greet`: `who`: /);
  const recs = verified(log);
  assert.not.ok(recs.some((x) => x.type === "decision" || x.type === "tool_start"));
  assert.ok(recs.some((x) => x.type === "error" && x.details.kind === "ArgumentError"));
});

E2E("output over the capture cap is a ToolError, not a truncated result", async () => {
  const r = await execAgent({
    bundle: await agent("uncaught"),
    input: { number: 360 },
    maxOutputBytes: 4,
    onLog: silent,
  });
  assert.is(r.status, "error");
  assert.match(r.message!, /ToolError: `factor` printed more than 4 bytes/);
});

E2E("functions from another file of the project run, and their errors point into that file", async () => {
  const ok = await execAgent({ bundle: await agent("multi"), input: { a: 7, b: 2 }, onLog: silent });
  assert.is(ok.value, 3.5);
  const bad = await execAgent({ bundle: await agent("multi"), input: { a: 7, b: 0 }, onLog: silent });
  assert.is(bad.exitCode, 1);
  assert.is(bad.message, "agents/helpers.symbi:3:5: RuntimeError: division by zero");
});

E2E("--facts: trusted facts about argument values feed guards; items nobody vouches for are refused", async () => {
  // Guards on facts (`item.contains_pii`) compile to Cedar, but the checker does not accept them
  // yet (E0203), so this bundle is built with the emitter alone.
  const dir = join(root, "test/runtime/fixtures/facts");
  const out = buildProject({
    projectDir: dir,
    sources: [{ file: "agents/publisher.symbi", bytes: readFileSync(join(dir, "agents/publisher.symbi")) }],
    check: false,
  });
  const files = out.bundles[0]!.files;
  const b = bundleFromFiles(files.get("bundle.json")!.toString("utf8"), files, "publisher (test)");
  const facts = { "report-7": { contains_pii: false }, "customers-1": { contains_pii: true } };
  const ok = await execAgent({ bundle: b, input: { item: "report-7" }, facts, onLog: silent });
  assert.is(ok.value, "published report-7");
  const pii = await execAgent({ bundle: b, input: { item: "customers-1" }, facts, onLog: silent });
  assert.is(pii.exitCode, 2);
  const unknown = await execAgent({ bundle: b, input: { item: "mystery-2" }, facts, onLog: silent });
  assert.is(unknown.exitCode, 2, "no facts: the guard is undefined and the allow does not apply");
  await rejects(
    execAgent({ bundle: b, input: { item: "report-7" }, facts: { "report-7": true } as never }),
    (e) => e instanceof ContextError && e.exitCode === 3,
    "malformed facts",
  );
});

E2E(
  "governed builtins are gated as their stdlib action; unavailable ones fail with a catchable Error after the audited decision",
  async () => {
    const log = freshLog();
    const r = await execAgent({
      bundle: await agent("thinker"),
      input: { prompt: "hello" },
      auditLog: log,
      keyFile: key,
      onLog: silent,
    });
    assert.is(r.value, "Error: `llm_call` is not available: no model provider is configured for this runtime");
    const d = verified(log).find((x) => x.type === "decision")!;
    assert.equal(
      [d.details.action, d.details.builtin, d.details.decision, d.details.rules],
      ["use_llm", "llm_call", "allow", ["thinker.rules.0"]],
    );
    const denied = await execAgent({ bundle: await agent("thinker"), input: { prompt: "forbidden" }, onLog: silent });
    assert.is(denied.value, "denied: default-deny");
  },
);

const Bad = suite("bad input is refused before anything runs");

function noLog(log: string): void {
  assert.not.ok(existsSync(log), "no audit log was created");
}

Bad("inputs of the wrong type: exit 3, a clear message, no log", async () => {
  const log = freshLog();
  await rejects(
    execAgent({ bundle: await agent("e2e"), input: { name: 7, number: 1.5 }, auditLog: log, keyFile: key }),
    (e) =>
      e instanceof InputError &&
      e.exitCode === 3 &&
      /name: expected a String, found the number 7/.test(e.message) &&
      /number: expected an int/.test(e.message),
    "types",
  );
  await rejects(
    execAgent({ bundle: await agent("e2e"), input: { name: "Ada" } }),
    (e) => e instanceof InputError && /number: missing/.test(e.message),
    "missing",
  );
  await rejects(
    execAgent({ bundle: await agent("e2e"), input: [1] }),
    (e) => e instanceof InputError && /JSON object/.test(e.message),
    "not an object",
  );
  noLog(log);
});

Bad("a trusted context the runtime owns is refused", async () => {
  await rejects(
    execAgent({ bundle: await agent("e2e"), input: { name: "Ada", number: 1 }, context: { args: {} } }),
    (e) => e instanceof ContextError && e.exitCode === 3,
    "reserved",
  );
});

Bad("a missing key file: exit 1, no log", async () => {
  const log = freshLog();
  await rejects(
    execAgent({
      bundle: await agent("e2e"),
      input: { name: "Ada", number: 1 },
      auditLog: log,
      keyFile: join(work, "nope.key"),
    }),
    (e) => e instanceof KeyError && e.exitCode === 1 && /nope\.key/.test(e.message),
    "key",
  );
  noLog(log);
});

Bad("an unwritable log: exit 1, nothing written", async () => {
  // The log's folder is a regular file: unwritable for every user, root included.
  const target = join(key, "audit.log");
  await rejects(
    execAgent({ bundle: await agent("e2e"), input: { name: "Ada", number: 1 }, auditLog: target, keyFile: key }),
    (e) =>
      e instanceof AuditError &&
      e.exitCode === 1 &&
      /audit log .*audit\.key\/audit\.log/.test(e.message) &&
      !e.message.includes("\n"),
    "unwritable",
  );
  noLog(target);
  assert.ok(readFileSync(key, "utf8").includes("PRIVATE KEY"), "the key file is untouched");
});

Bad(
  "a tampered bundle file (hash mismatch), an unlisted file and a malformed bundle.json are refused (exit 3)",
  async () => {
    const out = buildProject({
      projectDir: fixtures,
      sources: [{ file: "agents/uncaught.symbi", bytes: readFileSync(join(fixtures, "agents/uncaught.symbi")) }],
    });
    const dir = writeBundle(join(work, "build"), "uncaught", out.bundles[0]!.files);
    const good = loadBundleDir(dir);
    assert.is(good.agent, "uncaught");
    const policy = join(dir, "policy.cedar");
    const original = readFileSync(policy, "utf8");
    writeFileSync(policy, original.replace("forbid", "permit"));
    assert.throws(
      () => loadBundleDir(dir),
      (e: unknown) =>
        e instanceof BundleError && e.exitCode === 3 && /policy\.cedar does not match its hash/.test(e.message),
    );
    writeFileSync(policy, original);
    writeFileSync(join(dir, "extra.cedar"), "permit(principal, action, resource);");
    assert.throws(
      () => loadBundleDir(dir),
      (e: unknown) => e instanceof BundleError && /extra\.cedar is not listed/.test(e.message),
    );
    rmSync(join(dir, "extra.cedar"));
    const manifest = join(dir, "bundle.json");
    writeFileSync(manifest, "{ not json");
    assert.throws(
      () => loadBundleDir(dir),
      (e: unknown) => e instanceof BundleError && /bundle\.json is not valid JSON/.test(e.message),
    );
    writeFileSync(
      manifest,
      JSON.stringify({ format: "symbi-bundle/v1", agent: "uncaught", files: { "../x": "0".repeat(64) } }),
    );
    assert.throws(
      () => loadBundleDir(dir),
      (e: unknown) => e instanceof BundleError && /not a path inside the bundle/.test(e.message),
    );
  },
);

Bad("a dead Docker daemon: one clear line, exit 1, no log", async () => {
  const log = freshLog();
  await rejects(
    execAgent({
      bundle: await agent("containers"),
      input: { name: "Ada", number: 1 },
      auditLog: log,
      keyFile: key,
      sandbox: { docker: { docker: new Docker({ socketPath: join(work, "no-docker.sock") }) } },
    }),
    (e) =>
      e instanceof SandboxSetupError &&
      e.exitCode === 1 &&
      /Docker daemon not reachable/.test(e.message) &&
      !e.message.includes("\n"),
    "dead daemon",
  );
  noLog(log);
});

Bad.after(() => rmSync(work, { recursive: true, force: true }));
for (const s of [E2E, Bad]) s.run();
