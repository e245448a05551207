import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { Job } from "kubernetes-models/batch/v1/Job";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { KubernetesRenderError, kubernetesName, renderKubernetes } from "../../compiler/emit/kubernetes.js";
import { defaultSandboxManifest, type SandboxManifestOptions } from "../../formats/sandbox-manifest.js";

const command = ["scanner", "--target", "example"];

function render(o: Partial<SandboxManifestOptions> = {}, extra: Partial<Parameters<typeof renderKubernetes>[1]> = {}) {
  const m = defaultSandboxManifest({
    agent: "security_scanner",
    tier: "tier1",
    memoryMb: 512,
    cpus: 1,
    pids: 50,
    timeoutMs: 30000,
    ...o,
  });
  return renderKubernetes(m, { command, ...extra });
}

/** Validates against the Kubernetes OpenAPI schemas (kubernetes-models); throws on any violation. */
function validateK8s(r: { job: Record<string, unknown>; networkPolicy: Record<string, unknown> }): void {
  new Job(r.job as ConstructorParameters<typeof Job>[0]).validate();
  new NetworkPolicy(r.networkPolicy as ConstructorParameters<typeof NetworkPolicy>[0]).validate();
}

const pod = (job: Record<string, any>) => job.spec.template.spec;
const container = (job: Record<string, any>) => pod(job).containers[0];

test("tier1: a valid Job with a restrictive security context, limits and deadline", () => {
  const r = render();
  validateK8s(r);
  const job = r.job as Record<string, any>;
  assert.is(job.apiVersion, "batch/v1");
  assert.is(job.kind, "Job");
  assert.is(job.metadata.name, "symbi-security-scanner");
  assert.is(job.spec.backoffLimit, 0);
  assert.is(job.spec.activeDeadlineSeconds, 30);
  assert.is(pod(job).runtimeClassName, undefined);
  assert.is(pod(job).restartPolicy, "Never");
  assert.is(pod(job).automountServiceAccountToken, false);
  assert.equal(pod(job).securityContext, {
    runAsNonRoot: true,
    runAsUser: 65534,
    runAsGroup: 65534,
    seccompProfile: { type: "RuntimeDefault" },
  });
  const c = container(job);
  assert.equal(c.command, command);
  assert.is(c.image, "symbi-sandbox:1");
  assert.equal(c.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65534,
    runAsGroup: 65534,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  });
  assert.equal(c.resources, { limits: { memory: "512Mi", cpu: "1" }, requests: { memory: "512Mi", cpu: "1" } });
  assert.equal(c.volumeMounts, [{ name: "tmpfs-0", mountPath: "/tmp" }]);
  assert.equal(pod(job).volumes, [{ name: "tmpfs-0", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }]);
  assert.is(job.metadata.annotations["symbi.dev/pids-limit"], "50");
});

test("tier2 runs under the gVisor RuntimeClass", () => {
  const r = render({ tier: "tier2" });
  validateK8s(r);
  assert.is(pod(r.job).runtimeClassName, "gvisor");
  assert.is(pod(render({ tier: "tier2" }, { runtimeClassName: "runsc-custom" }).job).runtimeClassName, "runsc-custom");
});

test("network none: the NetworkPolicy denies all ingress and egress for the Job's pods", () => {
  const r = render();
  validateK8s(r);
  const np = r.networkPolicy as Record<string, any>;
  assert.equal(np.spec.policyTypes, ["Ingress", "Egress"]);
  assert.equal(np.spec.ingress, []);
  assert.equal(np.spec.egress, []);
  // The policy selects exactly the Job's pods.
  const podLabels = (r.job as Record<string, any>).spec.template.metadata.labels;
  for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) assert.is(podLabels[k], v);
});

test("network allowlist: one egress rule per destination, IPs become CIDRs", () => {
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
  validateK8s(r);
  assert.equal((r.networkPolicy as Record<string, any>).spec.egress, [
    { to: [{ ipBlock: { cidr: "10.1.2.3/32" } }], ports: [{ protocol: "TCP", port: 443 }] },
    { to: [{ ipBlock: { cidr: "192.168.0.0/16" } }], ports: [{ protocol: "UDP", port: 53 }] },
    { to: [{ ipBlock: { cidr: "2001:db8::1/128" } }], ports: [{ protocol: "TCP", port: 80 }] },
  ]);
});

test("a host name cannot be expressed in a NetworkPolicy: error, not an open rule", () => {
  assert.throws(
    () => render({ network: { mode: "allowlist", allow: [{ host: "api.example.org", port: 443 }] } }),
    (e: unknown) =>
      e instanceof KubernetesRenderError && /api\.example\.org.*IP address or CIDR/.test((e as Error).message),
  );
  assert.throws(
    () => render({ network: { mode: "allowlist", allow: [{ host: "10.0.0.0/99", port: 1 }] } }),
    (e: unknown) => e instanceof KubernetesRenderError,
  );
});

test("the process tier has no Kubernetes form", () => {
  assert.throws(
    () => render({ tier: "process" }),
    (e: unknown) => e instanceof KubernetesRenderError && /process tier/.test((e as Error).message),
  );
});

test("fractional CPUs become millicores; env and extra tmpfs mounts carry over", () => {
  const m = defaultSandboxManifest({ agent: "a", tier: "tier1", cpus: 0.5, env: { LANG: "C.UTF-8" } });
  m.tmpfs.push({ path: "/run", mode: "0755", sizeMb: 1 });
  const r = renderKubernetes(m, { command: ["x"], namespace: "agents", ttlSecondsAfterFinished: 60 });
  validateK8s(r);
  const c = container(r.job);
  assert.is(c.resources.limits.cpu, "500m");
  assert.equal(c.env, [
    { name: "HOME", value: "/tmp" },
    { name: "TMPDIR", value: "/tmp" },
    { name: "LANG", value: "C.UTF-8" },
  ]);
  assert.equal(
    c.volumeMounts.map((v: { mountPath: string }) => v.mountPath),
    ["/tmp", "/run"],
  );
  assert.is((r.job as Record<string, any>).metadata.namespace, "agents");
  assert.is((r.job as Record<string, any>).spec.ttlSecondsAfterFinished, 60);
});

test("the YAML text holds the same two objects", () => {
  const r = render({ block: 2 });
  assert.match(r.yaml, /^# Generated by symbic from agent security_scanner \(with block 2\)/);
  const docs = parseAllDocuments(r.yaml).map((d) => d.toJS());
  assert.equal(docs, [r.job, r.networkPolicy]);
  assert.is((r.job as Record<string, any>).metadata.name, "symbi-security-scanner-with2");
});

test("names are DNS-1123 labels even for long or odd agent names", () => {
  const long = kubernetesName("A_very_long_agent_name_that_goes_on_and_on_and_on_beyond_the_limit", 12);
  assert.ok(long.length <= 63, long);
  assert.match(long, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  assert.is.not(long, kubernetesName("A_very_long_agent_name_that_goes_on_and_on_and_on_beyond_the_limiT", 13));
  const r = renderKubernetes(defaultSandboxManifest({ agent: "_odd__Name_", tier: "tier1" }), { command: ["x"] });
  validateK8s(r);
  assert.is((r.job as Record<string, any>).metadata.name, "symbi-odd-name");
  assert.throws(
    () => render({}, { name: "Not_Valid" }),
    (e: unknown) => e instanceof KubernetesRenderError,
  );
});

test("the schema check is real: a malformed Job fails kubernetes-models validation", () => {
  const r = render();
  container(r.job).securityContext.runAsUser = "nobody";
  assert.throws(() => validateK8s(r));
  const r2 = render();
  (r2.networkPolicy as Record<string, any>).spec.egress = [{ ports: [{ port: "https", protocol: "SCTPX" }] }];
  assert.throws(() => validateK8s(r2));
});

test.run();
