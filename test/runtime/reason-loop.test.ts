/**
 * The governed reasoning loop end to end: `reason(...)` in a compiled agent, the real provider
 * clients, a scripted server on loopback, the real gate, process sandbox and signed audit log.
 * Each scripted turn stands for something a model does — calls tools (several at once),
 * proposes what the policy denies and adapts, writes malformed arguments, names tools that do
 * not exist, repeats a denied call, never stops, burns tokens, refuses, hangs — and each test
 * checks what the loop did, what the model was told, and what the audit log holds.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startModelServer, type ModelServer, type Turn } from "../helpers/model-server.js";
import { ofType, offered, PROTOCOLS, resultsSent, runAgent } from "./model-helpers.js";

const L = suite("reasoning loop");

const servers: ModelServer[] = [];
async function serve(protocol: "openai" | "anthropic", script: Turn[]): Promise<ModelServer> {
  const s = await startModelServer(protocol, script);
  servers.push(s);
  return s;
}
L.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const call = (name: string, args: Record<string, unknown> | string, id?: string) => ({
  name,
  arguments: args,
  ...(id ? { id } : {}),
});

for (const protocol of PROTOCOLS) {
  L(
    `${protocol}: parallel tool calls run through the pipeline; a denial goes back to the model naming the rule; the model adapts`,
    async () => {
      const server = await serve(protocol, [
        { toolCalls: [call("greet", { who: "Ada" }), call("factor", { n: 99_999_999 })] },
        { toolCalls: [call("factor", { n: 360 })] },
        { text: "Hello Ada; 360 = 2^3 * 3^2 * 5." },
      ]);
      const r = await runAgent(server, "solver", { task: "Greet Ada and factor a number", rounds: 5 });
      assert.is(r.result.status, "ok", r.result.message);
      assert.equal(r.result.value, {
        response: "Hello Ada; 360 = 2^3 * 3^2 * 5.",
        iterations: 3,
        total_tokens: 45,
        termination_reason: "final_answer",
        error: "",
      });
      // What the model was told after its first turn: both results, in order.
      const [greet, factor] = resultsSent(server, 1);
      assert.equal(greet, {
        status: "ok",
        function: "greet",
        untrusted: true,
        output: { raw_output: "Hello, Ada!\n" },
      });
      assert.is(factor!.status, "denied");
      assert.is(factor!.rule, "solver.rules.3");
      assert.match(factor!.reason, /agents\/model\.symbi:38:9 `deny: factor\(n\) if n > 1000000`/);
      assert.not.ok("output" in factor!, "a denied call has no output: it never ran");
      assert.equal(resultsSent(server, 2).at(-1), {
        status: "ok",
        function: "factor",
        untrusted: true,
        output: { raw_output: "360: 2 2 2 3 3 5\n" },
      });
      // The audit log: each proposal, its decision by the gate (with the arguments), its result.
      const decisions = ofType(r.records, "decision").filter((d) => d.details.action !== "use_llm");
      assert.equal(
        decisions.map((d) => [d.details.action, d.details.decision, d.details.rules, d.details.args]),
        [
          ["greet", "allow", ["solver.rules.1"], { who: "Ada" }],
          ["factor", "deny", ["solver.rules.3"], { n: 99_999_999 }],
          ["factor", "allow", ["solver.rules.2"], { n: 360 }],
        ],
      );
      assert.equal(
        ofType(r.records, "tool_start").map((t) => t.details.tool),
        ["greet", "factor"],
        "the denied call never started",
      );
      const proposals = ofType(r.records, "model_proposal");
      assert.equal(
        proposals.map((p) => [p.details.iteration, p.details.function, p.details.kind]),
        [
          [1, "greet", "tool"],
          [1, "factor", "tool"],
          [2, "factor", "tool"],
        ],
      );
      assert.equal(
        ofType(r.records, "model_tool_result").map((t) => [
          t.details.function,
          t.details.status,
          t.details.rule ?? null,
        ]),
        [
          ["greet", "ok", null],
          ["factor", "denied", "solver.rules.3"],
          ["factor", "ok", null],
        ],
      );
      assert.equal(
        ofType(r.records, "model_call").map((m) => [m.details.iteration, m.details.finishReason]),
        [
          [1, "tool_calls"],
          [2, "tool_calls"],
          [3, "stop"],
        ],
      );
      assert.is(ofType(r.records, "reason_end")[0]!.details.termination_reason, "final_answer");
      // Every proposal's decision sits between its proposal and its result in the chain.
      const seqOf = (type: string, i: number) => ofType(r.records, type)[i]!.seq;
      for (let i = 0; i < 3; i++)
        assert.ok(seqOf("model_proposal", i) < decisions[i]!.seq && decisions[i]!.seq < seqOf("model_tool_result", i));
    },
  );

  L(
    `${protocol}: tools the policies can never allow are not offered; peers the agent may delegate to are, and a delegation runs the peer`,
    async () => {
      const server = await serve(protocol, [
        { toolCalls: [call("agent-helper", { message: "Grace" })] },
        { text: "done" },
      ]);
      const r = await runAgent(server, "solver", { task: "Ask the helper to greet Grace", rounds: 4 });
      assert.equal(offered(server, 0), ["factor", "greet", "sleeper", "spew", "stamp", "agent-helper"]);
      const start = ofType(r.records, "reason_start")[0]!.details;
      assert.ok(
        start.withheld.some(
          (w: { name: string; why: string }) => w.name === "nuke" && /denied by solver\.rules\.7/.test(w.why),
        ),
      );
      assert.ok(
        start.withheld.some((w: { name: string }) => w.name === "agent-asker"),
        "a peer no rule lets it delegate to",
      );
      assert.equal(resultsSent(server, 1)[0], {
        status: "ok",
        function: "agent-helper",
        untrusted: true,
        output: "Hello, Grace!",
      });
      const d = ofType(r.records, "decision").find((x) => x.details.action === "delegate")!;
      assert.equal([d.details.decision, d.details.rules], ["allow", ["solver.rules.10"]]);
    },
  );
}

L("a withheld tool the model names anyway goes through the pipeline and is denied there", async () => {
  const server = await serve("openai", [{ toolCalls: [call("nuke", { target: "everything" })] }, { text: "ok" }]);
  const r = await runAgent(server, "solver", { task: "x", rounds: 3 });
  const [res] = resultsSent(server, 1);
  assert.equal([res!.status, res!.rule], ["denied", "solver.rules.7"]);
  assert.is(ofType(r.records, "tool_start").length, 0);
});

L("a call that needs a person's approval is refused without one, and the model is told why", async () => {
  const server = await serve("openai", [
    { toolCalls: [call("stamp", { label: "final" })] },
    { text: "could not stamp" },
  ]);
  const r = await runAgent(server, "solver", { task: "stamp it", rounds: 3 });
  const [res] = resultsSent(server, 1);
  assert.is(res!.status, "denied");
  assert.match(res!.reason, /approval required .* and not given/);
  assert.is(ofType(r.records, "approval")[0]!.details.approved, false);
});

L("arguments that break the contract are refused before the gate, as in code: invalid_arguments", async () => {
  const server = await serve("openai", [
    {
      toolCalls: [
        call("greet", { who: "Ada; rm -rf /" }),
        call("factor", { n: "twelve" }),
        call("greet", { who: "Ada", extra: 1 }),
      ],
    },
    { text: "ok" },
  ]);
  await runAgent(server, "solver", { task: "x", rounds: 3 });
  const res = resultsSent(server, 1);
  assert.equal(
    res.map((x) => x.status),
    ["invalid_arguments", "invalid_arguments", "invalid_arguments"],
  );
  assert.match(res[0]!.error, /invalid arguments for `greet`/);
});

L("malformed JSON and unknown functions are answered, counted, and end the loop at the bound", async () => {
  const bad: Turn = { toolCalls: [call("greet", '{"who": "Ada"'), call("launch_missiles", { at: "moon" })] };
  const server = await serve("openai", [bad, bad, bad, { text: "never" }]);
  const r = await runAgent(server, "solver", { task: "x", rounds: 10 });
  assert.equal(r.result.value, {
    response: "",
    iterations: 3,
    total_tokens: 45,
    termination_reason: "invalid_proposals",
    error: "",
  });
  const [malformed, unknown] = resultsSent(server, 1);
  assert.is(malformed!.status, "malformed_arguments");
  assert.match(malformed!.error, /not valid JSON/);
  assert.is(unknown!.status, "unknown_function");
  assert.match(unknown!.error, /no function `launch_missiles`; the functions are: factor, greet/);
  assert.is(
    ofType(r.records, "decision").filter((d) => d.details.action !== "use_llm").length,
    0,
    "nothing reached the gate",
  );
});

L("a turn that proposes a flood of calls ends the loop without running any", async () => {
  const flood = Array.from({ length: 200 }, () => call("greet", { who: "Ada" }));
  const server = await serve("openai", [{ toolCalls: flood }, { text: "never" }]);
  const r = await runAgent(server, "solver", { task: "x", rounds: 5 });
  assert.is((r.result.value as { termination_reason: string }).termination_reason, "invalid_proposals");
  assert.is(server.requests.length, 1);
  assert.is(ofType(r.records, "model_proposal").length, 0);
  assert.is(ofType(r.records, "tool_start").length, 0);
});

L("the same denied call proposed again and again ends the loop (repeated_denials)", async () => {
  const again: Turn = { toolCalls: [call("factor", { n: 5_000_000 })] };
  const server = await serve("anthropic", [again, again, again, { text: "never" }]);
  const r = await runAgent(server, "solver", { task: "x", rounds: 10 });
  assert.is((r.result.value as { termination_reason: string }).termination_reason, "repeated_denials");
  assert.is(server.requests.length, 3);
  assert.match(resultsSent(server, 2).at(-1)!.note, /refused 2 times; proposing it again ends the loop/);
  assert.is(
    ofType(r.records, "decision").filter((d) => d.details.action === "factor").length,
    3,
    "each proposal was decided",
  );
});

L(
  "a model that never stops calling tools ends at max_iterations; the last proposals are recorded, not run",
  async () => {
    const more: Turn = { toolCalls: [call("greet", { who: "Ada" })] };
    const server = await serve("openai", [more, more, more, more]);
    const r = await runAgent(server, "solver", { task: "x", rounds: 3 });
    assert.is((r.result.value as { termination_reason: string }).termination_reason, "max_iterations");
    assert.is((r.result.value as { iterations: number }).iterations, 3);
    assert.is(ofType(r.records, "tool_start").length, 2);
    assert.is(ofType(r.records, "model_tool_result").at(-1)!.details.status, "not_run");
  },
);

L("the token budget ends the loop, and bounds the max_tokens of each call", async () => {
  const server = await serve("openai", [
    { toolCalls: [call("greet", { who: "Ada" })], usage: { input: 300, output: 100 } },
    { toolCalls: [call("greet", { who: "Bob" })], usage: { input: 400, output: 200 } },
    { text: "never" },
  ]);
  const r = await runAgent(
    server,
    "solver",
    { task: "x", rounds: 10 },
    { settings: { token_budget: 1000, max_tokens: 800 } },
  );
  assert.equal(r.result.value, {
    response: "",
    iterations: 2,
    total_tokens: 1000,
    termination_reason: "token_budget",
    error: "",
  });
  assert.is(server.requests[1]!.body.max_tokens, 600, "what is left of the budget");
});

for (const protocol of PROTOCOLS) {
  L(`${protocol}: a refusal and an empty turn end the loop with their own reasons`, async () => {
    const refusal: Turn =
      protocol === "openai"
        ? { refusal: "I can't help with that." }
        : { text: "I can't help with that.", finish: "refusal" };
    const server = await serve(protocol, [refusal, { text: "" }]);
    const a = await runAgent(server, "solver", { task: "x", rounds: 3 });
    assert.equal(
      [(a.result.value as any).termination_reason, (a.result.value as any).response],
      ["refusal", "I can't help with that."],
    );
    const b = await runAgent(server, "solver", { task: "y", rounds: 3 });
    assert.is((b.result.value as any).termination_reason, "empty_response");
  });
}

L("an answer cut at max_tokens is reported as output_truncated", async () => {
  const server = await serve("openai", [{ text: "The answer is", finish: "length" }]);
  const r = await runAgent(server, "solver", { task: "x", rounds: 3 });
  assert.equal(
    [(r.result.value as any).termination_reason, (r.result.value as any).response],
    ["output_truncated", "The answer is"],
  );
});

L("tool output returned to the model is capped and marked untrusted", async () => {
  const server = await serve("openai", [{ toolCalls: [call("spew", { count: 5000 })] }, { text: "ok" }]);
  const r = await runAgent(server, "solver", { task: "x", rounds: 3 }, { settings: { tool_output_max_bytes: 1000 } });
  const [res] = resultsSent(server, 1);
  assert.is(res!.untrusted, true);
  assert.ok(res!.truncated.total_bytes > 20_000);
  assert.is(res!.truncated.shown_bytes, 1000);
  assert.is(Buffer.byteLength(res!.output, "utf8"), 1000);
  assert.is(ofType(r.records, "model_tool_result")[0]!.details.truncated, true);
});

L("the with-block timeout during a model call ends the run as Timeout; the loop records it", async () => {
  const server = await serve("openai", [{ hang: true }]);
  const t0 = Date.now();
  const r = await runAgent(server, "hasty", { task: "x" });
  // The block's timeout is 3s (not less: a loaded machine must reach the model call before it).
  assert.ok(Date.now() - t0 < 10_000, "the hung call did not hold the run");
  assert.is(r.result.status, "timeout");
  assert.is(r.result.error?.kind, "Timeout");
  assert.is(ofType(r.records, "reason_end")[0]!.details.termination_reason, "timeout");
  assert.is(ofType(r.records, "run_end")[0]!.details.status, "timeout");
});

L("Ctrl-C during a model call ends the run as Aborted; the loop records it as interrupted", async () => {
  const server = await serve("anthropic", [{ hang: true }]);
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 300);
  const r = await runAgent(server, "solver", { task: "x", rounds: 3 }, { signal: ctl.signal });
  assert.is(r.result.error?.kind, "Aborted");
  assert.is(ofType(r.records, "reason_end")[0]!.details.termination_reason, "interrupted");
});

L("max_iterations outside 1..1000 is a RuntimeError at the call", async () => {
  const server = await serve("openai", []);
  const r = await runAgent(server, "solver", { task: "x", rounds: 0 });
  assert.match(
    (r.result.value as any).error,
    /RuntimeError: `reason`: max_iterations must be an int from 1 to 1000, not 0/,
  );
  assert.is(server.requests.length, 0);
});

L.run();
