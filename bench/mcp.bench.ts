/**
 * MCP call overhead through the pipeline: one `tools/call` of a local stdio server (the tests'
 * scripted server, written with the MCP SDK) made by the runtime's ToolCaller — binding,
 * validation against the pinned inputSchema, the Cedar gate, the audit records (a real signed
 * log) and the SDK client over the sandboxed server's pipes — against the same call made by a
 * bare SDK client over its own stdio pipe to a second copy of the server, which is the server's
 * own time plus the protocol. Calls alternate between the two (interleaved), and the figure is the
 * median of the per-pair differences. Target p50 ≤ 5 ms beyond the server's own time.
 *
 * Also: starting a run's server (sandbox, MCP handshake, tools/list, drift check), for scale.
 */
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { updateMcpLock } from "../compiler/mcp/lock.js";
import { definitionHash, toolDefinition } from "../formats/mcp.js";
import { generateKeyFiles, loadPrivateKey } from "../runtime/audit/keys.js";
import { AuditLog } from "../runtime/audit/writer.js";
import { LogSink } from "../runtime/exec/audit-sink.js";
import { compileToBundles } from "../runtime/exec/compile.js";
import { SandboxPool } from "../runtime/exec/sandboxes.js";
import { ToolCaller } from "../runtime/exec/tool-call.js";
import { approverFor } from "../runtime/gate/approval.js";
import { PolicySet } from "../runtime/gate/gate.js";
import { Budget } from "../runtime/interpreter/budget.js";
import { McpServers } from "../runtime/mcp/servers.js";
import { report, stats } from "./harness.js";
import { repoRoot } from "./paths.js";

const LOOKUP = {
  name: "lookup",
  description: "Looks up a note by its title",
  inputSchema: {
    type: "object",
    properties: { title: { type: "string", maxLength: 200 }, limit: { type: "integer", minimum: 1 } },
    required: ["title"],
  },
};

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-mcp-"));
  chmodSync(dir, 0o755);
  const server = join(repoRoot(), "test/mcp/servers/scripted.mjs");
  const toolsFile = join(dir, "tools.json");
  writeFileSync(toolsFile, JSON.stringify([LOOKUP]));
  writeFileSync(
    join(dir, "symbi.toml"),
    `[mcp.servers.notes]\ncommand = "node"\nargs = [${JSON.stringify(server)}, ${JSON.stringify(toolsFile)}]\nsandbox = "process"\nmax_memory_mb = 2048\n`,
  );
  const def = toolDefinition(LOOKUP);
  updateMcpLock(dir, (lock) => {
    lock.servers["notes"] = {
      tools: { lookup: { definition: def, hash: definitionHash(def), pinnedAt: new Date().toISOString() } },
    };
    return true;
  });
  const file = join(dir, "agent.symbi");
  writeFileSync(
    file,
    `agent bench_agent() {
    capabilities = ["lookup"]
    policy p { allow: lookup(title, limit) if title != "secret" }
    with sandbox = "process", timeout = 600s, max_memory_mb = 2048 { lookup("x") }
}
`,
  );
  const bundle = (await compileToBundles(file)).bundles.get("bench_agent")!;
  const options = {
    bundle: bundle.mcp!,
    sandbox: bundle.sandbox,
    baseDir: dir,
    env: process.env,
    verifier: () => Promise.reject(new Error("nothing is signed")),
    requireSigned: false,
  };

  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const s = await McpServers.start(options);
    starts.push(performance.now() - t0);
    await s.close();
  }
  report("start a run's server (process sandbox, handshake, tools/list, drift check)", stats(starts).median, "ms");

  const servers = await McpServers.start(options);
  const key = join(dir, "audit.key");
  generateKeyFiles(key);
  const log = AuditLog.open(join(dir, "audit.log"), { privateKey: loadPrivateKey(key) });
  const controller = new AbortController();
  const caller = new ToolCaller({
    agent: "bench_agent",
    contracts: bundle.contracts,
    gate: PolicySet.load(bundle.policies).gate({ input: {}, trusted: {} }),
    approver: approverFor("none"),
    sandboxes: new SandboxPool(bundle.sandbox),
    audit: new LogSink(log, "bench-run", "bench_agent"),
    budget: new Budget({}),
    signal: controller.signal,
    mcp: servers,
  });
  const loc = { file: "agent.symbi", span: { start: 0, end: 0, line: 4, col: 5, endLine: 4, endCol: 5 } };
  const viaPipeline = async () => {
    await caller.call("lookup", { positional: ["title of a note"], named: new Map([["limit", 3]]) }, loc);
  };

  const bare = new Client({ name: "bench", version: "1" });
  await bare.connect(new StdioClientTransport({ command: process.execPath, args: [server, toolsFile] }));
  const direct = async () => {
    await bare.request(
      { method: "tools/call", params: { name: "lookup", arguments: { title: "title of a note", limit: 3 } } },
      CallToolResultSchema,
    );
  };

  try {
    for (let i = 0; i < 50; i++) {
      await viaPipeline();
      await direct();
    }
    const pipeline: number[] = [];
    const raw: number[] = [];
    const diff: number[] = [];
    for (let i = 0; i < 400; i++) {
      const a0 = performance.now();
      await direct();
      const a = performance.now() - a0;
      const b0 = performance.now();
      await viaPipeline();
      const b = performance.now() - b0;
      raw.push(a);
      pipeline.push(b);
      diff.push(b - a);
    }
    report("MCP tools/call by a bare SDK client (the server's own time + protocol)", stats(raw).median, "ms");
    report("MCP call through the pipeline (validate, gate, audit, call)", stats(pipeline).median, "ms");
    const d = stats(diff);
    report("MCP call overhead of the pipeline, p50", d.median, "ms", { value: 5, higherIsBetter: false });
    report("MCP call overhead of the pipeline, p95", d.p95, "ms");
  } finally {
    await bare.close();
    await servers.close();
    log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
