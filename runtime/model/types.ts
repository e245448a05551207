/**
 * The provider-neutral shape of one model exchange. The reasoning loop, the audit records, the
 * recorder and the replayer all speak this shape; only `openai.ts` and `anthropic.ts` translate
 * it to and from a provider's wire protocol (through that provider's own client library).
 *
 * It is plain JSON on purpose: a request is hashed (canonical JSON) for the audit log and
 * compared field by field on replay, so it carries nothing but what is sent.
 */

/** A function the model may call: a tool from its contract, or a peer agent. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema (an object schema) of the arguments. */
  parameters: Record<string, unknown>;
}

/** A call the model proposed. `arguments` is the raw JSON text the model wrote (it may be malformed). */
export interface ToolCallProposal {
  id: string;
  name: string;
  arguments: string;
}

/** What the runtime answers to one proposed call. */
export interface ToolResultMessage {
  callId: string;
  name: string;
  content: string;
  isError: boolean;
}

export type ChatMessage =
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCallProposal[] }
  /** The results of every call of the previous assistant turn, in its order. */
  | { role: "tool"; results: ToolResultMessage[] };

export interface ChatRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxTokens: number;
  temperature?: number;
}

/**
 * Why the model stopped, normalized: `stop` (a final turn), `tool_calls`, `length` (cut at the
 * token limit), `refusal` (the model declined), `content_filter` (the provider withheld it),
 * `other` (anything else the provider reported; `providerFinishReason` has its word).
 */
export type FinishReason = "stop" | "tool_calls" | "length" | "refusal" | "content_filter" | "other";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface ChatResponse {
  text: string;
  toolCalls: ToolCallProposal[];
  finishReason: FinishReason;
  /** The provider's own word for it (`end_turn`, `tool_calls`, ...), or null. */
  providerFinishReason: string | null;
  /** The refusal text, when the model refused (OpenAI's `message.refusal`). */
  refusal?: string;
  usage: Usage;
  /** The model that answered, as the provider names it. */
  model: string;
}

/** What a provider client reports besides the response: how many HTTP attempts it took, and whether the server said it is scripted. */
export interface ExchangeInfo {
  /** HTTP attempts made (1 without retries). */
  attempts: number;
  /** Each attempt answered with a retryable status (408, 409, 429, 5xx), with the wait the server asked for (ms), if any. */
  failures: Array<{ status: number; retryAfterMs?: number }>;
  /** The `x-symbi-scripted` header of the answer: the server declares its answers scripted (test servers do). */
  scripted?: string;
}

export interface ModelClient {
  /** `openai` or `anthropic` (the protocol), for audit records and messages. */
  readonly provider: string;
  /** The model requests go to (the configured one). */
  readonly model: string;
  /** Where requests go (origin and path, never credentials); "replay:FILE" for a replay. */
  readonly endpoint: string;
  /** One request. Throws ModelError (errors.ts) for every failure; honours `signal`. */
  complete(req: ChatRequest, signal: AbortSignal): Promise<{ response: ChatResponse; info: ExchangeInfo }>;
}
