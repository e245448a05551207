/** The AST has real operator nodes with the reference's precedence, spans, and attached comments. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type * as A from "../../grammar/ast.js";
import { parseText } from "../../grammar/index.js";
import { exprToString } from "../../grammar/print.js";
import { parseOk } from "../helpers/ast.js";

/** Parses one expression and prints it fully parenthesised to show the tree. */
function tree(src: string): string {
  const p = parseOk(`agent a { with { let x = ${src}; } }`);
  const agent = p.items[0] as A.AgentDef;
  const w = agent.members[0] as A.WithBlock;
  const e = (w.body.statements[0] as A.LetStmt).init;
  const show = (n: A.Expr): string => {
    switch (n.kind) {
      case "Binary":
        return `(${show(n.left)} ${n.op} ${show(n.right)})`;
      case "Unary":
        return `(${n.op === "not" ? "not " : n.op}${show(n.operand)})`;
      case "Call":
        return `${show(n.callee)}(${n.args.map((a) => (a.kind === "NamedArg" ? `${a.name.name}=${show(a.value)}` : show(a))).join(", ")})`;
      case "Member":
        return `${show(n.object)}.${n.property.name}`;
      case "Lambda":
        return `(${n.params.map((p) => p.name).join(",")} => ${show(n.body)})`;
      default:
        return exprToString(n);
    }
  };
  return show(e);
}

const cases: Array<[string, string]> = [
  ["a + b * c == d", "((a + (b * c)) == d)"],
  ["a || b && c", "(a || (b && c))"],
  ["a < b < c", "((a < b) < c)"],
  ["a == b == c", "((a == b) == c)"],
  ["-a * b", "((-a) * b)"],
  ["not x && y", "((not x) && y)"],
  ["not ctx.flag", "(not ctx.flag)"],
  ["!a.b()", "(!a.b())"],
  ["a in b < c", "(a in (b < c))"],
  ["a - b - c", "((a - b) - c)"],
  ["a / b % c * d", "(((a / b) % c) * d)"],
  ["xs.map(s => s.x + 1)", "xs.map((s => (s.x + 1)))"],
  ["f(|a, b| a + b, n = 1)", "f((a,b => (a + b)), n=1)"],
  ["- - a", "(-(-a))"],
  ["a >= b || c <= d && e != f", "((a >= b) || ((c <= d) && (e != f)))"],
];

for (const [src, expected] of cases) {
  test(`precedence: ${src}`, () => assert.is(tree(src), expected));
}

test("spans are precise: line, column and offsets", () => {
  const src = "agent a {\n    with {\n        let total = count + 1;\n    }\n}\n";
  const p = parseOk(src);
  const let_ = ((p.items[0] as A.AgentDef).members[0] as A.WithBlock).body.statements[0] as A.LetStmt;
  assert.equal([let_.span.line, let_.span.col, let_.span.endLine, let_.span.endCol], [3, 9, 3, 31]);
  assert.is(src.slice(let_.span.start, let_.span.end), "let total = count + 1;");
  const bin = let_.init as A.BinaryExpr;
  assert.is(src.slice(bin.span.start, bin.span.end), "count + 1");
  assert.is(src.slice(bin.right.span.start, bin.right.span.end), "1");
});

test("literals carry values: numbers, durations, strings", () => {
  const p = parseOk(
    `agent a { with { let x = [1_000, 2.5, 30s, 100ms, 1.5h, 6months, "a\\n\\"b\\"", vault://k/v]; } }`,
  );
  const arr = (((p.items[0] as A.AgentDef).members[0] as A.WithBlock).body.statements[0] as A.LetStmt)
    .init as A.ArrayExpr;
  const [n1, n2, d1, d2, d3, d4, s, v] = arr.elements as [
    A.NumberLit,
    A.NumberLit,
    A.DurationLit,
    A.DurationLit,
    A.DurationLit,
    A.DurationLit,
    A.StringLit,
    A.VaultRef,
  ];
  assert.equal([n1.value, n1.isFloat, n2.value, n2.isFloat], [1000, false, 2.5, true]);
  assert.equal([d1.millis, d2.millis, d3.millis, d4.unit], [30_000, 100, 5_400_000, "months"]);
  assert.is(s.value, 'a\n"b"');
  assert.is(v.path, "k/v");
});

test("comments are kept and attached (leading, trailing, inner)", () => {
  const src = `# header\nagent a { // after brace\n    // before with\n    with { // inner\n    }\n}\n// end\n`;
  const r = parseText(src, "t.symbi");
  assert.equal(r.diagnostics, []);
  assert.is(r.program.comments.length, 5);
  const agent = r.program.items[0] as A.AgentDef;
  assert.equal(
    agent.leadingComments?.map((c) => c.text),
    ["# header"],
  );
  assert.equal(
    agent.trailingComments?.map((c) => c.text),
    ["// end"],
  );
  const w = agent.members[0] as A.WithBlock;
  assert.equal(
    w.leadingComments?.map((c) => c.text),
    ["// after brace", "// before with"],
  );
  assert.equal(
    w.body.innerComments?.map((c) => c.text),
    ["// inner"],
  );
});

test("if statement vs if expression statement vs trailing if", () => {
  const p = parseOk(`function f() -> int { if a { 1 } else { 2 }; if b { g(); } if c { 1 } else { 2 } }`);
  const body = (p.items[0] as A.FunctionDef).body;
  assert.equal(
    body.statements.map((s) => s.kind),
    ["ExprStmt", "If", "If"],
  );
  assert.is(((body.statements[0] as A.ExprStmt).expr as A.IfExpr).kind, "IfExpr");
  assert.is(body.tail, undefined);
});

test("trailing expression is the block's tail", () => {
  const p = parseOk(`function f() -> int { let x = 1; x + 1 }`);
  const body = (p.items[0] as A.FunctionDef).body;
  assert.is(body.statements.length, 1);
  assert.is(body.tail?.kind, "Binary");
});

test("policy rules: verb, action, scope and guard", () => {
  const p = parseOk(
    `policy p {\n  allow: read(file) if file.size < 10\n  require: supervisor_approval for high_memory_operations\n  require: [a.b, audit_trail = "detailed"]\n}`,
  );
  const rules = (p.items[0] as A.PolicyDef).rules;
  assert.equal(
    rules.map((r) => r.verb),
    ["allow", "require", "require"],
  );
  assert.is(rules[0]!.action.kind, "Call");
  assert.is(rules[0]!.guard?.kind, "Binary");
  assert.is(rules[1]!.scope?.kind, "Identifier");
  assert.equal(
    (rules[2]!.action as A.ArrayExpr).elements.map((e) => e.kind),
    ["Member", "Setting"],
  );
});

test("error recovery: several errors in one file, partial AST kept", () => {
  const src = `agent a {\n  with {\n    let x = ;\n    let y = 2\n    log(y);\n  }\n}\nagent b {}\n`;
  const r = parseText(src, "t.symbi");
  const lines = r.diagnostics.map((d) => d.span.line);
  assert.ok(lines.includes(3), `error on line 3 (${lines})`);
  assert.ok(lines.includes(4), `error on line 4 (${lines})`);
  assert.equal(
    r.program.items.map((i) => i.kind === "Agent" && i.name.name),
    ["a", "b"],
  );
});

test("unfinished file: missing closers at end of file keep the enclosing items", () => {
  for (const [src, kinds] of [
    ["agent a { with { let x = 1; ", ["Agent"]],
    ["agent a { with { let x = foo(1, ", ["Agent"]],
    ["function f() { if a { g(); \n", ["Function"]],
    ["agent a {}\npolicy p { allow: read(x) if (x > ", ["Agent", "Policy"]],
  ] as const) {
    const r = parseText(src, "t.symbi");
    assert.equal(
      r.program.items.map((i) => i.kind),
      kinds,
      src,
    );
    assert.ok(
      r.diagnostics.some((d) => d.code === "E0013"),
      `E0013 for ${src}`,
    );
  }
  const r = parseText("agent a { with { let x = 1; log(x); ", "t.symbi");
  const w = (r.program.items[0] as A.AgentDef).members[0] as A.WithBlock;
  assert.equal(
    w.body.statements.map((s) => s.kind),
    ["Let", "ExprStmt"],
  );
});

test("missing ; is reported after the statement with a hint", () => {
  const r = parseText(`agent a { with {\n let x = 1\n log(x);\n} }`, "t.symbi");
  const d = r.diagnostics[0]!;
  assert.is(d.code, "E0011");
  assert.equal([d.span.line, d.span.col], [2, 11]);
  assert.is(d.message, "expected `;` after `let` statement, found `log`");
  assert.ok(d.help?.includes("`;`"));
});

test.run();
