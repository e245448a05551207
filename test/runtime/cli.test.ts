/**
 * `symbi exec` as users run it: the quick start through the real entry point (spawned), then
 * the CLI's contract in-process (same main(), stdout/stderr captured): JSON on stdout, one error
 * line on stderr, the documented exit codes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSymbi, symbi } from "../helpers/symbi.js";
import { buildProject } from "../../compiler/emit/build.js";
import { writeBundle } from "../../compiler/emit/bundle.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const fixtures = join(root, "test/runtime/fixtures/e2e");
const work = mkdtempSync(join(tmpdir(), "symbi-exec-cli-"));

const agentFile = (name: string) => join(fixtures, "agents", `${name}.symbi`);

test("the README quick start runs through the real entry point and prints the result as JSON", async () => {
  const r = await spawnSymbi("exec", "examples/quickstart/agent.symbi", "--input", '{"name": "Ada", "number": 360}');
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), {
    greeting: "Hello, Ada!",
    factors: "360: 2 2 2 3 3 5",
    big_number: "denied by rule quickstart.tools.2 (agent.symbi:26:9 `deny: factor(n) if n > 1000000`)",
    denied_by: "quickstart.tools.2",
  });
  assert.is(r.stderr, "");
});

test("--input @file, --compact, and a bundle folder built by the compiler (run unsigned, allowed explicitly)", async () => {
  const out = buildProject({
    projectDir: fixtures,
    sources: [{ file: "agents/uncaught.symbi", bytes: readFileSync(agentFile("uncaught")) }],
  });
  const dir = writeBundle(join(work, "build"), "uncaught", out.bundles[0]!.files);
  writeFileSync(join(work, "in.json"), '{"number": 6}');
  const r = await symbi("exec", dir, "--allow-unsigned", "--input", `@${join(work, "in.json")}`, "--compact");
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '"6: 2 3\\n"\n');
  // The build folder holding it works too, and --agent must match.
  assert.is(
    (await symbi("exec", join(work, "build"), "--allow-unsigned", "--input", '{"number": 6}', "--compact")).stdout,
    '"6: 2 3\\n"\n',
  );
  const wrong = await symbi("exec", dir, "--agent", "other", "--input", '{"number": 6}');
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, /holds agent `uncaught`, not `other`/);
  // Tampering is refused before anything runs.
  writeFileSync(
    join(dir, "policy.cedar"),
    readFileSync(join(dir, "policy.cedar"), "utf8") + "\npermit(principal, action, resource);\n",
  );
  const t = await symbi("exec", dir, "--allow-unsigned", "--input", '{"number": 6}');
  assert.is(t.code, 3);
  assert.is(t.stdout, "");
  assert.match(t.stderr, /^symbi: error: .*policy\.cedar does not match its hash in bundle\.json/);
  assert.is(t.stderr.trim().split("\n").length, 1);
});

test("exit codes and one-line errors: denial 2, bad input 3, bad JSON 3, unreadable @file 1, usage 1", async () => {
  const denied = await symbi("exec", agentFile("uncaught"), "--input", '{"number": 5000}');
  assert.is(denied.code, 2);
  assert.is(denied.stdout, "");
  assert.match(denied.stderr, /^symbi: error: agents\/uncaught\.symbi:11:9: PolicyDenied: /);
  assert.is(denied.stderr.trim().split("\n").length, 1);

  const badType = await symbi("exec", agentFile("uncaught"), "--input", '{"number": "five"}');
  assert.is(badType.code, 3);
  assert.is(
    badType.stderr,
    'symbi: error: invalid input: number: expected an int (a whole number), found the string "five"\n',
  );

  const badJson = await symbi("exec", agentFile("uncaught"), "--input", "{number: 5}");
  assert.is(badJson.code, 3);
  assert.match(badJson.stderr, /^symbi: error: --input is not valid JSON/);

  const noFile = await symbi("exec", agentFile("uncaught"), "--input", "@/nonexistent/in.json");
  assert.is(noFile.code, 1);
  assert.match(noFile.stderr, /cannot read \/nonexistent\/in\.json \(no such file\)/);

  const halfAudit = await symbi("exec", agentFile("uncaught"), "--audit-log", join(work, "x.log"));
  assert.is(halfAudit.code, 1);
  assert.match(halfAudit.stderr, /--audit-log needs a signing key: --key KEYFILE or \[security\] audit_signing_key/);

  const notATarget = await symbi("exec", join(work, "nothing-here"));
  assert.is(notATarget.code, 1);
  assert.match(notATarget.stderr, /does not exist/);

  const badMode = await symbi("exec", agentFile("uncaught"), "--approve", "maybe");
  assert.is(badMode.code, 1);
});

test("a source that does not compile: the compiler's diagnostics, exit 3, nothing runs", async () => {
  const bad = join(work, "bad.symbi");
  writeFileSync(bad, 'agent broken(x: int) {\n  with sandbox = "process" {\n    let = ;\n  }\n}\n');
  const r = await symbi("exec", bad, "--input", '{"x": 1}');
  assert.is(r.code, 3);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /bad\.symbi:3:/);
  assert.match(r.stderr, /symbi: error: .*does not compile/);
});

test("--context feeds trusted records; --audit-log with --key appends; a run error is one line with its location", async () => {
  const key = join(work, "key");
  assert.is((await symbi("keygen", "--out", key)).code, 0);
  const log = join(work, "audit.log");
  const first = await symbi(
    "exec",
    agentFile("uncaught"),
    "--input",
    '{"number": 10}',
    "--audit-log",
    log,
    "--key",
    key,
    "--context",
    '{"user": {"role": "analyst"}}',
  );
  assert.is(first.code, 0, first.stderr);
  const n1 = readFileSync(log, "utf8").trim().split("\n").length;
  const second = await symbi(
    "exec",
    agentFile("uncaught"),
    "--input",
    '{"number": 5000}',
    "--audit-log",
    log,
    "--key",
    key,
  );
  assert.is(second.code, 2);
  const lines = readFileSync(log, "utf8").trim().split("\n");
  assert.ok(lines.length > n1, "the second run was appended");
  const verify = await symbi("audit", "verify", log, "--pubkey", `${key}.pub`);
  assert.is(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /2 runs/);
});

test("Ctrl-C ends the run: the running tool is killed, the log records how the run ended and verifies, exit 1", async () => {
  const key = join(work, "sigkey");
  assert.is((await symbi("keygen", "--out", key)).code, 0);
  const log = join(work, "sigint.log");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "runtime/cli/main.ts",
      "exec",
      agentFile("patient"),
      "--input",
      '{"rounds": 10}',
      "--audit-log",
      log,
      "--key",
      key,
    ],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const closed = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  // Wait for the first tool to be running, then interrupt.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let text = "";
    try {
      text = readFileSync(log, "utf8");
    } catch {
      /* not created yet */
    }
    if (text.includes('"type":"tool_start"')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGINT");
  const code = await closed;
  assert.is(code, 1, stderr);
  assert.match(stderr, /Aborted: interrupted \(SIGINT\)/);
  const lines = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> });
  const end = lines.find((l) => l.type === "run_end");
  assert.ok(end, "run_end recorded");
  assert.is(end!.details.status, "error");
  assert.is(lines[lines.length - 1]!.type, "checkpoint");
  const verify = await symbi("audit", "verify", log, "--pubkey", `${key}.pub`);
  assert.is(verify.code, 0, verify.stdout);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
