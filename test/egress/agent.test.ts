/**
 * A network allowlist at work, agent to audit log: an agent whose tool (curl) may reach one
 * host name runs as it does in a Kubernetes pod — its calls in a tool host, the runtime's relay
 * as the tools' HTTP(S) proxy, the egress gateway behind it — against servers this test starts
 * on loopback. The allowed destination answers; every other one fails; every attempt is in the
 * run's signed audit log, which verifies. (That a tool cannot go around the relay is the pod's
 * network: test/sandbox/podman.test.ts.) The tool host runs on this machine, so its confinement
 * report is not compared with the manifest here (test/sandbox/tool-host.test.ts does that).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { EgressAllowlist } from "../../runtime/egress/allowlist.js";
import { startEgressProxy } from "../../runtime/egress/proxy.js";
import { EgressRelays } from "../../runtime/egress/relay.js";
import { compileToBundles, execAgent } from "../../runtime/exec/index.js";
import { ToolHostClient } from "../../runtime/sandbox/tool-host/client.js";
import { serveToolHost } from "../../runtime/sandbox/tool-host/server.js";
import { tempDir } from "../audit/helpers.js";

const TOKEN = "agent-test-token-0123456789";
const curl = spawnSync("curl", ["--version"], { stdio: "ignore" }).status === 0;
const ctest = curl ? test : test.skip;
if (!curl) console.log("  egress agent test skipped: curl is not installed (apt-get install curl)");

async function server(name: string): Promise<{ port: number; server: Server }> {
  const s = createServer((req, res) => res.end(`${name} says hello to ${req.url}`));
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as AddressInfo).port, server: s };
}

function project(dir: string, allowedPort: number): string {
  mkdirSync(join(dir, "tools"));
  for (const [name, flags] of [
    ["fetch", ""],
    ["fetch_tunnel", "--proxytunnel "],
  ])
    writeFileSync(
      join(dir, "tools", `${name}.clad.toml`),
      `[tool]\nname = "${name}"\nversion = "1.0.0"\nbinary = "curl"\ndescription = "GET a URL"\ntimeout_seconds = 10\nrisk_tier = "low"\n\n` +
        `[tool.sandbox]\nnetwork = ["localhost:${allowedPort}"]\n\n` +
        `[args.url]\nposition = 1\nrequired = true\ntype = "url"\nschemes = ["http"]\ndescription = "What to fetch"\n\n` +
        `[command]\ntemplate = "curl -sS --fail --max-time 5 ${flags}{url}"\n\n[output]\nformat = "text"\nenvelope = false\n`,
    );
  const file = join(dir, "fetcher.symbi");
  writeFileSync(
    file,
    `agent fetcher(good: String, others: List<String>) -> List<String> {
    capabilities = ["fetch", "fetch_tunnel"]

    policy net {
        allow: fetch(u)
        allow: fetch_tunnel(u)
    }

    with sandbox = "Tier1", timeout = 60s {
        let out = [fetch(good).raw_output, fetch_tunnel(good).raw_output];
        for u in others {
            try {
                out = out + [fetch(u).raw_output];
            } catch (ToolError e) {
                out = out + ["failed"];
            }
        }
        return out;
    }
}
`,
  );
  return file;
}

ctest("the allowed destination answers, every other fails, every attempt is in the audit log", async () => {
  const { dir, cleanup } = tempDir("symbi-egress-agent-");
  const allowed = await server("allowed");
  const other = await server("other");
  const gateway = await startEgressProxy({
    listen: { host: "127.0.0.1", port: 0 },
    allow: new EgressAllowlist([{ host: "localhost", port: allowed.port }]),
    upstream: { kind: "direct" },
    token: TOKEN,
    onAttempt: () => undefined,
  });
  let ready!: (port: number) => void;
  const listening = new Promise<number>((r) => (ready = r));
  const hostDone = serveToolHost({ host: "127.0.0.1", port: 0, onListening: ready });
  const toolHost = new ToolHostClient(
    { host: "127.0.0.1", port: await listening },
    { verify: () => [], egress: new EgressRelays({ host: "127.0.0.1", port: gateway.address.port, token: TOKEN }) },
  );
  const key = join(dir, "audit.key");
  generateKeyFiles(key);
  const log = join(dir, "audit.log");
  try {
    const bundle = (await compileToBundles(project(dir, allowed.port))).bundles.get("fetcher")!;
    const good = `http://localhost:${allowed.port}/a`;
    const others = [
      `http://localhost:${other.port}/b`, // another port of the same host
      `http://127.0.0.1:${allowed.port}/c`, // the allowed server, by an address the list does not name
      `http://example.invalid:${allowed.port}/d`, // another name
    ];
    const r = await execAgent({
      bundle,
      input: { good, others },
      auditLog: log,
      keyFile: key,
      sandbox: { toolHost },
      onLog: () => undefined,
    });
    assert.is(r.status, "ok", r.message);
    assert.equal(r.value, ["allowed says hello to /a", "allowed says hello to /a", "failed", "failed", "failed"]);
  } finally {
    await toolHost.close();
    await hostDone;
    await gateway.close();
    allowed.server.close();
    other.server.close();
  }
  const v = verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) });
  assert.ok(v.ok, JSON.stringify(v));
  const records = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; run: string; details: Record<string, unknown> });
  const runId = records.find((x) => x.type === "run_start")!.run;
  const attempts = records.filter((x) => x.type === "net_connect");
  assert.ok(attempts.every((a) => a.run === runId));
  assert.equal(
    attempts.map((a) => `${String(a.details.method)} ${String(a.details.destination)} ${String(a.details.decision)}`),
    [
      `GET localhost:${allowed.port} allow`,
      `CONNECT localhost:${allowed.port} allow`,
      `GET localhost:${other.port} deny`,
      `GET 127.0.0.1:${allowed.port} deny`,
      `GET example.invalid:${allowed.port} deny`,
    ],
  );
  // Each attempt lies within its tool call, and each allowed one has its outcome.
  const order = records.map((x) => x.type).filter((t) => t.startsWith("net_") || t.startsWith("tool_"));
  assert.equal(order.slice(0, 6), ["tool_start", "net_connect", "net_close", "tool_end", "tool_start", "net_connect"]);
  assert.is(records.filter((x) => x.type === "net_close" && x.details.outcome === "closed").length, 2);
  cleanup();
});

test.run();
