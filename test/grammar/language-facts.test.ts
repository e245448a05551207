/**
 * Every accept/reject fact of LANGUAGE.md §1.3–§1.4 and Appendix G as a test case, plus the
 * deliberate additions of DESIGN §3 (marked "addition").
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseText } from "../../grammar/index.js";

/** Wraps statements in an agent's with block. */
const inBlock = (stmts: string) => `agent a {\n  with {\n    ${stmts}\n  }\n}\n`;

const accepted: Array<[string, string]> = [
  // §1.3 contextual keywords
  ["agent named agent", "agent agent {}"],
  ["let type", inBlock("let type = 2;")],
  ["let match", inBlock("let match = 1;")],
  ["record keys that are keywords", inBlock("let r = { type: 1, if: 2 };")],
  ["member named type", inBlock("let t = a.type;")],
  ["member named if", inBlock("let t = a.if;")],
  ["with attributes named policy and agent", `agent a { with policy = "x", agent = "y" {} }`],
  ["schedule keys agent and policy", `schedule s { cron: "0 * * * *", agent: "a", policy: "p" }`],
  ["webhook key agent", `webhook w { path "/x" agent incident_tracker }`],
  ["let x = in", inBlock("let x = in;")],
  // numbers and durations
  ["numbers with underscores and leading zeros", inBlock("let a = 1_000 + 100_000_000 + 3.14 + 1_000.5 + 007;")],
  ["durations", inBlock("let d = [30s, 5m, 2h, 7d, 1w, 6months, 1y, 30.seconds, 5.minutes, 2.hours];")],
  ["addition: ms durations", inBlock("let d = 100ms;")],
  ["addition: fractional durations", inBlock("let d = [1.5h, 10.5m];")],
  ["500.milliseconds is a member expression inside expressions", inBlock("let d = 500.milliseconds;")],
  ["vault URL swallows dots: call on the URL", inBlock("let v = vault://a/b.len();")],
  ["vault URL indexing", inBlock("let k = vault://api/keys[source.auth_key];")],
  ["1.x is member access on a number", inBlock("let y = 1.x;")],
  ["# starts a comment anywhere", "#if debug {\nagent a {}"],
  ["strings may span lines and hold any escape", inBlock('let s = "a\\qb\n c\\"d";')],
  // precedence
  ["comparison chains", inBlock("let c = a < b < c == d == e;")],
  ["unary binds tighter than binary", inBlock("let c = -a * b && not x && y;")],
  ["postfix binds tighter than unary", inBlock("let c = not ctx.flag || !a.b();")],
  ["in at equality level", inBlock("let c = a in b < c;")],
  ["lambda body runs far", inBlock("let c = xs.map(s => s.x + 1);")],
  // §1.4.2 if/else at block end
  ["trailing if/else", `function f() -> int { if a {1} else {2} }`],
  ["if/else expression statement", inBlock("if c {1} else {2};")],
  ["assignment of an if expression with ;", inBlock("x = if a {1} else {2};")],
  // §1.4.3 struct literal vs block
  ["empty bodies", inBlock("if a {} for x in xs {} match y {}")],
  // §1.4.5 unknown words
  ["try/catch/finally (finally is a type literal)", inBlock("try {} catch (e) {} finally {}")],
  ["loop {} as a type literal", inBlock("loop { }")],
  ["continue and break as identifiers", inBlock("continue; break;")],
  ["multiple typed catches", inBlock("try { f(); } catch (APIError e) { g(); } catch (other) { h(); }")],
  ["try without catch", inBlock("try { f(); }")],
  // §1.4.7 bare identifiers as values
  [
    "identifier values",
    `agent a { with sandbox = Tier1 {} }\nmemory m { store markdown }\nwebhook w { provider github }`,
  ],
  // §1.4.10 parameters
  ["parameters without commas", `agent a(x: int y: String,) {}`],
  ["generic parameter types", `agent a(x: Array<APISource>, m: Map<String, List<int>>) -> Maybe<Alert> {}`],
  ["call trailing comma and named arguments first", inBlock("f(limit: 1, a, b,);")],
  ["array trailing comma", inBlock("let a = [1, 2,];")],
  // statements
  ["if let", inBlock("if let Some(x) = y { log(x); } else if z { } else { }")],
  ["match arms", inBlock('match a { "x" => 1, 2 => { f(); }, true => g(), y => {}, _ => { h(); } }')],
  ["match arm record body", inBlock('match a { "x" => { k: 1 }, _ => {} }')],
  ["compound assignment to members and indexes", inBlock('a.b += 1; r[k] = 2; r["x"].y -= 3; z *= 2; z /= 2; z %= 2;')],
  ["return without value", `function f() { return; }`],
  ["empty record statement", inBlock("{};")],
  ["type definitions", `type A = { x: int, y: Option<String> }\ntype B = A`],
  [
    "channel",
    `channel c { platform: "slack", channels: ["#a", "#b"] policy p { allow: read(x) } data_classification { pii: redact, phi: block } }`,
  ],
  ["memory with search", `memory m { store markdown retention 90d search { vector_weight 0.7 keyword_weight 0.3 } }`],
  ["webhook with filter", `webhook w { path "/hook" filter { json_path "$.a" equals "b" } }`],
  ["metadata separators and record values", `metadata { a = 1, b: "x" c = [1, 2] d = { k: 1 } }`],
  ["capabilities", `agent a { capabilities = [read, "write"] capabilities: [] }`],
  // Appendix E/G policies
  [
    "policy rules without separators, guard on next line",
    `policy p { allow: read(file)\n if x == y deny: "write_output" if a && b require: { tls: true } audit: { log_level: "info" } }`,
  ],
  ["bare identifier action with member guard", `policy p { deny: long_running_operations if system.maintenance_mode }`],
  ["string ordering is syntactically fine", `policy p { allow: read(d) if user.clearance >= "secret" }`],
  [
    "addition: setting entries in a require list",
    `policy p { require: [user.background_check.current, session.secure_connection, audit_trail = "detailed", trail = true] }`,
  ],
  ["addition: require X for Y", `policy p { require: differential_privacy for statistical_operations }`],
  [
    "addition: closures",
    `policy p { deny: aggregate(datasets) if (any(datasets, |d| d.privacy_level > operation.privacy_budget)) }`,
  ],
  ["addition: multi-parameter and empty closures", inBlock("let f = |a, b| a + b; let g = || 1;")],
  ["closure body in an if header keeps the block", `function f() { if |a| b { c; } }`],
  ["match arm block holding only a value", `function f() { match x { "a" => { y }, "b" => { "s" }, _ => {} } }`],
  ["require: an array in a larger expression", `policy p { require: [a] + b require: [a].len() > 0 }`],
  [
    "verified alternative: lambda in any()",
    `policy p { deny: aggregate(datasets) if any(datasets, d => d.privacy_level > 1) }`,
  ],
];

const rejected: Array<[string, string, number?]> = [
  ["not followed by ;", inBlock("not;")],
  ["if as a named argument", inBlock("g(if = 1);")],
  ["channel property named policy", `channel c { policy = "x" }`],
  ["channel property named data_classification", `channel c { data_classification: "x" }`],
  ["memory property named search", `memory m { search "x" }`],
  ["webhook property named filter", `webhook w { filter "x" }`],
  ["2min is 2m then in", inBlock("let d = 2min;")],
  ["1_000s", inBlock("let d = 1_000s;")],
  ["10days", inBlock("let d = 10days;")],
  ["2hours", inBlock("let d = 2hours;")],
  ["exponents", inBlock("let d = 1e5;")],
  ["500.milliseconds as a with value", `agent a { with timeout = 500.milliseconds {} }`],
  ["block comments", "/* comment */ agent a {}"],
  ["; after match", inBlock("match x { _ => 1 };")],
  ["; after for", inBlock("for x in xs {};")],
  ["; after try", inBlock("try {};")],
  ["; after if without else", inBlock("if a {};")],
  ["while", inBlock("while a {}")],
  ["assignment inside an array", inBlock("let a = [x = 1];")],
  ["chained assignment", inBlock("a = b = c;")],
  ["assignment in parentheses", inBlock("(b = c);")],
  ["typed let", inBlock("let x: int = 1;")],
  ["paths", inBlock("let x = a::b;")],
  ["ternary", inBlock("let x = a ? b : c;")],
  ["bitwise and", inBlock("let x = a & b;")],
  ["single-quoted strings", inBlock("let x = 'a';")],
  ["numeric record keys", inBlock("let x = { 1: 2 };")],
  ["negative metadata value", `metadata { a = -1 }`],
  ["negative with value", `agent a { with x = -1 {} }`],
  ["record as a with value", `agent a { with x = { a: 1 } {} }`],
  ["generic alias", `type A = List<int>`],
  ["nested struct type", `type A = { b: { c: int } }`],
  ["; after a type definition", `type A = B;`],
  ["let in an agent body", `agent a { let x = 1; }`],
  ["metadata in an agent body", `agent a { metadata { a = 1 } }`],
  ["type in an agent body", `agent a { type T = U }`],
  ["function without parentheses", `function f {}`],
  ["nested functions", `function f() { function g() {} }`],
  ["top-level let", `let x = 1;`],
  ["top-level with", `with {}`],
  ["call arguments without commas", inBlock("g(a b);")],
  ["empty call argument", inBlock("g(,);")],
  ["double comma in call", inBlock("g(a,, b);")],
  ["double comma in array", inBlock("let a = [1,, 2];")],
  ["trailing comma in generics", `agent a(x: List<int,>) {}`],
  ["unquoted vault URL as a memory value", `memory m { secret vault://a/b }`],
  ["expression as metadata value", `metadata { a = 1 + 2 }`],
  ["array as schedule value", `schedule s { cron: ["a"] }`],
  ["record as channel value", `channel c { platform: { a: 1 } }`],
  ["with attribute with :", `agent a { with sandbox: "Tier1" {} }`],
  ["memory property with :", `memory m { retention: 90d }`],
  ["commas between policy rules", `policy p { allow: a, deny: b }`],
  ["struct literal after if", inBlock("if a { b: 1 }")],
  ["struct literal after for", inBlock("for x in xs { y: 1 }")],
  [
    "the reference's pathological if T { a: 1 } == y {} (Rust's rule, documented difference)",
    inBlock("if T { a: 1 } == y { }"),
  ],
  ["if expression assignment without ;", inBlock("x = if a {1} else {2}\nlet y = 1;")],
  ["bare block statement", inBlock("{ let x = 1; }")],
  ["missing ; after let", inBlock("let x = 1\nlet y = 2;"), 3],
  ["audit with", `policy p { audit: all_operations with digital_signature }`],
  ["require ... for operations on x", `policy p { require: approval("supervisor") for operations on sensitive_data }`],
];

for (const [name, src] of accepted) {
  test(`accepts: ${name}`, () => {
    const r = parseText(src, "t.symbi");
    assert.equal(
      r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`),
      [],
      src,
    );
  });
}

for (const [name, src, line] of rejected) {
  test(`rejects: ${name}`, () => {
    const errors = parseText(src, "t.symbi").diagnostics.filter((d) => d.severity === "error");
    assert.ok(errors.length > 0, `expected an error for:\n${src}`);
    if (line !== undefined) assert.is(errors[0]!.span.line, line);
  });
}

test.run();
