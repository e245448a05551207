/**
 * Whether a configured model can be reached, without spending tokens (`symbi doctor`): the
 * provider's model listing — OpenAI-compatible `GET {base}/models`, Anthropic `GET /v1/models` —
 * through the same client libraries the runtime calls the model with (openai.ts, anthropic.ts),
 * given the same key and base URL, with no retries and one deadline for the whole listing.
 *
 * The key is sent only where a run would send it (config.ts decides that) and never appears in
 * what this returns: the libraries' messages go through `redact`.
 */
import type { ModelConfig } from "./config.js";
import { redact } from "./errors.js";
import { governedFetch } from "./http.js";

export type ModelProbe =
  /** The listing answered and names the model (as `listedAs`: an alias may be listed by its dated name). */
  | { kind: "ok"; listedAs: string; count: number }
  /** The listing answered without the model. */
  | { kind: "not_listed"; count: number; sample: string[] }
  /** 401 / 403: the key was refused (or is missing). */
  | { kind: "auth"; status: number; message: string }
  /** Any other HTTP status (404: the endpoint has no model listing at this base URL). */
  | { kind: "http"; status: number; message: string }
  /** No connection (refused, DNS, TLS). */
  | { kind: "unreachable"; message: string }
  /** No complete answer within the deadline. */
  | { kind: "timeout"; ms: number };

/** Models read from a listing at most (pages are followed up to this many entries). */
const MAX_LISTED = 10_000;

/**
 * Whether `id` (as listed) is the configured `model`: the same id; or Ollama's `name:latest`
 * for `name`; or a dated snapshot `alias-YYYYMMDD` for an alias (Anthropic lists
 * `claude-sonnet-4-5-20250929`, and accepts `claude-sonnet-4-5`).
 */
export function listedAsModel(id: string, model: string): boolean {
  if (id === model || id === `${model}:latest`) return true;
  return id.startsWith(`${model}-`) && /^\d{8}$/.test(id.slice(model.length + 1));
}

interface ListingClient {
  list(signal: AbortSignal): AsyncIterable<{ id: string }>;
}

async function listingClient(config: ModelConfig, timeoutMs: number, fetchImpl?: typeof fetch): Promise<ListingClient> {
  const common = {
    apiKey: config.apiKey?.reveal() ?? "no-key",
    baseURL: config.baseUrl,
    timeout: timeoutMs,
    maxRetries: 0,
    fetch: governedFetch({ maxRetryWaitMs: 0, ...(fetchImpl ? { fetch: fetchImpl } : {}) }),
    logLevel: "off" as const,
  };
  if (config.provider === "openai") {
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI(common);
    return { list: (signal) => client.models.list({ signal }) };
  }
  const { default: Anthropic } = await import("@anthropic-ai/sdk");
  const client = new Anthropic(common);
  return { list: (signal) => client.models.list({ limit: 1000 }, { signal }) };
}

/** Lists the provider's models and looks for the configured one, within `timeoutMs` in all. */
export async function probeModel(
  config: ModelConfig,
  o: { timeoutMs: number; fetch?: typeof fetch },
): Promise<ModelProbe> {
  const secrets = config.apiKey ? [config.apiKey.reveal()] : [];
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, o.timeoutMs);
  try {
    const client = await listingClient(config, o.timeoutMs, o.fetch);
    const ids: string[] = [];
    for await (const m of client.list(ctl.signal)) {
      if (typeof m?.id !== "string") continue;
      if (listedAsModel(m.id, config.model)) return { kind: "ok", listedAs: m.id, count: ids.length + 1 };
      ids.push(m.id);
      if (ids.length >= MAX_LISTED) break;
    }
    return { kind: "not_listed", count: ids.length, sample: ids.slice(0, 8) };
  } catch (e) {
    if (timedOut) return { kind: "timeout", ms: o.timeoutMs };
    const err = e as { status?: unknown; name?: string; message?: string };
    // The libraries say "Connection error."; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is in the causes.
    let cause = (e as { cause?: unknown }).cause as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
    let why = "";
    for (let i = 0; cause && i < 4; i++, cause = cause.cause as typeof cause) {
      if (typeof cause.code === "string") why = cause.code;
      else if (!why && typeof cause.message === "string" && cause.message !== "fetch failed") why = cause.message;
    }
    const message = redact(`${String(err?.message ?? e).split("\n")[0]!}${why ? ` (${why})` : ""}`, secrets);
    if (err?.name === "APIConnectionTimeoutError") return { kind: "timeout", ms: o.timeoutMs };
    if (typeof err?.status === "number")
      return err.status === 401 || err.status === 403
        ? { kind: "auth", status: err.status, message }
        : { kind: "http", status: err.status, message };
    return { kind: "unreachable", message };
  } finally {
    clearTimeout(timer);
  }
}
