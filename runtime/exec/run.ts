/**
 * Running a compiled agent (DESIGN §8): `execAgent` takes a verified bundle and runs its first
 * `with` block under exactly what the bundle says — its policies (gate), its sandbox manifest,
 * its tool contracts, its timeout — with every action audited.
 *
 * Order (everything that can be refused is refused before the audit log is touched, so a bad
 * input, a missing key, a dead Docker daemon or a missing image leave no half-written run):
 *   0. the bundle is trusted: compiled here, or signed by a trusted   BundleError     exit 3
 *      key, or unsigned and the operator allowed that (trust.ts)
 *   1. inputs checked against the agent's parameter types            InputError      exit 3
 *      the skills the bundle pins read and compared with their pins  SkillPinError   exit 3
 *   2. trusted context checked; policies and schema loaded (once)    ContextError /  exit 3
 *                                                                    BundleError
 *   3. the signing key loaded                                        AuditError      exit 1
 *   4. every sandbox the run may use checked (engine, runtime, image) SandboxSetupError exit 1
 *      the MCP servers started, their tools compared with the pins  McpToolsChangedError exit 3
 *   5. the audit log opened (created, or verified from its last checkpoint)
 *   6. run_start … the agent's code … run_end, then the log is closed (signed checkpoint)
 *
 * The result: exit 0 with the agent's value; 2 when a PolicyDenied nobody caught ended the run;
 * 1 for any other error that ended it (runtime error, tool failure, timeout, budget, sandbox).
 */
import { RateLedger } from "./requirements.js";
import {
  applyAuditRequirements,
  auditRequirements,
  AuditSettingError,
  type AuditRequirements,
} from "./audit-requirements.js";
import { randomUUID } from "node:crypto";
import { loadPrivateKey } from "../audit/keys.js";
import { AuditLog } from "../audit/writer.js";
import { sha256Hex } from "../../formats/digest.js";
import { ExitCode } from "../../formats/exit-codes.js";
import { approverFor, type ApprovalMode, type Approver } from "../gate/approval.js";
import { GateLoadError, RESERVED_CONTEXT_KEYS, isDefaultDeny, type PolicyGate } from "../gate/gate.js";
import type { CreateSandboxOptions } from "../sandbox/index.js";
import { Budget, runHeapBaseline } from "../interpreter/budget.js";
import { Interpreter } from "../interpreter/evaluator.js";
import { DslError, FatalError, describeRunError, formatLocation, type SourceLocation } from "../interpreter/errors.js";
import type { ActionCall, InterpreterHost, ToolCallArgs } from "../interpreter/host.js";
import { stdlibRegistry } from "../interpreter/builtins/registry.js";
import {
  display,
  formatDuration,
  fromJson,
  JsonConversionError,
  list,
  toJson,
  type Json,
  type Value,
} from "../interpreter/values.js";
import type { ModelSetup } from "../model/setup.js";
import { ModelRun } from "../reason/service.js";
import { ActionRunner, agentInfo } from "./actions.js";
import { LogSink, NO_AUDIT, type AuditDetails, type AuditSink } from "./audit-sink.js";
import { BundleError } from "../../formats/bundle.js";
import { AGENT_TYPE } from "../../formats/policies-json.js";
import { policySetOf, type Bundle } from "./bundle.js";
import { loadPinnedSkills, type LoadedSkill, type SkillSignaturePolicy } from "./skills.js";
import { validateInputs } from "./inputs.js";
import { toRequestJson, type RequestJson } from "./request-json.js";
import { SandboxPool } from "./sandboxes.js";
import { escapeForTerminal } from "../terminal/escape.js";
import type { ToolDoubles } from "./tool-double.js";
import { ToolCaller, toolInfo } from "./tool-call.js";
import { trustBundle, unsignedWarning, type TrustPolicy, type TrustVerdict } from "./trust.js";
import { Enforcement, LogOnlySink, type EnforcementSetting } from "./enforcement.js";
import { runSandbox, type DefaultTier } from "./sandbox-settings.js";
import type { SandboxManifest } from "../../formats/sandbox-manifest.js";
import type { McpServers, McpServersOptions } from "../mcp/servers.js";
import type { SchemaPinVerifier } from "../../schemapin/verify.js";

/** The trusted context (`--context`) is unusable: exit 3. */
export class ContextError extends Error {
  override readonly name = "ContextError";
  readonly exitCode = ExitCode.CheckFailed;
}

/** How deep delegation may nest (a → b → c ...), so two agents delegating to each other stop. */
export const MAX_DELEGATION_DEPTH = 8;

/** A peer bundle loaded (and verified) only when the run first delegates to it; throws BundleError. */
export type PeerLoader = () => Bundle;

export interface ExecOptions {
  bundle: Bundle;
  /**
   * Other agents of the same project, by name (targets of `delegate`, `ask`, ...): a bundle, or
   * a loader called on first use — so a broken sibling bundle stops only a run that needs it.
   */
  peers?: ReadonlyMap<string, Bundle | PeerLoader>;
  /**
   * Which bundle signatures are trusted, and whether unsigned bundles may run (trust.ts).
   * Default: no key trusted, unsigned refused — only bundles compiled in this process run.
   */
  trust?: TrustPolicy;
  /** Where warnings go (an unsigned bundle runs, ...); default: stderr as `symbi: warning: ...`. */
  onWarning?: (message: string) => void;
  /** Policy enforcement mode and who set it (enforcement.ts); default strict. */
  enforcement?: EnforcementSetting;
  /** `[security] default_sandbox_tier`: the tier of `with` blocks that name none (sandbox-settings.ts). */
  defaultTier?: DefaultTier;
  /** `[security] network_isolation`: where it was set; a block whose sandbox allows network is refused. */
  networkIsolation?: string;
  /** Parsed `--input` (undefined: none given). */
  input?: unknown;
  /** Parsed `--context`: each key becomes a trusted context attribute. */
  context?: Record<string, unknown>;
  /**
   * Parsed `--facts`: trusted facts about argument values, supplied by the deployment (an
   * inventory, a classification service) — a JSON object mapping a value to a record of facts.
   * Policies read them as `context.facts.<arg>` (a binder used as an object: `data.contains_pii`).
   */
  facts?: Record<string, unknown>;
  /** `--approve` (default "none"). */
  approve?: ApprovalMode;
  /** Overrides the approver built from `approve` (tests, embedding). */
  approver?: Approver;
  /** `--audit-log` and `--key`: both or neither. */
  auditLog?: string;
  keyFile?: string;
  /**
   * Auditing turned off by the operator (`[security] audit_enabled = false`): where that was set,
   * and the log to record it in (run id, agent, bundle) when one is configured. Announced on
   * stderr at every run start.
   */
  auditDisabled?: { source: string; log?: string; keyFile?: string };
  maxSteps?: number;
  maxCallDepth?: number;
  /** Memory budget of the agent's values, in bytes (interpreter/budget.ts; default 512 MiB). */
  maxMemory?: number;
  maxOutputBytes?: number;
  sandbox?: CreateSandboxOptions;
  /** Cancels the run (Ctrl-C): running tools are killed; the run ends with "Aborted". */
  signal?: AbortSignal;
  /** Where `log` / `print` lines go (default: stderr, `[level] message`). */
  onLog?: (level: string, message: string, loc: SourceLocation) => void;
  /** Clock for `now()` (default Date.now). */
  now?: () => number;
  /** Directory `credential_file` tool arguments are relative to (default: the current directory). */
  baseDir?: string;
  /**
   * The model configuration (`[model]`, `--model`, `--record`): `llm_call` and `reason` run on it.
   * Without it they fail with "no model provider is configured".
   */
  model?: ModelSetup;
  /**
   * The project folder the skills an agent uses are read from (the `.symbi` file's project, or
   * the current directory's for a bundle); each is checked against the bundle's pin before the
   * run starts (skills.ts). Undefined: a bundle that pins skills is refused.
   */
  skillsRoot?: string;
  /** `[skills] require_signatures`: every skill must carry a valid SchemaPin signature (skills.ts). */
  skillSignatures?: SkillSignaturePolicy;
  /**
   * For agents with MCP tools (the bundle's `mcp.json`): how signed tools are verified (`[tools]`
   * of the configuration: runtime/cli/schemapin-options.ts), whether unsigned ones are refused,
   * and the environment `pass_env` / `bearer_token_env` read (default: this process's).
   */
  mcp?: {
    verifier: () => Promise<SchemaPinVerifier>;
    /** `[tofu]`: whether a key not pinned yet may be pinned at run start (default: it may). */
    firstUse?: McpServersOptions["firstUse"];
    requireSigned: boolean;
    env?: Readonly<Record<string, string | undefined>>;
    /** The working directory of process-tier servers (the project folder); default: the current directory. */
    projectDir?: string;
  };
  /**
   * Answers a test declares in place of running contract tools (tool-double.ts; `symbic test`
   * agent tests). With doubles no contract tool runs and no sandbox is checked for them; an
   * agent's MCP tools still call their servers (a test doubles those by serving them). Never set
   * by `symbi exec`.
   */
  toolDoubles?: ToolDoubles;
  /** Sees every audit event of the run and its child runs as it is made (tests assert on the decisions). */
  observe?: (event: { run: string; agent: string; type: string; details: AuditDetails }) => void;
}

export type RunStatus = "ok" | "error" | "denied" | "timeout";

export interface ExecResult {
  runId: string;
  status: RunStatus;
  exitCode: number;
  /** The agent's result as JSON (status "ok"). */
  value?: Json;
  /** The error that ended the run. */
  error?: DslError | FatalError;
  /** One line describing the error (`file:line:col: Kind: message`). */
  message?: string;
}

interface Prepared {
  bundle: Bundle;
  /** Why the bundle may run (recorded in run_start). */
  trust: TrustVerdict;
  /** The id of the run it was prepared for (policies see it as `context.context.run_id`). */
  runId: string;
  /**
   * The meta-actions (`invoke_tool`, `receive`) some policy names explicitly (directly or through
   * a group), and how: only those are decided besides the call's own action (MetaActionMode).
   */
  metaActions: ReadonlyMap<string, MetaActionMode>;
  inputs: Map<string, Value>;
  inputSha256: string;
  /** The run's trusted records (`--context`, completed by the runtime), as JSON. */
  trusted: Record<string, unknown>;
  gate: PolicyGate;
  /** The entry block's sandbox as it runs (the bundle's, raised to the configured default tier). */
  sandbox: SandboxManifest;
  /** The skills the bundle pins, read from the project and checked against their pins (skills.ts). */
  skills: LoadedSkill[];
  /** Set when the configured default tier raised the block's tier: where it was set. */
  tierFrom?: string;
  sandboxes: SandboxPool;
  /** The run's MCP servers, started and checked (agents with MCP tools). */
  mcp?: McpServers;
  /** What the agent's policies require of its audit records (audit-requirements.ts). */
  auditRequirements: AuditRequirements;
}

interface Shared {
  options: ExecOptions;
  enforcement: Enforcement;
  log: AuditLog | null;
  approver: Approver;
  facts: ReadonlyMap<string, Record<string, unknown>>;
  /** Rate limits' counts: every run of this execution, and the earlier runs in its log. */
  rates: RateLedger;
}

interface Parent {
  runId: string;
  /** The calling agent's name. */
  agent: string;
  depth: number;
  budget: Budget;
  signal: AbortSignal;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The meta-actions: decided besides a tool call (`invoke_tool`) or a message (`receive`). */
export const META_ACTIONS: readonly string[] = ["invoke_tool", "receive"];

/**
 * How a bundle's policies use a meta-action, read as users read them:
 * - "restrict": only deny and approval rules name it — a matching deny refuses, an approval asks,
 *   and without a matching rule the call's own decision stands;
 * - "allow-list": some allow rule names it (`allow: invoke_tool(tool) if tool.risk_tier == "low"`)
 *   — then the call goes ahead only when a rule allows it (default deny), besides the call's own
 *   action being allowed. An allow here never widens what the call's own action allows.
 */
export type MetaActionMode = "restrict" | "allow-list";

/** How the bundle's policies use each meta-action they name (the others are not decided). */
export function metaActionModes(bundle: Bundle): Map<string, MetaActionMode> {
  const out = new Map<string, MetaActionMode>();
  const pj = bundle.policies.policiesJson as { policies?: Array<{ actions?: unknown; effect?: unknown }> } | undefined;
  for (const p of pj?.policies ?? []) {
    if (!Array.isArray(p.actions)) continue;
    for (const a of META_ACTIONS) {
      if (!p.actions.includes(a)) continue;
      if (p.effect === "permit") out.set(a, "allow-list");
      else if (!out.has(a)) out.set(a, "restrict");
    }
  }
  return out;
}

/** The fields of the trusted `context` record the runtime sets itself (runTrustedRecords): whatever is given is replaced. */
export const RUNTIME_CONTEXT_FIELDS: readonly string[] = ["run_id", "agent", "time"];

/**
 * The trusted records of a run's decisions: `--context` as given, with `context.context`
 * completed by what the runtime knows (the stdlib's Context: run id, agent, time of the run
 * start — these cannot be set from outside — and `has_human_approval`, false unless the
 * operator's context says otherwise).
 */
export function runTrustedRecords(
  given: Record<string, unknown>,
  agent: string,
  runId: string,
  nowMs: number,
): Record<string, unknown> {
  const ctx = isObject(given.context) ? given.context : {};
  const now = new Date(nowMs).toISOString();
  return { ...given, context: { has_human_approval: false, ...ctx, run_id: runId, agent, time: now } };
}

function trustedContext(o: ExecOptions, agent: string, runId: string): Record<string, unknown> {
  return runTrustedRecords(o.context ?? {}, agent, runId, (o.now ?? Date.now)());
}

/** Steps 0, 1, 2 and 4 for one bundle. */
async function prepare(bundle: Bundle, input: unknown, o: ExecOptions, runId: string): Promise<Prepared> {
  const trust = trustBundle(bundle, o.trust ?? { keys: [] });
  const ir = bundle.ir;
  const inputs = validateInputs(
    ir.agent.params.map((p) => ({ name: p.local.name, type: p.type })),
    input,
    ir.types,
  );
  const skills = await loadPinnedSkills(bundle.files, bundle.origin, o.skillsRoot, o.skillSignatures);
  const inputJson: Record<string, unknown> = {};
  for (const [k, v] of inputs) {
    try {
      inputJson[k] = toRequestJson(v, `input.${k}`);
    } catch (e) {
      if (e instanceof JsonConversionError) throw new ContextError(e.message);
      throw e;
    }
  }
  if (o.context !== undefined && !isObject(o.context))
    throw new ContextError(
      "--context must be a JSON object (its keys become context attributes: user, session, system, ...)",
    );
  if (o.context !== undefined && o.context.context !== undefined && !isObject(o.context.context))
    throw new ContextError("--context: `context` must be a record");
  const trusted = trustedContext(o, bundle.agent, runId);
  for (const k of Object.keys(trusted)) {
    if (RESERVED_CONTEXT_KEYS.has(k))
      throw new ContextError(`--context may not set \`${k}\`: the runtime fills context.${k} itself`);
  }
  const sandboxCheck = startSandboxCheck(bundle, o);
  let gate: PolicyGate;
  try {
    gate = policySetOf(bundle).gate({ input: inputJson, trusted });
  } catch (e) {
    if (e instanceof GateLoadError) throw new BundleError(`${bundle.origin}: ${e.message}`);
    throw e;
  }
  const audited = auditRequirementsOf(bundle, gate, o);
  const { run, sandboxes } = await sandboxCheck();
  if (trust.status === "unsigned") warn(o, unsignedWarning(bundle, trust.allowedBy));
  // Last: the servers are started only when everything else was accepted (they are stopped at run end).
  const mcp = bundle.mcp
    ? // Loaded for agents with MCP tools only (the SDK and the servers' sandboxes: start-up).
      await (
        await import("../mcp/servers.js")
      ).McpServers.start({
        bundle: bundle.mcp,
        sandbox: run.manifest,
        ...(o.sandbox ? { sandboxOptions: o.sandbox } : {}),
        baseDir: o.mcp?.projectDir ?? process.cwd(),
        env: o.mcp?.env ?? process.env,
        verifier:
          o.mcp?.verifier ?? (() => Promise.reject(new Error("no SchemaPin verification is configured for this run"))),
        requireSigned: o.mcp?.requireSigned ?? false,
        ...(o.mcp?.firstUse ? { firstUse: o.mcp.firstUse } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      })
    : undefined;
  return {
    bundle,
    trust,
    runId,
    metaActions: metaActionModes(bundle),
    inputs,
    inputSha256: sha256Hex(JSON.stringify(inputJson)),
    trusted,
    gate,
    sandbox: run.manifest,
    skills,
    ...(run.tierFrom !== undefined ? { tierFrom: run.tierFrom } : {}),
    sandboxes,
    ...(mcp ? { mcp } : {}),
    auditRequirements: audited,
  };
}

/**
 * Step 4's check that every tool's sandbox can run here; the function returned waits for it and
 * throws its errors, after the policies' and the audit settings' own, so they come in the order
 * of the steps. The process tier's check (a short child process probing the network namespace)
 * starts at once and runs while the policies load; a run refused meanwhile leaves it to finish
 * on its own. A container tier's check talks to the engine and, for tier2, runs a proof
 * container: it starts only when the function is called, once the run has been accepted.
 */
function startSandboxCheck(
  bundle: Bundle,
  o: ExecOptions,
): () => Promise<{ run: ReturnType<typeof runSandbox>; sandboxes: SandboxPool }> {
  let run: ReturnType<typeof runSandbox>;
  let sandboxes: SandboxPool;
  try {
    run = runSandbox(bundle, o);
    sandboxes = new SandboxPool(run.manifest, o.sandbox);
  } catch (e) {
    return () => Promise.reject(e as Error);
  }
  // With a test's doubles no tool runs in a sandbox, so none needs to be able to run here.
  const check = async () => {
    if (!o.toolDoubles) await sandboxes.checkAll([...bundle.contracts.values()].filter((c) => !c.mcp));
    return { run, sandboxes };
  };
  if (run.manifest.tier !== "process") return check;
  const checked = check();
  checked.catch(() => undefined); // thrown where it is awaited
  return () => checked;
}

/**
 * The agent's audit requirements; a run they require to be audited, or whose rate limits need
 * the log to count earlier runs' calls (requirements.ts RateLedger), is refused without a log (a
 * test run with tool doubles acts on nothing and is exempt).
 */
function auditRequirementsOf(bundle: Bundle, gate: PolicyGate, o: ExecOptions): AuditRequirements {
  let req: AuditRequirements;
  try {
    req = auditRequirements(gate.policies.policiesJson.settings);
  } catch (e) {
    if (e instanceof AuditSettingError) throw new BundleError(`${bundle.origin}: ${e.message}`);
    throw e;
  }
  const rateLimits = gate.policies.policiesJson.settings.filter(
    (s) => s.kind === "require" && "rate_limiting" in s.settings,
  );
  const why =
    rateLimits.length > 0
      ? `has rate limits (${rateLimits.map((s) => `${s.id} (${s.file}:${s.line})`).join(", ")}), which count calls across runs in the audit log`
      : req.requiredBy.length > 0
        ? `must be audited (${req.requiredBy.join(", ")})`
        : undefined;
  if (why !== undefined && o.auditLog === undefined && o.toolDoubles === undefined)
    throw new ContextError(
      `agent \`${bundle.agent}\` ${why}, but no audit log is configured${
        o.auditDisabled ? ` (security.audit_enabled = false, ${o.auditDisabled.source})` : ""
      }: pass --audit-log LOG --key KEY or set [security] audit_storage_path and audit_signing_key`,
    );
  return req;
}

function warn(o: ExecOptions, message: string): void {
  if (o.onWarning) o.onWarning(message);
  else process.stderr.write(`symbi: ${message.startsWith("warning:") ? "" : "warning: "}${message}\n`);
}

/**
 * Auditing is off: said on stderr, and — when a log is configured — in the log itself, so the
 * gap in the record is explained by a signed record naming the run and who turned auditing off.
 */
function recordAuditOff(o: ExecOptions, off: NonNullable<ExecOptions["auditDisabled"]>, p: Prepared): void {
  warn(o, `the audit log is OFF (security.audit_enabled = false, ${off.source}): run ${p.runId} is not recorded`);
  if (off.log === undefined || off.keyFile === undefined) return;
  const log = AuditLog.open(off.log, { privateKey: loadPrivateKey(off.keyFile) });
  try {
    log.append({
      run: p.runId,
      agent: p.bundle.agent,
      type: "audit_disabled",
      details: { setBy: off.source, bundle: p.bundle.origin, bundleSha256: p.bundle.sha256 },
    });
  } finally {
    log.close();
  }
}

/** `--facts` as a lookup table; anything but an object of records is refused (exit 3). */
function factsTable(facts: unknown): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (facts === undefined) return out;
  if (!isObject(facts))
    throw new ContextError("--facts must be a JSON object mapping argument values to records of facts");
  for (const [value, f] of Object.entries(facts)) {
    if (!isObject(f)) throw new ContextError(`--facts: the facts about ${JSON.stringify(value)} must be a record`);
    out.set(value, f);
  }
  return out;
}

/** Runs a compiled agent. Throws (before anything is recorded) for refused inputs, bundles, keys, logs and sandboxes. */
export async function execAgent(o: ExecOptions): Promise<ExecResult> {
  if ((o.auditLog === undefined) !== (o.keyFile === undefined)) {
    throw new ContextError(
      o.auditLog === undefined
        ? "--key needs --audit-log (the log to sign)"
        : "--audit-log needs --key (the private key that signs it; make one with: symbi keygen --out FILE)",
    );
  }
  const facts = factsTable(o.facts);
  const prepared = await prepare(o.bundle, o.input, o, randomUUID());
  let log: AuditLog | null;
  try {
    if (o.auditDisabled) recordAuditOff(o, o.auditDisabled, prepared);
    const key = o.keyFile !== undefined ? loadPrivateKey(o.keyFile) : undefined;
    log = o.auditLog !== undefined && key ? AuditLog.open(o.auditLog, { privateKey: key }) : null;
  } catch (e) {
    await prepared.mcp?.close(); // started in prepare; the run never begins
    throw e;
  }
  const enforcement = new Enforcement(o.enforcement ?? { mode: "strict", source: "default" }, (m) => warn(o, m));
  if (enforcement.logOnly)
    warn(
      o,
      `policy enforcement is log_only (${enforcement.setting.source}): denials are recorded in the audit log and NOT enforced`,
    );
  const shared: Shared = {
    options: o,
    enforcement,
    log,
    approver: o.approver ?? approverFor(o.approve ?? "none"),
    facts,
    rates: new RateLedger(log ? o.auditLog : undefined),
  };
  let result: ExecResult;
  try {
    result = await runPrepared(prepared, shared, undefined, prepared.runId);
  } finally {
    // The final signed checkpoint; a failure here is reported by the caller (exit 1).
    log?.close();
  }
  return result;
}

/** Where a run's records go: the log (every record marked in log_only mode), or nowhere. */
function runSink(shared: Shared, runId: string, agent: string, required: AuditRequirements): AuditSink {
  const observe = shared.options.observe;
  let sink: AuditSink = shared.log ? new LogSink(shared.log, runId, agent) : NO_AUDIT;
  if (observe) {
    const inner = sink;
    sink = {
      enabled: true,
      emit: (type, details) => {
        inner.emit(type, details);
        observe({ run: runId, agent, type, details });
      },
    };
  }
  if (!sink.enabled) return NO_AUDIT;
  if (required.contentFilteredBy !== undefined || required.complianceTags.length > 0) {
    const inner = sink;
    sink = {
      enabled: true,
      emit: (type, details) => inner.emit(type, applyAuditRequirements(required, type, details)),
    };
  }
  return shared.enforcement.logOnly ? new LogOnlySink(sink) : sink;
}

function statusOf(e: DslError | FatalError): RunStatus {
  if (e instanceof DslError) return e.kind === "PolicyDenied" ? "denied" : "error";
  return e.kind === "Timeout" ? "timeout" : "error";
}

async function runPrepared(
  p: Prepared,
  shared: Shared,
  parent: Parent | undefined,
  runId: string,
): Promise<ExecResult & { raw?: Value }> {
  const o = shared.options;
  const bundle = p.bundle;
  const audit = runSink(shared, runId, bundle.agent, p.auditRequirements);
  // In a pod, the tools' network attempts go through the runtime's egress relay: into this run's log.
  const detachNetworkAudit =
    parent === undefined
      ? o.sandbox?.toolHost?.egress?.attachAudit((type, details) => audit.emit(type, { ...details }))
      : undefined;
  const started = performance.now();
  const timeoutMs = bundle.sandbox.timeoutMs;
  const deadline = Math.min(started + timeoutMs, parent?.budget.deadline ?? Infinity);

  const controller = new AbortController();
  const outer = parent?.signal ?? o.signal;
  const onOuterAbort = () =>
    controller.abort(
      outer?.reason instanceof FatalError ? outer.reason : new FatalError("Aborted", "the run was cancelled"),
    );
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener("abort", onOuterAbort, { once: true });

  const budget = new Budget({
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    ...(o.maxCallDepth !== undefined ? { maxCallDepth: o.maxCallDepth } : {}),
    ...(o.maxMemory !== undefined ? { maxMemory: o.maxMemory } : {}),
    // What is alive before the agent's code runs is not the agent's.
    heapBaseline: runHeapBaseline(o.maxMemory),
    deadline,
    timeoutText: formatDuration(timeoutMs),
    signal: controller.signal,
  });
  // The deadline also kills a tool that is running when it passes.
  const timer = setTimeout(() => controller.abort(budget.timeoutError()), Math.max(0, deadline - performance.now()));

  const tools = new ToolCaller({
    agent: bundle.agent,
    contracts: bundle.contracts,
    gate: p.gate,
    approver: shared.approver,
    sandboxes: p.sandboxes,
    audit,
    budget,
    signal: controller.signal,
    checkInvokeTool: p.metaActions.has("invoke_tool"),
    invokeToolAllowList: p.metaActions.get("invoke_tool") === "allow-list",
    enforcement: shared.enforcement,
    facts: shared.facts,
    rates: shared.rates,
    ...(p.mcp ? { mcp: p.mcp } : {}),
    ...(o.toolDoubles ? { doubles: o.toolDoubles } : {}),
    ...(o.maxOutputBytes !== undefined ? { maxOutputBytes: o.maxOutputBytes } : {}),
    ...(o.baseDir !== undefined ? { baseDir: o.baseDir } : {}),
  });
  const depth = (parent?.depth ?? 0) + 1;
  const peerNames = new Set([...(o.peers?.keys() ?? [])].filter((n) => n !== bundle.agent));
  // The model's loop calls tools through the same host as agent code; it is built below.
  const hostRef: { current?: InterpreterHost } = {};
  const model = o.model
    ? new ModelRun({
        setup: o.model,
        bundle,
        skills: p.skills,
        peers: new Map([...(o.peers ?? [])].filter(([n]) => peerNames.has(n))),
        checkInvokeTool: p.metaActions.has("invoke_tool"),
        toolInfo: (c) => toolInfo(c, p.mcp?.schemaVerified(c.name) ?? false),
        audit,
        signal: controller.signal,
        budget,
        host: () => hostRef.current!,
      })
    : undefined;
  const actions = new ActionRunner({
    agent: bundle.agent,
    enforcement: shared.enforcement,
    gate: p.gate,
    approver: shared.approver,
    audit,
    signal: controller.signal,
    peers: {
      names: peerNames,
      run: (agent, message, loc, childRun, signal) =>
        runPeer(
          agent,
          message,
          loc,
          shared,
          {
            runId,
            agent: bundle.agent,
            depth,
            budget,
            signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
          },
          childRun,
        ),
    },
    ...(model ? { model: (call: ActionCall, loc: SourceLocation) => model.handle(call, loc) } : {}),
  });
  // Agent text on the operator's terminal: control characters escaped, one line per log call.
  const onLog =
    o.onLog ??
    ((level: string, message: string) =>
      process.stderr.write(`[${escapeForTerminal(level)}] ${escapeForTerminal(message)}\n`));
  const host: InterpreterHost = {
    callTool: (name: string, args: ToolCallArgs, loc: SourceLocation) => tools.call(name, args, loc),
    callAction: (call: ActionCall, loc: SourceLocation) => actions.run(call, loc),
    log: (level, message, loc) => {
      onLog(level, message, loc);
      audit.emit("log", {
        level,
        message: message.length > 4096 ? `${message.slice(0, 4093)}...` : message,
        location: formatLocation(loc),
      });
    },
    now: o.now ?? (() => Date.now()),
    trusted: (record) => {
      const v = p.trusted[record];
      return v === undefined ? undefined : fromJson(v);
    },
  };
  hostRef.current = host;
  const interp = new Interpreter({
    program: { file: bundle.ir.sourceFile, functions: bundle.ir.functions },
    host,
    builtins: stdlibRegistry(),
    budget,
  });

  const end = (status: RunStatus, extra: Record<string, string | undefined> = {}) =>
    audit.emit("run_end", {
      status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      steps: budget.steps,
      ...extra,
    });

  try {
    audit.emit("run_start", {
      bundle: bundle.origin,
      bundleSha256: bundle.sha256,
      source: bundle.ir.sourceFile,
      compiler: bundle.manifest.compiler?.version
        ? `${bundle.manifest.compiler.name ?? "symbic"} ${bundle.manifest.compiler.version}`
        : undefined,
      trust: p.trust,
      inputSha256: p.inputSha256,
      sandbox: p.sandbox.tier,
      sandboxTierFrom: p.tierFrom,
      enforcementSetBy: shared.enforcement.logOnly ? shared.enforcement.setting.source : undefined,
      // In a Kubernetes pod: the tool host and its own report of its confinement, as checked.
      toolHost: o.sandbox?.toolHost?.auditSummary() as AuditDetails[string],
      timeoutMs,
      approve: shared.approver.mode,
      contextKeys: Object.keys(o.context ?? {}).sort(),
      parentRun: parent?.runId,
    });
    const params = new Map(bundle.ir.agent.params.map((x) => [x.local.slot, p.inputs.get(x.local.name)!]));
    const raw = await interp.runWith(bundle.entry, params);
    let value: Json;
    try {
      value = toJson(raw, "the result");
    } catch (e) {
      if (!(e instanceof JsonConversionError)) throw e;
      throw new DslError(
        "RuntimeError",
        `the agent's result cannot be given as JSON: ${e.message}`,
        interp.loc(bundle.entry),
      );
    }
    end("ok", { resultSha256: sha256Hex(JSON.stringify(value)) });
    return { runId, status: "ok", exitCode: ExitCode.Ok, value, raw };
  } catch (err) {
    let e: DslError | FatalError;
    if (err instanceof DslError || err instanceof FatalError) e = err;
    else if (err instanceof RangeError && /call stack/i.test(err.message))
      e = new FatalError("InternalError", "the agent's data is nested too deeply to process");
    else
      e = new FatalError("InternalError", err instanceof Error ? err.message : String(err), undefined, { cause: err });
    const status = statusOf(e);
    if (!(e instanceof FatalError && e.kind === "AuditError")) {
      try {
        audit.emit("error", {
          kind: e.kind,
          message: e.message,
          location: e.location ? formatLocation(e.location) : undefined,
          rule: e instanceof DslError && e.rule ? e.rule : undefined,
          uncaught: true,
        });
        end(status, { errorKind: e.kind });
      } catch (auditErr) {
        // The log cannot take the record of how the run ended: that is the error to report.
        if (!(auditErr instanceof FatalError)) throw auditErr;
        e = auditErr;
      }
    }
    const finalStatus = e instanceof FatalError && e.kind === "AuditError" ? "error" : status;
    return {
      runId,
      status: finalStatus,
      exitCode: finalStatus === "denied" ? ExitCode.Denied : ExitCode.Error,
      error: e,
      message: describeRunError(e),
    };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
    await p.sandboxes.close(); // the run's warm containers end with it
    await p.mcp?.close(); // and its MCP servers
    detachNetworkAudit?.();
  }
}

/**
 * The receiving side of an inter-agent call: the peer's own policies decide `receive(message)`
 * (message = { sender, recipient, content }) before it runs. Like `invoke_tool` (MetaActionMode):
 * a matching deny (or a policy that cannot be evaluated) refuses the message, an approval policy
 * asks; without a matching rule the message is accepted — unless an allow rule names `receive`,
 * which makes the peer's `receive` rules an allow-list. Recorded in the log as the peer's decision.
 */
async function acceptMessage(
  p: Prepared,
  shared: Shared,
  parent: Parent,
  runId: string,
  message: Value,
  loc: SourceLocation,
): Promise<void> {
  const mode = p.metaActions.get("receive");
  if (mode === undefined) return;
  let content: RequestJson;
  try {
    content = toRequestJson(message, "the message");
  } catch {
    content = display(message);
  }
  const args = {
    message: { sender: agentInfo(parent.agent, parent.runId), recipient: agentInfo(p.bundle.agent, runId), content },
  };
  // The resource of a `receive` is the agent the message comes from.
  const d = p.gate.decide({ action: "receive", args, resource: { type: AGENT_TYPE, id: parent.agent } });
  const audit = runSink(shared, runId, p.bundle.agent, p.auditRequirements);
  const restricts = d.decision === "deny" && (mode === "allow-list" || !isDefaultDeny(d));
  audit.emit("decision", {
    action: "receive",
    decision: d.decision,
    rules: d.rules,
    locations: d.locations,
    reason: d.reason,
    error: d.error,
    from: parent.agent,
    parentRun: parent.runId,
    ...shared.enforcement.decisionFields(d, restricts),
  });
  const refused = restricts && shared.enforcement.stops(d, "receive", p.bundle.agent);
  let reason = d.reason;
  let rules = d.rules;
  if (!refused && d.decision === "require_approval") {
    const a = await shared.approver.approve(
      { agent: p.bundle.agent, tool: "receive", args: { from: parent.agent }, rules: d.rules, reason: d.reason },
      parent.signal,
    );
    audit.emit("approval", {
      action: "receive",
      approved: a.approved,
      approver: a.approver,
      answer: a.answer,
      rules: d.rules,
      mode: shared.approver.mode,
    });
    if (a.approved) return;
    reason = `approval required (${d.reason}) and not given: ${a.answer}`;
  } else if (!refused) return;
  if (rules.length === 0) rules = [];
  throw new DslError("PolicyDenied", `agent \`${p.bundle.agent}\` refused the message: ${reason}`, loc, {
    rule: rules[0]!,
    reason,
    details: { action: "receive", agent: p.bundle.agent, rules: list(rules) },
  });
}

/** `delegate` & co.: runs a peer agent as a child run (its own policies, sandbox and timeout; the same log). */
async function runPeer(
  agent: string,
  message: Value,
  loc: SourceLocation,
  shared: Shared,
  parent: Parent,
  runId: string,
): Promise<Value> {
  if (parent.depth >= MAX_DELEGATION_DEPTH)
    throw new DslError(
      "Error",
      `delegation nested more than ${MAX_DELEGATION_DEPTH} deep (agents delegating to each other?)`,
      loc,
    );
  const entry = shared.options.peers?.get(agent);
  if (!entry) throw new DslError("Error", `agent \`${agent}\` is not available to this run`, loc);
  let bundle: Bundle;
  try {
    bundle = typeof entry === "function" ? entry() : entry;
  } catch (e) {
    if (e instanceof BundleError) throw new DslError("Error", `cannot run agent \`${agent}\`: ${e.message}`, loc);
    throw e;
  }
  const params = bundle.ir.agent.params ?? [];
  let input: unknown;
  if (typeof message === "string" && params.length === 1 && params[0]!.type.name.name === "String")
    input = { [params[0]!.local.name]: message };
  else {
    try {
      input = toJson(message, "the message");
    } catch (e) {
      throw new DslError(
        "RuntimeError",
        `the message for \`${agent}\` cannot be its input: ${(e as Error).message}`,
        loc,
      );
    }
  }
  let p: Prepared;
  try {
    p = await prepare(bundle, input, shared.options, runId);
  } catch (e) {
    if (e instanceof Error && typeof (e as { exitCode?: unknown }).exitCode === "number")
      throw new DslError("Error", `cannot run agent \`${agent}\`: ${e.message}`, loc);
    throw e;
  }
  try {
    await acceptMessage(p, shared, parent, runId, message, loc);
  } catch (e) {
    await p.mcp?.close();
    throw e;
  }
  const r = await runPrepared(p, shared, parent, runId);
  if (r.status === "ok") return r.raw ?? null;
  const e = r.error!;
  if (e instanceof FatalError) throw e;
  throw new DslError(e.kind, `agent \`${agent}\`: ${e.message}`, loc, {
    rule: e.rule,
    reason: e.reason,
    details: { agent, ...e.details },
  });
}
