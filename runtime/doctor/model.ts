/**
 * The model provider of the project's model-driven agents (those whose code calls `llm_call` or
 * `reason`): for each model they would run on — the configuration (`[model]`, SYMBIONT_MODEL,
 * `--model`), each agent's `metadata { model }`, the providers' variables — resolved exactly as
 * `symbi exec` resolves it (runtime/model/config.ts), the provider's model listing is asked
 * whether the model is there (runtime/model/probe.ts): no completion is requested, no token spent.
 * A `--model replay:FILE` needs only the recording, readable and well formed.
 *
 * A failure is a failure only when some agent needs a model; otherwise it is a warning.
 */
import { ModelConfigError, resolveModelConfig, type ModelConfig } from "../model/config.js";
import { loadRecording, RecordingError } from "../model/recording.js";
import { probeModel } from "../model/probe.js";
import type { DoctorContext } from "./index.js";
import type { DoctorFinding } from "./report.js";

export interface ModelCheckOptions {
  /** `symbi doctor --model`: `PROVIDER:MODEL` (already in the configuration as a flag) or `replay:FILE`. */
  replay?: string;
  /** The deadline of one provider's listing (default 5 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const MODEL_PROBE_TIMEOUT_MS = 5000;

function agentsText(agents: string[]): string {
  return agents.length === 1 ? `agent ${agents[0]}` : `agents ${agents.join(", ")}`;
}

export async function modelFindings(ctx: DoctorContext, o: ModelCheckOptions = {}): Promise<DoctorFinding[]> {
  const needing = [...ctx.needs.models.keys()].sort();
  const needed = needing.length > 0;
  const subject = "model";
  const failed = (detail: string, fix: string): DoctorFinding => ({
    subject,
    status: needed ? "fail" : "warn",
    detail: needed ? `${detail} — needed by ${agentsText(needing)}` : `${detail} (no agent calls llm_call or reason)`,
    fix,
  });

  if (o.replay !== undefined) {
    try {
      const r = loadRecording(o.replay);
      return [
        {
          subject: `model replay ${o.replay}`,
          status: "ok",
          detail: `readable: ${r.exchanges.length} exchange${r.exchanges.length === 1 ? "" : "s"} recorded with ${r.header.provider}:${r.header.model}${r.header.source.kind === "scripted" ? " (a scripted server)" : ""}`,
        },
      ];
    } catch (e) {
      if (!(e instanceof RecordingError)) throw e;
      return [
        { ...failed(e.message, "record one with symbi exec --record FILE"), subject: `model replay ${o.replay}` },
      ];
    }
  }

  // One probe per distinct model the agents would run on; with no agent needing one, the configured one.
  const byConfig = new Map<string, { config: ModelConfig; agents: string[] }>();
  const out: DoctorFinding[] = [];
  const wanted: Array<[string | undefined, string | undefined]> = needed
    ? needing.map((a) => [a, ctx.needs.models.get(a)])
    : [[undefined, undefined]];
  for (const [agent, agentModel] of wanted) {
    let config: ModelConfig | undefined;
    try {
      config = resolveModelConfig({ config: ctx.config, env: ctx.env }, agentModel);
    } catch (e) {
      if (!(e instanceof ModelConfigError)) throw e;
      out.push(failed(agent ? `${agent}: ${e.message}` : e.message, "fix the setting the message names"));
      continue;
    }
    if (!config) {
      if (needed)
        out.push(
          failed(
            `no model is configured${agent ? ` for ${agent}` : ""}`,
            'set [model] provider and model in symbi.toml (or SYMBIONT_MODEL=openai:MODEL / anthropic:MODEL), or give the agent metadata { model = "..." }',
          ),
        );
      else out.push({ subject, status: "skip", detail: "none configured (no agent calls llm_call or reason)" });
      continue;
    }
    const key = JSON.stringify([config.provider, config.model, config.baseUrl, config.keyVariable]);
    const entry = byConfig.get(key);
    if (entry) {
      if (agent) entry.agents.push(agent);
    } else byConfig.set(key, { config, agents: agent ? [agent] : [] });
  }

  const timeoutMs = o.timeoutMs ?? MODEL_PROBE_TIMEOUT_MS;
  const probes = [...byConfig.values()];
  const results = await Promise.all(
    probes.map((p) => probeModel(p.config, { timeoutMs, ...(o.fetch ? { fetch: o.fetch } : {}) })),
  );
  for (let i = 0; i < probes.length; i++) {
    const { config: c, agents } = probes[i]!;
    const r = results[i]!;
    const name = `model ${c.provider}:${c.model}`;
    const at = `${c.baseUrl} (${c.sources.baseUrl})`;
    const forWhom = agents.length > 0 ? ` — used by ${agentsText(agents)}` : "";
    const keyText = c.apiKey ? `key from ${c.keyVariable}` : `no key (${c.keyVariable} is not set)`;
    const fail = (detail: string, fix: string): DoctorFinding => ({
      subject: name,
      status: needed ? "fail" : "warn",
      detail: `${detail}${forWhom}`,
      fix,
    });
    switch (r.kind) {
      case "ok":
        out.push({
          subject: name,
          status: "ok",
          detail: `${at} is reachable and lists it${r.listedAs !== c.model ? ` (as ${r.listedAs})` : ""}; ${keyText}${forWhom}`,
        });
        break;
      case "not_listed":
        out.push(
          fail(
            `${at} is reachable (${keyText}) but does not list the model (${r.count} listed${r.sample.length > 0 ? `: ${r.sample.join(", ")}${r.count > r.sample.length ? ", …" : ""}` : ""})`,
            "check the model's name (PROVIDER:MODEL), or pull or enable it on the server",
          ),
        );
        break;
      case "auth":
        out.push(
          fail(
            `${at} refused the ${c.apiKey ? `key in ${c.keyVariable}` : "request without a key"} (HTTP ${r.status}): ${r.message}`,
            `set ${c.keyVariable} to a valid API key for ${c.provider}`,
          ),
        );
        break;
      case "http":
        out.push(
          fail(
            `${at} answered the model listing with HTTP ${r.status}${r.status === 404 ? " (no model listing there: is the base URL right?)" : ""}: ${r.message}`,
            `check the base URL (${c.sources.baseUrl})`,
          ),
        );
        break;
      case "unreachable":
        out.push(fail(`${at} is not reachable: ${r.message}`, "check the base URL and the network"));
        break;
      case "timeout":
        out.push(
          fail(`${at} did not answer the model listing within ${r.ms / 1000} s`, "check the base URL and the network"),
        );
        break;
    }
  }
  return out;
}
