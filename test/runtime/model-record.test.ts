/**
 * Record and replay (`symbi exec --record FILE`, `--model replay:FILE`): a recorded run replays
 * with no model service and the same result and audit hashes; a run whose requests differ fails
 * loudly, naming where; a recording holds no key and says when its answers were scripted.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { loadPublicKey, generateKeyFiles } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { symbi } from "../helpers/symbi.js";
import { SCRIPTED_NOTE, startModelServer } from "../helpers/model-server.js";
import { FIXTURE, KEY, ofType, ROOT, runAgent, work } from "./model-helpers.js";

const R = suite("record and replay");

const recording = join(work, "solver.recording.jsonl");
const TASK = { task: "Greet Ada and factor a number", rounds: 5 };
const SCRIPT = [
  {
    toolCalls: [
      { name: "greet", arguments: { who: "Ada" } },
      { name: "factor", arguments: { n: 99_999_999 } },
    ],
  },
  { toolCalls: [{ name: "factor", arguments: { n: 360 } }] },
  { text: "Hello Ada; 360 = 2^3 * 3^2 * 5." },
];

R("a recorded run replays with no model service: same result, same request and response hashes", async () => {
  const server = await startModelServer("openai", SCRIPT);
  const live = await runAgent(server, "solver", TASK, { record: recording });
  await server.close();
  const text = readFileSync(recording, "utf8");
  assert.not.ok(text.includes(KEY), "no key in the recording");
  const lines = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.is(lines.length, 4, "a header and three exchanges");
  assert.equal(lines[0].source, { kind: "scripted", note: SCRIPTED_NOTE }, "the header says the answers were scripted");
  assert.equal(
    [lines[0].format, lines[0].provider, lines[0].model],
    ["symbi-model-recording/1", "openai", "test-model"],
  );

  const replay = await runAgent(undefined, "solver", TASK, { replay: recording, flag: null, env: {} });
  assert.is(replay.result.status, "ok", replay.result.message);
  assert.equal(replay.result.value, live.result.value);
  const hashes = (r: typeof live) =>
    ofType(r.records, "model_call").map((m) => [m.details.requestSha256, m.details.responseSha256]);
  assert.equal(hashes(replay), hashes(live));
  assert.ok(ofType(replay.records, "model_call").every((m) => m.details.replayed === true));
  // The tools really ran again, under the same decisions.
  assert.equal(
    ofType(replay.records, "decision").map((d) => [d.details.action, d.details.decision]),
    ofType(live.records, "decision").map((d) => [d.details.action, d.details.decision]),
  );
  assert.is(replay.setup.finish(), undefined, "every exchange was used");
});

R("a run that diverges from its recording fails loudly, naming the first difference", async () => {
  const r = await runAgent(
    undefined,
    "solver",
    { ...TASK, task: "Something else" },
    { replay: recording, flag: null, env: {} },
  );
  assert.is(r.result.status, "error");
  assert.is(r.result.exitCode, 1);
  assert.is(r.result.error?.kind, "ModelError");
  assert.match(
    r.result.message!,
    /replay of .*solver\.recording\.jsonl diverged at model call 1: no recorded exchange has this request; it differs from the next recorded request \(line 2\) at request\.messages\[0\]\.content: recorded "Greet Ada and factor a number", now "Something else"/,
  );
});

R("a run that ends before its recording did is reported: the unused exchanges", async () => {
  const lines = readFileSync(recording, "utf8").trim().split("\n");
  const longer = join(work, "longer.recording.jsonl");
  // The same exchanges plus one the run will never ask for.
  const extra = JSON.parse(lines[3]!);
  extra.seq = 4;
  extra.request.messages.push({ role: "user", content: "and one more thing" });
  writeFileSync(longer, [...lines, JSON.stringify(extra)].join("\n") + "\n");
  const r = await runAgent(undefined, "solver", TASK, { replay: longer, flag: null, env: {} });
  assert.is(r.result.status, "ok");
  assert.match(r.setup.finish() ?? "", /diverged: the run ended with 1 recorded exchange unused \(first: seq 4\)/);
});

R("failures are recorded and replayed too (a provider timeout stays a Timeout)", async () => {
  const server = await startModelServer("anthropic", [{ hang: true }]);
  const file = join(work, "timeout.recording.jsonl");
  const live = await runAgent(
    server,
    "asker",
    { prompt: "hi" },
    { record: file, settings: { timeout: "200ms", max_retries: 0 } },
  );
  await server.close();
  const replay = await runAgent(undefined, "asker", { prompt: "hi" }, { replay: file, flag: null, env: {} });
  assert.is(live.result.value, "Timeout: anthropic: no answer within 0.2s (1 attempt)");
  assert.is(replay.result.value, live.result.value);
});

const target = join(FIXTURE, "agents", "model.symbi");

R("symbi exec --model replay:FILE runs the agent from its recording (CLI)", async () => {
  const r = await symbi(
    "exec",
    target,
    "--agent",
    "solver",
    "--input",
    JSON.stringify(TASK),
    "--model",
    `replay:${recording}`,
    "--compact",
  );
  assert.is(r.code, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).termination_reason, "final_answer");
});

R("symbi exec refuses bad model options before the run (CLI)", async () => {
  const bad = await symbi("exec", target, "--agent", "asker", "--input", '{"prompt":"x"}', "--model", "gemini:pro");
  // A configuration problem, located at its flag (exit 3, as every configuration problem).
  assert.is(bad.code, 3);
  assert.match(bad.stderr, /symbi: error: flag --model: model\.model unknown provider `gemini`/);
  const both = await symbi(
    "exec",
    target,
    "--agent",
    "asker",
    "--input",
    '{"prompt":"x"}',
    "--model",
    `replay:${recording}`,
    "--record",
    join(work, "x.jsonl"),
  );
  assert.is(both.code, 1);
  assert.match(both.stderr, /--record cannot be combined with --model replay:FILE/);
  const notRec = join(work, "not-a-recording.jsonl");
  writeFileSync(notRec, '{"hello": "world"}\n');
  const junk = await symbi(
    "exec",
    target,
    "--agent",
    "asker",
    "--input",
    '{"prompt":"x"}',
    "--model",
    `replay:${notRec}`,
  );
  assert.is(junk.code, 1);
  assert.match(junk.stderr, /not-a-recording\.jsonl:1: not a model recording/);
});

R(
  "Ctrl-C during a model call: symbi exec stops at once, exit 1, and the audit log is closed and verifies (CLI)",
  async () => {
    const server = await startModelServer("openai", [{ hang: true }]);
    const key = join(work, "sigint.key");
    generateKeyFiles(key);
    const log = join(work, "sigint.audit.log");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "runtime/cli/main.ts",
        "exec",
        target,
        "--agent",
        "asker",
        "--input",
        '{"prompt": "hi"}',
        "--model",
        "openai:test-model",
        "--audit-log",
        log,
        "--key",
        key,
      ],
      { cwd: ROOT, env: { ...process.env, OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: KEY, SYMBI_DEBUG: "" } },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    try {
      // Interrupt once the request is in flight.
      for (let i = 0; i < 600 && server.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.is(server.requests.length, 1, "the model call started");
      const t0 = Date.now();
      child.kill("SIGINT");
      const code = await exited;
      assert.ok(Date.now() - t0 < 5000, "stopped at once");
      assert.is(code, 1);
      assert.match(stderr, /Aborted: interrupted \(SIGINT\)/);
      const v = verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) });
      assert.ok(v.ok, JSON.stringify(v.firstBad));
      const lines = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.type === "model_call" && l.details.error?.kind === "aborted"));
      assert.ok(lines.some((l) => l.type === "run_end" && l.details.status === "error"));
    } finally {
      child.kill("SIGKILL");
      await server.close();
    }
  },
);

R.run();
