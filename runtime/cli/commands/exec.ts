/**
 * `symbi exec TARGET`: runs a compiled agent (a bundle folder, a build folder, or a `.symbi`
 * file compiled in memory) under exactly its compiled constraints, and prints its result as JSON
 * on stdout. Log lines of the agent (`log`, `print`) go to stderr.
 *
 * Exit codes: 0 ok; 1 usage, I/O or internal error, or an error that ended the run (runtime
 * error, tool failure, timeout, budget, sandbox unavailable); 2 a policy denial nobody caught
 * ended the run; 3 validation failure (bad or tampered bundle, source that does not compile,
 * inputs or context of the wrong shape).
 */
import { resolve } from "node:path";
import { findProjectRoot } from "../../../compiler/project/root.js";
import { Option, type Command } from "commander";
import { ExitCode } from "../../../formats/exit-codes.js";
import { APPROVAL_MODES, type ApprovalMode } from "../../gate/approval.js";
import { FatalError } from "../../interpreter/errors.js";
import { DEFAULT_MAX_MEMORY, largestMaxMemory } from "../../interpreter/budget.js";
import { CompileError } from "../../exec/compile-error.js";
import { execAgent } from "../../exec/run.js";
import type { verifierFromFlags } from "../schemapin-options.js";
import { firstUseDecision, tofu, toolVerification } from "../../../config/index.js";
import { readJsonArgument } from "../../exec/json-argument.js";
import { resolveTarget } from "../../exec/resolve.js";
import type { ToolHostClient } from "../../sandbox/tool-host/client.js";
import { parseHostPort } from "../address.js";
import { ExitStatus } from "../errors.js";
import { UserError } from "../../../formats/exit-codes.js";
import { applyProcessSettings, commandConfig, givenFlags } from "../settings.js";
import { runSettings } from "../run-settings.js";
import { AUDIT_CONTENT_MODES, ModelSetup, type AuditContent } from "../../model/setup.js";
import { VERSION } from "../../../compiler/version.js";
import { escapeForTerminal } from "../../terminal/escape.js";

interface ExecCliOptions {
  agent?: string;
  trust: string[];
  allowUnsigned?: boolean;
  input?: string;
  context?: string;
  facts?: string;
  approve: ApprovalMode;
  auditLog?: string;
  key?: string;
  maxSteps?: string;
  maxDepth?: string;
  maxMemory?: string;
  compact?: boolean;
  model?: string;
  record?: string;
  auditContent: AuditContent;
  toolHost?: string;
  egressGateway?: string;
  egressTokenFile?: string;
}

/**
 * Ctrl-C / SIGTERM / SIGHUP (a closed terminal) end the current run: running tools are killed and
 * their sandboxes removed, the log records how the run ended, exit 1 with `interrupted (SIGNAL)`. The handler is installed once and stays for the life of the
 * process: with a listener present, the sandbox module's own handler (which kills live
 * sandboxes) does not re-raise the signal while the audit log is being finished.
 */
let currentRun: AbortController | null = null;
let handlersInstalled = false;
function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    if (currentRun) currentRun.abort(new FatalError("Aborted", `interrupted (${signal})`));
    else process.exit(1); // between runs: nothing to finish
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
}

function positiveInt(option: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
    throw new UserError(`${option} must be a positive integer, not ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * The tool host (and egress gateway) of a Kubernetes pod, from --tool-host, --egress-gateway,
 * --egress-token-file. Their modules are imported only in a pod (when --tool-host is given).
 */
async function toolHostClient(opts: ExecCliOptions): Promise<ToolHostClient | undefined> {
  if (opts.toolHost === undefined) {
    if (opts.egressGateway !== undefined || opts.egressTokenFile !== undefined)
      throw new UserError("--egress-gateway and --egress-token-file go with --tool-host (a Kubernetes Job)");
    return undefined;
  }
  const host = parseHostPort("--tool-host", opts.toolHost);
  if ((opts.egressGateway === undefined) !== (opts.egressTokenFile === undefined))
    throw new UserError("--egress-gateway and --egress-token-file go together");
  const { ToolHostClient } = await import("../../sandbox/tool-host/client.js");
  if (opts.egressGateway === undefined) return new ToolHostClient(host);
  const gateway = parseHostPort("--egress-gateway", opts.egressGateway);
  const [{ EgressRelays }, { readEgressToken }] = await Promise.all([
    import("../../egress/relay.js"),
    import("../../egress/token.js"),
  ]);
  return new ToolHostClient(host, {
    egress: new EgressRelays({ ...gateway, token: readEgressToken(opts.egressTokenFile!) }),
  });
}

export function register(program: Command): void {
  program
    .command("exec")
    .description("run a compiled agent under its compiled policies, sandbox and budgets, and print its result as JSON")
    .argument(
      "<target>",
      "a bundle folder (symbic build), a build folder of bundles, or a .symbi file to compile in memory",
    )
    .option("--agent <name>", "the agent to run when the target holds several")
    .option(
      "--trust <pubfile>",
      "trust bundles signed by this public key (symbic build --sign); repeat for several keys",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      "--allow-unsigned",
      "run a bundle folder that carries no signature (a warning, and recorded in the audit log)",
    )
    .option("--input <json>", "the agent's inputs: a JSON object keyed by parameter name, or @FILE")
    .option("--context <json>", "trusted context for policy decisions (user, session, system, ...): JSON or @FILE")
    .option(
      "--facts <json>",
      "trusted facts about argument values, for policies that read them (value → record): JSON or @FILE",
    )
    .addOption(
      new Option(
        "--approve <mode>",
        "calls that need a human approval: all (approve), none (refuse), ask (prompt on the terminal; refused without one)",
      )
        .choices([...APPROVAL_MODES])
        .default("ask"),
    )
    .option(
      "--audit-log <log>",
      "append the run's events to this signed audit log (created if missing; default: audit.log in [security] audit_storage_path)",
    )
    .option(
      "--key <keyfile>",
      "private key that signs the audit log (symbi keygen; default: [security] audit_signing_key)",
    )
    .option("--max-steps <n>", "step budget of the agent's code (default 10000000)")
    .option("--max-depth <n>", "limit on nested calls in the agent's code (default 1000)")
    .option(
      "--max-memory <MiB>",
      `memory budget of the agent's values, in MiB (default ${DEFAULT_MAX_MEMORY / 1048576}, or half of Node's heap if that is less)`,
    )
    .option(
      "--model <spec>",
      "the model for llm_call and reason: PROVIDER:MODEL (openai:…, anthropic:…), or replay:FILE to answer from a recording",
    )
    .option("--record <file>", "write the run's model exchanges to FILE (for --model replay:FILE)")
    .addOption(
      new Option(
        "--audit-content <mode>",
        "what the audit log keeps of model exchanges: hashes, or full prompts and answers",
      )
        .choices([...AUDIT_CONTENT_MODES])
        .default("hashes"),
    )
    .option("--compact", "print the result on one line")
    .option(
      "--tool-host <host:port>",
      "run the tool calls of container tiers through this tool host (in a Kubernetes Job: the pod's tools container)",
    )
    .option(
      "--egress-gateway <host:port>",
      "with --tool-host: send the tools' allowlisted HTTP(S) traffic through this egress gateway, each attempt audited",
    )
    .option("--egress-token-file <file>", "the egress gateway's token (needed with --egress-gateway)")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok; 1 usage, I/O or internal error, or a run ended by an error (tool failure, timeout,\nbudget, sandbox unavailable); 2 a policy denial that ended the run; 3 validation failure (bad or\ntampered bundle, source that does not compile, inputs or context of the wrong type).",
    )
    .action(async (target: string, opts: ExecCliOptions) => {
      const maxSteps = positiveInt("--max-steps", opts.maxSteps);
      const maxCallDepth = positiveInt("--max-depth", opts.maxDepth);
      const maxMemoryMiB = positiveInt("--max-memory", opts.maxMemory);
      if (maxMemoryMiB !== undefined && maxMemoryMiB * 1048576 > largestMaxMemory()) {
        throw new UserError(
          `--max-memory ${maxMemoryMiB} is more than this Node process can hold (at most ${Math.floor(largestMaxMemory() / 1048576)} MiB; give Node a larger heap with NODE_OPTIONS=--max-old-space-size=…)`,
        );
      }
      // `--model replay:FILE` answers from a recording; any other value is the [model] model setting.
      let replay: string | undefined;
      let modelFlag: string | undefined;
      if (opts.model !== undefined) {
        if (opts.model.startsWith("replay:")) replay = opts.model.slice("replay:".length);
        else modelFlag = opts.model;
        if (replay === "") throw new UserError("--model replay:FILE needs the recording's path");
      }
      // The configuration first: a bad one is refused before anything else is read.
      const config = commandConfig(
        target.endsWith(".symbi") ? target : undefined,
        givenFlags([
          ["bundles.trusted_keys", "--trust", opts.trust.length > 0 ? opts.trust : undefined],
          ["bundles.allow_unsigned", "--allow-unsigned", opts.allowUnsigned ? true : undefined],
          ["security.audit_signing_key", "--key", opts.key],
          ["model.model", "--model", modelFlag],
        ]),
      );
      applyProcessSettings(config);
      const settings = await runSettings(config, opts.auditLog);
      const input = opts.input === undefined ? undefined : readJsonArgument("--input", opts.input);
      const context = opts.context === undefined ? undefined : readJsonArgument("--context", opts.context);
      const facts = opts.facts === undefined ? undefined : readJsonArgument("--facts", opts.facts);
      if (context !== undefined && (typeof context !== "object" || context === null || Array.isArray(context))) {
        throw new UserError(
          "--context must be a JSON object (its keys become context attributes: user, session, system, ...)",
          ExitCode.CheckFailed,
        );
      }
      let resolved;
      try {
        resolved = await resolveTarget(target, opts.agent);
      } catch (e) {
        if (e instanceof CompileError && e.rendered)
          process.stderr.write(e.rendered.endsWith("\n") ? e.rendered : `${e.rendered}\n`);
        throw e;
      }

      const model = new ModelSetup({
        layers: { config, env: process.env },
        ...(replay !== undefined ? { replay } : {}),
        ...(opts.record !== undefined ? { record: opts.record } : {}),
        auditContent: opts.auditContent,
        recorderName: `symbi ${VERSION}`,
      });
      const toolHost = await toolHostClient(opts);

      // SchemaPin verification (and the MCP modules that read its settings) is loaded only when a
      // run meets a signed MCP tool: most runs use none.
      let verifying: ReturnType<typeof verifierFromFlags> | undefined;
      const verification = () =>
        (verifying ??= Promise.all([import("../mcp-tools.js"), import("../schemapin-options.js")]).then(
          ([{ verificationFlags }, { verifierFromFlags }]) => verifierFromFlags(verificationFlags(config)),
        ));

      const controller = new AbortController();
      currentRun = controller;
      installSignalHandlers();
      let result;
      try {
        result = await execAgent({
          bundle: resolved.bundle,
          peers: resolved.peers,
          ...settings,
          input,
          ...(context !== undefined ? { context: context as Record<string, unknown> } : {}),
          ...(facts !== undefined ? { facts: facts as Record<string, unknown> } : {}),
          approve: opts.approve,
          ...(maxSteps !== undefined ? { maxSteps } : {}),
          ...(maxCallDepth !== undefined ? { maxCallDepth } : {}),
          ...(toolHost !== undefined ? { sandbox: { toolHost } } : {}),
          ...(maxMemoryMiB !== undefined ? { maxMemory: maxMemoryMiB * 1048576 } : {}),
          signal: controller.signal,
          model,
          // The skills the agent uses are read from the same project as the configuration.
          skillsRoot: findProjectRoot(resolve(target.endsWith(".symbi") ? target : process.cwd())),
          mcp: {
            verifier: async () => (await verification()).verifier,
            // A key not pinned yet (the run's machine never ran `symbi tools pin`): [tofu] decides.
            firstUse: async (domain, tool, fingerprint) => {
              const { store } = await verification();
              if (store.pinnedKey(domain, tool)) return { action: "pin" };
              const seen = store.firstSeen(domain, tool, fingerprint);
              return firstUseDecision(config.values(tofu), { verified: true, firstSeenMs: seen.getTime() }, Date.now());
            },
            requireSigned: config.values(toolVerification).require_signed_tools === true,
            // A process-tier server runs from the project folder (`args = ["server.mjs"]`).
            projectDir: findProjectRoot(target.endsWith(".symbi") ? target : process.cwd()),
          },
        });
      } finally {
        currentRun = null;
        const problem = model.finish();
        if (problem !== undefined && result?.status === "ok") {
          process.stderr.write(`symbi: error: ${problem}\n`);
          result = undefined;
        }
        await toolHost?.close();
      }
      if (!result) throw new ExitStatus(ExitCode.Error);
      if (result.status === "ok") {
        process.stdout.write(`${JSON.stringify(result.value, null, opts.compact ? undefined : 2)}\n`);
        return;
      }
      // The message can carry agent text (an uncaught `error("...")`): escaped for the terminal.
      process.stderr.write(`symbi: error: ${escapeForTerminal(result.message ?? "")}\n`);
      throw new ExitStatus(result.exitCode);
    });
}
