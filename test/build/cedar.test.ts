/**
 * Policies → Cedar: what each DSL form becomes, the DSL origin on every policy, Cedar's default
 * deny and "deny wins", approvals, and validation errors placed on the DSL range.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildText, decideBoth } from "./helpers.js";
import { FETCH, tool } from "./contracts.js";
import { validatePolicies } from "../../compiler/emit/cedar/validate.js";

const contracts = {
  fetch: FETCH,
  write_file: tool("write_file", {
    groups: ["io"],
    args: `[args.path]\nposition = 1\nrequired = true\ntype = "path"\ndescription = "p"\n\n[args.mode]\nposition = 2\nrequired = true\ntype = "enum"\nallowed = ["append", "overwrite"]\ndescription = "m"`,
  }),
  scan: tool("scan", { approval: true, groups: ["io"] }),
};

function build(policyBody: string, params = "name: String") {
  const text = `agent a(${params}) {\n    capabilities = ["fetch", "write_file", "scan"]\n    policy p {\n${policyBody}\n    }\n    with sandbox = "Tier1", timeout = 5s {\n        return 1;\n    }\n}\n`;
  const out = buildText(text, { contracts, check: false });
  const errs = out.diagnostics.filter((d) => d.severity === "error" && d.code.startsWith("E06"));
  assert.equal(
    errs.map((d) => d.message),
    [],
    "compiles",
  );
  const b = out.bundles[0]!;
  return {
    b,
    cedar: b.files.get("policy.cedar")!.toString(),
    approval: b.files.get("approval.cedar")!.toString(),
    pj: JSON.parse(b.files.get("policies.json")!.toString()),
  };
}

test("allow → permit, deny → forbid, every policy annotated with its DSL rule", () => {
  const { cedar, pj } = build(
    '        allow: fetch(u) if u.starts_with("https://")\n        deny: fetch(u) if u.ends_with(".exe")',
  );
  assert.ok(
    cedar.includes(
      '@id("a.p.0")\n@dsl("agents/test.symbi:4:9")\n@rule("allow")\n@policy("p")\npermit (\n  principal == Symbi::Agent::"a",\n  action == Symbi::Action::"fetch",\n  resource\n)',
    ),
  );
  assert.ok(cedar.includes('(context.args.url) like "https://*"'));
  assert.ok(cedar.includes('@id("a.p.1")\n@dsl("agents/test.symbi:5:9")\n@rule("deny")'));
  assert.ok(cedar.includes("forbid ("));
  assert.ok(cedar.includes('(context.args.url) like "*.exe"'));
  assert.equal(
    pj.policies.map((p: { id: string; verb: string; effect: string; line: number; text: string }) => [
      p.id,
      p.verb,
      p.effect,
      p.line,
      p.text,
    ]),
    [
      ["a.p.0", "allow", "permit", 4, 'allow: fetch(u) if u.starts_with("https://")'],
      ["a.p.1", "deny", "forbid", 5, 'deny: fetch(u) if u.ends_with(".exe")'],
      ["a.capabilities", "capabilities", "forbid", 2, 'capabilities = ["fetch", "write_file", "scan"]'],
      ["tool.scan.human_approval", "contract", "approval", 1, "human_approval = true (tool scan)"],
    ],
  );
});

test("action forms: name, list, group, all_operations, literal and named arguments, wildcards", () => {
  const { cedar } = build(
    [
      '        allow: "fetch"',
      '        allow: ["fetch", "scan"]',
      "        allow: io",
      "        allow: all_operations if context.god_mode",
      '        allow: write_file(_, "append")',
      '        allow: write_file(mode = "overwrite", path = p) if p == name',
      "        deny: fetch(any, r) if r > 3",
    ].join("\n"),
  );
  assert.ok(cedar.includes('action == Symbi::Action::"fetch",\n  resource\n);'), "a name");
  assert.ok(cedar.includes('action in [Symbi::Action::"fetch", Symbi::Action::"scan"]'), "a list");
  assert.ok(cedar.includes('action in Symbi::Action::"io"'), "a group");
  assert.ok(cedar.includes('permit (\n  principal == Symbi::Agent::"a",\n  action,\n  resource\n)'), "all operations");
  assert.ok(cedar.includes('context.args.mode == "append"'), "a literal argument");
  assert.ok(
    cedar.includes('context.args.mode == "overwrite" &&\n  (context.args.path == context.input.name)'),
    "named arguments",
  );
  // `retries` is optional in the contract: the guard tests for it first (deny: fails closed).
  assert.ok(
    cedar.includes("(if context.args has retries then (context.args.retries > 3) else true)"),
    "an optional argument",
  );
});

test("guards: in-lists, contains, levels, arithmetic, negation", () => {
  const { cedar } = build(
    [
      '        allow: fetch(u) if user.role in ["admin", "dev"] && !(u == "x")',
      '        allow: scan(t) if user.roles.contains(t) && session.level >= "secret"',
      "        allow: fetch(u, r) if r * 2 + 1 <= n - 3",
    ].join("\n"),
    "name: String, n: int",
  );
  assert.ok(cedar.includes('["admin", "dev"].contains(context.user.role)'));
  assert.ok(cedar.includes('!((context.args.url == "x"))'));
  assert.ok(cedar.includes("(context.user.roles).contains(context.args.target)"));
  assert.ok(
    cedar.includes('["public", "internal", "confidential", "secret", "top_secret"].contains(context.session.level)'),
    "a level must be known",
  );
  assert.ok(cedar.includes('(if context.session.level == "public" then 0 else if'), "levels are ranked");
  assert.ok(cedar.includes("(((context.args.retries * 2) + 1) <= (context.input.n - 3))"));
});

test("require → forbid … unless; require approval → approval.cedar; settings → policies.json", () => {
  const { cedar, approval, pj } = build(
    [
      "        allow: fetch(u)",
      "        require: session.mfa for fetch if user.remote",
      '        require: [user.verified, audit_trail = "detailed"]',
      "        require: supervisor_approval for io",
      '        require: approval("security") for fetch if user.role != "admin"',
      '        require: { tls_verification: true, rate_limiting: "10/hour" }',
      "        audit: all_operations",
    ].join("\n"),
  );
  assert.ok(
    cedar.includes(
      'action == Symbi::Action::"fetch",\n  resource\n)\nwhen {\n  (if context has user && context.user has remote then context.user.remote else true)\n}\nunless {\n  (context has session && context.session has mfa && context.session.mfa)\n};',
    ),
  );
  assert.ok(cedar.includes('@id("a.p.2.0")'));
  // A control a settings record requires is a flag of the trusted context, with its own rule.
  assert.ok(cedar.includes('@id("a.p.5.tls_verification")'));
  assert.match(
    cedar,
    /@id\("a\.p\.5\.tls_verification"\)[^;]*unless \{\n {2}\(context has context && context\.context has tls_verification && context\.context\.tls_verification\)\n\};/,
  );
  assert.ok(
    approval.includes(
      '@id("a.p.3")\n@dsl("agents/test.symbi:7:9")\n@rule("require")\n@policy("p")\n@approver("supervisor")\npermit (',
    ),
  );
  assert.ok(approval.includes('@approver("security")'));
  assert.ok(approval.includes('@id("tool.scan.human_approval")'));
  const settings = pj.settings.map((s: { id: string; kind: string; settings: unknown }) => [s.id, s.kind, s.settings]);
  assert.equal(settings, [
    ["a.p.2", "require", { audit_trail: "detailed" }],
    [
      "a.p.5",
      "require",
      {
        tls_verification: true,
        rate_limiting: { value: "10/hour", normalized: 10 / 3600, count: 10, window_ms: 3_600_000 },
      },
    ],
    ["a.p.6", "audit", { actions: "all" }],
  ]);
});

test("default deny, deny wins, approvals — decided by Cedar and by the DSL rules alike", () => {
  const { b } = build(
    [
      '        allow: ["fetch", "scan", "write_file"]',
      '        deny: fetch(u) if u == "https://evil.example"',
      "        require: supervisor_approval for write_file",
    ].join("\n"),
  );
  const input = { name: "n" };
  const cases: Array<[Parameters<typeof decideBoth>[1], string, boolean]> = [
    [{ action: "fetch", args: { url: "https://ok.example" }, input }, "allow", false],
    [{ action: "fetch", args: { url: "https://evil.example" }, input }, "deny", false],
    [{ action: "write_file", args: { path: "/tmp/x", mode: "append" }, input }, "allow", true],
    [{ action: "scan", args: { target: "h" }, input }, "allow", true],
    [{ action: "no_such_tool", args: {}, input }, "deny", false],
    [{ action: "use_llm", args: { prompt: "hi" }, input }, "deny", false],
  ];
  for (const [req, decision, approval] of cases) {
    const r = decideBoth(b, req);
    assert.equal([r.cedar.decision, r.cedar.approval], [decision, approval], `Cedar ${req.action}`);
    assert.equal([r.dsl.decision, r.dsl.approval], [decision, approval], `DSL ${req.action}`);
  }
});

test("a policy Cedar rejects is reported on the DSL range it came from", () => {
  const { b } = build('        allow: fetch(u) if u.starts_with("https://") && user.role == "x"');
  const c = b.cedar;
  const p = c.emitted!.main[0]!;
  // Break the generated text where the guard's `user.role` was written (a compiler bug, simulated).
  const broken = { ...p, text: p.text.replace("context.user.role ==", "context.user.rolez ==") };
  const v = validatePolicies([broken], c.schema!, { file: "agents/test.symbi", span: p.rule.span });
  assert.is(v.diagnostics.length > 0, true);
  const d = v.diagnostics[0]!;
  assert.is(d.code, "E0611");
  assert.equal([d.span.line, d.span.col, d.span.endCol], [4, 57, 66], `${JSON.stringify(d.span)} ${d.message}`);
});

test.run();
