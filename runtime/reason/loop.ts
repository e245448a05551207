/**
 * The governed reasoning loop behind `reason(system, user, max_iterations)`:
 *
 *   observe → reason (one model call) → for each proposed call: the same pipeline as a call
 *   written in code (argument validation → gate with the arguments → approval → sandbox →
 *   output validation → audit) → the results go back to the model → …
 *
 * The loop never decides anything itself: a proposal of a tool is `host.callTool`, a proposal
 * of a peer is `host.callAction(delegate)` — the very functions agent code reaches. A denial or
 * a validation failure becomes the call's result (naming the DSL rule), so the model can adapt;
 * nothing the model says reaches the gate except the call's arguments, which are checked like
 * any others.
 *
 * Termination (`termination_reason`):
 *   final_answer        the model answered without calling anything
 *   max_iterations      `max_iterations` model calls were made and the model still wanted to act
 *   token_budget        the loop spent `[model] token_budget` tokens (input + output)
 *   refusal             the model refused (or the provider withheld the answer)
 *   empty_response      a turn with no text and no calls
 *   output_truncated    the answer was cut at `max_tokens`
 *   repeated_denials    the same refused call was proposed MAX_REPEATED_REFUSALS times
 *   invalid_proposals   MAX_INVALID_PROPOSALS proposals were malformed or named no function, or
 *                       one turn proposed more than MAX_PROPOSALS_PER_TURN calls
 * and, ending the whole run rather than returning: the `with` timeout (Timeout) and Ctrl-C
 * (Aborted) — recorded as `timeout` / `interrupted` in the loop's `reason_end` record.
 */
import { canonicalJson } from "../../formats/json.js";
import { sha256Hex } from "../../formats/digest.js";
import { DslError, FatalError, formatLocation, type SourceLocation } from "../interpreter/errors.js";
import type { ActionCall, InterpreterHost } from "../interpreter/host.js";
import { fromJson, toJson, record, type Json, type Value } from "../interpreter/values.js";
import type { ModelLimits, AuditContent } from "../model/setup.js";
import type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ModelClient,
  ToolCallProposal,
  ToolResultMessage,
} from "../model/types.js";
import type { AuditEmitter, ReasoningSkill } from "./agent.js";
import { callModel } from "./model-call.js";
import { PEER_PREFIX, type Offer, type OfferedFunction } from "./offer.js";
import { skillsSection } from "./skills-prompt.js";
import { GOVERNANCE_NOTE, renderResult, type CallOutcome } from "./tool-result.js";

export type TerminationReason =
  | "final_answer"
  | "max_iterations"
  | "token_budget"
  | "refusal"
  | "empty_response"
  | "output_truncated"
  | "repeated_denials"
  | "invalid_proposals";

/** The same refused call (same function, same arguments) this many times ends the loop. */
export const MAX_REPEATED_REFUSALS = 3;
/** This many malformed proposals or proposals of unknown functions end the loop. */
export const MAX_INVALID_PROPOSALS = 5;
/** Calls of one turn beyond this many are answered `not_run`. */
export const MAX_CALLS_PER_TURN = 16;
/** A turn proposing more calls than this ends the loop (`invalid_proposals`) without answering any. */
export const MAX_PROPOSALS_PER_TURN = 64;
/** A proposal's arguments longer than this (bytes of JSON) are refused unread. */
export const MAX_ARGUMENT_BYTES = 64 * 1024;
/** The largest `max_iterations` agent code may ask for. */
export const MAX_ITERATIONS_LIMIT = 1000;

export interface LoopOptions {
  client: ModelClient;
  limits: ModelLimits;
  offer: Offer;
  host: InterpreterHost;
  audit: AuditEmitter;
  auditContent: AuditContent;
  signal: AbortSignal;
  /** The `reason(...)` call site: every decision of the loop is recorded at it. */
  loc: SourceLocation;
  system: string;
  user: string;
  /** Skills given to the model after the agent's system prompt (skills.ts); none by default. */
  skills?: readonly ReasoningSkill[];
  maxIterations: number;
}

export interface LoopResult {
  response: string;
  iterations: number;
  totalTokens: number;
  terminationReason: TerminationReason;
}

function hashText(s: string): string {
  return sha256Hex(s);
}

/** The arguments of a proposal as a JSON object, or why they are not one. */
function parseArguments(text: string): { args: Record<string, unknown> } | { error: string } {
  if (Buffer.byteLength(text, "utf8") > MAX_ARGUMENT_BYTES)
    return { error: `the arguments are longer than ${MAX_ARGUMENT_BYTES} bytes` };
  if (text.trim() === "") return { args: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `the arguments are not valid JSON (${(e as Error).message})` };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return { error: "the arguments must be a JSON object of named arguments" };
  return { args: v as Record<string, unknown> };
}

/** Call ids the provider can pair with results: a missing or repeated id gets a fresh one. */
function normalizeIds(calls: ToolCallProposal[], iteration: number): ToolCallProposal[] {
  const seen = new Set<string>();
  return calls.map((c, i) => {
    const id = c.id !== "" && !seen.has(c.id) ? c.id : `call_${iteration}_${i}`;
    seen.add(id);
    return id === c.id ? c : { ...c, id };
  });
}

export async function runReasoningLoop(o: LoopOptions): Promise<LoopResult> {
  const byName = new Map<string, OfferedFunction>(o.offer.functions.map((f) => [f.spec.name, f]));
  // The loop's own copy: request hashing freezes what it has hashed (runtime/model/canonical-request.ts),
  // and the offer's specs hold contract objects (an MCP tool's pinned argument schemas) that are not ours to freeze.
  const tools = o.offer.functions.map((f) => structuredClone(f.spec));
  const skills = o.skills ?? [];
  const system = o.system + skillsSection(skills) + GOVERNANCE_NOTE;
  const messages: ChatMessage[] = [{ role: "user", content: o.user }];
  const refusals = new Map<string, number>();
  let invalid = 0;
  let iterations = 0;
  let totalTokens = 0;
  let lastText = "";

  o.audit.emit("reason_start", {
    provider: o.client.provider,
    model: o.client.model,
    maxIterations: o.maxIterations,
    tokenBudget: o.limits.tokenBudget,
    offered: tools.map((t) => t.name),
    withheld: o.offer.withheld.map((w) => ({ ...w })),
    systemSha256: hashText(o.system),
    // Each skill given to the model, by its pinned hash (its text is in the bundle's project).
    ...(skills.length > 0
      ? {
          skills: skills.map((k) => ({
            folder: k.folder,
            name: k.name,
            sha256: k.hash,
            ...(k.signedBy ? { signedBy: { domain: k.signedBy.domain, key: k.signedBy.fingerprint } } : {}),
          })),
        }
      : {}),
    userSha256: hashText(o.user),
    location: formatLocation(o.loc),
  });
  const finish = (reason: TerminationReason, response: string): LoopResult => {
    o.audit.emit("reason_end", {
      termination_reason: reason,
      iterations,
      total_tokens: totalTokens,
      responseSha256: hashText(response),
      location: formatLocation(o.loc),
    });
    return { response, iterations, totalTokens, terminationReason: reason };
  };

  try {
    for (;;) {
      if (totalTokens >= o.limits.tokenBudget) return finish("token_budget", lastText);
      iterations++;
      const req: ChatRequest = {
        model: o.client.model,
        system,
        messages: [...messages],
        ...(tools.length > 0 ? { tools } : {}),
        maxTokens: Math.max(1, Math.min(o.limits.maxTokens, o.limits.tokenBudget - totalTokens)),
        ...(o.limits.temperature !== undefined ? { temperature: o.limits.temperature } : {}),
      };
      const res: ChatResponse = await callModel(req, {
        client: o.client,
        audit: o.audit,
        auditContent: o.auditContent,
        signal: o.signal,
        loc: o.loc,
        builtin: "reason",
        iteration: iterations,
      });
      totalTokens += res.usage.totalTokens;
      lastText = res.text;

      if (res.toolCalls.length === 0) {
        if (res.finishReason === "refusal" || res.finishReason === "content_filter")
          return finish("refusal", res.refusal ?? res.text);
        if (res.text.trim() === "") return finish("empty_response", "");
        if (res.finishReason === "length") return finish("output_truncated", res.text);
        return finish("final_answer", res.text);
      }

      if (res.toolCalls.length > MAX_PROPOSALS_PER_TURN) {
        // Answering each would cost an audit record and a result apiece: a flood is refused whole.
        o.audit.emit("error", {
          kind: "ModelError",
          message: `the model proposed ${res.toolCalls.length} calls in one turn (at most ${MAX_PROPOSALS_PER_TURN}); none was run`,
          location: formatLocation(o.loc),
        });
        return finish("invalid_proposals", res.text);
      }
      const calls = normalizeIds(res.toolCalls, iterations);
      messages.push({ role: "assistant", content: res.text, toolCalls: calls });
      // Out of budget or iterations: the proposals are recorded, not run (nobody would read their results).
      const stop: TerminationReason | undefined =
        totalTokens >= o.limits.tokenBudget
          ? "token_budget"
          : iterations >= o.maxIterations
            ? "max_iterations"
            : undefined;
      if (stop) {
        for (const c of calls) recordNotRun(o, iterations, c, `the loop ended (${stop})`);
        return finish(stop, res.text);
      }

      const results: ToolResultMessage[] = [];
      let repeated = false;
      for (const [i, c] of calls.entries()) {
        let outcome: CallOutcome;
        if (i >= MAX_CALLS_PER_TURN) {
          outcome = {
            status: "not_run",
            function: c.name,
            error: `at most ${MAX_CALLS_PER_TURN} calls are run per turn; propose the rest in the next turn`,
          };
          auditProposal(o, iterations, c, "not_run");
        } else {
          outcome = await runProposal(o, byName, iterations, c);
          if (outcome.status === "malformed_arguments" || outcome.status === "unknown_function") invalid++;
          if (outcome.status === "denied" || outcome.status === "invalid_arguments") {
            const key = `${c.name}\u0000${canonicalArgs(c.arguments)}`;
            const n = (refusals.get(key) ?? 0) + 1;
            refusals.set(key, n);
            if (n >= MAX_REPEATED_REFUSALS) repeated = true;
            else if (n > 1)
              outcome.note = `This exact call was refused ${n} times; proposing it again ends the loop. Change the call or answer without it.`;
          }
        }
        const r = renderResult(outcome, o.limits.toolOutputMaxBytes);
        o.audit.emit("model_tool_result", {
          iteration: iterations,
          callId: c.id,
          function: c.name,
          status: outcome.status,
          rule: outcome.rule,
          contentSha256: hashText(r.content),
          contentBytes: Buffer.byteLength(r.content, "utf8"),
          truncated: r.truncated || undefined,
          ...(o.auditContent === "full" ? { content: r.content } : {}),
        });
        results.push({ callId: c.id, name: c.name, content: r.content, isError: r.isError });
      }
      messages.push({ role: "tool", results });
      if (repeated) return finish("repeated_denials", res.text);
      if (invalid >= MAX_INVALID_PROPOSALS) return finish("invalid_proposals", res.text);
    }
  } catch (e) {
    const reason =
      e instanceof FatalError
        ? e.kind === "Timeout"
          ? "timeout"
          : e.kind === "Aborted"
            ? "interrupted"
            : "error"
        : "error";
    o.audit.emit("reason_end", {
      termination_reason: reason,
      iterations,
      total_tokens: totalTokens,
      error: e instanceof Error ? e.message : String(e),
      location: formatLocation(o.loc),
    });
    throw e;
  }
}

/** Canonical JSON of the arguments (so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same call), or the raw text. */
function canonicalArgs(text: string): string {
  const p = parseArguments(text);
  if ("error" in p) return text;
  try {
    return canonicalJson(p.args);
  } catch {
    return text;
  }
}

function auditProposal(o: LoopOptions, iteration: number, c: ToolCallProposal, kind: string): void {
  o.audit.emit("model_proposal", {
    iteration,
    callId: c.id,
    function: c.name,
    kind,
    argumentsSha256: hashText(c.arguments),
    argumentsBytes: Buffer.byteLength(c.arguments, "utf8"),
    ...(o.auditContent === "full" ? { arguments: c.arguments } : {}),
    location: formatLocation(o.loc),
  });
}

function recordNotRun(o: LoopOptions, iteration: number, c: ToolCallProposal, why: string): void {
  auditProposal(o, iteration, c, "not_run");
  o.audit.emit("model_tool_result", { iteration, callId: c.id, function: c.name, status: "not_run", error: why });
}

/** What a DslError from the pipeline tells the model. */
function outcomeOfError(name: string, e: DslError): CallOutcome {
  switch (e.kind) {
    case "PolicyDenied":
      return { status: "denied", function: name, rule: e.rule, reason: e.reason || e.message };
    case "ArgumentError":
      return { status: "invalid_arguments", function: name, error: e.message };
    case "ToolError":
      return { status: "tool_error", function: name, error: e.message, untrusted: true };
    case "Timeout":
      return { status: "tool_timeout", function: name, error: e.message };
    default:
      return { status: "error", function: name, error: `${e.kind}: ${e.message}` };
  }
}

/** One proposal through the governed pipeline — the same entry points as agent code. */
async function runProposal(
  o: LoopOptions,
  byName: ReadonlyMap<string, OfferedFunction>,
  iteration: number,
  c: ToolCallProposal,
): Promise<CallOutcome> {
  const offered = byName.get(c.name);
  // A withheld tool or peer is still reachable by name: it goes through the pipeline, which denies it.
  const isTool =
    offered?.kind === "tool" ||
    (!offered && o.offer.withheld.some((w) => w.name === c.name && !w.name.startsWith(PEER_PREFIX)));
  const peer =
    offered?.kind === "agent"
      ? offered.target
      : !offered && c.name.startsWith(PEER_PREFIX)
        ? c.name.slice(PEER_PREFIX.length)
        : undefined;
  const kind = isTool ? "tool" : peer !== undefined ? "agent" : "unknown";
  auditProposal(o, iteration, c, kind);
  if (kind === "unknown") {
    const names = [...byName.keys()];
    return {
      status: "unknown_function",
      function: c.name,
      error: `there is no function \`${c.name}\`${names.length > 0 ? `; the functions are: ${names.join(", ")}` : "; no function is offered"}`,
    };
  }
  const parsed = parseArguments(c.arguments);
  if ("error" in parsed) return { status: "malformed_arguments", function: c.name, error: parsed.error };
  try {
    let value: Value;
    if (isTool) {
      const named = new Map<string, Value>(Object.entries(parsed.args).map(([k, v]) => [k, fromJson(v)]));
      value = await o.host.callTool(c.name, { positional: [], named }, o.loc);
    } else {
      const call: ActionCall = {
        builtin: "delegate",
        action: "delegate",
        target: peer!,
        args: new Map<string, Value>([
          ["agent", peer!],
          ["message", fromJson(parsed.args.message ?? null)],
        ]),
      };
      value = await o.host.callAction(call, o.loc);
    }
    let output: Json;
    try {
      output = toJson(value, "the result");
    } catch (e) {
      return { status: "error", function: c.name, error: (e as Error).message };
    }
    return { status: "ok", function: c.name, output };
  } catch (e) {
    if (e instanceof DslError) return outcomeOfError(c.name, e);
    throw e;
  }
}

/** The record `reason` returns. */
export function loopResultValue(r: LoopResult): Value {
  return record({
    response: r.response,
    iterations: r.iterations,
    total_tokens: r.totalTokens,
    termination_reason: r.terminationReason,
  });
}
