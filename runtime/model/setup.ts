/**
 * The model side of one `symbi exec`: which client answers each agent's model calls (a provider
 * client, or a replay), the limits of those calls, the recording, and how much the audit log
 * keeps. Built once by the CLI (or a test) and handed to execAgent; agents with different
 * `metadata { model }` get their own clients.
 */
import {
  ModelConfigError,
  modelCallSettings,
  resolveModelConfig,
  type ModelCallSettings,
  type ModelConfig,
  type ModelLayers,
} from "./config.js";
import { ModelError } from "./errors.js";
import { loadRecording, Recorder, RecordingClient, ReplayClient } from "./recording.js";
import type { ChatRequest, ChatResponse, ExchangeInfo, ModelClient } from "./types.js";

/**
 * A provider's client, its module (and the provider's SDK) imported on the first request: a run
 * that makes no model call, the usual case, never loads the OpenAI or Anthropic SDK.
 */
class ProviderClient implements ModelClient {
  readonly provider: string;
  readonly model: string;
  readonly endpoint: string;
  private inner: Promise<ModelClient> | undefined;

  constructor(
    private readonly config: ModelConfig,
    private readonly fetchImpl: typeof globalThis.fetch | undefined,
  ) {
    this.provider = config.provider;
    this.model = config.model;
    this.endpoint = config.baseUrl;
  }

  private client(): Promise<ModelClient> {
    return (this.inner ??=
      this.config.provider === "openai"
        ? import("./openai.js").then((m) => new m.OpenAIChatClient(this.config, this.fetchImpl))
        : import("./anthropic.js").then((m) => new m.AnthropicMessagesClient(this.config, this.fetchImpl)));
  }

  async complete(req: ChatRequest, signal: AbortSignal): Promise<{ response: ChatResponse; info: ExchangeInfo }> {
    return (await this.client()).complete(req, signal);
  }
}

/** How much of each model exchange the audit log keeps: hashes only (default), or the prompts and answers too. */
export type AuditContent = "hashes" | "full";
export const AUDIT_CONTENT_MODES: readonly AuditContent[] = ["hashes", "full"];

/** The limits of an agent's model calls. */
export interface ModelLimits {
  maxTokens: number;
  temperature?: number;
  tokenBudget: number;
  toolOutputMaxBytes: number;
}

export interface ModelSetupOptions {
  layers: ModelLayers;
  /** `--model replay:FILE`: answers come from this recording. */
  replay?: string;
  /** `--record FILE`. */
  record?: string;
  auditContent?: AuditContent;
  /** `symbi <version>`, written into recordings. */
  recorderName?: string;
  /** The fetch the provider clients use (tests count connections with it). */
  fetch?: typeof globalThis.fetch;
}

function limitsOf(c: ModelCallSettings): ModelLimits {
  return {
    maxTokens: c.maxTokens,
    ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    tokenBudget: c.tokenBudget,
    toolOutputMaxBytes: c.toolOutputMaxBytes,
  };
}

export class ModelSetup {
  readonly auditContent: AuditContent;
  private readonly recorder: Recorder | undefined;
  private readonly replay: ReplayClient | undefined;
  private readonly clients = new Map<string, ModelClient>();
  private lastClient: ModelClient | undefined;

  constructor(private readonly o: ModelSetupOptions) {
    this.auditContent = o.auditContent ?? "hashes";
    if (o.replay !== undefined && o.record !== undefined)
      throw new ModelConfigError(
        "--record cannot be combined with --model replay:FILE (a replay makes no new exchanges)",
      );
    // Both are opened now, so a missing recording or an unwritable path stops the run before it starts.
    this.replay = o.replay !== undefined ? new ReplayClient(loadRecording(o.replay)) : undefined;
    this.recorder = o.record !== undefined ? Recorder.open(o.record, o.recorderName ?? "symbi") : undefined;
  }

  /**
   * The client and limits for an agent whose metadata names `agentModel`, or undefined when no
   * model is configured. A configuration that names a model but cannot be used is a
   * ModelError "config" (it ends the run, naming what to set).
   */
  clientFor(agentModel: string | undefined): { client: ModelClient; limits: ModelLimits } | undefined {
    if (this.replay) {
      // A replay answers as the recorded model; the limits are the configuration's, as when it was recorded.
      return { client: this.replay, limits: limitsOf(modelCallSettings(this.o.layers.config)) };
    }
    let config;
    try {
      config = resolveModelConfig(this.o.layers, agentModel);
    } catch (e) {
      if (e instanceof ModelConfigError) throw new ModelError("config", e.message, "model configuration");
      throw e;
    }
    if (!config) return undefined;
    const key = JSON.stringify([config.provider, config.model, config.baseUrl, config.keyVariable]);
    let client = this.clients.get(key);
    if (!client) {
      const inner: ModelClient = new ProviderClient(config, this.o.fetch);
      client = this.recorder ? new RecordingClient(inner, this.recorder) : inner;
      this.clients.set(key, client);
    }
    this.lastClient = client;
    return { client, limits: limitsOf(config) };
  }

  /**
   * Ends the setup: the recording is closed. Returns a problem to report, if any: a replay whose
   * recording holds exchanges the run never asked for (the run diverged by ending early).
   */
  finish(): string | undefined {
    this.recorder?.close(this.lastClient);
    const unused = this.replay?.unused() ?? [];
    if (unused.length === 0) return undefined;
    return `replay of ${this.replay!.recording.path} diverged: the run ended with ${unused.length} recorded exchange${unused.length === 1 ? "" : "s"} unused (first: seq ${unused[0]!.seq})`;
  }
}
