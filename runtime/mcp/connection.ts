/**
 * One connection to one MCP server, through the MCP TypeScript SDK's client: a stdio server
 * started in a sandbox (stdio-transport.ts), or a Streamable HTTP server (stateful — the server
 * issues a session — or stateless, as the SDK supports both). Every failure is an
 * McpServerError naming the server and saying what happened: it could not be started, it exited
 * (status, end of its stderr), it answered with malformed JSON-RPC, a message exceeded the cap,
 * a request timed out. Nothing waits without a bound: connecting, listing and each call have a
 * timeout, and a connection that ends fails every request still waiting.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike, Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolResultSchema,
  ErrorCode,
  ListToolsResultSchema,
  McpError,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpServerDecl } from "../../formats/mcp.js";
import { VERSION } from "../../compiler/version.js";
import type { SandboxProcess } from "../sandbox/types.js";
import { SandboxStdioTransport } from "./stdio-transport.js";
import { McpServerError } from "./server-error.js";

/**
 * A signal for one request that follows `outer`: the SDK adds an abort listener to the signal of
 * every request and never removes it, so giving it the run's own signal would pile up one
 * listener (and its closure) per call for the whole run. `done()` detaches the per-request one.
 */
function requestSignal(outer: AbortSignal | undefined): { signal?: AbortSignal; done: () => void } {
  if (!outer) return { done: () => undefined };
  const ctl = new AbortController();
  if (outer.aborted) ctl.abort(outer.reason);
  const onAbort = () => ctl.abort(outer.reason);
  outer.addEventListener("abort", onAbort, { once: true });
  return { signal: ctl.signal, done: () => outer.removeEventListener("abort", onAbort) };
}

/** Pages of `tools/list` read at most (a server that pages forever is refused). */
const MAX_LIST_PAGES = 100;
/** Tools one server may list. */
const MAX_TOOLS = 10_000;

export interface ConnectOptions {
  /** The server's name (`[mcp.servers.NAME]`). */
  name: string;
  decl: McpServerDecl;
  /** Starts a stdio server's program in its sandbox. */
  spawn?: (argv: string[]) => Promise<SandboxProcess>;
  /** The operator's environment (for `bearer_token_env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The largest message the server may send. */
  maxMessageBytes: number;
  /** Bound on starting the server and the MCP handshake. */
  connectTimeoutMs: number;
  signal?: AbortSignal;
}

/**
 * A fetch whose response bodies end with an error past `max` bytes: a server cannot make the
 * runtime buffer an unbounded answer.
 */
function cappedFetch(max: number): FetchLike {
  return async (url, init) => {
    const res = await fetch(url, init);
    if (!res.body) return res;
    let seen = 0;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          seen += chunk.byteLength;
          if (seen > max) ctl.error(new Error(`the server sent more than ${max} bytes (the output cap)`));
          else ctl.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

export class McpConnection {
  private toolsChanged: (() => void) | undefined;

  private constructor(
    readonly name: string,
    private readonly client: Client,
    private readonly transport: Transport,
    /** The sandboxed program of a stdio server. */
    readonly process: SandboxProcess | undefined,
  ) {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.toolsChanged?.());
  }

  /** Starts (stdio) or reaches (HTTP) the server and completes the MCP handshake. */
  static async open(o: ConnectOptions): Promise<McpConnection> {
    const client = new Client({ name: "symbi", version: VERSION }, { capabilities: {} });
    let transport: Transport;
    let proc: SandboxProcess | undefined;
    if (o.decl.transport === "stdio") {
      if (!o.spawn) throw new McpServerError(o.name, `MCP server \`${o.name}\` cannot be started here`, "start");
      try {
        proc = await o.spawn([o.decl.command, ...o.decl.args]);
      } catch (e) {
        throw new McpServerError(
          o.name,
          `MCP server \`${o.name}\` could not be started: ${(e as Error).message}`,
          "start",
        );
      }
      transport = new SandboxStdioTransport(proc, o.maxMessageBytes);
    } else {
      const headers: Record<string, string> = {};
      if (o.decl.bearerTokenEnv !== undefined) {
        const token = o.env?.[o.decl.bearerTokenEnv];
        if (token === undefined || token === "")
          throw new McpServerError(
            o.name,
            `MCP server \`${o.name}\` needs a token in the variable ${o.decl.bearerTokenEnv}, which is not set`,
            "start",
          );
        headers["Authorization"] = `Bearer ${token}`;
      }
      transport = new StreamableHTTPClientTransport(new URL(o.decl.url), {
        fetch: cappedFetch(o.maxMessageBytes),
        requestInit: { headers },
        reconnectionOptions: {
          maxRetries: 0,
          initialReconnectionDelay: 1000,
          maxReconnectionDelay: 1000,
          reconnectionDelayGrowFactor: 1,
        },
      });
    }
    const conn = new McpConnection(o.name, client, transport, proc);
    try {
      const req = requestSignal(o.signal);
      await client
        .connect(transport, { timeout: o.connectTimeoutMs, ...(req.signal ? { signal: req.signal } : {}) })
        .finally(req.done);
    } catch (e) {
      const err = conn.failure(e, "start");
      await conn.close();
      throw new McpServerError(o.name, `MCP server \`${o.name}\` could not be started: ${err.detail}`, err.reason);
    }
    return conn;
  }

  /** The id of the server's sandbox (stdio), for the audit log. */
  get sandboxId(): string | undefined {
    return this.process?.id;
  }

  /** The session the server issued (stateful Streamable HTTP), if any. */
  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  /** Called when the server says its list of tools changed (`notifications/tools/list_changed`). */
  onToolsChanged(handler: () => void): void {
    this.toolsChanged = handler;
  }

  /** Every tool the server lists (all pages), as sent. */
  async listTools(timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      let r;
      const req = requestSignal(signal);
      try {
        r = await this.client.request(
          { method: "tools/list", params: cursor !== undefined ? { cursor } : {} },
          ListToolsResultSchema,
          { timeout: timeoutMs, ...(req.signal ? { signal: req.signal } : {}) },
        );
      } catch (e) {
        const f = this.failure(e, "error");
        throw new McpServerError(
          this.name,
          `MCP server \`${this.name}\` could not list its tools: ${f.detail}`,
          f.reason,
        );
      } finally {
        req.done();
      }
      out.push(...(r.tools as Record<string, unknown>[]));
      if (out.length > MAX_TOOLS)
        throw new McpServerError(
          this.name,
          `MCP server \`${this.name}\` lists more than ${MAX_TOOLS} tools`,
          "protocol",
        );
      cursor = r.nextCursor;
      if (cursor === undefined) return out;
    }
    throw new McpServerError(
      this.name,
      `MCP server \`${this.name}\` kept paging its tool list past ${MAX_LIST_PAGES} pages`,
      "protocol",
    );
  }

  /** `tools/call`; the result as the server sent it (checked against the MCP schema). */
  async callTool(
    tool: string,
    args: Record<string, unknown>,
    o: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<Record<string, unknown>> {
    const req = requestSignal(o.signal);
    try {
      const r = await this.client.request(
        { method: "tools/call", params: { name: tool, arguments: args } },
        CallToolResultSchema,
        { timeout: o.timeoutMs, maxTotalTimeout: o.timeoutMs, ...(req.signal ? { signal: req.signal } : {}) },
      );
      return r as Record<string, unknown>;
    } catch (e) {
      const f = this.failure(e, "error");
      throw new McpServerError(this.name, f.detail, f.reason);
    } finally {
      req.done();
    }
  }

  /** What a failed request means: the connection's end reason when it ended, else the error. */
  private failure(
    e: unknown,
    fallback: McpServerError["reason"],
  ): { detail: string; reason: McpServerError["reason"] } {
    const t = this.transport instanceof SandboxStdioTransport ? this.transport : undefined;
    const stderr = t?.stderr.trim() ? `; its stderr ends: ${JSON.stringify(t.stderr.trim().slice(-500))}` : "";
    if (e instanceof McpError) {
      if (e.code === ErrorCode.RequestTimeout) return { detail: `no answer within the timeout`, reason: "timeout" };
      if (e.code === ErrorCode.ConnectionClosed) {
        const why = t?.endReason ?? "the connection closed";
        const reason = /malformed/.test(why) ? "protocol" : /larger than/.test(why) ? "too_large" : "exited";
        return { detail: `${why}${stderr}`, reason };
      }
      return { detail: `it answered with an error: ${e.message.replace(/^MCP error -?\d+: /, "")}`, reason: fallback };
    }
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && e.name === "AbortError")
      return { detail: "the request was cancelled", reason: "aborted" };
    if (t?.endReason) {
      const reason = /malformed/.test(t.endReason)
        ? "protocol"
        : /larger than/.test(t.endReason)
          ? "too_large"
          : "exited";
      return { detail: `${t.endReason}${stderr}`, reason };
    }
    if (/output cap/.test(message)) return { detail: message, reason: "too_large" };
    if (e instanceof SyntaxError || /ZodError|invalid_type|Invalid input|JSON/.test(message))
      return { detail: `it answered with malformed JSON-RPC (${message.split("\n")[0]})`, reason: "protocol" };
    return { detail: `${message}${stderr}`, reason: fallback };
  }

  /** Ends the connection: a stdio server is stopped (its sandbox removed), an HTTP session closed. */
  async close(): Promise<void> {
    if (this.transport instanceof StreamableHTTPClientTransport && this.transport.sessionId !== undefined) {
      await this.transport.terminateSession().catch(() => undefined);
    }
    await this.client.close().catch(() => undefined);
    await this.process?.stop();
  }
}
