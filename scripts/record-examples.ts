/**
 * Makes the committed recordings of the model-driven examples:
 *
 *   npx tsx scripts/record-examples.ts [log-triage|diff-review|mcp-notes ...]
 *
 * No model is reachable from the machines this project is built on, so the model's side of each
 * run is scripted here — the calls a model might propose, and its final text — and served by
 * the loopback test server (test/helpers/model-server.ts) through the real OpenAI client. The
 * tools, the policy decisions and the tool output are real: `symbi exec` runs the example
 * exactly as a user does, with `--record`. The server marks its answers as scripted, so each
 * recording's header says `"source": {"kind": "scripted", ...}` — never a real model's words.
 *
 * To record a real model instead, run the example with `--model openai:MODEL --record FILE`
 * (README.md of each example).
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareExample } from "../examples/prepare.mjs";
import { main } from "../runtime/cli/main.js";
import { startModelServer, type Turn } from "../test/helpers/model-server.js";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

interface Scripted {
  input: Record<string, unknown>;
  turns: Turn[];
}

const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });

export const SCRIPTS: Record<"log-triage" | "diff-review" | "mcp-notes", Scripted> = {
  "log-triage": {
    input: { question: "Checkout failed for several minutes around 14:02. What happened?" },
    turns: [
      { text: "Let me see which logs there are.", toolCalls: [call("list_logs")] },
      {
        text: "Starting with the application's errors, and the logins around the incident.",
        toolCalls: [
          call("grep_log", { file: "app.log", text: "ERROR" }),
          call("tail_log", { file: "auth.log", lines: 20 }),
        ],
      },
      {
        text: "The policy refused reading auth.log (rule log_triage.triage.6); I will only count its lines. The errors are database acquire timeouts, so the database log next.",
        toolCalls: [
          call("count_lines", { file: "auth.log" }),
          call("grep_log", { file: "db.log", text: "lock" }),
          call("grep_log", { file: "db.log", text: "too many clients" }),
        ],
      },
      {
        text: "Process 2198 held a table lock for five minutes. Which job was that, and what did clients see?",
        toolCalls: [
          call("grep_log", { file: "jobs.log", text: "reindex" }),
          call("grep_log", { file: "access.log", text: " 502 " }),
        ],
      },
      {
        text: [
          "Root cause: the cron job reindex-inventory, changed by deploy 2.8.1 to process the whole table under a table lock (jobs.log:3, was batch=500 with row locks), started at 14:01:00 and held LOCK TABLE inventory IN SHARE ROW EXCLUSIVE MODE for 322 s, until its COMMIT at 14:06:24 (db.log:3, db.log:9-10).",
          "",
          "Chain of effects:",
          "- 14:01:21 checkout's inventory reservations queue behind the job's lock (db.log:4-5; app.log:8, a 9.8 s reserve).",
          "- 14:01:36-14:01:47 the app's 20 pooled connections are all waiting (app.log:9-10); the database refuses new clients (db.log:6-8).",
          "- 14:01:52-14:05:40 requests time out after 5 s waiting for a connection and checkouts fail: orders A-1034 to A-1037 (app.log:11-21); client retries add load (app.log:15); nginx answers 502 (access.log:3-7).",
          "- 14:06:25 the job commits, the lock is granted (db.log:11), the pool recovers (app.log:22) and checkouts succeed again (access.log:8).",
          "",
          "Fix: put the job back to batch=500 with row locks (or run it off-hours), and give checkout queries a lock_timeout so one job cannot exhaust the pool.",
          "",
          "Not examined: auth.log (5 lines) — the policy does not let me read it (rule log_triage.triage.6).",
        ].join("\n"),
      },
    ],
  },
  "diff-review": {
    input: { focus: "correctness and security" },
    turns: [
      { text: "First, what the change touches.", toolCalls: [call("changed_files")] },
      { toolCalls: [call("diff_file", { path: "pricing.py" }), call("diff_file", { path: ".env" })] },
      {
        text: "The policy refused the diff of .env (rule diff_review.review.5): a secrets file is part of the change. I will not try to read it another way. Now the tests, and the callers of order_total.",
        toolCalls: [call("diff_file", { path: "test_pricing.py" }), call("grep_code", { text: "order_total" })],
      },
      {
        text: [
          '1. pricing.py:6-15 — the bounds check of apply_discount is gone, and apply_coupon adds the coupon to the discount, so the total can pass 100% and the price turns negative: apply_coupon(1000, 60, "STAFF50") returns -100, a refund at checkout. Keep the check in apply_discount and cap the sum in apply_coupon (min(percent + extra, 100)), or refuse it.',
          "2. pricing.py:18-20 with pricing.py:14 — order_total now calls apply_coupon(unit, percent, coupon) with coupon=None by default, and apply_coupon calls code.upper(): every order without a coupon raises AttributeError, including the existing test_order_total (test_pricing.py:14-15). Use `COUPONS.get(code.upper(), 0) if code else 0`.",
          "3. test_pricing.py:10-11 — the test that a discount above 100% is refused was deleted rather than adapted. Add tests for a stacked total above 100% and for an order without a coupon.",
          "4. .env — the change adds an env file (2 lines). I did not read it: the policy keeps secrets files from me (rule diff_review.review.5). If it holds real keys they are now in the history: remove it, ignore it in .gitignore, and rotate the keys.",
          "",
          "Verdict: request changes.",
        ].join("\n"),
      },
    ],
  },
  "mcp-notes": {
    input: { question: "The primary database disk is at 98%. What do I do?" },
    turns: [
      { text: "Searching the runbooks.", toolCalls: [call("search_notes", { query: "disk database" })] },
      {
        text: "Two runbooks match. Reading both.",
        toolCalls: [call("read_note", { id: "disk-full" }), call("read_note", { id: "db-credentials" })],
      },
      {
        text: [
          "From runbook disk-full:",
          "1. Confirm the full volume with df -h (the data volume is /var/lib/postgresql).",
          "2. If WAL is growing, look for a stuck replication slot: SELECT slot_name, active FROM pg_replication_slots.",
          "3. Drop an inactive slot only after #db-oncall confirms its replica is gone.",
          "4. Do not delete files under pg_wal by hand.",
          "",
          "Runbook db-credentials was not read: the policy refused it (rule runbook_assistant.runbooks.3). None of these steps needs the superuser password.",
        ].join("\n"),
      },
    ],
  },
};

async function record(name: keyof typeof SCRIPTS): Promise<void> {
  // mcp-notes has no data to put in place: its MCP server holds the runbooks.
  if (name !== "mcp-notes") prepareExample(name);
  const s = SCRIPTS[name];
  const server = await startModelServer("openai", s.turns);
  const saved = {
    base: process.env.OPENAI_BASE_URL,
    key: process.env.OPENAI_API_KEY,
    model: process.env.SYMBIONT_MODEL,
  };
  process.env.OPENAI_BASE_URL = server.baseUrl;
  delete process.env.OPENAI_API_KEY; // the loopback server needs no key
  delete process.env.SYMBIONT_MODEL;
  try {
    const dir = join(root, "examples", name);
    const code = await main([
      "node",
      "symbi",
      "exec",
      join(dir, "agent.symbi"),
      "--input",
      JSON.stringify(s.input),
      "--model",
      "openai:scripted",
      "--record",
      join(dir, "recording.jsonl"),
    ]);
    if (code !== 0) throw new Error(`${name}: symbi exec exited with ${code}`);
    if (server.remaining() !== 0) throw new Error(`${name}: ${server.remaining()} scripted turns were not used`);
  } finally {
    await server.close();
    for (const [k, v] of [
      ["OPENAI_BASE_URL", saved.base],
      ["OPENAI_API_KEY", saved.key],
      ["SYMBIONT_MODEL", saved.model],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

const wanted = process.argv.slice(2);
for (const name of (wanted.length > 0 ? wanted : Object.keys(SCRIPTS)) as Array<keyof typeof SCRIPTS>) {
  if (!(name in SCRIPTS)) throw new Error(`unknown example ${name}`);
  await record(name);
}
