/**
 * One negative test per diagnostic code of the checker's areas (names E01xx, types E02xx,
 * policies E03xx, with blocks E04xx): each case marks the expected range with «…» and gives the
 * exact message (and, where it matters, the help text or quick fix).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { namesCodes } from "../../compiler/diagnostics/codes/names.js";
import { typesCodes } from "../../compiler/diagnostics/codes/types-codes.js";
import { policyCodes } from "../../compiler/diagnostics/codes/policy.js";
import { sandboxCodes } from "../../compiler/diagnostics/codes/sandbox.js";
import { Project } from "../../compiler/check/index.js";
import { checkSource, contract, marked, show } from "./helpers.js";

interface Case {
  code: string;
  src: string;
  message: string;
  help?: string;
  /** Extra project files (contracts by path). */
  files?: Record<string, string>;
  /** Check the quick fix's replacement text. */
  fixText?: string;
}

const TOOL_T = { "/proj/tools/t.clad.toml": contract("t") };
const TOOL_MODE = {
  "/proj/tools/t.clad.toml": contract(
    "t",
    '[args.mode]\nposition = 1\nrequired = true\ntype = "enum"\nallowed = ["fast", "slow"]\ndescription = "mode"',
  ),
};
const PATH_TOOL = {
  "/proj/tools/t.clad.toml": contract(
    "t",
    '[args.file]\nposition = 1\nrequired = true\ntype = "path"\ndescription = "file"',
  ),
};
const agent = (body: string, members = "", params = "") =>
  `agent a(${params}) {\n${members}\nwith sandbox = "Tier1" {\n${body}\n}\n}\n`;

const CASES: Case[] = [
  // Names --------------------------------------------------------------------------------------
  {
    code: "E0100",
    src: "function f(count: int) -> int { return «cuont»; }",
    message: "unknown name `cuont`",
    help: "did you mean `count`?",
  },
  { code: "E0101", src: "function f(x: «Strin») {}", message: "unknown type `Strin`", help: "did you mean `String`?" },
  { code: "E0102", src: "function f() {}\nfunction «f»() {}", message: "function `f` is declared twice" },
  {
    code: "E0103",
    src: 'function f() { let x = 1; let «x» = 2; log("INFO", to_string(x)); }',
    message: "`x` is already declared in this block",
  },
  { code: "E0104", src: "function f() { let x = 1; «x»(2); }", message: "`x` is an `int`, not a function" },
  {
    code: "E0105",
    src: "function f() -> int { let y = «x» + 1; let x = 2; return y + x; }",
    message: "`x` is used before its definition",
  },
  {
    code: "E0106",
    src: 'function f() -> int { if true { let x = 1; log("INFO", to_string(x)); } return «x»; }',
    message: "`x` is not in scope here",
  },
  { code: "E0107", src: "type A = B\ntype «B» = A", message: "type alias `B` refers to itself (A → B → A)" },
  { code: "E0108", src: "function f() { «break»; }", message: "`break` outside a loop" },
  {
    code: "E0109",
    src: "function f() -> int { let g = |a, «a»| a; return g(1, 2); }",
    message: "parameter `a` is declared twice",
  },
  {
    code: "E0110",
    src: "function «all_interactions»() {}",
    message: "function `all_interactions` has the name of a built-in action group, which policies use",
    help: "rename the function",
  },
  { code: "W0100", src: "function f() { let «x» = 1; }", message: "unused variable `x`" },
  {
    code: "W0101",
    src: "function f() -> int { «x» = 1; return x; }",
    message: "assignment declares `x` without `let`",
    fixText: "let ",
  },
  {
    code: "W0102",
    src: "function f(x: int) -> int { if true { let «x» = 2; return x; } return x; }",
    message: "`x` shadows a parameter of an enclosing scope",
  },
  // Types --------------------------------------------------------------------------------------
  {
    code: "E0200",
    src: 'function g(a: int) -> int { return a; }\nfunction f() -> int { return g(«"s"»); }',
    message: "mismatched types in argument `a` of `g`",
  },
  {
    code: "E0201",
    src: "function g(a: int) -> int { return a; }\nfunction f() -> int { return g(1, «2»); }",
    message: "`g` takes 1 argument but 2 were given",
  },
  {
    code: "E0202",
    src: "function g(a: int) -> int { return a; }\nfunction f() -> int { return g(a = 1, «b» = 2); }",
    message: "`g` has no parameter named `b`",
  },
  {
    code: "E0203",
    src: "type P = { x: int }\nfunction f(p: P) -> int { return p.«y»; }",
    message: "no field `y` on `P`",
    help: "did you mean `x`?",
  },
  {
    code: "E0204",
    src: 'function f(s: String) -> bool { return s.«startswith»("a"); }',
    message: "no method `startswith` on `String`",
    help: "did you mean `starts_with`?",
  },
  {
    code: "E0205",
    src: 'function f() -> int { return «1 - "a"»; }',
    message: "`-` does not apply to `int` and `String`",
  },
  {
    code: "E0206",
    src: 'function f(n: int) { if «n» { log("INFO", "x"); } }',
    message: "condition must be `bool`, found `int`",
  },
  {
    code: "E0207",
    src: 'function f(n: int) { for i in «n» { log("INFO", to_string(i)); } }',
    message: "cannot iterate over `int`",
  },
  {
    code: "E0208",
    src: 'function f(xs: List<int>) -> int { return xs[«"a"»]; }',
    message: "cannot index `List<int>` with `String`",
  },
  {
    code: "E0209",
    src: 'function f(n: int) { match n { «"a"» => log("INFO", "a"), _ => log("INFO", "b") } }',
    message: "a String pattern cannot match an `int`",
  },
  {
    code: "E0210",
    src: 'function f() -> int { return «"a"»; }',
    message: "returned value does not fit the return type",
  },
  {
    code: "E0211",
    src: "type P = { x: int, y: int }\nfunction f() -> P { return «P» { x: 1 }; }",
    message: "missing field `y` in `P`",
  },
  {
    code: "E0212",
    src: "type P = { x: int }\nfunction f() -> P { return P { x: 1, «z»: 2 }; }",
    message: "`P` has no field `z`",
  },
  {
    code: "E0213",
    src: "function f(a: String, b: String) -> bool { return «a >= b»; }",
    message: "text has no order: `>=` cannot compare strings",
  },
  {
    code: "E0214",
    src: 'function f() -> bool { return user.clearance >= «"sekret"»; }',
    message: '`"sekret"` is not a level of `Clearance`',
    help: "did you mean `secret`?",
  },
  { code: "E0215", src: "function f(x: «List<int, int>») {}", message: "`List` takes 1 type argument, found 2" },
  {
    code: "E0216",
    src: 'type P = { x: int }\nfunction f() { try { log("INFO", "x"); } catch («P» e) { log("INFO", e.message); } }',
    message: "`P` is not an error type",
  },
  {
    code: "E0218",
    src: "function f(a: int, b: String) -> bool { return «a == b»; }",
    message: "comparing `int` with `String` is always false",
  },
  { code: "E0219", src: 'function f() { let x = «log("INFO", "a")»; }', message: "`log(...)` produces no value" },
  {
    code: "E0220",
    src: "metadata { model = «42» }",
    message: 'metadata `model` must be a model name in a string, such as "openai:gpt-4o-mini"',
  },
  {
    code: "W0200",
    src: 'function f(n: int) { match n { _ => log("INFO", "a"), «1» => log("INFO", "b") } }',
    message: "unreachable match arm",
  },
  { code: "W0201", src: "function f(x: «List») {}", message: "`List` without type arguments holds unchecked values" },
  {
    code: "W0202",
    src: "function f() -> bool { return user.«vip»; }",
    message: "`vip` is not a declared field of `User`",
  },
  { code: "W0203", src: 'function f() -> int { return 1; «log("INFO", "x");» }', message: "unreachable code" },
  // Policies -----------------------------------------------------------------------------------
  {
    code: "E0300",
    src: agent("", 'capabilities = ["read"]\npolicy p { allow: «raed» }'),
    message: "unknown action `raed`",
    help: "did you mean `read`?",
  },
  { code: "E0301", src: "policy p { allow: «1 + 2» }", message: "not an action pattern" },
  {
    code: "E0302",
    src: "policy p { allow: t(a, «b») }",
    files: TOOL_T,
    message: "`t` takes 1 argument; the pattern binds more",
  },
  {
    code: "E0303",
    src: 'policy p { allow: t(a) if «b» == "x" }',
    files: TOOL_T,
    message: "`b` is not available when the policy is decided",
  },
  {
    code: "E0304",
    src: 'policy p { allow: t(a) if «t»("x").status == "ok" }',
    files: TOOL_T,
    message: "a guard cannot call the tool `t`",
  },
  {
    code: "E0305",
    src: agent("", 'capabilities = ["c"]\npolicy p { allow: c(x) if «x» == "y" }'),
    message: "this binder stands for nothing the guard could test",
  },
  {
    code: "E0306",
    src: 'policy p { audit: { log_level: «"loud"» } }',
    message: '`log_level`: expected one of "debug", "info", "warning", "error", "critical"',
  },
  {
    code: "E0307",
    src: "policy p { allow: «{ a: 1 }» }",
    message: "`allow` takes an action pattern, not a settings record",
  },
  { code: "E0308", src: 'function f() { delegate(«"nobody"», "hi"); }', message: 'no agent named "nobody"' },
  {
    code: "E0309",
    src: 'policy p { audit: { log_level: "info", «log_level»: "debug" } }',
    message: "setting `log_level` is given twice in policy `p`",
  },
  {
    code: "E0310",
    src: 'policy p { allow: t(«"medium"») }',
    files: TOOL_MODE,
    message: '"medium" is not an allowed value of this argument of `t`',
    help: 'allowed: "fast", "slow"',
  },
  {
    code: "E0310",
    src: 'policy p { deny: t(«"//etc/passwd"») }',
    files: PATH_TOOL,
    message:
      '"//etc/passwd" is not how the gate sees this argument of `t`: it decides the canonical form "/etc/passwd", so this literal would never match',
    help: 'write "/etc/passwd"',
  },
  {
    code: "E0310",
    src: 'function f() -> String { return t(«"medium"»).status; }',
    files: TOOL_MODE,
    message: '"medium" is not an allowed value of argument `mode` of tool `t`',
    help: 'allowed: "fast", "slow"',
  },
  {
    code: "E0311",
    src: 'policy p { require: { «api_key_rotation»: "30d" } }',
    message: "`api_key_rotation` is not enforced by symbi",
    help: "remove it; if the deployment guarantees it, say so in the trusted context and require the flag (`require: api_key_rotation`), which the runtime enforces",
  },
  {
    code: "E0311",
    src: 'policy p { require: { approval_scope: «"session"» } }',
    message:
      '`approval_scope` = "session" is not enforced by symbi: every approval covers the one call it was asked for',
    help: 'write "single_action", or remove the setting',
  },
  {
    code: "W0305",
    src: 'agent a() {\nwith sandbox = "Tier1" {\n}\n}\npolicy wide { «allow: all_operations» }\n',
    message: "top-level policy `wide` allows for every agent of the project: it widens `a`",
    help: "allow it in the policies of the agents that need it; keep top-level policies to deny, require and audit",
  },
  {
    code: "W0304",
    src: 'agent a() {\ncapabilities = ["net"]\npolicy p { deny: «net» }\nwith sandbox = "Tier1" {\n}\n}\n',
    message:
      "no request can match `net`: it is a capability that no tool, built-in action or group provides, so this deny never applies",
  },
  {
    code: "W0300",
    src: 'policy p { audit: { «log_levl»: "info" } }',
    message: "unknown audit setting `log_levl`",
    help: "did you mean `log_level`?",
  },
  {
    code: "W0301",
    src: "policy p { allow: «len» }",
    message: "`len` is a pure builtin, not an action: the policy gate never sees it",
  },
  {
    code: "W0303",
    src: 'agent a() {\ncapabilities = ["delegate"]\npolicy p { allow: «ask(x)» }\nwith sandbox = "Tier1" {}\n}\n',
    message: "`ask` is outside the capabilities of agent `a`: this allow never permits it",
  },
  {
    code: "W0302",
    src: agent("", 'policy p { allow: delegate(x) if «user» == "bob" }', "user: String"),
    message: "`user` here is the agent's input, not the trusted `user` record",
  },
  // With blocks --------------------------------------------------------------------------------
  {
    code: "E0400",
    src: 'agent a() { with sandbox = «"Tier9"» {} }',
    message:
      'unknown sandbox tier "Tier9"; valid tiers are "Tier1" (docker), "Tier2" (gvisor) and "process" (development only)',
  },
  {
    code: "E0401",
    src: 'agent a() { with sandbox = "Tier1", timeout = «"soon"» {} }',
    message: "`soon` is not a duration",
  },
  {
    code: "E0402",
    src: 'agent a() { with sandbox = "Tier1", max_memory_mb = «0» {} }',
    message: "`max_memory_mb` must be a whole number from 4 to 1048576",
  },
  {
    code: "E0403",
    src: 'agent a() { policy p { require: { sandbox_tier: "Tier2" } } with sandbox = «"Tier1"» {} }',
    message: "policy `p` requires sandbox tier Tier2, but this block runs in Tier1",
  },
  {
    code: "E0403",
    src: 'agent a() { policy p { require: { total_timeout: "10m" } } with sandbox = "Tier1", timeout = «20m» {} }',
    message: "policy `p` requires runs to end within 10m, but this block's timeout is 20m",
  },
  {
    code: "E0403",
    src: 'policy p { require: { sandbox_tier: "Tier2" } }\nagent a() { «with» {} }',
    message: "policy `p` requires sandbox tier Tier2, but this block runs in Tier1",
  },
  {
    code: "E0404",
    src: 'agent a() { with sandbox = "Tier1", «sandbox» = "Tier2" {} }',
    message: "`sandbox` is set twice",
  },
  {
    code: "E0405",
    src: 'agent a() { with sandbox = "Tier1", memory = «"forever"» {} }',
    message: '`memory` must be one of "ephemeral", "persistent", "session", "encrypted"',
  },
  {
    code: "E0405",
    src: 'agent a() { with sandbox = "Tier1", fresh = «"yes"» {} }',
    message: "`fresh` takes `true` or `false`",
  },
  {
    code: "E0406",
    src: 'agent a() { with sandbox = "Tier1", skills = [«"skills/none"»] {} }',
    message: "skill `skills/none` not found: no skills/none/SKILL.md in the project",
  },
  {
    code: "W0400",
    src: 'agent a() { with sandbox = "Tier1", timeout = «30000» {} }',
    message: "bare number timeout: `30000` means 30000 milliseconds",
    help: "write `30s` to make the unit explicit",
    fixText: "30s",
  },
  {
    code: "W0401",
    src: 'agent a() { with sandbox = "Tier1", «sandbx_mode» = "x" {} }',
    message: "unknown `with` attribute `sandbx_mode`",
  },
  {
    code: "W0402",
    src: "agent a() { «with» {} }",
    message: "this `with` block names no sandbox tier (it runs in Tier1)",
  },
];

for (const c of CASES) {
  test(`${c.code}: ${c.message}`, () => {
    const m = marked(c.src);
    const r = checkSource(m.text, c.files);
    const found = r.diagnostics.filter((d) => d.code === c.code && d.file === "/proj/main.symbi");
    const hit = found.find((d) => d.span.start === m.start && d.span.end === m.end);
    assert.ok(
      hit,
      `expected ${c.code} at ${m.start}-${m.end}; got:\n${show(r.diagnostics)}\n(${found.map((d) => `${d.span.start}-${d.span.end}`).join(", ")})`,
    );
    assert.is(hit!.message, c.message);
    if (c.help !== undefined) assert.is(hit!.help, c.help);
    if (c.fixText !== undefined) assert.is(hit!.fix?.edits[0]?.newText, c.fixText);
    const severity = c.code.startsWith("W") ? "warning" : "error";
    assert.is(hit!.severity, severity);
  });
}

test("diagnostics are the same whether or not symbols are recorded (CLI vs language server)", () => {
  for (const c of CASES) {
    const m = marked(c.src);
    const files = { "/proj/main.symbi": m.text, ...(c.files ?? {}) };
    const run = (recordSymbols: boolean) => {
      const p = new Project("/proj", { loadContractsFromDisk: false, recordSymbols });
      for (const [f, t] of Object.entries(files)) p.setFile(f, t);
      return JSON.stringify(p.check().diagnostics);
    };
    assert.is(run(false), run(true), c.code);
  }
});

test("E0217: an expression nested deeper than the checker's limit is reported once, without a crash", () => {
  const base = "function f() -> int { return ";
  const src = base + "-".repeat(10_000) + "1; }";
  const r = checkSource(src);
  const deep = r.diagnostics.filter((d) => d.code === "E0217");
  assert.is(deep.length, 1);
  assert.is(deep[0]!.message, "expression nested more than 300 levels deep");
  assert.is(deep[0]!.span.start, base.length + 300);
});

test("every code of the checker's tables has a negative test", () => {
  // E0407 and E0408 need skill folders on disk: test/skills/agent-skills.test.ts.
  const tested = new Set([...CASES.map((c) => c.code), "E0217", "E0407", "E0408"]);
  const all = [
    ...Object.keys(namesCodes),
    ...Object.keys(typesCodes),
    ...Object.keys(policyCodes),
    ...Object.keys(sandboxCodes),
  ];
  assert.equal(
    all.filter((code) => !tested.has(code)),
    [],
  );
});

test.run();
