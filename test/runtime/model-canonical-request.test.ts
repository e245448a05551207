/**
 * Incremental request hashing (runtime/model/canonical-request.ts): the canonical JSON built from
 * cached messages is byte for byte the canonical JSON of the whole request, so the
 * `requestSha256` the audit log, recordings and replay use is the hash it was before; and a
 * cached message cannot change under its cached text.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { canonicalJson } from "../../formats/json.js";
import { sha256Hex } from "../../formats/digest.js";
import { canonicalRequestJson } from "../../runtime/model/canonical-request.js";
import { requestSha256 } from "../../runtime/model/recording.js";
import type { ChatMessage, ChatRequest, ToolSpec } from "../../runtime/model/types.js";

const C = suite("canonical request JSON from cached messages");

/** How requests were hashed before the cache: the whole request canonicalised every time. */
const wholeRequestSha256 = (req: ChatRequest) => sha256Hex(canonicalJson(req));

// Strings with what canonical JSON must escape or order carefully: quotes, controls, astral and
// lone surrogates, keys that sort differently by code unit than by code point.
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.constantFrom('"', "\\", "\u0000", "\u2028", "\ud800", "😀", "\ufb01", ""),
);
const call = fc.record({ id: text, name: text, arguments: text });
const message: fc.Arbitrary<ChatMessage> = fc.oneof(
  fc.record({ role: fc.constant("user" as const), content: text }),
  fc.record(
    { role: fc.constant("assistant" as const), content: text, toolCalls: fc.array(call, { maxLength: 3 }) },
    { requiredKeys: ["role", "content"] },
  ),
  fc.record({
    role: fc.constant("tool" as const),
    results: fc.array(fc.record({ callId: text, name: text, content: text, isError: fc.boolean() }), {
      maxLength: 3,
    }),
  }),
);
const tool: fc.Arbitrary<ToolSpec> = fc.record({
  name: text,
  description: text,
  parameters: fc.dictionary(text, fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<unknown>, { maxKeys: 4 }),
});
const request: fc.Arbitrary<ChatRequest> = fc.record(
  {
    model: text,
    system: text,
    messages: fc.array(message, { maxLength: 6 }),
    tools: fc.array(tool, { maxLength: 3 }),
    maxTokens: fc.integer({ min: 1, max: 1_000_000 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
  },
  { requiredKeys: ["model", "messages", "maxTokens"] },
);

C("any request: the same canonical text and hash as canonicalising it whole", () => {
  fc.assert(
    fc.property(request, (req) => {
      const whole = canonicalJson(req);
      const hash = sha256Hex(whole);
      assert.is(canonicalRequestJson(req), whole);
      assert.is(requestSha256(req), hash);
      // A second time (from the cache) too.
      assert.is(canonicalRequestJson(req), whole);
      assert.is(requestSha256(req), hash);
    }),
    { numRuns: 300 },
  );
});

C("a growing conversation, as a loop sends it: every turn hashes as the whole request did", () => {
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 12 }),
      fc.array(tool, { maxLength: 3 }),
      fc.boolean(),
      (turns, tools, budgetShrinks) => {
        const messages: ChatMessage[] = [];
        for (const [i, m] of turns.entries()) {
          messages.push(m);
          // maxTokens comes first in canonical JSON: when it changes, the running hash restarts.
          const req: ChatRequest = {
            model: "m",
            system: "s",
            messages: [...messages],
            tools,
            maxTokens: budgetShrinks ? 100 - i : 100,
          };
          assert.is(requestSha256(req), wholeRequestSha256(req));
        }
      },
    ),
    { numRuns: 200 },
  );
});

C("a conversation that branches, shrinks or changes its other members hashes as the whole request", () => {
  const m = (content: string): ChatMessage => ({ role: "user", content });
  const [a, b, c, d] = [m("a"), m("b"), m("c"), m("d")];
  const tools: ToolSpec[] = [{ name: "t", description: "d", parameters: { type: "object" } }];
  const requests: ChatRequest[] = [
    { model: "m", messages: [a, b, c], tools, maxTokens: 10 },
    { model: "m", messages: [a, b, d], tools, maxTokens: 10 }, // branches after b
    { model: "m", messages: [a, b], tools, maxTokens: 10 }, // shorter than what was hashed
    { model: "m", messages: [a], maxTokens: 10 }, // no tools
    { model: "m", messages: [a, b, c, d], maxTokens: 10, system: "s", temperature: 0.5 },
    { model: "n", messages: [a, b, c, d, a], maxTokens: 10, system: "s" }, // a message twice
    { model: "n", messages: [a, b, c, d, a], maxTokens: 11, system: "s" },
    { model: "n", messages: [b, a], maxTokens: 11 },
    { model: "n", messages: [], maxTokens: 11 },
  ];
  for (const req of requests) assert.is(requestSha256(req), wholeRequestSha256(req), JSON.stringify(req));
  // And again in reverse order, each from whatever state the others left.
  for (const req of [...requests].reverse()) assert.is(requestSha256(req), wholeRequestSha256(req));
});

C("members left undefined are left out, as canonical JSON leaves them out", () => {
  const req = {
    model: "m",
    system: undefined,
    messages: [{ role: "assistant", content: "", toolCalls: undefined }],
    tools: undefined,
    maxTokens: 1,
    temperature: undefined,
  } as unknown as ChatRequest;
  assert.is(canonicalRequestJson(req), canonicalJson(req));
  assert.is(canonicalRequestJson(req), '{"maxTokens":1,"messages":[{"content":"","role":"assistant"}],"model":"m"}');
});

C("a known request hashes to the value recorded before the cache existed", () => {
  // The hash of this request as the runtime computed it before messages were cached
  // (sha256 of canonicalJson of the whole request); recordings made then must still replay.
  const req: ChatRequest = {
    model: "gpt-4o-mini",
    system: "You greet people.",
    messages: [
      { role: "user", content: "Greet Ada." },
      { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "greet", arguments: '{"who":"Ada"}' }] },
      { role: "tool", results: [{ callId: "call_1", name: "greet", content: '{"status":"ok"}', isError: false }] },
    ],
    tools: [
      {
        name: "greet",
        description: "Greets.",
        parameters: { type: "object", properties: { who: { type: "string" } } },
      },
    ],
    maxTokens: 1024,
  };
  assert.is(requestSha256(req), wholeRequestSha256(req));
  assert.is(requestSha256(req), "c8bbfb053e022c39d91731ee21c3809ba4c8cb6597737b4f0dd67726458763d9");
});

C("a message whose text is cached cannot be changed afterwards (it would no longer match its hash)", () => {
  const m = { role: "user" as const, content: "before" };
  const tools: ToolSpec[] = [{ name: "t", description: "d", parameters: { type: "object" } }];
  requestSha256({ model: "m", messages: [m], tools, maxTokens: 1 });
  assert.throws(() => {
    (m as { content: string }).content = "after";
  }, TypeError);
  assert.throws(() => {
    (tools[0]!.parameters as Record<string, unknown>).type = "string";
  }, TypeError);
  assert.throws(() => tools.push({ name: "u", description: "", parameters: {} }), TypeError);
  assert.is(m.content, "before");
});

C.run();
