/**
 * Reasoning-loop overhead (`npm run bench -- reason`, compiled): the cost of one iteration of
 * `reason` beyond the model's own latency and the tool itself. A loopback server (in a child
 * process) answers every request at once with one tool call; the loop runs it through the real
 * pipeline (the quick start's `greet`: contract validation, the Cedar gate, the process sandbox,
 * output parsing) with a signed audit log, through the real OpenAI client over HTTP.
 *
 * Per iteration: from the start of one model call to the start of the next. Overhead = that
 * minus the time inside the sandbox driver (the tool call itself) and minus the model's latency
 * as this process sees it: the provider client's wall time beyond its own CPU time, the wait for
 * the server's answer (the server's own CPU per call is printed too). Target: p50 ≤ 2 ms,
 * printed as wall time (also with the wait included) and as this process's CPU time, from
 * loops where only the sandbox driver and the provider client are timed; then, from loops where
 * every part is timed, a breakdown of both: the provider client
 * (library + HTTP on loopback; the wall figure also holds the server's answer), the gate, the
 * audit appends, the rest ("other": the loop and the pipeline's other steps), and the sandbox
 * (the tool call, outside the overhead; its CPU figure is this process's share of it). Then the
 * provider client's floor: the same client back to back, beside its transport alone
 * (runtime/model/node-http-fetch.ts) and Node's global fetch with the same body.
 * The parts are timed from outside (wrapped methods); the product code carries no timers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { report, stats } from "./harness.js";
import { repoRoot } from "./paths.js";
import { compileToBundles } from "../runtime/exec/compile.js";
import { PolicySet } from "../runtime/gate/gate.js";
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
import { OpenAIChatClient, toOpenAIBody } from "../runtime/model/openai.js";
import { nodeHttpFetch } from "../runtime/model/node-http-fetch.js";
import { MAX_RESPONSE_BYTES } from "../runtime/model/http.js";
import type { ChatRequest, ModelClient } from "../runtime/model/types.js";
import { runReasoningLoop } from "../runtime/reason/loop.js";
import { requestSha256 } from "../runtime/model/recording.js";
import { canonicalJson } from "../formats/json.js";
import { sha256Hex } from "../formats/digest.js";
import { offerFor } from "../runtime/reason/offer.js";
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";

const ITERATIONS = 60;
/** Measured loops after the warm-up one. */
const LOOPS = 2;
/** Back-to-back requests measuring the provider client's floor. */
const FLOOR_RUNS = 30;
/** Turns hashed in the request-hash comparison. */
const HASH_RUNS = 40;

/**
 * Starts the loopback model server (test/helpers/model-server.ts) in a child process. The build
 * does not compile the tests, so the child loads the helper through tsx: it is the "model", not
 * the code being measured.
 */
async function serveElsewhere(): Promise<{ baseUrl: string; cpuMs(): Promise<number>; close(): Promise<void> }> {
  const helper = pathToFileURL(join(repoRoot(), "test/helpers/model-server.ts")).href;
  const code = `
    import { startModelServer } from ${JSON.stringify(helper)};
    const turn = (body) => (body.messages.length < ${2 * ITERATIONS + 2}
      ? { toolCalls: [{ name: "greet", arguments: { who: "Ada" } }] }
      : { text: "done" });
    const s = await startModelServer("openai", Array.from({ length: ${(3 * LOOPS + 3) * (ITERATIONS + 1) + 3 * (FLOOR_RUNS + 5)} }, () => turn));
    process.stdout.write(s.baseUrl + "\\n");
    // Asked for its CPU time (a line "cpu"), it answers with it (µs): the model's own cost.
    process.stdin.on("data", (d) => {
      if (String(d).includes("cpu")) {
        const c = process.cpuUsage();
        process.stdout.write("cpu " + (c.user + c.system) + "\\n");
      }
    });
    process.stdin.on("end", () => s.close().then(() => process.exit(0)));
    process.stdin.resume();`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // Its stdout is lines: the base URL first, then one "cpu <µs>" per question asked.
  let onLine: (line: string) => void = () => undefined;
  let pending = "";
  child.stdout.on("data", (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onLine(line);
    }
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    onLine = (line) => resolve(line.trim());
    child.on("exit", (c) => reject(new Error(`the model server exited (${c})`)));
  });
  return {
    baseUrl,
    cpuMs: () =>
      new Promise<number>((resolve) => {
        onLine = (line) => {
          if (line.startsWith("cpu ")) resolve(Number(line.slice(4)) / 1000);
        };
        child.stdin.write("cpu\n");
      }),
    close: () =>
      new Promise<void>((resolve) => {
        child.on("exit", () => resolve());
        child.stdin.end();
      }),
  };
}

/** Accumulated time in one part of the loop: wall and this process's CPU, in milliseconds. */
interface Part {
  wall: number;
  cpu: number;
}
const PARTS = ["provider", "gate", "sandbox", "audit"] as const;
type PartName = (typeof PARTS)[number];

/** This process's CPU time (user + system), in milliseconds. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/**
 * Wraps `fn` so that its wall and CPU time add to `part` while `on()` says so; otherwise `fn`
 * runs as it is (the headline loops time only the sandbox driver and the provider client: the
 * timers are not the loop's cost).
 */
function timed<A extends unknown[], R>(part: Part, on: () => boolean, fn: (...a: A) => R): (...a: A) => R {
  return (...a: A): R => {
    if (!on()) return fn(...a);
    const t0 = performance.now();
    const c0 = cpuMs();
    const done = () => {
      part.wall += performance.now() - t0;
      part.cpu += cpuMs() - c0;
    };
    let r: R;
    try {
      r = fn(...a);
    } catch (e) {
      done();
      throw e;
    }
    if (r instanceof Promise) return r.finally(done) as R;
    done();
    return r;
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

    // Timers around the parts, without touching the product code. The sandbox's CPU is this
    // process's share of the tool call (spawning, the scratch directory, counting the tool
    // user's tasks for its nproc limit, piping); the tool's own CPU is its child's.
    const acc: Record<PartName, Part> = {
      provider: { wall: 0, cpu: 0 },
      gate: { wall: 0, cpu: 0 },
      sandbox: { wall: 0, cpu: 0 },
      audit: { wall: 0, cpu: 0 },
    };
    // The breakdown's timers are on in the breakdown loops only; the sandbox's and the provider
    // client's always (the overhead is the iteration without the tool call and without the wait
    // for the model's answer).
    const detail = { on: true };
    const detailed = () => detail.on;
    const always = () => true;
    const sink = new LogSink(log, "bench-run", b.agent);
    sink.emit = timed(acc.audit, detailed, sink.emit.bind(sink));
    gate.decide = timed(acc.gate, detailed, gate.decide.bind(gate));
    const pool = new SandboxPool(b.sandbox);
    const driverFor = pool.driverFor.bind(pool);
    pool.driverFor = (c) => {
      const d = driverFor(c);
      return Object.assign(Object.create(d) as typeof d, { run: timed(acc.sandbox, always, d.run.bind(d)) });
    };
    const budget = new Budget({ deadline: performance.now() + 600_000 });
    const signal = new AbortController().signal;
    const pipeline = {
      agent: b.agent,
      contracts: b.contracts,
      gate,
      approver: approverFor("none"),
      sandboxes: pool,
      audit: sink,
      budget,
      signal,
    };
    const tools = new ToolCaller(pipeline);
    // The same pipeline with the tool answered by a double (no process): iterations back to
    // back, so the loop's work runs hot — how much of the overhead above is the machine's
    // caches gone cold while the tool's processes ran.
    const doubled = new ToolCaller({
      ...pipeline,
      doubles: { answer: (_tool, args) => ({ stdout: `Hello, ${String(args.who)}!\n` }) },
    });
    const hostOf = (caller: ToolCaller): InterpreterHost => ({
      callTool: (n, a, l) => caller.call(n, a, l),
      callAction: async () => null,
      log: () => {},
      now: () => Date.now(),
      trusted: () => undefined,
    });
    const hosts = { sandboxed: hostOf(tools), doubled: hostOf(doubled) };
    const env = { OPENAI_BASE_URL: server.baseUrl };
    const flags = { "model.model": { value: "openai:bench", flag: "--model" } };
    const config = resolveModelConfig({ config: loadConfig({ env, flags, operatorFiles: [] }), env })!;
    const inner = new OpenAIChatClient(config);
    // The provider client is timed in every loop: its wall time beyond its CPU time is the wait
    // for the model's answer, which the headline excludes as the model's latency.
    const complete = timed(acc.provider, always, inner.complete.bind(inner));
    // Each iteration starts with its model call: note the clocks and the parts' totals then, to
    // cut the run into iterations.
    type Mark = { wall: number; cpu: number; parts: Record<PartName, Part> };
    const marks: Mark[] = [];
    let lastRequest: ChatRequest | undefined;
    const client: ModelClient = {
      provider: inner.provider,
      model: inner.model,
      endpoint: inner.endpoint,
      complete: (req: ChatRequest, s: AbortSignal) => {
        marks.push({
          wall: performance.now(),
          cpu: cpuMs(),
          parts: Object.fromEntries(PARTS.map((k) => [k, { ...acc[k] }])) as Record<PartName, Part>,
        });
        lastRequest = req;
        return complete(req, s);
      },
    };
    const loc = { file: "bench", span: { start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 } };
    const loop = (host: InterpreterHost) =>
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
      });

    type Sample = { wall: number; cpu: number } & Record<PartName | "other", Part>;
    // Three kinds of loop, in turn: the headline (only the sandbox driver and the provider client
    // timed), the breakdown (every part timed), and the tool answered by a double (every part
    // timed).
    const KINDS = ["headline", "breakdown", "doubled"] as const;
    const samples: Record<(typeof KINDS)[number], Sample[]> = { headline: [], breakdown: [], doubled: [] };
    // The model server's own CPU time over the headline loops, per model call.
    const serverCpu = { ms: 0, calls: 0 };
    await loop(hosts.sandboxed); // warm-up: JIT, connection, sandbox helpers
    await loop(hosts.doubled);
    for (let l = 0; l < KINDS.length * LOOPS; l++) {
      marks.length = 0;
      const kind = KINDS[l % KINDS.length]!;
      detail.on = kind !== "headline";
      const s0 = kind === "headline" ? await server.cpuMs() : 0;
      const r = await loop(kind === "doubled" ? hosts.doubled : hosts.sandboxed);
      if (kind === "headline") {
        serverCpu.ms += (await server.cpuMs()) - s0;
        serverCpu.calls += r.iterations;
      }
      if (r.terminationReason !== "final_answer" || r.iterations !== ITERATIONS + 1)
        throw new Error(`the benchmark loop ended with ${r.terminationReason} after ${r.iterations}`);
      for (let i = 0; i + 1 < marks.length; i++) {
        const a = marks[i]!;
        const z = marks[i + 1]!;
        const d = (k: PartName): Part => ({
          wall: z.parts[k].wall - a.parts[k].wall,
          cpu: z.parts[k].cpu - a.parts[k].cpu,
        });
        const parts = { provider: d("provider"), gate: d("gate"), sandbox: d("sandbox"), audit: d("audit") };
        // Overhead: the iteration without the tool call itself (the time inside the sandbox driver).
        const wall = z.wall - a.wall - parts.sandbox.wall;
        const cpu = z.cpu - a.cpu - parts.sandbox.cpu;
        const other = {
          wall: wall - parts.provider.wall - parts.gate.wall - parts.audit.wall,
          cpu: cpu - parts.provider.cpu - parts.gate.cpu - parts.audit.cpu,
        };
        samples[kind].push({ wall, cpu, ...parts, other });
      }
    }
    detail.on = true;
    const headline = samples.headline;
    const breakdown = samples.breakdown;
    const hot = samples.doubled;

    // The provider client's floor: the loop's last request (the longest conversation) sent back
    // to back through the same client, interleaved with the same body through the client's
    // transport alone and through Node's global fetch (undici), which the transport replaced.
    const floor = { client: [] as number[], transport: [] as number[], fetch: [] as number[] };
    const transport = nodeHttpFetch({ maxResponseBytes: MAX_RESPONSE_BYTES });
    const body = JSON.stringify(toOpenAIBody(lastRequest!, false));
    const url = `${server.baseUrl}/chat/completions`;
    for (let i = 0; i < FLOOR_RUNS + 5; i++) {
      const c0 = cpuMs();
      await inner.complete(lastRequest!, signal);
      const c1 = cpuMs();
      const init = { method: "POST", headers: { "content-type": "application/json" }, body };
      await (await transport(url, init)).json();
      const c2 = cpuMs();
      await (await fetch(url, init)).json();
      const c3 = cpuMs();
      if (i < 5) continue; // warm-up
      floor.client.push(c1 - c0);
      floor.transport.push(c2 - c1);
      floor.fetch.push(c3 - c2);
    }

    // Hashing a request for the audit log at the end of the loop, one more turn at a time: the
    // whole request canonicalised and hashed (as before), and requestSha256 (incremental).
    const grown = [...lastRequest!.messages];
    const hashing = { whole: [] as number[], incremental: [] as number[] };
    for (let i = 0; i < HASH_RUNS + 5; i++) {
      grown.push({
        role: "tool",
        results: [
          { callId: `call_x${i}`, name: "greet", content: `{"status":"ok","output":"Hello, ${i}!"}`, isError: false },
        ],
      });
      const req: ChatRequest = { ...lastRequest!, messages: [...grown] };
      const c0 = cpuMs();
      const a = sha256Hex(canonicalJson(req));
      const c1 = cpuMs();
      const b2 = requestSha256(req);
      const c2 = cpuMs();
      if (a !== b2) throw new Error("the incremental request hash differs from the whole request's");
      if (i < 5) continue;
      hashing.whole.push(c1 - c0);
      hashing.incremental.push(c2 - c1);
    }

    const med = (xs: number[]) => stats(xs).median;
    const o = stats(headline.map((s) => s.wall));
    const oc = stats(headline.map((s) => s.cpu));
    const load = `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
    console.log(
      `  ${headline.length} iterations (${LOOPS} loops of ${ITERATIONS}), each one model call and one tool call; ${load}`,
    );
    // The model's latency, as this process sees it: the provider client's wall time beyond its
    // own CPU time (waiting for the server to read the request and answer; on a loaded machine
    // also any wait for a core meanwhile).
    const modelWait = (x: Sample) => Math.max(0, x.provider.wall - x.provider.cpu);
    const ox = stats(headline.map((x) => x.wall - modelWait(x)));
    report(
      "reason loop overhead per iteration p50, wall, excluding the model's latency (the wait for its answer) and the tool call",
      ox.median,
      "ms",
      { value: 2, higherIsBetter: false },
      `p95 ${ox.p95.toFixed(2)} ms; the wait for the answer p50 ${med(headline.map(modelWait)).toFixed(3)} ms`,
    );
    report(
      "reason loop overhead per iteration p50, wall including the wait for the model's answer (excl. the tool call)",
      o.median,
      "ms",
      { value: 2, higherIsBetter: false },
      `p95 ${o.p95.toFixed(2)} ms; whole iteration p50 ${med(headline.map((s) => s.wall + s.sandbox.wall)).toFixed(2)} ms`,
    );
    report(
      "reason loop overhead per iteration p50, CPU time of this process (excl. the tool call)",
      oc.median,
      "ms",
      { value: 2, higherIsBetter: false },
      `p95 ${oc.p95.toFixed(2)} ms (not counting time spent waiting for a CPU on a loaded machine)`,
    );
    console.log(
      `  the model server's own CPU per call (its process; reading the request, answering): ` +
        `${(serverCpu.ms / serverCpu.calls).toFixed(3)} ms — what the wait above is mostly made of`,
    );
    const row = (label: string, xs: Part[], note = "") =>
      console.log(
        `  ${label.padEnd(16)} ${med(xs.map((x) => x.wall))
          .toFixed(3)
          .padStart(8)} ms ${med(xs.map((x) => x.cpu))
          .toFixed(3)
          .padStart(8)} ms  ${note}`,
      );
    console.log(
      `  breakdown p50 per iteration, from loops with every part timed (their overhead p50: ` +
        `${med(breakdown.map((s) => s.wall)).toFixed(3)} ms wall, ${med(breakdown.map((s) => s.cpu)).toFixed(3)} ms CPU, the timers included)`,
    );
    console.log(`                                wall      CPU`);
    row(
      "provider client",
      breakdown.map((s) => s.provider),
      "the openai library over Node's HTTP client; wall also waits for the server",
    );
    row(
      "gate",
      breakdown.map((s) => s.gate),
      "one Cedar decision",
    );
    row(
      "audit",
      breakdown.map((s) => s.audit),
      "six signed, hash-chained appends",
    );
    row(
      "other",
      breakdown.map((s) => s.other),
      "the loop and the pipeline's other steps (validation, argv, output parsing, rendering, hashing)",
    );
    row(
      "sandbox",
      breakdown.map((s) => s.sandbox),
      `the tool call itself, not overhead: wall = the tool's run, CPU = this process's share (spawn — a fork of this ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB process —, scratch dir, nproc count)`,
    );
    console.log(
      `  the same loop with the tool answered by a double (no process; iterations back to back): ` +
        `overhead p50 ${med(hot.map((h) => h.wall)).toFixed(3)} ms wall, ${med(hot.map((h) => h.cpu)).toFixed(3)} ms CPU ` +
        `(CPU: provider client ${med(hot.map((h) => h.provider.cpu)).toFixed(3)}, gate ${med(hot.map((h) => h.gate.cpu)).toFixed(3)}, ` +
        `audit ${med(hot.map((h) => h.audit.cpu)).toFixed(3)}, other ${med(hot.map((h) => h.other.cpu)).toFixed(3)} ms)`,
    );
    const fc = med(floor.client);
    const ft = med(floor.transport);
    const ff = med(floor.fetch);
    console.log(
      `  provider client floor, back to back (the loop's last request, ${(Buffer.byteLength(body) / 1024).toFixed(0)} KiB): ` +
        `CPU p50 ${fc.toFixed(3)} ms through the openai library; the same body through its transport alone ` +
        `${ft.toFixed(3)} ms, through Node's global fetch ${ff.toFixed(3)} ms`,
    );
    console.log(
      `  request hash for the audit log, per turn at ${grown.length} messages: CPU p50 ${(med(hashing.incremental) * 1000).toFixed(0)} µs ` +
        `incremental (requestSha256), ${(med(hashing.whole) * 1000).toFixed(0)} µs canonicalising and hashing the whole request (before)`,
    );
    log.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
