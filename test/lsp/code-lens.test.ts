/**
 * Code lenses and the commands behind them over JSON-RPC (issue 17 item 6, issue 16's "explain
 * in the editor"): lenses above agents and test cases, "Show Cedar" equal to what `symbic build`
 * writes, "Run tests" with failures as diagnostics at the case's line, "Explain" and the hover on
 * a case (allow, deny, an undefined guard) in the markup kind the client asked for, "Run agent"
 * through `symbi exec`, no lenses on a file with syntax errors, and a test file's own
 * diagnostics. Two projects: a copy of the quick start and of the `symbic test` fixture (shop).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildProject } from "../../compiler/emit/build.js";
import { REPO } from "../helpers/corpus.js";
import { symbiCommand } from "../../lsp/features/agent-exec.js";
import { LspClient, type PublishedDiagnostics } from "./client.js";

const dir = mkdtempSync(join(tmpdir(), "symbi-lsp-lens-"));
cpSync(join(REPO, "examples/quickstart"), join(dir, "quick"), { recursive: true });
cpSync(join(REPO, "test/testing/fixtures/shop"), join(dir, "shop"), { recursive: true });
const uri = (p: string) => pathToFileURL(join(dir, p)).href;
const text = (p: string) => readFileSync(join(dir, p), "utf8");
const QUICK = uri("quick/agent.symbi");
const SHOP = uri("shop/agent.symbi");
const EXPLAIN = uri("shop/explain.test.toml");
const td = (u: string) => ({ textDocument: { uri: u } });

interface Lens {
  range: { start: { line: number } };
  command: { title: string; command: string; arguments: any[] };
}

const markdown = new LspClient();
const plain = new LspClient();

function openToml(c: LspClient, u: string, t: string, version = 1): void {
  c.notify("textDocument/didOpen", { textDocument: { uri: u, languageId: "toml", version, text: t } });
}

test.before(async () => {
  await markdown.initialize(dir, {}, { window: { showDocument: { support: false } } });
  await plain.initialize(
    dir,
    { commandResults: "client" },
    { textDocument: { hover: { contentFormat: ["plaintext"] }, publishDiagnostics: { versionSupport: true } } },
  );
  for (const c of [markdown, plain]) {
    c.open(QUICK, text("quick/agent.symbi"));
    openToml(c, EXPLAIN, text("shop/explain.test.toml"));
  }
  await markdown.diagnosticsFor(QUICK, 1, 30_000);
  await plain.diagnosticsFor(QUICK, 1, 30_000);
});

test.after(async () => {
  await markdown.shutdown();
  await plain.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

test("the server offers code lenses and the lens commands through executeCommandProvider", async () => {
  const c = new LspClient();
  try {
    const init = await c.initialize(dir);
    assert.equal(init.capabilities.codeLensProvider, { resolveProvider: false });
    assert.equal(init.capabilities.executeCommandProvider.commands, [
      "symbiont.runAgent",
      "symbiont.showCedar",
      "symbiont.runTests",
      "symbiont.explain",
    ]);
  } finally {
    await c.shutdown();
  }
});

test("lenses above an agent: Run agent (with its symbi exec command line), Show Cedar, Run tests", async () => {
  const lenses = await markdown.request<Lens[]>("textDocument/codeLens", td(QUICK));
  const line = text("quick/agent.symbi")
    .split("\n")
    .findIndex((l) => l.startsWith("agent quickstart"));
  assert.equal(
    lenses.map((l) => [l.range.start.line, l.command.title, l.command.command]),
    [
      [line, "Run agent", "symbiont.runAgent"],
      [line, "Show Cedar", "symbiont.showCedar"],
      [line, "Run tests", "symbiont.runTests"],
    ],
  );
  const run = lenses[0]!.command.arguments[0];
  assert.is(run.agent, "quickstart");
  assert.is(run.cwd, join(dir, "quick"));
  assert.equal(run.argv.slice(-4), ["exec", join(dir, "quick/agent.symbi"), "--agent", "quickstart"]);
  assert.equal(lenses[1]!.command.arguments, [{ uri: QUICK, agent: "quickstart" }]);
});

test("an agent without test cases gets no Run tests lens", async () => {
  const u = uri("quick/second.symbi");
  const src = `agent helper(x: int) -> int {\n    capabilities = ["greet"]\n    policy p {\n        allow: greet(who)\n    }\n    with sandbox = "process", timeout = 10s {\n        return x;\n    }\n}\n`;
  writeFileSync(join(dir, "quick/second.symbi"), src);
  try {
    markdown.open(u, src);
    await markdown.diagnosticsFor(u, 1, 30_000);
    const lenses = await markdown.request<Lens[]>("textDocument/codeLens", td(u));
    assert.equal(
      lenses.map((l) => l.command.title),
      ["Run agent", "Show Cedar"],
    );
  } finally {
    markdown.notify("textDocument/didClose", td(u));
    rmSync(join(dir, "quick/second.symbi"));
  }
});

test("Show Cedar answers the policy.cedar that symbic build writes for the agent", async () => {
  for (const [agentUri, folder, agent] of [
    [QUICK, "quick", "quickstart"],
    [SHOP, "shop", "shop"],
  ] as const) {
    const r = await markdown.request("workspace/executeCommand", {
      command: "symbiont.showCedar",
      arguments: [{ uri: agentUri, agent }],
    });
    const build = buildProject({
      projectDir: join(dir, folder),
      sources: [{ file: "agent.symbi", bytes: Buffer.from(text(`${folder}/agent.symbi`)) }],
    });
    const bundle = build.bundles.find((b) => b.agent === agent)!;
    assert.ok(bundle, `the build of ${folder} has agent ${agent}`);
    assert.is(r.policy, bundle.files.get("policy.cedar")!.toString("utf8"));
    const approval = bundle.files.get("approval.cedar")?.toString("utf8");
    if (r.approval !== undefined) assert.is(r.approval, approval);
    else assert.not.match(approval ?? "", /permit \(/);
  }
  // The shop has an approval policy: it is shown after the policies.
  const shop = await markdown.request("workspace/executeCommand", {
    command: "symbiont.showCedar",
    arguments: [{ uri: SHOP, agent: "shop" }],
  });
  assert.match(shop.approval, /@id\("shop\.refunds\.3"\)/);
  // A client without showDocument sees the text as a message.
  await markdown.waitFor((n) => n.method === "window/showMessage" && n.params.message === shop.text);
});

test("Show Cedar as a document: a read-only file the client is asked to show (window/showDocument)", async () => {
  const c = new LspClient();
  try {
    await c.initialize(dir, {}, { window: { showDocument: { support: true } } });
    c.answers.set("window/showDocument", () => ({ success: true }));
    c.open(QUICK, text("quick/agent.symbi"));
    await c.diagnosticsFor(QUICK, 1, 30_000);
    const r = await c.request("workspace/executeCommand", {
      command: "symbiont.showCedar",
      arguments: [{ uri: QUICK, agent: "quickstart" }],
    });
    const deadline = Date.now() + 10_000;
    while (!c.serverRequests.some((q) => q.method === "window/showDocument") && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 20));
    const shown = c.serverRequests.find((q) => q.method === "window/showDocument")!;
    assert.ok(shown, "the server asked the client to show a document");
    const file = new URL(shown.params.uri);
    assert.is(readFileSync(file, "utf8"), r.text);
    assert.is(statSync(file).mode & 0o222, 0, "the file is read-only");
  } finally {
    await c.shutdown();
  }
});

test("Run tests: the agent's cases decided by symbic test's code, counts answered and shown", async () => {
  const r = await markdown.request(
    "workspace/executeCommand",
    { command: "symbiont.runTests", arguments: [{ uri: QUICK, agent: "quickstart" }] },
    60_000,
  );
  assert.is(r.passed, 6);
  assert.is(r.failed, 0);
  assert.ok(r.results.every((x: { agent: string }) => x.agent === "quickstart"));
  assert.is(r.message, "symbic test (agent quickstart): 6 passed");
  await markdown.waitFor((n) => n.method === "window/showMessage" && n.params.message === r.message);
});

test("Run tests: failures become diagnostics at the case's line of the test file", async () => {
  const r = await markdown.request(
    "workspace/executeCommand",
    { command: "symbiont.runTests", arguments: [{ uri: SHOP, agent: "shop" }] },
    60_000,
  );
  assert.is(r.failed, 3);
  assert.is(r.passed, 12);
  const failing = uri("shop/failing.test.toml");
  const n = await markdown.waitFor(
    (x) =>
      x.method === "textDocument/publishDiagnostics" && x.params.uri === failing && x.params.diagnostics.length > 0,
  );
  const d = (n.params as PublishedDiagnostics).diagnostics;
  const lines = text("shop/failing.test.toml").split("\n");
  assert.equal(
    d.map((x) => [x.range.start.line, x.source]),
    [
      [lines.indexOf("[[case]]", lines.findIndex((l) => l.includes('"wrong outcome"')) - 2), "symbic test"],
      [lines.findIndex((l) => l.includes("amount = 500")), "symbic test"],
      [lines.findIndex((l) => l.includes('"right outcome, wrong rule"')) - 1, "symbic test"],
    ],
  );
  assert.match(d[0]!.message, /^wrong outcome: expected allow, got deny by shop\.lookups\.1 \(agent\.symbi:20:9\)/);
  // The test file's own lens runs just that file.
  const lenses = await markdown.request<Lens[]>("textDocument/codeLens", td(EXPLAIN));
  const runFile = lenses.find((l) => l.command.title === "Run tests")!;
  const one = await markdown.request(
    "workspace/executeCommand",
    { command: runFile.command.command, arguments: runFile.command.arguments },
    60_000,
  );
  assert.equal([one.passed, one.failed], [6, 0]);
});

test("lenses on a test file: Run tests at the first case, Explain on each case and each row on its own line", async () => {
  const lenses = await markdown.request<Lens[]>("textDocument/codeLens", td(EXPLAIN));
  assert.equal(
    lenses.map((l) => [l.command.title, l.range.start.line]),
    [
      ["Run tests", 3],
      ["Explain", 3],
      ["Explain", 10],
      ["Explain", 17],
      ["Explain", 24],
      ["Explain", 32],
      ["Explain", 40],
    ],
  );
  const q = uri("quick/agent.test.toml");
  openToml(markdown, q, text("quick/agent.test.toml"));
  const rows = await markdown.request<Lens[]>("textDocument/codeLens", td(q));
  assert.equal(
    rows.filter((l) => l.command.title.startsWith("Explain row")).map((l) => [l.command.title, l.range.start.line]),
    [
      ["Explain row 1", 16],
      ["Explain row 2", 17],
    ],
  );
  assert.equal(rows.find((l) => l.command.title === "Explain row 2")!.command.arguments, [{ uri: q, line: 18 }]);
});

const explain = async (line: number) => {
  const r = await markdown.request(
    "workspace/executeCommand",
    { command: "symbiont.explain", arguments: [{ uri: EXPLAIN, line }] },
    60_000,
  );
  assert.ok(r.ok, JSON.stringify(r));
  return r as { text: string; markdown: string; explained: any };
};

test("Explain an allow: the deciding rule and the true guard term, with DSL places", async () => {
  const r = await explain(4);
  assert.is(r.explained.decision.outcome, "allow");
  assert.ok(r.text.includes("decision: allow by shop.refunds.0 (agent.symbi:12:9)"), r.text);
  assert.ok(r.text.includes("guard term `amount <= 100` (agent.symbi:12:41): true"), r.text);
  assert.ok(r.text.includes('its guard is false: `user.role == "manager"` (agent.symbi:13:41) is false'), r.text);
});

test("Explain a deny: the deny that decided, and the allow that matched but did not decide", async () => {
  const r = await explain(11);
  assert.is(r.explained.decision.outcome, "deny");
  assert.ok(r.text.includes("decision: deny by shop.refunds.2 (agent.symbi:14:9)"), r.text);
  assert.ok(
    r.text.includes(
      'shop.refunds.2  agent.symbi:14:9  `deny: refund(order, amount) if user.region == "embargoed"` — matched (decided)',
    ),
    r.text,
  );
  assert.ok(
    r.text.includes("shop.refunds.0  agent.symbi:12:9  `allow: refund(order, amount) if amount <= 100` — matched\n"),
  );
});

test("Explain an undefined guard: the term is unknown and names what is missing", async () => {
  const r = await explain(18);
  assert.ok(r.text.includes("decision: deny by default-deny"), r.text);
  assert.ok(
    r.text.includes('guard term `user.role == "manager"` (agent.symbi:13:41): unknown — `user.role` is not given'),
    r.text,
  );
  assert.ok(r.markdown.includes('guard term `user.role == "manager"` (agent.symbi:13:41): **unknown**'), r.markdown);
});

test("hover on a case explains it: Markdown by default, plain text for a client that asks for it", async () => {
  // Line 21 (0-based 20) is inside the undefined-guard case.
  const md = await markdown.request(
    "textDocument/hover",
    { ...td(EXPLAIN), position: { line: 20, character: 3 } },
    60_000,
  );
  assert.is(md.contents.kind, "markdown");
  assert.match(md.contents.value, /^\*\*deny\*\* by `default-deny`/);
  const pt = await plain.request(
    "textDocument/hover",
    { ...td(EXPLAIN), position: { line: 20, character: 3 } },
    60_000,
  );
  assert.is(pt.contents.kind, "plaintext");
  assert.match(pt.contents.value, /^explain\.test\.toml:18 {2}undefined guard/);
  assert.ok(pt.contents.value.includes("unknown — `user.role` is not given"));
  // Above the first case there is nothing to explain.
  assert.is(
    await markdown.request("textDocument/hover", { ...td(EXPLAIN), position: { line: 0, character: 0 } }),
    null,
  );
});

test("a client that presents results itself gets the answer and no message", async () => {
  const before = plain.notifications.filter((n) => n.method === "window/showMessage").length;
  const r = await plain.request(
    "workspace/executeCommand",
    { command: "symbiont.explain", arguments: [{ uri: EXPLAIN, line: 11 }] },
    60_000,
  );
  assert.ok(r.ok);
  await plain.request("textDocument/codeLens", td(QUICK)); // a round trip: any message would have come
  assert.is(plain.notifications.filter((n) => n.method === "window/showMessage").length, before);
});

test("no agent lenses on a file with syntax errors; they come back when it is fixed", async () => {
  const src = text("quick/agent.symbi");
  markdown.replace(QUICK, src.replace("policy tools {", "policy tools {{ let"), 2);
  const d = await markdown.diagnosticsFor(QUICK, 2, 30_000);
  assert.ok(d.diagnostics.some((x) => x.severity === 1));
  assert.equal(await markdown.request("textDocument/codeLens", td(QUICK)), []);
  markdown.replace(QUICK, src, 3);
  await markdown.diagnosticsFor(QUICK, 3, 30_000);
  assert.is((await markdown.request<Lens[]>("textDocument/codeLens", td(QUICK))).length, 3);
});

test("lenses come from the last analysis: an edit waiting for it moves them, never re-checks first", async () => {
  const c = new LspClient();
  try {
    // A long quiet time: the edit below is not analysed while the lenses are asked for.
    await c.initialize(dir, { diagnosticsDelay: 10_000 });
    const src = text("quick/agent.symbi");
    c.open(QUICK, src);
    await c.diagnosticsFor(QUICK, 1, 30_000);
    const before = await c.request<Lens[]>("textDocument/codeLens", td(QUICK));
    // Two lines on top, the first a syntax error: a re-check would leave no lenses at all.
    c.edit(QUICK, 2, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, "let let\n\n");
    const after = await c.request<Lens[]>("textDocument/codeLens", td(QUICK), 2_000);
    assert.equal(
      after.map((l) => [l.command.title, l.range.start.line]),
      before.map((l) => [l.command.title, l.range.start.line + 2]),
    );
    assert.not.ok(
      c.notifications.some((n) => n.method === "textDocument/publishDiagnostics" && n.params.version === 2),
      "nothing was analysed",
    );
  } finally {
    await c.shutdown();
  }
});

test("a bad test file gets its located E1000–E1010 diagnostics, and no lenses", async () => {
  const bad = uri("shop/bad.test.toml");
  openToml(markdown, bad, 'agent = "shop"\n\n[[case]]\nname = "typo"\ntool = "refund"\nexpct = "allow"\n');
  const d = await markdown.diagnosticsFor(bad, 1);
  assert.equal(
    d.diagnostics.map((x) => [x.code, x.range.start.line]),
    [
      ["E1001", 5],
      ["E1002", 2],
    ],
  );
  assert.match(d.diagnostics[0]!.message, /did you mean `expect`/);
  assert.equal(await markdown.request("textDocument/codeLens", td(bad)), []);
  openToml(markdown, uri("shop/worse.test.toml"), "[[case]\n");
  const w = await markdown.diagnosticsFor(uri("shop/worse.test.toml"), 1);
  assert.equal(
    w.diagnostics.map((x) => x.code),
    ["E1000"],
  );
  // Other TOML an editor sends (it attaches the server to every TOML buffer) is not source code.
  const other = uri("quick/symbi.toml");
  openToml(markdown, other, '[model]\nprovider = "openai"\n');
  openToml(markdown, uri("shop/probe.test.toml"), "[[case]\n", 1);
  await markdown.diagnosticsFor(uri("shop/probe.test.toml"), 1);
  await markdown.request("textDocument/codeLens", td(QUICK));
  await new Promise((r) => setTimeout(r, 300)); // longer than the 25 ms diagnostics delay
  assert.not.ok(
    markdown.notifications.some((n) => n.method === "textDocument/publishDiagnostics" && n.params.uri === other),
  );
});

test("explaining a case that names what the project lacks: a located E1004 with a did-you-mean in the test file", async () => {
  const u = uri("shop/typo.test.toml");
  openToml(markdown, u, '[[case]]\nname = "typo"\nagent = "shpo"\ntool = "refund"\nexpect = "allow"\n');
  await markdown.diagnosticsFor(u, 1);
  const r = await markdown.request(
    "workspace/executeCommand",
    { command: "symbiont.explain", arguments: [{ uri: u, line: 1 }] },
    60_000,
  );
  assert.is(r.ok, false);
  assert.match(r.message, /E1004: the project has no agent `shpo`; did you mean `shop`\?/);
  const n = await markdown.waitFor(
    (x) => x.method === "textDocument/publishDiagnostics" && x.params.uri === u && x.params.diagnostics.length > 0,
  );
  assert.equal(
    n.params.diagnostics.map((d: { code: string; range: { start: { line: number } } }) => [d.code, d.range.start.line]),
    [["E1004", 2]],
  );
});

test("bad command arguments are InvalidParams; an unknown agent is a message, not a crash", async () => {
  for (const params of [
    { command: "symbiont.nothing", arguments: [{}] },
    { command: "symbiont.showCedar", arguments: [] },
    { command: "symbiont.runAgent", arguments: [{ uri: QUICK, agent: "--help" }] },
    { command: "symbiont.explain", arguments: [{ uri: EXPLAIN, line: 0 }] },
  ]) {
    const r = await markdown.raw("workspace/executeCommand", params);
    assert.is(r.error?.code, -32602, JSON.stringify(params));
  }
  const r = await markdown.request("workspace/executeCommand", {
    command: "symbiont.showCedar",
    arguments: [{ uri: QUICK, agent: "nobody" }],
  });
  assert.is(r.ok, false);
});

test("Run agent runs symbi exec for the agent and reports how it ended", async () => {
  const r = await markdown.request("workspace/executeCommand", {
    command: "symbiont.runAgent",
    arguments: [{ uri: QUICK, agent: "quickstart", input: '{"name": "Ada", "number": 12}' }],
  });
  assert.is(r.started, true);
  const end = await markdown.waitFor(
    (n) => n.method === "window/showMessage" && n.params.message.startsWith("Run agent quickstart"),
    90_000,
  );
  assert.is(end.params.type, 3, end.params.message);
  assert.ok(end.params.message.includes('"factors": "12: 2 2 3"'), end.params.message);
  // Without the inputs it needs, the run fails and says why.
  await markdown.request("workspace/executeCommand", {
    command: "symbiont.runAgent",
    arguments: [{ uri: QUICK, agent: "quickstart" }],
  });
  const failed = await markdown.waitFor(
    (n) => n.method === "window/showMessage" && n.params.message.startsWith("Run agent quickstart: exit 3"),
    90_000,
  );
  assert.match(failed.params.message, /invalid input/);
});

test("Run agent starts the bundled symbi of a built toolchain, the sources' one from sources, else the project's", () => {
  const root = mkdtempSync(join(tmpdir(), "symbi-agent-exec-"));
  try {
    const put = (rel: string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), "");
    };
    put("dist/runtime/cli/main.js");
    put("dist/cli/symbi.js");
    put("src/runtime/cli/main.ts");
    const built = join(root, "dist/lsp/features/agent-exec.js");
    assert.equal(symbiCommand(root, built), [process.execPath, join(root, "dist/cli/symbi.js")]);
    const fromSources = symbiCommand(root, join(root, "src/lsp/features/agent-exec.ts"));
    assert.is(fromSources[0], process.execPath);
    assert.is(fromSources.at(-1), join(root, "src/runtime/cli/main.ts"));
    // Not beside a toolchain: the project's own, else the PATH's.
    put("project/node_modules/.bin/symbi");
    const elsewhere = join(root, "elsewhere/lsp/features/agent-exec.js");
    assert.equal(symbiCommand(join(root, "project"), elsewhere), [join(root, "project/node_modules/.bin/symbi")]);
    assert.equal(symbiCommand(join(root, "nowhere"), elsewhere), ["symbi"]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
