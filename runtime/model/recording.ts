/**
 * Record and replay of model exchanges (`symbi exec --record FILE`, `--model replay:FILE`).
 *
 * A recording is JSON Lines: a header, then one line per model call in the order the calls
 * finished. It holds the provider-neutral request and response (types.ts) — prompts, tool
 * definitions, tool results, answers — and never an API key or a header (the clients see the
 * key; the recorder sees only what types.ts carries).
 *
 *   {"format":"symbi-model-recording/1","provider":"openai","model":"…","endpoint":"…",
 *    "created":"…","recorder":"symbi 0.1.0","source":{"kind":"live"} | {"kind":"scripted","note":"…"}}
 *   {"seq":1,"requestSha256":"…","request":{…},"response":{…},"attempts":1}
 *   {"seq":2,"requestSha256":"…","request":{…},"error":{"kind":"timeout","message":"…"}}
 *
 * `source` says where the answers came from: a server that sends `x-symbi-scripted: <note>` is
 * a scripted test server, and the header says so — a recording of scripted answers is never
 * presented as a real model's.
 *
 * Replay answers each request with the recorded response (or error) of an unused exchange whose
 * request is identical (canonical JSON, SHA-256) — in any order, so agents that call the model
 * concurrently replay too. A request with no identical exchange is a divergence: the call fails
 * (ModelError "replay", which ends the run) naming the first field where it differs from the
 * next unused exchange. Exchanges left unused at the end are reported by the caller.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { readBounded, type BoundedReadError } from "../../formats/bounded-read.js";
import { canonicalJson } from "../../formats/json.js";
import { sha256Hex } from "../../formats/digest.js";
import { canonicalRequestSha256 } from "./canonical-request.js";
import { ModelError, type ModelErrorKind } from "./errors.js";
import type { ChatRequest, ChatResponse, ExchangeInfo, ModelClient } from "./types.js";

export const RECORDING_FORMAT = "symbi-model-recording/1";

export interface RecordingHeader {
  format: typeof RECORDING_FORMAT;
  provider: string;
  model: string;
  /** Where the answers came from (origin and path; never credentials). */
  endpoint: string;
  created: string;
  recorder: string;
  source: { kind: "live" } | { kind: "scripted"; note: string };
}

export interface RecordedExchange {
  seq: number;
  requestSha256: string;
  request: ChatRequest;
  response?: ChatResponse;
  error?: { kind: ModelErrorKind; message: string; status?: number };
  attempts?: number;
}

/**
 * The SHA-256 of a request's canonical JSON: what the audit log records and replay matches on.
 * Computed incrementally (canonical-request.ts): a loop's growing conversation is canonicalised
 * and hashed once per message, not once per turn.
 */
export function requestSha256(req: ChatRequest): string {
  return canonicalRequestSha256(req);
}

export function responseSha256(res: ChatResponse): string {
  return sha256Hex(canonicalJson(res));
}

/** A recording that cannot be read or used: exit 1, the message names the file and line. */
export class RecordingError extends Error {
  override readonly name = "RecordingError";
  readonly exitCode = 1;
}

/** Appends the exchanges of a run to FILE (created, or truncated, with mode 0600: prompts may be confidential). */
export class Recorder {
  private fd: number | null;
  private seq = 0;
  private headerWritten = false;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly recorderName: string,
  ) {
    this.fd = fd;
  }

  /** Opens FILE for writing now, so an unwritable path is refused before the run starts. */
  static open(path: string, recorderName: string): Recorder {
    let fd: number;
    try {
      fd = openSync(path, "w", 0o600);
    } catch (e) {
      throw new RecordingError(
        `cannot write the recording ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    return new Recorder(path, fd, recorderName);
  }

  private line(v: unknown): void {
    if (this.fd === null) throw new RecordingError(`the recording ${this.path} is closed`);
    writeSync(this.fd, `${JSON.stringify(v)}\n`);
  }

  private header(client: ModelClient, info: ExchangeInfo | undefined): void {
    if (this.headerWritten) return;
    this.headerWritten = true;
    const h: RecordingHeader = {
      format: RECORDING_FORMAT,
      provider: client.provider,
      model: client.model,
      endpoint: client.endpoint,
      created: new Date().toISOString(),
      recorder: this.recorderName,
      source: info?.scripted !== undefined ? { kind: "scripted", note: info.scripted } : { kind: "live" },
    };
    this.line(h);
  }

  record(
    client: ModelClient,
    request: ChatRequest,
    outcome: { response: ChatResponse; info: ExchangeInfo } | { error: ModelError; info?: ExchangeInfo },
  ): void {
    this.header(client, outcome.info);
    const e: RecordedExchange = {
      seq: ++this.seq,
      requestSha256: requestSha256(request),
      request,
      ...("response" in outcome
        ? { response: outcome.response }
        : {
            error: {
              kind: outcome.error.kind,
              message: outcome.error.message,
              ...(outcome.error.status !== undefined ? { status: outcome.error.status } : {}),
            },
          }),
      ...(outcome.info ? { attempts: outcome.info.attempts } : {}),
    };
    this.line(e);
  }

  /** Writes the header if no exchange did (a run that made no model call), syncs and closes. */
  close(client?: ModelClient): void {
    if (this.fd === null) return;
    if (client) this.header(client, undefined);
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** A client whose exchanges are also written to a recording. */
export class RecordingClient implements ModelClient {
  get provider(): string {
    return this.inner.provider;
  }
  get model(): string {
    return this.inner.model;
  }
  get endpoint(): string {
    return this.inner.endpoint;
  }
  constructor(
    private readonly inner: ModelClient,
    private readonly recorder: Recorder,
  ) {}

  async complete(req: ChatRequest, signal: AbortSignal): Promise<{ response: ChatResponse; info: ExchangeInfo }> {
    try {
      const r = await this.inner.complete(req, signal);
      this.recorder.record(this.inner, req, r);
      return r;
    } catch (e) {
      // An interrupted run records nothing for the call it interrupted.
      if (e instanceof ModelError && !signal.aborted) this.recorder.record(this.inner, req, { error: e });
      throw e;
    }
  }
}

/** The first place two JSON values differ, as `path: recorded … ≠ now …`. */
export function recordingDifference(recorded: unknown, now: unknown, path = "request"): string | undefined {
  if (Object.is(recorded, now)) return undefined;
  const show = (v: unknown) => {
    const t = v === undefined ? "(absent)" : JSON.stringify(v);
    return t.length > 120 ? `${t.slice(0, 117)}...` : t;
  };
  const bothObjects = typeof recorded === "object" && recorded !== null && typeof now === "object" && now !== null;
  if (!bothObjects || Array.isArray(recorded) !== Array.isArray(now))
    return `${path}: recorded ${show(recorded)}, now ${show(now)}`;
  if (Array.isArray(recorded) && Array.isArray(now)) {
    for (let i = 0; i < Math.max(recorded.length, now.length); i++) {
      const d = recordingDifference(recorded[i], now[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const r = recorded as Record<string, unknown>;
  const n = now as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(r), ...Object.keys(n)])].sort()) {
    const d = recordingDifference(r[k], n[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

export interface Recording {
  path: string;
  header: RecordingHeader;
  exchanges: RecordedExchange[];
}

/** Largest recording `--model replay:FILE` reads (`replay:/dev/zero` ends with an error). */
export const MAX_RECORDING_BYTES = 256 * 1024 * 1024;

/** Reads and checks a recording. Throws RecordingError naming the file and line. */
export function loadRecording(path: string): Recording {
  let text: string;
  try {
    text = readBounded(path, MAX_RECORDING_BYTES).toString("utf8");
  } catch (e) {
    const err = e as BoundedReadError;
    throw new RecordingError(`cannot read the recording ${path}: ${err.code === "TOO_LARGE" ? err.reason : err.code}`);
  }
  const lines = text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
  const parse = (l: string, i: number): unknown => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      throw new RecordingError(`${path}:${i + 1}: not a JSON line of a model recording`);
    }
  };
  if (lines.length === 0) throw new RecordingError(`${path} is empty: not a model recording`);
  const header = parse(lines[0]!, 0) as Partial<RecordingHeader>;
  if (header.format !== RECORDING_FORMAT || typeof header.provider !== "string" || typeof header.model !== "string")
    throw new RecordingError(`${path}:1: not a model recording (expected a header with format "${RECORDING_FORMAT}")`);
  const exchanges = lines.slice(1).map((l, i) => {
    const e = parse(l, i + 1) as Partial<RecordedExchange>;
    if (
      typeof e.seq !== "number" ||
      typeof e.request !== "object" ||
      e.request === null ||
      (e.response === undefined) === (e.error === undefined)
    )
      throw new RecordingError(`${path}:${i + 2}: not a recorded exchange (seq, request, and a response or an error)`);
    // The hash is recomputed: a hand-edited request is matched by what it says, not by a stale hash.
    return { ...e, requestSha256: requestSha256(e.request) } as RecordedExchange;
  });
  return { path, header: header as RecordingHeader, exchanges };
}

/** Answers requests from a recording. */
export class ReplayClient implements ModelClient {
  readonly provider: string;
  readonly model: string;
  readonly endpoint: string;
  private readonly used: boolean[];

  constructor(readonly recording: Recording) {
    this.provider = recording.header.provider;
    this.model = recording.header.model;
    this.endpoint = `replay:${recording.path}`;
    this.used = recording.exchanges.map(() => false);
  }

  async complete(req: ChatRequest, signal: AbortSignal): Promise<{ response: ChatResponse; info: ExchangeInfo }> {
    if (signal.aborted) throw signal.reason;
    const hash = requestSha256(req);
    const i = this.recording.exchanges.findIndex((e, k) => !this.used[k] && e.requestSha256 === hash);
    if (i < 0) {
      const next = this.recording.exchanges.findIndex((_, k) => !this.used[k]);
      const made = this.used.filter(Boolean).length + 1;
      const why =
        next < 0
          ? `the recording holds ${this.recording.exchanges.length} exchange${this.recording.exchanges.length === 1 ? "" : "s"}, all used`
          : `it differs from the next recorded request (line ${next + 2}) at ${recordingDifference(this.recording.exchanges[next]!.request, req) ?? "?"}`;
      throw new ModelError(
        "replay",
        `replay of ${this.recording.path} diverged at model call ${made}: no recorded exchange has this request; ${why}`,
        this.provider,
      );
    }
    this.used[i] = true;
    const e = this.recording.exchanges[i]!;
    if (e.error) throw new ModelError(e.error.kind, e.error.message, this.provider, e.error.status);
    return { response: e.response!, info: { attempts: 0, failures: [] } };
  }

  /** The exchanges no request used (a run that ended earlier than the recorded one). */
  unused(): RecordedExchange[] {
    return this.recording.exchanges.filter((_, k) => !this.used[k]);
  }
}
