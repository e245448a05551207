#!/usr/bin/env node
// The runbook server of the mcp-notes example: a real MCP server over stdio, written with the MCP
// TypeScript SDK, serving a team's runbooks. symbi starts it once per run inside the agent's
// sandbox (symbi.toml, [mcp.servers.runbooks]) and stops it when the run ends.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const NOTES = {
  "disk-full": {
    title: "Disk full on a database host",
    body: [
      "1. Check which volume is full: df -h; the data volume is /var/lib/postgresql.",
      "2. WAL growing without bound usually means a replication slot is stuck: SELECT slot_name, active FROM pg_replication_slots.",
      "3. Drop an inactive slot only after the replica it served is confirmed gone (ask #db-oncall).",
      "4. Never delete files under pg_wal by hand.",
    ].join("\n"),
  },
  "high-latency": {
    title: "High API latency",
    body: "1. Compare p99 per endpoint on the API dashboard.\n2. Check the connection pool: saturation means a slow query or a lock.",
  },
  "db-credentials": {
    title: "Database superuser credentials (restricted)",
    body: "postgres superuser: user postgres, password in the vault at db/prod/superuser.",
  },
};

const server = new Server({ name: "runbooks", version: "1.0.0" }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [
    {
      name: "search_notes",
      description: "Searches the team's runbooks; returns the id and title of each match",
      inputSchema: {
        type: "object",
        properties: { query: { type: "string", minLength: 1, maxLength: 200 } },
        required: ["query"],
      },
      annotations: { readOnlyHint: true },
    },
    {
      name: "read_note",
      description: "Reads one runbook by its id",
      inputSchema: {
        type: "object",
        properties: { id: { type: "string", pattern: "^[a-z0-9-]+$" } },
        required: ["id"],
      },
      annotations: { readOnlyHint: true },
    },
  ],
}));

server.setRequestHandler(CallToolRequestSchema, (req) => {
  const args = req.params.arguments ?? {};
  const text = (t) => ({ content: [{ type: "text", text: t }] });
  switch (req.params.name) {
    case "search_notes": {
      const words = String(args.query).toLowerCase().split(/\s+/);
      const hits = Object.entries(NOTES).filter(([, n]) => words.some((w) => n.title.toLowerCase().includes(w)));
      return text(hits.map(([id, n]) => `${id}: ${n.title}`).join("\n") || "no match");
    }
    case "read_note": {
      const n = NOTES[args.id];
      return n ? text(`${n.title}\n\n${n.body}`) : { isError: true, content: [{ type: "text", text: "no such note" }] };
    }
    default:
      return { isError: true, content: [{ type: "text", text: `unknown tool ${req.params.name}` }] };
  }
});

await server.connect(new StdioServerTransport());
