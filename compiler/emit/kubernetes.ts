/**
 * The sandbox manifest as Kubernetes objects (DESIGN §7): a batch/v1 Job whose one pod runs the
 * agent's bundle with the runtime image, a NetworkPolicy for that pod, and a claim for the audit
 * log. `symbic build` writes them to `k8s/<n>.yaml`; docs/kubernetes.md says how an operator
 * runs them.
 *
 * The pod (one run of the agent):
 *   init container `prepare`  (runtime image, RUNTIME_UID) unpacks the bundle from the ConfigMap
 *                             `<name>-bundle` (key bundle.tar) into an emptyDir, and copies the
 *                             signing key from the Secret `<name>-audit-key` into a memory
 *                             emptyDir as a 0600 file of its own (a Secret file is root's or
 *                             group-readable; the audit writer refuses such a key)
 *   container `runtime`       (runtime image, RUNTIME_UID) `symbi exec /bundle` with the bundle
 *                             mounted read-only, the key, the inputs (`input.json` of the same
 *                             ConfigMap), the audit log on the claim `<name>-audit`, and
 *                             `--trust` of the public key in the ConfigMap `<name>-trusted-keys`
 *                             (key bundle.pub): the bundle must be signed (symbic build --sign)
 *   container `tools`         (runtime image, the manifest's uid) `symbi tool-host`: every tool
 *                             call of the run is a child process of it, in this container
 * The tools container is the sandbox: it carries the manifest's constraints, and only it does.
 * It mounts neither the key, nor the log, nor the bundle, runs as another user, and sees no
 * process of the runtime container (no shared process namespace), so a tool can neither sign
 * nor rewrite the audit log, nor touch the gate. The runtime reaches the tool host over the
 * pod's loopback (one connection, made before any tool runs; the tool host then stops
 * listening), and refuses to run unless the tool host's own report of its confinement matches
 * the manifest (runtime/sandbox/tool-host). Why one pod and not one pod per call:
 * compiler/emit/README.md.
 *
 * Mapping (manifest → the tools container):
 *   tier2                 → runtimeClassName "gvisor" (the whole pod; the tool host proves it)
 *   user uid:gid          → runAsUser / runAsGroup, runAsNonRoot true
 *   readOnlyRoot          → readOnlyRootFilesystem true
 *   capDrop ALL           → capabilities.drop ["ALL"]
 *   noNewPrivileges       → allowPrivilegeEscalation false (also privileged false)
 *   seccomp default       → seccompProfile RuntimeDefault
 *   tmpfs                 → emptyDir { medium: Memory, sizeLimit } mounted at each path
 *   limits.memoryMb       → the container's memory limit = request, plus TOOL_HOST_MEMORY_MB
 *                            for the tool host itself; each call is also held to memoryMb of
 *                            address space (RLIMIT_AS) by the tool host
 *   limits.cpus           → the container's CPU limit = request
 *   limits.pids           → no container field exists (PID limits are a kubelet setting): each
 *                            call gets RLIMIT_NPROC from the tool host; also recorded in the
 *                            `symbi.dev/pids-limit` annotation for admission policies
 *   timeoutMs             → the run's deadline, enforced by the runtime; the Job's
 *                            activeDeadlineSeconds adds JOB_STARTUP_ALLOWANCE_S for scheduling
 *                            and start-up, backoffLimit 0 (no retries)
 *   network none          → NetworkPolicy with no ingress and no egress rule
 *   network allowlist     → IP addresses and CIDR blocks: one egress rule each (ipBlock + port).
 *                            Host names, which no NetworkPolicy can name: the egress gateway
 *                            below, the only destination the pod may reach besides those rules
 * The service-account token is not mounted and service links are off (on only to find the
 * egress gateway): nothing in the pod gets cluster credentials.
 *
 * The egress gateway (only for an allowlist that names hosts): a Deployment `<name>-egress`
 * running `symbi egress-gateway` with the allowlist, its Service, and its own NetworkPolicy —
 * ingress only from the agent's pod, egress only to the allowlisted ports (any address but
 * link-local, for names; the listed blocks, for addresses) and DNS. The runtime runs a relay on
 * the pod's loopback (HTTP(S)_PROXY of every call): it writes each attempt to the run's audit
 * log, then tunnels through the gateway with the token of the Secret `<name>-egress-token`,
 * which only the runtime container and the gateway mount. A tool that skips the relay can reach
 * the gateway but not pass it (no token), and nothing else (the pod's NetworkPolicy). Why not a
 * sidecar: containers of a pod share one network namespace, so a NetworkPolicy that let a
 * sidecar out to a name's addresses (port 443 anywhere) would let every tool out the same way.
 *
 * Plain objects are built here (no Kubernetes client library at run time), typed with the
 * `kubernetes-models` interfaces so that a misspelt or misplaced field does not compile; the
 * tests validate every object against the Kubernetes OpenAPI schemas with the same package.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IService } from "kubernetes-models/v1/Service";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IIoK8sApimachineryPkgApisMetaV1ObjectMeta as IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { yamlLibrary } from "../../formats/lazy-yaml.js";
import { DEFAULT_RUNTIME_IMAGE } from "../../formats/images.js";
import { RUNTIME_UID, TOOL_HOST_MEMORY_MB } from "../../formats/pod.js";
import type { NetworkDestination, SandboxManifest } from "../../formats/sandbox-manifest.js";

export interface KubernetesRenderOptions {
  /** Job name (a DNS-1123 label); default derived from the agent and block. */
  name?: string;
  namespace?: string;
  /** The image of every container (default DEFAULT_RUNTIME_IMAGE); pin it by digest on a cluster. */
  runtimeImage?: string;
  /** RuntimeClass for tier2 (default "gvisor"). */
  runtimeClassName?: string;
  /** Extra labels for every object and the pod. */
  labels?: Record<string, string>;
  /** Delete the finished Job after this many seconds (omitted by default). */
  ttlSecondsAfterFinished?: number;
  /** Container image pull policy (default IfNotPresent). */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

/** A Kubernetes object as plain data (what the YAML holds). */
export type KubernetesObject = Record<string, unknown>;

export interface KubernetesRendering {
  /** Every object, in the order `kubectl apply` should create them. */
  objects: KubernetesObject[];
  job: KubernetesObject;
  networkPolicy: KubernetesObject;
  auditClaim: KubernetesObject;
  /** The egress gateway, when the allowlist names hosts. */
  egress?: { deployment: KubernetesObject; service: KubernetesObject; networkPolicy: KubernetesObject };
  /** The objects as one YAML stream (`---` separated), with a header comment. */
  yaml: string;
}

/** The manifest cannot be expressed faithfully as Kubernetes objects. */
export class KubernetesRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubernetesRenderError";
  }
}

export const GVISOR_RUNTIME_CLASS = "gvisor";
/** Where the tool host listens, on the pod's loopback. */
export const TOOL_HOST_ADDRESS = "127.0.0.1:7070";
/** What the runtime container may use (the interpreter, Cedar, the audit writer, the egress relay). */
export const RUNTIME_RESOURCES = Object.freeze({ memory: "256Mi", cpu: "500m" });
const PREPARE_RESOURCES = Object.freeze({ memory: "64Mi", cpu: "100m" });
const EGRESS_GATEWAY_RESOURCES = Object.freeze({ memory: "128Mi", cpu: "200m" });
/** Added to the run's timeout for the Job's deadline: scheduling, image start, the handshake. */
export const JOB_STARTUP_ALLOWANCE_S = 120;
/** Size of the claim that holds the audit log (it grows across runs; rotate by starting a new log). */
export const AUDIT_CLAIM_SIZE = "1Gi";
/** Where the egress gateway listens. */
export const EGRESS_GATEWAY_PORT = 3128;

/** Paths inside the pods; the init container, the commands and docs/kubernetes.md use them. */
export const POD_PATHS = Object.freeze({
  bundle: "/bundle",
  source: "/var/run/symbi/source",
  keySecret: "/var/run/symbi/key-secret",
  trust: "/var/run/symbi/trust",
  key: "/var/run/symbi/key",
  audit: "/var/lib/symbi/audit",
  egressToken: "/var/run/symbi/egress",
});

/**
 * Names of the objects around a Job: those an operator creates (the bundle ConfigMap, the key
 * Secret, the egress token Secret) and those in the YAML (the claim, the egress gateway).
 */
export function kubernetesObjectNames(name: string): {
  bundle: string;
  auditKey: string;
  auditClaim: string;
  egress: string;
  egressToken: string;
  trustedKeys: string;
} {
  return {
    trustedKeys: `${name}-trusted-keys`,
    bundle: `${name}-bundle`,
    auditKey: `${name}-audit-key`,
    auditClaim: `${name}-audit`,
    egress: `${name}-egress`,
    egressToken: `${name}-egress-token`,
  };
}

/** A DNS-1123 label (≤ 63 chars) for an agent's manifest: `symbi-<agent>[-with<N>]`. */
export function kubernetesName(agent: string, block: number | null): string {
  const base = `symbi-${agent}${block === null ? "" : `-with${block}`}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (base.length <= 63) return base;
  // Too long: keep a readable prefix and make it unique with a short hash of the full name.
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 8);
  return `${base.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

/** The kubelet's service-link variable of a Service: `<NAME>_SERVICE_HOST` / `_PORT`. */
function serviceVariable(service: string, part: "HOST" | "PORT"): string {
  return `${service.toUpperCase().replace(/-/g, "_")}_SERVICE_${part}`;
}

/** The runtime's command in the Job: the bundle, its inputs, the log, the key, the tool host (and the gateway). */
export function runtimeCommand(egressService?: string): string[] {
  const egress = egressService
    ? [
        "--egress-gateway",
        // Expanded by the kubelet from the Service's link variables: no DNS needed in the pod.
        `$(${serviceVariable(egressService, "HOST")}):$(${serviceVariable(egressService, "PORT")})`,
        "--egress-token-file",
        `${POD_PATHS.egressToken}/token`,
      ]
    : [];
  return [
    "symbi",
    "exec",
    POD_PATHS.bundle,
    "--input",
    `@${POD_PATHS.source}/input.json`,
    "--approve",
    "none",
    "--audit-log",
    `${POD_PATHS.audit}/audit.jsonl`,
    "--key",
    `${POD_PATHS.key}/audit.key`,
    // The bundle runs only if a key the operator trusts signed it (ConfigMap `<name>-trusted-keys`).
    "--trust",
    `${POD_PATHS.trust}/bundle.pub`,
    "--tool-host",
    TOOL_HOST_ADDRESS,
    ...egress,
  ];
}

/** What every object and container is built from. */
interface Context {
  m: SandboxManifest;
  name: string;
  names: ReturnType<typeof kubernetesObjectNames>;
  image: string;
  pullPolicy: "Always" | "IfNotPresent" | "Never";
  labels: Record<string, string>;
  namespace: string | undefined;
}

export function renderKubernetes(m: SandboxManifest, o: KubernetesRenderOptions = {}): KubernetesRendering {
  if (m.tier === "process" || m.image === null) {
    throw new KubernetesRenderError(
      `agent ${m.agent}: the process tier is for local development and has no Kubernetes form; use tier1 or tier2`,
    );
  }
  const name = o.name ?? kubernetesName(m.agent, m.block);
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new KubernetesRenderError(
      `Job name "${name}" is not a DNS-1123 label (lowercase letters, digits and '-', at most 63)`,
    );
  }
  if (Number(m.user.split(":")[0]) === RUNTIME_UID) {
    throw new KubernetesRenderError(
      `agent ${m.agent}: the tools cannot run as uid ${RUNTIME_UID}, the runtime's own user (it holds the signing key)`,
    );
  }
  const allow = m.network.mode === "allowlist" ? m.network.allow : [];
  const named = allow.filter((d) => !isAddressBlock(d.host));
  const udpNamed = named.find((d) => d.protocol === "udp");
  if (udpNamed) {
    throw new KubernetesRenderError(
      `agent ${m.agent}: network allowance for "${udpNamed.host}" over UDP cannot be enforced on Kubernetes (a NetworkPolicy needs an IP address or CIDR block, and the egress gateway carries TCP only)`,
    );
  }
  const c: Context = {
    m,
    name,
    names: kubernetesObjectNames(name),
    image: o.runtimeImage ?? DEFAULT_RUNTIME_IMAGE,
    pullPolicy: o.imagePullPolicy ?? "IfNotPresent",
    labels: {
      ...(o.labels ?? {}),
      "app.kubernetes.io/managed-by": "symbic",
      "symbi.dev/agent": labelValue(m.agent),
      "symbi.dev/sandbox": name,
    },
    namespace: o.namespace,
  };
  const gateway = named.length > 0;
  // Every address block is checked (and turned into a CIDR) before anything else is built.
  const addressRules = allow.filter((d) => isAddressBlock(d.host)).map((d) => egressRule(m.agent, d));

  const job: IJob = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(c, name, {
      "symbi.dev/pids-limit": String(m.limits.pids),
      "symbi.dev/tier": m.tier,
      "symbi.dev/manifest-api-version": m.apiVersion,
    }),
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil(m.timeoutMs / 1000) + JOB_STARTUP_ALLOWANCE_S,
      ...(o.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished } : {}),
      template: {
        metadata: { labels: { ...c.labels } },
        spec: agentPodSpec(c, gateway, o.runtimeClassName ?? GVISOR_RUNTIME_CLASS),
      },
    },
  };

  const networkPolicy: INetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(c, name),
    spec: {
      podSelector: { matchLabels: { "symbi.dev/sandbox": name } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [],
      egress: [...addressRules, ...(gateway ? [toEgressGateway(name)] : [])],
    },
  };

  const auditClaim: IPersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: metadata(c, c.names.auditClaim),
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: AUDIT_CLAIM_SIZE } } },
  };

  const egress = gateway ? egressGateway(c, addressRules) : undefined;
  // The policies first: no pod may exist without its policy. The gateway's Service before the
  // Job, so that the kubelet gives the Job's pod the Service's link variables.
  const objects: KubernetesObject[] = [
    plain(networkPolicy),
    ...(egress ? [egress.networkPolicy, egress.service, egress.deployment] : []),
    plain(auditClaim),
    plain(job),
  ];
  const header =
    `# Generated by symbic from agent ${m.agent}${m.block === null ? "" : ` (with block ${m.block})`}, sandbox manifest ${m.apiVersion}. Do not edit.\n` +
    `# Before applying: the ConfigMap ${c.names.bundle} (bundle.tar, input.json) and the Secret ${c.names.auditKey} (audit.key)` +
    `${gateway ? `, and the Secret ${c.names.egressToken} (token)` : ""}; see docs/kubernetes.md.\n`;
  const yaml = header + objects.map((x) => yamlLibrary().stringify(x, { aliasDuplicateObjects: false })).join("---\n");
  return {
    objects,
    job: plain(job),
    networkPolicy: plain(networkPolicy),
    auditClaim: plain(auditClaim),
    ...(egress ? { egress } : {}),
    yaml,
  };
}

/** The agent's pod: the `prepare` init container, the `runtime` and the `tools` containers. */
function agentPodSpec(c: Context, gateway: boolean, runtimeClassName: string): IPodSpec {
  const { m, names } = c;
  const [uid, gid] = m.user.split(":").map(Number) as [number, number];
  const prepare: IContainer = {
    name: "prepare",
    image: c.image,
    imagePullPolicy: c.pullPolicy,
    command: [
      "/bin/sh",
      "-c",
      // Fixed text: no value from the agent reaches the shell.
      `tar -x -f ${POD_PATHS.source}/bundle.tar -C ${POD_PATHS.bundle} --no-same-owner --no-same-permissions` +
        ` && install -m 0600 ${POD_PATHS.keySecret}/audit.key ${POD_PATHS.key}/audit.key`,
    ],
    securityContext: containerSecurity(RUNTIME_UID, RUNTIME_UID),
    resources: guaranteed(PREPARE_RESOURCES),
    volumeMounts: [
      { name: "source", mountPath: POD_PATHS.source, readOnly: true },
      { name: "bundle", mountPath: POD_PATHS.bundle },
      { name: "key-secret", mountPath: POD_PATHS.keySecret, readOnly: true },
      { name: "key", mountPath: POD_PATHS.key },
    ],
  };
  const runtime: IContainer = {
    name: "runtime",
    image: c.image,
    imagePullPolicy: c.pullPolicy,
    command: runtimeCommand(gateway ? names.egress : undefined),
    env: [
      { name: "HOME", value: "/tmp" },
      { name: "TMPDIR", value: "/tmp" },
    ],
    securityContext: containerSecurity(RUNTIME_UID, RUNTIME_UID),
    resources: guaranteed(RUNTIME_RESOURCES),
    volumeMounts: [
      { name: "bundle", mountPath: POD_PATHS.bundle, readOnly: true },
      { name: "source", mountPath: POD_PATHS.source, readOnly: true },
      { name: "key", mountPath: POD_PATHS.key, readOnly: true },
      { name: "trust", mountPath: POD_PATHS.trust, readOnly: true },
      { name: "audit", mountPath: POD_PATHS.audit },
      { name: "runtime-tmp", mountPath: "/tmp" },
      ...(gateway ? [{ name: "egress-token", mountPath: POD_PATHS.egressToken, readOnly: true }] : []),
    ],
  };
  const tools: IContainer = {
    name: "tools",
    image: c.image,
    imagePullPolicy: c.pullPolicy,
    command: ["symbi", "tool-host", "--listen", TOOL_HOST_ADDRESS],
    workingDir: m.workdir,
    env: [
      { name: "HOME", value: "/tmp" },
      { name: "TMPDIR", value: "/tmp" },
      // What the tool host reports as the image its calls run in (the audit records it).
      { name: "SYMBI_POD_IMAGE", value: c.image },
    ],
    securityContext: containerSecurity(uid, gid),
    resources: guaranteed({
      memory: `${m.limits.memoryMb + TOOL_HOST_MEMORY_MB}Mi`,
      cpu: cpuQuantity(m.limits.cpus),
    }),
    volumeMounts: m.tmpfs.map((t, i) => ({ name: `tmpfs-${i}`, mountPath: t.path })),
  };
  const volumes: IVolume[] = [
    {
      name: "source",
      configMap: {
        name: names.bundle,
        defaultMode: 0o444,
        items: [
          { key: "bundle.tar", path: "bundle.tar" },
          { key: "input.json", path: "input.json" },
        ],
      },
    },
    { name: "bundle", emptyDir: { sizeLimit: "16Mi" } },
    { name: "key-secret", secret: { secretName: names.auditKey, defaultMode: 0o440, optional: false } },
    { name: "key", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    {
      name: "trust",
      configMap: { name: names.trustedKeys, defaultMode: 0o444, items: [{ key: "bundle.pub", path: "bundle.pub" }] },
    },
    { name: "audit", persistentVolumeClaim: { claimName: names.auditClaim } },
    { name: "runtime-tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
    ...m.tmpfs.map((t, i) => ({ name: `tmpfs-${i}`, emptyDir: { medium: "Memory", sizeLimit: `${t.sizeMb}Mi` } })),
    ...(gateway ? [egressTokenVolume(names.egressToken)] : []),
  ];
  return {
    ...(m.tier === "tier2" ? { runtimeClassName } : {}),
    restartPolicy: "Never",
    automountServiceAccountToken: false,
    // On only to give the runtime the egress gateway's address (the tools' environment is scrubbed).
    enableServiceLinks: gateway,
    shareProcessNamespace: false,
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    // fsGroup: the runtime's user may write the audit claim and read the Secrets through the
    // group; the tools container mounts none of them.
    securityContext: { runAsNonRoot: true, fsGroup: RUNTIME_UID, seccompProfile: { type: "RuntimeDefault" } },
    initContainers: [prepare],
    containers: [runtime, tools],
    volumes,
  };
}

/** The egress gateway's Deployment, Service and NetworkPolicy (see the header). */
function egressGateway(
  c: Context,
  addressRules: INetworkPolicyEgressRule[],
): NonNullable<KubernetesRendering["egress"]> {
  const { m, names, name } = c;
  const allow = m.network.mode === "allowlist" ? m.network.allow : [];
  const selector = { "symbi.dev/egress-gateway": name };
  // Not the agent's `symbi.dev/sandbox` label: the agent's policy must select the agent's pod only.
  const podLabels: Record<string, string> = { ...c.labels, ...selector };
  delete podLabels["symbi.dev/sandbox"];
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(c, names.egress),
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...selector } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, fsGroup: RUNTIME_UID, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "gateway",
              image: c.image,
              imagePullPolicy: c.pullPolicy,
              command: [
                "symbi",
                "egress-gateway",
                "--listen",
                `0.0.0.0:${EGRESS_GATEWAY_PORT}`,
                ...allow.flatMap((d) => ["--allow", allowEntry(d)]),
                "--token-file",
                `${POD_PATHS.egressToken}/token`,
              ],
              securityContext: containerSecurity(RUNTIME_UID, RUNTIME_UID),
              resources: guaranteed(EGRESS_GATEWAY_RESOURCES),
              volumeMounts: [{ name: "egress-token", mountPath: POD_PATHS.egressToken, readOnly: true }],
            },
          ],
          volumes: [egressTokenVolume(names.egressToken)],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(c, names.egress),
    spec: {
      type: "ClusterIP",
      selector: { ...selector },
      ports: [{ name: "proxy", port: EGRESS_GATEWAY_PORT, targetPort: EGRESS_GATEWAY_PORT, protocol: "TCP" }],
    },
  };
  const namedPorts = [...new Set(allow.filter((d) => !isAddressBlock(d.host)).map((d) => d.port))].sort(
    (a, b) => a - b,
  );
  const networkPolicy: INetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(c, names.egress),
    spec: {
      podSelector: { matchLabels: { ...selector } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { "symbi.dev/sandbox": name } } }],
          ports: [{ protocol: "TCP", port: EGRESS_GATEWAY_PORT }],
        },
      ],
      egress: [
        // Names: any address but link-local (cloud metadata services) on the allowed ports;
        // the gateway itself admits only the listed names.
        {
          to: [
            { ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.0.0/16"] } },
            { ipBlock: { cidr: "::/0", except: ["fe80::/10"] } },
          ],
          ports: namedPorts.map((port) => ({ protocol: "TCP", port })),
        },
        ...addressRules,
        // The gateway resolves the names it connects to.
        {
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
  };
  return { deployment: plain(deployment), service: plain(service), networkPolicy: plain(networkPolicy) };
}

/** The agent pod's way out for host names: the egress gateway's pods, on its port. */
function toEgressGateway(name: string): INetworkPolicyEgressRule {
  return {
    to: [{ podSelector: { matchLabels: { "symbi.dev/egress-gateway": name } } }],
    ports: [{ protocol: "TCP", port: EGRESS_GATEWAY_PORT }],
  };
}

function metadata(c: Context, name: string, annotations?: Record<string, string>): IObjectMeta {
  return {
    name,
    ...(c.namespace ? { namespace: c.namespace } : {}),
    labels: { ...c.labels },
    ...(annotations ? { annotations } : {}),
  };
}

function containerSecurity(uid: number, gid: number): ISecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Limits = requests: the Guaranteed QoS class, never evicted for another pod's burst. */
function guaranteed(r: { memory: string; cpu: string }): IResourceRequirements {
  return { limits: { ...r }, requests: { ...r } };
}

function egressTokenVolume(secretName: string): IVolume {
  return { name: "egress-token", secret: { secretName, defaultMode: 0o440, optional: false } };
}

/** A typed object as plain data. */
function plain(o: object): KubernetesObject {
  return o as KubernetesObject;
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** Kubernetes CPU quantity: whole cores as integers, fractions in millicores. */
function cpuQuantity(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.max(1, Math.round(cpus * 1000))}m`;
}

/** An allowlist entry as `symbi egress-gateway --allow` takes it. */
function allowEntry(d: NetworkDestination): string {
  return d.host.includes(":") ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;
}

/** An IP address or CIDR block (what a NetworkPolicy can hold), as opposed to a host name. */
function isAddressBlock(host: string): boolean {
  return isIP(host.split("/")[0] ?? "") !== 0;
}

function egressRule(agent: string, d: NetworkDestination): INetworkPolicyEgressRule {
  return {
    to: [{ ipBlock: { cidr: toCidr(agent, d.host) } }],
    ports: [{ protocol: d.protocol === "udp" ? "UDP" : "TCP", port: d.port }],
  };
}

function toCidr(agent: string, host: string): string {
  const [addr, prefix, ...rest] = host.split("/");
  const family = isIP(addr ?? "");
  const max = family === 4 ? 32 : 128;
  if (family !== 0 && rest.length === 0) {
    if (prefix === undefined) return `${addr}/${max}`;
    if (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max) return `${addr}/${Number(prefix)}`;
  }
  throw new KubernetesRenderError(
    `agent ${agent}: network allowance for "${host}" is not a valid IP address or CIDR block`,
  );
}
