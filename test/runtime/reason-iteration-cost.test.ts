/**
 * What keeps a loop iteration cheap, checked as behaviour (the speed itself is measured by
 * bench/reason.bench.ts, never here): the provider client keeps its HTTP connection alive
 * between iterations instead of connecting for every model call, and the request hashes the
 * audit log records — now computed incrementally — are the SHA-256 of each request's whole
 * canonical JSON, turn after turn of a growing conversation; and the freezing that keeps those
 * cached texts true touches only the loop's own objects, never the offer's (contract schemas).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { canonicalJson } from "../../formats/json.js";
import { sha256Hex } from "../../formats/digest.js";
import { startModelServer, type ModelServer, type Turn } from "../helpers/model-server.js";
import { ofType, PROTOCOLS, runAgent } from "./model-helpers.js";
import { runReasoningLoop } from "../../runtime/reason/loop.js";
import type { Offer } from "../../runtime/reason/offer.js";
import type { InterpreterHost } from "../../runtime/interpreter/host.js";
import type { ChatRequest, ChatResponse, ModelClient } from "../../runtime/model/types.js";
import { requestSha256 } from "../../runtime/model/recording.js";

const I = suite("reasoning loop iteration cost");

const servers: ModelServer[] = [];
I.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const TURNS = 6;
const script = (): Turn[] => [
  ...Array.from({ length: TURNS }, (_, i) => ({ toolCalls: [{ name: "greet", arguments: { who: `Ada ${i}` } }] })),
  { text: "Greeted Ada six times." },
];

for (const protocol of PROTOCOLS) {
  I(`${protocol}: the model calls of one loop share kept-alive connections, not one connection per call`, async () => {
    const server = await startModelServer(protocol, script());
    servers.push(server);
    const r = await runAgent(server, "solver", { task: "Greet Ada six times", rounds: 10 });
    assert.is(r.result.status, "ok", r.result.message);
    assert.is((r.result.value as { iterations: number }).iterations, TURNS + 1);
    assert.is(server.requests.length, TURNS + 1);
    // The clients' transport (runtime/model/node-http-fetch.ts) keeps its connection alive and
    // has it back in its pool once an answer is read, long before the next call (a tool runs
    // in between): one connection for the whole loop.
    assert.ok(
      server.connections() === 1,
      `${server.connections()} connections for ${server.requests.length} model calls`,
    );
  });

  I(`${protocol}: each model_call's requestSha256 is the hash of that whole request, turn after turn`, async () => {
    const server = await startModelServer(protocol, script());
    servers.push(server);
    const r = await runAgent(server, "solver", { task: "Greet Ada six times", rounds: 10 }, { auditContent: "full" });
    assert.is(r.result.status, "ok", r.result.message);
    const calls = ofType(r.records, "model_call");
    assert.is(calls.length, TURNS + 1);
    const hashes = new Set<string>();
    for (const c of calls) {
      // With --audit-content full the record holds the request itself, as JSON.
      assert.is(c.details.requestSha256, sha256Hex(canonicalJson(c.details.request)));
      hashes.add(c.details.requestSha256 as string);
    }
    assert.is(hashes.size, TURNS + 1, "every turn's request differs (the conversation grows)");
    assert.is((calls.at(-1)!.details.request as { messages: unknown[] }).messages.length, 1 + 2 * TURNS);
  });
}

I(
  "the loop hashes its own copy of the tool definitions: the offer's specs (contract schemas) are never frozen",
  async () => {
    // An MCP tool's argument schema is the contract's own object, shared with the run.
    const schema = { type: "object", properties: { who: { type: "string" } }, additionalProperties: false };
    const offer: Offer = {
      functions: [
        { kind: "tool", target: "greet", spec: { name: "greet", description: "Greets.", parameters: schema } },
      ],
      withheld: [],
    };
    const answers: ChatResponse[] = [
      ...Array.from({ length: 3 }, (_, i) => ({
        text: "",
        toolCalls: [{ id: `c${i}`, name: "greet", arguments: '{"who":"Ada"}' }],
        finishReason: "tool_calls" as const,
        providerFinishReason: "tool_calls",
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
        model: "m",
      })),
      {
        text: "done",
        toolCalls: [],
        finishReason: "stop",
        providerFinishReason: "stop",
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
        model: "m",
      },
    ];
    const seen: Array<{ request: ChatRequest; whole: string }> = [];
    const client: ModelClient = {
      provider: "scripted",
      model: "m",
      endpoint: "in-process",
      complete: async (request) => {
        seen.push({ request, whole: sha256Hex(canonicalJson(request)) });
        return { response: answers[seen.length - 1]!, info: { attempts: 1, failures: [] } };
      },
    };
    const host: InterpreterHost = {
      callTool: async () => "Hello, Ada!",
      callAction: async () => null,
      log: () => {},
      now: () => Date.now(),
      trusted: () => undefined,
    };
    const audited: string[] = [];
    const r = await runReasoningLoop({
      client,
      limits: { maxTokens: 100, tokenBudget: 1000, toolOutputMaxBytes: 1000 },
      offer,
      host,
      audit: { emit: (type, d) => type === "model_call" && audited.push(d.requestSha256 as string) },
      auditContent: "hashes",
      signal: new AbortController().signal,
      loc: { file: "t", span: { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 } },
      system: "s",
      user: "u",
      maxIterations: 10,
    });
    assert.is(r.terminationReason, "final_answer");
    assert.is(r.iterations, 4);
    assert.equal(
      audited,
      seen.map((s) => s.whole),
      "each audited hash is the whole request's",
    );
    assert.equal(
      seen.map((s) => requestSha256(s.request)),
      audited,
    );
    for (const o of [offer.functions[0]!.spec, schema, schema.properties, schema.properties.who])
      assert.not.ok(Object.isFrozen(o), "the offer's objects stay as they were");
    schema.properties.who.type = "string"; // still writable
    assert.ok(Object.isFrozen(seen[0]!.request.tools![0]), "the loop's own copy is what was frozen");
  },
);

I.run();
