/**
 * The model configuration: the `[model]` table of the project's `symbi.toml`, the providers'
 * own environment variables, `SYMBIONT_MODEL`, `symbi exec --model`, and an agent's
 * `metadata { model = "..." }`, resolved into one typed ModelConfig.
 *
 * This module is the one place that reads model settings. It is kept small and self-contained
 * so that the project's configuration module (operator file, `SYMBIONT_*` variables, `symbi
 * config show`) can absorb it as its `[model]` section: `MODEL_KEYS` is the table of keys, and
 * `resolveModelConfig` takes already-read layers.
 *
 * Precedence, strongest first:
 *   provider and model   --model PROVIDER:MODEL  >  SYMBIONT_MODEL  >  agent metadata `model`  >  [model] provider / model
 *   base URL             OPENAI_BASE_URL / ANTHROPIC_BASE_URL  >  [model] base_url  >  the provider's endpoint
 *   API key              the variable `[model] api_key_env` names, else OPENAI_API_KEY / ANTHROPIC_API_KEY
 *   everything else      [model]  >  defaults
 * `PROVIDER:MODEL` and `metadata { model = "anthropic:claude-sonnet-4-5" }` set both; a bare
 * `MODEL` sets the model and leaves the provider to a weaker layer.
 *
 * The API key goes only where the operator sent it. A project file is not the operator: a
 * `[model] base_url` from `symbi.toml` that points anywhere but a loopback address does not
 * receive the key unless the operator's environment names the same URL — otherwise cloning a
 * project and running it would mail the operator's key to whoever wrote the project.
 */
import { existsSync } from "node:fs";
import { readBounded, type BoundedReadError } from "../../formats/bounded-read.js";
import { MAX_CONFIG_BYTES } from "../../config/toml.js";
import { join } from "node:path";
import { inspect } from "node:util";
import { parseTomlSource } from "../../compiler/contracts/toml-source.js";
import { isTable, tomlTypeName } from "../../compiler/contracts/reader.js";
import { didYouMean } from "../../grammar/suggest.js";
import { ExitCode } from "../../formats/exit-codes.js";

export type ProviderKind = "openai" | "anthropic";

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

export function isProvider(s: string): s is ProviderKind {
  return Object.hasOwn(PROVIDERS, s);
}

/** `SYMBIONT_MODEL=PROVIDER:MODEL` (or a bare model name): the operator's choice of model, like --model. */
export const MODEL_VARIABLE = "SYMBIONT_MODEL";

/** The settings the `[model]` table may hold, with their parsed types. */
export interface ModelSettings {
  provider?: ProviderKind;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  timeoutMs?: number;
  maxRetries?: number;
  maxRetryWaitMs?: number;
  maxTokens?: number;
  temperature?: number;
  tokenBudget?: number;
  toolOutputMaxBytes?: number;
}

type Parse = (v: unknown) => { value: unknown } | { error: string };

const positiveInt =
  (max: number): Parse =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= max
      ? { value: v }
      : { error: `must be an integer from 1 to ${max}, not ${show(v)}` };

/** A duration: `"60s"`, `"500ms"`, `"2m"`, or a number of seconds. Result in milliseconds. */
const duration =
  (maxMs: number): Parse =>
  (v) => {
    let ms: number | undefined;
    if (typeof v === "number" && Number.isFinite(v)) ms = v * 1000;
    else if (typeof v === "string") {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
      if (m) ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    }
    if (ms === undefined || !(ms >= 1) || ms > maxMs)
      return { error: `must be a duration such as "60s" or "500ms" (at most ${maxMs / 1000}s), not ${show(v)}` };
    return { value: Math.round(ms) };
  };

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : `${tomlTypeName(v)}${typeof v === "number" ? ` (${v})` : ""}`;
}

/**
 * The keys of `[model]` — each declared once, with its parser and what it means. Unknown keys
 * are errors (with a suggestion); nothing in the table is accepted and then ignored.
 */
export const MODEL_KEYS: ReadonlyArray<{ key: string; field: keyof ModelSettings; parse: Parse; doc: string }> = [
  {
    key: "provider",
    field: "provider",
    doc: 'the protocol: "openai" (Chat Completions: OpenAI, Ollama, vLLM, llama.cpp, LM Studio, OpenRouter) or "anthropic" (Messages)',
    parse: (v) =>
      typeof v === "string" && isProvider(v)
        ? { value: v }
        : { error: `must be "openai" or "anthropic", not ${show(v)}` },
  },
  {
    key: "model",
    field: "model",
    doc: "the model name the endpoint knows (gpt-4o-mini, claude-sonnet-4-5, llama3.1, ...)",
    parse: (v) =>
      typeof v === "string" && v.trim() !== "" && v.length <= 200 && !/[\s\0]/.test(v)
        ? { value: v }
        : { error: `must be a model name without spaces, not ${show(v)}` },
  },
  {
    key: "base_url",
    field: "baseUrl",
    doc: "the endpoint (http or https); default the provider's own",
    parse: (v) => {
      if (typeof v !== "string") return { error: `must be a URL string, not ${show(v)}` };
      const u = checkBaseUrl(v);
      return typeof u === "string" ? { value: u } : u;
    },
  },
  {
    key: "api_key_env",
    field: "apiKeyEnv",
    doc: "the name of the environment variable holding the API key (never the key itself)",
    parse: (v) =>
      typeof v === "string" && /^[A-Z_][A-Z0-9_]{0,127}$/.test(v)
        ? { value: v }
        : {
            error: `must be the NAME of an environment variable (upper case, digits, _), not ${typeof v === "string" && v.length > 12 ? "a value that looks like a key" : show(v)}`,
          },
  },
  {
    key: "timeout",
    field: "timeoutMs",
    doc: "how long one request may take (default 60s)",
    parse: duration(3_600_000),
  },
  {
    key: "max_retries",
    field: "maxRetries",
    doc: "retries of a request after 429, 529, 5xx or a lost connection (default 2)",
    parse: (v) =>
      typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 10
        ? { value: v }
        : { error: `must be an integer from 0 to 10, not ${show(v)}` },
  },
  {
    key: "max_retry_wait",
    field: "maxRetryWaitMs",
    doc: "the longest `retry-after` honoured; a provider asking to wait longer fails the call (default 60s)",
    parse: duration(3_600_000),
  },
  {
    key: "max_tokens",
    field: "maxTokens",
    doc: "output tokens per model call (default 4096)",
    parse: positiveInt(1_000_000),
  },
  {
    key: "temperature",
    field: "temperature",
    doc: "sampling temperature (provider default when absent)",
    parse: (v) =>
      typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 2
        ? { value: v }
        : { error: `must be a number from 0 to 2, not ${show(v)}` },
  },
  {
    key: "token_budget",
    field: "tokenBudget",
    doc: "tokens (input + output) one `reason` loop may spend (default 100000)",
    parse: positiveInt(100_000_000),
  },
  {
    key: "tool_output_max_bytes",
    field: "toolOutputMaxBytes",
    doc: "bytes of one tool result returned to the model (default 16384)",
    parse: positiveInt(16 * 1024 * 1024),
  },
];

export const MODEL_DEFAULTS = {
  timeoutMs: 60_000,
  maxRetries: 2,
  maxRetryWaitMs: 60_000,
  maxTokens: 4096,
  tokenBudget: 100_000,
  toolOutputMaxBytes: 16_384,
} as const;

/** A configuration problem: exit 1, the message names the file and key (or variable) to fix. */
export class ModelConfigError extends Error {
  override readonly name = "ModelConfigError";
  readonly exitCode = ExitCode.Error;
}

/** A base URL as the clients take it, or why it is refused (credentials in it, a scheme other than http/https). */
export function checkBaseUrl(text: string): string | { error: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { error: `must be an http or https URL, not ${JSON.stringify(text)}` };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    return { error: `must be an http or https URL, not ${JSON.stringify(u.protocol)}` };
  if (u.username !== "" || u.password !== "")
    return { error: "must not carry credentials (they would end up in logs); give the key through its variable" };
  if (u.search !== "" || u.hash !== "") return { error: "must not have a query or fragment" };
  return u.href.replace(/\/+$/, "");
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

export type SettingSource = "default" | "symbi.toml" | "environment" | "--model" | "agent metadata";

/** The resolved configuration of one agent's model calls. */
export interface ModelConfig {
  provider: ProviderKind;
  model: string;
  baseUrl: string;
  /** The variable the key is read from (named in messages about authentication). */
  keyVariable: string;
  /** Absent when the variable is unset (allowed for endpoints that need no key, such as a local Ollama). */
  apiKey?: ApiKey;
  timeoutMs: number;
  maxRetries: number;
  maxRetryWaitMs: number;
  maxTokens: number;
  temperature?: number;
  tokenBudget: number;
  toolOutputMaxBytes: number;
  /** Where provider, model and base URL came from (for messages and `run_start`). */
  sources: { provider: SettingSource; model: SettingSource; baseUrl: SettingSource };
}

/** The `[model]` table of a project's `symbi.toml`, read and checked. */
export interface ProjectModelSettings {
  /** The file, for messages. */
  file: string;
  settings: ModelSettings;
}

/**
 * Reads `[model]` from `<projectDir>/symbi.toml`, when the file exists. Other tables belong to
 * other parts of the configuration and are not read here. Throws ModelConfigError
 * (`symbi.toml:line:col: ...`) for a TOML syntax error, an unknown key or a bad value.
 */
export function readProjectModelSettings(projectDir: string): ProjectModelSettings | undefined {
  const path = join(projectDir, "symbi.toml");
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readBounded(path, MAX_CONFIG_BYTES).toString("utf8");
  } catch (e) {
    const err = e as BoundedReadError;
    throw new ModelConfigError(`cannot read ${path}: ${err.code === "TOO_LARGE" ? err.reason : err.code}`);
  }
  const src = parseTomlSource(text, path);
  if (!src.ok) {
    const d = src.diagnostic;
    throw new ModelConfigError(`${path}:${d.span.line}:${d.span.col}: ${d.message}`);
  }
  const table = src.value.model;
  if (table === undefined) return { file: path, settings: {} };
  const at = (p: (string | number)[], value = false) => {
    const s = value ? src.locator.value(p) : src.locator.key(p);
    return `${path}:${s.line}:${s.col}`;
  };
  if (!isTable(table)) throw new ModelConfigError(`${at(["model"])}: \`model\` must be a table ([model])`);
  const settings: Record<string, unknown> = {};
  const known = MODEL_KEYS.map((k) => k.key);
  for (const [key, value] of Object.entries(table)) {
    const spec = MODEL_KEYS.find((k) => k.key === key);
    if (!spec) {
      const hint = didYouMean(key, known);
      throw new ModelConfigError(
        `${at(["model", key])}: unknown key \`${key}\` in [model]${hint ? `; ${hint}` : ""} (known: ${known.join(", ")})`,
      );
    }
    const r = spec.parse(value);
    if ("error" in r) throw new ModelConfigError(`${at(["model", key], true)}: [model] ${key} ${r.error}`);
    settings[spec.field] = r.value;
  }
  return { file: path, settings: settings as ModelSettings };
}

/** `PROVIDER:MODEL` or `MODEL`. Throws for an unknown provider or an empty model. */
export function parseModelSpec(spec: string, where: string): { provider?: ProviderKind; model: string } {
  const i = spec.indexOf(":");
  const provider = i < 0 ? undefined : spec.slice(0, i);
  const model = i < 0 ? spec : spec.slice(i + 1);
  if (provider !== undefined && !isProvider(provider))
    throw new ModelConfigError(
      `${where}: unknown provider \`${provider}\` in ${JSON.stringify(spec)}: use openai:MODEL or anthropic:MODEL (openai also serves Ollama, vLLM, llama.cpp, LM Studio and OpenRouter through its base URL)`,
    );
  if (model.trim() === "" || /[\s\0]/.test(model))
    throw new ModelConfigError(`${where}: ${JSON.stringify(spec)} names no model (expected PROVIDER:MODEL)`);
  return { ...(provider !== undefined ? { provider } : {}), model };
}

export interface ModelLayers {
  project?: ProjectModelSettings;
  /** The environment (process.env in the CLI; tests pass their own). */
  env: Readonly<Record<string, string | undefined>>;
  /** `--model PROVIDER:MODEL` (not `replay:`, which the caller handles). */
  flag?: string;
}

/**
 * The configuration for an agent (its metadata `model`, if any), or `undefined` when no layer
 * names a provider and a model: then `llm_call` and `reason` fail with "no model provider is
 * configured". Throws ModelConfigError for a configuration that names one but cannot be used.
 */
export function resolveModelConfig(layers: ModelLayers, agentModel?: string): ModelConfig | undefined {
  const p = layers.project?.settings ?? {};
  const file = layers.project?.file ?? "symbi.toml";
  const envSpec = layers.env[MODEL_VARIABLE];
  const candidates: Array<{ source: SettingSource; provider?: ProviderKind; model?: string }> = [];
  if (layers.flag !== undefined) candidates.push({ source: "--model", ...parseModelSpec(layers.flag, "--model") });
  if (envSpec !== undefined && envSpec !== "")
    candidates.push({ source: "environment", ...parseModelSpec(envSpec, MODEL_VARIABLE) });
  if (agentModel !== undefined)
    candidates.push({ source: "agent metadata", ...parseModelSpec(agentModel, "metadata `model`") });
  candidates.push({
    source: "symbi.toml",
    ...(p.provider !== undefined ? { provider: p.provider } : {}),
    ...(p.model !== undefined ? { model: p.model } : {}),
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
      `the provider \`${withProvider.provider}\` (${withProvider.source}) has no model: set [model] model in ${file}, or pass --model ${withProvider.provider}:MODEL`,
    );
  const provider = withProvider.provider!;
  const spec = PROVIDERS[provider];

  let baseUrl: string = spec.defaultBaseUrl;
  let baseUrlSource: SettingSource = "default";
  const envBase = layers.env[spec.baseUrlVariable];
  if (envBase !== undefined && envBase !== "") {
    const u = checkBaseUrl(envBase);
    if (typeof u !== "string") throw new ModelConfigError(`${spec.baseUrlVariable} ${u.error}`);
    baseUrl = u;
    baseUrlSource = "environment";
  } else if (p.baseUrl !== undefined) {
    baseUrl = p.baseUrl;
    baseUrlSource = "symbi.toml";
  }

  const keyVariable = p.apiKeyEnv ?? spec.keyVariable;
  const keyText = layers.env[keyVariable];
  const apiKey = keyText !== undefined && keyText !== "" ? new ApiKey(keyText, keyVariable) : undefined;
  if (apiKey && baseUrlSource === "symbi.toml" && !isLoopback(baseUrl))
    throw new ModelConfigError(
      `${file} sets [model] base_url = ${JSON.stringify(baseUrl)}; the API key in ${keyVariable} is sent only to the provider's own endpoint, a loopback address, or a base URL the operator sets: set ${spec.baseUrlVariable}=${baseUrl} to send it there`,
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
    timeoutMs: p.timeoutMs ?? MODEL_DEFAULTS.timeoutMs,
    maxRetries: p.maxRetries ?? MODEL_DEFAULTS.maxRetries,
    maxRetryWaitMs: p.maxRetryWaitMs ?? MODEL_DEFAULTS.maxRetryWaitMs,
    maxTokens: p.maxTokens ?? MODEL_DEFAULTS.maxTokens,
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    tokenBudget: p.tokenBudget ?? MODEL_DEFAULTS.tokenBudget,
    toolOutputMaxBytes: p.toolOutputMaxBytes ?? MODEL_DEFAULTS.toolOutputMaxBytes,
    sources: { provider: withProvider.source, model: withModel.source, baseUrl: baseUrlSource },
  };
}
