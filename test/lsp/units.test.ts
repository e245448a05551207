/**
 * In-process checks of the server's building blocks: completion contexts on half-typed code,
 * the repaired tree for unbalanced text, scopes, position conversions, minimal formatting edits.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import { Project } from "../../compiler/check/index.js";
import * as assert from "uvu/assert";
import { walk } from "../../grammar/visit.js";
import { SourceDocument } from "../../lsp/core/document.js";
import { completionSite, enclosingCall } from "../../lsp/core/completion-context.js";
import { offsetAt, positionAt, spanToRange } from "../../lsp/core/positions.js";
import { minimalEdit } from "../../lsp/features/formatting.js";
import { documentSymbols } from "../../lsp/features/symbols.js";
import { CORPUS, corpusMissing } from "../helpers/corpus.js";

/** The completion context at `|` in `source`. */
function ctx(source: string): Record<string, unknown> {
  const offset = source.indexOf("|");
  const doc = new SourceDocument("untitled:t", 1, source.slice(0, offset) + source.slice(offset + 1));
  return completionSite(doc, offset).context as unknown as Record<string, unknown>;
}

test("completion contexts: declarations", () => {
  assert.is(ctx("|").kind, "topLevel");
  assert.is(ctx("agent a {}\n|").kind, "topLevel");
  assert.is(ctx("agent a {}\nag|").kind, "topLevel");
  assert.is(ctx("type T = { a: int }\nag|").kind, "topLevel");
  assert.is(ctx("agent a {\n  |\n}").kind, "agentItem");
  assert.is(ctx('agent a {\n  capabilities = ["x"]\n  |').kind, "agentItem");
  assert.is(ctx("agent a {\n  policy p { allow: x }\n  |").kind, "agentItem");
  assert.is(ctx("agent a(x: |").kind, "type");
  assert.is(ctx("agent a(x: List<|").kind, "type");
  assert.is(ctx("agent a(x: Map<String, |").kind, "type");
  assert.is(ctx("agent a() -> |").kind, "type");
  assert.is(ctx("function f(a: int) -> |").kind, "type");
  assert.is(ctx("type T = { a: |").kind, "type");
  assert.is(ctx("agent a(|").kind, "none", "a parameter name");
  assert.equal(ctx("metadata {\n  |\n}"), { kind: "declKey", decl: "metadata", used: [] });
  assert.equal(ctx("memory m {\n  store markdown\n  |\n}"), { kind: "declKey", decl: "memory", used: [] });
  assert.equal(ctx("memory m {\n  store |\n}"), { kind: "declValue", decl: "memory", key: "store", inString: false });
  assert.equal(ctx("webhook w {\n  provider |"), {
    kind: "declValue",
    decl: "webhook",
    key: "provider",
    inString: false,
  });
  assert.equal(ctx("schedule s {\n  agent = |"), {
    kind: "declValue",
    decl: "schedule",
    key: "agent",
    inString: false,
  });
  assert.equal(ctx("memory m {\n  search {\n    |"), { kind: "declKey", decl: "search", used: [] });
  assert.is(ctx("// a comment |").kind, "none");
});

test("completion contexts: policies and with blocks", () => {
  assert.equal(ctx("policy p {\n  |\n}"), { kind: "policyVerb", alsoGuard: false });
  assert.equal(ctx("policy p {\n  allow: |"), { kind: "policyAction", verb: "allow", inString: false });
  assert.equal(ctx('policy p {\n  deny: ["a", |'), { kind: "policyAction", verb: "deny", inString: false });
  assert.equal(ctx('policy p {\n  deny: "r|"'), { kind: "policyAction", verb: "deny", inString: true });
  assert.equal(ctx("policy p {\n  allow: read(f) if |"), { kind: "expression", policyGuard: true });
  assert.equal(ctx("policy p {\n  allow: read(f) if f.size < |"), { kind: "expression", policyGuard: true });
  assert.equal(ctx("policy p {\n  allow: read(f)\n  |"), { kind: "policyVerb", alsoGuard: true });
  assert.equal(ctx("policy p {\n  allow: read(f) if x\n  de|"), { kind: "policyVerb", alsoGuard: false });
  assert.equal(ctx("agent a {\n  with |"), { kind: "withAttrName", used: [] });
  assert.equal(ctx('agent a {\n  with sandbox = "Tier1", |'), { kind: "withAttrName", used: ["sandbox"] });
  assert.equal(ctx('agent a {\n  with sandbox = "Tier1" timeout = 5s m|'), {
    kind: "withAttrName",
    used: ["sandbox", "timeout"],
  });
  assert.equal(ctx("agent a {\n  with sandbox = |"), { kind: "withAttrValue", attr: "sandbox", inString: false });
  assert.equal(ctx('agent a {\n  with timeout = 5s, sandbox = "T|" {'), {
    kind: "withAttrValue",
    attr: "sandbox",
    inString: true,
  });
  assert.is(ctx("agent a {\n  with sandbox |").kind, "none");
});

test("completion contexts: code", () => {
  const fn = (body: string) => ctx(`function f(x: int) {\n  ${body}\n}`);
  assert.equal(fn("|"), { kind: "statement", afterIf: false });
  assert.equal(fn("let y = 1;\n  |"), { kind: "statement", afterIf: false });
  assert.equal(fn("if x > 1 { }\n  |"), { kind: "statement", afterIf: true });
  assert.equal(fn("let y = |"), { kind: "expression", policyGuard: false });
  assert.is(fn("let |").kind, "none", "a new name");
  assert.is(fn("for |").kind, "none");
  assert.equal(fn("for i in |"), { kind: "expression", policyGuard: false });
  assert.equal(fn("if x { |"), { kind: "statement", afterIf: false });
  assert.equal(fn("match x { 1 => |"), { kind: "expression", policyGuard: false });
  assert.equal(fn("match x { 1 => { |"), { kind: "statement", afterIf: false });
  assert.equal(fn("let r = { a: |"), { kind: "expression", policyGuard: false });
  assert.equal(fn("let r = T { |"), { kind: "recordField", typeName: "T", used: [] });
  assert.equal(fn("let r = T { a: 1, |"), { kind: "recordField", typeName: "T", used: [] });
  assert.equal(fn("try { } catch (e) { |"), { kind: "statement", afterIf: false });
  assert.is(fn("try { } catch (|").kind, "none");
  assert.equal(fn("x.|"), { kind: "member", dot: `function f(x: int) {\n  x`.length });
  assert.equal(fn("x.le|"), { kind: "member", dot: `function f(x: int) {\n  x`.length });
  assert.equal(fn("g(1, |"), { kind: "expression", policyGuard: false });
  assert.is(fn('let s = "ab|').kind, "none", "inside a string");
  assert.is(fn("let n = 12|").kind, "none", "inside a number");
});

test("signature help finds the call and the argument being typed", () => {
  const call = (source: string) => {
    const offset = source.indexOf("|");
    const doc = new SourceDocument("untitled:t", 1, source.slice(0, offset) + source.slice(offset + 1));
    const c = enclosingCall(doc, offset);
    return (
      c && {
        callee: doc.text.slice(doc.text.lastIndexOf(" ", c.calleeEnd - 1) + 1, c.calleeEnd).replace(/^.*[(.]/, ""),
        argIndex: c.argIndex,
        namedArg: c.namedArg,
      }
    );
  };
  assert.equal(call("function f() { g(|"), { callee: "g", argIndex: 0, namedArg: undefined });
  assert.equal(call("function f() { g(a, [1, 2], |"), { callee: "g", argIndex: 2, namedArg: undefined });
  assert.equal(call("function f() { g(a, h(b, |"), { callee: "h", argIndex: 1, namedArg: undefined });
  assert.equal(call("function f() { g(a, h(b), |"), { callee: "g", argIndex: 2, namedArg: undefined });
  assert.equal(call("function f() { x.map(|"), { callee: "map", argIndex: 0, namedArg: undefined });
  assert.equal(call("function f() { g(limit = |"), { callee: "g", argIndex: 0, namedArg: "limit" });
  assert.is(call("function f(|"), undefined, "a parameter list is not a call");
  assert.is(call("function f() { (1 + |"), undefined, "grouping parentheses");
});

(corpusMissing ? test.skip : test)(
  "half-typed text keeps its outline and the checker's scopes; spans stay inside the text",
  () => {
    const text = readFileSync(join(CORPUS, "agents/api_aggregator.symbi"), "utf8");
    const firstItem = text.indexOf("metadata {") + "metadata".length;
    for (let i = 1; i <= text.length; i += 5) {
      const doc = new SourceDocument("untitled:t", 1, text.slice(0, i));
      walk(doc.program, (n) => {
        assert.ok(
          n.span.start >= 0 && n.span.start <= n.span.end && n.span.end <= i,
          `span ${n.kind} ${n.span.start}-${n.span.end} outside 0-${i}`,
        );
        const r = spanToRange(n.span);
        assert.equal(
          r.end,
          positionAt(doc.lineMap, n.span.end),
          `line/col agree with the offset (${n.kind} in prefix ${i})`,
        );
      });
      if (i > firstItem) assert.ok(documentSymbols(doc).length > 0, `an outline for the prefix of ${i} characters`);
    }

    // An `if` whose `}` is not typed yet, followed by more agents: everything is still there.
    const open = new SourceDocument(
      "untitled:t",
      1,
      "agent a(x: int) {\n  with {\n    let y = 1;\n    if y > x {\n      |\n  }\n}\n\nagent b {}\n".replace("|", ""),
    );
    assert.equal(
      open.program.items.map((i) => i.kind === "Agent" && i.name.name),
      ["a", "b"],
    );
    assert.equal(
      open.parse.diagnostics.map((d) => [d.code, d.span.line]),
      [["E0013", 4]],
      "one error, at the `{` that is not closed",
    );
    const visible = (text: string, cursor: number) => {
      const p = new Project(".", { loadContractsFromDisk: false });
      p.setFile("untitled:t", text);
      return p
        .check()
        .visibleLocals("untitled:t", cursor)
        .map((s) => s.name)
        .sort();
    };
    assert.equal(visible(open.text, open.text.indexOf("\n      \n") + 7), ["x", "y"]);
    // A header typed at the end of the file: the enclosing scopes reach the cursor.
    const tail = "agent a(x: int) {\n  with {\n    let y = 1;\n    for q in ";
    assert.equal(visible(tail, tail.length), ["x", "y"]);
  },
);

test("positions: 0-based UTF-16, clamped to lines; \\r\\n and lone \\r are line breaks", () => {
  const doc = new SourceDocument("untitled:t", 1, "a😀b\r\ncd\rx");
  assert.is(offsetAt(doc.lineMap, { line: 0, character: 3 }), 3, "after the surrogate pair");
  assert.is(offsetAt(doc.lineMap, { line: 0, character: 99 }), 4, "clamped before \\r\\n");
  assert.is(offsetAt(doc.lineMap, { line: 1, character: 1 }), 7);
  assert.is(offsetAt(doc.lineMap, { line: 2, character: 0 }), 9);
  assert.is(offsetAt(doc.lineMap, { line: 7, character: 0 }), doc.text.length);
  assert.equal(positionAt(doc.lineMap, 9), { line: 2, character: 0 });
});

test("formatting edits replace only what differs", () => {
  const doc = new SourceDocument("untitled:t", 1, "agent a {\n  x\n}\n");
  assert.equal(minimalEdit(doc, "agent a {\n    x\n}\n"), {
    range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } },
    newText: "  ",
  });
  const crlf = new SourceDocument("untitled:t", 1, "a\r\nb");
  const e = minimalEdit(crlf, "a\nb");
  assert.ok(e.range.start.line === 0 && e.newText.includes("\n"), "never splits a \\r\\n");
});

test("with attributes offered by completion agree with the checker", async () => {
  const { ALL_WITH_ATTRIBUTES, attributeValues } = await import("../../lsp/core/knowledge.js");
  const { Project } = await import("../../compiler/check/index.js");
  const check = (attr: string, value: string) => {
    const p = new Project(".", { loadContractsFromDisk: false });
    const attrs = attr === "sandbox" ? `sandbox = ${value}` : `sandbox = "Tier1", ${attr} = ${value}`;
    p.setFile("untitled:w", `agent a {\n    with ${attrs} {\n    }\n}\n`);
    return p.check().diagnostics.filter((d) => /^[EW]04/.test(d.code));
  };
  for (const a of ALL_WITH_ATTRIBUTES) {
    for (const v of attributeValues(a) ?? [])
      assert.equal(check(a.name, v), [], `${a.name} = ${v} is accepted as offered`);
    // For attributes with a closed set of values, the checker's list is exactly what is offered.
    const bad = check(a.name, '"no_such_value"').find((d) => d.code === "E0405" && /must be one of/.test(d.message));
    if (bad)
      assert.equal(
        [...bad.message.matchAll(/"([^"]+)"/g)].map((m) => `"${m[1]}"`),
        attributeValues(a),
        `values of ${a.name}`,
      );
  }
});

test.run();
