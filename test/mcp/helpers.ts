/**
 * MCP test projects: a temporary project whose `symbi.toml` declares real MCP servers (the
 * scripted server of servers/scripted.mjs, written with the MCP SDK) over stdio — started by the
 * runtime inside the process sandbox — or over Streamable HTTP on loopback, served by this test
 * process through the SDK's own server transport. The tools each server lists are read from a
 * JSON file on every request, so a test can change them between build and run.
 */
import type { McpToolDefinition } from "../../formats/mcp.js";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { scriptedServer } from "./servers/scripted.mjs";

export const SCRIPTED_SERVER = resolve(fileURLToPath(new URL("./servers/scripted.mjs", import.meta.url)));

/** A node program in the process tier needs more address space than the default limit (RLIMIT_AS). */
export const NODE_MEMORY_MB = 2048;

/** A tool the scripted server lists: a definition, and how the server answers its calls. */
export interface ScriptedTool extends McpToolDefinition {
  _meta?: Record<string, unknown>;
  "x-behaviour"?: "echo" | "error" | "crash" | "garbage" | "big" | "hang" | "structured" | "mutate";
}

export interface McpProject {
  dir: string;
  /** Rewrites the tools a server lists. */
  setTools(server: string, tools: ScriptedTool[]): void;
  toolsFile(server: string): string;
  write(path: string, text: string): string;
}

export function mcpProject(prefix = "symbi-mcp-"): McpProject {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // The sandboxed server runs as the sandbox's own user: it reads its tools file here.
  chmodSync(dir, 0o755);
  const write = (path: string, text: string) => {
    const p = join(dir, path);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  const toolsFile = (server: string) => join(dir, `${server}.tools.json`);
  return {
    dir,
    toolsFile,
    setTools: (server, tools) => writeFileSync(toolsFile(server), JSON.stringify(tools, null, 2)),
    write,
  };
}

/** The `[mcp.servers.NAME]` table of a stdio server running the scripted server. */
export function stdioServerToml(p: McpProject, name: string, extra = ""): string {
  return `[mcp.servers.${name}]
command = "node"
args = [${JSON.stringify(SCRIPTED_SERVER)}, ${JSON.stringify(p.toolsFile(name))}]
sandbox = "process"
max_memory_mb = ${NODE_MEMORY_MB}
${extra}
`;
}

export interface HttpMcpServer {
  url: string;
  /** Requests seen (method and the JSON-RPC method of POSTs). */
  seen: string[];
  /** The Authorization header of each POST ("" when none). */
  authorizations: string[];
  close(): Promise<void>;
}

/** The scripted server over Streamable HTTP on loopback, stateless (a fresh server per request). */
export async function startHttpMcpServer(toolsFile: string): Promise<HttpMcpServer> {
  const seen: string[] = [];
  const authorizations: string[] = [];
  const http: HttpServer = createServer((req, res) => {
    void (async () => {
      if (req.method !== "POST" || req.url !== "/mcp") {
        res.writeHead(405).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      seen.push(`POST ${(body as { method?: string }).method ?? "?"}`);
      authorizations.push(req.headers.authorization ?? "");
      const server = scriptedServer(toolsFile);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    seen,
    authorizations,
    close: () =>
      new Promise<void>((done) => {
        http.closeAllConnections();
        http.close(() => done());
      }),
  };
}
