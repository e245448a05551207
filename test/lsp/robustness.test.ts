/**
 * Bad input for the language server, over real JSON-RPC: a corpus file replayed keystroke by
 * keystroke through didChange with requests in between (the server never fails a request,
 * never dies, and ends with the same diagnostics as `symbic check`'s checker), cancelled
 * requests, malformed messages and parameters.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CancellationTokenSource, LSPErrorCodes, ResponseError } from "vscode-languageserver";
import { Project } from "../../compiler/check/index.js";
import { guarded, yieldToEventLoop, checkCancelled } from "../../lsp/core/cancellation.js";
import { CORPUS, corpusMissing } from "../helpers/corpus.js";
import { LspClient, type Response } from "./client.js";

const FILE = join(CORPUS, "agents/api_aggregator.symbi");
// The corpus sits in ../shared beside the clone; without it these tests are skipped, visibly.
const TEXT = corpusMissing ? "" : readFileSync(FILE, "utf8");
const ctest = corpusMissing ? test.skip : test;
if (corpusMissing) console.log(`  language server robustness tests skipped: ${corpusMissing}`);
const URI = "untitled:replay.symbi";
const client = new LspClient();

/** 0-based line/character of an offset. */
function pos(text: string, offset: number) {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

ctest("setup", async () => {
  await client.initialize(undefined, { diagnosticsDelay: 5 });
});

ctest(
  "keystroke replay: every prefix of a corpus file, with requests in between; no failure, same final diagnostics as the checker",
  async () => {
    client.open(URI, "", 1);
    const methods = [
      "textDocument/completion",
      "textDocument/hover",
      "textDocument/signatureHelp",
      "textDocument/semanticTokens/full",
      "textDocument/documentSymbol",
      "textDocument/foldingRange",
      "textDocument/definition",
      "textDocument/codeAction",
    ];
    const responses: Array<{ method: string; at: number; response: Promise<Response> }> = [];
    let version = 1;
    let batch: object[] = [];
    // Every character is one didChange (an incremental insert at the end); a request follows
    // every 4th keystroke, cycling through the features, at the cursor.
    for (let i = 0; i < TEXT.length; i++) {
      const at = pos(TEXT, i);
      batch.push({
        jsonrpc: "2.0",
        method: "textDocument/didChange",
        params: {
          textDocument: { uri: URI, version: ++version },
          contentChanges: [{ range: { start: at, end: at }, text: TEXT[i] }],
        },
      });
      if (i % 4 === 3) {
        const method = methods[(i >> 2) % methods.length]!;
        const cursor = pos(TEXT, i + 1);
        const params =
          method === "textDocument/codeAction"
            ? { textDocument: { uri: URI }, range: { start: cursor, end: cursor }, context: { diagnostics: [] } }
            : method.includes("semanticTokens") || method.includes("Symbol") || method.includes("folding")
              ? { textDocument: { uri: URI } }
              : { textDocument: { uri: URI }, position: cursor };
        const r = client.prepare(method, params);
        batch.push(r.message);
        responses.push({ method, at: i, response: r.response });
      }
      if (batch.length >= 64) {
        client.write(batch);
        batch = [];
        // Let the server breathe between bursts, as an editor would.
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    client.write(batch);
    const final = await client.diagnosticsFor(URI, version, 30_000);
    const results = await Promise.all(responses.map((r) => r.response));
    const failures = results
      .map((r, i) =>
        r.error
          ? `${responses[i]!.method} after ${responses[i]!.at + 1} chars: ${r.error.code} ${r.error.message}`
          : "",
      )
      .filter(Boolean);
    assert.equal(failures, [], "no request failed");
    assert.is(client.exitCode, null, "the server is alive");
    assert.not.match(client.stderr, /uncaught|unhandled|failed/i);
    // Half-typed code still gets answers: the whole-document features always answer, and the
    // positional ones found something to say at many keystrokes.
    const answered = (method: string) =>
      results.filter(
        (r, i) =>
          responses[i]!.method === method && r.result !== null && (!Array.isArray(r.result) || r.result.length > 0),
      ).length;
    const asked = (method: string) => responses.filter((r) => r.method === method).length;
    for (const m of ["textDocument/semanticTokens/full", "textDocument/foldingRange"]) {
      assert.is(
        results.filter((r, i) => responses[i]!.method === m && r.result !== null && r.result !== undefined).length,
        asked(m),
        m,
      );
    }
    assert.ok(
      answered("textDocument/documentSymbol") >= asked("textDocument/documentSymbol") - 3,
      "an outline while typing",
    );
    assert.ok(
      answered("textDocument/completion") > asked("textDocument/completion") / 3,
      `completion answered ${answered("textDocument/completion")} of ${asked("textDocument/completion")}`,
    );
    assert.ok(
      answered("textDocument/hover") > 0 &&
        answered("textDocument/signatureHelp") > 0 &&
        answered("textDocument/definition") > 0,
    );

    // The final text is the whole file: the same diagnostics as the checker gives it.
    const project = new Project(".", { loadContractsFromDisk: false });
    project.setFile(URI, TEXT);
    const expected = project.check().diagnostics.map((d) => `${d.code}@${d.span.line - 1}:${d.span.col - 1}`);
    assert.equal(
      final.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`),
      expected,
    );
    assert.ok(expected.length > 0, "the corpus file has warnings to compare");
  },
);

ctest(
  "cancellation: a request cancelled before it runs answers RequestCancelled; the server keeps answering",
  async () => {
    client.replace(URI, TEXT, 100_000);
    await client.diagnosticsFor(URI, 100_000);
    const params = { textDocument: { uri: URI }, position: pos(TEXT, TEXT.indexOf("sources.map")) };
    const cancelled: Array<Promise<Response>> = [];
    const batch: object[] = [];
    for (const method of [
      "textDocument/hover",
      "textDocument/completion",
      "textDocument/references",
      "textDocument/semanticTokens/full",
      "textDocument/formatting",
      "workspace/symbol",
    ]) {
      const r = client.prepare(
        method,
        method === "workspace/symbol"
          ? { query: "" }
          : method === "textDocument/formatting"
            ? { textDocument: { uri: URI }, options: { tabSize: 4, insertSpaces: true } }
            : method.includes("semantic")
              ? { textDocument: { uri: URI } }
              : { ...params, context: { includeDeclaration: true } },
      );
      batch.push(r.message, { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: r.id } });
      cancelled.push(r.response);
    }
    client.write(batch); // requests and cancellations reach the server together
    for (const r of await Promise.all(cancelled))
      assert.is(r.error?.code, LSPErrorCodes.RequestCancelled, JSON.stringify(r));
    const hover = await client.request("textDocument/hover", params);
    assert.match(hover.contents.value, "sources");
  },
);

ctest("cancellation while a request waits for the analysis of a newer edit", async () => {
  // The handler yields once before analysing pending edits; a cancellation arriving then stops it.
  const source = new CancellationTokenSource();
  const handler = guarded(
    "test",
    () => {},
    async (_p: unknown, token) => {
      await yieldToEventLoop();
      checkCancelled(token);
      return "finished";
    },
  );
  const pending = handler({}, source.token);
  source.cancel();
  const r = await pending;
  assert.instance(r, ResponseError);
  assert.is((r as ResponseError<void>).code, LSPErrorCodes.RequestCancelled);
  // Uncancelled, it finishes; a throwing handler answers InternalError instead of crashing.
  assert.is(await handler({}, new CancellationTokenSource().token), "finished");
  const failing = guarded(
    "boom",
    () => {},
    () => {
      throw new Error("bug");
    },
  );
  const e = await failing({}, new CancellationTokenSource().token);
  assert.instance(e, ResponseError);
  assert.match((e as ResponseError<void>).message, "boom failed: bug");
});

ctest("malformed messages and parameters: errors, never a dead server", async () => {
  const body = "{not json";
  client.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n${body}`);
  const missing = await client.raw("textDocument/hover", {});
  assert.is(missing.error?.code, -32602, "InvalidParams");
  const noPosition = await client.raw("textDocument/completion", { textDocument: { uri: URI } });
  assert.is(noPosition.error?.code, -32602);
  // Positions outside the document are clamped.
  const far = await client.raw("textDocument/hover", {
    textDocument: { uri: URI },
    position: { line: 10_000, character: 10_000 },
  });
  assert.not.ok(far.error);
  const negative = await client.raw("textDocument/completion", {
    textDocument: { uri: URI },
    position: { line: -3, character: -1 },
  });
  assert.not.ok(negative.error);
  // Pathological sources: deep nesting, one enormous line, binary junk.
  for (const [i, text] of [
    "(".repeat(5000) + "x",
    "agent a { with { let x = " + "1 + ".repeat(20_000) + "1; } }",
    "\u0000\uffff\ud800 agent \u0007 {",
  ].entries()) {
    client.replace(URI, text, 200_000 + i);
    const d = await client.diagnosticsFor(URI, 200_000 + i, 30_000);
    assert.ok(d.diagnostics.length > 0 || i === 1);
    const tokens = await client.raw("textDocument/semanticTokens/full", { textDocument: { uri: URI } });
    assert.not.ok(tokens.error, JSON.stringify(tokens.error));
    const c = await client.raw("textDocument/completion", {
      textDocument: { uri: URI },
      position: { line: 0, character: 3 },
    });
    assert.not.ok(c.error, JSON.stringify(c.error));
  }
  const ok = await client.request("textDocument/documentSymbol", { textDocument: { uri: URI } });
  assert.ok(Array.isArray(ok));
  assert.is(client.exitCode, null);
});

ctest(
  "item 16: a file that crashed the checker (`type S = { a }`) no longer costs the project its diagnostics",
  async () => {
    const bad = "untitled:item16-bad.symbi";
    const good = "untitled:item16-good.symbi";
    client.open(bad, "type S16 = { a }\n", 1);
    const badDiags = await client.diagnosticsFor(bad, 1, 30_000);
    assert.equal(
      badDiags.diagnostics.map((d) => d.code),
      ["E0010"],
    );
    client.open(
      good,
      'agent good16() {\n    with sandbox = "Tier1" {\n        let y = undefined_name16;\n    }\n}\n',
      1,
    );
    const goodDiags = await client.diagnosticsFor(good, 1, 30_000);
    assert.ok(
      goodDiags.diagnostics.some((d) => d.code === "E0100" && d.message.includes("undefined_name16")),
      JSON.stringify(goodDiags.diagnostics),
    );
    assert.not.match(client.stderr, /checker failed/);
  },
);

ctest("shutdown", async () => {
  assert.is(await client.shutdown(), 0);
  assert.not.match(client.stderr, /uncaught|unhandled/i);
});

test.run();
