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
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { generateKeyFiles } from "../../runtime/audit/keys.js";
import { runCli } from "../helpers/cli.js";
import { configMap, podmanUnavailable, podOfJob, PodmanScene, run, type K8sObject } from "../helpers/podman.js";
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
}

/** Builds examples/kubernetes with symbic, under a name of its own (other test runs may share Podman). */
async function build(scene: PodmanScene): Promise<Built> {
  const out = join(scene.dir, "build");
  const b = runCli("symbic", ["build", "examples/kubernetes/agent.symbi", "--out", out]);
  assert.is(b.status, 0, b.stderr);
  const name = `symbi-e2e-${randomBytes(4).toString("hex")}`;
  const yaml = readFileSync(join(out, "text_report", "k8s", "0.yaml"), "utf8").replaceAll(EMITTED_NAME, name);
  const objects = parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject);
  const tar = join(scene.dir, "bundle.tar");
  const t = await run("tar", ["-C", join(out, "text_report"), "-cf", tar, "."]);
  assert.is(t.code, 0, t.stderr);
  const key = join(scene.dir, "audit.key");
  generateKeyFiles(key);
  return { objects, name, bundleTar: readFileSync(tar), key };
}

/** What an operator creates next to the YAML: the bundle ConfigMap and the key Secret. */
async function operatorObjects(scene: PodmanScene, b: Built): Promise<K8sObject[]> {
  await scene.secret(`${b.name}-audit-key`, { "audit.key": readFileSync(b.key, "utf8") });
  return [
    configMap(`${b.name}-bundle`, { "bundle.tar": b.bundleTar, "input.json": Buffer.from(JSON.stringify(INPUT)) }),
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

test.run();
