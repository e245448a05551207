/**
 * The language server over real JSON-RPC: spawned from sources (`lsp/main.ts --stdio`), driven
 * by a hand-framed client (client.ts), on a small project with two files and a tool contract.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TextDocument } from "vscode-languageserver-textdocument";
import { formatText } from "../../compiler/format/index.js";
import { decodeSemanticTokens } from "../../lsp/features/semantic-tokens.js";
import { LspClient, positionOf } from "./client.js";
import { MAIN_SYMBI, TYPES_SYMBI, makeFixture } from "./fixture.js";

const fx = makeFixture();
const client = new LspClient();
let capabilities: any;
const td = (uri: string) => ({ textDocument: { uri } });
const at = (uri: string, text: string, needle: string, delta = 0, nth = 0) => ({
  ...td(uri),
  position: positionOf(text, needle, delta, nth),
});

test("initialize: every feature is advertised", async () => {
  const result = await client.initialize(fx.dir, { diagnosticsDelay: 10 });
  capabilities = result.capabilities;
  assert.is(result.serverInfo.name, "symbi-lsp");
  for (const f of [
    "hoverProvider",
    "completionProvider",
    "definitionProvider",
    "referencesProvider",
    "renameProvider",
    "documentSymbolProvider",
    "workspaceSymbolProvider",
    "foldingRangeProvider",
    "semanticTokensProvider",
    "signatureHelpProvider",
    "documentFormattingProvider",
    "codeActionProvider",
  ]) {
    assert.ok(capabilities[f], `${f} is advertised`);
  }
  assert.is(capabilities.textDocumentSync.change, 2, "incremental sync");
});

test("diagnostics: an error at the right range, gone after the edit that fixes it", async () => {
  const broken = MAIN_SYMBI.replace("print(count);", "print(cont);");
  client.open(fx.mainUri, broken, 1);
  const d1 = await client.diagnosticsFor(fx.mainUri, 1);
  const e = d1.diagnostics.find((d) => d.code === "E0100");
  assert.ok(e, `E0100 reported: ${JSON.stringify(d1.diagnostics)}`);
  const start = positionOf(broken, "cont);");
  assert.equal(e!.range, { start, end: { line: start.line, character: start.character + 4 } });
  assert.is(e!.severity, 1);
  assert.is(e!.source, "symbi");
  assert.match(e!.message, "unknown name `cont`");
  assert.match(e!.message, "help: did you mean `count`?");
  // The same codes as `symbic check`: the warnings of the unedited file are there too.
  assert.ok(
    d1.diagnostics.some((d) => d.code === "W0400"),
    "bare-number timeout warning",
  );
  assert.ok(
    d1.diagnostics.some((d) => d.code === "W0101"),
    "assignment without let warning",
  );

  // Insert the missing `u` (an incremental change).
  const p = positionOf(broken, "cont);", 2);
  client.edit(fx.mainUri, 2, { start: p, end: p }, "u");
  const d2 = await client.diagnosticsFor(fx.mainUri, 2);
  assert.not.ok(
    d2.diagnostics.some((d) => d.code === "E0100"),
    `E0100 cleared: ${JSON.stringify(d2.diagnostics)}`,
  );
  assert.ok(d2.diagnostics.some((d) => d.code === "W0400"));
});

test("diagnostics follow other files: breaking a declaration in one file reports its uses in another", async () => {
  client.open(fx.typesUri, TYPES_SYMBI, 1);
  await client.diagnosticsFor(fx.typesUri, 1);
  client.replace(fx.typesUri, TYPES_SYMBI.replace("function summarize", "function summary"), 2);
  const main = await client.waitFor(
    (n) =>
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.mainUri &&
      n.params.diagnostics.some((d: any) => d.code === "E0100" && /summarize/.test(d.message)),
    10_000,
    "E0100 for summarize in main",
  );
  assert.is(main.params.version, 2, "published for the current version of main.symbi");
  const before = client.notifications.length;
  client.replace(fx.typesUri, TYPES_SYMBI, 3);
  await client.waitFor(
    (n) =>
      client.notifications.indexOf(n) >= before &&
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.mainUri &&
      !n.params.diagnostics.some((d: any) => d.code === "E0100"),
    10_000,
    "E0100 gone from main",
  );
});

test("quick fixes: duration for a bare-number timeout, `let` for a first assignment, did-you-mean", async () => {
  const timeout = positionOf(MAIN_SYMBI, "30000", 1);
  const actions = await client.request("textDocument/codeAction", {
    ...td(fx.mainUri),
    range: { start: timeout, end: timeout },
    context: { diagnostics: [] },
  });
  const dur = actions.find((a: any) => a.title === "write `30s`");
  assert.ok(dur, JSON.stringify(actions));
  assert.is(dur.kind, "quickfix");
  const edit = dur.edit.changes[fx.mainUri][0];
  assert.is(edit.newText, "30s");
  assert.equal(edit.range.start, positionOf(MAIN_SYMBI, "30000"));

  const count = positionOf(MAIN_SYMBI, "count = len");
  const lets = await client.request("textDocument/codeAction", {
    ...td(fx.mainUri),
    range: { start: count, end: count },
    context: { diagnostics: [] },
  });
  const addLet = lets.find((a: any) => /let/.test(a.title));
  assert.ok(addLet, JSON.stringify(lets));
  assert.equal(addLet.edit.changes[fx.mainUri][0], { range: { start: count, end: count }, newText: "let " });

  // A misspelled name: the help's suggestion becomes an edit.
  const typo = MAIN_SYMBI.replace("print(count);", "print(cont);");
  client.replace(fx.mainUri, typo, 3);
  await client.diagnosticsFor(fx.mainUri, 3);
  const p = positionOf(typo, "cont)");
  const dym = await client.request("textDocument/codeAction", {
    ...td(fx.mainUri),
    range: { start: p, end: p },
    context: { diagnostics: [] },
  });
  const fix = dym.find((a: any) => a.title === "replace `cont` with `count`");
  assert.ok(fix, JSON.stringify(dym));
  assert.equal(fix.edit.changes[fx.mainUri][0].newText, "count");
  client.replace(fx.mainUri, MAIN_SYMBI, 4);
  await client.diagnosticsFor(fx.mainUri, 4);
});

test("hover: types, stdlib docs, tool contracts, with attributes, the Cedar of a rule", async () => {
  const hover = async (needle: string, delta = 0, nth = 0) => {
    const h = await client.request("textDocument/hover", at(fx.mainUri, MAIN_SYMBI, needle, delta, nth));
    return h ? (h.contents.value as string) : "";
  };
  assert.match(await hover("summarize(report)"), "function summarize(report: ScanReport) -> String");
  assert.match(await hover("report.open_ports", 1), "ScanReport");
  const len = await hover("len(report");
  assert.match(len, "len");
  assert.match(len, "The length of a String");
  const tool = await hover("nmap_scan(host");
  assert.match(tool, "Network port scanning and service detection");
  assert.match(tool, "scan_type");
  assert.match(await hover("sandbox ="), "Isolation tier");
  assert.match(await hover("timeout ="), "Wall-clock limit");
  assert.match(await hover("target: String", 2), "String");
  const cedar = await hover("allow:", 1);
  assert.match(cedar, "permits matching actions");
  assert.match(cedar, "```cedar");
  assert.match(cedar, /permit \(/);
  assert.match(cedar, `@dsl("main.symbi:${positionOf(MAIN_SYMBI, "allow:").line + 1}:9")`);
  assert.match(cedar, "nmap_scan");
  const deny = await hover("deny:", 1);
  assert.match(deny, /forbid \(/);
  // Nothing to say about punctuation or comments.
  assert.is(await hover("// Scans", 4), "");
});

test("completion: keywords by context, names in scope, members, tools, stdlib, with attributes and values", async () => {
  const complete = async (text: string, needle: string, delta = 0) => {
    client.replace(fx.mainUri, text, ++version);
    const r = await client.request("textDocument/completion", at(fx.mainUri, text, needle, delta));
    return r.items as Array<{ label: string; kind: number; textEdit?: any; insertText?: string }>;
  };
  const labels = (items: Array<{ label: string }>) => items.map((i) => i.label);
  let version = 10;

  // Members of a user record type.
  const member = await complete(MAIN_SYMBI.replace("print(count);", "print(report.);"), "report.);", 7);
  assert.equal(labels(member).sort(), ["open_ports", "target"]);
  // Methods of a built-in type.
  const methods = labels(await complete(MAIN_SYMBI.replace("print(count);", "print(target.);"), "target.);", 7));
  for (const m of ["contains", "starts_with", "length", "split"])
    assert.ok(methods.includes(m), `String.${m}: ${methods}`);

  // A statement position: statement keywords, locals, parameters, functions, tools, stdlib.
  const stmt = labels(await complete(MAIN_SYMBI.replace("print(count);", "pr"), "pr\n", 2));
  for (const n of ["let", "if", "for", "return", "count", "report", "target", "summarize", "nmap_scan", "print", "len"])
    assert.ok(stmt.includes(n), `${n} offered at statement start: ${stmt.join(",")}`);
  assert.not.ok(stmt.includes("agent"), "no top-level keywords inside a block");

  // Top level, agent body, policy body.
  const top = labels(await complete(MAIN_SYMBI + "\nag", "\nag", 3));
  assert.ok(top.includes("agent") && top.includes("policy") && top.includes("type"), top.join(","));
  assert.not.ok(top.includes("let"));
  const body = labels(
    await complete(
      MAIN_SYMBI.replace(
        '    capabilities = ["network_scan", "nmap_scan"]\n',
        '    capabilities = ["network_scan", "nmap_scan"]\n    \n',
      ),
      '"nmap_scan"]\n    \n',
      20,
    ),
  );
  assert.equal(body.sort(), ["capabilities", "function", "policy", "with"]);
  const verbs = labels(
    await complete(
      MAIN_SYMBI.replace(
        '        deny: nmap_scan(any, "os_detect")\n',
        '        deny: nmap_scan(any, "os_detect")\n        \n',
      ),
      '"os_detect")\n        \n',
      22,
    ),
  );
  for (const v of ["allow", "deny", "require", "audit"]) assert.ok(verbs.includes(v), verbs.join(","));

  // Action names after `allow:`: tools, built-in actions, groups, the agent's capabilities.
  const actions = labels(await complete(MAIN_SYMBI.replace("deny: nmap_scan(", "deny: n nmap_scan("), "deny: n", 7));
  for (const a of ["nmap_scan", "delegate", "all_operations", "network_scan"])
    assert.ok(actions.includes(a), `${a}: ${actions.join(",")}`);

  // `with` attribute names, then values (inside the string being typed too).
  const attrs = labels(await complete(MAIN_SYMBI.replace("timeout = 30000 {", "timeout = 30000, m {"), "30000, m", 8));
  assert.ok(attrs.includes("max_memory_mb") && attrs.includes("max_cpu_cores"), attrs.join(","));
  assert.not.ok(attrs.includes("sandbox"), "attributes already set are not offered again");
  const tiers = await complete(MAIN_SYMBI.replace('sandbox = "Tier1"', 'sandbox = "T"'), 'sandbox = "T', 12);
  assert.equal(labels(tiers), ['"Tier1"', '"Tier2"', '"process"']);
  const p = positionOf(MAIN_SYMBI.replace('sandbox = "Tier1"', 'sandbox = "T"'), '"T"');
  assert.equal(tiers[1]!.textEdit, {
    range: { start: p, end: { line: p.line, character: p.character + 3 } },
    newText: '"Tier2"',
  });

  // Types after `:` in a parameter list.
  const types = labels(
    await complete(MAIN_SYMBI.replace("agent scanner(target: String)", "agent scanner(target: S)"), "target: S", 9),
  );
  for (const t of ["String", "int", "List", "ScanReport"]) assert.ok(types.includes(t), `${t}: ${types.join(",")}`);

  // Fields of a type literal.
  const fields = labels(
    await complete(
      MAIN_SYMBI.replace("ScanReport { target: target, open_ports: [22, 80] }", "ScanReport { t }"),
      "ScanReport { t",
      14,
    ),
  );
  assert.equal(fields.sort(), ["open_ports", "target"]);
  client.replace(fx.mainUri, MAIN_SYMBI, ++version);
  await client.diagnosticsFor(fx.mainUri, version);
});

test("completion right after a keystroke (not yet analysed) still knows scopes and types", async () => {
  const before = MAIN_SYMBI.replace("print(count);", "print(report);");
  client.replace(fx.mainUri, before, 40);
  await client.diagnosticsFor(fx.mainUri, 40);
  // The edit and the request reach the server in one write: no analysis can run in between.
  const typeAndComplete = async (version: number, at: { line: number; character: number }, text: string) => {
    const r = client.prepare("textDocument/completion", {
      ...td(fx.mainUri),
      position: { line: at.line, character: at.character + text.length },
    });
    client.write([
      {
        jsonrpc: "2.0",
        method: "textDocument/didChange",
        params: {
          textDocument: { uri: fx.mainUri, version },
          contentChanges: [{ range: { start: at, end: at }, text }],
        },
      },
      r.message,
    ]);
    return ((await r.response).result as { items: Array<{ label: string }> }).items.map((i) => i.label);
  };
  const dot = positionOf(before, "report);", 6);
  assert.equal((await typeAndComplete(41, dot, ".")).sort(), ["open_ports", "target"]);
  const stmt = positionOf(before, "print(report");
  const names = await typeAndComplete(42, stmt, "c");
  for (const n of ["count", "report", "target", "summarize", "nmap_scan"])
    assert.ok(names.includes(n), `${n} in ${names.join(",")}`);
  const d = await client.diagnosticsFor(fx.mainUri, 42);
  assert.ok(
    d.diagnostics.some((x) => x.code === "E0010"),
    "the half-typed text is analysed afterwards",
  );
  client.replace(fx.mainUri, MAIN_SYMBI, 43);
  await client.diagnosticsFor(fx.mainUri, 43);
});

test("signature help: stdlib functions and user functions, active parameter", async () => {
  const text = MAIN_SYMBI.replace("print(count);", 'print(format("{}", count, ));');
  client.replace(fx.mainUri, text, 30);
  const sh = await client.request("textDocument/signatureHelp", at(fx.mainUri, text, "count, )", 7));
  assert.is(sh.signatures[0].label, "format(template: String, ...args: any) -> String");
  assert.is(sh.activeParameter, 1, "the variadic parameter stays active");
  const user = await client.request("textDocument/signatureHelp", at(fx.mainUri, text, "summarize(report)", 10));
  assert.is(user.signatures[0].label, "summarize(report: ScanReport) -> String");
  assert.is(user.activeParameter, 0);
  const tool = await client.request("textDocument/signatureHelp", at(fx.mainUri, text, "nmap_scan(host, mode)", 16));
  assert.match(tool.signatures[0].label, /^nmap_scan\(target: scope_target, scan_type: enum/);
  assert.is(tool.activeParameter, 1);
  client.replace(fx.mainUri, MAIN_SYMBI, 31);
  await client.diagnosticsFor(fx.mainUri, 31);
});

test("definition and references across files", async () => {
  const def = await client.request("textDocument/definition", at(fx.mainUri, MAIN_SYMBI, "summarize(report)"));
  assert.equal(def, [
    {
      uri: fx.typesUri,
      range: { start: positionOf(TYPES_SYMBI, "summarize"), end: positionOf(TYPES_SYMBI, "summarize", 9) },
    },
  ]);
  const typeDef = await client.request("textDocument/definition", at(fx.mainUri, MAIN_SYMBI, "ScanReport {", 3));
  assert.is(typeDef[0].uri, fx.typesUri);
  assert.equal(typeDef[0].range.start, positionOf(TYPES_SYMBI, "ScanReport"));
  // A local: its `let`.
  const local = await client.request("textDocument/definition", at(fx.mainUri, MAIN_SYMBI, "report.open_ports"));
  assert.equal(local[0].range.start, positionOf(MAIN_SYMBI, "report = "));
  // A tool: its contract.
  const tool = await client.request("textDocument/definition", at(fx.mainUri, MAIN_SYMBI, "nmap_scan(host"));
  assert.is(tool[0].uri, fx.uri("tools/nmap_scan.clad.toml"));

  const refs = await client.request("textDocument/references", {
    ...at(fx.mainUri, MAIN_SYMBI, "summarize(report)"),
    context: { includeDeclaration: true },
  });
  assert.equal(refs.map((r: any) => r.uri).sort(), [fx.mainUri, fx.typesUri]);
  const noDecl = await client.request("textDocument/references", {
    ...at(fx.mainUri, MAIN_SYMBI, "summarize(report)"),
    context: { includeDeclaration: false },
  });
  assert.equal(
    noDecl.map((r: any) => r.uri),
    [fx.mainUri],
  );
  const reportRefs = await client.request("textDocument/references", {
    ...at(fx.mainUri, MAIN_SYMBI, "report = "),
    context: { includeDeclaration: true },
  });
  assert.is(reportRefs.length, 3, JSON.stringify(reportRefs));
});

test("rename: a local in one file, a type across files; built-ins refuse", async () => {
  const local = await client.request("textDocument/rename", {
    ...at(fx.mainUri, MAIN_SYMBI, "report = "),
    newName: "scan",
  });
  assert.equal(Object.keys(local.changes), [fx.mainUri]);
  const applied = TextDocument.applyEdits(
    TextDocument.create(fx.mainUri, "symbiont", 1, MAIN_SYMBI),
    local.changes[fx.mainUri],
  );
  assert.ok(
    applied.includes("let scan = ScanReport") &&
      applied.includes("len(scan.open_ports)") &&
      applied.includes("summarize(scan)"),
    applied,
  );
  assert.not.ok(
    /\breport\b/.test(applied.split("summarize")[0]!.replace("// Scans one host.", "")),
    "every use renamed",
  );

  const prep = await client.request("textDocument/prepareRename", at(fx.mainUri, MAIN_SYMBI, "ScanReport {", 2));
  assert.is(prep.placeholder, "ScanReport");
  const ty = await client.request("textDocument/rename", {
    ...at(fx.mainUri, MAIN_SYMBI, "ScanReport {", 2),
    newName: "PortReport",
  });
  assert.equal(Object.keys(ty.changes).sort(), [fx.mainUri, fx.typesUri].sort());
  const types = TextDocument.applyEdits(
    TextDocument.create(fx.typesUri, "symbiont", 1, TYPES_SYMBI),
    ty.changes[fx.typesUri],
  );
  assert.ok(types.startsWith("type PortReport = {") && types.includes("report: PortReport"), types);

  const builtin = await client.raw("textDocument/prepareRename", at(fx.mainUri, MAIN_SYMBI, "len(report"));
  assert.ok(builtin.error, "renaming a built-in is refused");
  assert.match(builtin.error!.message, "built-in");
  const bad = await client.raw("textDocument/rename", { ...at(fx.mainUri, MAIN_SYMBI, "report = "), newName: "1x" });
  assert.ok(bad.error && /not a valid name/.test(bad.error.message));
});

test("formatting: the formatter's output, as edits", async () => {
  const uri = fx.uri("messy.symbi");
  const messy = 'agent   messy(x:int){\nwith sandbox="Tier1"{\nlet y=x+1;   print(y);}\n}\n';
  client.open(uri, messy, 1);
  const edits = await client.request("textDocument/formatting", {
    ...td(uri),
    options: { tabSize: 4, insertSpaces: true },
  });
  assert.ok(edits.length >= 1);
  const formatted = TextDocument.applyEdits(TextDocument.create(uri, "symbiont", 1, messy), edits);
  const expected = await formatText(messy, uri);
  assert.ok(expected.ok);
  assert.is(formatted, (expected as { output: string }).output);
  // Formatting a formatted document changes nothing; a file with syntax errors is left alone.
  client.replace(uri, formatted, 2);
  assert.equal(
    await client.request("textDocument/formatting", { ...td(uri), options: { tabSize: 4, insertSpaces: true } }),
    [],
  );
  client.replace(uri, "agent broken {", 3);
  assert.equal(
    await client.request("textDocument/formatting", { ...td(uri), options: { tabSize: 4, insertSpaces: true } }),
    [],
  );
  client.notify("textDocument/didClose", td(uri));
  const cleared = await client.waitFor(
    (n) =>
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === uri &&
      n.params.diagnostics.length === 0 &&
      n.params.version === undefined,
  );
  assert.ok(cleared);
});

test("semantic tokens: contextual keywords, declarations, parameters, built-ins", async () => {
  const r = await client.request("textDocument/semanticTokens/full", td(fx.mainUri));
  const toks = decodeSemanticTokens(r.data, capabilities.semanticTokensProvider.legend);
  const lines = MAIN_SYMBI.split("\n");
  const find = (needle: string, nth = 0) => {
    const p = positionOf(MAIN_SYMBI, needle, 0, nth);
    const t = toks.find((x) => x.line === p.line && x.char === p.character);
    assert.ok(t, `a token at ${needle} (${lines[p.line]})`);
    return t!;
  };
  assert.equal(find("// Scans"), { ...find("// Scans"), type: "comment" });
  assert.is(find("agent").type, "keyword");
  assert.equal([find("scanner").type, find("scanner").modifiers], ["class", ["declaration"]]);
  assert.equal([find("target").type, find("target").modifiers], ["parameter", ["declaration"]]);
  assert.is(find("target\n").type, "parameter", "a use of the parameter");
  assert.is(find("String").type, "type");
  assert.equal([find("len").type, find("len").modifiers], ["function", ["defaultLibrary"]]);
  assert.is(find("allow").type, "keyword");
  assert.equal([find("host,").type, find("host,").modifiers], ["parameter", ["declaration", "readonly"]]);
  assert.is(find("sandbox").type, "property");
  assert.is(find('"Tier1"').type, "string");
  assert.is(find("30000").type, "number");
  assert.is(find("report =").type, "variable");
  assert.is(find("open_ports", 1).type, "property");
  assert.is(find("summarize").type, "function");
  // Tokens are sorted and never overlap.
  for (let i = 1; i < toks.length; i++) {
    const a = toks[i - 1]!;
    const b = toks[i]!;
    assert.ok(b.line > a.line || b.char >= a.char + a.length, `tokens overlap at ${b.line}:${b.char}`);
  }
  const range = await client.request("textDocument/semanticTokens/range", {
    ...td(fx.mainUri),
    range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } },
  });
  const inRange = decodeSemanticTokens(range.data, capabilities.semanticTokensProvider.legend);
  assert.ok(inRange.length > 0 && inRange.every((t) => t.line === 1));
});

test("document symbols, workspace symbols, folding ranges", async () => {
  const syms = await client.request("textDocument/documentSymbol", td(fx.mainUri));
  assert.is(syms.length, 1);
  assert.is(syms[0].name, "scanner");
  assert.equal(
    syms[0].children.map((c: any) => c.name),
    ["capabilities", "scanning", "with"],
  );
  assert.equal(
    syms[0].children[1].children.map((c: any) => c.name),
    ["allow: nmap_scan(host, mode)", 'deny: nmap_scan(any, "os_detect")'],
  );

  const ws = await client.request("workspace/symbol", { query: "scnrep" });
  assert.equal(
    ws.map((s: any) => [s.name, s.location.uri]),
    [["ScanReport", fx.typesUri]],
  );
  const all = await client.request("workspace/symbol", { query: "" });
  for (const n of ["scanner", "ScanReport", "summarize", "scanning"])
    assert.ok(
      all.some((s: any) => s.name === n),
      n,
    );

  const folds = await client.request("textDocument/foldingRange", td(fx.mainUri));
  const starts = folds.map((f: any) => f.startLine);
  for (const needle of ["agent scanner", "policy scanning", "with sandbox"])
    assert.ok(starts.includes(positionOf(MAIN_SYMBI, needle).line), needle);
});

test("files changed on disk: new declarations resolve, contract changes apply", async () => {
  const calls = MAIN_SYMBI.replace("print(count);", "print(helper(count));");
  client.replace(fx.mainUri, calls, 50);
  const d1 = await client.diagnosticsFor(fx.mainUri, 50);
  assert.ok(d1.diagnostics.some((d) => d.code === "E0100" && /helper/.test(d.message)));
  const helper = join(fx.dir, "helper.symbi");
  writeFileSync(helper, "function helper(n: int) -> int {\n    return n + 1;\n}\n");
  let mark = client.notifications.length;
  client.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: fx.uri("helper.symbi"), type: 1 }] });
  await client.waitFor(
    (n) =>
      client.notifications.indexOf(n) >= mark &&
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.mainUri &&
      !n.params.diagnostics.some((d: any) => d.code === "E0100"),
    10_000,
    "helper resolved",
  );
  const def = await client.request("textDocument/definition", at(fx.mainUri, calls, "helper("));
  assert.is(def[0].uri, fx.uri("helper.symbi"));
  rmSync(helper);
  mark = client.notifications.length;
  client.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: fx.uri("helper.symbi"), type: 3 }] });
  await client.waitFor(
    (n) =>
      client.notifications.indexOf(n) >= mark &&
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.mainUri &&
      n.params.diagnostics.some((d: any) => d.code === "E0100"),
    10_000,
    "helper gone",
  );

  // The tool contract is renamed on disk: the policy's action and the call no longer resolve.
  const contract = join(fx.dir, "tools/nmap_scan.clad.toml");
  const original = readFileSync(contract, "utf8");
  writeFileSync(contract, original.replace('name = "nmap_scan"', 'name = "nmap_probe"'));
  mark = client.notifications.length;
  client.notify("workspace/didChangeWatchedFiles", {
    changes: [{ uri: fx.uri("tools/nmap_scan.clad.toml"), type: 2 }],
  });
  const broken = await client.waitFor(
    (n) =>
      client.notifications.indexOf(n) >= mark &&
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.mainUri &&
      n.params.diagnostics.some((d: any) => /nmap_scan/.test(d.message) && d.severity === 1),
    10_000,
    "nmap_scan unknown",
  );
  assert.ok(broken);
  writeFileSync(contract, original);
  mark = client.notifications.length;
  client.notify("workspace/didChangeWatchedFiles", {
    changes: [{ uri: fx.uri("tools/nmap_scan.clad.toml"), type: 2 }],
  });
  await client.waitFor(
    (n) =>
      client.notifications.indexOf(n) >= mark &&
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.mainUri &&
      !n.params.diagnostics.some((d: any) => /nmap_scan/.test(d.message)),
    10_000,
    "nmap_scan back",
  );

  // A broken contract: its own diagnostics are published on the contract file, then withdrawn.
  writeFileSync(contract, original.replace('risk_tier = "low"', 'risk_tier = "extreme"'));
  mark = client.notifications.length;
  client.notify("workspace/didChangeWatchedFiles", {
    changes: [{ uri: fx.uri("tools/nmap_scan.clad.toml"), type: 2 }],
  });
  // Wait for the publication that reflects the broken file: an earlier one (for the restored
  // text of the previous step) may still arrive after `mark`.
  const onContract = await client.waitFor(
    (n) =>
      client.notifications.indexOf(n) >= mark &&
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.uri("tools/nmap_scan.clad.toml") &&
      n.params.diagnostics.length > 0,
    10_000,
    "contract diagnostics",
  );
  assert.ok(
    onContract.params.diagnostics.some((d: any) => d.code === "E0516"),
    JSON.stringify(onContract.params),
  );
  writeFileSync(contract, original);
  mark = client.notifications.length;
  client.notify("workspace/didChangeWatchedFiles", {
    changes: [{ uri: fx.uri("tools/nmap_scan.clad.toml"), type: 2 }],
  });
  await client.waitFor(
    (n) =>
      client.notifications.indexOf(n) >= mark &&
      n.method === "textDocument/publishDiagnostics" &&
      n.params.uri === fx.uri("tools/nmap_scan.clad.toml") &&
      n.params.diagnostics.length === 0,
    10_000,
    "contract diagnostics withdrawn",
  );
  client.replace(fx.mainUri, MAIN_SYMBI, 51);
  await client.diagnosticsFor(fx.mainUri, 51);
});

test("requests for unknown documents answer null; unknown methods answer MethodNotFound", async () => {
  assert.is(
    await client.request("textDocument/hover", { ...td(fx.uri("nope.symbi")), position: { line: 0, character: 0 } }),
    null,
  );
  const r = await client.raw("symbi/unknown", {});
  assert.is(r.error?.code, -32601);
});

test("shutdown and exit", async () => {
  assert.is(await client.shutdown(), 0);
  assert.not.match(client.stderr, /uncaught|unhandled/i);
  rmSync(fx.dir, { recursive: true, force: true });
});

test.run();
