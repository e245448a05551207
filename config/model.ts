/**
 * `[model]`: the language model of model-driven agents (`llm_call`, `reason`). The keys are read
 * like every other section (operator files over the project's symbi.toml, `SYMBIONT_MODEL`,
 * `symbi exec --model`); runtime/model/config.ts turns them, the agent's `metadata { model }`
 * and the providers' own variables into the configuration of one agent's calls.
 */
import { choice, durationKey, int, num, section, text, type SectionValues } from "./schema.js";

/** The model protocols: OpenAI Chat Completions (also Ollama, vLLM, llama.cpp, LM Studio, OpenRouter) and Anthropic Messages. */
export const MODEL_PROVIDERS = ["openai", "anthropic"] as const;
export type ProviderKind = (typeof MODEL_PROVIDERS)[number];

export function isProvider(s: string): s is ProviderKind {
  return (MODEL_PROVIDERS as readonly string[]).includes(s);
}

/** `PROVIDER:MODEL` or a bare `MODEL`, split; or the problem with it. */
export function splitModelSpec(spec: string): { provider?: ProviderKind; model: string } | { problem: string } {
  const i = spec.indexOf(":");
  const provider = i < 0 ? undefined : spec.slice(0, i);
  const model = i < 0 ? spec : spec.slice(i + 1);
  if (provider !== undefined && !isProvider(provider))
    return {
      problem: `unknown provider \`${provider}\` in ${JSON.stringify(spec)}: use openai:MODEL or anthropic:MODEL (openai also serves Ollama, vLLM, llama.cpp, LM Studio and OpenRouter through its base URL)`,
    };
  if (model.trim() === "" || model.length > 200 || /[\s\0]/.test(model))
    return { problem: `${JSON.stringify(spec)} names no model (expected PROVIDER:MODEL, without spaces)` };
  return { ...(provider !== undefined ? { provider } : {}), model };
}

/** A base URL as the clients take it (no trailing slash), or why it is refused. */
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

const HOUR_MS = 3_600_000;

export const model = section("model", "The language model of model-driven agents (llm_call, reason).", {
  provider: choice(MODEL_PROVIDERS, {
    doc: 'The protocol: "openai" (Chat Completions: OpenAI, Ollama, vLLM, llama.cpp, LM Studio, OpenRouter) or "anthropic" (Messages); a provider in `model` wins.',
  }),
  model: text({
    doc: "The model, `PROVIDER:MODEL` or a bare `MODEL` the endpoint knows; an agent's `metadata { model }` overrides a file's value, SYMBIONT_MODEL and --model override both.",
    env: "SYMBIONT_MODEL",
    flag: "--model",
    check: (v) => {
      const s = splitModelSpec(v);
      return "problem" in s ? s.problem : null;
    },
  }),
  base_url: text({
    doc: "The endpoint (http or https; default the provider's own). OPENAI_BASE_URL / ANTHROPIC_BASE_URL override it; the API key goes to a project file's URL only when it is a loopback address.",
    check: (v) => {
      const u = checkBaseUrl(v);
      return typeof u === "string" ? null : u.error;
    },
    normalize: (v) => {
      const u = checkBaseUrl(v);
      return typeof u === "string" ? u : v;
    },
  }),
  api_key_env: text({
    doc: "The NAME of the environment variable holding the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY), never the key itself.",
    check: (v) =>
      /^[A-Z_][A-Z0-9_]{0,127}$/.test(v)
        ? null
        : `must be the NAME of an environment variable (upper case, digits, _), not ${v.length > 12 ? "a value that looks like a key" : JSON.stringify(v)}`,
  }),
  timeout: durationKey({ doc: "How long one request may take.", maxMs: HOUR_MS, default: "60s" }),
  max_retries: int({
    doc: "Retries of a request after 408, 409, 429, 529, 5xx or a lost connection.",
    min: 0,
    max: 10,
    default: 2,
  }),
  max_retry_wait: durationKey({
    doc: "The longest `retry-after` honoured; a provider asking to wait longer fails the call.",
    maxMs: HOUR_MS,
    default: "60s",
  }),
  max_tokens: int({ doc: "Output tokens per model call.", min: 1, max: 1_000_000, default: 4096 }),
  temperature: num({ doc: "Sampling temperature (the provider's default when unset).", min: 0, max: 2 }),
  token_budget: int({
    doc: "Tokens (input + output) one `reason` loop may spend.",
    min: 1,
    max: 100_000_000,
    default: 100_000,
  }),
  tool_output_max_bytes: int({
    doc: "Bytes of one tool result returned to the model.",
    min: 1,
    max: 16 * 1024 * 1024,
    default: 16_384,
  }),
});

export type ModelSectionValues = SectionValues<typeof model>;
