/**
 * Bad input: each problem is a located diagnostic and nothing is built. Problems the checker
 * owns (tiers, limits, timeouts, unknown actions) stop the build with the checker's codes; the
 * emitter's own (E06xx) are tested with the checker's findings shown but not blocking.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildText } from "./helpers.js";
import { FETCH, tool } from "./contracts.js";

const contracts = { fetch: FETCH, scan: tool("scan") };

function agent(body: string, withAttrs = 'sandbox = "Tier1", timeout = 10s'): string {
  return `agent a(name: String, n: int) {
    capabilities = ["fetch", "scan"]
    policy p {
${body}
    }
    with ${withAttrs} {
        return name;
    }
}
`;
}

/** Errors as `CODE line:col`, plus the text they point at. */
function located(text: string, opts: { check?: boolean; extra?: Record<string, string> } = {}) {
  const out = buildText(text, {
    contracts: { ...contracts, ...(opts.extra ?? {}) },
    ...(opts.check !== undefined ? { check: opts.check } : {}),
  });
  const lines = text.split("\n");
  const errors = out.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => ({
      where: `${d.code} ${d.span.line}:${d.span.col}`,
      at: d.span.line === d.span.endLine ? (lines[d.span.line - 1] ?? "").slice(d.span.col - 1, d.span.endCol - 1) : "",
      message: d.message,
    }));
  return { out, errors };
}

test("unknown sandbox tier, zero limit and zero timeout are located errors; nothing is built", () => {
  for (const [attrs, code, at] of [
    ['sandbox = "Tier9", timeout = 10s', "E0400", '"Tier9"'],
    ['sandbox = "Tier1", max_memory_mb = 0', "E0402", "0"],
    ['sandbox = "Tier1", timeout = 0', "E0401", "0"],
  ] as const) {
    const { out, errors } = located(agent("        allow: fetch(u)", attrs));
    assert.equal(out.bundles, [], attrs);
    assert.ok(
      errors.some((e) => e.where.startsWith(code) && e.at === at),
      `${attrs}: ${JSON.stringify(errors)}`,
    );
  }
  // A negative limit is not even a value in a `with` block (LANGUAGE.md §1.4.6).
  const neg = located(agent("        allow: fetch(u)", 'sandbox = "Tier1", max_memory_mb = -1'));
  assert.equal(neg.out.bundles, []);
  assert.ok(neg.errors.length > 0);
});

test("an action pattern that matches no tool: the checker's E0300, reported once (the compiler reads the checker's answer)", () => {
  const text = agent("        allow: fecth(u)");
  const checked = located(text);
  assert.equal(checked.out.bundles, []);
  assert.equal(
    checked.errors.map((e) => [e.where, e.at]),
    [["E0300 4:16", "fecth"]],
  );
});

test("guards Cedar cannot express are rejected at their range", () => {
  const cases: Array<[string, string, string]> = [
    ["        allow: fetch(u) if ok(u)", "E0603", "ok(u)"],
    ["        allow: fetch(u, r) if r > 99999999999999999999", "E0605", "99999999999999999999"],
    ["        allow: fetch(u, r) if (r / 2) in [1, 2]", "E0606", "r / 2"],
    ['        allow: fetch(u) if user.clearance >= "cosmic"', "E0607", '"cosmic"'],
    [
      '        allow: fetch(u) if user.tier == 1\n        deny: fetch(u) if user.tier == "gold"',
      "E0608",
      'user.tier == "gold"',
    ],
    ["        allow: scan(t) if u == t", "E0604", "u"],
  ];
  for (const [body, code, at] of cases) {
    const text = `function ok(x: String) -> bool { return true; }\n${agent(body)}`;
    const { out, errors } = located(text, { check: false });
    assert.equal(out.bundles, [], body);
    const e = errors.find((x) => x.where.startsWith(code));
    assert.ok(e, `${body}: expected ${code}, got ${JSON.stringify(errors)}`);
    assert.is(e!.at, at, body);
  }
});

test("a policy requirement that contradicts the with block", () => {
  const text = agent('        allow: fetch(u)\n        require: { sandbox_tier: "Tier2" }');
  const checked = located(text);
  assert.equal(checked.out.bundles, []);
  assert.ok(
    checked.errors.some((e) => e.at === '"Tier1"'),
    JSON.stringify(checked.errors),
  );
  const emitted = located(text, { check: false });
  assert.ok(
    emitted.errors.some((e) => e.where.startsWith("E0615") && e.at === '"Tier1"'),
    JSON.stringify(emitted.errors),
  );
});

test("a tool the policies allow needs the network the with block denies", () => {
  const net = tool("post", { network: ["10.1.2.3:443"] });
  const text = `agent a() {\n    capabilities = ["post"]\n    policy p {\n        allow: post(t)\n    }\n    with sandbox = "Tier1", network_policy = "deny_all" {\n        return 1;\n    }\n}\n`;
  const { out, errors } = located(text, { extra: { post: net } });
  assert.equal(out.bundles, []);
  const e = errors.find((x) => x.where.startsWith("E0615"))!;
  assert.equal([e.where, e.at], ["E0615 6:46", '"deny_all"']);
  // Without the restriction the destination becomes the sandbox's allowlist.
  const ok = buildText(text.replace(', network_policy = "deny_all"', ""), { contracts: { post: net } });
  const m = JSON.parse(ok.bundles[0]!.files.get("sandbox/0.json")!.toString());
  assert.equal(m.network, { mode: "allowlist", allow: [{ host: "10.1.2.3", port: 443 }] });
  // A host name cannot become a NetworkPolicy rule: on Kubernetes the egress gateway enforces it.
  const named = buildText(text.replace(', network_policy = "deny_all"', ""), {
    contracts: { post: tool("post", { network: ["api.example.com:443"] }) },
  });
  const yaml = named.bundles[0]!.files.get("k8s/0.yaml")!.toString();
  assert.match(yaml, /egress-gateway\n\s+- --listen\n\s+- 0\.0\.0\.0:3128\n\s+- --allow\n\s+- api\.example\.com:443/);
});

test("approval requirements take at most one approver", () => {
  const { errors } = located(agent('        allow: fetch(u)\n        require: approval("a", "b") for fetch'), {
    check: false,
  });
  assert.ok(
    errors.some((e) => e.where.startsWith("E0619") || e.where.startsWith("E0306")),
    JSON.stringify(errors),
  );
});

test.run();
