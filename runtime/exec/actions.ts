/**
 * Governed builtins (the stdlib table's functions with an `action`): each call is decided by the
 * policy gate as the table's action, audited, and approved when required, exactly like a tool
 * call; then the action runs.
 *
 * - `delegate`, `ask`, `send_to`, `parallel`, `race` run another agent of the same project
 *   (a peer bundle, when the run has peers: `symbi exec` of a `.symbi` file with several agents,
 *   or of a build folder). The target agent is the Cedar resource (`Symbi::Agent::"<name>"`).
 *   `parallel` and `race` decide every target before any agent starts.
 * - `request_approval(request)` asks the run's approver (`--approve`) and returns its answer:
 *   `verified` is true only for a yes given through this runtime's approval step, which is in
 *   the signed audit log under the returned `token`.
 * - `llm_call` and `reason` run on the configured model (runtime/reason, through `model`); with
 *   no model configured, and `spawn_agent`, `memory_search`, `memory_write`, `publish` (an agent
 *   registry, a memory store, an event bus: this runtime has none), after the gate they raise a
 *   catchable `Error` saying so (and the attempt is in the audit log).
 */
import type { Approver } from "../gate/approval.js";
import type { GateDecision, PolicyGate } from "../gate/gate.js";
import { AGENT_TYPE } from "../../formats/policies-json.js";
import { DslError, formatLocation, type SourceLocation } from "../interpreter/errors.js";
import type { ActionCall } from "../interpreter/host.js";
import { randomUUID } from "node:crypto";
import { BUILTIN_ACTIONS } from "../../stdlib/index.js";
import { display, isList, isMap, list, map, record, typeNameOf, type Value } from "../interpreter/values.js";
import type { AuditSink } from "./audit-sink.js";
import { toRequestJson, type RequestJson } from "./request-json.js";
import { STRICT, type Enforcement } from "./enforcement.js";

/**
 * Runs a peer agent with a message as its input, as the child run `runId` (decided before the
 * call so that policies can see it as `agent.id`); resolves to its result.
 */
export type PeerRunner = (
  agent: string,
  message: Value,
  loc: SourceLocation,
  runId: string,
  signal?: AbortSignal,
) => Promise<Value>;

export interface ActionRunnerOptions {
  agent: string;
  gate: PolicyGate;
  approver: Approver;
  audit: AuditSink;
  signal: AbortSignal;
  /** Peer agents of this run, when there are any. */
  peers?: { names: ReadonlySet<string>; run: PeerRunner };
  /** Whether a denial stops the action (strict, the default) or is only recorded (log_only: enforcement.ts). */
  enforcement?: Enforcement;
  /**
   * Runs `llm_call` / `reason` after their gate decision; returns undefined when no model is
   * configured for the agent (the call then fails as unavailable).
   */
  model?: (call: ActionCall, loc: SourceLocation) => Promise<Value> | undefined;
}

/** Actions whose target is another agent (the Cedar resource is the agent). */
const INTER_AGENT = new Set(["delegate", "ask", "send_to"]);

/** Builtins that call the model. */
const MODEL_BUILTINS: ReadonlySet<string> = new Set(["llm_call", "reason"]);

/** Why each builtin this runtime cannot perform is unavailable. */
const UNAVAILABLE: Readonly<Record<string, string>> = {
  llm_call: "no model provider is configured for this runtime",
  reason: "no model provider is configured for this runtime",
  spawn_agent: "this runtime runs compiled agents only; it cannot register new agents at run time",
  memory_search: "this runtime has no memory store",
  memory_write: "this runtime has no memory store",
  publish: "this runtime has no event bus",
};

/** Every governed builtin this module handles (a test checks it against the stdlib table). */
export const GOVERNED_BUILTINS: ReadonlySet<string> = new Set([
  "delegate",
  "ask",
  "send_to",
  "parallel",
  "race",
  "request_approval",
  ...Object.keys(UNAVAILABLE),
]);

function requestArg(v: Value | undefined, name: string): RequestJson | undefined {
  if (v === undefined) return undefined;
  try {
    return toRequestJson(v, name);
  } catch {
    return undefined;
  }
}

/**
 * The target of an inter-agent call as its policies see it (the stdlib's AgentInfo, the binder
 * of `delegate(agent)`): its name, the id of the run it will be, and whether an AgentPin
 * credential verified — never here: this runtime does not verify AgentPin credentials.
 */
export function agentInfo(name: string, runId: string): Record<string, RequestJson> {
  return { name, id: runId, agentpin_verified: false };
}

/**
 * The request arguments of a built-in action: its binder (stdlib `action` entry, e.g.
 * `use_llm(prompt)`, `spawn_agent(agent)`) bound to the call's target value; an AgentInfo binder
 * gets the agent's record.
 */
function binderArgs(action: string, target: Value | undefined): Record<string, RequestJson> {
  const binder = BUILTIN_ACTIONS.get(action)?.binders[0];
  if (!binder) return {};
  const [name, type] = binder;
  if (type === "AgentInfo") return typeof target === "string" ? { [name]: agentInfo(target, "") } : {};
  const j = requestArg(target, name);
  return j === undefined || j === null ? {} : { [name]: j };
}

function binderResource(action: string, target: Value | undefined): { type: string; id: string } | undefined {
  return BUILTIN_ACTIONS.get(action)?.resource === "agent" && typeof target === "string"
    ? { type: AGENT_TYPE, id: target }
    : undefined;
}

export class ActionRunner {
  constructor(private readonly o: ActionRunnerOptions) {}

  private denied(d: GateDecision, action: string, loc: SourceLocation, reason = d.reason): DslError {
    return new DslError("PolicyDenied", `\`${action}\` was denied: ${reason}`, loc, {
      rule: d.rules[0]!,
      reason,
      details: { action, rules: list(d.rules), locations: list(d.locations.filter((l) => l !== "")) },
    });
  }

  /** Gate (+ approval) for one action; throws PolicyDenied. */
  private async authorize(
    builtin: string,
    action: string,
    args: Record<string, RequestJson>,
    resource: { type: string; id: string } | undefined,
    loc: SourceLocation,
  ): Promise<void> {
    const d = this.o.gate.decide({ action, args, ...(resource ? { resource } : {}) });
    const enforcement = this.o.enforcement ?? STRICT;
    const denies = d.decision === "deny";
    this.o.audit.emit("decision", {
      action,
      builtin,
      decision: d.decision,
      rules: d.rules,
      locations: d.locations,
      reason: d.reason,
      error: d.error,
      args,
      location: formatLocation(loc),
      ...enforcement.decisionFields(d, denies),
    });
    if (denies && enforcement.stops(d, action, this.o.agent)) throw this.denied(d, action, loc);
    if (d.decision === "require_approval") {
      const a = await this.o.approver.approve(
        { agent: this.o.agent, tool: action, args, rules: d.rules, reason: d.reason },
        this.o.signal,
      );
      this.o.audit.emit("approval", {
        action,
        builtin,
        approved: a.approved,
        approver: a.approver,
        answer: a.answer,
        rules: d.rules,
        mode: this.o.approver.mode,
      });
      if (!a.approved)
        throw this.denied(
          { ...d, decision: "deny" },
          action,
          loc,
          `approval required (${d.reason}) and not given: ${a.answer}`,
        );
    }
  }

  private peerName(v: Value | undefined, builtin: string, loc: SourceLocation): string {
    if (typeof v !== "string")
      throw new DslError(
        "RuntimeError",
        `\`${builtin}\` needs the target agent's name as a String, not ${typeNameOf(v ?? null)}`,
        loc,
      );
    return v;
  }

  private peer(name: string, builtin: string, loc: SourceLocation): NonNullable<ActionRunnerOptions["peers"]> {
    const peers = this.o.peers;
    if (!peers || !peers.names.has(name)) {
      const msg = `\`${builtin}\`: agent \`${name}\` is not available to this run${peers && peers.names.size ? ` (available: ${[...peers.names].sort().join(", ")})` : " (run a .symbi file or build folder that holds it)"}`;
      this.o.audit.emit("error", { kind: "Error", message: msg, location: formatLocation(loc) });
      throw new DslError("Error", msg, loc);
    }
    return peers;
  }

  async run(call: ActionCall, loc: SourceLocation): Promise<Value> {
    const { builtin, action } = call;
    if (INTER_AGENT.has(builtin)) {
      const target = this.peerName(call.target, builtin, loc);
      const childRun = randomUUID();
      await this.authorize(
        builtin,
        action,
        { agent: agentInfo(target, childRun) },
        { type: AGENT_TYPE, id: target },
        loc,
      );
      const peers = this.peer(target, builtin, loc);
      const message = call.args.get("message") ?? null;
      if (builtin === "send_to") {
        await peers.run(target, message, loc, childRun);
        return null;
      }
      const result = await peers.run(target, message, loc, childRun);
      return builtin === "ask" ? display(result) : result;
    }
    if (builtin === "parallel" || builtin === "race") return this.fanOut(builtin, action, call.target, loc);
    if (builtin === "request_approval") return this.requestApproval(action, call.target ?? null, loc);
    const why = UNAVAILABLE[builtin];
    if (why === undefined)
      throw new DslError("RuntimeError", `\`${builtin}\` is not a governed builtin this runtime knows`, loc);
    await this.authorize(builtin, action, binderArgs(action, call.target), binderResource(action, call.target), loc);
    const answer = MODEL_BUILTINS.has(builtin) ? this.o.model?.(call, loc) : undefined;
    if (answer) return answer;
    const msg = `\`${builtin}\` is not available: ${why}`;
    this.o.audit.emit("error", { kind: "Error", message: msg, location: formatLocation(loc) });
    throw new DslError("Error", msg, loc);
  }

  /** `request_approval`: the gate decides whether asking is allowed; then the approver answers. */
  private async requestApproval(action: string, request: Value, loc: SourceLocation): Promise<Value> {
    const req = requestArg(request, "request") ?? display(request);
    await this.authorize("request_approval", action, { request: req }, undefined, loc);
    const token = randomUUID();
    const a = await this.o.approver.approve(
      {
        agent: this.o.agent,
        tool: "request_approval",
        args: { request: req },
        rules: [],
        reason: "the agent asks for a human approval",
      },
      this.o.signal,
    );
    this.o.audit.emit("approval", {
      action,
      builtin: "request_approval",
      approved: a.approved,
      approver: a.approver,
      answer: a.answer,
      token,
      request: req,
      mode: this.o.approver.mode,
      location: formatLocation(loc),
    });
    return record({ verified: a.approved, expired: false, approver: a.approver, reason: a.answer, token });
  }

  /** `parallel` / `race`: every target is decided first; then all run at once. */
  private async fanOut(
    builtin: "parallel" | "race",
    action: string,
    tasksValue: Value | undefined,
    loc: SourceLocation,
  ): Promise<Value> {
    if (!isList(tasksValue ?? null))
      throw new DslError("RuntimeError", `\`${builtin}\` needs a list of {agent, message} records`, loc);
    const tasks = (tasksValue as { items: Value[] }).items.map((t, i) => {
      if (!isMap(t))
        throw new DslError("RuntimeError", `task ${i} of \`${builtin}\` must be an {agent, message} record`, loc);
      return { agent: this.peerName(t.entries.get("agent"), builtin, loc), message: t.entries.get("message") ?? null };
    });
    if (builtin === "race" && tasks.length === 0) throw new DslError("Error", "`race` needs at least one task", loc);
    const runs = tasks.map(() => randomUUID());
    for (const [i, t] of tasks.entries())
      await this.authorize(
        builtin,
        action,
        { agent: agentInfo(t.agent, runs[i]!) },
        { type: AGENT_TYPE, id: t.agent },
        loc,
      );
    const peers = tasks.map((t) => this.peer(t.agent, builtin, loc));
    if (builtin === "race") {
      // The first to finish decides; the others are cancelled (their sandboxes killed).
      const losers = new AbortController();
      const signal = AbortSignal.any([losers.signal, this.o.signal]);
      const pending = tasks.map((t, i) => peers[i]!.run(t.agent, t.message, loc, runs[i]!, signal));
      try {
        return display(await Promise.race(pending));
      } finally {
        losers.abort(new DslError("Error", "another task of `race` finished first", loc));
        await Promise.allSettled(pending);
      }
    }
    const settled = await Promise.allSettled(tasks.map((t, i) => peers[i]!.run(t.agent, t.message, loc, runs[i]!)));
    return list(
      settled.map((s) => {
        if (s.status === "fulfilled") return s.value;
        if (s.reason instanceof DslError) return map([["error", s.reason.message]]);
        throw s.reason; // fatal errors end the run
      }),
    );
  }
}
