/**
 * The Anthropic Messages protocol, through Anthropic's own client library (`@anthropic-ai/sdk`).
 *
 * The library retries 408/409/429/5xx and 529 ("overloaded") with backoff honouring
 * `retry-after`, and times requests out. We always pass the key and the base URL, so it never
 * falls back to its own credential chain (profile files, ANTHROPIC_AUTH_TOKEN) or to
 * ANTHROPIC_BASE_URL behind our back; logging is off.
 *
 * Mapping: the system prompt is the top-level `system`; an assistant turn is text plus
 * `tool_use` blocks (arguments as parsed JSON: this protocol cannot carry malformed arguments);
 * the results of a turn are one user message of `tool_result` blocks. Block types we do not
 * use (thinking, server tools) do not reach the loop.
 */
import Anthropic from "@anthropic-ai/sdk";
import type {
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  ToolUseBlockParam,
} from "@anthropic-ai/sdk/resources/messages";
import type { ModelConfig } from "./config.js";
import { classifyFailure, failureContext, ModelError, redirectOf, type RequestFailure } from "./errors.js";
import { EXCHANGE_KEY, governedFetch, newExchangeInfo } from "./http.js";
import { boundToRun } from "./abort.js";
import type { ChatRequest, ChatResponse, ExchangeInfo, FinishReason, ModelClient } from "./types.js";

function parseInput(args: string): Record<string, unknown> {
  try {
    const v = JSON.parse(args === "" ? "{}" : args) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function toAnthropicBody(req: ChatRequest): MessageCreateParamsNonStreaming {
  const messages: MessageParam[] = [];
  for (const m of req.messages) {
    if (m.role === "user") messages.push({ role: "user", content: m.content });
    else if (m.role === "assistant") {
      const blocks: Array<ToolUseBlockParam | TextBlockParam> = [];
      if (m.content !== "") blocks.push({ type: "text", text: m.content });
      for (const c of m.toolCalls ?? [])
        blocks.push({ type: "tool_use", id: c.id, name: c.name, input: parseInput(c.arguments) });
      messages.push({ role: "assistant", content: blocks.length > 0 ? blocks : "" });
    } else
      messages.push({
        role: "user",
        content: m.results.map((r) => ({
          type: "tool_result" as const,
          tool_use_id: r.callId,
          content: r.content,
          ...(r.isError ? { is_error: true } : {}),
        })),
      });
  }
  return {
    model: req.model,
    max_tokens: req.maxTokens,
    messages,
    ...(req.system !== undefined ? { system: req.system } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.tools && req.tools.length > 0
      ? {
          tools: req.tools.map((t) => ({
            name: t.name,
            description: t.description,
            input_schema: t.parameters as { type: "object"; [k: string]: unknown },
          })),
        }
      : {}),
  };
}

function finishReason(r: string | null | undefined): FinishReason {
  switch (r) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "refusal";
    default:
      return "other";
  }
}

export function fromAnthropicMessage(m: Message, provider = "anthropic"): ChatResponse {
  if (!m || !Array.isArray(m.content))
    throw new ModelError("bad_response", `${provider}: the answer has no content blocks`, provider);
  let text = "";
  const toolCalls: ChatResponse["toolCalls"] = [];
  for (const b of m.content) {
    if (b.type === "text") text += b.text;
    else if (b.type === "tool_use")
      toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
  }
  const u = m.usage;
  const inputTokens =
    (u?.input_tokens ?? 0) + (u?.cache_creation_input_tokens ?? 0) + (u?.cache_read_input_tokens ?? 0);
  const outputTokens = u?.output_tokens ?? 0;
  return {
    text,
    toolCalls,
    finishReason: finishReason(m.stop_reason),
    providerFinishReason: m.stop_reason ?? null,
    ...(m.stop_reason === "refusal" ? { refusal: text } : {}),
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    model: typeof m.model === "string" ? m.model : "",
  };
}

export function anthropicFailure(e: unknown): RequestFailure | undefined {
  if (e instanceof Anthropic.APIConnectionTimeoutError) return { timeout: true, message: e.message };
  if (e instanceof Anthropic.APIConnectionError) return { connection: true, message: e.message };
  if (e instanceof Anthropic.APIError && typeof e.status === "number")
    return { status: e.status, body: e.error, message: e.message, ...redirectOf(e.status, e.headers) };
  return undefined;
}

export class AnthropicMessagesClient implements ModelClient {
  readonly provider = "anthropic";
  readonly model: string;
  readonly endpoint: string;
  private readonly client: Anthropic;

  constructor(
    private readonly config: ModelConfig,
    fetchImpl?: typeof globalThis.fetch,
  ) {
    this.model = config.model;
    this.endpoint = config.baseUrl;
    this.client = new Anthropic({
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
    let message: Message;
    try {
      message = await boundToRun(signal, (own) =>
        this.client.messages.create(toAnthropicBody(req), {
          signal: own,
          fetchOptions: { [EXCHANGE_KEY]: info } as object,
        }),
      );
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      const f = anthropicFailure(e);
      const ctx = failureContext(this.config, this.provider, info);
      if (!f) throw e instanceof ModelError ? e : classifyFailure({ message: String(e) }, ctx);
      throw classifyFailure(f, ctx);
    }
    return { response: fromAnthropicMessage(message, this.provider), info };
  }
}
