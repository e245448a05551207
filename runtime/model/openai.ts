/**
 * The OpenAI Chat Completions protocol, through OpenAI's own client library (`openai`). The same
 * protocol is served by Ollama, vLLM, llama.cpp's server, LM Studio and OpenRouter, reached by
 * setting the base URL.
 *
 * The library does the HTTP work: retries with backoff honouring `retry-after`, timeouts, error
 * classes by status. We give it everything explicitly (key, base URL, no logging), so it reads
 * no environment variable we have not resolved ourselves — except OPENAI_ORG_ID and
 * OPENAI_PROJECT_ID, which it documents and which only add headers.
 *
 * `max_completion_tokens` is sent to OpenAI itself (its newer models refuse `max_tokens`), and
 * `max_tokens` to every other server (local servers know only that one).
 */
import OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { PROVIDERS, type ModelConfig } from "./config.js";
import { classifyFailure, failureContext, ModelError, redirectOf, type RequestFailure } from "./errors.js";
import { EXCHANGE_KEY, governedFetch, newExchangeInfo } from "./http.js";
import { boundToRun } from "./abort.js";
import type { ChatRequest, ChatResponse, ExchangeInfo, FinishReason, ModelClient } from "./types.js";

/** The request body for a ChatRequest. */
export function toOpenAIBody(req: ChatRequest, officialEndpoint: boolean): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (req.system !== undefined) messages.push({ role: "system", content: req.system });
  for (const m of req.messages) {
    if (m.role === "user") messages.push({ role: "user", content: m.content });
    else if (m.role === "assistant") {
      const calls = m.toolCalls ?? [];
      messages.push({
        role: "assistant",
        content: calls.length > 0 && m.content === "" ? null : m.content,
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((c) => ({
                id: c.id,
                type: "function" as const,
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      });
    } else for (const r of m.results) messages.push({ role: "tool", tool_call_id: r.callId, content: r.content });
  }
  return {
    model: req.model,
    messages,
    ...(officialEndpoint ? { max_completion_tokens: req.maxTokens } : { max_tokens: req.maxTokens }),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.tools && req.tools.length > 0
      ? {
          tools: req.tools.map((t) => ({
            type: "function" as const,
            function: { name: t.name, description: t.description, parameters: t.parameters },
          })),
        }
      : {}),
  };
}

function finishReason(r: string | null | undefined, refusal: boolean): FinishReason {
  if (refusal) return "refusal";
  switch (r) {
    case "stop":
      return "stop";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    default:
      return "other";
  }
}

/** The ChatResponse for a completion; throws ModelError for an answer that is not a completion. */
export function fromOpenAICompletion(c: ChatCompletion, provider = "openai"): ChatResponse {
  const choice = c?.choices?.[0];
  if (!choice || typeof choice.message !== "object" || choice.message === null)
    throw new ModelError("bad_response", `${provider}: the answer has no choices[0].message`, provider);
  const msg = choice.message;
  const refusal = typeof msg.refusal === "string" && msg.refusal !== "" ? msg.refusal : undefined;
  const toolCalls = (msg.tool_calls ?? []).map((tc, i) => {
    const f = (tc as { function?: { name?: unknown; arguments?: unknown } }).function;
    return {
      id: typeof tc.id === "string" ? tc.id : "",
      name: typeof f?.name === "string" ? f.name : `<${(tc as { type?: string }).type ?? "unknown"} call ${i}>`,
      arguments: typeof f?.arguments === "string" ? f.arguments : "",
    };
  });
  const u = c.usage;
  const inputTokens = u?.prompt_tokens ?? 0;
  const outputTokens = u?.completion_tokens ?? 0;
  return {
    text: typeof msg.content === "string" ? msg.content : "",
    toolCalls,
    finishReason: finishReason(choice.finish_reason, refusal !== undefined),
    providerFinishReason: choice.finish_reason ?? null,
    ...(refusal !== undefined ? { refusal } : {}),
    usage: { inputTokens, outputTokens, totalTokens: u?.total_tokens ?? inputTokens + outputTokens },
    model: typeof c.model === "string" ? c.model : "",
  };
}

/** What the library's error says, as a RequestFailure. */
export function openAIFailure(e: unknown): RequestFailure | undefined {
  if (e instanceof OpenAI.APIConnectionTimeoutError) return { timeout: true, message: e.message };
  if (e instanceof OpenAI.APIConnectionError) return { connection: true, message: e.message };
  if (e instanceof OpenAI.APIError && typeof e.status === "number")
    return {
      status: e.status,
      body: e.error === undefined ? undefined : { error: e.error },
      message: e.message,
      ...redirectOf(e.status, e.headers),
    };
  return undefined;
}

export class OpenAIChatClient implements ModelClient {
  readonly provider = "openai";
  readonly model: string;
  readonly endpoint: string;
  private readonly client: OpenAI;
  private readonly official: boolean;

  constructor(
    private readonly config: ModelConfig,
    fetchImpl?: typeof globalThis.fetch,
  ) {
    this.model = config.model;
    this.endpoint = config.baseUrl;
    this.official = config.baseUrl === PROVIDERS.openai.defaultBaseUrl;
    this.client = new OpenAI({
      // Servers that need no key (a local Ollama) still get a placeholder: the library insists on one.
      apiKey: config.apiKey?.reveal() ?? "no-key",
      baseURL: config.baseUrl,
      timeout: config.timeoutMs,
      maxRetries: config.maxRetries,
      fetch: governedFetch({ maxRetryWaitMs: config.maxRetryWaitMs, ...(fetchImpl ? { fetch: fetchImpl } : {}) }),
      logLevel: "off",
    });
  }

  async complete(req: ChatRequest, signal: AbortSignal): Promise<{ response: ChatResponse; info: ExchangeInfo }> {
    const info = newExchangeInfo();
    let completion: ChatCompletion;
    try {
      completion = await boundToRun(signal, (own) =>
        this.client.chat.completions.create(toOpenAIBody(req, this.official), {
          signal: own,
          fetchOptions: { [EXCHANGE_KEY]: info } as object,
        }),
      );
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      const f = openAIFailure(e);
      const ctx = failureContext(this.config, this.provider, info);
      if (!f) throw e instanceof ModelError ? e : classifyFailure({ message: String(e) }, ctx);
      throw classifyFailure(f, ctx);
    }
    const response = fromOpenAICompletion(completion, this.provider);
    return { response, info };
  }
}
