/**
 * Reasoning-loop overhead (`npm run bench -- reason`, compiled): the cost of one iteration of
 * `reason` beyond the model's own latency and the tool itself. A loopback server (in a child
 * process) answers every request at once with one tool call; the loop runs it through the real
 * pipeline (the quick start's `greet`: contract validation, the Cedar gate, the process sandbox,
 * output parsing) with a signed audit log, through the real OpenAI client over HTTP.
 *
 * Per iteration: from the start of one model call to the start of the next. Overhead = that
 * minus the time inside the sandbox driver (the tool call itself). Target: p50 ≤ 2 ms. The
 * breakdown shows where the rest goes: the provider client (library + HTTP on loopback; the
 * wall figure also holds the server's answer), the gate, the audit appends, and the loop
 * (argument parsing, result rendering, request building, hashing).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { report, stats } from "./harness.js";
import { repoRoot } from "./paths.js";
import { compileToBundles } from "../runtime/exec/compile.js";
import { PolicySet, type GateRequest } from "../runtime/gate/gate.js";
import { approverFor } from "../runtime/gate/approval.js";
import { AuditLog } from "../runtime/audit/writer.js";
import { generateKeyFiles, loadPrivateKey } from "../runtime/audit/keys.js";
import { LogSink } from "../runtime/exec/audit-sink.js";
import { SandboxPool } from "../runtime/exec/sandboxes.js";
import { ToolCaller, toolInfo } from "../runtime/exec/tool-call.js";
import { Budget } from "../runtime/interpreter/budget.js";
import type { InterpreterHost } from "../runtime/interpreter/host.js";
import { resolveModelConfig } from "../runtime/model/config.js";
import { loadConfig } from "../config/index.js";
import { OpenAIChatClient } from "../runtime/model/openai.js";
import type { ChatRequest, ModelClient } from "../runtime/model/types.js";
import { runReasoningLoop } from "../runtime/reason/loop.js";
import { offerFor } from "../runtime/reason/offer.js";
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";

const ITERATIONS = 60;

/**
 * Starts the loopback model server (test/helpers/model-server.ts) in a child process. The build
 * does not compile the tests, so the child loads the helper through tsx: it is the "model", not
 * the code being measured.
 */
async function serveElsewhere(): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const helper = pathToFileURL(join(repoRoot(), "test/helpers/model-server.ts")).href;
  const code = `
    import { startModelServer } from ${JSON.stringify(helper)};
    const turn = (body) => (body.messages.length < ${2 * ITERATIONS + 2}
      ? { toolCalls: [{ name: "greet", arguments: { who: "Ada" } }] }
      : { text: "done" });
    const s = await startModelServer("openai", Array.from({ length: ${3 * (ITERATIONS + 1)} }, () => turn));
    process.stdout.write(s.baseUrl + "\\n");
    process.stdin.on("end", () => s.close().then(() => process.exit(0)));
    process.stdin.resume();`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", (c) => reject(new Error(`the model server exited (${c})`)));
  });
  return {
    baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        child.on("exit", () => resolve());
        child.stdin.end();
      }),
  };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "symbi-reason-bench-"));
  // The server runs in a process of its own: its work is the "model", not the loop's overhead,
  // and this process's CPU time must not count it.
  const server = await serveElsewhere();
  try {
    const { bundles } = await compileToBundles(join(repoRoot(), "examples/quickstart/agent.symbi"));
    const b = bundles.get("quickstart")!;
    const gate = PolicySet.load(b.policies).gate({ input: { name: "Ada", number: 360 } });
    generateKeyFiles(join(dir, "key"));
    const log = AuditLog.open(join(dir, "audit.log"), { privateKey: loadPrivateKey(join(dir, "key")) });

    // Timers around the parts, without touching the product code. `sandboxCpu` is this
    // process's CPU time inside the sandbox driver (spawning, piping; the tool's own CPU is its
    // child's).
    const t = { gate: 0, gateCpu: 0, sandbox: 0, sandboxCpu: 0, audit: 0, auditCpu: 0, providerCpu: 0 };
    const cpuMs = () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    };
    const sink = new LogSink(log, "bench-run", b.agent);
    const emit = sink.emit.bind(sink);
    sink.emit = (type, details) => {
      const t0 = performance.now();
      const c0 = cpuMs();
      emit(type, details);
      t.audit += performance.now() - t0;
      t.auditCpu += cpuMs() - c0;
    };
    const decide = gate.decide.bind(gate);
    gate.decide = (req: GateRequest) => {
      const t0 = performance.now();
      const c0 = cpuMs();
      const d = decide(req);
      t.gate += performance.now() - t0;
      t.gateCpu += cpuMs() - c0;
      return d;
    };
    const pool = new SandboxPool(b.sandbox);
    const driverFor = pool.driverFor.bind(pool);
    pool.driverFor = (c) => {
      const d = driverFor(c);
      const runTool = d.run.bind(d);
      return Object.assign(Object.create(d) as typeof d, {
        run: async (req: Parameters<typeof d.run>[0]) => {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          try {
            return await runTool(req);
          } finally {
            t.sandbox += performance.now() - t0;
            const c = process.cpuUsage(c0);
            t.sandboxCpu += (c.user + c.system) / 1000;
          }
        },
      });
    };
    const budget = new Budget({ deadline: performance.now() + 600_000 });
    const signal = new AbortController().signal;
    const tools = new ToolCaller({
      agent: b.agent,
      contracts: b.contracts,
      gate,
      approver: approverFor("none"),
      sandboxes: pool,
      audit: sink,
      budget,
      signal,
    });
    const host: InterpreterHost = {
      callTool: (n, a, l) => tools.call(n, a, l),
      callAction: async () => null,
      log: () => {},
      now: () => Date.now(),
      trusted: () => undefined,
    };
    const env = { OPENAI_BASE_URL: server.baseUrl };
    const flags = { "model.model": { value: "openai:bench", flag: "--model" } };
    const config = resolveModelConfig({ config: loadConfig({ env, flags, operatorFiles: [] }), env })!;
    const inner = new OpenAIChatClient(config);
    // Each iteration starts with its model call: record when, to cut the run into iterations.
    const starts: number[] = [];
    const cpuAt: number[] = [];
    const partsAt: Array<typeof t & { provider: number }> = [];
    const timing = { providerMs: 0 };
    const client: ModelClient = {
      provider: inner.provider,
      model: inner.model,
      endpoint: inner.endpoint,
      complete: async (req: ChatRequest, s: AbortSignal) => {
        starts.push(performance.now());
        const c0 = cpuMs();
        cpuAt.push(c0);
        partsAt.push({ ...t, provider: timing.providerMs });
        try {
          return await inner.complete(req, s);
        } finally {
          t.providerCpu += cpuMs() - c0;
        }
      },
    };
    const loc = { file: "bench", span: { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 } };
    const loop = () =>
      runReasoningLoop({
        client,
        limits: { maxTokens: 1024, tokenBudget: 10_000_000, toolOutputMaxBytes: 16_384 },
        offer: offerFor(b, new Map(), { checkInvokeTool: false, toolInfo }),
        host,
        audit: sink,
        auditContent: "hashes",
        signal,
        loc,
        system: "You greet people.",
        user: "Greet Ada, again and again.",
        maxIterations: ITERATIONS + 1,
        timing,
      });
    await loop(); // warm-up: JIT, connection, sandbox helpers
    starts.length = 0;
    cpuAt.length = 0;
    partsAt.length = 0;
    const r = await loop();
    if (r.terminationReason !== "final_answer" || r.iterations !== ITERATIONS + 1)
      throw new Error(`the benchmark loop ended with ${r.terminationReason} after ${r.iterations}`);

    const iterations: number[] = [];
    const overhead: number[] = [];
    const overheadCpu: number[] = [];
    const parts = { provider: [] as number[], gate: [] as number[], sandbox: [] as number[], audit: [] as number[] };
    const cpuParts = { provider: [] as number[], gate: [] as number[], audit: [] as number[], loop: [] as number[] };
    for (let i = 0; i + 1 < starts.length; i++) {
      const span = starts[i + 1]! - starts[i]!;
      const a = partsAt[i]!;
      const z = partsAt[i + 1]!;
      iterations.push(span);
      overhead.push(span - (z.sandbox - a.sandbox));
      overheadCpu.push(cpuAt[i + 1]! - cpuAt[i]! - (z.sandboxCpu - a.sandboxCpu));
      parts.provider.push(z.provider - a.provider);
      parts.gate.push(z.gate - a.gate);
      parts.sandbox.push(z.sandbox - a.sandbox);
      parts.audit.push(z.audit - a.audit);
      const pc = z.providerCpu - a.providerCpu;
      const gc = z.gateCpu - a.gateCpu;
      const ac = z.auditCpu - a.auditCpu;
      cpuParts.provider.push(pc);
      cpuParts.gate.push(gc);
      cpuParts.audit.push(ac);
      cpuParts.loop.push(overheadCpu.at(-1)! - pc - gc - ac);
    }
    const o = stats(overhead);
    const med = (xs: number[]) => stats(xs).median;
    const loopOwn = stats(overhead.map((x, i) => x - parts.provider[i]! - parts.gate[i]! - parts.audit[i]!)).median;
    report(
      "reason loop overhead per iteration p50 (excl. the tool call)",
      o.median,
      "ms",
      { value: 2, higherIsBetter: false },
      `p95 ${o.p95.toFixed(2)} ms; whole iteration p50 ${med(iterations).toFixed(2)} ms`,
    );
    const oc = stats(overheadCpu);
    report(
      "reason loop overhead per iteration p50, CPU time of this process (excl. the tool call)",
      oc.median,
      "ms",
      { value: 2, higherIsBetter: false },
      `p95 ${oc.p95.toFixed(2)} ms (not counting time spent waiting for a CPU on a loaded machine)`,
    );
    const us = (xs: number[]) => `${(med(xs) * 1000).toFixed(0)} µs`;
    console.log(
      `  CPU breakdown p50 per iteration: provider client ${us(cpuParts.provider)}, gate ${us(cpuParts.gate)}, ` +
        `audit ${us(cpuParts.audit)}, loop and the pipeline's other steps ${us(cpuParts.loop)}`,
    );
    console.log(
      `  wall breakdown p50 per iteration: provider client ${med(parts.provider).toFixed(3)} ms, gate ${(med(parts.gate) * 1000).toFixed(0)} µs, ` +
        `sandbox (the tool) ${med(parts.sandbox).toFixed(2)} ms, audit ${(med(parts.audit) * 1000).toFixed(0)} µs, loop ${(loopOwn * 1000).toFixed(0)} µs`,
    );
    log.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
