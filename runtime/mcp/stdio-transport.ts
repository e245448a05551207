/**
 * MCP over the standard streams of a program running in a sandbox (runtime/sandbox's
 * `spawn`): newline-delimited JSON-RPC, as the MCP stdio transport says, with the SDK's own
 * framing (`ReadBuffer`) and message schema.
 *
 * What the SDK's client transport does not do, and a runtime that must never hang needs:
 * - a bound on each message (a server that writes without end, or one result above the output
 *   cap, is stopped — its calls fail, they do not wait);
 * - a line that is not a JSON-RPC message ends the connection at once: the client then fails
 *   every pending request ("malformed JSON-RPC"), instead of each waiting for its timeout;
 * - the server's exit ends the connection, and the reason (exit status, the end of its stderr)
 *   is kept for the message the caller sees.
 */
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { SandboxExit, SandboxProcess } from "../sandbox/types.js";

/** How much of a server's stderr is kept for messages. */
const STDERR_TAIL_BYTES = 4096;

export class SandboxStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly buffer: ReadBuffer;
  private stderrTail = "";
  private closed = false;
  /** Why the connection ended (set once). */
  private reason: string | undefined;

  constructor(
    private readonly proc: SandboxProcess,
    /** The largest message the server may send, in bytes. */
    readonly maxMessageBytes: number,
  ) {
    this.buffer = new ReadBuffer({ maxBufferSize: maxMessageBytes });
  }

  /** Why the connection ended, when it has (the server's exit, a bad message, a stop). */
  get endReason(): string | undefined {
    return this.reason;
  }

  /** The last part of what the server wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  start(): Promise<void> {
    this.proc.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.proc.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
    });
    this.proc.stdout.on("error", () => undefined);
    this.proc.stderr.on("error", () => undefined);
    void this.proc.exited.then((exit) => this.end(describeExit(exit)));
    return Promise.resolve();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.buffer.append(chunk);
    } catch {
      this.fail(`sent a message larger than ${this.maxMessageBytes} bytes (the output cap); it was stopped`);
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (e) {
        const why = e instanceof SyntaxError ? "not JSON" : "not a JSON-RPC message";
        this.fail(`answered with malformed JSON-RPC (${why}); it was stopped`);
        return;
      }
      if (message === null) return;
      this.onmessage?.(message);
      if (this.closed) return;
    }
  }

  /** A protocol violation: report it, stop the server, end the connection. */
  private fail(reason: string): void {
    if (this.closed) return;
    this.reason = reason;
    this.onerror?.(new Error(reason));
    void this.proc.stop();
    this.end(reason);
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.reason ??= reason;
    this.buffer.clear();
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error(this.reason ?? "the server is not running"));
    return new Promise<void>((resolve, reject) => {
      this.proc.stdin.write(serializeMessage(message), (e) => (e ? reject(e) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (!this.closed) this.reason ??= "it was stopped at the end of the run";
    this.proc.stdin.end();
    await this.proc.stop();
    this.end(this.reason ?? "it was stopped");
  }
}

/** How a server's exit reads in a message. */
export function describeExit(exit: SandboxExit): string {
  if (exit.error) return exit.error;
  if (exit.timedOut) return "it outlived its sandbox's timeout and was killed";
  if (exit.oomKilled) return "it was killed for exceeding its memory limit";
  if (exit.signal) return `it was ended by ${exit.signal}`;
  return `it exited with status ${exit.exitCode ?? "?"}`;
}
