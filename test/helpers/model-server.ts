/**
 * A model server on loopback that speaks the real wire protocols — OpenAI Chat Completions
 * (`POST /v1/chat/completions`) and Anthropic Messages (`POST /v1/messages`) — with scripted
 * answers. The runtime reaches it through the providers' own client libraries, exactly as it
 * reaches api.openai.com or api.anthropic.com; only the answers are written in advance.
 *
 * Every answer carries `x-symbi-scripted: <note>`, so a recording made against this server says
 * in its header that its answers are scripted (runtime/model/recording.ts).
 *
 * Used by the model tests, the loop benchmark and scripts/record-examples.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Protocol = "openai" | "anthropic";

/** One scripted answer. */
export interface Turn {
  /** Final text of the turn. */
  text?: string;
  /** Calls the model proposes; `arguments` is sent verbatim when a string (malformed JSON included). */
  toolCalls?: Array<{ id?: string; name: string; arguments: string | Record<string, unknown> }>;
  /** The protocol's finish / stop reason (default: tool calls or a normal stop). */
  finish?: string;
  /** OpenAI's `message.refusal`. */
  refusal?: string;
  usage?: { input: number; output: number };
  /** An HTTP error (or a 3xx redirect) instead of an answer: status, optional headers and error body. */
  status?: number;
  headers?: Record<string, string>;
  error?: { type?: string; code?: string; message: string };
  /** Wait before answering. */
  delayMs?: number;
  /** Never answer (the connection stays open until the client gives up). */
  hang?: boolean;
}

export interface SeenRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export type Script = Turn | ((body: Record<string, unknown>, index: number) => Turn);

export interface ModelServer {
  protocol: Protocol;
  /** The base URL the client takes: `<origin>/v1` (OpenAI) or `<origin>` (Anthropic). */
  baseUrl: string;
  requests: SeenRequest[];
  /** Answers still to give. */
  remaining(): number;
  /** TCP connections accepted so far (a client that keeps its connection alive opens one). */
  connections(): number;
  close(): Promise<void>;
}

export const SCRIPTED_NOTE = "scripted loopback test server (test/helpers/model-server.ts); not a real model";

function openAIAnswer(t: Turn, model: string, n: number): unknown {
  const calls = (t.toolCalls ?? []).map((c, i) => ({
    id: c.id ?? `call_${n}_${i}`,
    type: "function",
    function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) },
  }));
  const input = t.usage?.input ?? 10;
  const output = t.usage?.output ?? 5;
  return {
    id: `chatcmpl-${n}`,
    object: "chat.completion",
    created: 1_700_000_000 + n,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: t.text ?? (calls.length > 0 ? null : ""),
          refusal: t.refusal ?? null,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        finish_reason: t.finish ?? (calls.length > 0 ? "tool_calls" : "stop"),
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  };
}

function anthropicAnswer(t: Turn, model: string, n: number): unknown {
  const content: unknown[] = [];
  if (t.text !== undefined && t.text !== "") content.push({ type: "text", text: t.text });
  (t.toolCalls ?? []).forEach((c, i) =>
    content.push({
      type: "tool_use",
      id: c.id ?? `toolu_${n}_${i}`,
      name: c.name,
      input: typeof c.arguments === "string" ? JSON.parse(c.arguments || "{}") : c.arguments,
    }),
  );
  return {
    id: `msg_${n}`,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: t.finish ?? ((t.toolCalls ?? []).length > 0 ? "tool_use" : "end_turn"),
    stop_sequence: null,
    usage: { input_tokens: t.usage?.input ?? 10, output_tokens: t.usage?.output ?? 5 },
  };
}

function errorBody(p: Protocol, e: NonNullable<Turn["error"]>): unknown {
  return p === "openai"
    ? { error: { message: e.message, type: e.type ?? "error", code: e.code ?? null, param: null } }
    : { type: "error", error: { type: e.type ?? "api_error", message: e.message } };
}

/** Starts the server on 127.0.0.1 (a free port). `script` is answered in order, one entry per request. */
export async function startModelServer(
  protocol: Protocol,
  script: Script[],
  note = SCRIPTED_NOTE,
): Promise<ModelServer> {
  const requests: SeenRequest[] = [];
  const open = new Set<ServerResponse>();
  let next = 0;
  const path = protocol === "openai" ? "/v1/chat/completions" : "/v1/messages";
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = Buffer.from(JSON.stringify(body));
        res.writeHead(status, {
          "content-type": "application/json",
          "content-length": String(text.length),
          "x-symbi-scripted": note,
          ...headers,
        });
        res.end(text);
      };
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        send(400, errorBody(protocol, { message: "the request body is not JSON", type: "invalid_request_error" }));
        return;
      }
      requests.push({ path: req.url ?? "", headers: req.headers, body });
      if (req.method !== "POST" || req.url !== path) {
        send(404, errorBody(protocol, { message: `no route ${req.method} ${req.url}`, type: "not_found_error" }));
        return;
      }
      const index = next++;
      const entry = script[index];
      if (entry === undefined) {
        send(
          500,
          errorBody(protocol, { message: `the script has no answer for request ${index + 1}`, type: "api_error" }),
        );
        return;
      }
      const turn = typeof entry === "function" ? entry(body, index) : entry;
      const model = typeof body.model === "string" ? body.model : "scripted";
      const answer = () => {
        if (turn.status !== undefined && turn.status >= 300)
          send(
            turn.status,
            errorBody(protocol, turn.error ?? { message: `scripted HTTP ${turn.status}` }),
            turn.headers,
          );
        else
          send(
            200,
            protocol === "openai" ? openAIAnswer(turn, model, index + 1) : anthropicAnswer(turn, model, index + 1),
            turn.headers,
          );
      };
      if (turn.hang) {
        open.add(res);
        res.on("close", () => open.delete(res));
        return;
      }
      if (turn.delayMs) setTimeout(answer, turn.delayMs);
      else answer();
    });
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    protocol,
    baseUrl: protocol === "openai" ? `${origin}/v1` : origin,
    requests,
    remaining: () => Math.max(0, script.length - next),
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of open) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
