/**
 * How a model call fails. Every failure of a provider client, the recorder or the replayer is a
 * ModelError with a kind; runtime/reason turns the kind into what agent code sees:
 *
 *   auth, quota, config, replay   → the run ends (FatalError "ModelError"): no retry can help,
 *                                   and the message says which variable or setting to fix
 *   timeout                       → a catchable `Timeout`
 *   rate_limited, overloaded,     → a catchable `Error`, after the client's bounded retries
 *   server, connection,
 *   bad_request, bad_response
 *
 * Messages never carry an API key: every message built from a provider's answer goes through
 * `redact`, which removes the configured key and anything shaped like a key.
 */
import type { ModelConfig } from "./config.js";
import type { ExchangeInfo } from "./types.js";

export type ModelErrorKind =
  | "auth"
  | "quota"
  | "config"
  | "replay"
  | "timeout"
  | "rate_limited"
  | "overloaded"
  | "server"
  | "connection"
  | "bad_request"
  | "bad_response";

/** Kinds that end the run: retrying or catching cannot fix them. */
export const FATAL_MODEL_ERRORS: ReadonlySet<ModelErrorKind> = new Set(["auth", "quota", "config", "replay"]);

export class ModelError extends Error {
  override readonly name = "ModelError";
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly provider: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Things shaped like API keys (OpenAI `sk-…`, Anthropic `sk-ant-…`, bearer tokens), found in provider error text. */
const KEY_SHAPED = /\b(?:sk|pk|rk|key|token)[-_][A-Za-z0-9_\-*.]{8,}|\bBearer\s+[A-Za-z0-9_\-.~+/=]{8,}/gi;

/**
 * `text` with every secret removed: each given secret, every 8-character piece of one (providers
 * echo masked keys such as `sk-abc...wxyz` in error messages), and anything shaped like a key.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s.length === 0) continue;
    out = out.split(s).join("[redacted]");
    if (s.length >= 12) {
      // Pieces of the key: its first and last 8 characters, which masked echoes keep.
      for (const piece of [s.slice(0, 8), s.slice(-8)]) out = out.split(piece).join("[redacted]");
    }
  }
  return out.replace(KEY_SHAPED, "[redacted]");
}

/** What a provider client knows about a failed request (from its library's error). */
export interface RequestFailure {
  /** HTTP status, when the server answered. */
  status?: number;
  /** The parsed error body, when there was one. */
  body?: unknown;
  timeout?: boolean;
  /** The server could not be reached (refused, reset, DNS). */
  connection?: boolean;
  /** The library's message (used only for connection failures and unexpected errors). */
  message: string;
  /** For a 3xx answer, its `location` header (redirects are not followed: node-http-fetch.ts). */
  redirectedTo?: string;
}

/** A 3xx answer's `location` as RequestFailure's `redirectedTo`; nothing for other statuses. */
export function redirectOf(status: number, headers: Headers | undefined): { redirectedTo?: string } {
  const location = status >= 300 && status < 400 ? headers?.get("location") : null;
  return typeof location === "string" ? { redirectedTo: location } : {};
}

export interface FailureContext {
  provider: string;
  model: string;
  baseUrl: string;
  keyVariable: string;
  timeoutMs: number;
  maxRetryWaitMs: number;
  attempts: number;
  /** The wait the last answer asked for, in ms. */
  retryAfterMs?: number;
  secrets: readonly string[];
}

/** The context of a failed request of a client configured by `config`. */
export function failureContext(config: ModelConfig, provider: string, info: ExchangeInfo): FailureContext {
  const last = info.failures.at(-1);
  return {
    provider,
    model: config.model,
    baseUrl: config.baseUrl,
    keyVariable: config.keyVariable,
    timeoutMs: config.timeoutMs,
    maxRetryWaitMs: config.maxRetryWaitMs,
    attempts: info.attempts,
    ...(last?.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
    secrets: config.apiKey ? [config.apiKey.reveal()] : [],
  };
}

/** The server's own explanation (`error.message`), redacted and shortened, or "". */
function serverMessage(body: unknown, secrets: readonly string[]): string {
  const b = body as { error?: { message?: unknown } | string; message?: unknown } | undefined;
  const m =
    typeof b?.error === "object" && b.error !== null && typeof b.error.message === "string"
      ? b.error.message
      : typeof b?.error === "string"
        ? b.error
        : typeof b?.message === "string"
          ? b.message
          : "";
  const one = redact(m, secrets).replace(/\s+/g, " ").trim();
  return one.length > 300 ? `${one.slice(0, 297)}...` : one;
}

function bodyCode(body: unknown): string | undefined {
  const b = body as { error?: { code?: unknown; type?: unknown }; type?: unknown } | undefined;
  for (const v of [b?.error?.code, b?.error?.type, b?.type]) if (typeof v === "string") return v;
  return undefined;
}

/** Error codes/types with which OpenAI- and Anthropic-style APIs say the account cannot pay for more. */
const QUOTA_CODES = new Set(["insufficient_quota", "billing_error", "billing_hard_limit_reached", "quota_exceeded"]);

/** Whether a parsed error body says the quota or credit is exhausted. */
export function saysQuotaExhausted(body: unknown): boolean {
  const code = bodyCode(body);
  return code !== undefined && QUOTA_CODES.has(code);
}

/** The ModelError for a failed request, with a message that says what to do. */
export function classifyFailure(f: RequestFailure, c: FailureContext): ModelError {
  const p = c.provider;
  const tries = c.attempts === 1 ? "1 attempt" : `${c.attempts} attempts`;
  const said = serverMessage(f.body, c.secrets);
  const also = said ? `: ${said}` : "";
  if (f.timeout) return new ModelError("timeout", `${p}: no answer within ${c.timeoutMs / 1000}s (${tries})`, p);
  if (f.status === undefined) {
    const why = redact(f.message, c.secrets);
    return f.connection
      ? new ModelError("connection", `${p}: cannot reach ${c.baseUrl} (${tries}): ${why}`, p)
      : new ModelError("bad_response", `${p}: ${why}`, p);
  }
  const s = f.status;
  if (s >= 300 && s < 400) {
    const to = f.redirectedTo ? ` to ${redact(f.redirectedTo, c.secrets)}` : "";
    return new ModelError(
      "config",
      `${p}: ${c.baseUrl} redirects (HTTP ${s}${to}); redirects are not followed, so the request and its key go nowhere else: set the base URL to the address that answers`,
      p,
      s,
    );
  }
  if (s === 402 || saysQuotaExhausted(f.body))
    return new ModelError(
      "quota",
      `${p}: the quota or credit of the key in ${c.keyVariable} is exhausted (HTTP ${s}); waiting cannot refill it, so the call was not retried${also}`,
      p,
      s,
    );
  if (s === 401)
    return new ModelError(
      "auth",
      `${p}: authentication failed (HTTP 401 from ${c.baseUrl}): set ${c.keyVariable} to a valid API key`,
      p,
      s,
    );
  if (s === 403)
    return new ModelError(
      "auth",
      `${p}: permission denied (HTTP 403 from ${c.baseUrl}) for model ${c.model}: check the key in ${c.keyVariable}${also}`,
      p,
      s,
    );
  if (s === 429 || s === 529 || s === 503 || s >= 500) {
    const kind = s === 429 ? "rate_limited" : s === 529 || s === 503 ? "overloaded" : "server";
    const what = s === 429 ? "rate limited" : kind === "overloaded" ? "overloaded" : "server error";
    const wait =
      c.retryAfterMs !== undefined && c.retryAfterMs > c.maxRetryWaitMs
        ? `; it asks to wait ${Math.ceil(c.retryAfterMs / 1000)}s, more than [model] max_retry_wait (${c.maxRetryWaitMs / 1000}s)`
        : "";
    return new ModelError(kind, `${p}: ${what} (HTTP ${s}) after ${tries}${wait}${also}`, p, s);
  }
  return new ModelError("bad_request", `${p}: the request was refused (HTTP ${s}) for model ${c.model}${also}`, p, s);
}
