/**
 * The configuration of one agent's model calls: the `[model]` section (config/model.ts: the
 * operator's files over the project's symbi.toml, `SYMBIONT_MODEL`, `symbi exec --model`), the
 * agent's `metadata { model = "..." }`, and the providers' own environment variables, resolved
 * into one typed ModelConfig. The keys are declared once, in config/; this module only decides
 * between the layers.
 *
 * Precedence, strongest first:
 *   provider and model   --model  >  SYMBIONT_MODEL  >  agent metadata `model`  >  [model] model (files)  >  [model] provider
 *   base URL             OPENAI_BASE_URL / ANTHROPIC_BASE_URL  >  [model] base_url  >  the provider's endpoint
 *   API key              the variable `[model] api_key_env` names, else OPENAI_API_KEY / ANTHROPIC_API_KEY
 *   everything else      [model] (operator files > project file)  >  defaults
 * `PROVIDER:MODEL` sets both; a bare `MODEL` sets the model and leaves the provider to a weaker
 * layer.
 *
 * The API key goes only where the operator sent it. A project file is not the operator: a
 * `[model] base_url` from the project's `symbi.toml` that points anywhere but a loopback address
 * does not receive the key unless the operator names the same URL (its variable or its file) —
 * otherwise cloning a project and running it would mail the operator's key to whoever wrote it.
 */
import { inspect } from "node:util";
import {
  Config,
  checkBaseUrl,
  durationMs,
  model as modelSection,
  splitModelSpec,
  type ConfigSource,
  type ProviderKind,
} from "../../config/index.js";
import { ExitCode } from "../../formats/exit-codes.js";

export type { ProviderKind };

/** Each provider protocol: its endpoint and the environment variables its client library documents. */
export const PROVIDERS: Readonly<
  Record<ProviderKind, { defaultBaseUrl: string; keyVariable: string; baseUrlVariable: string }>
> = {
  openai: {
    defaultBaseUrl: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    baseUrlVariable: "OPENAI_BASE_URL",
  },
  anthropic: {
    defaultBaseUrl: "https://api.anthropic.com",
    keyVariable: "ANTHROPIC_API_KEY",
    baseUrlVariable: "ANTHROPIC_BASE_URL",
  },
};

/** A configuration problem: exit 1, the message names the file and key (or variable) to fix. */
export class ModelConfigError extends Error {
  override readonly name = "ModelConfigError";
  readonly exitCode = ExitCode.Error;
}

/** The limits of model calls: `[model]` values (or their defaults) in milliseconds and counts. */
export interface ModelCallSettings {
  timeoutMs: number;
  maxRetries: number;
  maxRetryWaitMs: number;
  maxTokens: number;
  temperature?: number;
  tokenBudget: number;
  toolOutputMaxBytes: number;
}

/** The `[model]` limits of a configuration (every key has a default except temperature). */
export function modelCallSettings(config: Config): ModelCallSettings {
  const v = config.values(modelSection);
  return {
    timeoutMs: durationMs(v.timeout!)!,
    maxRetries: v.max_retries!,
    maxRetryWaitMs: durationMs(v.max_retry_wait!)!,
    maxTokens: v.max_tokens!,
    ...(v.temperature !== undefined ? { temperature: v.temperature } : {}),
    tokenBudget: v.token_budget!,
    toolOutputMaxBytes: v.tool_output_max_bytes!,
  };
}

/** Whether a URL's host is this machine's loopback interface. */
export function isLoopback(url: string): boolean {
  const h = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * An API key: its text is only reachable through `reveal()`. Printing, logging, JSON and
 * util.inspect show `[redacted]`, so a key cannot slip into a log line or an audit record by
 * accident.
 */
export class ApiKey {
  readonly #value: string;
  constructor(
    value: string,
    /** The environment variable it came from. */
    readonly variable: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[redacted]";
  }
  toJSON(): string {
    return "[redacted]";
  }
  [inspect.custom](): string {
    return `ApiKey(${this.variable}, [redacted])`;
  }
}

/** Where provider, model or base URL came from, as messages say it (`flag --model`, `project file /p/symbi.toml:3:1`, `agent metadata`). */
export type SettingSource = string;

/** The resolved configuration of one agent's model calls. */
export interface ModelConfig extends ModelCallSettings {
  provider: ProviderKind;
  model: string;
  baseUrl: string;
  /** The variable the key is read from (named in messages about authentication). */
  keyVariable: string;
  /** Absent when the variable is unset (allowed for endpoints that need no key, such as a local Ollama). */
  apiKey?: ApiKey;
  /** Where provider, model and base URL came from (for messages). */
  sources: { provider: SettingSource; model: SettingSource; baseUrl: SettingSource };
}

/** `PROVIDER:MODEL` or `MODEL` given at `where`. Throws ModelConfigError for an unknown provider or no model. */
export function parseModelSpec(spec: string, where: string): { provider?: ProviderKind; model: string } {
  const s = splitModelSpec(spec);
  if ("problem" in s) throw new ModelConfigError(`${where}: ${s.problem}`);
  return s;
}

export interface ModelLayers {
  /** The configuration (config/): `[model]` from the files, SYMBIONT_MODEL, --model. */
  config: Config;
  /** The environment, for the providers' own variables (base URL, API key). */
  env: Readonly<Record<string, string | undefined>>;
}

const isOperatorSource = (s: ConfigSource) => s.kind !== "file" || s.scope === "operator";

/**
 * The configuration for an agent (its metadata `model`, if any), or `undefined` when no layer
 * names a provider and a model: then `llm_call` and `reason` fail with "no model provider is
 * configured". Throws ModelConfigError for a configuration that names one but cannot be used.
 */
export function resolveModelConfig(layers: ModelLayers, agentModel?: string): ModelConfig | undefined {
  const { config, env } = layers;
  const modelSetting = config.get(modelSection.name, "model");
  const providerSetting = config.get(modelSection.name, "provider");
  const baseUrlSetting = config.get(modelSection.name, "base_url");
  const keyEnvSetting = config.get(modelSection.name, "api_key_env");

  const candidates: Array<{ source: SettingSource; provider?: ProviderKind; model?: string }> = [];
  const fromSetting = () => ({
    source: Config.describe(modelSetting!.source),
    ...parseModelSpec(modelSetting!.value as string, Config.describe(modelSetting!.source)),
  });
  // The operator's choice for this run (--model, SYMBIONT_MODEL) beats the agent's own; a file's does not.
  const runChoice = modelSetting !== undefined && modelSetting.source.kind !== "file";
  if (runChoice) candidates.push(fromSetting());
  if (agentModel !== undefined)
    candidates.push({ source: "agent metadata", ...parseModelSpec(agentModel, "metadata `model`") });
  if (modelSetting !== undefined && !runChoice) candidates.push(fromSetting());
  if (providerSetting !== undefined)
    candidates.push({
      source: Config.describe(providerSetting.source),
      provider: providerSetting.value as ProviderKind,
    });
  const withProvider = candidates.find((c) => c.provider !== undefined);
  const withModel = candidates.find((c) => c.model !== undefined);
  if (!withProvider && !withModel) return undefined;
  if (!withProvider)
    throw new ModelConfigError(
      `the model \`${withModel!.model}\` (${withModel!.source}) has no provider: write PROVIDER:MODEL (openai:… or anthropic:…) or set [model] provider in symbi.toml`,
    );
  if (!withModel)
    throw new ModelConfigError(
      `the provider \`${withProvider.provider}\` (${withProvider.source}) has no model: set [model] model in symbi.toml, or pass --model ${withProvider.provider}:MODEL`,
    );
  const provider = withProvider.provider!;
  const spec = PROVIDERS[provider];

  let baseUrl: string = spec.defaultBaseUrl;
  let baseUrlSource: SettingSource = "default";
  let baseUrlByOperator = true;
  const envBase = env[spec.baseUrlVariable];
  if (envBase !== undefined && envBase !== "") {
    const u = checkBaseUrl(envBase);
    if (typeof u !== "string") throw new ModelConfigError(`${spec.baseUrlVariable} ${u.error}`);
    baseUrl = u;
    baseUrlSource = `environment ${spec.baseUrlVariable}`;
  } else if (baseUrlSetting !== undefined) {
    baseUrl = baseUrlSetting.value as string;
    baseUrlSource = Config.describe(baseUrlSetting.source);
    baseUrlByOperator = isOperatorSource(baseUrlSetting.source);
  }

  const keyVariable = (keyEnvSetting?.value as string | undefined) ?? spec.keyVariable;
  const keyText = env[keyVariable];
  const apiKey = keyText !== undefined && keyText !== "" ? new ApiKey(keyText, keyVariable) : undefined;
  if (apiKey && !baseUrlByOperator && !isLoopback(baseUrl))
    throw new ModelConfigError(
      `${baseUrlSource}: [model] base_url = ${JSON.stringify(baseUrl)}; the API key in ${keyVariable} is sent only to the provider's own endpoint, a loopback address, or a base URL the operator sets: set ${spec.baseUrlVariable}=${baseUrl} (or base_url in the operator's file) to send it there`,
    );
  if (!apiKey && baseUrlSource === "default")
    throw new ModelConfigError(
      `${provider}: no API key: set the environment variable ${keyVariable} (or point ${spec.baseUrlVariable} at a server that needs none, such as a local Ollama)`,
    );

  return {
    provider,
    model: withModel.model!,
    baseUrl,
    keyVariable,
    ...(apiKey ? { apiKey } : {}),
    ...modelCallSettings(config),
    sources: { provider: withProvider.source, model: withModel.source, baseUrl: baseUrlSource },
  };
}
