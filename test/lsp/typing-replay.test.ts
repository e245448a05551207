/**
 * Issue 17 item 4, quiet recovery while typing: the examples typed character by character into
 * the language server over JSON-RPC. Each statement and policy rule of the quick start and seed
 * examples is deleted and typed again, one keystroke per didChange, the diagnostics pulled after
 * each (textDocument/diagnostic, so every keystroke is measured, not only those a debounce lets
 * through). Compared with the diagnostics of the untouched file:
 * - the warnings outside the entry being typed are all still there (they used to vanish while
 *   any syntax error existed);
 * - almost every keystroke costs at most one new error, located on the lines being typed (or
 *   next to them). The exceptions are true errors elsewhere (deleting `let x` makes the later
 *   uses of `x` unknown while it is retyped), which the figure printed here includes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseText, walk, type Node } from "../../grammar/index.js";
import { REPO } from "../helpers/corpus.js";
import { LspClient } from "./client.js";

const FILES = ["examples/quickstart/agent.symbi", "examples/seed-policies/agents/policies.symbi"];
const ENTRY_KINDS = new Set(["Let", "Assign", "Return", "If", "For", "Match", "Try", "ExprStmt", "PolicyRule"]);

interface Diag {
  code: string;
  message: string;
  severity: number;
  range: { start: { line: number } };
}

test("issue 17 item 4: typing the examples character by character: one error at the edit, warnings kept", async () => {
  const client = new LspClient();
  let keystrokes = 0;
  let quiet = 0;
  const lostWarnings: string[] = [];
  try {
    await client.initialize(REPO, { diagnosticsDelay: 5 }, { textDocument: { diagnostic: {} } });
    for (const rel of FILES) {
      const uri = pathToFileURL(join(REPO, rel)).href;
      const text = readFileSync(join(REPO, rel), "utf8");
      let version = 1;
      client.open(uri, text, version);
      const pull = async (): Promise<Diag[]> =>
        (await client.request("textDocument/diagnostic", { textDocument: { uri } })).items;
      const base = await pull();
      const entries: Node[] = [];
      walk(parseText(text, rel).program, (n) => {
        if (ENTRY_KINDS.has(n.kind)) entries.push(n);
      });
      assert.ok(entries.length > 5, rel);
      for (const e of entries) {
        const typed = text.slice(e.span.start, e.span.end);
        const firstLine = e.span.line - 1;
        for (let k = 0; k <= typed.length; k++) {
          const part = typed.slice(0, k);
          // Whitespace keystrokes change nothing the checker sees: not measured.
          if (k > 0 && k < typed.length && /\s/.test(part[k - 1]!)) continue;
          client.replace(uri, text.slice(0, e.span.start) + part + text.slice(e.span.end), ++version);
          const now = await pull();
          keystrokes++;
          const lastLine = firstLine + part.split("\n").length - 1;
          const shift = part.split("\n").length - typed.split("\n").length;
          // What is new: not among the untouched file's diagnostics (by code and message).
          const left = new Map<string, number>();
          for (const d of base) left.set(d.code + d.message, (left.get(d.code + d.message) ?? 0) + 1);
          const fresh = now.filter((d) => {
            const key = d.code + d.message;
            const n = left.get(key) ?? 0;
            if (n > 0) return void left.set(key, n - 1);
            return true;
          });
          const errors = fresh.filter((d) => d.severity === 1);
          const located = errors.every(
            (d) => d.range.start.line >= firstLine - 1 && d.range.start.line <= lastLine + 1,
          );
          if (errors.length <= 1 && located) quiet++;
          // Warnings outside the entry: every one of the untouched file's is still reported.
          for (const w of base.filter((d) => d.severity !== 1)) {
            const line = w.range.start.line;
            if (line >= firstLine && line <= firstLine + typed.split("\n").length) continue;
            const shifted = line > firstLine ? line + shift : line;
            if (!now.some((d) => d.code === w.code && d.message === w.message && d.range.start.line === shifted))
              lostWarnings.push(`${rel}:${line + 1} ${w.code} lost after typing ${JSON.stringify(part)}`);
          }
        }
      }
      client.replace(uri, text, ++version);
    }
  } finally {
    await client.shutdown();
  }
  const share = quiet / keystrokes;
  console.log(
    `  typing replay: ${keystrokes} keystrokes, ${(share * 100).toFixed(1)}% with at most one new error at the edit`,
  );
  assert.ok(keystrokes > 500, `${keystrokes} keystrokes`);
  assert.equal(lostWarnings.slice(0, 5), [], "warnings outside the typed entry are kept");
  assert.ok(share >= 0.9, `${(share * 100).toFixed(1)}% of keystrokes quiet`);
});

test.run();
