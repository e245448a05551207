/**
 * The model-driven examples end to end, from their committed recordings: `symbi exec --model
 * replay:FILE` runs each example's real tools in the process sandbox under its policy, with a
 * signed audit log that verifies and shows every model call, every proposed call with its
 * decision (the example's visible denial among them), and the loop's end. The recordings say in
 * their header that their answers were scripted.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { prepareExample } from "../../examples/prepare.mjs";
import { loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { generateKeyFiles } from "../../runtime/audit/keys.js";
import { symbi } from "../helpers/symbi.js";
import { ROOT, work, type Rec } from "./model-helpers.js";

const E = suite("model-driven examples, from their recordings");

const key = join(work, "examples.key");
generateKeyFiles(key);

const EXAMPLES = [
  {
    name: "log-triage" as const,
    input: { question: "Checkout failed for several minutes around 14:02. What happened?" },
    denied: { action: "tail_log", rule: "log_triage.triage.6", args: { file: "auth.log", lines: 20 } },
    answer: /Root cause: the cron job reindex-inventory/,
  },
  {
    name: "diff-review" as const,
    input: { focus: "correctness and security" },
    denied: { action: "diff_file", rule: "diff_review.review.5", args: { path: ".env" } },
    answer: /Verdict: request changes\./,
  },
  {
    // Its tools are served by an MCP server (examples/mcp-notes/server.mjs), started for the run.
    name: "mcp-notes" as const,
    input: { question: "The primary database disk is at 98%. What do I do?" },
    denied: { action: "read_note", rule: "runbook_assistant.runbooks.3", args: { id: "db-credentials" } },
    answer: /From runbook disk-full:/,
  },
];

for (const ex of EXAMPLES) {
  E(
    `${ex.name}: replays with no model service; the audit log verifies and shows each model call and decision`,
    async () => {
      if (ex.name !== "mcp-notes") prepareExample(ex.name);
      const dir = join(ROOT, "examples", ex.name);
      const recording = join(dir, "recording.jsonl");
      const lines = readFileSync(recording, "utf8").trim().split("\n");
      const header = JSON.parse(lines[0]!);
      assert.is(header.source.kind, "scripted", "a recording of scripted answers says so");
      const log = join(work, `${ex.name}.audit.log`);
      const r = await symbi(
        "exec",
        join(dir, "agent.symbi"),
        "--input",
        JSON.stringify(ex.input),
        "--model",
        `replay:${recording}`,
        "--audit-log",
        log,
        "--key",
        key,
        "--compact",
      );
      assert.is(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.is(out.termination_reason, "final_answer");
      assert.match(out.diagnosis ?? out.review ?? out.answer, ex.answer);

      const v = verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) });
      assert.ok(v.ok, JSON.stringify(v.firstBad));
      const records = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Rec);
      const calls = records.filter((x) => x.type === "model_call");
      assert.is(calls.length, lines.length - 1, "one model_call per recorded exchange");
      assert.ok(calls.every((c) => c.details.replayed === true && c.details.provider === "openai"));
      const proposals = records.filter((x) => x.type === "model_proposal");
      const decisions = records.filter((x) => x.type === "decision" && x.details.action !== "use_llm");
      assert.is(decisions.length, proposals.length, "every proposal was decided");
      const denial = decisions.find((d) => d.details.decision === "deny")!;
      assert.equal(
        [denial.details.action, denial.details.rules, denial.details.args],
        [ex.denied.action, [ex.denied.rule], ex.denied.args],
      );
      const started = records.filter((x) => x.type === "tool_start").length;
      assert.is(started, decisions.length - 1, "every allowed call ran in the sandbox; the denied one did not");
      if (ex.name === "mcp-notes")
        assert.ok(
          records.filter((x) => x.type === "tool_start").every((x) => x.details.mcpServer === "runbooks"),
          "the calls went to the MCP server",
        );
      const end = records.find((x) => x.type === "reason_end")!;
      assert.is(end.details.termination_reason, "final_answer");
    },
  );
}

E.run();
