/**
 * Text agent code controls, on the operator's terminal (issue 11): the approval prompt shows
 * every argument, escaped, with its length (item 9); `log` / `print` lines and uncaught error
 * messages cannot forge lines or send escape sequences (item 18).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PassThrough } from "node:stream";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { approverFor, type ApprovalRequest } from "../../runtime/gate/approval.js";
import { APPROVAL_VALUE_HEAD, APPROVAL_VALUE_TAIL, renderApprovalPrompt } from "../../runtime/gate/approval-prompt.js";
import { escapeForTerminal, quoteForTerminal } from "../../runtime/terminal/escape.js";
import { symbi } from "../helpers/symbi.js";

/** Any byte that makes a terminal do something other than print: C0 (tab aside), DEL, C1, bidi. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/;

/** Asks on a fake terminal (both streams claim to be TTYs), answering `answer`; returns what was shown. */
async function ask(req: ApprovalRequest, answer: string): Promise<{ shown: string; approved: boolean }> {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = Object.assign(new PassThrough(), { isTTY: true });
  let shown = "";
  output.on("data", (d) => (shown += String(d)));
  const pending = approverFor("ask", { input, output }).approve(req);
  setTimeout(() => input.write(`${answer}\n`), 20);
  const a = await pending;
  return { shown, approved: a.approved };
}

const request = (args: Record<string, unknown>): ApprovalRequest => ({
  agent: "mailer",
  tool: "send_mail",
  args,
  rules: ["mailer.rules.1"],
  reason: "sending mail needs a human approval",
});

test("item 9: a long first argument no longer hides the recipient from the approver", async () => {
  const { shown, approved } = await ask(
    request({ body: "Quarterly report. ".repeat(60), to: "attacker@evil.example" }),
    "n",
  );
  assert.not.ok(approved);
  assert.match(shown, 'to (21 characters): "attacker@evil.example"');
  assert.match(shown, "body (1080 characters):");
  assert.match(shown, "approve this call? [y/N]");
});

test("item 9: a very long value shows head and tail with the count of what is between", () => {
  const value = "H".repeat(1000) + "MIDDLE" + "T".repeat(1000);
  const text = renderApprovalPrompt(request({ body: value }));
  const hidden = value.length - APPROVAL_VALUE_HEAD - APPROVAL_VALUE_TAIL;
  assert.match(text, `body (${value.length} characters): "${"H".repeat(APPROVAL_VALUE_HEAD)}"`);
  assert.match(text, `… ${hidden} more characters not shown … "${"T".repeat(APPROVAL_VALUE_TAIL)}"`);
  // Short values are shown whole.
  const short = renderApprovalPrompt(request({ to: "a@b.example", n: 3, flags: ["-v", "-q"], opts: { a: 1 } }));
  assert.match(short, 'to (11 characters): "a@b.example"');
  assert.match(short, "n (number): 3");
  assert.match(short, 'flags (2 items, 11 characters as JSON): ["-v","-q"]');
  assert.match(short, 'opts (1 field, 7 characters as JSON): {"a":1}');
  assert.match(short, "with 4 arguments:");
});

test("item 9: arguments are escaped: newlines, ESC, CR and bidi overrides cannot fake the prompt", () => {
  const text = renderApprovalPrompt(
    request({
      to: 'ok@example.org"\n  cc (3 characters): "boss@corp',
      note: "\u001b[2K\rapproved\u202etxt.exe",
      "na\nme": "x",
    }),
  );
  const lines = text.split("\n");
  assert.ok(!lines.some((l) => CONTROL.test(l)), JSON.stringify(text));
  assert.match(text, 'to (47 characters): "ok@example.org\\"\\n  cc (3 characters): \\"boss@corp"');
  assert.match(text, 'note (21 characters): "\\x1b[2K\\rapproved\\u{202e}txt.exe"');
  assert.match(text, "na\\nme (1 character)");
  // Header, three arguments, reason, rules: six lines and nothing else.
  assert.is(lines.filter((l) => l !== "").length, 6);
});

test("item 18: the terminal escapes", () => {
  assert.is(
    escapeForTerminal("a\nb\r\tc\u001b[31m\u009b\u007f\u2028é漢"),
    "a\\nb\\r\\tc\\x1b[31m\\x9b\\x7f\\u{2028}é漢",
  );
  assert.is(quoteForTerminal('say "\\n"'), '"say \\"\\\\n\\""');
});

const work = mkdtempSync(join(tmpdir(), "symbi-terminal-"));
const agent = join(work, "talker.symbi");
writeFileSync(
  agent,
  `agent talker(text: String) {
    with sandbox = "process", timeout = 10s {
        print(text);
        log("info", text);
        log("warn\\nforged", "level with a newline");
        error(text);
    }
}
`,
);

test("item 18: agent log/print lines and its uncaught error reach the terminal one line each, escaped", async () => {
  const hostile = "done\n[info] all checks passed\r\u001b[2Ksymbi: ok\u001b]0;owned\u0007\u202e";
  const r = await symbi("exec", agent, "--input", JSON.stringify({ text: hostile }));
  assert.is(r.code, 1, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.ok(!lines.some((l) => CONTROL.test(l)), JSON.stringify(r.stderr));
  const escaped = "done\\n[info] all checks passed\\r\\x1b[2Ksymbi: ok\\x1b]0;owned\\x07\\u{202e}";
  assert.equal(lines, [
    `[print] ${escaped}`,
    `[info] ${escaped}`,
    "[warn\\nforged] level with a newline",
    `symbi: error: talker.symbi:6:9: Error: ${escaped}`,
  ]);
});

test.run();
