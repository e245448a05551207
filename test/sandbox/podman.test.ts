/**
 * The Kubernetes Job that `symbic build` writes, run without a cluster: its pod spec is played
 * by Podman (`podman kube play`, test/helpers/podman.ts says what the test stands in for), the
 * agent runs in the runtime image with its tools in the tools container, and its audit log —
 * read from the claim's volume afterwards — verifies with `symbi audit verify`. A pod whose
 * tools container does not hold the manifest is refused by the runtime before anything runs.
 *
 * Needs Podman with catatonit and the runtime image in Podman's store (`npm run runtime:image --
 * --engines docker,podman`; .ci/run does both); otherwise every test here is skipped, visibly.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { generateKeyFiles } from "../../runtime/audit/keys.js";
import { runCli } from "../helpers/cli.js";
import {
  configMap,
  podmanUnavailable,
  podOfDeployment,
  podOfJob,
  PodmanScene,
  run,
  type K8sObject,
} from "../helpers/podman.js";
import { symbi } from "../helpers/symbi.js";

const unavailable = await podmanUnavailable();
const ptest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  podman tests skipped: ${unavailable}`);

const EMITTED_NAME = "symbi-text-report-with0";
const INPUT = { text: "the cat saw the other cat and the dog saw the cat" };

interface Built {
  objects: K8sObject[];
  name: string;
  bundleTar: Buffer;
  key: string;
  /** The public key the bundle is signed with (what the operator trusts). */
  releasePub: Buffer;
}

/** Builds examples/kubernetes with symbic, under a name of its own (other test runs may share Podman). */
async function build(scene: PodmanScene): Promise<Built> {
  const out = join(scene.dir, "build");
  // Signed: the Job runs a bundle only with `--trust` of the operator's key (ConfigMap <name>-trusted-keys).
  const release = join(scene.dir, "release.key");
  generateKeyFiles(release);
  const b = runCli("symbic", ["build", "examples/kubernetes/agent.symbi", "--out", out, "--sign", release]);
  assert.is(b.status, 0, b.stderr);
  const name = `symbi-e2e-${randomBytes(4).toString("hex")}`;
  const yaml = readFileSync(join(out, "text_report", "k8s", "0.yaml"), "utf8").replaceAll(EMITTED_NAME, name);
  const objects = parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject);
  const tar = join(scene.dir, "bundle.tar");
  const t = await run("tar", ["-C", join(out, "text_report"), "-cf", tar, "."]);
  assert.is(t.code, 0, t.stderr);
  const key = join(scene.dir, "audit.key");
  generateKeyFiles(key);
  return { objects, name, bundleTar: readFileSync(tar), key, releasePub: readFileSync(`${release}.pub`) };
}

/** What an operator creates next to the YAML: the bundle ConfigMap and the key Secret. */
async function operatorObjects(scene: PodmanScene, b: Built): Promise<K8sObject[]> {
  await scene.secret(`${b.name}-audit-key`, { "audit.key": readFileSync(b.key, "utf8") });
  return [
    configMap(`${b.name}-bundle`, { "bundle.tar": b.bundleTar, "input.json": Buffer.from(JSON.stringify(INPUT)) }),
    configMap(`${b.name}-trusted-keys`, { "bundle.pub": b.releasePub }),
  ];
}

const find = (objects: K8sObject[], kind: string) => objects.find((o) => o.kind === kind)!;

ptest("the emitted Job's pod runs the agent, and its audit log verifies afterwards", async () => {
  const scene = new PodmanScene();
  try {
    const b = await build(scene);
    const policy = find(b.objects, "NetworkPolicy");
    // What the pod's network stands in for: a policy that lets nothing in or out.
    assert.equal([policy.spec.ingress, policy.spec.egress], [[], []]);
    const played = await scene.play(
      [
        ...(await operatorObjects(scene, b)),
        find(b.objects, "PersistentVolumeClaim"),
        podOfJob(find(b.objects, "Job")),
      ],
      "none",
    );
    assert.is(played.code, 0, played.stderr);
    const runtime = await scene.wait(`${b.name}-runtime`);
    const tools = await scene.wait(`${b.name}-tools`);
    assert.is(runtime.exitCode, 0, `runtime: ${runtime.stderr}\ntools: ${tools.stderr}`);
    assert.equal(JSON.parse(runtime.stdout), {
      stats: { words: 12, characters: 49 },
      top: "4 the\n3 cat\n2 saw\n1 other\n1 dog\n1 and",
      note: "denied by rule text_report.tools.2 (agent.symbi:27:9 `deny: top_words(t, n) if n > 10`)",
    });
    assert.is(tools.exitCode, 0, tools.stderr);
    assert.match(tools.stderr, /runtime disconnected after 2 call\(s\)/);

    const log = join(await scene.volumePath(`${b.name}-audit`), "audit.jsonl");
    const verified = await symbi("audit", "verify", log, "--pubkey", `${b.key}.pub`);
    assert.is(verified.code, 0, verified.stderr + verified.stdout);
    assert.match(verified.stdout, /^OK .*: \d+ records, 1 run/);
    const records = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; details: Record<string, any> });
    const starts = records.filter((r) => r.type === "tool_start").map((r) => r.details);
    assert.equal(
      starts.map((d) => [d.tool, d.sandbox, d.image]),
      [
        ["text_stats", "tier1", "symbi-runtime:1"],
        ["top_words", "tier1", "symbi-runtime:1"],
      ],
    );
    // The log also holds the proof: what the tools container reported, as the runtime checked it.
    const report = records.find((r) => r.type === "run_start")!.details.toolHost.report;
    assert.equal(
      [
        report.uid,
        report.gid,
        report.capEff,
        report.noNewPrivs,
        report.seccomp,
        report.rootReadOnly,
        report.interfaces,
      ],
      [65534, 65534, "0000000000000000", true, 2, true, []],
    );
    assert.is(report.memoryLimitBytes, (128 + 96) * 1024 * 1024);
    const denied = records.find((r) => r.type === "decision" && r.details.decision === "deny")!;
    assert.equal(denied.details.rules, ["text_report.tools.2"]);
    assert.is(records.find((r) => r.type === "run_end")!.details.status, "ok");
  } finally {
    await scene.cleanup();
  }
});

ptest("a tools container that does not hold the manifest: the runtime refuses, nothing runs", async () => {
  const scene = new PodmanScene();
  try {
    const b = await build(scene);
    const pod = podOfJob(find(b.objects, "Job"));
    const tools = pod.spec.containers.find((c: { name: string }) => c.name === "tools");
    tools.securityContext.readOnlyRootFilesystem = false;
    tools.resources = {};
    const played = await scene.play(
      [...(await operatorObjects(scene, b)), find(b.objects, "PersistentVolumeClaim"), pod],
      "none",
    );
    assert.is(played.code, 0, played.stderr);
    const runtime = await scene.wait(`${b.name}-runtime`);
    assert.is(runtime.exitCode, 1, runtime.stdout);
    assert.match(
      runtime.stderr,
      /symbi: error: the pod's tools container does not hold agent text_report's sandbox manifest \(tier1\): it has a writable root filesystem; it has no memory limit; it has no CPU limit/,
    );
    // Refused before the log was opened: the claim holds no record.
    const files = await run("ls", ["-A", await scene.volumePath(`${b.name}-audit`)]);
    assert.is(files.stdout.trim(), "");
  } finally {
    await scene.cleanup();
  }
});

/** The project of the allowlist test: curl through the proxy, and curl around it. */
function fetchProject(dir: string, allowedPort: number): string {
  mkdirSync(join(dir, "tools"), { recursive: true });
  for (const [name, flags] of [
    ["fetch", ""],
    ["fetch_direct", "--noproxy * "],
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
    `agent fetcher(good: String, other: String, around: String) -> List<String> {
    capabilities = ["fetch", "fetch_direct"]

    policy net {
        allow: fetch(u)
        allow: fetch_direct(u)
    }

    with sandbox = "Tier1", timeout = 60s {
        let out = [fetch(good).raw_output];
        try {
            out = out + [fetch(other).raw_output];
        } catch (ToolError e) {
            out = out + ["failed"];
        }
        try {
            out = out + [fetch_direct(around).raw_output];
        } catch (ToolError e) {
            out = out + ["failed"];
        }
        return out;
    }
}
`,
  );
  return file;
}

async function httpServer(host: string, seen: string[]): Promise<{ port: number; server: Server }> {
  const s = createServer((req, res) => {
    seen.push(`${host} ${req.url}`);
    res.end(`hello from ${host} ${req.url}`);
  });
  await new Promise<void>((r) => s.listen(0, host, r));
  return { port: (s.address() as AddressInfo).port, server: s };
}

/** This machine's own address outside Podman's networks: reachable here, not from an internal network. */
function hostAddress(): string | null {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name.startsWith("podman") || name.startsWith("docker") || name.startsWith("veth")) continue;
    const a = (addrs ?? []).find((x) => x.family === "IPv4" && !x.internal);
    if (a) return a.address;
  }
  return null;
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "0.0.0.0", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const outside = hostAddress();
(unavailable === null && outside !== null ? test : test.skip)(
  "an allowlisted host name: reached through the audited relay and the gateway pod; nothing else is reachable",
  async () => {
    const scene = new PodmanScene();
    const seen: string[] = [];
    const allowed = await httpServer("127.0.0.1", seen);
    const other = await httpServer("127.0.0.1", seen);
    const around = await httpServer(outside!, seen);
    // What the pod's network must keep it from: a stand-in for the cluster's API server.
    const api = await httpServer(outside!, seen);
    try {
      const id = randomBytes(4).toString("hex");
      const out = join(scene.dir, "build");
      const src = fetchProject(join(scene.dir, "project"), allowed.port);
      const release = join(scene.dir, "release.key");
      generateKeyFiles(release);
      const b = runCli("symbic", ["build", src, "--out", out, "--sign", release]);
      assert.is(b.status, 0, b.stderr);
      const name = `symbi-e2e-${id}`;
      const yaml = readFileSync(join(out, "fetcher", "k8s", "0.yaml"), "utf8").replaceAll("symbi-fetcher-with0", name);
      const objects = parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject);
      const policies = objects.filter((o) => o.kind === "NetworkPolicy");
      // The agent's pod may reach the gateway only; the gateway admits the agent only.
      assert.equal(policies[0]!.spec.egress, [
        {
          to: [{ podSelector: { matchLabels: { "symbi.dev/egress-gateway": name } } }],
          ports: [{ protocol: "TCP", port: 3128 }],
        },
      ]);
      assert.equal(policies[1]!.spec.ingress[0].from, [
        { podSelector: { matchLabels: { "symbi.dev/sandbox": name } } },
      ]);

      // Podman stands in for the cluster: an internal network for the agent's pod (it reaches
      // the host's bridge address and nothing beyond), the host's network for the gateway.
      const net = `symbi-e2e-${id}`;
      await scene.network(net, true);
      const inspect = await scene.podman([
        "network",
        "inspect",
        "--format",
        "{{range .Subnets}}{{.Gateway}}{{end}}",
        net,
      ]);
      const bridge = inspect.stdout.trim();
      assert.match(bridge, /^\d+\.\d+\.\d+\.\d+$/, inspect.stderr);
      const token = randomBytes(24).toString("hex");
      await scene.secret(`${name}-egress-token`, { token });
      const gatewayPort = await freePort();
      const gatewayPod = podOfDeployment(objects.find((o) => o.kind === "Deployment")!);
      const gw = gatewayPod.spec.containers[0];
      gw.command[gw.command.indexOf("--listen") + 1] = `0.0.0.0:${gatewayPort}`;
      const gwPlayed = await scene.play([gatewayPod], "host");
      assert.is(gwPlayed.code, 0, gwPlayed.stderr);

      const key = join(scene.dir, "audit.key");
      generateKeyFiles(key);
      const tar = join(scene.dir, "bundle.tar");
      assert.is((await run("tar", ["-C", join(out, "fetcher"), "-cf", tar, "."])).code, 0);
      await scene.secret(`${name}-audit-key`, { "audit.key": readFileSync(key, "utf8") });
      const input = {
        good: `http://localhost:${allowed.port}/ok`,
        other: `http://localhost:${other.port}/no`,
        around: `http://${outside}:${around.port}/around`,
      };
      const pod = podOfJob(objects.find((o) => o.kind === "Job")!);
      for (const c of pod.spec.containers) {
        // The kubelet's part: the Service's address in the runtime's command, and the API server's variables.
        const at = c.command.indexOf("--egress-gateway");
        if (at >= 0) c.command[at + 1] = `${bridge}:${gatewayPort}`;
        c.env = [
          ...(c.env ?? []),
          { name: "KUBERNETES_SERVICE_HOST", value: outside },
          { name: "KUBERNETES_SERVICE_PORT", value: String(api.port) },
        ];
      }
      const played = await scene.play(
        [
          configMap(`${name}-bundle`, {
            "bundle.tar": readFileSync(tar),
            "input.json": Buffer.from(JSON.stringify(input)),
          }),
          configMap(`${name}-trusted-keys`, { "bundle.pub": readFileSync(`${release}.pub`) }),
          objects.find((o) => o.kind === "PersistentVolumeClaim")!,
          pod,
        ],
        net,
      );
      assert.is(played.code, 0, played.stderr);
      const runtime = await scene.wait(`${name}-runtime`);
      assert.is(runtime.exitCode, 0, runtime.stderr);
      assert.equal(JSON.parse(runtime.stdout), [`hello from 127.0.0.1 /ok`, "failed", "failed"]);
      // Only the allowed request arrived anywhere: not the other port, not around the proxy, not the API server.
      assert.equal(seen, ["127.0.0.1 /ok"]);

      const log = join(await scene.volumePath(`${name}-audit`), "audit.jsonl");
      const verified = await symbi("audit", "verify", log, "--pubkey", `${key}.pub`);
      assert.is(verified.code, 0, verified.stderr + verified.stdout);
      const records = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; details: Record<string, any> });
      assert.equal(
        records
          .filter((r) => r.type === "net_connect")
          .map((r) => `${r.details.method} ${r.details.destination} ${r.details.decision}`),
        [`GET localhost:${allowed.port} allow`, `GET localhost:${other.port} deny`],
      );
      const closed = records.find((r) => r.type === "net_close")!;
      assert.is(closed.details.outcome, "closed");
      // The gateway's own account: the one tunnel the relay asked for.
      const gwLogs = await scene.podman(["logs", `${name}-egress-gateway`]);
      const lines = gwLogs.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; destination: string; decision?: string });
      assert.equal(
        lines.filter((l) => l.type === "net_connect").map((l) => `${l.destination} ${l.decision}`),
        [`localhost:${allowed.port} allow`],
      );
    } finally {
      await scene.cleanup();
      for (const s of [allowed, other, around, api]) s.server.close();
    }
  },
);

test.run();
