/**
 * One model call as the runtime makes it: bounded by the run (its abort signal: the `with`
 * timeout and Ctrl-C), audited, and its failures turned into what agent code sees.
 *
 * Audit record `model_call` (one per call, success or failure):
 *   provider, model, endpoint, builtin, iteration, requestSha256, responseSha256, usage
 *   {inputTokens, outputTokens, totalTokens}, latencyMs, finishReason, providerFinishReason,
 *   toolCalls (how many were proposed), attempts, failures (statuses retried), replayed,
 *   error {kind, message} — and, with `--audit-content full`, request and response themselves.
 * The hashes are SHA-256 of the canonical JSON of the provider-neutral request and response
 * (runtime/model/types.ts), the same a recording holds, so a recording can be checked against
 * the log.
 *
 * Failures: a ModelError of kind auth, quota, config or replay ends the run (FatalError
 * "ModelError"); timeout is a catchable `Timeout`; the others a catchable `Error`. When the run's
 * own signal fired (deadline, Ctrl-C), its reason is what propagates.
 */
import { performance } from "node:perf_hooks";
import { DslError, FatalError, formatLocation, type SourceLocation } from "../interpreter/errors.js";
import { FATAL_MODEL_ERRORS, ModelError } from "../model/errors.js";
import { requestSha256, responseSha256 } from "../model/recording.js";
import type { AuditContent } from "../model/setup.js";
import type { ChatRequest, ChatResponse, ModelClient } from "../model/types.js";
import type { AuditEmitter } from "./agent.js";

export interface ModelCallContext {
  client: ModelClient;
  audit: AuditEmitter;
  auditContent: AuditContent;
  signal: AbortSignal;
  loc: SourceLocation;
  builtin: "llm_call" | "reason";
  /** The loop iteration (reason), 1-based. */
  iteration?: number;
}

/** What agent code sees for a ModelError. */
export function modelErrorToDsl(e: ModelError, loc: SourceLocation): DslError | FatalError {
  if (FATAL_MODEL_ERRORS.has(e.kind)) return new FatalError("ModelError", e.message, loc, { cause: e });
  return new DslError(e.kind === "timeout" ? "Timeout" : "Error", e.message, loc, {
    details: { provider: e.provider, model_error: e.kind, ...(e.status !== undefined ? { status: e.status } : {}) },
  });
}

export async function callModel(req: ChatRequest, c: ModelCallContext): Promise<ChatResponse> {
  if (c.signal.aborted) throw c.signal.reason;
  const reqHash = requestSha256(req);
  const base = {
    provider: c.client.provider,
    model: c.client.model,
    endpoint: c.client.endpoint,
    builtin: c.builtin,
    iteration: c.iteration,
    requestSha256: reqHash,
    location: formatLocation(c.loc),
    ...(c.auditContent === "full" ? { request: req as never } : {}),
  };
  const t0 = performance.now();
  let r: Awaited<ReturnType<ModelClient["complete"]>>;
  try {
    r = await c.client.complete(req, c.signal);
  } catch (e) {
    const latencyMs = Math.round((performance.now() - t0) * 1000) / 1000;
    if (c.signal.aborted) {
      c.audit.emit("model_call", {
        ...base,
        latencyMs,
        error: { kind: "aborted", message: "the run ended during the call" },
      });
      throw c.signal.reason;
    }
    if (e instanceof ModelError) {
      c.audit.emit("model_call", { ...base, latencyMs, error: { kind: e.kind, message: e.message } });
      throw modelErrorToDsl(e, c.loc);
    }
    throw e;
  }
  const latencyMs = Math.round((performance.now() - t0) * 1000) / 1000;
  const res = r.response;
  c.audit.emit("model_call", {
    ...base,
    responseSha256: responseSha256(res),
    respondingModel: res.model !== c.client.model ? res.model : undefined,
    usage: { ...res.usage },
    latencyMs,
    finishReason: res.finishReason,
    providerFinishReason: res.providerFinishReason,
    toolCalls: res.toolCalls.length,
    attempts: r.info.attempts,
    failures: r.info.failures.length > 0 ? r.info.failures.map((f) => ({ ...f })) : undefined,
    replayed: c.client.endpoint.startsWith("replay:") ? true : undefined,
    ...(c.auditContent === "full" ? { response: res as never } : {}),
  });
  return res;
}
