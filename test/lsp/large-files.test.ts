/**
 * Issue 17 item 5 over JSON-RPC: what keeps a large file responsive. Semantic tokens are sent as
 * deltas after an edit (and the tokens the server keeps per top-level item stay right when the
 * items move); hover right after an edit answers from the last analysis instead of waiting for the
 * re-check. Completion right after a keystroke is in server.test.ts ("completion right after a
 * keystroke"); that an edit re-checks only the edited item is in test/check/incremental.test.ts;
 * the timings are in bench/lsp.bench.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { REPO } from "../helpers/corpus.js";
import { LspClient, positionOf } from "./client.js";

const AGENTS = 24;

function agent(i: number): string {
  return `agent worker_${i}(input: String) -> String {
    capabilities = ["greet"]

    policy p_${i} {
        allow: greet(who) if who == input
    }

    with sandbox = "process", timeout = 10s {
        let r = Report { name: input, size: ${i} };
        let n${i} = len(r.name);
        print(n${i});
        let show = describe;
        return show(r);
    }
}
`;
}

const TEXT =
  `// Workers.
type Report = {
    name: String,
    size: int,
}

function describe(r: Report) -> String {
    return r.name;
}

` + Array.from({ length: AGENTS }, (_, i) => agent(i)).join("\n");

/** A project folder (symbi.toml and the quickstart's tools) under `root`. */
function projectIn(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "symbi.toml"), "");
  cpSync(join(REPO, "examples/quickstart/tools"), join(dir, "tools"), { recursive: true });
  return dir;
}

const td = (uri: string) => ({ textDocument: { uri } });

interface TokenEdit {
  start: number;
  deleteCount: number;
  data?: number[];
}

function applyEdits(data: number[], edits: TokenEdit[]): number[] {
  const out = [...data];
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out.splice(e.start, e.deleteCount, ...(e.data ?? []));
  return out;
}

test("issue 17 item 5: semantic token deltas after edits equal the full tokens of the same text, freshly computed", async () => {
  const root = mkdtempSync(join(tmpdir(), "symbi-lsp-large-"));
  const client = new LspClient();
  try {
    const main = projectIn(root, "main");
    const uri = pathToFileURL(join(main, "workers.symbi")).href;
    await client.initialize(root, { diagnosticsDelay: 5 });
    let version = 1;
    client.open(uri, TEXT, version);
    await client.diagnosticsFor(uri, version);
    let previous = await client.request("textDocument/semanticTokens/full", td(uri));
    assert.type(previous.resultId, "string");
    assert.ok(previous.data.length > AGENTS * 5 * 20, "tokens for the whole file");

    let text = TEXT;
    /** The tokens of `text` as a server that never saw an earlier version computes them. */
    let fresh = 0;
    const freshTokens = async (): Promise<number[]> => {
      const dir = projectIn(root, `fresh${fresh++}`);
      const copy = pathToFileURL(join(dir, "workers.symbi")).href;
      client.open(copy, text, 1);
      await client.diagnosticsFor(copy, 1);
      const r = await client.request("textDocument/semanticTokens/full", td(copy));
      client.notify("textDocument/didClose", td(copy));
      return r.data;
    };

    const steps: Array<{ what: string; from: string; to: string; small: boolean }> = [
      // A one-line edit inside one body: the delta is that line's tokens.
      { what: "one-line edit", from: "print(n12);", to: "print(n12 + 1);", small: true },
      // A new line in an early item moves every later item (their cached tokens follow).
      {
        what: "line inserted",
        from: "        print(n3);\n",
        to: "        print(n3);\n        let extra = describe(r);\n",
        small: true,
      },
      // The type changes: every item is checked again.
      {
        what: "declaration changed",
        from: "    size: int,",
        to: "    size: String,\n    tags: List<String>,",
        small: false,
      },
      // A name every item uses stops resolving (and resolves again): unchanged items are re-classified.
      { what: "function renamed", from: "function describe(", to: "function describe_it(", small: false },
      { what: "function renamed back", from: "function describe_it(", to: "function describe(", small: false },
      { what: "line removed", from: "        let extra = describe(r);\n", to: "", small: true },
      // Half-typed text: the body's tokens are re-classified from the recovered tree.
      {
        what: "half-typed",
        from: "        return show(r);\n    }\n}\n\nagent worker_20",
        to: "        return show(r\n    }\n}\n\nagent worker_20",
        small: false,
      },
    ];
    for (const step of steps) {
      const at = text.indexOf(step.from);
      assert.ok(at >= 0, step.what);
      const start = positionOf(text, step.from);
      const end = positionOf(text, step.from, step.from.length);
      text = text.slice(0, at) + step.to + text.slice(at + step.from.length);
      client.edit(uri, ++version, { start, end }, step.to);
      await client.diagnosticsFor(uri, version);
      const delta = await client.request("textDocument/semanticTokens/full/delta", {
        ...td(uri),
        previousResultId: previous.resultId,
      });
      assert.ok(Array.isArray(delta.edits), `${step.what}: a delta (${JSON.stringify(delta).slice(0, 200)})`);
      assert.type(delta.resultId, "string");
      assert.is.not(delta.resultId, previous.resultId);
      const sent = delta.edits.reduce((n: number, e: TokenEdit) => n + (e.data?.length ?? 0), 0);
      if (step.small) assert.ok(sent <= 5 * 12, `${step.what}: ${sent} integers sent`);
      const data = applyEdits(previous.data, delta.edits);
      assert.equal(data, await freshTokens(), `${step.what}: the delta applied equals the tokens of the text`);
      previous = { resultId: delta.resultId, data };
    }

    // A result id the server does not know (an older one, or another document's): the whole tokens.
    const full = await client.request("textDocument/semanticTokens/full/delta", {
      ...td(uri),
      previousResultId: "no-such-result",
    });
    assert.not.ok(full.edits);
    assert.equal(full.data, previous.data);
    // Nothing changed since the last result: no edits.
    const none = await client.request("textDocument/semanticTokens/full/delta", {
      ...td(uri),
      previousResultId: full.resultId,
    });
    assert.equal(none.edits, []);
  } finally {
    await client.shutdown();
    rmSync(root, { recursive: true, force: true });
  }
});

test("issue 17 item 5: hover right after an edit answers from the last analysis, its range mapped into the new text", async () => {
  const root = mkdtempSync(join(tmpdir(), "symbi-lsp-large-"));
  const client = new LspClient();
  try {
    const dir = projectIn(root, "main");
    const uri = pathToFileURL(join(dir, "workers.symbi")).href;
    // No diagnostics run on their own during this test: only requests analyse.
    await client.initialize(root, { diagnosticsDelay: 600_000 });
    client.open(uri, TEXT, 1);
    const use = "print(n7)";
    const hoverAt = (text: string) => ({ ...td(uri), position: positionOf(text, use, "print(".length) });
    const before = await client.request("textDocument/hover", hoverAt(TEXT));
    assert.match(before.contents.value, "n7: int");

    // The edit (one more line, and `n7` becomes a String) and the hover below it reach the server
    // in one write: the hover is answered at once from the last analysis (`n7` was an int there),
    // at the hovered name's place in the new text.
    const from = "let n7 = len(r.name);";
    const to = "let n7 = r.name;\n        let m7 = 1;";
    const text = TEXT.replace(from, to);
    const hover = client.prepare("textDocument/hover", hoverAt(text));
    client.write([
      {
        jsonrpc: "2.0",
        method: "textDocument/didChange",
        params: {
          textDocument: { uri, version: 2 },
          contentChanges: [
            { range: { start: positionOf(TEXT, from), end: positionOf(TEXT, from, from.length) }, text: to },
          ],
        },
      },
      hover.message,
    ]);
    const stale = (await hover.response).result as { contents: { value: string }; range: { start: unknown } };
    assert.match(stale.contents.value, "n7: int");
    assert.equal(stale.range.start, positionOf(text, use, "print(".length));

    // Hovering inside the edited text waits for the analysis of the new text.
    const inEdit = await client.request("textDocument/hover", { ...td(uri), position: positionOf(text, "m7 = 1") });
    assert.match(inEdit.contents.value, "m7: int");
    const after = await client.request("textDocument/hover", hoverAt(text));
    assert.match(after.contents.value, "n7: String");
  } finally {
    await client.shutdown();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
