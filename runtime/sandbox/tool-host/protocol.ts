/**
 * The wire format between the runtime and the tool host (`symbi tool-host`) in a Kubernetes
 * pod: one TCP connection on the pod's loopback, newline-delimited JSON, one message per line.
 *
 *   tool host → runtime   {"type":"hello","protocol":"symbi-tool-host/1","report":{…}}   once, first
 *   runtime → tool host   {"type":"run","id":1,"manifest":{…},"argv":[…],"timeoutMs":…,"maxOutputBytes":…,"stdin"?:"<base64>"}
 *   runtime → tool host   {"type":"abort","id":1}
 *   tool host → runtime   {"type":"result","id":1,"result":{exitCode, signal, stdout, stderr, …}}
 *   tool host → runtime   {"type":"error","id":1,"code":"SANDBOX_…","message":"…"}
 *
 * Calls may overlap (ids tell them apart). Lines are bounded on both sides (a line over the
 * bound ends the connection), and every message is checked before use: the tool host is the
 * side a tool can take over, so nothing it sends is trusted further than a tool's own output.
 */
import type { SandboxErrorCode } from "../errors.js";
import type { ConfinementReport } from "./confinement.js";

export const TOOL_HOST_PROTOCOL = "symbi-tool-host/1";
/** Requests carry a manifest and argv (and maybe stdin): well under this. */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024 * 1024;
/** A result holds two outputs of at most 1 MiB (default cap) each, JSON-escaped: up to 6× larger. */
export const MAX_RESULT_LINE_BYTES = 16 * 1024 * 1024;

export interface HelloMessage {
  type: "hello";
  protocol: string;
  report: ConfinementReport;
}

export interface RunMessage {
  type: "run";
  id: number;
  /** The tool's sandbox manifest (the tool host holds each call to its limits). */
  manifest: unknown;
  argv: string[];
  timeoutMs: number;
  maxOutputBytes: number;
  /** Standard input, base64. */
  stdin?: string;
}

export interface AbortMessage {
  type: "abort";
  id: number;
}

export interface ResultMessage {
  type: "result";
  id: number;
  result: WireResult;
}

export interface ErrorMessage {
  type: "error";
  id: number;
  code: SandboxErrorCode | "BAD_REQUEST";
  message: string;
}

/** A SandboxRunResult as sent over the wire (the tier is the runtime's to say). */
export interface WireResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  timedOut: boolean;
  oomKilled: boolean;
  id: string;
}

export type ToRuntime = HelloMessage | ResultMessage | ErrorMessage;
export type ToToolHost = RunMessage | AbortMessage;

/** The connection broke the protocol (a line too long, not JSON, an unknown or malformed message). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

/**
 * Splits a byte stream into lines of at most `maxBytes` (newline excluded). Holds at most one
 * partial line; a line over the bound throws ProtocolError instead of growing without end.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** The complete lines in `chunk` (and what came before it). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.parts).toString("utf8"));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return lines;
  }

  private append(part: Buffer): void {
    this.size += part.length;
    if (this.size > this.maxBytes) throw new ProtocolError(`a message is longer than ${this.maxBytes} bytes`);
    this.parts.push(part);
  }
}

/** One message as a line. */
export function encode(message: ToRuntime | ToToolHost): string {
  return `${JSON.stringify(message)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const SANDBOX_CODES = new Set([
  "SANDBOX_UNAVAILABLE",
  "SANDBOX_IMAGE_MISSING",
  "SANDBOX_UNSUPPORTED",
  "SANDBOX_ABORTED",
  "SANDBOX_ENGINE_FAILED",
  "BAD_REQUEST",
]);

function parseJson(line: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ProtocolError("a message is not JSON");
  }
  if (!isObject(v)) throw new ProtocolError("a message is not a JSON object");
  return v;
}

/** A message from the tool host, checked field by field. `maxOutputBytes` bounds each output of a result. */
export function parseToRuntime(line: string, maxOutputBytes: (id: number) => number | undefined): ToRuntime {
  const m = parseJson(line);
  switch (m.type) {
    case "hello":
      if (typeof m.protocol !== "string" || !isObject(m.report)) throw new ProtocolError("malformed hello");
      return { type: "hello", protocol: m.protocol, report: m.report as unknown as ConfinementReport };
    case "error":
      if (!isId(m.id) || typeof m.code !== "string" || !SANDBOX_CODES.has(m.code) || typeof m.message !== "string")
        throw new ProtocolError("malformed error message");
      return { type: "error", id: m.id, code: m.code as ErrorMessage["code"], message: m.message.slice(0, 2000) };
    case "result": {
      const r = m.result;
      const cap = isId(m.id) ? maxOutputBytes(m.id) : undefined;
      if (cap === undefined || !isObject(r)) throw new ProtocolError("a result for no call in progress");
      const ok =
        (r.exitCode === null || (Number.isSafeInteger(r.exitCode) && (r.exitCode as number) >= 0)) &&
        (r.signal === null || (typeof r.signal === "string" && /^SIG[A-Z0-9]{1,12}$/.test(r.signal))) &&
        typeof r.stdout === "string" &&
        typeof r.stderr === "string" &&
        Buffer.byteLength(r.stdout) <= cap &&
        Buffer.byteLength(r.stderr) <= cap &&
        typeof r.stdoutTruncated === "boolean" &&
        typeof r.stderrTruncated === "boolean" &&
        typeof r.durationMs === "number" &&
        Number.isFinite(r.durationMs) &&
        r.durationMs >= 0 &&
        typeof r.timedOut === "boolean" &&
        typeof r.oomKilled === "boolean" &&
        typeof r.id === "string" &&
        r.id.length <= 64;
      if (!ok) throw new ProtocolError("malformed result");
      return { type: "result", id: m.id as number, result: r as unknown as WireResult };
    }
    default:
      throw new ProtocolError("unknown message type");
  }
}

/** A message from the runtime, checked field by field (the manifest is validated by the caller). */
export function parseToToolHost(line: string): ToToolHost {
  const m = parseJson(line);
  if (m.type === "abort") {
    if (!isId(m.id)) throw new ProtocolError("malformed abort");
    return { type: "abort", id: m.id };
  }
  if (m.type !== "run") throw new ProtocolError("unknown message type");
  const ok =
    isId(m.id) &&
    Array.isArray(m.argv) &&
    m.argv.every((a) => typeof a === "string") &&
    Number.isSafeInteger(m.timeoutMs) &&
    (m.timeoutMs as number) > 0 &&
    Number.isSafeInteger(m.maxOutputBytes) &&
    (m.maxOutputBytes as number) > 0 &&
    (m.stdin === undefined || typeof m.stdin === "string");
  if (!ok) throw new ProtocolError("malformed run request");
  return {
    type: "run",
    id: m.id as number,
    manifest: m.manifest,
    argv: m.argv as string[],
    timeoutMs: m.timeoutMs as number,
    maxOutputBytes: m.maxOutputBytes as number,
    ...(m.stdin !== undefined ? { stdin: m.stdin as string } : {}),
  };
}
