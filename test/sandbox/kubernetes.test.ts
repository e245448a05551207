import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import { DEFAULT_RUNTIME_IMAGE } from "../../formats/images.js";
import {
  KubernetesRenderError,
  kubernetesName,
  renderKubernetes,
  type KubernetesRendering,
} from "../../compiler/emit/kubernetes.js";
import { RUNTIME_UID, TOOL_HOST_MEMORY_MB } from "../../formats/pod.js";
import { defaultSandboxManifest, type SandboxManifestOptions } from "../../formats/sandbox-manifest.js";

function render(o: Partial<SandboxManifestOptions> = {}, extra: Parameters<typeof renderKubernetes>[1] = {}) {
  const m = defaultSandboxManifest({
    agent: "security_scanner",
    tier: "tier1",
    memoryMb: 512,
    cpus: 1,
    pids: 50,
    timeoutMs: 30000,
    ...o,
  });
  return renderKubernetes(m, extra);
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Job: Job as never,
  NetworkPolicy: NetworkPolicy as never,
  PersistentVolumeClaim: PersistentVolumeClaim as never,
  Service: Service as never,
  Deployment: Deployment as never,
};

/** Validates every object against the Kubernetes OpenAPI schemas (kubernetes-models); throws on any violation. */
function validateAll(r: Pick<KubernetesRendering, "objects">): void {
  for (const o of r.objects) {
    const Model = MODELS[String(o.kind)];
    assert.ok(Model, `no schema for kind ${String(o.kind)}`);
    new Model(o as never).validate();
  }
}

const pod = (job: Record<string, any>) => job.spec.template.spec;
const containerOf = (job: Record<string, any>, name: string) =>
  [...pod(job).initContainers, ...pod(job).containers].find((c: { name: string }) => c.name === name);
const mountsOf = (job: Record<string, any>, name: string) =>
  containerOf(job, name).volumeMounts.map((v: { name: string }) => v.name);

const restrictive = (uid: number, gid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: gid,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
});

test("tier1: a valid Job whose pod runs the bundle with the runtime image", () => {
  const r = render();
  validateAll(r);
  assert.equal(
    r.objects.map((o) => o.kind),
    ["NetworkPolicy", "PersistentVolumeClaim", "Job"],
  );
  const job = r.job as Record<string, any>;
  assert.is(job.metadata.name, "symbi-security-scanner");
  assert.is(job.spec.backoffLimit, 0);
  assert.is(job.spec.activeDeadlineSeconds, 30 + 120);
  const spec = pod(job);
  assert.is(spec.runtimeClassName, undefined);
  assert.is(spec.restartPolicy, "Never");
  assert.is(spec.automountServiceAccountToken, false);
  assert.is(spec.enableServiceLinks, false);
  assert.is(spec.shareProcessNamespace, false);
  assert.equal(spec.securityContext, {
    runAsNonRoot: true,
    fsGroup: RUNTIME_UID,
    seccompProfile: { type: "RuntimeDefault" },
  });
  // Every container runs the runtime image, restricted.
  for (const c of [...spec.initContainers, ...spec.containers]) assert.is(c.image, DEFAULT_RUNTIME_IMAGE);
  assert.equal(containerOf(job, "prepare").securityContext, restrictive(RUNTIME_UID, RUNTIME_UID));
  assert.equal(containerOf(job, "runtime").securityContext, restrictive(RUNTIME_UID, RUNTIME_UID));
  assert.equal(containerOf(job, "tools").securityContext, restrictive(65534, 65534));
  // The runtime runs the bundle, read-only, with the key and the log; the tool host serves it.
  assert.equal(containerOf(job, "runtime").command.slice(0, 3), ["symbi", "exec", "/bundle"]);
  assert.ok(containerOf(job, "runtime").command.includes("--tool-host"));
  assert.equal(containerOf(job, "tools").command.slice(0, 2), ["symbi", "tool-host"]);
  const bundleMount = containerOf(job, "runtime").volumeMounts.find((v: { name: string }) => v.name === "bundle");
  assert.equal(bundleMount, { name: "bundle", mountPath: "/bundle", readOnly: true });
  const volumes = Object.fromEntries(spec.volumes.map((v: { name: string }) => [v.name, v]));
  assert.equal(volumes["key-secret"].secret.secretName, "symbi-security-scanner-audit-key");
  assert.equal(volumes.source.configMap.name, "symbi-security-scanner-bundle");
  assert.equal(volumes.audit.persistentVolumeClaim.claimName, "symbi-security-scanner-audit");
  assert.is((r.auditClaim as Record<string, any>).metadata.name, "symbi-security-scanner-audit");
});

test("the manifest's constraints are the tools container's, and only it carries tools", () => {
  const job = render().job as Record<string, any>;
  const tools = containerOf(job, "tools");
  const memory = `${512 + TOOL_HOST_MEMORY_MB}Mi`;
  assert.equal(tools.resources, { limits: { memory, cpu: "1" }, requests: { memory, cpu: "1" } });
  assert.equal(tools.volumeMounts, [{ name: "tmpfs-0", mountPath: "/tmp" }]);
  const tmpfs = pod(job).volumes.find((v: { name: string }) => v.name === "tmpfs-0");
  assert.equal(tmpfs, { name: "tmpfs-0", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } });
  assert.is(job.metadata.annotations["symbi.dev/pids-limit"], "50");
  // Neither the key, nor the log, nor the bundle reach the container a tool can take over.
  assert.equal(mountsOf(job, "tools"), ["tmpfs-0"]);
  assert.ok(mountsOf(job, "runtime").includes("key") && mountsOf(job, "runtime").includes("audit"));
});

test("tier2 runs under the gVisor RuntimeClass", () => {
  const r = render({ tier: "tier2" });
  validateAll(r);
  assert.is(pod(r.job).runtimeClassName, "gvisor");
  assert.is(pod(render({ tier: "tier2" }, { runtimeClassName: "runsc-custom" }).job).runtimeClassName, "runsc-custom");
});

test("network none: the NetworkPolicy denies all ingress and egress for the Job's pod", () => {
  const r = render();
  const np = r.networkPolicy as Record<string, any>;
  assert.equal(np.spec.policyTypes, ["Ingress", "Egress"]);
  assert.equal(np.spec.ingress, []);
  assert.equal(np.spec.egress, []);
  const podLabels = (r.job as Record<string, any>).spec.template.metadata.labels;
  for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) assert.is(podLabels[k], v);
  assert.is(r.egress, undefined);
});

test("network allowlist of addresses: one egress rule per destination, IPs become CIDRs, no gateway", () => {
  const r = render({
    network: {
      mode: "allowlist",
      allow: [
        { host: "10.1.2.3", port: 443 },
        { host: "192.168.0.0/16", port: 53, protocol: "udp" },
        { host: "2001:db8::1", port: 80 },
      ],
    },
  });
  validateAll(r);
  assert.equal((r.networkPolicy as Record<string, any>).spec.egress, [
    { to: [{ ipBlock: { cidr: "10.1.2.3/32" } }], ports: [{ protocol: "TCP", port: 443 }] },
    { to: [{ ipBlock: { cidr: "192.168.0.0/16" } }], ports: [{ protocol: "UDP", port: 53 }] },
    { to: [{ ipBlock: { cidr: "2001:db8::1/128" } }], ports: [{ protocol: "TCP", port: 80 }] },
  ]);
  assert.is(r.egress, undefined);
  assert.not.ok(containerOf(r.job, "runtime").command.includes("--egress-gateway"));
});

test("host names: the pod may reach only the egress gateway, which only the token opens", () => {
  const r = render({
    network: {
      mode: "allowlist",
      allow: [
        { host: "api.example.org", port: 443 },
        { host: "10.1.2.0/24", port: 5432 },
      ],
    },
  });
  validateAll(r);
  assert.equal(
    r.objects.map((o) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`),
    [
      "NetworkPolicy/symbi-security-scanner",
      "NetworkPolicy/symbi-security-scanner-egress",
      "Service/symbi-security-scanner-egress",
      "Deployment/symbi-security-scanner-egress",
      "PersistentVolumeClaim/symbi-security-scanner-audit",
      "Job/symbi-security-scanner",
    ],
  );
  const agentPolicy = (r.networkPolicy as Record<string, any>).spec;
  assert.equal(agentPolicy.egress, [
    { to: [{ ipBlock: { cidr: "10.1.2.0/24" } }], ports: [{ protocol: "TCP", port: 5432 }] },
    {
      to: [{ podSelector: { matchLabels: { "symbi.dev/egress-gateway": "symbi-security-scanner" } } }],
      ports: [{ protocol: "TCP", port: 3128 }],
    },
  ]);
  const gw = r.egress!;
  const gwPod = (gw.deployment as Record<string, any>).spec.template;
  // The gateway's pod is not selected by the agent's policy, and its own policy admits only the agent.
  assert.is(gwPod.metadata.labels["symbi.dev/sandbox"], undefined);
  assert.is(gwPod.metadata.labels["symbi.dev/egress-gateway"], "symbi-security-scanner");
  const gwPolicy = (gw.networkPolicy as Record<string, any>).spec;
  assert.equal(gwPolicy.ingress, [
    {
      from: [{ podSelector: { matchLabels: { "symbi.dev/sandbox": "symbi-security-scanner" } } }],
      ports: [{ protocol: "TCP", port: 3128 }],
    },
  ]);
  assert.equal(gwPolicy.egress[0].ports, [{ protocol: "TCP", port: 443 }]);
  assert.equal(gwPolicy.egress[0].to[0], { ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.0.0/16"] } });
  const command = gwPod.spec.containers[0].command;
  assert.equal(command.slice(0, 4), ["symbi", "egress-gateway", "--listen", "0.0.0.0:3128"]);
  assert.ok(command.join(" ").includes("--allow api.example.org:443 --allow 10.1.2.0/24:5432"));
  assert.equal(gwPod.spec.containers[0].securityContext, restrictive(RUNTIME_UID, RUNTIME_UID));
  // The runtime finds the gateway through the Service's link variables, and holds the token; the tools do not.
  const runtime = containerOf(r.job, "runtime");
  const at = runtime.command.indexOf("--egress-gateway");
  assert.is(
    runtime.command[at + 1],
    "$(SYMBI_SECURITY_SCANNER_EGRESS_SERVICE_HOST):$(SYMBI_SECURITY_SCANNER_EGRESS_SERVICE_PORT)",
  );
  assert.is(pod(r.job).enableServiceLinks, true);
  assert.ok(mountsOf(r.job, "runtime").includes("egress-token"));
  assert.not.ok(mountsOf(r.job, "tools").includes("egress-token"));
  assert.equal((gw.service as Record<string, any>).spec.selector, {
    "symbi.dev/egress-gateway": "symbi-security-scanner",
  });
});

test("what Kubernetes cannot enforce is an error, never an open rule", () => {
  assert.throws(
    () => render({ network: { mode: "allowlist", allow: [{ host: "dns.example.org", port: 53, protocol: "udp" }] } }),
    (e: unknown) => e instanceof KubernetesRenderError && /dns\.example\.org.*UDP/.test((e as Error).message),
  );
  assert.throws(
    () => render({ network: { mode: "allowlist", allow: [{ host: "10.0.0.0/99", port: 1 }] } }),
    (e: unknown) => e instanceof KubernetesRenderError,
  );
  assert.throws(
    () => render({ user: `${RUNTIME_UID}:${RUNTIME_UID}` }),
    (e: unknown) => e instanceof KubernetesRenderError && /runtime's own user/.test((e as Error).message),
  );
  assert.throws(
    () => render({ tier: "process" }),
    (e: unknown) => e instanceof KubernetesRenderError && /process tier/.test((e as Error).message),
  );
});

test("fractional CPUs become millicores; the runtime image, namespace and TTL are options", () => {
  const m = defaultSandboxManifest({ agent: "a", tier: "tier1", cpus: 0.5, env: { LANG: "C.UTF-8" } });
  m.tmpfs.push({ path: "/run", mode: "0755", sizeMb: 1 });
  const image = `registry.example:5000/symbi/runtime@sha256:${"a".repeat(64)}`;
  const r = renderKubernetes(m, { namespace: "agents", ttlSecondsAfterFinished: 60, runtimeImage: image });
  validateAll(r);
  const tools = containerOf(r.job, "tools");
  assert.is(tools.resources.limits.cpu, "500m");
  assert.equal(
    tools.volumeMounts.map((v: { mountPath: string }) => v.mountPath),
    ["/tmp", "/run"],
  );
  assert.ok(tools.env.some((e: { name: string; value: string }) => e.name === "SYMBI_POD_IMAGE" && e.value === image));
  for (const o of r.objects) assert.is((o.metadata as { namespace: string }).namespace, "agents");
  assert.is((r.job as Record<string, any>).spec.ttlSecondsAfterFinished, 60);
  assert.is(containerOf(r.job, "runtime").image, image);
});

test("the YAML text holds the same objects, without anchors", () => {
  const r = render({ block: 2, network: { mode: "allowlist", allow: [{ host: "api.example.org", port: 443 }] } });
  assert.match(r.yaml, /^# Generated by symbic from agent security_scanner \(with block 2\)/);
  assert.not.match(r.yaml, /[&*]a\d/);
  const docs = parseAllDocuments(r.yaml).map((d) => d.toJS());
  assert.equal(docs, r.objects);
  assert.is((r.job as Record<string, any>).metadata.name, "symbi-security-scanner-with2");
});

test("names are DNS-1123 labels even for long or odd agent names", () => {
  const long = kubernetesName("A_very_long_agent_name_that_goes_on_and_on_and_on_beyond_the_limit", 12);
  assert.ok(long.length <= 63, long);
  assert.match(long, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  assert.is.not(long, kubernetesName("A_very_long_agent_name_that_goes_on_and_on_and_on_beyond_the_limiT", 13));
  const r = renderKubernetes(defaultSandboxManifest({ agent: "_odd__Name_", tier: "tier1" }));
  validateAll(r);
  assert.is((r.job as Record<string, any>).metadata.name, "symbi-odd-name");
  assert.throws(
    () => render({}, { name: "Not_Valid" }),
    (e: unknown) => e instanceof KubernetesRenderError,
  );
});

test("the schema check is real: malformed objects fail kubernetes-models validation", () => {
  const r = render();
  containerOf(r.job, "tools").securityContext.runAsUser = "nobody";
  assert.throws(() => validateAll(r));
  const r2 = render();
  (r2.networkPolicy as Record<string, any>).spec.egress = [{ ports: [{ port: "https", protocol: "SCTPX" }] }];
  assert.throws(() => validateAll(r2));
  const r3 = render();
  (r3.auditClaim as Record<string, any>).spec.accessModes = "ReadWriteOnce";
  assert.throws(() => validateAll(r3));
});

test.run();
