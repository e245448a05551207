/**
 * Model providers through their own client libraries (`openai`, `@anthropic-ai/sdk`), against a
 * server on loopback that speaks each wire protocol with scripted answers: what is sent, what is
 * audited, and every fault the issue lists — retries honouring retry-after, waits too long to
 * honour, exhausted quota and rejected keys failing fast (naming the provider and the variable,
 * never the key), provider timeouts as `Timeout`, server errors after bounded retries.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startModelServer, type ModelServer } from "../helpers/model-server.js";
import { KEY, ofType, PROTOCOLS, runAgent } from "./model-helpers.js";

const P = suite("model providers (real clients, loopback server)");

const servers: ModelServer[] = [];
async function serve(...a: Parameters<typeof startModelServer>): Promise<ModelServer> {
  const s = await startModelServer(...a);
  servers.push(s);
  return s;
}
P.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** No trace of the key in what the run produced (log, result, error). */
function keyAbsent(text: string, what: string): void {
  for (const piece of [KEY, KEY.slice(0, 12), KEY.slice(-10)])
    assert.not.ok(text.includes(piece), `${what} must not contain the API key (found ${JSON.stringify(piece)})`);
}

for (const protocol of PROTOCOLS) {
  P(
    `${protocol}: llm_call returns the answer; the call is audited (provider, model, hashes, usage, latency, finish reason); the key goes only to the server`,
    async () => {
      const server = await serve(protocol, [{ text: "Bonjour, Ada.", usage: { input: 12, output: 4 } }]);
      const r = await runAgent(server, "asker", { prompt: "Say hello to Ada in French" });
      assert.is(r.result.status, "ok", r.result.message);
      assert.is(r.result.value, "Bonjour, Ada.");
      const req = server.requests[0]!;
      assert.is(req.path, protocol === "openai" ? "/v1/chat/completions" : "/v1/messages");
      assert.is(req.body.model, "test-model");
      const auth =
        protocol === "openai" ? req.headers.authorization : (req.headers["x-api-key"] ?? req.headers.authorization);
      assert.ok(String(auth).includes(KEY), "the key is sent to the provider");
      const [call] = ofType(r.records, "model_call");
      assert.ok(call, "a model_call record");
      const d = call!.details;
      assert.equal(
        [d.provider, d.model, d.builtin, d.finishReason, d.attempts],
        [protocol, "test-model", "llm_call", "stop", 1],
      );
      assert.equal(d.usage, { inputTokens: 12, outputTokens: 4, totalTokens: 16 });
      assert.match(d.requestSha256, /^[0-9a-f]{64}$/);
      assert.match(d.responseSha256, /^[0-9a-f]{64}$/);
      assert.ok(typeof d.latencyMs === "number" && d.latencyMs >= 0);
      assert.not.ok("request" in d, "prompts are not stored unless --audit-content full");
      keyAbsent(r.logText, "the audit log");
      // The decision on use_llm came first, in the same chain.
      const decision = ofType(r.records, "decision")[0]!;
      assert.is(decision.details.action, "use_llm");
      assert.ok(decision.seq < call!.seq);
    },
  );

  P(`${protocol}: --audit-content full stores the prompt and the answer`, async () => {
    const server = await serve(protocol, [{ text: "42" }]);
    const r = await runAgent(server, "asker", { prompt: "What is six times seven?" }, { auditContent: "full" });
    const d = ofType(r.records, "model_call")[0]!.details;
    assert.is(d.request.messages[0].content, "What is six times seven?");
    assert.is(d.response.text, "42");
    keyAbsent(r.logText, "the audit log");
  });

  const overloaded = protocol === "openai" ? 429 : 529;
  P(
    `${protocol}: HTTP ${overloaded} then success — retried, honouring retry-after; the attempts are audited`,
    async () => {
      const server = await serve(protocol, [
        {
          status: overloaded,
          headers: { "retry-after": "0" },
          error: { message: "slow down", type: "rate_limit_error" },
        },
        { text: "made it" },
      ]);
      const r = await runAgent(server, "asker", { prompt: "hi" });
      assert.is(r.result.value, "made it");
      assert.is(server.requests.length, 2);
      const d = ofType(r.records, "model_call")[0]!.details;
      assert.is(d.attempts, 2);
      assert.equal(d.failures, [{ status: overloaded, retryAfterMs: 0 }]);
    },
  );

  P(
    `${protocol}: a retry-after longer than max_retry_wait is not waited for: the call fails at once, naming the wait`,
    async () => {
      const server = await serve(protocol, [
        { status: 429, headers: { "retry-after": "3600" }, error: { message: "come back in an hour" } },
        { text: "never reached" },
      ]);
      const t0 = Date.now();
      const r = await runAgent(server, "asker", { prompt: "hi" });
      assert.ok(Date.now() - t0 < 5000, "no hour-long wait");
      assert.is(server.requests.length, 1, "not retried");
      assert.match(
        String(r.result.value),
        /^Error: .*rate limited \(HTTP 429\) after 1 attempt; it asks to wait 3600s, more than \[model\] max_retry_wait \(60s\)/,
      );
    },
  );

  P(`${protocol}: server errors are retried a bounded number of times, then a catchable Error`, async () => {
    const server = await serve(protocol, [
      { status: 500, headers: { "retry-after": "0" }, error: { message: "boom" } },
      { status: 500, headers: { "retry-after": "0" }, error: { message: "boom" } },
      { text: "never reached" },
    ]);
    const r = await runAgent(server, "asker", { prompt: "hi" }, { settings: { max_retries: 1 } });
    assert.is(server.requests.length, 2);
    assert.match(String(r.result.value), /^Error: .*server error \(HTTP 500\) after 2 attempts: boom/);
  });

  P(
    `${protocol}: a rejected key fails fast — the run ends naming the provider and the variable, and the key is nowhere`,
    async () => {
      const echoed = `Incorrect API key provided: ${KEY.slice(0, 8)}********${KEY.slice(-4)} (${KEY})`;
      const server = await serve(protocol, [
        { status: 401, error: { message: echoed, type: "authentication_error", code: "invalid_api_key" } },
        { text: "never reached" },
      ]);
      const r = await runAgent(server, "asker", { prompt: "hi" });
      assert.is(server.requests.length, 1, "not retried");
      assert.is(r.result.status, "error");
      assert.is(r.result.exitCode, 1);
      assert.is(r.result.error?.kind, "ModelError");
      const variable = protocol === "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
      assert.match(
        r.result.message!,
        new RegExp(
          `${protocol}: authentication failed \\(HTTP 401 from http://127\\.0\\.0\\.1:\\d+.*\\): set ${variable} to a valid API key`,
        ),
      );
      keyAbsent(r.result.message!, "the error message");
      keyAbsent(r.logText, "the audit log");
    },
  );

  P(
    `${protocol}: an endpoint that redirects fails the run naming where to; nothing is sent there, the key included`,
    async () => {
      const elsewhere = await serve(protocol, [{ text: "never reached" }]);
      const path = protocol === "openai" ? "/v1/chat/completions" : "/v1/messages";
      const target = `${elsewhere.baseUrl.replace(/\/v1$/, "")}${path}`;
      const server = await serve(protocol, [{ status: 307, headers: { location: target } }, { text: "never reached" }]);
      const r = await runAgent(server, "asker", { prompt: "hi" });
      assert.is(server.requests.length, 1, "not retried");
      assert.is(elsewhere.requests.length, 0, "the redirect is not followed");
      assert.is(r.result.status, "error");
      assert.is(r.result.error?.kind, "ModelError");
      assert.ok(
        r.result.message!.includes(`redirects (HTTP 307 to ${target}); redirects are not followed`),
        r.result.message,
      );
      keyAbsent(r.result.message!, "the error message");
    },
  );

  P(`${protocol}: exhausted quota fails fast without retrying`, async () => {
    const server = await serve(protocol, [
      protocol === "openai"
        ? {
            status: 429,
            error: {
              message: "You exceeded your current quota",
              type: "insufficient_quota",
              code: "insufficient_quota",
            },
          }
        : { status: 402, error: { message: "Your credit balance is too low", type: "billing_error" } },
      { text: "never reached" },
    ]);
    const r = await runAgent(server, "asker", { prompt: "hi" });
    assert.is(server.requests.length, 1, "not retried");
    assert.is(r.result.error?.kind, "ModelError");
    assert.match(r.result.message!, /quota or credit of the key in (OPENAI|ANTHROPIC)_API_KEY is exhausted/);
  });

  P(`${protocol}: a provider that does not answer within [model] timeout is a catchable Timeout`, async () => {
    const server = await serve(protocol, [{ hang: true }]);
    const r = await runAgent(server, "asker", { prompt: "hi" }, { settings: { timeout: "300ms", max_retries: 0 } });
    assert.is(r.result.status, "ok", r.result.message);
    assert.is(r.result.value, `Timeout: ${protocol}: no answer within 0.3s (1 attempt)`);
    assert.is(ofType(r.records, "model_call")[0]!.details.error.kind, "timeout");
  });
}

P("an endpoint that cannot be reached is a catchable Error naming it", async () => {
  const r = await runAgent(
    { protocol: "openai", baseUrl: "http://127.0.0.1:9/v1" },
    "asker",
    { prompt: "hi" },
    { settings: { max_retries: 0 } },
  );
  assert.match(String(r.result.value), /^Error: openai: cannot reach http:\/\/127\.0\.0\.1:9\/v1 \(1 attempt\)/);
});

P.run();
