/**
 * One tool call, end to end (DESIGN §8):
 *
 *   arguments bound to the contract → validated (types, enums, patterns, ranges, no shell
 *   metacharacters) → argv built from the template (no shell) → policy gate → approval if
 *   required → sandbox of the current `with` block → stdout/stderr captured with a size cap →
 *   output parsed per the contract → typed value
 *
 * and every step that matters is audited: the decision (with the DSL rule ids), the approval,
 * the tool's start and end (exit code, duration, output hash), and errors. The tool never
 * starts unless the gate allowed it (and a person approved, when required).
 *
 * `invoke_tool(tool)` policies (the stdlib's "any tool call, checked besides the tool's own
 * action"): when a policy names `invoke_tool`, every call is also decided as `invoke_tool` with
 * the tool described from its contract (ToolInfo); a matching deny — or a policy that cannot be
 * evaluated — denies the call, a matching approval policy asks. Without a matching rule the
 * tool's own decision stands, unless an allow rule names `invoke_tool`: then those rules are an
 * allow-list and a tool none of them allows is denied (run.ts MetaActionMode).
 *
 * Failures agent code can handle are DslErrors: ArgumentError (bad arguments), PolicyDenied
 * (denied, or approval refused), ToolError (non-zero exit, output that does not parse or was
 * cut at the cap), Timeout (the tool's own `timeout_seconds`). A sandbox that cannot run, the
 * run's deadline and an unwritable audit log are FatalErrors: they end the run.
 */
import { createHash } from "node:crypto";
import type { ToolContract } from "../../compiler/contracts/model.js";
import {
  validateToolArgs,
  buildCommand,
  parseToolOutput,
  prepareOutputSchema,
  ToolArgvError,
  type ValidatedArgs,
} from "../tools/index.js";
import { isSandboxError, SandboxAbortedError } from "../sandbox/errors.js";
import { DEFAULT_MAX_OUTPUT_BYTES, type SandboxRunResult } from "../sandbox/types.js";
import { DEFAULT_DENY, isDefaultDeny, type PolicyGate, type GateDecision } from "../gate/gate.js";
import type { Approver } from "../gate/approval.js";
import type { Budget } from "../interpreter/budget.js";
import { DslError, FatalError, formatLocation, type SourceLocation } from "../interpreter/errors.js";
import type { ToolCallArgs } from "../interpreter/host.js";
import { fromJson, isDuration, isFloat, isOption, list, typeNameOf, type Value } from "../interpreter/values.js";
import type { AuditSink } from "./audit-sink.js";
import type { SandboxPool } from "./sandboxes.js";
import { STRICT, type Enforcement } from "./enforcement.js";
import { CallRequirements, RateLedger, type RequirementRefusal } from "./requirements.js";
import type { McpServers } from "../mcp/servers.js";
import { callMcpTool } from "./mcp-call.js";
import type { ToolDoubles } from "./tool-double.js";

export interface ToolCallerOptions {
  agent: string;
  contracts: ReadonlyMap<string, ToolContract>;
  gate: PolicyGate;
  approver: Approver;
  sandboxes: SandboxPool;
  audit: AuditSink;
  budget: Budget;
  /** Aborted when the run ends early (deadline, Ctrl-C): kills a running tool. */
  signal: AbortSignal;
  /** Cap on captured stdout and on stderr, each (default 1 MiB). */
  maxOutputBytes?: number;
  /** Directory `credential_file` arguments are relative to. */
  baseDir?: string;
  /**
   * Trusted facts about argument values, supplied by the deployment (`--facts`): value → record.
   * A call's `context.facts.<arg>` is the record for that argument's value, when there is one.
   */
  facts?: ReadonlyMap<string, Record<string, unknown>>;
  /** Some policy names `invoke_tool`: decide it for every call too (see below). */
  checkInvokeTool?: boolean;
  /** An allow rule names `invoke_tool`: a call that no `invoke_tool` rule allows is denied. */
  invokeToolAllowList?: boolean;
  /** Whether a denial stops the call (strict, the default) or is only recorded (log_only: enforcement.ts). */
  enforcement?: Enforcement;
  /** The run's MCP servers, started and checked (tools whose contract has `mcp`). */
  mcp?: McpServers;
  /** Answers declared by a test in place of running tools (tool-double.ts); never set by `symbi exec`. */
  doubles?: ToolDoubles;
  /** Where rate limits count admitted calls (shared by the execution's runs, seeded from its log). */
  rates?: RateLedger;
}

const STDERR_TAIL = 2000;

/** A sandbox run's result, with what the outcome step needs to know about the sandbox. */
type RunOutcome = SandboxRunResult & { deadlineBound: boolean; memoryMb: number };

function sha256Hex(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

/** A DSL value as a tool argument: text, numbers and booleans; Some(x) is x; None / null mean "not given". */
function argValue(v: Value, name: string, tool: string, loc: SourceLocation): string | number | boolean | undefined {
  if (v === null) return undefined;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (isFloat(v)) return v.value;
  if (isOption(v)) return v.value === undefined ? undefined : argValue(v.value, name, tool, loc);
  if (isDuration(v)) return v.ms % 1000 === 0 ? v.ms / 1000 : `${v.ms}ms`;
  throw new DslError(
    "ArgumentError",
    `argument \`${name}\` of \`${tool}\` must be a String, int, float, bool or Duration, not ${typeNameOf(v)}`,
    loc,
    { details: { tool } },
  );
}

/**
 * A tool as `invoke_tool(tool)` policies see it (the stdlib's ToolInfo), from its contract.
 * `schema_verified`: the tool's SchemaPin signature verified when the run started (MCP tools:
 * runtime/mcp/servers.ts); false otherwise.
 */
export function toolInfo(
  c: ToolContract,
  schemaVerified = false,
): {
  name: string;
  risk_tier: string;
  human_approval: boolean;
  schema_verified: boolean;
  requires_elevated: boolean;
} {
  return {
    name: c.name,
    risk_tier: c.riskTier,
    human_approval: c.humanApproval,
    schema_verified: schemaVerified,
    requires_elevated: c.riskTier === "high",
  };
}

/**
 * The arguments as the policies read them: the validated values, with durations in
 * milliseconds (the validator gives whole seconds, which the tool receives; a policy's `30s` is
 * 30000 — compiler/emit/README.md "Guards → Cedar").
 */
export function gateArgs(contract: ToolContract, validated: ValidatedArgs): ValidatedArgs {
  let out: ValidatedArgs | undefined;
  for (const a of contract.args) {
    const v = validated[a.name];
    if (a.baseType !== "duration" || typeof v !== "number") continue;
    (out ??= { ...validated })[a.name] = v * 1000;
  }
  return out ?? validated;
}

/** One gate decision made for a tool call: the tool's own action, or `invoke_tool` (see above). */
export interface CallDecisionStep {
  /** The tool's own action, `invoke_tool`, or a `require` setting that bounds calls (requirements.ts). */
  kind: "tool" | "invoke_tool" | "requirement";
  /** The action decided: the tool's name, or `invoke_tool`. */
  action: string;
  decision: GateDecision;
  /**
   * Whether this decision refuses the call: any deny of the tool's own action or of a
   * requirement; a deny of `invoke_tool` that a rule made, or any when its rules are an allow-list.
   */
  refuses: boolean;
}

export interface ToolCallDecision {
  /** The decisions made, in order. */
  steps: CallDecisionStep[];
  /** The step that stopped the call, when `onStep` said it stops (strict enforcement). */
  refusedBy?: CallDecisionStep;
  /** The decision that stands when nothing stopped the call (require_approval may come from `invoke_tool`). */
  decision: GateDecision;
  /** A person must approve before the tool runs: the gate said so, or the contract sets `human_approval`. */
  approval?: { rules: string[]; reason: string };
}

/**
 * The policy decisions of one tool call with validated arguments, as `symbi exec` makes them:
 * the tool's own action, then — when some policy names `invoke_tool` — `invoke_tool`, then the
 * `require` settings that bound calls, then whether a person must approve. `onStep` sees each decision as it is made and says
 * whether it stops the call (the runtime: audit, then the enforcement mode; `symbic test`:
 * every refusal stops). The one place this sequence is written.
 */
export function decideToolCall(
  gate: PolicyGate,
  contract: ToolContract,
  validated: ValidatedArgs,
  o: {
    facts?: Record<string, unknown>;
    checkInvokeTool: boolean;
    /** An allow rule names `invoke_tool`: a tool none of its rules allows is refused. */
    invokeToolAllowList?: boolean;
    requirements?: { check(action: string, args: Record<string, unknown>): RequirementRefusal | undefined };
    /** The tool's SchemaPin signature verified at run start (MCP tools): `tool.schema_verified`. */
    schemaVerified?: boolean;
  },
  onStep: (step: CallDecisionStep) => boolean,
): ToolCallDecision {
  const name = contract.name;
  let decision = gate.decide({
    action: name,
    args: gateArgs(contract, validated),
    ...(o.facts ? { facts: o.facts } : {}),
  });
  const first: CallDecisionStep = { kind: "tool", action: name, decision, refuses: decision.decision === "deny" };
  const steps = [first];
  if (onStep(first)) return { steps, refusedBy: first, decision };
  if (o.checkInvokeTool) {
    const d = gate.decide({ action: "invoke_tool", args: { tool: toolInfo(contract, o.schemaVerified === true) } });
    // A default deny (no rule about this tool) refuses only when the rules are an allow-list.
    const step: CallDecisionStep = {
      kind: "invoke_tool",
      action: "invoke_tool",
      decision: d,
      refuses: d.decision === "deny" && (o.invokeToolAllowList === true || !isDefaultDeny(d)),
    };
    steps.push(step);
    if (onStep(step)) return { steps, refusedBy: step, decision: d };
    if (d.decision === "require_approval" && decision.decision !== "require_approval") decision = d;
  }
  // The `require` settings that bound calls, before anyone is asked to approve.
  const refusal = o.requirements?.check(name, validated);
  if (refusal) {
    const d: GateDecision = { decision: "deny", rules: [refusal.rule], locations: [], reason: refusal.reason };
    const step: CallDecisionStep = { kind: "requirement", action: name, decision: d, refuses: true };
    steps.push(step);
    if (onStep(step)) return { steps, refusedBy: step, decision: d };
  }
  if (decision.decision === "require_approval")
    return { steps, decision, approval: { rules: decision.rules, reason: decision.reason } };
  if (contract.humanApproval)
    return {
      steps,
      decision,
      approval: {
        rules: [`${name}.contract.human_approval`],
        reason: `the contract of \`${name}\` sets human_approval = true`,
      },
    };
  return { steps, decision };
}

export class ToolCaller {
  private readonly maxOutput: number;

  private readonly enforcement: Enforcement;
  /** The `require` settings enforced on calls: rates, data sizes, per-request timeouts, approval expiry. */
  private readonly requirements: CallRequirements;

  constructor(private readonly o: ToolCallerOptions) {
    this.maxOutput = o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.enforcement = o.enforcement ?? STRICT;
    this.requirements = new CallRequirements(o.gate.policies.policiesJson.settings, o.rates ?? new RateLedger());
  }

  /** The deployment's facts about this call's argument values, by argument name (undefined when none). */
  private factsFor(args: ValidatedArgs): Record<string, unknown> | undefined {
    const table = this.o.facts;
    if (!table || table.size === 0) return undefined;
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(args)) {
      const f = table.get(String(v));
      if (f !== undefined) (out ??= {})[k] = f;
    }
    return out;
  }

  /** Runs the call in the sandbox of the current `with` block. */
  private async runSandboxed(
    contract: ToolContract,
    argv: string[],
    loc: SourceLocation,
    perRequest: { ms: number } | undefined,
    admit: () => string[],
  ): Promise<RunOutcome> {
    const o = this.o;
    const name = contract.name;
    const driver = o.sandboxes.driverFor(contract);
    const remaining = o.budget.remainingMs();
    const toolTimeout = Math.min(contract.timeoutSeconds * 1000, perRequest?.ms ?? Infinity);
    const timeoutMs = Math.max(1, Math.min(toolTimeout, remaining, driver.manifest.timeoutMs));
    const deadlineBound = remaining < toolTimeout && remaining < driver.manifest.timeoutMs;
    const image = driver.imageIdentity?.() ?? null;
    const rateKeys = admit();
    o.audit.emit("tool_start", {
      tool: name,
      argv,
      sandbox: driver.tier,
      image: image?.reference ?? driver.manifest.image,
      imageId: image?.id ?? undefined,
      imageDigest: image?.digest ?? undefined,
      timeoutMs: Math.round(timeoutMs),
      location: formatLocation(loc),
      rateKeys: rateKeys.length > 0 ? rateKeys : undefined,
    });
    try {
      const r = await driver.run({
        argv,
        signal: o.signal,
        maxOutputBytes: this.maxOutput,
        timeoutMs,
        whileRunning: () => prepareOutputSchema(contract),
      });
      return { ...r, deadlineBound, memoryMb: driver.manifest.limits.memoryMb };
    } catch (e) {
      if (e instanceof SandboxAbortedError) {
        const reason = o.signal.reason;
        const fatal =
          reason instanceof FatalError
            ? reason
            : new FatalError("Aborted", "the run was cancelled while a tool was running", loc);
        fatal.location ??= loc;
        this.o.audit.emit("tool_end", {
          tool: name,
          exitCode: null,
          durationMs: 0,
          outputSha256: sha256Hex(""),
          aborted: true,
        });
        throw fatal;
      }
      if (isSandboxError(e)) {
        this.error("SandboxError", e.message, loc, name);
        throw new FatalError("SandboxError", `tool \`${name}\` could not run: ${e.message}`, loc, { cause: e });
      }
      throw e;
    }
  }

  /**
   * A call of a tool whose contract the bundle does not carry (the compiler ships the contract of
   * every tool the agent's code calls, so only a bundle made otherwise gets here): nothing can
   * allow it, so it is denied by default and audited like any other decision; it never runs.
   */
  private denyUncontracted(name: string, loc: SourceLocation): never {
    const d: GateDecision = {
      decision: "deny",
      rules: [DEFAULT_DENY],
      locations: [""],
      reason: `no policy can allow \`${name}\`: the bundle carries no contract for it (default deny)`,
    };
    this.o.audit.emit("decision", {
      action: name,
      decision: d.decision,
      rules: d.rules,
      locations: [],
      reason: d.reason,
      location: formatLocation(loc),
      ...this.enforcement.decisionFields(d, true),
    });
    if (this.enforcement.stops(d, name, this.o.agent)) throw this.denied(d, name, loc);
    const msg = `\`${name}\` cannot run: the bundle carries no contract for it`;
    this.error("ToolError", msg, loc, name);
    throw new DslError("ToolError", msg, loc, { details: { tool: name } });
  }

  /** Binds call arguments to the contract's arguments: positional in `position` order, then by name. */
  private bind(contract: ToolContract, args: ToolCallArgs, loc: SourceLocation): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    if (args.positional.length > contract.args.length) {
      throw new DslError(
        "ArgumentError",
        `\`${contract.name}\` takes ${contract.args.length} argument${contract.args.length === 1 ? "" : "s"}, ${args.positional.length} given`,
        loc,
        { details: { tool: contract.name } },
      );
    }
    args.positional.forEach((v, i) => {
      const spec = contract.args[i]!;
      const a = argValue(v, spec.name, contract.name, loc);
      if (a !== undefined) out[spec.name] = a;
    });
    for (const [k, v] of args.named) {
      const i = contract.args.findIndex((a) => a.name === k);
      if (i >= 0 && i < args.positional.length)
        throw new DslError("ArgumentError", `argument \`${k}\` of \`${contract.name}\` is given twice`, loc, {
          details: { tool: contract.name },
        });
      const a = argValue(v, k, contract.name, loc);
      if (a !== undefined)
        out[k] = a; // unknown names are reported by validateToolArgs
      else if (i < 0) out[k] = null;
    }
    return out;
  }

  private error(kind: string, message: string, loc: SourceLocation, tool: string): void {
    this.o.audit.emit("error", { kind, message, location: formatLocation(loc), tool });
  }

  private denied(d: GateDecision, tool: string, loc: SourceLocation, reason = d.reason): DslError {
    const rule = d.rules[0]!;
    return new DslError("PolicyDenied", `\`${tool}\` was denied: ${reason}`, loc, {
      rule,
      reason,
      details: { action: tool, rules: list(d.rules), locations: list(d.locations.filter((l) => l !== "")) },
    });
  }

  /** A test's double answers the call (tool-double.ts); a call it does not answer ends the run. */
  private runDouble(
    doubles: ToolDoubles,
    name: string,
    validated: ValidatedArgs,
    argv: string[],
    loc: SourceLocation,
  ): RunOutcome {
    this.o.audit.emit("tool_start", { tool: name, argv, sandbox: "double", location: formatLocation(loc) });
    const a = doubles.answer(name, validated);
    if ("missing" in a) {
      this.error("SandboxError", a.missing, loc, name);
      throw new FatalError("SandboxError", `tool \`${name}\` has no double for this call: ${a.missing}`, loc);
    }
    const cap = (t: string) => (Buffer.byteLength(t) > this.maxOutput ? t.slice(0, this.maxOutput) : t);
    return {
      exitCode: a.exitCode ?? 0,
      signal: null,
      stdout: cap(a.stdout),
      stderr: cap(a.stderr ?? ""),
      stdoutTruncated: Buffer.byteLength(a.stdout) > this.maxOutput,
      stderrTruncated: Buffer.byteLength(a.stderr ?? "") > this.maxOutput,
      durationMs: 0,
      timedOut: false,
      oomKilled: false,
      sandbox: { tier: "process", id: "double" },
      deadlineBound: false,
      memoryMb: 0,
    };
  }

  /** What the MCP call path (mcp-call.ts) shares with this one: the gate, approval, audit, errors. */
  private mcpSteps() {
    return {
      options: this.o,
      maxOutputBytes: this.maxOutput,
      requirements: this.requirements,
      decide: (c: ToolContract, v: ValidatedArgs, loc: SourceLocation) => this.decide(c, v, loc),
      error: (kind: string, message: string, loc: SourceLocation, tool: string) => this.error(kind, message, loc, tool),
    };
  }

  /**
   * The decisions of a contract's or an MCP tool's call (decideToolCall, the sequence `symbic
   * test` shares), audited and enforced, then approval when required.
   */
  private async decide(contract: ToolContract, validated: ValidatedArgs, loc: SourceLocation): Promise<void> {
    const o = this.o;
    const name = contract.name;
    const facts = this.factsFor(validated);
    const decided = decideToolCall(
      o.gate,
      contract,
      validated,
      {
        ...(facts ? { facts } : {}),
        checkInvokeTool: o.checkInvokeTool === true,
        invokeToolAllowList: o.invokeToolAllowList === true,
        requirements: this.requirements,
        schemaVerified: o.mcp?.schemaVerified(name) ?? false,
      },
      (step) => {
        o.audit.emit("decision", {
          action: step.action,
          ...(step.kind === "invoke_tool" ? { tool: name } : {}),
          decision: step.decision.decision,
          rules: step.decision.rules,
          ...(step.kind === "requirement" ? {} : { locations: step.decision.locations }),
          reason: step.decision.reason,
          error: step.decision.error,
          ...(step.kind === "requirement" ? { requirement: true } : {}),
          ...(step.kind === "tool" ? { args: validated } : {}),
          location: formatLocation(loc),
          ...this.enforcement.decisionFields(step.decision, step.refuses),
        });
        return step.refuses && this.enforcement.stops(step.decision, step.action, o.agent);
      },
    );
    if (decided.refusedBy) throw this.denied(decided.refusedBy.decision, name, loc);
    const decision = decided.decision;
    if (decided.approval) {
      const { rules, reason } = decided.approval;
      const asked = performance.now();
      let answer = await o.approver.approve({ agent: o.agent, tool: name, args: validated, rules, reason }, o.signal);
      const expiry = this.requirements.approvalExpiry(name);
      const waited = performance.now() - asked;
      if (answer.approved && expiry && waited > expiry.ms)
        answer = {
          ...answer,
          approved: false,
          answer: `the approval came after ${Math.round(waited)} ms, later than approval_expiry ${expiry.text} (${expiry.rule})`,
        };
      o.audit.emit("approval", {
        action: name,
        approved: answer.approved,
        approver: answer.approver,
        answer: answer.answer,
        rules,
        mode: o.approver.mode,
      });
      o.budget.checkTime(() => loc);
      if (!answer.approved) {
        throw this.denied(
          { ...decision, rules, decision: "deny" },
          name,
          loc,
          `approval required (${reason}) and not given: ${answer.answer}`,
        );
      }
    }
  }

  async call(name: string, args: ToolCallArgs, loc: SourceLocation): Promise<Value> {
    const o = this.o;
    const contract = o.contracts.get(name);
    if (!contract) return this.denyUncontracted(name, loc);
    o.budget.checkTime(() => loc);
    if (contract.mcp) return callMcpTool(this.mcpSteps(), contract, args, loc);

    // 1. Arguments.
    let validated: ValidatedArgs;
    let argv: string[];
    let outputFile: string | undefined;
    try {
      const bound = this.bind(contract, args, loc);
      const v = validateToolArgs(contract, bound, o.baseDir !== undefined ? { baseDir: o.baseDir } : {});
      if (!v.ok) {
        const msg = v.errors.map((e) => (e.arg ? `\`${e.arg}\`: ${e.message}` : e.message)).join("; ");
        throw new DslError("ArgumentError", `invalid arguments for \`${name}\`: ${msg}`, loc, {
          details: { tool: name },
        });
      }
      validated = v.args;
      const built = buildCommand(contract, validated);
      argv = built.argv;
      outputFile = built.outputFile;
    } catch (caught) {
      const e =
        caught instanceof ToolArgvError
          ? new DslError("ArgumentError", `cannot build the command of \`${name}\`: ${caught.message}`, loc, {
              details: { tool: name },
            })
          : caught;
      if (e instanceof DslError) this.error(e.kind, e.message, loc, name);
      throw e;
    }
    if (outputFile !== undefined) {
      // The process tier cannot collect a file from inside the sandbox; refuse rather than return nothing.
      const msg = `\`${name}\` writes its output to {_output_file}, which this runtime does not collect; use stdout`;
      this.error("ToolError", msg, loc, name);
      throw new DslError("ToolError", msg, loc, { details: { tool: name } });
    }

    // 2. Policy gate (the tool's own action, then `invoke_tool` when policies name it), then approval.
    await this.decide(contract, validated, loc);

    // 3. Sandbox (or the test's double).
    const perRequest = this.requirements.timeout(name);
    const admit = () => this.requirements.admit(name, validated);
    const r = o.doubles
      ? (admit(), this.runDouble(o.doubles, name, validated, argv, loc))
      : await this.runSandboxed(contract, argv, loc, perRequest, admit);
    const deadlineBound = r.deadlineBound;
    o.audit.emit("tool_end", {
      tool: name,
      exitCode: r.exitCode,
      signal: r.signal ?? undefined,
      durationMs: Math.round(r.durationMs * 1000) / 1000,
      outputSha256: sha256Hex(r.stdout),
      stdoutBytes: Buffer.byteLength(r.stdout),
      stderrBytes: Buffer.byteLength(r.stderr),
      stdoutTruncated: r.stdoutTruncated,
      timedOut: r.timedOut,
      oomKilled: r.oomKilled || undefined,
      memoryLimitMb: r.oomKilled ? r.memoryMb : undefined,
      sandboxId: r.sandbox.id,
    });

    // 4. Outcome.
    if (r.timedOut) {
      if (deadlineBound) throw o.budget.timeoutError(loc);
      const msg =
        perRequest && perRequest.ms < contract.timeoutSeconds * 1000
          ? `\`${name}\` was killed after timeout_per_request ${perRequest.text} (${perRequest.rule})`
          : `\`${name}\` was killed after its timeout of ${contract.timeoutSeconds}s`;
      this.error("Timeout", msg, loc, name);
      throw new DslError("Timeout", msg, loc, { details: { tool: name } });
    }
    if (r.oomKilled) {
      const msg = `\`${name}\` was killed for exceeding its memory limit of ${r.memoryMb} MiB`;
      this.error("ToolError", msg, loc, name);
      throw new DslError("ToolError", msg, loc, {
        details: { tool: name, memory_limit_mb: r.memoryMb, oom_killed: true },
      });
    }
    if (r.stdoutTruncated) {
      const msg = `\`${name}\` printed more than ${this.maxOutput} bytes; its output was cut and is not used`;
      this.error("ToolError", msg, loc, name);
      throw new DslError("ToolError", msg, loc, { details: { tool: name } });
    }
    const outputLimit = this.requirements.outputLimit(name);
    const outputBytes = Buffer.byteLength(r.stdout, "utf8");
    if (outputLimit && outputBytes > outputLimit.bytes) {
      const msg = `\`${name}\` printed ${outputBytes} bytes, more than max_data_size ${outputLimit.text} (${outputLimit.rule}); its output is not used`;
      this.error("ToolError", msg, loc, name);
      throw new DslError("ToolError", msg, loc, { details: { tool: name, rule: outputLimit.rule } });
    }
    const parsed = parseToolOutput(contract, r.stdout, {
      argv,
      exitCode: r.exitCode ?? -1,
      durationMs: r.durationMs,
      stderr: r.stderr.slice(-STDERR_TAIL),
    });
    if (!parsed.ok) {
      const msg = parsed.error ?? `\`${name}\` failed`;
      this.error("ToolError", msg, loc, name);
      throw new DslError("ToolError", msg, loc, {
        details: { tool: name, exit_code: r.exitCode, stderr: r.stderr.slice(-STDERR_TAIL) },
      });
    }
    return fromJson(parsed.value);
  }
}
