/**
 * Issue 11, the policy forms that failed open: `allow:` on the meta-actions `invoke_tool` and
 * `receive` (item 3), built-in action and group names taken over by declarations (item 4), and the
 * forms `symbic check` and `symbic build` read differently (item 19). Real projects are checked
 * by the shipping checker, compiled by the shipping compiler and run by the shipping runtime in
 * the process tier.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { compileToBundles, execAgent } from "../../runtime/exec/index.js";
import { join } from "node:path";
import { checkFiles } from "../../compiler/pipeline/check-files.js";
import { checkBuildRun, codes, quickstartProject } from "../semantics/helpers.js";
import { echoTool } from "./echo-tool.js";

const errors = (dir: string) =>
  checkFiles([dir])
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.code} ${d.message}`);

// ---------------------------------------------------------------------------------------------
const Item3 = suite("issue 11 item 3: allow on invoke_tool(tool) / receive(message) is an allow-list");

Item3('allow: invoke_tool(tool) if tool.risk_tier == "low" keeps a high-risk tool from running', async () => {
  const dir = quickstartProject(
    `
agent a(which: String) -> String {
    capabilities = ["low_tool", "high_tool"]
    policy p {
        allow: low_tool(v)
        allow: high_tool(v)
        allow: invoke_tool(tool) if tool.risk_tier == "low"
    }
    with sandbox = "process", timeout = 10s {
        try {
            if which == "high" { return high_tool("x").raw_output.trim(); }
            return low_tool("x").raw_output.trim();
        } catch (PolicyDenied e) {
            return "denied";
        }
    }
}
`,
    { low_tool: echoTool({ name: "low_tool", risk: "low" }), high_tool: echoTool({ name: "high_tool", risk: "high" }) },
  );
  const low = await checkBuildRun(dir, "a", { which: "low" });
  assert.equal(codes(low.check.filter((d) => d.severity === "error")), []);
  assert.is(low.run?.value, "x", "the low-risk tool runs");
  const high = await checkBuildRun(dir, "a", { which: "high" });
  assert.is(high.run?.value, "denied", "the high-risk tool is refused (it ran on the old code)");
});

Item3("deny-only invoke_tool rules still only restrict: a tool no rule names keeps its own decision", async () => {
  const dir = quickstartProject(
    `
agent a(which: String) -> String {
    capabilities = ["low_tool", "high_tool"]
    policy p {
        allow: low_tool(v)
        allow: high_tool(v)
        deny: invoke_tool(tool) if tool.risk_tier == "high"
    }
    with sandbox = "process", timeout = 10s {
        try {
            if which == "high" { return high_tool("x").raw_output.trim(); }
            return low_tool("x").raw_output.trim();
        } catch (PolicyDenied e) {
            return "denied";
        }
    }
}
`,
    { low_tool: echoTool({ name: "low_tool", risk: "low" }), high_tool: echoTool({ name: "high_tool", risk: "high" }) },
  );
  assert.is((await checkBuildRun(dir, "a", { which: "low" })).run?.value, "x");
  assert.is((await checkBuildRun(dir, "a", { which: "high" })).run?.value, "denied");
});

Item3("an allow on invoke_tool never widens: the tool's own action must still be allowed", async () => {
  const dir = quickstartProject(
    `
agent a() -> String {
    capabilities = ["low_tool"]
    policy p {
        allow: invoke_tool(tool)
    }
    with sandbox = "process", timeout = 10s {
        try { return low_tool("x").raw_output.trim(); } catch (PolicyDenied e) { return "denied"; }
    }
}
`,
    { low_tool: echoTool({ name: "low_tool", risk: "low" }) },
  );
  assert.is((await checkBuildRun(dir, "a", {})).run?.value, "denied");
});

Item3('allow: receive(message) if message.sender.name == "orchestrator" refuses every other sender', async () => {
  const dir = quickstartProject(`
agent worker(who: String) -> String {
    capabilities = ["greet"]
    policy p {
        allow: greet(w)
        allow: receive(message) if message.sender.name == "orchestrator"
    }
    with sandbox = "process", timeout = 10s { return greet(who).raw_output.trim(); }
}

agent orchestrator(who: String) -> String {
    policy p { allow: delegate(agent) }
    with sandbox = "process", timeout = 10s { return to_string(delegate("worker", { who: who })); }
}

agent intruder(who: String) -> String {
    policy p { allow: delegate(agent) }
    with sandbox = "process", timeout = 10s {
        try { return to_string(delegate("worker", { who: who })); }
        catch (PolicyDenied e) { return "refused"; }
    }
}
`);
  assert.equal(errors(dir), []);
  const { bundles } = await compileToBundles(join(dir, "agent.symbi"));
  const run = (agent: string) =>
    execAgent({ bundle: bundles.get(agent)!, peers: bundles, input: { who: "Ada" }, onLog: () => {} });
  const ok = await run("orchestrator");
  assert.is(ok.status, "ok", ok.message);
  assert.match(String(ok.value), /Hello, Ada!/);
  const refused = await run("intruder");
  assert.is(refused.value, "refused", "any agent could delegate on the old code");
});

Item3.run();

// ---------------------------------------------------------------------------------------------
const Item4 = suite("issue 11 item 4: group names can be hijacked");

Item4("a tool contract named like a built-in group or action is refused (E0110)", () => {
  for (const name of ["invoke_agent", "all_interactions", "all_operations", "message_passing", "delegate", "receive"]) {
    const dir = quickstartProject(`agent a() -> String { with sandbox = "process", timeout = 10s { return "x"; } }\n`, {
      [name]: echoTool({ name, risk: "low" }),
    });
    const e = errors(dir);
    assert.ok(
      e.some((m) => m.startsWith(`E0110 tool \`${name}\` has the name of a built-in`)),
      `${name}: ${e.join("; ")}`,
    );
  }
});

Item4("agents and functions named like built-in groups or actions are refused (E0110)", () => {
  const dir = quickstartProject(`
function all_interactions() -> String { return "x"; }
agent invoke_agent() -> String { with sandbox = "process", timeout = 10s { return "x"; } }
agent b() -> String {
    function delegate() -> String { return "y"; }
    with sandbox = "process", timeout = 10s { return "x"; }
}
`);
  assert.equal(errors(dir), [
    "E0110 function `all_interactions` has the name of a built-in action group, which policies use",
    "E0110 agent `invoke_agent` has the name of a built-in action group, which policies use",
    "E0110 function `delegate` has the name of a built-in action, which policies use",
  ]);
});

Item4("a deny on invoke_agent keeps matching delegation (the hijack no longer builds)", async () => {
  const src = `
agent helper(who: String) -> String {
    with sandbox = "process", timeout = 10s { return who; }
}
agent a(who: String) -> String {
    policy p {
        allow: all_operations
        deny: invoke_agent
    }
    with sandbox = "process", timeout = 10s {
        try { return to_string(delegate("helper", { who: who })); } catch (PolicyDenied e) { return "denied"; }
    }
}
`;
  const clean = await checkBuildRun(quickstartProject(src), "a", { who: "x" });
  assert.is(clean.run?.value, "denied");
  const hijacked = await checkBuildRun(
    quickstartProject(src, { invoke_agent: echoTool({ name: "invoke_agent", risk: "low" }) }),
    "a",
    {
      who: "x",
    },
  );
  assert.ok(hijacked.run === undefined, "the project with the hijacking contract does not build");
  assert.ok(
    codes(hijacked.build).some((c) => c.startsWith("E0110")),
    codes(hijacked.build).join(", "),
  );
});

Item4.run();

// ---------------------------------------------------------------------------------------------
const Item19 = suite("issue 11 item 19: check and build disagree");

const waitTool = `
[tool]
name = "wait"
version = "1.0.0"
binary = "echo"
description = "waits"
timeout_seconds = 10
risk_tier = "low"

[args.d]
position = 1
required = true
type = "duration"
description = "how long"

[command]
template = "echo {d}"

[output]
format = "text"
envelope = false
`;

Item19("a policy over a duration argument: check, build and run agree", async () => {
  const dir = quickstartProject(
    `
agent a(d: String) -> String {
    capabilities = ["wait"]
    policy p { allow: wait(d) if d < 10s }
    with sandbox = "process", timeout = 10s {
        try { return wait(d).raw_output.trim(); } catch (PolicyDenied e) { return "denied"; }
    }
}
`,
    { wait: waitTool },
  );
  const short = await checkBuildRun(dir, "a", { d: "5s" });
  assert.equal(codes(short.check.filter((x) => x.severity === "error")), []);
  assert.equal(codes(short.build), []);
  assert.is(short.run?.status, "ok", short.run?.message);
  assert.is(short.run?.value, "5");
  assert.is((await checkBuildRun(dir, "a", { d: "20s" })).run?.value, "denied");
  // A comparison the checker rejects is rejected by the build the same way.
  const bad = await checkBuildRun(
    quickstartProject(
      `agent a() -> String {
    capabilities = ["wait"]
    policy p { allow: wait(d) if d == "5s" }
    with sandbox = "process", timeout = 10s { return wait("5s").raw_output; }
}
`,
      { wait: waitTool },
    ),
    "a",
    {},
  );
  assert.equal(
    bad.check.filter((x) => x.severity === "error").map((x) => x.code),
    bad.build.map((x) => x.code),
  );
  assert.ok(bad.build.length > 0);
});

Item19("a float literal in a guard: check, build and run agree", async () => {
  const dir = quickstartProject(`
agent a(n: int) -> String {
    capabilities = ["factor"]
    policy p { allow: factor(n) if n > 1.5 }
    with sandbox = "process", timeout = 10s {
        try { return factor(n).raw_output.trim(); } catch (PolicyDenied e) { return "denied"; }
    }
}
`);
  const two = await checkBuildRun(dir, "a", { n: 12 });
  assert.equal(codes(two.check.filter((x) => x.severity === "error")), []);
  assert.equal(codes(two.build), []);
  assert.is(two.run?.value, "12: 2 2 3");
  assert.is((await checkBuildRun(dir, "a", { n: 1 })).run?.value, "denied");
});

Item19("a bare name in an action list: check, build and run agree", async () => {
  const ok = await checkBuildRun(
    quickstartProject(`
agent a(name: String) -> String {
    capabilities = ["greet"]
    policy p { allow: [greet, factor] }
    with sandbox = "process", timeout = 10s { return greet(name).raw_output.trim(); }
}
`),
    "a",
    { name: "Ada" },
  );
  assert.equal(codes(ok.check.filter((x) => x.severity === "error")), []);
  assert.equal(codes(ok.build), []);
  assert.is(ok.run?.value, "Hello, Ada!");
  const unknown = await checkBuildRun(
    quickstartProject(`
agent a(name: String) -> String {
    capabilities = ["greet"]
    policy p { allow: [greet, foo] }
    with sandbox = "process", timeout = 10s { return greet(name).raw_output.trim(); }
}
`),
    "a",
    { name: "Ada" },
  );
  assert.equal(
    unknown.check.filter((x) => x.severity === "error").map((x) => x.code),
    ["E0300"],
  );
  assert.equal(
    unknown.build.map((x) => x.code),
    ["E0300"],
  );
});

Item19.run();
