/**
 * One call of an MCP tool, through the same pipeline as every tool call (runtime/exec/tool-call.ts):
 *
 *   arguments bound to the tool's arguments → validated against the PINNED inputSchema → the
 *   policy gate → approval if required → `tools/call` on the run's connection to the server →
 *   the result checked (isError, outputSchema) → a typed value
 *
 * audited like a contract's run (decision, approval, tool_start, tool_end, error). Every fault of
 * the server — it could not be started, it died, it answered with malformed JSON-RPC, its answer
 * exceeded the output cap, it did not answer within the tool's timeout, it returned `isError` —
 * is a ToolError naming the server, which agent code can catch; none waits without a bound. The
 * run's deadline and a cancelled run end the run (FatalError), as for any tool.
 */
import { createHash } from "node:crypto";
import type { ToolContract } from "../../compiler/contracts/model.js";
import { MCP_CONTENT_RESULT_SCHEMA } from "../../compiler/mcp/contract.js";
import { mcpSchemaValidator, schemaErrorLines } from "../../compiler/mcp/schema.js";
import { canonicalJson } from "../../formats/json.js";
import { DslError, FatalError, formatLocation, type SourceLocation } from "../interpreter/errors.js";
import type { ToolCallArgs } from "../interpreter/host.js";
import { fromJson, isOption, JsonConversionError, toJson, type Json, type Value } from "../interpreter/values.js";
import type { ToolCallerOptions } from "./tool-call.js";
import type { CallRequirements } from "./requirements.js";
import type { ValidatedArgs } from "../tools/index.js";
import { McpServerError } from "../mcp/server-error.js";

/** What the MCP path shares with the contract path of ToolCaller. */
export interface McpCallSteps {
  options: ToolCallerOptions;
  maxOutputBytes: number;
  /** The `require` settings that bound calls: a timeout, a rate, a largest result. */
  requirements: CallRequirements;
  decide(contract: ToolContract, validated: ValidatedArgs, loc: SourceLocation): Promise<void>;
  error(kind: string, message: string, loc: SourceLocation, tool: string): void;
}

/** How much of an `isError` result's text goes into the error message. */
const ERROR_TEXT_LIMIT = 500;

function argumentError(tool: string, message: string, loc: SourceLocation): DslError {
  return new DslError("ArgumentError", `invalid arguments for \`${tool}\`: ${message}`, loc, { details: { tool } });
}

/** A DSL value as JSON for an MCP argument: Some(x) is x; None and null mean "not given". */
function jsonArg(v: Value, name: string, tool: string, loc: SourceLocation): Json | undefined {
  if (v === null) return undefined;
  if (isOption(v)) return v.value === undefined ? undefined : jsonArg(v.value, name, tool, loc);
  try {
    return toJson(v, `argument \`${name}\``);
  } catch (e) {
    if (e instanceof JsonConversionError) throw argumentError(tool, e.message, loc);
    throw e;
  }
}

/** Binds a call's arguments to the tool's (positional in schema order, then by name). */
function bind(contract: ToolContract, args: ToolCallArgs, loc: SourceLocation): Record<string, Json> {
  const out: Record<string, Json> = {};
  const name = contract.name;
  if (args.positional.length > contract.args.length)
    throw argumentError(
      name,
      `it takes ${contract.args.length} argument${contract.args.length === 1 ? "" : "s"}, ${args.positional.length} given`,
      loc,
    );
  args.positional.forEach((v, i) => {
    const spec = contract.args[i]!;
    const j = jsonArg(v, spec.name, name, loc);
    if (j !== undefined) out[spec.name] = j;
  });
  for (const [k, v] of args.named) {
    const i = contract.args.findIndex((a) => a.name === k);
    if (i < 0) throw argumentError(name, `unknown argument \`${k}\``, loc);
    if (i < args.positional.length) throw argumentError(name, `argument \`${k}\` is given twice`, loc);
    const j = jsonArg(v, k, name, loc);
    if (j !== undefined) out[k] = j;
  }
  return out;
}

/** The text blocks of a result, joined. */
function resultText(content: unknown): string {
  if (!Array.isArray(content)) return "";
  return content
    .filter((b): b is { type: "text"; text: string } => b?.type === "text" && typeof b.text === "string")
    .map((b) => b.text)
    .join("\n");
}

function sha256Hex(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

export async function callMcpTool(
  steps: McpCallSteps,
  contract: ToolContract,
  args: ToolCallArgs,
  loc: SourceLocation,
): Promise<Value> {
  const o = steps.options;
  const name = contract.name;
  const binding = contract.mcp!;
  const server = binding.server;
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    steps.error("ToolError", message, loc, name);
    throw new DslError("ToolError", message, loc, {
      details: { tool: name, server, ...details } as Record<string, Value>,
    });
  };

  // 1. Arguments, against the pinned inputSchema.
  let bound: Record<string, Json>;
  try {
    bound = bind(contract, args, loc);
    const validate = mcpSchemaValidator(binding.definition.inputSchema);
    if (validate instanceof Error)
      return fail(`\`${name}\`: its pinned inputSchema cannot be used: ${validate.message}`);
    if (!validate(bound)) throw argumentError(name, schemaErrorLines(validate.errors).join("; "), loc);
  } catch (e) {
    if (e instanceof DslError && e.kind === "ArgumentError") steps.error(e.kind, e.message, loc, name);
    throw e;
  }

  // 2. Gate and approval (the policies read the arguments Cedar can hold: text, integers, booleans).
  await steps.decide(contract, bound as unknown as ValidatedArgs, loc);

  // 3. The call, on the run's connection to the server.
  const remaining = o.budget.remainingMs();
  const perRequest = steps.requirements.timeout(name);
  const toolTimeout = Math.min(contract.timeoutSeconds * 1000, perRequest?.ms ?? Infinity);
  const timeoutMs = Math.max(1, Math.min(toolTimeout, remaining));
  const deadlineBound = remaining < toolTimeout;
  let connection;
  try {
    if (!o.mcp) throw new McpServerError(server, `MCP server \`${server}\` is not part of this run`, "start");
    connection = await o.mcp.connection(server);
  } catch (e) {
    if (!(e instanceof McpServerError)) throw e;
    o.audit.emit("tool_start", { tool: name, mcpServer: server, location: formatLocation(loc) });
    o.audit.emit("tool_end", {
      tool: name,
      mcpServer: server,
      exitCode: null,
      durationMs: 0,
      outputSha256: sha256Hex(""),
      failure: e.reason,
    });
    return fail(`\`${name}\`: ${e.message}`, { reason: e.reason });
  }
  const rateKeys = steps.requirements.admit(name, bound);
  o.audit.emit("tool_start", {
    tool: name,
    mcpServer: server,
    mcpTool: binding.definition.name,
    definitionHash: binding.hash,
    sandboxId: connection.sandboxId,
    timeoutMs: Math.round(timeoutMs),
    location: formatLocation(loc),
    rateKeys: rateKeys.length > 0 ? rateKeys : undefined,
  });
  const started = performance.now();
  let result: Record<string, unknown>;
  try {
    result = await connection.callTool(binding.definition.name, bound, { timeoutMs, signal: o.signal });
  } catch (e) {
    if (!(e instanceof McpServerError)) throw e;
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    o.audit.emit("tool_end", {
      tool: name,
      mcpServer: server,
      exitCode: null,
      durationMs,
      outputSha256: sha256Hex(""),
      failure: e.reason,
    });
    if (o.signal.aborted) {
      const reason: unknown = o.signal.reason;
      const fatal =
        reason instanceof FatalError
          ? reason
          : new FatalError("Aborted", "the run was cancelled while a tool was running", loc);
      fatal.location ??= loc;
      throw fatal;
    }
    if (e.reason === "timeout" && deadlineBound) throw o.budget.timeoutError(loc);
    const what =
      e.reason === "timeout"
        ? `MCP server \`${server}\` did not answer within the timeout of ${perRequest && perRequest.ms < contract.timeoutSeconds * 1000 ? `${perRequest.text} (${perRequest.rule})` : `${contract.timeoutSeconds}s`}`
        : `MCP server \`${server}\`: ${e.message.replace(new RegExp(`^MCP server \`${server}\`:? ?`), "")}`;
    return fail(`\`${name}\` failed: ${what}`, { reason: e.reason });
  }
  const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  let text: string;
  try {
    text = canonicalJson(result);
  } catch {
    text = JSON.stringify(result);
  }
  // No process per call: `exitCode` is null; the output hash is of the result's canonical JSON.
  o.audit.emit("tool_end", {
    tool: name,
    mcpServer: server,
    exitCode: null,
    durationMs,
    outputSha256: sha256Hex(text),
    stdoutBytes: Buffer.byteLength(text),
    isError: result["isError"] === true || undefined,
  });

  // 4. Outcome.
  if (Buffer.byteLength(text) > steps.maxOutputBytes)
    return fail(
      `\`${name}\`: MCP server \`${server}\` returned more than ${steps.maxOutputBytes} bytes (the output cap)`,
      {
        reason: "too_large",
      },
    );
  const outputLimit = steps.requirements.outputLimit(name);
  if (outputLimit && Buffer.byteLength(text) > outputLimit.bytes)
    return fail(
      `\`${name}\` returned ${Buffer.byteLength(text)} bytes, more than max_data_size ${outputLimit.text} (${outputLimit.rule}); its result is not used`,
      { reason: "too_large", rule: outputLimit.rule },
    );
  if (result["isError"] === true) {
    const t = resultText(result["content"]);
    const shown = t.length > ERROR_TEXT_LIMIT ? `${t.slice(0, ERROR_TEXT_LIMIT - 3)}...` : t;
    return fail(`\`${name}\` failed: MCP server \`${server}\` reported an error${shown ? `: ${shown}` : ""}`, {
      reason: "is_error",
      text: t,
    });
  }
  let value: unknown;
  if (binding.definition.outputSchema) {
    value = result["structuredContent"];
    if (value === undefined)
      return fail(
        `\`${name}\`: MCP server \`${server}\` returned no structuredContent, which its outputSchema promises`,
        {
          reason: "protocol",
        },
      );
    const validate = mcpSchemaValidator(binding.definition.outputSchema);
    if (validate instanceof Error || !validate(value))
      return fail(
        `\`${name}\`: the result of MCP server \`${server}\` does not match its pinned outputSchema: ${validate instanceof Error ? validate.message : schemaErrorLines(validate.errors).join("; ")}`,
        { reason: "protocol" },
      );
  } else {
    value = { text: resultText(result["content"]), content: Array.isArray(result["content"]) ? result["content"] : [] };
    const validate = mcpSchemaValidator(MCP_CONTENT_RESULT_SCHEMA);
    if (!(validate instanceof Error) && !validate(value))
      return fail(`\`${name}\`: MCP server \`${server}\` returned content that is not a list`, { reason: "protocol" });
  }
  return fromJson(value as Json);
}
