/**
 * `llm_call` and `reason` for one run: what ActionRunner calls after the gate has decided the
 * builtin's own action (`use_llm`). It picks the agent's model client (its metadata `model`,
 * the configuration, or a replay), and either makes one completion (`llm_call`) or runs the
 * governed loop (`reason`) with the same host — the same tool-call pipeline — as agent code.
 */
import type { Budget } from "../interpreter/budget.js";
import { DslError, type SourceLocation } from "../interpreter/errors.js";
import type { ActionCall, InterpreterHost } from "../interpreter/host.js";
import { typeNameOf, type Value } from "../interpreter/values.js";
import { ModelError } from "../model/errors.js";
import type { ModelLimits, ModelSetup } from "../model/setup.js";
import type { ModelClient } from "../model/types.js";
import { loopResultValue, MAX_ITERATIONS_LIMIT, runReasoningLoop } from "./loop.js";
import { callModel, modelErrorToDsl } from "./model-call.js";
import { offerFor, type Offer } from "./offer.js";
import type { AuditEmitter, PeerAgent, ReasoningAgent, ReasoningSkill, ToolInfoOf } from "./agent.js";

/** `reason`'s default when `max_iterations` is not given. */
export const DEFAULT_MAX_ITERATIONS = 10;

export interface ModelRunOptions {
  setup: ModelSetup;
  bundle: ReasoningAgent;
  /** The skills `reason` gives the model (the agent's, checked against the bundle's pins). */
  skills?: readonly ReasoningSkill[];
  /** The run's peer agents (delegation targets), by name. */
  peers: ReadonlyMap<string, PeerAgent>;
  /** Some policy names `invoke_tool` (decided for every tool call, so also for what is offered). */
  checkInvokeTool: boolean;
  /** ToolInfo of a contract, as `invoke_tool` policies see it. */
  toolInfo: ToolInfoOf;
  audit: AuditEmitter;
  signal: AbortSignal;
  budget: Budget;
  /** The host agent code runs with (created after this object, hence a function). */
  host: () => InterpreterHost;
}

function text(v: Value | undefined, name: string, builtin: string, loc: SourceLocation): string {
  if (typeof v !== "string")
    throw new DslError(
      "RuntimeError",
      `\`${builtin}\` needs \`${name}\` as a String, not ${typeNameOf(v ?? null)}`,
      loc,
    );
  return v;
}

export class ModelRun {
  private offer: Offer | undefined;

  constructor(private readonly o: ModelRunOptions) {}

  /** The agent's client, or undefined when no model is configured; a configuration that cannot work ends the run. */
  private client(loc: SourceLocation): { client: ModelClient; limits: ModelLimits } | undefined {
    try {
      return this.o.setup.clientFor(this.o.bundle.manifest.model);
    } catch (e) {
      if (e instanceof ModelError) throw modelErrorToDsl(e, loc);
      throw e;
    }
  }

  /** Runs `llm_call` or `reason`; undefined when no model is configured. */
  handle(call: ActionCall, loc: SourceLocation): Promise<Value> | undefined {
    const c = this.client(loc);
    if (!c) return undefined;
    return call.builtin === "reason"
      ? this.reason(call, loc, c.client, c.limits)
      : this.llmCall(call, loc, c.client, c.limits);
  }

  private async llmCall(
    call: ActionCall,
    loc: SourceLocation,
    client: ModelClient,
    limits: ModelLimits,
  ): Promise<Value> {
    const prompt = text(call.args.get("prompt"), "prompt", "llm_call", loc);
    this.o.budget.checkTime(() => loc);
    const res = await callModel(
      {
        model: client.model,
        messages: [{ role: "user", content: prompt }],
        maxTokens: limits.maxTokens,
        ...(limits.temperature !== undefined ? { temperature: limits.temperature } : {}),
      },
      {
        client,
        audit: this.o.audit,
        auditContent: this.o.setup.auditContent,
        signal: this.o.signal,
        loc,
        builtin: "llm_call",
      },
    );
    if (res.finishReason === "refusal" || res.finishReason === "content_filter")
      throw new DslError(
        "Error",
        `${client.provider}: the model declined to answer${res.refusal ? `: ${res.refusal}` : ""}`,
        loc,
        {
          details: { provider: client.provider, finish_reason: res.finishReason },
        },
      );
    return res.text;
  }

  private async reason(
    call: ActionCall,
    loc: SourceLocation,
    client: ModelClient,
    limits: ModelLimits,
  ): Promise<Value> {
    const system = text(call.args.get("system"), "system", "reason", loc);
    const user = text(call.args.get("user"), "user", "reason", loc);
    const mi = call.args.get("max_iterations");
    const maxIterations = mi === undefined || mi === null ? DEFAULT_MAX_ITERATIONS : mi;
    if (
      typeof maxIterations !== "number" ||
      !Number.isInteger(maxIterations) ||
      maxIterations < 1 ||
      maxIterations > MAX_ITERATIONS_LIMIT
    )
      throw new DslError(
        "RuntimeError",
        `\`reason\`: max_iterations must be an int from 1 to ${MAX_ITERATIONS_LIMIT}, not ${typeof maxIterations === "number" ? maxIterations : typeNameOf(maxIterations)}`,
        loc,
      );
    this.o.budget.checkTime(() => loc);
    this.offer ??= offerFor(this.o.bundle, this.o.peers, {
      checkInvokeTool: this.o.checkInvokeTool,
      toolInfo: this.o.toolInfo,
    });
    const r = await runReasoningLoop({
      client,
      limits,
      offer: this.offer,
      host: this.o.host(),
      audit: this.o.audit,
      auditContent: this.o.setup.auditContent,
      signal: this.o.signal,
      loc,
      system,
      user,
      skills: this.o.skills ?? [],
      maxIterations,
    });
    return loopResultValue(r);
  }
}
