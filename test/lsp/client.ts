/**
 * A minimal LSP client for tests: spawns the server from sources (`node --import tsx
 * lsp/main.ts --stdio`) and speaks JSON-RPC with hand-written Content-Length framing, so a test
 * controls exactly which messages reach the server in one write (a request and its
 * `$/cancelRequest` together, for instance).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO } from "../helpers/corpus.js";

const TSX = import.meta.resolve("tsx");

export interface RpcError {
  code: number;
  message: string;
}

export interface Response {
  id: number;
  result?: unknown;
  error?: RpcError;
}

export interface Notification {
  method: string;
  params: any;
}

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Array<{
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
    severity?: number;
    code?: string;
    source?: string;
    message: string;
  }>;
}

export class LspClient {
  readonly child: ChildProcessWithoutNullStreams;
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (r: Response) => void>();
  readonly notifications: Notification[] = [];
  /** Requests the server sent to the client (answered with null), e.g. client/registerCapability. */
  readonly serverRequests: Array<{ method: string; params: any }> = [];
  /** How the client answers requests from the server, by method (default: null). */
  readonly answers = new Map<string, (params: any) => unknown>();
  private waiters: Array<{ match: (n: Notification) => boolean; resolve: (n: Notification) => void }> = [];
  stderr = "";
  exitCode: number | null = null;
  private readonly exited: Promise<number | null>;

  constructor(args: string[] = ["--stdio"], entry = join(REPO, "lsp/main.ts")) {
    const nodeArgs = entry.endsWith(".ts") ? ["--import", TSX, entry, ...args] : [entry, ...args];
    this.child = spawn(process.execPath, nodeArgs, { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (d) => (this.stderr += d));
    this.child.stdin.on("error", () => {});
    this.child.stdout.on("data", (d: Buffer) => this.onData(d));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve((this.exitCode = code))));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const head = this.buf.indexOf("\r\n\r\n");
      if (head < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buf.subarray(0, head).toString("ascii"));
      if (!m) throw new Error(`bad header from server: ${this.buf.subarray(0, head).toString()}`);
      const len = Number(m[1]);
      if (this.buf.length < head + 4 + len) return;
      const msg = JSON.parse(this.buf.subarray(head + 4, head + 4 + len).toString("utf8"));
      this.buf = this.buf.subarray(head + 4 + len);
      this.dispatch(msg);
    }
  }

  private dispatch(msg: any): void {
    if (msg.id !== undefined && msg.method === undefined) {
      const cb = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      cb?.(msg);
      return;
    }
    if (msg.id !== undefined) {
      // A request from the server (e.g. workspace/configuration): answered as `answers` says, or null.
      this.serverRequests.push({ method: msg.method, params: msg.params });
      const answer = this.answers.get(msg.method);
      this.write([{ jsonrpc: "2.0", id: msg.id, result: answer ? answer(msg.params) : null }]);
      return;
    }
    const n: Notification = { method: msg.method, params: msg.params };
    this.notifications.push(n);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(n)) return true;
      w.resolve(n);
      return false;
    });
  }

  /** Writes several messages in ONE write, so the server reads them together. */
  write(messages: object[]): void {
    const frames = messages.map((m) => {
      const body = Buffer.from(JSON.stringify(m), "utf8");
      return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]);
    });
    this.child.stdin.write(Buffer.concat(frames));
  }

  /** A request message with a fresh id, and the promise of its response. */
  prepare(method: string, params: unknown): { message: object; id: number; response: Promise<Response> } {
    const id = this.nextId++;
    const response = new Promise<Response>((resolve) => this.pending.set(id, resolve));
    return { message: { jsonrpc: "2.0", id, method, params }, id, response };
  }

  /** Sends a request; resolves with the full response (result or error). */
  raw(method: string, params: unknown): Promise<Response> {
    const r = this.prepare(method, params);
    this.write([r.message]);
    return r.response;
  }

  /** Sends a request and returns its result; an error response rejects. */
  async request<T = any>(method: string, params: unknown, timeoutMs = 10_000): Promise<T> {
    const r = this.prepare(method, params);
    this.write([r.message]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(new Error(`${method}: no response in ${timeoutMs} ms; stderr: ${this.stderr}`)),
          timeoutMs,
        )),
    );
    try {
      const res = await Promise.race([r.response, timeout]);
      if (res.error) throw new Error(`${method} failed: ${res.error.code} ${res.error.message}`);
      return res.result as T;
    } finally {
      clearTimeout(timer);
    }
  }

  notify(method: string, params: unknown): void {
    this.write([{ jsonrpc: "2.0", method, params }]);
  }

  /** The first notification (already received or future) that matches. */
  waitFor(match: (n: Notification) => boolean, timeoutMs = 10_000, what = "notification"): Promise<Notification> {
    const seen = this.notifications.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${what} in ${timeoutMs} ms; stderr: ${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push({ match, resolve: (n) => (clearTimeout(timer), resolve(n)) });
    });
  }

  /** The diagnostics published for exactly this document version. */
  async diagnosticsFor(uri: string, version: number, timeoutMs = 10_000): Promise<PublishedDiagnostics> {
    const n = await this.waitFor(
      (n) => n.method === "textDocument/publishDiagnostics" && n.params.uri === uri && n.params.version === version,
      timeoutMs,
      `diagnostics for ${uri} version ${version}`,
    );
    return n.params as PublishedDiagnostics;
  }

  async initialize(rootPath?: string, initializationOptions: object = {}, capabilities: object = {}): Promise<any> {
    const rootUri = rootPath ? pathToFileURL(rootPath).href : null;
    const result = await this.request("initialize", {
      processId: process.pid,
      rootUri,
      workspaceFolders: rootPath ? [{ uri: rootUri, name: "test" }] : null,
      capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } }, ...capabilities },
      initializationOptions,
    });
    this.notify("initialized", {});
    return result;
  }

  open(uri: string, text: string, version = 1): void {
    this.notify("textDocument/didOpen", { textDocument: { uri, languageId: "symbiont", version, text } });
  }

  /** Replaces the whole text (a full-content change). */
  replace(uri: string, text: string, version: number): void {
    this.notify("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  /** An incremental change. */
  edit(
    uri: string,
    version: number,
    range: { start: { line: number; character: number }; end: { line: number; character: number } },
    text: string,
  ): void {
    this.notify("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ range, text }] });
  }

  async shutdown(): Promise<number | null> {
    if (this.exitCode !== null) return this.exitCode;
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    try {
      await this.request("shutdown", null, 3000);
      this.notify("exit", null);
    } catch {
      this.child.kill("SIGKILL");
    }
    const code = await this.exited;
    clearTimeout(killer);
    return code;
  }
}

/** Position helpers: the 0-based position of the `nth` occurrence of `needle` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${needle} not found (occurrence ${nth})`);
  }
  const offset = at + delta;
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}
